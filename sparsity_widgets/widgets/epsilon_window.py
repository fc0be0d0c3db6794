"""The epsilon explorer that computes in the reader's browser (anywidget).

:class:`EpsilonWindow` stores a sparsity curve's arrays in its state and carries a JavaScript
model (``browser/tau_window.js``) that recomputes tau* and alpha* for any eps window, either
rule and any tau range, plus a view that draws Figure 4 as SVG. The same code runs in
JupyterLab and Voila (with a kernel) and in the static HTML of the book (no kernel): the book
serves anywidget's front-end from ``_static/`` (``book/_ext/offline_assets.py``), so the ipywidgets
HTML manager loads it with require.js instead of a CDN.

With a kernel, every move also reaches Python, which recomputes the setting with the twin
(:func:`~sparsity_widgets.widgets.browser.tau_window.window_shown`) into :attr:`result` and
echoes it to the page (``python_check``), where the view shows Python's value next to its own
(:class:`~sparsity_widgets.widgets.browser_widget.BrowserWidget`).
"""

from __future__ import annotations

from typing import Any

import traitlets as T

from ._choices import position_of
from .browser.tau_window import EPSILON_WINDOW, WindowResult, curve_payload, tau_star_window
from .browser_widget import BrowserWidget
from .epsilon_explorer import EPS_SLIDER_MAX, _Sources, window_start

__all__ = ["EpsilonWindow"]


class EpsilonWindow(BrowserWidget):
    """Epsilon explorer with a browser-side model: tau* for any eps window, kernel or not.

    Parameters
    ----------
    source : WaveletForest, SparsityCurve, LayerScore or ProbeResult
        As for :class:`~sparsity_widgets.widgets.EpsilonExplorer`; one curve is stored.
    layer : str or int, optional
        For a ProbeResult: the layer (name or position; default the last).
    seed : int, optional
        For a ProbeResult: the seed (default the first run's).
    n_trees : int, optional
        J; taken from a ProbeResult's settings, required with a LayerScore.
    taus : array-like, optional
        For a forest: the tau grid (default :func:`~sparsity_widgets.default_tau_grid`).
    rule : {"paper", "public-code"}
    eps_low, eps_high : float, optional
        Start values in the rule's unit (its defaults when omitted).
    title : str, optional
        Shown above the controls (default: a description of the source).

    Attributes
    ----------
    result : dict
        Python's answer for the current setting (what the browser shows):
        :func:`~sparsity_widgets.widgets.browser.tau_window.window_shown`.
    window : WindowResult
        The same setting's full result (angles, window, selection).
    """

    kind = EPSILON_WINDOW.kind
    curve = T.Dict().tag(sync=True)
    rule = T.Unicode("paper").tag(sync=True)
    eps_low = T.Float(0.1).tag(sync=True)
    eps_high = T.Float(0.4).tag(sync=True)
    tau_min = T.Float(0.0).tag(sync=True)
    tau_max = T.Float(2.0).tag(sync=True)
    eps_slider_max = T.Dict(dict(EPS_SLIDER_MAX)).tag(sync=True)

    def __init__(
        self,
        source: Any,
        *,
        layer: str | int | None = None,
        seed: int | None = None,
        n_trees: int | None = None,
        taus: Any = None,
        rule: str = "paper",
        eps_low: float | None = None,
        eps_high: float | None = None,
        title: str | None = None,
    ) -> None:
        low, high = window_start(rule, eps_low, eps_high)
        sources = _Sources(source, n_trees, taus)
        run, index = 0, 0
        if sources.layer_names:
            names = sources.layer_names
            index = position_of(layer, names)
            if seed is not None:
                if seed not in sources.seeds:
                    raise ValueError(f"seed must be one of {sources.seeds}; got {seed}.")
                run = sources.seeds.index(seed)
        curve = sources.curve(run, index)
        super().__init__(
            curve=curve_payload(curve),
            title=sources.title(run, index) if title is None else title,
            rule=rule,
            eps_low=low,
            eps_high=high,
            tau_min=float(curve.taus[0]),
            tau_max=float(curve.taus[-1]),
        )

    @property
    def window(self) -> WindowResult:
        """The current setting's full result, from the Python twin."""
        return tau_star_window(
            self.curve, self.rule, self.eps_low, self.eps_high, self.tau_min, self.tau_max
        )
