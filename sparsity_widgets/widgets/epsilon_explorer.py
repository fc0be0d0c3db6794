"""Epsilon explorer: re-estimate tau* live from a cached sparsity curve (Figure 4 of the paper).

Sliders move the window parameters ``eps_low`` and ``eps_high`` and the range of the tau grid;
a toggle switches between the paper's rule (radians) and the public code's rule (degrees). The
source is a fitted :class:`~sparsity_widgets.WaveletForest`, a
:class:`~sparsity_widgets.SparsityCurve`, or a saved probe score
(:class:`~sparsity_widgets.probe.LayerScore`, or a :class:`~sparsity_widgets.probe.ProbeResult`
with a layer and a seed to choose). Nothing here ever fits a forest: the curve of each source is
built once and cached, and a slider move costs one window selection plus a redraw.

The redraw is fast because only what an epsilon changes is redrawn: the picture is rendered
once with Agg, and a move restores that background and draws the selected taus, the window,
the tau* lines and the title on top (blitting), then encodes a PNG for an ``ipywidgets.Image``.

:class:`PngFigure` (that drawing surface) is shared by the other widgets of this package.

This explorer needs a Python kernel. :class:`~sparsity_widgets.widgets.epsilon_window.EpsilonWindow`
is the same explorer (one curve) computed in the browser, which also answers in the static book.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tau_star import (
    DEFAULT_EPSILONS,
    RULES,
    SparsityCurve,
    TauStarEstimate,
    curve_from_arrays,
    estimate_tau_star,
)

__all__ = [
    "EPS_SLIDER_MAX",
    "EpsilonArtists",
    "EpsilonExplorer",
    "EpsilonState",
    "PngFigure",
    "compute_epsilon_state",
    "render_epsilon",
    "restrict_curve",
    "update_epsilon_artists",
    "window_start",
]

#: Largest epsilon each rule's sliders offer (radians for the paper, degrees for the code).
EPS_SLIDER_MAX = {"paper": 1.5, "public-code": 5.0}
_UNITS = {"paper": "rad", "public-code": "deg"}
_ERROR_COLOR = "#b00020"


# ---------------------------------------------------------------------- drawing surface
class PngFigure:
    """A matplotlib Figure drawn with Agg into an ``ipywidgets.Image``, with blitting.

    :meth:`draw` renders everything and remembers the picture without the *dynamic* artists;
    :meth:`blit` redraws only those on top of it. Both publish a PNG to :attr:`image`.

    Parameters
    ----------
    figsize : (float, float)
        Inches.
    dpi : int
        Pixels per inch of the PNG.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    image : ipywidgets.Image
    png : bytes
        The last published picture.
    n_full_draws, n_blits : int
        How often each path ran (for tests and benchmarks).
    """

    def __init__(self, figsize: tuple[float, float], dpi: int = 90) -> None:
        import ipywidgets as W
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        width = round(figsize[0] * dpi)
        self.image = W.Image(format="png", layout=W.Layout(width=f"{width}px", max_width="100%"))
        self.png = b""
        self.n_full_draws = 0
        self.n_blits = 0
        self._background: Any = None
        self._dynamic: list[Any] = []

    def draw(self, dynamic: Sequence[Any] = ()) -> None:
        """Render the whole figure; ``dynamic`` artists may later be redrawn by :meth:`blit`."""
        self._dynamic = [a for a in dynamic if a is not None]
        for artist in self._dynamic:
            artist.set_animated(True)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        for artist in self._dynamic:
            self.figure.draw_artist(artist)
        self.n_full_draws += 1
        self._publish()

    def blit(self) -> None:
        """Redraw the dynamic artists over the saved background (after :meth:`draw`)."""
        if self._background is None:
            raise RuntimeError("PngFigure.blit needs a full draw() first.")
        self.canvas.restore_region(self._background)
        for artist in self._dynamic:
            self.figure.draw_artist(artist)
        self.n_blits += 1
        self._publish()

    def _publish(self) -> None:
        from PIL import Image

        rgba = np.asarray(self.canvas.buffer_rgba())
        buffer = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=1)
        self.png = buffer.getvalue()
        self.image.value = self.png


# ---------------------------------------------------------------------- numbers
def restrict_curve(curve: SparsityCurve, tau_min: float, tau_max: float) -> SparsityCurve:
    """The part of a curve whose taus lie in ``[tau_min, tau_max]`` (no refit).

    Parameters
    ----------
    curve : SparsityCurve
    tau_min, tau_max : float
        Bounds, inclusive (to within 1e-9).

    Returns
    -------
    SparsityCurve
        ``curve`` itself when the range covers the whole grid.

    Raises
    ------
    ValueError
        If fewer than 3 taus of the grid lie in the range.
    """
    taus = curve.taus
    keep = (taus >= tau_min - 1e-9) & (taus <= tau_max + 1e-9)
    if keep.all():
        return curve
    if keep.sum() < 3:
        raise ValueError(
            f"the tau range [{tau_min:.3f}, {tau_max:.3f}] holds {int(keep.sum())} grid "
            f"point(s); it needs at least 3 (the grid runs from {taus[0]:.3f} to "
            f"{taus[-1]:.3f}). Widen the range."
        )
    return curve_from_arrays(
        taus[keep],
        curve.log_sparsity[keep],
        curve.n_trees,
        curve.log_inverse_sum[keep],
        curve.n_wavelets,
    )


@dataclass(frozen=True)
class EpsilonState:
    """What the explorer shows for one setting of its controls.

    Attributes
    ----------
    title : str
        Which curve (source, layer, seed).
    rule : str
    eps_low, eps_high : float
        In the rule's unit.
    tau_range : (float, float)
    curve : SparsityCurve or None
        The curve restricted to ``tau_range`` (None when the range was invalid).
    estimate : TauStarEstimate or None
        None when the setting gave no estimate; ``message`` then says why.
    message : str or None
    """

    title: str
    rule: str
    eps_low: float
    eps_high: float
    tau_range: tuple[float, float]
    curve: SparsityCurve | None
    estimate: TauStarEstimate | None
    message: str | None

    @property
    def unit(self) -> str:
        """``"rad"`` or ``"deg"``."""
        return _UNITS[self.rule]

    def summary_html(self) -> str:
        """One line of HTML: tau*, alpha* and the window, or the message."""
        if self.estimate is None:
            return f'<span style="color:{_ERROR_COLOR}"><b>no estimate</b>: {self.message}</span>'
        e = self.estimate
        taus = e.selected_taus
        return (
            f"<b>tau* = {e.tau_star:.3f}</b>, <b>alpha* = {e.alpha_star:.3f}</b> "
            f"&middot; {self.rule} rule, eps = [{self.eps_low:.2f}, {self.eps_high:.2f}] "
            f"{self.unit} &middot; {taus.size} of {e.taus.size} taus selected, in "
            f"[{taus.min():.3f}, {taus.max():.3f}]"
        )


def compute_epsilon_state(
    curve: SparsityCurve,
    rule: str = "paper",
    eps_low: float | None = None,
    eps_high: float | None = None,
    tau_range: tuple[float, float] | None = None,
    *,
    title: str = "",
) -> EpsilonState:
    """Estimate tau* for one setting; bad settings give a message instead of raising.

    Parameters
    ----------
    curve : SparsityCurve
        The full curve of the source.
    rule : {"paper", "public-code"}
    eps_low, eps_high : float, optional
        Window parameters in the rule's unit (defaults: the rule's).
    tau_range : (float, float), optional
        Restrict the grid; the whole grid when omitted.
    title : str
        Carried into the state.

    Returns
    -------
    EpsilonState
        ``estimate`` is None and ``message`` says why when the window is malformed
        (``eps_low >= eps_high``), no tau falls in it, or the range holds too few taus.
        An unknown ``rule`` still raises (it is a programming error, not a slider value).
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}; got {rule!r}.")
    low = DEFAULT_EPSILONS[rule][0] if eps_low is None else float(eps_low)
    high = DEFAULT_EPSILONS[rule][1] if eps_high is None else float(eps_high)
    span = (float(curve.taus[0]), float(curve.taus[-1])) if tau_range is None else tau_range
    span = (float(span[0]), float(span[1]))
    try:
        restricted = restrict_curve(curve, *span)
    except ValueError as exc:
        return EpsilonState(title, rule, low, high, span, None, None, str(exc))
    message = None
    estimate = None
    if rule == "public-code" and not np.isfinite(restricted.log_inverse_sum).any():
        message = (
            "the public-code rule needs log(sum n^(tau - 1)), which this saved score does not "
            "hold (it was probed before log_inverse_sum was recorded); use the paper rule or "
            "probe the layer again."
        )
    else:
        try:
            estimate = estimate_tau_star(restricted, rule, low, high)
        except ValueError as exc:
            message = str(exc)
    return EpsilonState(title, rule, low, high, span, restricted, estimate, message)


