"""Browser-side models of the widgets: JavaScript shipped as package data, with Python twins.

The built book has no kernel, so a widget that should answer there carries a small JavaScript
model (``*.js`` in this folder) that recomputes cheap things from arrays Python stored in the
widget's state. Each JavaScript computation has a pure-numpy twin here (same steps, same order
of floating-point operations), and the tests run the JavaScript in Chromium against the twin.

Nothing in this sub-package imports ipywidgets or anywidget: the twins are importable with the
core dependencies only.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["esm_source", "js_source"]


def js_source(name: str) -> str:
    """The text of one JavaScript file of this package.

    Parameters
    ----------
    name : str
        File name in ``sparsity_widgets/widgets/browser``, e.g. ``"tau_window.js"``.

    Returns
    -------
    str
    """
    files = resources.files(__name__)
    path = files.joinpath(name)
    if not name.endswith(".js") or not path.is_file():
        shipped = sorted(p.name for p in files.iterdir() if p.name.endswith(".js"))
        raise ValueError(
            f"name must be one of the package's JavaScript files {shipped}; got {name!r}."
        )
    return path.read_text(encoding="utf-8")


def esm_source(*names: str) -> str:
    """One ES module made of several files of this package, in order.

    A widget's front-end is imported from a single string (anywidget's ``_esm``), which cannot
    import its neighbours; the files are therefore concatenated: a view file uses the functions
    a model file before it defines (and exports, for the parity tests).

    Parameters
    ----------
    *names : str
        File names, e.g. ``("tau_window.js", "epsilon_window_view.js")``.

    Returns
    -------
    str
    """
    if not names:
        raise ValueError("esm_source needs at least one file name; got none.")
    return "\n".join(f"// ---- {name}\n{js_source(name)}" for name in names)
