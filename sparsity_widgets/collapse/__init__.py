"""Neural collapse and nearest class centers (NCC) in a layer's features: numpy only.

- :mod:`.moments`: streaming float64 class counts, sums and within-class scatter (mergeable).
- :mod:`.geometry`: class means, their centred SVD truncated at rank K - 1, NCC predictions.
- :mod:`.variability`: NC1 = tr(Sigma_W Sigma_B^+) / K = ||Z M^+||_F^2 / N, no D x D matrix.
- :mod:`.plane`: the class means and within-class covariances in the means' leading plane.
- :mod:`.measures`: CDNV, NC2 (ETF error, equinorm, equiangularity) and NC3 from the means.
- :mod:`.metrics`: :func:`collapse_metrics`, everything for one layer in two passes.
- :mod:`.result`: :class:`CollapseMetrics` with a JSON round trip.
- :mod:`.dense`: :func:`nc1_dense`, the D x D reference (scipy) for tests and benchmarks.

Names are loaded lazily: importing this package pulls in neither torch, ipywidgets,
matplotlib nor scipy.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "RANK_RTOL": ".geometry",
    "ClassGeometry": ".geometry",
    "ClassMoments": ".moments",
    "ClassPlane": ".plane",
    "CollapseMetrics": ".result",
    "NC1Accumulator": ".variability",
    "cdnv": ".measures",
    "collapse_metrics": ".metrics",
    "equiangularity": ".measures",
    "equinorm_cv": ".measures",
    "etf_error": ".measures",
    "metrics_from_passes": ".metrics",
    "nc1": ".variability",
    "nc1_dense": ".dense",
    "self_duality": ".measures",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
