"""Pictures of probe results: alpha* per layer (the paper's Figures 5-12) and UMAP views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_choice
from .result import LayerScore, ProbeResult

__all__ = ["KIND_MARKERS", "LEGEND_PLACES", "plot_alpha_per_layer", "plot_layer_umap"]

KIND_MARKERS = {
    "input": "s",
    "conv": "o",
    "pool": "v",
    "linear": "D",
    "residual": "^",
    "activation": "P",
}
"""Marker per layer kind; other kinds get a dot."""

LEGEND_PLACES = ("auto", "outside", "inside")
"""Values of ``plot_alpha_per_layer(legend=...)``."""


def _axes(axes: Any, figsize: tuple[float, float]) -> Any:
    if axes is not None:
        return axes
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(figsize=figsize, layout="constrained")
    return axes


def plot_alpha_per_layer(
    results: ProbeResult | Sequence[ProbeResult],
    axes: Any = None,
    *,
    key: str = "alpha_star",
    title: str | None = None,
    legend: str = "auto",
    controlled: bool | None = None,
) -> Any:
    """alpha* per layer, mean over seeds with a +-1 std band, markers by layer kind.

    Parameters
    ----------
    results : ProbeResult or sequence of ProbeResult
        One curve each; results with different layer lists share the x axis by position.
    axes : matplotlib Axes, optional
        Default: a new figure with constrained layout.
    key : str, default="alpha_star"
        Any per-layer quantity :meth:`ProbeResult.values` knows (``"tau_star"``,
        ``"clustering.adjusted_rand"``, ...).
    title : str, optional
    legend : {"auto", "outside", "inside"}, default="auto"
        Where the legends go; they never cover data. ``"outside"``: one legend to the right
        of the axes (the figure needs a layout engine, e.g. ``layout="constrained"``, or room
        on the right). ``"inside"``: the curves' legend in the upper left and the layer kinds
        in the upper right (or below it when they would meet), with the y axis raised so that
        every point and band lies below them; the y limits are then fixed. ``"auto"``:
        outside when the figure has a constrained or tight layout engine, else inside.
    controlled : bool, optional
        Also draw, dashed with open markers and in the same colour, the controlled score of
        each result that has one (``ProbeSettings(baseline=...)``; mean over seeds of
        ``baseline.score`` with a +-1 std band), labelled "controlled α*" with its kind,
        repeats and width, next to its result's solid curve, labelled "raw α*". None
        (default): for every result that has one, with ``key="alpha_star"``; True: every
        result must have one; False: never.

    Returns
    -------
    matplotlib Axes
        The y label says what was aggregated (``"α* (seed 0)"``, ``"α* (mean ± std over 3
        seeds)"``); the legend gives each curve's test accuracy (mean ± std over seeds) when
        known, and each curve's number of seeds when they differ.
    """
    check_choice("legend", legend, LEGEND_PLACES)
    check_choice("controlled", controlled, (None, True, False))
    if isinstance(results, ProbeResult):
        results = [results]
    results = list(results)
    if not results or any(not r.runs for r in results):
        raise ValueError("results must hold at least one ProbeResult with at least one run.")
    if controlled:
        lacking = [r.label for r in results if r.baseline is None]
        if lacking:
            raise ValueError(
                "controlled=True needs a controlled score in every result; "
                f"{', '.join(repr(label) for label in lacking)} has none: probe with "
                "ProbeSettings(baseline='rotation-permuted') (CLI: --baseline rotation-permuted)."
            )
    draw_controlled = controlled is not False and key == "alpha_star"
    ax = _axes(axes, (9.5, 4.2))
    longest = max(results, key=lambda r: len(r.layer_names))
    import matplotlib as mpl
    from matplotlib.lines import Line2D

    cycle = mpl.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    counts = {len(r.runs) for r in results}
    seen_kinds: set[str] = set()
    curves = []
    data_top = -np.inf
    any_controlled = False
    for i, result in enumerate(results):
        color = cycle[i % len(cycle)]
        control = result.baseline if draw_controlled else None
        label = _curve_label(result, counts)
        pairs = [(key, label + (": raw α*" if control else ""), False)]
        if control is not None:
            any_controlled = True
            pairs.append(("baseline.score", _control_label(control), True))
        for curve_key, curve_label, dashed in pairs:
            mean, std = result.mean(curve_key), result.std(curve_key)
            x = np.arange(mean.shape[0])
            (curve,) = ax.plot(
                x, mean, color=color, lw=1.8, ls="--" if dashed else "-", label=curve_label
            )
            curves.append(curve)
            top = mean + std if len(result.runs) > 1 else mean
            if np.isfinite(top).any():
                data_top = max(data_top, float(np.nanmax(top)))
            if len(result.runs) > 1:
                ax.fill_between(
                    x, mean - std, mean + std, color=color, alpha=0.1 if dashed else 0.18, lw=0
                )
            for kind in dict.fromkeys(result.layer_kinds):
                mask = np.array([k == kind for k in result.layer_kinds])
                ax.plot(
                    x[mask],
                    mean[mask],
                    ls="none",
                    marker=KIND_MARKERS.get(kind, "."),
                    color=color,
                    ms=6,
                    mfc="white" if dashed else color,
                    mec=color if dashed else "white",
                    mew=1.0 if dashed else 0.6,
                )
                seen_kinds.add(kind)
    ax.set_xticks(np.arange(len(longest.layer_names)))
    ax.set_xticklabels(longest.layer_names, rotation=45, ha="right", fontsize=8)
    ax.set_xlabel("layer")
    name = {"alpha_star": "α*", "tau_star": "τ*"}.get(key, key)
    if any_controlled:
        name = "raw and controlled α*"
    ax.set_ylabel(f"{name} ({_aggregation(results)})")
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    kinds = [
        Line2D([], [], ls="none", marker=KIND_MARKERS.get(k, "."), color="0.35", label=k)
        for k in sorted(seen_kinds)
    ]
    if legend == "auto":
        legend = "outside" if _has_layout_engine(ax) else "inside"
    if legend == "outside":
        _legend_outside(ax, curves, kinds)
    else:
        _legend_inside(ax, curves, kinds, data_top)
    return ax


def _aggregation(results: Sequence[ProbeResult]) -> str:
    """What a curve's point is: ``"seed 0"`` or ``"mean ± std over 3 seeds"``."""
    counts = sorted({len(r.runs) for r in results})
    if counts == [1]:
        seeds = {r.runs[0].seed for r in results}
        return f"seed {seeds.pop()}" if len(seeds) == 1 else "one seed per curve"
    span = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
    return f"mean ± std over {span} seeds"


