"""The train class means of a layer, their centred SVD, and nearest-class-center predictions.

:class:`ClassGeometry` freezes what the second pass over the data needs: the class means mu_c,
their unweighted mean mu_G, the centred means M (rows mu_c - mu_G) and the right singular
vectors of M truncated at rank K - 1, which give M^+ without any D x D matrix.

Rank tolerance
--------------
The rows of M sum to zero, so rank(M) <= K - 1 and its K-th singular value is pure rounding: it
is always dropped. Below that, singular values ``s_i <= RANK_RTOL * max(K, D) * scale`` with
``scale = max(s_1, max_c ||mu_c||)`` are treated as zero. Why: the means are float64 averages,
so each row of M carries a rounding error of a few ``eps * ||mu_c||`` (the *uncentred* norm,
since centring happens after the rounding); by Weyl's inequality that moves every singular
value by at most ``||E||_2``, and the factor ``max(K, D)`` is the usual safety margin of LAPACK-
style rank decisions (numpy's ``matrix_rank``, scipy's ``pinv``). A singular value that small is
indistinguishable from an exact rank deficiency (e.g. collinear class means), and inverting it
would multiply rounding noise by ~1e15 -- the failure of numpy's ``pinv`` on a float32 Sigma_B.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ._checks import check_layer_features, require_every_class
from .moments import ClassMoments, chunk_rows

__all__ = ["RANK_RTOL", "ClassGeometry"]

RANK_RTOL = float(np.finfo(np.float64).eps)
"""Relative rank tolerance per unit of ``max(K, D)`` (see the module notes)."""


@dataclass(frozen=True, eq=False)
class ClassGeometry:
    """Train class means of one layer and the truncated SVD of the centred means.

    Attributes
    ----------
    means : ndarray of float64, shape (n_classes, n_features)
        Class means mu_c.
    counts : ndarray of int64, shape (n_classes,)
        Training samples per class (all >= 1).
    variances : ndarray of float64, shape (n_classes,)
        ``E ||h - mu_c||^2`` per class.
    global_mean : ndarray of float64, shape (n_features,)
        mu_G, the unweighted mean of the class means.
    centred : ndarray of float64, shape (n_classes, n_features)
        M, rows mu_c - mu_G.
    basis : ndarray of float64, shape (n_features, rank)
        Right singular vectors of M kept after truncation (orthonormal columns).
    singular_values : ndarray of float64, shape (rank,)
        The singular values kept, decreasing.
    tolerance : float
        Singular values at or below it were dropped (see the module notes).
    """

    means: np.ndarray
    counts: np.ndarray
    variances: np.ndarray
    global_mean: np.ndarray
    centred: np.ndarray
    basis: np.ndarray
    singular_values: np.ndarray
    tolerance: float

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return int(self.means.shape[0])

    @property
    def n_features(self) -> int:
        """Layer width D."""
        return int(self.means.shape[1])

    @property
    def rank(self) -> int:
        """Rank of the centred means after truncation (<= min(K - 1, D))."""
        return int(self.singular_values.shape[0])

    @classmethod
    def from_moments(cls, moments: ClassMoments, *, name: str = "y") -> ClassGeometry:
        """Means, centred means and their truncated SVD from accumulated moments.

        Parameters
        ----------
        moments : ClassMoments
            Every class must have at least one sample.
        name : str
            How messages name the labels that were accumulated.

        Raises
        ------
        ValueError
            When a class has no sample, or when all class means coincide (rank 0: Sigma_B = 0
            and every between-class quantity is undefined).
        """
        require_every_class(moments.counts, name=name)
        means = moments.means
        global_mean = means.mean(axis=0)
        centred = means - global_mean
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        n_classes, n_features = centred.shape
        scale = max(float(s[0]), float(np.sqrt(np.max(np.einsum("ij,ij->i", means, means)))))
        tolerance = RANK_RTOL * max(n_classes, n_features) * scale
        rank = int(np.count_nonzero(s[: n_classes - 1] > tolerance))
        if rank == 0:
            raise ValueError(
                f"the K = {n_classes} class means of H coincide (largest singular value of the "
                f"centred means {s[0]:.3g} <= tolerance {tolerance:.3g}): Sigma_B = 0, so NC1, "
                "CDNV, NC2 and the nearest class centers are undefined. Is the layer constant "
                "(e.g. all ReLUs dead), or are the labels shuffled?"
            )
        return cls(
            means=means,
            counts=moments.counts.copy(),
            variances=moments.variances,
            global_mean=global_mean,
            centred=centred,
            basis=np.ascontiguousarray(vt[:rank].T),
            singular_values=s[:rank].copy(),
            tolerance=tolerance,
        )

    # ------------------------------------------------------------------ second pass
    @cached_property
    def projector(self) -> np.ndarray:
        """P = V_r / s_r, float64 array of shape (n_features, rank): ``(h - mu_c) @ P`` has the
        norm of ``(h - mu_c) M^+`` (M^+ = V_r S_r^-1 U_r^T and U_r has orthonormal columns)."""
        return self.basis / self.singular_values

    @cached_property
    def _stacked(self) -> np.ndarray:
        """[M^T | P], shape (n_features, n_classes + rank): one matrix product per chunk."""
        return np.ascontiguousarray(np.hstack([self.centred.T, self.projector]))

    @cached_property
    def _centred_norms2(self) -> np.ndarray:
        return np.einsum("ij,ij->i", self.centred, self.centred)

    def _pass_chunk(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """NCC indices and ``(h - mu_G) @ P`` of a chunk, with a single matrix product.

        Parameters
        ----------
        block : ndarray of float64, shape (rows, n_features)
            A private copy of the rows: it is centred on mu_G in place.

        Returns
        -------
        ncc : ndarray of int64, shape (rows,)
            ``argmin_c ||h - mu_c||^2 = argmin_c ||m_c||^2 - 2 (h - mu_G) . m_c`` with
            m_c = mu_c - mu_G (||h - mu_G||^2 is the same for every class and is dropped).
            Ties go to the smallest class index.
        projected : ndarray of float64, shape (rows, rank)
            ``(h - mu_G) @ P``; subtracting ``(mu_y - mu_G) @ P`` gives ``(h - mu_y) @ P``.
        """
        block -= self.global_mean
        product = block @ self._stacked
        K = self.n_classes
        scores = product[:, :K]
        scores *= -2.0
        scores += self._centred_norms2
        return np.argmin(scores, axis=1), product[:, K:]

    def ncc_predict(self, H: Any, *, name: str = "H") -> np.ndarray:
        """Nearest-class-center predictions ``argmin_c ||h - mu_c||`` for every row of ``H``.

        Parameters
        ----------
        H : array-like, shape (n_samples, n_features)
            Features of the same layer (train or test). Processed in float64 row chunks
            (memory O(chunk x (D + K))).

        Returns
        -------
        ndarray of int64, shape (n_samples,)
            Class indices; ties go to the smallest index.
        """
        H = check_layer_features(H, name=name, n_features=self.n_features)
        return self._ncc_checked(H)

    def _ncc_checked(self, H: np.ndarray) -> np.ndarray:
        out = np.empty(H.shape[0], dtype=np.int64)
        step = chunk_rows(H.shape[1])
        for start in range(0, H.shape[0], step):
            block = H[start : start + step].astype(np.float64)  # a copy: centred in place
            out[start : start + step] = self._pass_chunk(block)[0]
        return out
