"""Layer picker: alpha* per layer over seeds; pick a layer to see its UMAP, N_tau and clustering.

The top panel is the paper's alpha*-per-layer curve (mean over seeds with a +-1 std band),
with the controlled score beside it (dashed) when the probe computed one
(``ProbeSettings(baseline=...)``; the read-out then gives it per layer too). A
layer is picked with the dropdown or by clicking its button in the strip under the curve (one
button per layer, aligned with the curve's points). The lower panels show the picked layer's
``log N_tau`` curves (one per seed, with their tau*) and its stored UMAP picture (or a note
when the probe made none); a table gives its clustering indices per seed.

Everything comes from a :class:`~sparsity_widgets.probe.ProbeResult` (in memory or read from
``result.json``): nothing is fitted or embedded here.
"""

from __future__ import annotations

import math
import os
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..probe.result import LayerScore, ProbeResult
from .epsilon_explorer import PngFigure

__all__ = ["CLUSTERING_INDICES", "LayerPicker", "LayerState", "compute_layer_state"]

#: Clustering indices shown in the table, in order.
CLUSTERING_INDICES = (
    "adjusted_rand",
    "adjusted_mutual_info",
    "homogeneity",
    "completeness",
    "fowlkes_mallows",
)
_NO_UMAP = (
    "no UMAP picture for this layer: probe with ProbeSettings(umap_samples=1000) "
    "(CLI: --umap 1000) to store one"
)
# figure geometry (fractions of the figure); the click strip is aligned with the top axes
_LEFT, _RIGHT = 0.07, 0.98


@dataclass(frozen=True)
class LayerState:
    """Everything the picker shows about one layer.

    Attributes
    ----------
    index : int
        Position of the layer in the result.
    name, kind : str
    width, scored_width : int
    seeds : list of int
    seed_index : int
        The seed whose UMAP picture is shown.
    alpha_stars, tau_stars : ndarray, shape (n_seeds,)
        NaN where a seed's estimate failed.
    curves : list of (ndarray, ndarray)
        ``(taus, log_sparsity)`` per seed.
    errors : list of str or None
        Why a seed's estimate failed.
    umap_score : LayerScore or None
        The picked seed's score when it holds a UMAP picture.
    clustering : dict of str to ndarray, or None
        Index name -> values per seed (NaN where a seed lacks it); None when no seed has any.
    linear_probe : ndarray or None
        Linear-probe accuracy per seed.
    controlled : ndarray or None, shape (n_seeds,)
        The controlled score per seed (NaN where a seed lacks it); None when no seed has one.
    controlled_spread : ndarray or None, shape (n_seeds,)
        Its standard deviation over the repeats, per seed.
    control : dict or None
        What the controlled score is: ``kind``, ``repeats`` and ``width`` (of this layer).
    """

    index: int
    name: str
    kind: str
    width: int
    scored_width: int
    seeds: list[int]
    seed_index: int
    alpha_stars: np.ndarray
    tau_stars: np.ndarray
    curves: list[tuple[np.ndarray, np.ndarray]]
    errors: list[str | None]
    umap_score: LayerScore | None
    clustering: dict[str, np.ndarray] | None
    linear_probe: np.ndarray | None
    controlled: np.ndarray | None = None
    controlled_spread: np.ndarray | None = None
    control: dict[str, Any] | None = None

    def summary_html(self) -> str:
        """The layer's numbers as one line of HTML (two with a controlled score)."""
        alpha = self.alpha_stars[np.isfinite(self.alpha_stars)]
        numbers = (
            f"alpha* = {alpha.mean():.3f} &plusmn; {alpha.std():.3f} over {alpha.size} seed(s)"
            if alpha.size
            else "no alpha* (no tau fell in the window for any seed)"
        )
        reduced = "" if self.scored_width == self.width else f", scored at {self.scored_width}"
        line = (
            f"<b>layer {self.name}</b> ({self.kind}, width {self.width}{reduced}): <b>{numbers}</b>"
        )
        return line + self.controlled_html()

    def controlled_html(self) -> str:
        """The controlled score as an HTML line break and line ("" when there is none)."""
        if self.controlled is None or self.control is None:
            return ""
        control = self.control
        what = f"{control['kind']}, {control['repeats']} repeat(s)"
        if control["kind"] != "permuted-labels":
            what += f", width {control['width']}"
        finite = self.controlled[np.isfinite(self.controlled)]
        if not finite.size:
            return f"<br>controlled alpha* ({what}): none (every estimate failed)"
        spread = self.controlled_spread[np.isfinite(self.controlled_spread)]
        over_repeats = (
            f"; spread over repeats {spread.mean():.3f} (mean over seeds)" if spread.size else ""
        )
        return (
            f"<br>controlled alpha* ({what}): <b>{finite.mean():.3f} &plusmn; "
            f"{finite.std():.3f}</b> over {finite.size} seed(s){over_repeats}"
        )

    def clustering_html(self) -> str:
        """The clustering indices (and linear-probe accuracy) per seed as an HTML table."""
        rows = dict(self.clustering or {})
        if self.linear_probe is not None:
            rows["linear probe accuracy"] = self.linear_probe
        if not rows:
            return (
                "<i>no clustering indices for this layer: probe with "
                "ProbeSettings(clustering=True) (CLI: --clustering) to record them</i>"
            )
        head = "".join(f"<th>seed {s}</th>" for s in self.seeds)
        body = []
        for name, values in rows.items():
            cells = "".join(
                "<td>&ndash;</td>" if math.isnan(v) else f"<td>{v:.3f}</td>" for v in values
            )
            finite = values[np.isfinite(values)]
            mean = f"{finite.mean():.3f}" if finite.size else "&ndash;"
            body.append(f"<tr><td>{name}</td>{cells}<td><b>{mean}</b></td></tr>")
        return (
            '<table class="sw-clustering" style="border-collapse:collapse">'
            f"<tr><th>clustering index (k-means, k = classes)</th>{head}<th>mean</th></tr>"
            + "".join(body)
            + "</table>"
        )