# ---------------------------------------------------------------------- view
@dataclass
class EpsilonArtists:
    """The artists an epsilon move changes (drawn over a saved background).

    Attributes
    ----------
    selected_n, selected_angle : PathCollection
        The selected taus on the log N_tau and the angle panels.
    tau_line_n, tau_line_angle : Line2D
        The tau* lines.
    window : Patch
        The window band on the angle panel.
    numbers : Text
        The line under the figure title with the rule, tau*, alpha* and the window.
    """

    selected_n: Any
    selected_angle: Any
    tau_line_n: Any
    tau_line_angle: Any
    window: Any
    numbers: Any

    @property
    def dynamic(self) -> list[Any]:
        """All of them, in drawing order."""
        return [
            self.window,
            self.selected_n,
            self.selected_angle,
            self.tau_line_n,
            self.tau_line_angle,
            self.numbers,
        ]


def _numbers_line(state: EpsilonState) -> str:
    e = state.estimate
    assert e is not None
    return (
        f"rule {e.rule}: tau* = {e.tau_star:.3f}, alpha* = {e.alpha_star:.3f} "
        f"(eps = [{state.eps_low:.2f}, {state.eps_high:.2f}] {state.unit})"
    )


def render_epsilon(state: EpsilonState, fig: Any) -> EpsilonArtists | None:
    """Draw Figure 4 for a state into ``fig`` (cleared first).

    With an estimate: log N_tau with the selected taus (left), the derivative angle with the
    window and tau* (right), via :func:`sparsity_widgets.plotting.plot_tau_estimate`. Without
    one: the curve (when known) and the message.

    Parameters
    ----------
    state : EpsilonState
    fig : matplotlib.figure.Figure

    Returns
    -------
    EpsilonArtists or None
        The artists :func:`update_epsilon_artists` moves; None when there is no estimate.
    """
    from ..plotting import plot_tau_estimate

    fig.clear()
    ax_n, ax_a = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.82, wspace=0.25)
    e = state.estimate
    if e is None:
        if state.curve is not None:
            taus, log_n = state.curve.taus, state.curve.log_sparsity
            finite = np.isfinite(log_n)
            ax_n.plot(taus[finite], log_n[finite], color="#1b374d")
            visible = finite & (taus >= min(0.25, taus[-3]))  # as Figure 4 frames it
            if visible.any():
                low_y, high_y = log_n[visible].min(), log_n[visible].max()
                pad = 0.05 * max(high_y - low_y, 1e-12)
                ax_n.set_ylim(low_y - pad, high_y + pad)
        ax_n.set_xlabel(r"$\tau$")
        ax_n.set_ylabel(r"$\log N_\tau$")
        ax_a.set_axis_off()
        ax_a.text(
            0.0,
            0.5,
            "no estimate:\n" + textwrap.fill(state.message or "", 60),
            color=_ERROR_COLOR,
            fontsize=9,
            va="center",
            transform=ax_a.transAxes,
        )
        fig.suptitle(f"{state.title}\nno tau* for this setting", fontsize=10)
        return None
    plot_tau_estimate(e, (ax_n, ax_a))
    fig.suptitle(state.title, fontsize=10, y=0.98)
    numbers = fig.text(0.5, 0.91, "", ha="center", va="top", fontsize=10)
    ax_a.legend(loc="upper left", fontsize=8)  # the lower right is where the window lies
    # the artists plot_tau_estimate made, in the order it made them
    (selected_n,) = ax_n.collections
    tau_line_n = ax_n.lines[1]
    (selected_angle,) = ax_a.collections
    tau_line_angle = ax_a.lines[1]
    (window,) = ax_a.patches
    # fix the angle axis so that the window can move within the slider's range
    finite = e.angles[np.isfinite(e.angles)]
    reach = EPS_SLIDER_MAX[state.rule]
    if state.unit == "deg":  # the public-code window is -90 +- eps_high
        lowest, highest = -90.0 - reach, -90.0 + reach
    else:  # the paper's window is [-pi/2 + eps_low, -pi/2 + eps_high]
        lowest, highest = -math.pi / 2, -math.pi / 2 + reach
    lowest = min(lowest, finite.min(initial=lowest))
    highest = max(highest, finite.max(initial=highest))
    pad = 0.04 * (highest - lowest)
    ax_a.set_ylim(lowest - pad, highest + pad)
    ax_a.set_xlim(e.taus[0] - 0.02, e.taus[-1] + 0.02)
    ax_n.set_xlim(e.taus[0] - 0.02, e.taus[-1] + 0.02)
    artists = EpsilonArtists(
        selected_n=selected_n,
        selected_angle=selected_angle,
        tau_line_n=tau_line_n,
        tau_line_angle=tau_line_angle,
        window=window,
        numbers=numbers,
    )
    numbers.set_text(_numbers_line(state))
    return artists


