"""Mutual coherence, the frame potential and the Welch bound of unstructured dictionaries.

A dictionary is a real matrix ``B`` of shape ``(d, k)``: ``k`` atoms (columns) in ``R^d``.
Everything here normalises the atoms to unit length first, as eq. (2) of Murdock & Lucey
(CVPR 2020) does, so the Gram matrix ``G = B~^T B~`` has a unit diagonal.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int

__all__ = [
    "averaged_frame_potential",
    "frame_potential",
    "gram_matrix",
    "is_equiangular_tight_frame",
    "mercedes_benz_frame",
    "mutual_coherence",
    "normalize_columns",
    "orthonormal_basis",
    "simplex_etf",
    "welch_bound",
]


def _check_dictionary(B: Any, name: str = "B") -> np.ndarray:
    arr = np.asarray(B, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (d, k); got shape {arr.shape}.")
    if arr.shape[0] < 1 or arr.shape[1] < 2:
        raise ValueError(
            f"{name} must have d >= 1 rows and k >= 2 atoms (columns); got shape {arr.shape}."
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    norms = np.linalg.norm(arr, axis=0)
    if np.any(norms == 0):
        raise ValueError(
            f"{name} has zero columns (atoms {np.flatnonzero(norms == 0).tolist()}); "
            "every atom needs a nonzero norm to be normalised."
        )
    return arr


def normalize_columns(B: Any) -> np.ndarray:
    """Scale every column of ``B`` to unit Euclidean norm.

    Parameters
    ----------
    B : array-like, shape (d, k)
        Dictionary with nonzero columns.

    Returns
    -------
    ndarray of float64, shape (d, k)
    """
    arr = _check_dictionary(B)
    return arr / np.linalg.norm(arr, axis=0)


def gram_matrix(B: Any) -> np.ndarray:
    """Gram matrix of the normalised atoms, ``G = B~^T B~``.

    Parameters
    ----------
    B : array-like, shape (d, k)

    Returns
    -------
    ndarray of float64, shape (k, k)
        Symmetric, unit diagonal.
    """
    Bn = normalize_columns(B)
    return Bn.T @ Bn


def mutual_coherence(B: Any) -> float:
    """Mutual coherence (eq. 2): the largest ``|<b_i, b_j>| / (|b_i| |b_j|)`` over ``i != j``.

    Parameters
    ----------
    B : array-like, shape (d, k)

    Returns
    -------
    float in [0, 1]
    """
    G = gram_matrix(B)
    np.fill_diagonal(G, 0.0)
    return float(np.abs(G).max())


def frame_potential(B: Any) -> float:
    """Frame potential ``||G||_F^2``: the sum of all squared inner products of the normalised atoms.

    Parameters
    ----------
    B : array-like, shape (d, k)

    Returns
    -------
    float, at least ``max(k, k^2 / d)``
    """
    G = gram_matrix(B)
    return float(np.sum(G * G))


def averaged_frame_potential(B: Any) -> float:
    """Averaged frame potential ``F^2 = (||G||_F^2 - Tr G) / N(G)`` (eq. 12) of a dense dictionary.

    For an unstructured dictionary every off-diagonal entry counts, ``N(G) = k (k - 1)``, so
    ``F^2`` is the mean squared off-diagonal inner product and ``F^2 <= mu^2``.

    Parameters
    ----------
    B : array-like, shape (d, k)

    Returns
    -------
    float in [0, 1]
    """
    G = gram_matrix(B)
    k = G.shape[0]
    return float((np.sum(G * G) - np.trace(G)) / (k * (k - 1)))


def welch_bound(d: int, k: int) -> float:
    """Welch bound on the squared coherence of ``k`` unit vectors in ``R^d``.

    ``mu^2 >= F^2 >= (k - d) / (d (k - 1))`` for ``k > d``, and ``0`` for ``k <= d``
    (an orthonormal set). Equality holds exactly for equiangular tight frames.

    Parameters
    ----------
    d : int
        Dimension, ``d >= 1``.
    k : int
        Number of atoms, ``k >= 2``.

    Returns
    -------
    float
        The bound on ``mu^2`` (take the square root for a bound on ``mu``).
    """
    d = check_int("d", d, minimum=1)
    k = check_int("k", k, minimum=2)
    return max(0.0, (k - d) / (d * (k - 1)))


def orthonormal_basis(d: int) -> np.ndarray:
    """The standard basis of ``R^d``: ``k = d`` atoms meeting the Welch bound ``0``.

    Returns
    -------
    ndarray of float64, shape (d, d)
    """
    d = check_int("d", d, minimum=2)
    return np.eye(d)


def simplex_etf(d: int) -> np.ndarray:
    """The regular simplex: ``k = d + 1`` unit vectors in ``R^d`` with inner products ``-1/d``.

    It is an equiangular tight frame, so its squared coherence equals the Welch bound
    ``(k - d) / (d (k - 1)) = 1 / d^2``.

    Returns
    -------
    ndarray of float64, shape (d, d + 1)
    """
    d = check_int("d", d, minimum=1)
    k = d + 1
    centred = np.eye(k) - 1.0 / k  # rank d, columns sum to zero, lives in a d-dim subspace
    _, _, vt = np.linalg.svd(centred)
    basis = vt[:d]  # orthonormal basis of the subspace orthogonal to the ones vector
    atoms = basis @ centred
    return atoms / np.linalg.norm(atoms, axis=0)


def mercedes_benz_frame() -> np.ndarray:
    """Three unit vectors in ``R^2`` at 120 degrees: the smallest nontrivial ETF.

    Returns
    -------
    ndarray of float64, shape (2, 3)
    """
    angles = np.pi / 2 + 2 * np.pi * np.arange(3) / 3
    return np.stack([np.cos(angles), np.sin(angles)])


def is_equiangular_tight_frame(B: Any, *, atol: float = 1e-9) -> bool:
    """Whether the normalised atoms of ``B`` form an equiangular tight frame.

    Equiangular: every ``|G_ij|``, ``i != j``, is the same. Tight: ``B~ B~^T = (k / d) I``.

    Parameters
    ----------
    B : array-like, shape (d, k)
    atol : float
        Absolute tolerance of both checks.

    Returns
    -------
    bool
    """
    Bn = normalize_columns(B)
    d, k = Bn.shape
    G = np.abs(Bn.T @ Bn)
    off = G[~np.eye(k, dtype=bool)]
    equiangular = bool(np.ptp(off) <= atol)
    tight = bool(np.allclose(Bn @ Bn.T, (k / d) * np.eye(d), atol=atol))
    return equiangular and tight
