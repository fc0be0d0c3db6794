"""Width reduction of very wide layers before scoring, seeded and recorded.

The forest's fit time grows with the number of features, so layers wider than ``max_width``
are mapped to ``max_width`` columns first. The method is pluggable and every result records
it with the widths. The default is a sparse random projection, chosen by the width-reduction
study (``sparsity-widgets study width-reduction``, results in
``book/results/width-reduction.json``, discussed in the book's chapter "Estimating tau*"):
on real and synthetic layers it moved alpha* away from the full-width value less than the
randomized truncated SVD the authors' public code used, or exact PCA (medians over layers:
about the same at width 256, 3 to 17 times less at 512 to 2500; one layer of the five went
the other way), and it was more than ten times faster. The forest splits along coordinate axes,
so alpha* is not invariant under rotations of the features and no reduction keeps it exactly
(on the first conv block of the MNIST-1D CNN every method lowered it by about 0.09): compare
layers reduced the same way, or not at all.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .._validation import check_choice, check_int

__all__ = ["REDUCTIONS", "WidthReduction", "reduce_width"]

REDUCTIONS = ("sparse", "gaussian", "svd", "pca-gram", "none")
"""``sparse`` (default) / ``gaussian``: random projections (Johnson-Lindenstrauss), scaled
as scikit-learn does; ``svd``: randomized truncated SVD (``n_iter`` power iterations, 5 as in
the public code); ``pca-gram``: exact PCA from the eigenvectors of the smaller Gram matrix;
``none``: score the full width."""


@dataclass(frozen=True)
class WidthReduction:
    """What was done to a layer's features before scoring.

    Attributes
    ----------
    method : str
        One of :data:`REDUCTIONS`; ``"none"`` when the layer was narrow enough.
    width_in, width_out : int
        Columns before and after.
    random_state : int
    seconds : float
        Wall time of the reduction.
    n_iter : int or None
        Power iterations of the randomized SVD; None for the other methods.
    """

    method: str
    width_in: int
    width_out: int
    random_state: int
    seconds: float
    n_iter: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _pca_gram(features: np.ndarray, n_components: int) -> np.ndarray:
    """Scores on the top principal components, from the smaller of the two Gram matrices.

    With centred columns ``Xc = X - mean``: for ``n <= width`` the eigenvectors ``U`` of the
    (n, n) matrix ``Xc Xc^T`` give the scores ``U sqrt(lambda)``; otherwise those ``V`` of the
    (width, width) matrix ``Xc^T Xc`` give ``Xc V``. The centring is applied to the Gram matrix
    algebraically, so no centred copy of X is made. float32 products, float64 eigensolver.
    """
    from scipy.linalg import eigh

    X = np.asarray(features, dtype=np.float32)
    n, width = X.shape
    mean = X.mean(axis=0, dtype=np.float64)
    if n <= width:
        gram = (X @ X.T).astype(np.float64)
        # centring without a copy: Xc Xc^T = X X^T - r 1^T - 1 r^T + (m . m), r = X m
        row = (X @ mean.astype(np.float32)).astype(np.float64)
        gram -= row[:, None]
        gram -= row[None, :]
        gram += float(mean @ mean)
        values, vectors = eigh(gram, subset_by_index=[n - n_components, n - 1])
        values = np.clip(values[::-1], 0.0, None)
        return vectors[:, ::-1] * np.sqrt(values)
    cov = (X.T @ X).astype(np.float64) - n * np.outer(mean, mean)
    _, vectors = eigh(cov, subset_by_index=[width - n_components, width - 1])
    vectors = vectors[:, ::-1].astype(np.float32)
    return X @ vectors - (mean.astype(np.float32) @ vectors)


def reduce_width(
    features: np.ndarray,
    *,
    max_width: int = 2500,
    method: str = "sparse",
    random_state: int = 0,
    n_iter: int = 5,
) -> tuple[np.ndarray, WidthReduction]:
    """Map features wider than ``max_width`` to ``max_width`` columns.

    Parameters
    ----------
    features : ndarray, shape (n_samples, width)
    max_width : int, default=2500
        Layers at most this wide are returned unchanged (method recorded as ``"none"``).
    method : {"sparse", "gaussian", "svd", "pca-gram", "none"}, default="sparse"
        See :data:`REDUCTIONS`.
    random_state : int, default=0
    n_iter : int, default=5
        Power iterations of ``method="svd"`` (ignored by the others).

    Returns
    -------
    reduced : ndarray of float32, shape (n_samples, min(width, max_width))
    record : WidthReduction
    """
    check_choice("method", method, REDUCTIONS)
    max_width = check_int("max_width", max_width, minimum=1)
    random_state = check_int("random_state", random_state, minimum=0)
    n_iter = check_int("n_iter", n_iter, minimum=0)
    if features.ndim != 2:
        raise ValueError(f"features must be 2-D (n_samples, width); got shape {features.shape}.")
    n, width = features.shape
    start = time.perf_counter()
    if method == "none" or width <= max_width:
        out = features
        used = "none"
    elif method in ("svd", "pca-gram"):
        if max_width >= n:
            raise ValueError(
                f"max_width must be below n_samples={n} for method={method!r}; got {max_width}. "
                "Use a smaller max_width or a random projection (method='sparse')."
            )
        if method == "svd":
            from sklearn.decomposition import TruncatedSVD

            svd = TruncatedSVD(n_components=max_width, n_iter=n_iter, random_state=random_state)
            out = svd.fit_transform(features)
        else:
            out = _pca_gram(features, max_width)
        used = method
    else:
        from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection

        cls = GaussianRandomProjection if method == "gaussian" else SparseRandomProjection
        out = cls(n_components=max_width, random_state=random_state).fit_transform(features)
        used = method
    out = np.ascontiguousarray(out, dtype=np.float32)
    record = WidthReduction(
        method=used,
        width_in=int(width),
        width_out=int(out.shape[1]),
        random_state=random_state,
        seconds=time.perf_counter() - start,
        n_iter=n_iter if used == "svd" else None,
    )
    return out, record