def update_epsilon_artists(state: EpsilonState, artists: EpsilonArtists) -> None:
    """Move the window, selected taus, tau* lines and title to a new estimate of the same curve.

    Parameters
    ----------
    state : EpsilonState
        With an estimate, of the curve and rule ``artists`` were drawn for.
    artists : EpsilonArtists
        From :func:`render_epsilon`.
    """
    e = state.estimate
    if e is None:
        raise ValueError("update_epsilon_artists needs a state with an estimate; got none.")
    sel = e.selected
    artists.selected_n.set_offsets(np.column_stack([e.taus[sel], e.log_sparsity[sel]]))
    artists.selected_angle.set_offsets(np.column_stack([e.taus[sel], e.angles[sel]]))
    artists.tau_line_n.set_xdata([e.tau_star, e.tau_star])
    artists.tau_line_angle.set_xdata([e.tau_star, e.tau_star])
    low, high = e.window
    window = artists.window
    if hasattr(window, "set_height"):  # Rectangle (matplotlib >= 3.9)
        window.set_y(low)
        window.set_height(high - low)
    else:  # Polygon
        xy = window.get_xy()
        xy[:, 1] = [low, high, high, low, low][: xy.shape[0]]
        window.set_xy(xy)
    artists.numbers.set_text(_numbers_line(state))