def compute_layer_state(result: ProbeResult, layer: int, seed_index: int = 0) -> LayerState:
    """Collect one layer's numbers over the seeds of a result.

    Parameters
    ----------
    result : ProbeResult
    layer : int
        Position in ``result.layer_names``.
    seed_index : int
        Run whose UMAP picture is shown.

    Returns
    -------
    LayerState
    """
    names = result.layer_names
    if not 0 <= layer < len(names):
        raise ValueError(f"layer must be a position in [0, {len(names) - 1}]; got {layer}.")
    if not 0 <= seed_index < len(result.runs):
        raise ValueError(
            f"seed_index must be a run position in [0, {len(result.runs) - 1}]; got {seed_index}."
        )
    result.values()  # checks that every run probed the same layers
    scores = [run.layers[layer] for run in result.runs]
    first = scores[0]
    clustering: dict[str, np.ndarray] | None = None
    if any(s.clustering for s in scores):
        clustering = {
            key: np.array(
                [np.nan if not s.clustering else s.clustering.get(key, np.nan) for s in scores],
                dtype=float,
            )
            for key in CLUSTERING_INDICES
        }
    probe = None
    if any(s.linear_probe_accuracy is not None for s in scores):
        probe = np.array(
            [np.nan if s.linear_probe_accuracy is None else s.linear_probe_accuracy for s in scores]
        )
    controlled = spread = control = None
    records = [s.baseline for s in scores]
    if any(records):
        first_record = next(r for r in records if r)
        control = {k: first_record[k] for k in ("kind", "repeats", "width")}

        def per_seed(key: str) -> np.ndarray:
            return np.array(
                [np.nan if not r or r.get(key) is None else r[key] for r in records], dtype=float
            )

        controlled, spread = per_seed("score"), per_seed("spread")
    shown = scores[seed_index]
    return LayerState(
        index=layer,
        name=first.name,
        kind=first.kind,
        width=first.width,
        scored_width=first.scored_width,
        seeds=[run.seed for run in result.runs],
        seed_index=seed_index,
        alpha_stars=np.array([s.alpha_star for s in scores], dtype=float),
        tau_stars=np.array([s.tau_star for s in scores], dtype=float),
        curves=[
            (np.asarray(s.taus, dtype=float), np.asarray(s.log_sparsity, dtype=float))
            for s in scores
        ],
        errors=[s.error for s in scores],
        umap_score=shown if shown.umap is not None else None,
        clustering=clustering,
        linear_probe=probe,
        controlled=controlled,
        controlled_spread=spread,
        control=control,
    )


# ---------------------------------------------------------------------- view
@dataclass
class CurveArtists:
    """The alpha*-per-layer panel and the highlight of the picked layer on it."""

    axes: Any
    band: Any
    point: Any


