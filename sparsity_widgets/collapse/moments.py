"""Streaming class moments: float64 counts, sums and within-class scatter, batch by batch.

:class:`ClassMoments` is fed batches of a layer's features with their class indices and keeps,
per class, the number of samples, the float64 sum of the features and the within-class scatter
``sum ||h - mu_c||^2``. The scatter is never formed as ``sum ||h||^2 - n ||mu_c||^2`` (that
difference of two large numbers loses every digit when the classes are tight, which is the
regime neural collapse is about): each batch is centred on its own class means, and batches are
combined with the pairwise update of Chan, Golub & LeVeque (1979),

    S = S_a + S_b + ||mu_a - mu_b||^2 n_a n_b / (n_a + n_b),

whose terms are all non-negative. Any batch order or split gives the same moments up to float64
rounding, and two accumulators fed disjoint data merge into the accumulator of their union.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int
from ._checks import check_class_indices, check_layer_features

__all__ = ["CHUNK_ELEMENTS", "ClassMoments", "chunk_rows"]

CHUNK_ELEMENTS = 1 << 21
"""Feature values converted to float64 at a time (16 MB per temporary), whatever the batch."""


def chunk_rows(n_features: int) -> int:
    """Rows per chunk so that one float64 chunk holds about :data:`CHUNK_ELEMENTS` values."""
    return max(1, CHUNK_ELEMENTS // max(1, n_features))


def _row_norms2(A: np.ndarray) -> np.ndarray:
    """Squared Euclidean norm of every row of a 2-D float64 array, shape (n_rows,)."""
    return np.einsum("ij,ij->i", A, A)


class ClassMoments:
    """Per-class counts, float64 feature sums and within-class scatter, accumulated in batches.

    Parameters
    ----------
    n_classes : int
        Number of classes K (>= 2); class indices are 0..K-1.
    n_features : int, optional
        Width D of the layer; taken from the first batch when not given.

    Attributes
    ----------
    counts : ndarray of int64, shape (n_classes,)
        Samples seen per class.
    sums : ndarray of float64, shape (n_classes, n_features)
        Sum of the features per class (None until D is known).
    scatter : ndarray of float64, shape (n_classes,)
        ``sum over samples i of class c of ||h_i - mu_c||^2`` about the current class mean.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.array([[0.0, 0.0], [2.0, 0.0], [5.0, 5.0]])
    >>> m = ClassMoments(2).update(H[:2], [0, 0]).update(H[2:], [1])
    >>> m.means.tolist(), m.variances.tolist()
    ([[1.0, 0.0], [5.0, 5.0]], [1.0, 0.0])
    """

    def __init__(self, n_classes: int, n_features: int | None = None) -> None:
        self.n_classes = check_int("n_classes", n_classes, minimum=2)
        self.n_features: int | None = None
        self.counts = np.zeros(self.n_classes, dtype=np.int64)
        self.sums: np.ndarray | None = None
        self.scatter = np.zeros(self.n_classes, dtype=np.float64)
        if n_features is not None:
            self._set_width(check_int("n_features", n_features, minimum=1))

    def _set_width(self, n_features: int) -> None:
        self.n_features = n_features
        self.sums = np.zeros((self.n_classes, n_features), dtype=np.float64)

    # ------------------------------------------------------------------ accumulating
    def update(self, H: Any, y: Any) -> ClassMoments:
        """Add a batch of samples (in place) and return ``self``.

        Parameters
        ----------
        H : array-like, shape (batch, n_features)
            Features (float32 or float64; any other real dtype is converted). Summed in float64.
        y : array-like of int, shape (batch,)
            Class indices in ``[0, n_classes - 1]``.

        Returns
        -------
        ClassMoments
            ``self``, so that calls chain.
        """
        H = check_layer_features(H, name="H", n_features=self.n_features)
        y = check_class_indices(y, H.shape[0], n_classes=self.n_classes)
        return self._update_checked(H, y)

    def _update_checked(self, H: np.ndarray, y: np.ndarray) -> ClassMoments:
        """:meth:`update` for inputs already validated (chunked, float64 temporaries)."""
        if self.sums is None:
            self._set_width(H.shape[1])
        step = chunk_rows(H.shape[1])
        for start in range(0, H.shape[0], step):
            y_chunk = y[start : start + step]
            order = np.argsort(y_chunk, kind="stable")
            # the chunk sorted by class, in float64: classes are contiguous row blocks
            block = np.asarray(H[start : start + step][order], dtype=np.float64)
            classes, first, count = np.unique(y_chunk[order], return_index=True, return_counts=True)
            sums = np.add.reduceat(block, first, axis=0)
            block -= np.repeat(sums / count[:, None], count, axis=0)
            scatter = np.add.reduceat(_row_norms2(block), first)
            self._combine(classes, count, sums, scatter)
        return self

    def _combine(
        self, classes: np.ndarray, count: np.ndarray, sums: np.ndarray, scatter: np.ndarray
    ) -> None:
        """Chan et al.'s pairwise update with the moments of some classes of other data."""
        assert self.sums is not None
        seen = self.counts[classes]
        total = seen + count
        # difference of the two means; the weight seen * count / total is 0 for a new class
        delta = sums / count[:, None] - self.sums[classes] / np.maximum(seen, 1)[:, None]
        self.scatter[classes] += scatter + (seen * count / total) * _row_norms2(delta)
        self.sums[classes] += sums
        self.counts[classes] = total

    def merge(self, other: ClassMoments) -> ClassMoments:
        """The moments of the union of the data of ``self`` and ``other`` (a new object).

        Parameters
        ----------
        other : ClassMoments
            Fed with other samples of the same classes and layer width.

        Returns
        -------
        ClassMoments
            Neither input is changed.
        """
        if not isinstance(other, ClassMoments):
            raise ValueError(
                f"other must be a ClassMoments; got {type(other).__name__}. Build one with "
                "ClassMoments(n_classes).update(H, y)."
            )
        if other.n_classes != self.n_classes:
            raise ValueError(
                f"other must count the same classes: self has n_classes = {self.n_classes}, "
                f"other has {other.n_classes}."
            )
        if None not in (self.n_features, other.n_features) and (
            self.n_features != other.n_features
        ):
            raise ValueError(
                f"other must hold features of the same width: self has n_features = "
                f"{self.n_features}, other has {other.n_features}."
            )
        out = ClassMoments(self.n_classes)
        for part in (self, other):
            if part.sums is None:
                continue
            if out.sums is None:
                out._set_width(part.sums.shape[1])
            classes = np.flatnonzero(part.counts)
            out._combine(classes, part.counts[classes], part.sums[classes], part.scatter[classes])
        return out

    @classmethod
    def from_features(cls, H: Any, y: Any, n_classes: int) -> ClassMoments:
        """The moments of a whole in-memory layer (processed in float64 row chunks).

        Parameters
        ----------
        H : array-like, shape (n_samples, n_features)
        y : array-like of int, shape (n_samples,)
        n_classes : int

        Returns
        -------
        ClassMoments
        """
        return cls(n_classes).update(H, y)

    # ------------------------------------------------------------------ reading
    @property
    def n_samples(self) -> int:
        """Samples seen, all classes together."""
        return int(self.counts.sum())

    def _require_data(self) -> np.ndarray:
        if self.sums is None:
            raise ValueError(
                "these ClassMoments have seen no sample yet; call update(H, y) with a batch first."
            )
        return self.sums

    @property
    def means(self) -> np.ndarray:
        """Class means, float64 array of shape (n_classes, n_features); NaN rows for classes
        with no sample yet."""
        sums = self._require_data()
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums / self.counts[:, None]

    @property
    def variances(self) -> np.ndarray:
        """``E ||h - mu_c||^2`` per class (total variance, the trace of the class covariance
        with divisor n_c), float64 array of shape (n_classes,); 0 for a one-sample class, NaN
        for a class with no sample."""
        self._require_data()
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.scatter / self.counts

    def __repr__(self) -> str:
        return (
            f"ClassMoments(n_classes={self.n_classes}, n_features={self.n_features}, "
            f"n_samples={self.n_samples})"
        )
