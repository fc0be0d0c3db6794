"""The browser-side widgets by kind: their JavaScript, its Python twin and the controls.

Every widget that computes in the reader's browser is registered here under a ``kind``. The
entry names the files of its ES module (``esm_files``, concatenated by
:func:`~sparsity_widgets.widgets.browser.esm_source`), the exported JavaScript function that
turns the widget's state into what the page shows (``js_function``), the Python twin that does
the same with numpy (``compute``) and the traits a reader moves (``controls``).

The contract the views keep (``view_common.js``) and the tests rely on:

- a view's root element carries ``data-sw-kind`` and ``data-sw-uid`` (the widget's ``uid``);
- each control carries ``data-sw-control="<trait>"``: an ``input[type=range]``, a ``select``,
  or a group of buttons with ``data-sw-option="<value>"`` each;
- after every update the root carries ``data-sw-settings`` (JSON of the control traits) and
  ``data-sw-shown`` (JSON of ``js_function(state)``: what the view displays, at full
  precision).

So a test that knows nothing of a widget can read its saved state from a built page, move every
control and compare the page with ``compute({**state, **settings})`` (``tests/test_book.py``),
and a parity test can run ``js_function`` and ``compute`` on the same fixed states
(:func:`parity_cases`, ``tests/test_widgets_static.py``).

Nothing here imports ipywidgets or anywidget.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["TWIN_MODULES", "Twin", "compare_shown", "json_view", "register", "twin", "twins"]

#: modules that register a twin when imported (in the order the tests list them)
TWIN_MODULES = (
    "tau_window",
    "collapse_window",
    "curve_set",
    "welch_bounds",
    "sawtooth_window",
    "lemma_sums",
    "mterm_window",
    "tree_window",
)

_TWINS: dict[str, Twin] = {}


@dataclass(frozen=True)
class Twin:
    """One browser-side widget: its JavaScript and the Python that must agree with it.

    Attributes
    ----------
    kind : str
        Name of the widget kind (``data-sw-kind`` on its root), e.g. ``"epsilon-window"``.
    esm_files : tuple of str
        Files of ``sparsity_widgets/widgets/browser`` that make its ES module, in order.
    js_function : str
        Exported JavaScript function ``(state) -> shown`` (state: the widget's traits).
    compute : callable
        Python twin ``(state: Mapping) -> dict``: the same keys and values as ``js_function``.
    controls : tuple of str
        Traits a reader moves (each has a ``data-sw-control`` element in the view).
    cases : callable
        ``() -> iterable of state dicts``: fixed inputs of the parity test (small, JSON-ready).
    """

    kind: str
    esm_files: tuple[str, ...]
    js_function: str
    compute: Callable[[Mapping[str, Any]], dict[str, Any]]
    controls: tuple[str, ...]
    cases: Callable[[], Iterable[dict[str, Any]]]


def register(entry: Twin) -> Twin:
    """Add a twin to the registry (a module does it once, when imported).

    Parameters
    ----------
    entry : Twin

    Returns
    -------
    Twin
        ``entry``, so a module can keep it as a constant.
    """
    known = _TWINS.get(entry.kind)
    if known is not None and known != entry:
        raise ValueError(f"kind {entry.kind!r} is registered twice ({known.compute.__module__}).")
    _TWINS[entry.kind] = entry
    return entry


def twins() -> dict[str, Twin]:
    """Every registered twin by kind (imports the modules of :data:`TWIN_MODULES` first).

    Returns
    -------
    dict
    """
    for name in TWIN_MODULES:
        importlib.import_module(f"{__package__}.{name}")
    return dict(_TWINS)


def twin(kind: str) -> Twin:
    """The twin of one widget kind.

    Parameters
    ----------
    kind : str
        As on the widget's root (``data-sw-kind``).

    Returns
    -------
    Twin
    """
    known = twins()
    if kind not in known:
        raise ValueError(f"kind must be one of {sorted(known)}; got {kind!r}.")
    return known[kind]


def _close(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return a == b
        return abs(a - b) <= tol * max(1.0, abs(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tol) for k in a)
    return a == b


def compare_shown(js: Mapping[str, Any], python: Mapping[str, Any], tol: float = 1e-9) -> list[str]:
    """Where the page's values differ from the twin's: an empty list when they agree.

    Numbers agree within ``tol``, absolute up to magnitude 1 and relative above it (a sum of
    1e10 is compared to its last ten digits, as doubles carry them); strings, booleans and
    ``None`` exactly; lists and dicts element by element. JSON has no NaN or infinity: the page
    writes them as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (``jsonShown`` of
    ``view_common.js``), and a twin's float is compared in that form.

    Parameters
    ----------
    js, python : mapping
        What ``js_function`` returned (read back as JSON) and what ``compute`` returned.
    tol : float
        Tolerance for numbers (the issue's parity bound is 1e-9): ``|a - b| <= tol * max(1,
        |b|)``.

    Returns
    -------
    list of str
        One line per differing key.
    """
    problems = []
    for key in sorted(set(js) | set(python)):
        if key not in js or key not in python:
            problems.append(f"{key}: only in {'the page' if key in js else 'Python'}")
            continue
        if not _close(js[key], json_view(python[key]), tol):
            problems.append(f"{key}: page {js[key]!r} != Python {python[key]!r}")
    return problems


def json_view(value: Any) -> Any:
    """A twin's value as the page's JSON carries it (NaN -> "NaN", inf -> "Infinity")."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if hasattr(value, "tolist"):
        return json_view(value.tolist())
    if isinstance(value, (list, tuple)):
        return [json_view(v) for v in value]
    if isinstance(value, Mapping):
        return {k: json_view(v) for k, v in value.items()}
    return value