def render_result(result: ProbeResult, fig: Any) -> CurveArtists:
    """Draw the alpha*-per-layer curve (mean over seeds, +-1 std band) with a highlight.

    Parameters
    ----------
    result : ProbeResult
    fig : matplotlib.figure.Figure
        Cleared first. The axes span ``[0.07, 0.98]`` of its width and the layers sit in
        equal bands, so that a strip of buttons below can line up with them.

    Returns
    -------
    CurveArtists
    """
    from ..probe.plots import plot_alpha_per_layer

    fig.clear()
    ax = fig.add_subplot()
    fig.subplots_adjust(left=_LEFT, right=_RIGHT, top=0.9, bottom=0.3)
    settings = result.settings
    plot_alpha_per_layer(
        result,
        ax,
        title=(
            f"{result.label} on {result.dataset or '?'}: alpha* per layer "
            f"(n = {settings.get('n_samples', '?')}, rule {settings.get('rule', '?')}); "
            "pick a layer with the buttons below"
        ),
    )
    ax.title.set_fontsize(10)
    n_layers = len(result.layer_names)
    ax.set_xlim(-0.5, n_layers - 0.5)
    band = ax.axvspan(-0.5, 0.5, color="#fba720", alpha=0.3, lw=0)
    (point,) = ax.plot([0], [0], ls="none", marker="o", ms=14, mfc="none", mec="#ee4f2f", mew=2)
    return CurveArtists(ax, band, point)


def highlight_layer(state: LayerState, artists: CurveArtists) -> None:
    """Move the highlight band and ring to the picked layer."""
    i = state.index
    artists.band.set_x(i - 0.5)
    finite = state.alpha_stars[np.isfinite(state.alpha_stars)]
    artists.point.set_data([i], [finite.mean() if finite.size else np.nan])


def render_layer(state: LayerState, fig: Any) -> tuple[Any, Any]:
    """Draw one layer: log N_tau per seed (left) and its UMAP picture or a note (right).

    Parameters
    ----------
    state : LayerState
    fig : matplotlib.figure.Figure
        Cleared first.

    Returns
    -------
    (Axes, Axes)
        The curve panel and the UMAP panel.
    """
    fig.clear()
    ax, ax_umap = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.5, 1.0)})
    fig.subplots_adjust(left=_LEFT, right=_RIGHT, top=0.9, bottom=0.14, wspace=0.18)
    for k, (taus, log_n) in enumerate(state.curves):
        finite = np.isfinite(log_n)
        color = f"C{k % 10}"
        ax.plot(
            taus[finite],
            log_n[finite],
            color=color,
            lw=1.8 if k == state.seed_index else 1.0,
            label=f"seed {state.seeds[k]}"
            + (f", tau* = {state.tau_stars[k]:.3f}" if math.isfinite(state.tau_stars[k]) else ""),
        )
        if math.isfinite(state.tau_stars[k]):
            ax.axvline(state.tau_stars[k], color=color, ls="--", lw=1)
    taus, log_n = state.curves[state.seed_index]
    visible = np.isfinite(log_n) & (taus >= min(0.25, taus[-3]))
    if visible.any():
        low, high = log_n[visible].min(), log_n[visible].max()
        pad = 0.05 * max(high - low, 1e-12)
        ax.set_ylim(low - pad, high + pad)
    ax.set_xlabel(r"$\tau$")
    ax.set_ylabel(r"$\log N_\tau$")
    ax.set_title(f"layer {state.name}: log N_tau per seed (dashed: tau*)", fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)

    if state.umap_score is not None:
        from ..probe.plots import plot_layer_umap

        plot_layer_umap(
            state.umap_score,
            ax_umap,
            title=f"layer {state.name}: UMAP (seed {state.seeds[state.seed_index]})",
        )
        ax_umap.title.set_fontsize(10)
    else:
        ax_umap.set_xticks([])
        ax_umap.set_yticks([])
        for side in ax_umap.spines.values():
            side.set_color("#bbbbbb")
        ax_umap.text(
            0.5,
            0.5,
            textwrap.fill(_NO_UMAP, 34),
            ha="center",
            va="center",
            fontsize=9,
            color="#555555",
            transform=ax_umap.transAxes,
        )
        ax_umap.set_title(f"layer {state.name}: UMAP picture", fontsize=10)
    return ax, ax_umap


def _load(result: ProbeResult | str | os.PathLike) -> ProbeResult:
    if isinstance(result, ProbeResult):
        return result
    if isinstance(result, str | os.PathLike):
        return ProbeResult.from_json(result)
    raise ValueError(
        f"result must be a ProbeResult or the path of a result.json; got {type(result).__name__}."
    )