# ---------------------------------------------------------------------- sources
def _is_forest(obj: Any) -> bool:
    return hasattr(obj, "sparsity_curve") and hasattr(obj, "nodes_")


class _Sources:
    """Turns the explorer's input into named curves, each built once."""

    def __init__(self, source: Any, n_trees: int | None, taus: Any) -> None:
        from ..probe.result import LayerScore, ProbeResult, SeedRun

        self.result: ProbeResult | None = None
        self.single_layer = False
        self._curves: dict[tuple[int, int], SparsityCurve] = {}
        if isinstance(source, ProbeResult):
            if not source.runs or not source.layer_names:
                raise ValueError("source must be a ProbeResult with at least one run and layer.")
            trees = source.settings.get("n_trees") if n_trees is None else n_trees
            if trees is None:
                raise ValueError(
                    "n_trees must be given: the result's settings do not record 'n_trees' "
                    "(the number of trees J in N_tau)."
                )
            self.result = source
            self.n_trees = int(trees)
            self.name = source.label
        elif isinstance(source, LayerScore):
            if n_trees is None:
                raise ValueError(
                    "n_trees must be given with a LayerScore (the number of trees J of its "
                    "forest, settings['n_trees'] of its ProbeResult); got None."
                )
            self.result = ProbeResult(
                source.name, "", "", {"n_trees": n_trees}, [SeedRun(seed=0, layers=[source])]
            )
            self.single_layer = True
            self.n_trees = int(n_trees)
            self.name = f"layer {source.name}"
        elif isinstance(source, SparsityCurve):
            self._curves[(0, 0)] = source
            self.name = f"curve of {source.n_wavelets} wavelets, J = {source.n_trees}"
        elif _is_forest(source):
            curve = source.sparsity_curve(taus)
            self._curves[(0, 0)] = curve
            self.name = (
                f"forest: {curve.n_trees} trees, {curve.n_wavelets} wavelets, "
                f"n = {source.n_samples_fit_}"
            )
        else:
            raise ValueError(
                "source must be a fitted WaveletForest, a SparsityCurve, a probe LayerScore or "
                f"a ProbeResult; got {type(source).__name__}."
            )

    @property
    def layer_names(self) -> list[str]:
        """Layers to choose from (none for a forest, a curve or a single LayerScore)."""
        if self.result is None or self.single_layer:
            return []
        return self.result.layer_names

    @property
    def seeds(self) -> list[int]:
        return [run.seed for run in self.result.runs] if self.result is not None else []

    def curve(self, run: int, layer: int) -> SparsityCurve:
        key = (run, layer) if self.result is not None else (0, 0)
        if key not in self._curves:
            score = self.result.runs[run].layers[layer]
            self._curves[key] = curve_from_arrays(
                score.taus,
                score.log_sparsity,
                self.n_trees,
                score.log_inverse_sum,
                score.n_wavelets,
            )
        return self._curves[key]

    def title(self, run: int, layer: int) -> str:
        if self.result is None or self.single_layer:
            return self.name
        return f"{self.name}: layer {self.layer_names[layer]}, seed {self.seeds[run]}"


