"""Interactive widgets (ipywidgets 8 + matplotlib), loaded lazily.

Each widget is a controller (parameters, callbacks, computed numbers) plus a pure render
function, so tests can drive it without a browser.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "WelchArtists": ".welch_explorer",
    "WelchExplorer": ".welch_explorer",
    "WelchBounds": ".welch_bounds",
    "compute_welch_state": ".welch_explorer",
    "random_welch_state": ".welch_explorer",
    "render_welch": ".welch_explorer",
    "update_welch_artists": ".welch_explorer",
    "EpsilonExplorer": ".epsilon_explorer",
    "EpsilonWindow": ".epsilon_window",
    "MTermWindow": ".mterm_window",
    "TreeWindow": ".tree_window",
    "LemmaSums": ".lemma_sums",
    "CurveSet": ".curve_set",
    "EpsilonState": ".epsilon_explorer",
    "PngFigure": ".epsilon_explorer",
    "compute_epsilon_state": ".epsilon_explorer",
    "render_epsilon": ".epsilon_explorer",
    "LayerPicker": ".layer_picker",
    "LayerState": ".layer_picker",
    "compute_layer_state": ".layer_picker",
    "TreeWaveletViewer": ".tree_viewer",
    "fit_tree_view": ".tree_viewer",
    "mterm_view": ".tree_viewer",
    "render_tree_view": ".tree_viewer",
    "SawtoothDemo": ".sawtooth_demo",
    "SawtoothWindow": ".sawtooth_window",
    "SawtoothState": ".sawtooth_demo",
    "compute_sawtooth_state": ".sawtooth_demo",
    "CollapseExplorer": ".collapse_explorer",
    "CollapseWindow": ".collapse_window",
    "CollapseState": ".collapse_explorer",
    "compute_collapse_state": ".collapse_explorer",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
