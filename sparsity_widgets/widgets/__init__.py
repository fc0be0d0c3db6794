"""Interactive widgets (ipywidgets 8 + matplotlib), loaded lazily.

Each widget is a controller (parameters, callbacks, computed numbers) plus a pure render
function, so tests can drive it without a browser.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "WelchExplorer": ".welch_explorer",
    "compute_welch_state": ".welch_explorer",
    "render_welch": ".welch_explorer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sparsity_widgets.widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
