"""Collapse measures computed from class means alone: CDNV, NC2 and NC3.

All take float64 arrays of K rows (one per class) and cost O(K^2 D) at most; none forms a
D x D matrix. Conventions follow Papyan, Han & Donoho (2020) and the public anchor
rhubarbwu/neural-collapse, with M the centred class means (rows mu_c - mu_G, mu_G the
unweighted mean of the class means).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["cdnv", "equiangularity", "equinorm_cv", "etf_error", "self_duality"]


def _rows(value: Any, name: str, *, min_rows: int = 2) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < min_rows or arr.shape[1] < 1:
        raise ValueError(
            f"{name} must be a 2-D array with one row per class (at least {min_rows} rows); "
            f"got shape {arr.shape}."
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values; is a class empty?")
    return arr


def _row_norms(A: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->i", A, A))


def cdnv(means: Any, variances: Any) -> float:
    """Class-distance normalized variance, averaged over class pairs.

    ``mean over c < c' of (var_c + var_c') / (2 ||mu_c - mu_c'||^2)`` with
    ``var_c = E ||h - mu_c||^2`` (Galanti et al., 2022).

    Parameters
    ----------
    means : array-like, shape (n_classes, n_features)
        Class means (differences taken directly, not through a Gram matrix, so that close
        means keep their digits).
    variances : array-like, shape (n_classes,)
        Per-class total variance ``E ||h - mu_c||^2`` (>= 0).

    Returns
    -------
    float
        ``inf`` when two class means coincide exactly.
    """
    mu = _rows(means, "means")
    var = np.asarray(variances, dtype=np.float64)
    if var.shape != (mu.shape[0],) or not np.all(var >= 0):
        raise ValueError(
            f"variances must hold one non-negative number per class, shape ({mu.shape[0]},); "
            f"got shape {var.shape}."
        )
    total = 0.0
    for c in range(mu.shape[0] - 1):
        diff = mu[c + 1 :] - mu[c]
        dist2 = np.einsum("ij,ij->i", diff, diff)
        if np.any(dist2 == 0):
            return math.inf
        total += float(np.sum((var[c] + var[c + 1 :]) / (2.0 * dist2)))
    K = mu.shape[0]
    return total / (K * (K - 1) / 2)


def etf_error(centred: Any) -> float:
    """Distance of the normalised Gram of the centred means from the simplex ETF (NC2).

    ``|| M M^T / ||M M^T||_F - (I - 11^T / K) / sqrt(K - 1) ||_F``; 0 exactly when the centred
    means form a simplex equiangular tight frame of any scale, at most 2.

    Parameters
    ----------
    centred : array-like, shape (n_classes, n_features)
        M, the class means minus their unweighted mean.
    """
    M = _rows(centred, "centred")
    K = M.shape[0]
    gram = M @ M.T
    norm = np.linalg.norm(gram)
    if norm == 0:
        raise ValueError("centred is all zeros; the class means coincide and NC2 is undefined.")
    ideal = (np.eye(K) - np.full((K, K), 1.0 / K)) / math.sqrt(K - 1)
    return float(np.linalg.norm(gram / norm - ideal))


def equinorm_cv(centred: Any) -> float:
    """Coefficient of variation of the centred class-mean norms (NC2, equinorm).

    ``std_c ||mu_c - mu_G|| / mean_c ||mu_c - mu_G||`` with the population standard deviation
    (divisor K); 0 when all centred means have the same length.

    Parameters
    ----------
    centred : array-like, shape (n_classes, n_features)
    """
    norms = _row_norms(_rows(centred, "centred"))
    mean = float(norms.mean())
    if mean == 0:
        raise ValueError("centred is all zeros; the class means coincide and NC2 is undefined.")
    return float(norms.std()) / mean


def equiangularity(centred: Any) -> float:
    """Spread of the angles between centred class means (NC2, equiangularity).

    The population standard deviation (divisor K(K-1)/2) of the cosines
    ``cos(mu_c - mu_G, mu_c' - mu_G)`` over the K(K-1)/2 pairs c < c' (Papyan et al.'s
    "Std_{c != c'} cos"); 0 when all pairs meet at the same angle (for a simplex ETF every
    cosine is -1/(K-1)). A class mean equal to mu_G has no direction, and raises.

    Parameters
    ----------
    centred : array-like, shape (n_classes, n_features)
    """
    M = _rows(centred, "centred")
    norms = _row_norms(M)
    if np.any(norms == 0):
        c = int(np.flatnonzero(norms == 0)[0])
        raise ValueError(
            f"centred row {c} is zero: the mean of class {c} equals the mean of the class means, "
            "so its angle to the others is undefined."
        )
    unit = M / norms[:, None]
    cosines = (unit @ unit.T)[np.triu_indices(M.shape[0], k=1)]
    return float(cosines.std())


def self_duality(W: Any, centred: Any) -> float:
    """NC3: ``|| W / ||W||_F - M / ||M||_F ||_F`` between classifier rows and centred means.

    Parameters
    ----------
    W : array-like, shape (n_classes, n_features)
        Weights of the last linear layer (row c scores class c).
    centred : array-like, shape (n_classes, n_features)
        M, the centred class means of the features that layer reads.

    Returns
    -------
    float
        0 when W is a positive multiple of M; at most 2.
    """
    W_arr = _rows(W, "W")
    M = _rows(centred, "centred")
    if W_arr.shape != M.shape:
        raise ValueError(
            f"W must have the shape of the centred class means {M.shape}; got {W_arr.shape}."
        )
    w_norm = np.linalg.norm(W_arr)
    m_norm = np.linalg.norm(M)
    if w_norm == 0 or m_norm == 0:
        raise ValueError("W and centred must both be nonzero for self-duality (NC3).")
    return float(np.linalg.norm(W_arr / w_norm - M / m_norm))
