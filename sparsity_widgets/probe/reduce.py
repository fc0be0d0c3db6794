"""Width reduction of very wide layers before scoring, seeded and recorded.

The forest's fit time grows with the number of features, so layers wider than ``max_width``
are mapped to ``max_width`` columns first. The method is pluggable; the default is the
randomized truncated SVD the authors' public code used. Which method should be the default is
a measurement question (time, memory and the change in alpha* against the full width) that
the speed issue settles; every result records the method and the widths.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .._validation import check_choice, check_int

__all__ = ["REDUCTIONS", "WidthReduction", "reduce_width"]

REDUCTIONS = ("svd", "gaussian", "sparse", "none")
"""``svd``: randomized truncated SVD (5 power iterations); ``gaussian`` / ``sparse``: random
projections (Johnson-Lindenstrauss); ``none``: score the full width."""


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
    """

    method: str
    width_in: int
    width_out: int
    random_state: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def reduce_width(
    features: np.ndarray,
    *,
    max_width: int = 2500,
    method: str = "svd",
    random_state: int = 0,
) -> tuple[np.ndarray, WidthReduction]:
    """Map features wider than ``max_width`` to ``max_width`` columns.

    Parameters
    ----------
    features : ndarray, shape (n_samples, width)
    max_width : int, default=2500
        Layers at most this wide are returned unchanged (method recorded as ``"none"``).
    method : {"svd", "gaussian", "sparse", "none"}, default="svd"
    random_state : int, default=0

    Returns
    -------
    reduced : ndarray of float32, shape (n_samples, min(width, max_width))
    record : WidthReduction
    """
    check_choice("method", method, REDUCTIONS)
    max_width = check_int("max_width", max_width, minimum=1)
    random_state = check_int("random_state", random_state, minimum=0)
    if features.ndim != 2:
        raise ValueError(f"features must be 2-D (n_samples, width); got shape {features.shape}.")
    n, width = features.shape
    start = time.perf_counter()
    if method == "none" or width <= max_width:
        out = features
        used = "none"
    elif method == "svd":
        if max_width >= n:
            raise ValueError(
                f"max_width must be below n_samples={n} for the SVD reduction; got {max_width}. "
                "Use a smaller max_width or method='gaussian'."
            )
        from sklearn.decomposition import TruncatedSVD

        svd = TruncatedSVD(n_components=max_width, n_iter=5, random_state=random_state)
        out = svd.fit_transform(features)
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
    )
    return out, record