def window_start(rule: str, eps_low: float | None, eps_high: float | None) -> tuple[float, float]:
    """The start of an eps window's sliders: the rule's defaults where omitted, checked.

    Parameters
    ----------
    rule : {"paper", "public-code"}
    eps_low, eps_high : float or None
        In the rule's unit; ``None`` takes :data:`~sparsity_widgets.tau_star.DEFAULT_EPSILONS`.

    Returns
    -------
    (float, float)
        ``eps_low, eps_high``, each within the slider's range for the rule.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}; got {rule!r}.")
    low = DEFAULT_EPSILONS[rule][0] if eps_low is None else float(eps_low)
    high = DEFAULT_EPSILONS[rule][1] if eps_high is None else float(eps_high)
    for name, value in (("eps_low", low), ("eps_high", high)):
        if not 0.0 <= value <= EPS_SLIDER_MAX[rule]:
            raise ValueError(
                f"{name} must lie in [0, {EPS_SLIDER_MAX[rule]}] {_UNITS[rule]} (the slider's "
                f"range for rule {rule!r}); got {value}."
            )
    return low, high


class EpsilonExplorer:
    """Controller: epsilon and tau-range sliders, a rule toggle, live tau* and alpha*.

    Parameters
    ----------
    source : WaveletForest, SparsityCurve, LayerScore or ProbeResult
        A fitted forest (its curve is computed once, on ``taus``), a curve, or a saved score.
    layer : str or int, optional
        For a ProbeResult: the layer shown first (name or position; default the last).
    seed : int, optional
        For a ProbeResult: the seed (run) shown first (default the first run's).
    n_trees : int, optional
        Number of trees J; taken from a ProbeResult's settings, required with a LayerScore.
    taus : array-like, optional
        For a forest: the tau grid (default :func:`~sparsity_widgets.default_tau_grid`).
    rule : {"paper", "public-code"}
    eps_low, eps_high : float, optional
        Start values (the rule's defaults when omitted).

    Attributes
    ----------
    state : EpsilonState
        Numbers behind the current picture.
    controls : dict of ipywidgets
        ``"rule"``, ``"eps_low"``, ``"eps_high"``, ``"tau_range"``, and for a ProbeResult
        ``"layer"`` and ``"seed"``.
    label : ipywidgets.HTML
        tau* and alpha*, or the message of a bad setting.
    view : PngFigure
        The picture (``view.figure``, ``view.image``).
    """

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
    ) -> None:
        import ipywidgets as W

        low, high = window_start(rule, eps_low, eps_high)
        self._sources = _Sources(source, n_trees, taus)
        slider = {"step": 0.01, "readout_format": ".2f", "continuous_update": True}
        style = {"description_width": "110px"}
        wide = W.Layout(width="420px")
        self.controls: dict[str, Any] = {
            "rule": W.ToggleButtons(
                options=[("paper rule (rad)", "paper"), ("public-code rule (deg)", "public-code")],
                value=rule,
                description="rule",
                style=style,
            ),
            "eps_low": W.FloatSlider(
                value=low,
                min=0.0,
                max=EPS_SLIDER_MAX[rule],
                description=f"eps_low [{_UNITS[rule]}]",
                style=style,
                layout=wide,
                **slider,
            ),
            "eps_high": W.FloatSlider(
                value=high,
                min=0.0,
                max=EPS_SLIDER_MAX[rule],
                description=f"eps_high [{_UNITS[rule]}]",
                style=style,
                layout=wide,
                **slider,
            ),
        }
        names = self._sources.layer_names
        if names:
            first_layer = len(names) - 1 if layer is None else self._layer_index(layer)
            seeds = self._sources.seeds
            if seed is not None and seed not in seeds:
                raise ValueError(f"seed must be one of the result's seeds {seeds}; got {seed}.")
            self.controls["layer"] = W.Dropdown(
                options=[(n, i) for i, n in enumerate(names)],
                value=first_layer,
                description="layer",
                style=style,
            )
            self.controls["seed"] = W.Dropdown(
                options=[(str(s), i) for i, s in enumerate(seeds)],
                value=0 if seed is None else seeds.index(seed),
                description="seed",
                style=style,
            )
        grid = self._current_curve().taus
        self.controls["tau_range"] = W.FloatRangeSlider(
            value=(float(grid[0]), float(grid[-1])),
            min=float(grid[0]),
            max=float(grid[-1]),
            description="tau range",
            style=style,
            layout=wide,
            **slider,
        )
        self.label = W.HTML()
        self.view = PngFigure((10.0, 3.9))
        self.state: EpsilonState | None = None
        self._artists: EpsilonArtists | None = None
        self._drawn_key: tuple[Any, ...] | None = None
        self._busy = False
        self._widget: Any = None
        for name, control in self.controls.items():
            handler = self._on_rule if name == "rule" else self._on_change
            handler = self._on_source if name in ("layer", "seed") else handler
            control.observe(handler, names="value")
        self.update()

    # ------------------------------------------------------------------ helpers
    def _layer_index(self, layer: str | int) -> int:
        names = self._sources.layer_names
        if isinstance(layer, str):
            if layer not in names:
                raise ValueError(f"layer must be one of {names}; got {layer!r}.")
            return names.index(layer)
        if not 0 <= int(layer) < len(names):
            raise ValueError(f"layer must be a position in [0, {len(names) - 1}]; got {layer}.")
        return int(layer)

    def _selection(self) -> tuple[int, int]:
        if "layer" in self.controls:
            return self.controls["seed"].value, self.controls["layer"].value
        return 0, 0

    def _current_curve(self) -> SparsityCurve:
        return self._sources.curve(*self._selection())

    # ------------------------------------------------------------------ callbacks
    def _on_change(self, change: dict[str, Any]) -> None:
        if not self._busy:
            self.update()

    def _on_rule(self, change: dict[str, Any]) -> None:
        rule = change["new"]
        self._busy = True  # changing a slider's max may clamp its value: one update at the end
        try:
            for name in ("eps_low", "eps_high"):
                slider = self.controls[name]
                slider.max = EPS_SLIDER_MAX[rule]
                slider.description = f"{name} [{_UNITS[rule]}]"
        finally:
            self._busy = False
        self.update()

    def _on_source(self, change: dict[str, Any]) -> None:
        grid = self._current_curve().taus
        slider = self.controls["tau_range"]
        self._busy = True
        try:
            lo, hi = float(grid[0]), float(grid[-1])
            if (slider.min, slider.max) != (lo, hi):
                slider.max = max(hi, slider.min)
                slider.min = lo
                slider.max = hi
                slider.value = (lo, hi)
        finally:
            self._busy = False
        self.update()

    def update(self) -> EpsilonState:
        """Re-estimate from the controls' values and redraw (never refits).

        Returns
        -------
        EpsilonState
            Also stored in :attr:`state`; a bad setting gives a state with a message.
        """
        c = self.controls
        run, layer = self._selection()
        rule = c["rule"].value
        tau_range = tuple(float(v) for v in c["tau_range"].value)
        state = compute_epsilon_state(
            self._current_curve(),
            rule,
            c["eps_low"].value,
            c["eps_high"].value,
            tau_range,
            title=self._sources.title(run, layer),
        )
        self.state = state
        key = (run, layer, rule, tau_range)
        if state.estimate is not None and self._artists is not None and key == self._drawn_key:
            update_epsilon_artists(state, self._artists)
            self.view.blit()
        else:
            self._artists = render_epsilon(state, self.view.figure)
            self._drawn_key = key if self._artists is not None else None
            self.view.draw(self._artists.dynamic if self._artists is not None else ())
        # the read-out last: when it changes in the browser, the picture has been sent
        self.label.value = state.summary_html()
        return state

    # ------------------------------------------------------------------ display
    def widget(self) -> Any:
        """The whole explorer as one ipywidgets box, ready to display (built once)."""
        import ipywidgets as W

        if self._widget is None:
            c = self.controls
            sliders = [c["eps_low"], c["eps_high"], c["tau_range"]]
            top = [c["rule"]]
            if "layer" in c:
                top += [W.HBox([c["layer"], c["seed"]])]
            self._widget = W.VBox(
                [*top, W.HBox(sliders[:2]), sliders[2], self.label, self.view.image],
                layout=W.Layout(border="1px solid #ddd", padding="6px"),
            )
            self._widget.add_class("sw-epsilon-explorer")
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget()._repr_mimebundle_(**kwargs)
