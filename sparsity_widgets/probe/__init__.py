"""The Sparsity Probe on PyTorch models: layer features, per-layer scores, results and plots.

Needs the ``[torch]`` extra. ``features``, ``run``, ``collapse`` and ``collapse_epochs`` import
torch; ``score``, ``baseline``, ``result``, ``collapse_result`` and ``collapse_epochs_result``
work on plain arrays and JSON.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "BASELINES": ".baseline",
    "ControlledAlpha": ".baseline",
    "controlled_alpha": ".baseline",
    "CollapseOverTraining": ".collapse_epochs_result",
    "CollapseProbe": ".collapse_result",
    "INPUT": ".features",
    "LayerScore": ".result",
    "ProbeResult": ".result",
    "ProbeSettings": ".score",
    "REDUCTIONS": ".reduce",
    "SeedRun": ".result",
    "WidthReduction": ".reduce",
    "default_layers": ".run",
    "extract_features": ".features",
    "interpolation_epoch": ".collapse_epochs_result",
    "layer_umap": ".score",
    "list_layers": ".features",
    "plot_alpha_per_layer": ".plots",
    "plot_layer_umap": ".plots",
    "probe_checkpoints": ".run",
    "probe_collapse": ".collapse",
    "probe_collapse_checkpoints": ".collapse_epochs",
    "probe_model": ".run",
    "reduce_width": ".reduce",
    "resolve_device": ".features",
    "score_layer": ".score",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
