"""Pictures of probe results: alpha* per layer (the paper's Figures 5-12) and UMAP views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .result import LayerScore, ProbeResult

__all__ = ["KIND_MARKERS", "plot_alpha_per_layer", "plot_layer_umap"]

KIND_MARKERS = {
    "input": "s",
    "conv": "o",
    "pool": "v",
    "linear": "D",
    "residual": "^",
    "activation": "P",
}
"""Marker per layer kind; other kinds get a dot."""


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
) -> Any:
    """alpha* per layer, mean over seeds with a +-1 std band, markers by layer kind.

    Parameters
    ----------
    results : ProbeResult or sequence of ProbeResult
        One curve each; results with different layer lists share the x axis by position.
    axes : matplotlib Axes, optional
    key : str, default="alpha_star"
        Any per-layer quantity :meth:`ProbeResult.values` knows (``"tau_star"``,
        ``"clustering.adjusted_rand"``, ...).
    title : str, optional

    Returns
    -------
    matplotlib Axes
        The legend gives each curve's test accuracy (mean +- std over seeds) when known.
    """
    if isinstance(results, ProbeResult):
        results = [results]
    results = list(results)
    if not results or any(not r.runs for r in results):
        raise ValueError("results must hold at least one ProbeResult with at least one run.")
    ax = _axes(axes, (8.0, 4.2))
    longest = max(results, key=lambda r: len(r.layer_names))
    import matplotlib as mpl

    cycle = mpl.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    seen_kinds: set[str] = set()
    for i, result in enumerate(results):
        mean, std = result.mean(key), result.std(key)
        x = np.arange(mean.shape[0])
        label = result.label
        acc = result.accuracy()
        if acc is not None:
            label += f" (test acc {acc[0]:.3f}" + (
                f" ± {acc[1]:.3f})" if len(result.runs) > 1 else ")"
            )
        color = cycle[i % len(cycle)]
        ax.plot(x, mean, color=color, lw=1.8, label=label)
        if len(result.runs) > 1:
            ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.18, lw=0)
        for kind in dict.fromkeys(result.layer_kinds):
            mask = np.array([k == kind for k in result.layer_kinds])
            ax.plot(
                x[mask],
                mean[mask],
                ls="none",
                marker=KIND_MARKERS.get(kind, "."),
                color=color,
                ms=6,
                mec="white",
                mew=0.6,
            )
            seen_kinds.add(kind)
    ax.set_xticks(np.arange(len(longest.layer_names)))
    ax.set_xticklabels(longest.layer_names, rotation=45, ha="right", fontsize=8)
    ax.set_xlabel("layer")
    ax.set_ylabel({"alpha_star": "α* (mean ± std over seeds)"}.get(key, key))
    ax.grid(alpha=0.3)
    curve_legend = ax.legend(loc="upper left", fontsize=8, framealpha=0.85)
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], ls="none", marker=KIND_MARKERS.get(k, "."), color="0.35", label=k)
        for k in sorted(seen_kinds)
    ]
    ax.add_artist(curve_legend)
    ax.legend(
        handles=handles,
        loc="lower right",
        fontsize=8,
        title="layer kind",
        title_fontsize=8,
        framealpha=0.85,
    )
    if title:
        ax.set_title(title)
    return ax


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
        ax.legend(
            *scatter.legend_elements(),
            fontsize=6,
            title="class",
            title_fontsize=7,
            loc="best",
            markerscale=0.8,
        )
    ax.set_title(title or f"{layer.name}: α* = {layer.alpha_star:.3f}", fontsize=9)
    return ax
