"""NC1 = tr(Sigma_W Sigma_B^+) / K without a D x D matrix.

With Z = H - mu_y (rows centred on their class mean, N x D) and M the centred class means
(K x D), Sigma_W = Z^T Z / N and Sigma_B = M^T M / K, so Sigma_B^+ = K M^+ (M^+)^T and

    NC1 = ||Z M^+||_F^2 / N = ||Z V_r S_r^{-1}||_F^2 / N,

where M = U_r S_r V_r^T is the SVD of M truncated at rank r <= K - 1 (see
:mod:`.geometry` for the tolerance); U_r has orthonormal columns and drops out of the norm.
Time O(N D (K + r)), memory O(chunk x D) for the float64 chunk and O(D K) for V_r / S_r.

Each row is projected as ``(h - mu_G) P - (mu_y - mu_G) P`` with P = V_r S_r^-1, sharing one
matrix product with the nearest class centers (``(h - mu_G) M^T``). Against projecting the
centred row ``h - mu_y`` directly, this adds a rounding of about sqrt(D) eps per row at the
between-class scale (the rows of M P = U_r have norm <= 1), so NC1 keeps a relative accuracy of
~sqrt(D) eps / sqrt(NC1) (~1e-9 at D = 4096 and NC1 = 1e-10) -- unlike the one-pass
``E||h||^2 - ||mu||^2``, whose error is relative to ||h||^2 itself. An NC1 of exactly 0 (one
sample per class) comes out as rounding, ~(sqrt(D) eps)^2.

The means must be known before Z is: a stream of batches is read twice, first into a
:class:`~.moments.ClassMoments`, then into a :class:`NC1Accumulator`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_class_indices, check_layer_features, infer_n_classes
from .geometry import ClassGeometry
from .moments import ClassMoments, chunk_rows
from .plane import ClassPlane, plane_axes

__all__ = ["NC1Accumulator", "nc1"]


class NC1Accumulator:
    """Second pass of NC1: ``sum_i ||(h_i - mu_{y_i}) M^+||^2`` over batches.

    Parameters
    ----------
    geometry : ClassGeometry
        The class means of a first pass over the same data.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.array([[0.0, 1.0], [0.0, -1.0], [4.0, 1.0], [4.0, -1.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> g = ClassGeometry.from_moments(ClassMoments(2).update(H, y))
    >>> NC1Accumulator(g).update(H, y).value()  # Sigma_W = diag(0, 1), Sigma_B = diag(4, 0)
    0.0
    """

    def __init__(self, geometry: ClassGeometry) -> None:
        if not isinstance(geometry, ClassGeometry):
            raise ValueError(
                f"geometry must be a ClassGeometry; got {type(geometry).__name__}. Build one "
                "with ClassGeometry.from_moments(ClassMoments(K).update(H, y))."
            )
        self.geometry = geometry
        # (mu_c - mu_G) @ P per class, shape (n_classes, rank)
        self._class_projected = geometry.centred @ geometry.projector
        self.counts = np.zeros(geometry.n_classes, dtype=np.int64)
        self.total = 0.0
        # the picture plane (see .plane): in-plane coordinate i = projected[:, i] * s_i * sign_i
        signs, _ = plane_axes(geometry)
        self._plane_scale = geometry.singular_values[: signs.size] * signs
        self._plane_scatter = np.zeros((geometry.n_classes, 2, 2))

    def update(self, H: Any, y: Any) -> NC1Accumulator:
        """Add a batch (in place) and return ``self``.

        Parameters
        ----------
        H : array-like, shape (batch, n_features)
        y : array-like of int, shape (batch,)
        """
        self.update_and_predict(H, y)
        return self

    def update_and_predict(self, H: Any, y: Any) -> np.ndarray:
        """Add a batch as :meth:`update` does and return its nearest-class-center predictions.

        The NCC scores and the NC1 projection come from one matrix product per row chunk, so a
        second pass that needs both (``probe_collapse``) reads each batch once.

        Parameters
        ----------
        H : array-like, shape (batch, n_features)
        y : array-like of int, shape (batch,)

        Returns
        -------
        ndarray of int64, shape (batch,)
            ``argmin_c ||h - mu_c||`` per row, as :meth:`ClassGeometry.ncc_predict` gives it.
        """
        H = check_layer_features(H, name="H", n_features=self.geometry.n_features)
        y = check_class_indices(y, H.shape[0], n_classes=self.geometry.n_classes)
        ncc = np.empty(H.shape[0], dtype=np.int64)
        step = chunk_rows(H.shape[1])
        for start in range(0, H.shape[0], step):
            block = H[start : start + step].astype(np.float64)  # a copy: centred in place
            ncc[start : start + step], projected = self.geometry._pass_chunk(block)
            self._add_projected(projected, y[start : start + step])
        return ncc

    def _add_projected(self, projected: np.ndarray, y: np.ndarray) -> None:
        """Add rows given as ``(h - mu_G) @ P`` (shape (rows, rank), changed in place)."""
        projected -= self._class_projected[y]  # now (h - mu_y) @ P
        self.total += float(np.einsum("ij,ij->", projected, projected))
        self.counts += np.bincount(y, minlength=self.geometry.n_classes)
        inplane = np.zeros((projected.shape[0], 2))
        inplane[:, : self._plane_scale.size] = projected[:, : self._plane_scale.size]
        inplane[:, : self._plane_scale.size] *= self._plane_scale
        K = self.geometry.n_classes
        for i, j in ((0, 0), (0, 1), (1, 1)):
            self._plane_scatter[:, i, j] += np.bincount(
                y, weights=inplane[:, i] * inplane[:, j], minlength=K
            )
        self._plane_scatter[:, 1, 0] = self._plane_scatter[:, 0, 1]

    def value(self) -> float:
        """NC1 of the samples added; they must be the ones the means came from.

        Raises
        ------
        ValueError
            When the samples per class differ from the first pass (a different or
            incomplete second pass).
        """
        self._check_complete()
        return self.total / float(self.counts.sum())

    def plane(self) -> ClassPlane:
        """The class means and within-class covariances in the plane of the two leading
        directions of the class means (see :mod:`.plane`); same samples as :meth:`value`.

        Raises
        ------
        ValueError
            As :meth:`value`, for an incomplete second pass.
        """
        self._check_complete()
        _, means = plane_axes(self.geometry)
        s2 = self.geometry.singular_values**2
        return ClassPlane(
            means=means,
            covariances=self._plane_scatter / self.counts[:, None, None],
            between_class_share=float(s2[:2].sum() / s2.sum()),
        )

    def _check_complete(self) -> None:
        if not np.array_equal(self.counts, self.geometry.counts):
            diff = np.flatnonzero(self.counts != self.geometry.counts)
            c = int(diff[0])
            raise ValueError(
                f"the second pass of NC1 saw {self.counts.sum()} samples ({self.counts[c]} of "
                f"class {c}), but the class means came from {self.geometry.counts.sum()} "
                f"({self.geometry.counts[c]} of class {c}). Feed the same batches to both "
                "passes."
            )


def nc1(H: Any, y: Any, *, n_classes: int | None = None) -> float:
    """NC1 = tr(Sigma_W Sigma_B^+) / K of one layer, in O(N D K) time without a D x D matrix.

    Parameters
    ----------
    H : array-like, shape (n_samples, n_features)
        The layer's features (float32 or float64; summed in float64).
    y : array-like of int, shape (n_samples,)
        Class indices 0..K-1; every class needs a sample.
    n_classes : int, optional
        K; ``max(y) + 1`` by default.

    Returns
    -------
    float
        NC1 (0 when every sample sits on its class mean).

    See Also
    --------
    collapse_metrics : NC1 with the other collapse and NCC metrics in the same two passes.
    nc1_dense : the dense reference (D x D Sigma_W and Sigma_B).
    """
    H = check_layer_features(H)
    y = check_class_indices(y, H.shape[0], n_classes=None)
    K = infer_n_classes(n_classes, y, None)
    y = check_class_indices(y, H.shape[0], n_classes=K)
    geometry = ClassGeometry.from_moments(ClassMoments(K)._update_checked(H, y))
    accumulator = NC1Accumulator(geometry)
    step = chunk_rows(H.shape[1])
    for start in range(0, H.shape[0], step):
        block = H[start : start + step].astype(np.float64)
        accumulator._add_projected(geometry._pass_chunk(block)[1], y[start : start + step])
    return accumulator.value()