def _control_label(control: dict[str, Any]) -> str:
    """The legend text of a controlled curve: what controls it, e.g. ``"rotation-permuted,
    5 repeats, width 640"``."""
    repeats = control["repeats"]
    text = f"controlled α* ({control['kind']}, {repeats} repeat{'s' if repeats > 1 else ''}"
    # no result label: the colour and the place in the legend, after its raw curve, tell it
    if control["kind"] != "permuted-labels":
        width = control["width"]
        text += ", each layer's own width" if width is None else f", width {width}"
    return text + ")"


def _curve_label(result: ProbeResult, counts: set[int]) -> str:
    """The legend text of a curve: label, seed count (when curves differ), test accuracy."""
    n = len(result.runs)
    parts = [f"{n} seed{'s' if n > 1 else ''}"] if len(counts) > 1 else []
    acc = result.accuracy()
    if acc is not None:
        parts.append(f"test acc {acc[0]:.3f}" + (f" ± {acc[1]:.3f}" if n > 1 else ""))
    return result.label + (f" ({', '.join(parts)})" if parts else "")


def _has_layout_engine(ax: Any) -> bool:
    """True when the figure makes room for artists outside the axes at draw time."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine

    engine = ax.get_figure(root=True).get_layout_engine()
    return isinstance(engine, ConstrainedLayoutEngine | TightLayoutEngine)


def _legend_outside(ax: Any, curves: list[Any], kinds: list[Any]) -> None:
    """One legend right of the axes: the curves, then the layer kinds under a heading."""
    from matplotlib.lines import Line2D

    heading = Line2D([], [], ls="none", label="layer kind")
    handles = [*curves, heading, *kinds]
    box = ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        fontsize=8,
        framealpha=0.85,
    )
    box.texts[len(curves)].set_fontweight("bold")


def _legend_inside(ax: Any, curves: list[Any], kinds: list[Any], data_top: float) -> None:
    """Legends in the top corners, with the y axis raised so that no data lies under them."""
    from matplotlib.lines import Line2D

    heading = Line2D([], [], ls="none", label="layer kind:")
    common = {"fontsize": 8, "framealpha": 0.85}
    curve_legend = ax.legend(handles=curves, loc="upper left", **common)
    ax.add_artist(curve_legend)
    kind_legend = ax.legend(
        handles=[heading, *kinds],
        loc="upper right",
        ncols=len(kinds) + 1,
        columnspacing=1.0,
        handletextpad=0.3,
        **common,
    )
    frame = ax.bbox
    gap = 4.0  # pixels between the legends, and between them and the highest data point
    first, second = curve_legend.get_window_extent(), kind_legend.get_window_extent()
    if first.x1 + gap > second.x0:  # they would meet: the kinds go under the curves
        kind_legend.set_loc("upper left")
        kind_legend.set_bbox_to_anchor((0.0, (first.y0 - gap - frame.y0) / frame.height))
        second = kind_legend.get_window_extent()
    if not np.isfinite(data_top):
        return
    # marker radius in pixels: markers are 6 points across
    radius = 3.0 * ax.get_figure(root=True).dpi / 72.0
    free = (min(first.y0, second.y0) - gap - radius - frame.y0) / frame.height
    low, high = ax.get_ylim()
    if free <= 0.1 or data_top <= low:  # no room to make: leave the view as it is
        return
    top = low + (data_top - low) / free
    ax.set_ylim(low, max(high, top))


def plot_layer_umap(layer: LayerScore, axes: Any = None, *, title: str | None = None) -> Any:
    """Scatter a layer's stored UMAP picture, coloured by class.

    Parameters
    ----------
    layer : LayerScore
        Scored with ``ProbeSettings(umap_samples=...)`` so that ``layer.umap`` is set.
    axes : matplotlib Axes, optional
    title : str, optional
        Default: the layer's name and alpha*.

    Returns
    -------
    matplotlib Axes
    """
    if layer.umap is None:
        raise ValueError(
            f"layer {layer.name!r} has no UMAP picture; probe with "
            "ProbeSettings(umap_samples=1000) (CLI: --umap 1000)."
        )
    ax = _axes(axes, (4.2, 4.0))
    emb = np.asarray(layer.umap["embedding"], dtype=float)
    labels = np.asarray(layer.umap["labels"])
    scatter = ax.scatter(emb[:, 0], emb[:, 1], c=labels, cmap="tab10", s=5, alpha=0.8, lw=0)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("UMAP 1")
    ax.set_ylabel("UMAP 2")
    classes = np.unique(labels)
    if classes.size <= 20:
        # beside the picture when the figure's layout makes room for it, else where it covers
        # the fewest points
        place = (
            {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0}
            if _has_layout_engine(ax)
            else {"loc": "best"}
        )
        ax.legend(
            *scatter.legend_elements(),
            fontsize=6,
            title="class",
            title_fontsize=7,
            markerscale=0.8,
            **place,
        )
    if title is None:
        estimate = (
            f"α* = {layer.alpha_star:.3f}"
            if np.isfinite(layer.alpha_star)
            else "no α* (the estimate failed)"
        )
        title = f"{layer.name}: {estimate}"
    ax.set_title(title, fontsize=9)
    return ax
