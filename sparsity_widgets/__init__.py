"""sparsity_widgets: the Sparsity Probe and friends.

The public names below are loaded lazily (PEP 562), so ``import sparsity_widgets._numerics``
pulls in numpy and numba only. The core needs numpy, scikit-learn and numba; torch, matplotlib
and ipywidgets are imported by the sub-modules that need them, never here.
"""

from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "FlatForest": ".flat_forest",
    "MTermCurve": ".approximation",
    "MTermSlope": ".approximation",
    "SmallSampleWarning": ".forest",
    "SparsityCurve": ".tau_star",
    "TauStarEstimate": ".tau_star",
    "WaveletForest": ".forest",
    "default_tau_grid": ".tau_star",
    "estimate_tau_star": ".tau_star",
    "sparsity_curve": ".tau_star",
    "tau_sparsity": ".tau_star",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