class LayerPicker:
    """Controller: pick a layer of a probe result (dropdown or the strip under the curve).

    Parameters
    ----------
    result : ProbeResult or path
        A result, or the path of a ``result.json`` written by :meth:`ProbeResult.to_json`.
    layer : str or int, optional
        The layer shown first (name or position; default the first).
    seed : int, optional
        The seed whose UMAP picture is shown (default the first run's).

    Attributes
    ----------
    result : ProbeResult
    state : LayerState
    controls : dict of ipywidgets
        ``"layer"`` and ``"seed"`` dropdowns.
    layer_buttons : list of ipywidgets.Button
        The strip under the curve: one button per layer, in order.
    label, table : ipywidgets.HTML
        The layer's numbers and its clustering-index table.
    curve_view : PngFigure
        The alpha*-per-layer curve (drawn once; a pick moves its highlight).
    layer_view : PngFigure
        The picked layer's panels.
    """

    def __init__(
        self,
        result: ProbeResult | str | os.PathLike,
        *,
        layer: str | int | None = None,
        seed: int | None = None,
    ) -> None:
        import ipywidgets as W

        self.result = _load(result)
        if not self.result.runs or not self.result.layer_names:
            raise ValueError("result must hold at least one run with at least one layer.")
        names = self.result.layer_names
        seeds = [run.seed for run in self.result.runs]
        if layer is None:
            index = 0
        elif isinstance(layer, str):
            if layer not in names:
                raise ValueError(f"layer must be one of {names}; got {layer!r}.")
            index = names.index(layer)
        else:
            if not 0 <= int(layer) < len(names):
                raise ValueError(f"layer must be a position in [0, {len(names) - 1}]; got {layer}.")
            index = int(layer)
        if seed is not None and seed not in seeds:
            raise ValueError(f"seed must be one of the result's seeds {seeds}; got {seed}.")
        self.controls = {
            "layer": W.Dropdown(
                options=[(n, i) for i, n in enumerate(names)], value=index, description="layer"
            ),
            "seed": W.Dropdown(
                options=[(str(s), i) for i, s in enumerate(seeds)],
                value=0 if seed is None else seeds.index(seed),
                description="UMAP seed",
            ),
        }
        self.layer_buttons = []
        for i, name in enumerate(names):
            button = W.Button(
                description=name,
                tooltip=f"pick layer {name}",
                layout=W.Layout(width=f"{100.0 * (_RIGHT - _LEFT) / len(names):.3f}%", padding="0"),
            )
            button.on_click(lambda _b, i=i: self.pick(i))
            self.layer_buttons.append(button)
        self.label = W.HTML()
        self.table = W.HTML()
        self.curve_view = PngFigure((11.0, 3.4))
        self.layer_view = PngFigure((11.0, 3.6))
        self._curve = render_result(self.result, self.curve_view.figure)
        self._widget: Any = None
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def pick(self, layer: int) -> None:
        """Pick a layer by position (what the strip's buttons do)."""
        self.controls["layer"].value = int(layer)

    def _on_change(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> LayerState:
        """Show the layer and seed the dropdowns hold; returns (and stores) the state."""
        state = compute_layer_state(
            self.result, self.controls["layer"].value, self.controls["seed"].value
        )
        self.state = state
        for i, button in enumerate(self.layer_buttons):
            button.button_style = "warning" if i == state.index else ""
        highlight_layer(state, self._curve)
        if self.curve_view.n_full_draws == 0:  # the curve itself never changes
            self.curve_view.draw([self._curve.band, self._curve.point])
        else:
            self.curve_view.blit()
        render_layer(state, self.layer_view.figure)
        self.layer_view.draw()
        # the read-outs last: when they change in the browser, the pictures have been sent
        self.table.value = state.clustering_html()
        self.label.value = state.summary_html()
        return state

    def widget(self) -> Any:
        """The whole picker as one ipywidgets box, ready to display (built once)."""
        import ipywidgets as W

        if self._widget is None:
            strip = W.HBox(
                [W.HTML(layout=W.Layout(width=f"{100.0 * _LEFT:.3f}%")), *self.layer_buttons],
                layout=W.Layout(width=self.curve_view.image.layout.width, max_width="100%"),
            )
            self._widget = W.VBox(
                [
                    W.HBox(list(self.controls.values())),
                    self.curve_view.image,
                    strip,
                    self.label,
                    self.layer_view.image,
                    self.table,
                ],
                layout=W.Layout(border="1px solid #ddd", padding="6px"),
            )
            self._widget.add_class("sw-layer-picker")
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget()._repr_mimebundle_(**kwargs)
