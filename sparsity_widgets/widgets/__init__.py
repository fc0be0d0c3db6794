"""Interactive widgets (ipywidgets 8 + matplotlib), loaded lazily.

Each widget is a controller (parameters, callbacks, computed numbers) plus a pure render
function, so tests can drive it without a browser.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "WelchExplorer": ".welch_explorer",
    "compute_welch_state": ".welch_explorer",
    "render_welch": ".welch_explorer",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
