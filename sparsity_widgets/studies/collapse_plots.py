"""Figures of the NCC study: Lambda^j over training, alpha* beside Lambda, the class plane."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..collapse.plane import ClassPlane

__all__ = ["plot_alpha_and_lambda", "plot_class_plane", "plot_lambda_over_training"]

_STYLE = {"vanilla": "-", "svsl": "--"}


def plot_lambda_over_training(
    result: Any, datasets: list[str] | None = None, *, figsize_per_row: float = 3.2
) -> Any:
    """Lambda^j on train and test over the epochs, per layer, vanilla solid and SVSL dashed.

    Parameters
    ----------
    result : CollapseStudyResult
    datasets : list of str, optional
        One row of two panels (train, test) each; default every data set.

    Returns
    -------
    matplotlib Figure
        Curves are means over seeds; dotted vertical lines mark each variant's IT (its mean over
        seeds).
    """
    import matplotlib.pyplot as plt

    datasets = list(datasets or result.datasets)
    fig, axes = plt.subplots(
        len(datasets),
        2,
        figsize=(11, figsize_per_row * len(datasets)),
        layout="constrained",
        squeeze=False,
    )
    for row, dataset in zip(axes, datasets, strict=True):
        layers = result.layers(dataset)
        colors = plt.cm.viridis(np.linspace(0, 0.95, len(layers)))
        for ax, split in zip(row, ("train", "test"), strict=True):
            for variant in result.variants(dataset):
                runs = result.group(dataset, variant)
                epochs, mean, _ = result.curve_over_seeds(dataset, variant, f"lambda_{split}")
                for j, name in enumerate(layers):
                    ax.plot(
                        epochs,
                        mean[j],
                        _STYLE[variant],
                        color=colors[j],
                        lw=1.4,
                        label=name if variant == result.variants(dataset)[0] else None,
                    )
                it = np.mean([r.it_epoch for r in runs])
                ax.axvline(it, color="0.3", ls=":" if variant == "vanilla" else "-.", lw=1)
            ax.set_yscale("symlog", linthresh=1e-3)
            ax.set_ylim(0, 1)
            ax.set_xlabel("epoch")
            ax.set_ylabel(f"Lambda on {split}")
            ax.set_title(f"{dataset}: NCC mismatch on {split}")
        row[1].legend(
            title="layer (solid vanilla, dashed SVSL; dotted/dash-dot: IT)",
            fontsize=7,
            title_fontsize=7,
            loc="center left",
            bbox_to_anchor=(1.01, 0.5),
        )
    return fig


def plot_alpha_and_lambda(result: Any, dataset: str, axes: Any = None) -> Any:
    """alpha* (left axis) and Lambda on test (right axis) per layer at the end of training.

    Parameters
    ----------
    result : CollapseStudyResult
    dataset : str
    axes : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        The left axes; the right one is ``axes.right_axes``.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(figsize=(8, 3.4), layout="constrained")
    right = axes.twinx()
    layers = result.layers(dataset)
    x = np.arange(len(layers))
    for variant in result.variants(dataset):
        runs = result.group(dataset, variant)
        alpha = np.array([r.alpha_end for r in runs])
        lam = np.array([r.at("lambda_test", r.end_epoch) for r in runs])
        axes.errorbar(
            x,
            alpha.mean(0),
            alpha.std(0),
            fmt="o" + _STYLE[variant],
            color="C0",
            capsize=2,
            label=f"alpha* ({variant})",
        )
        right.errorbar(
            x,
            lam.mean(0),
            lam.std(0),
            fmt="s" + _STYLE[variant],
            color="C3",
            capsize=2,
            label=f"Lambda test ({variant})",
        )
    axes.set_xticks(x, layers, rotation=45, ha="right")
    axes.set_ylabel("alpha* (higher: smoother)", color="C0")
    right.set_ylabel("Lambda on test (lower: closer to NCC)", color="C3")
    right.set_yscale("symlog", linthresh=1e-3)
    right.set_ylim(0, 1)
    axes.set_title(f"{dataset}: alpha* and Lambda per layer at the end (mean ± std over seeds)")
    handles = axes.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    axes.legend(
        handles[0] + more[0],
        handles[1] + more[1],
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.12, 1.0),
    )
    axes.right_axes = right
    return axes


def plot_class_plane(
    plane: ClassPlane, axes: Any = None, *, class_names: list[str] | None = None
) -> Any:
    """Class means as points and within-class covariances as 1-std ellipses, in the plane of the
    two leading directions of the class means.

    Parameters
    ----------
    plane : ClassPlane
    axes : matplotlib Axes, optional
    class_names : list of str, optional
        Labels of the points (default the class indices).

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse

    if axes is None:
        _, axes = plt.subplots(figsize=(3.6, 3.6), layout="constrained")
    means, cov = plane.means_array, plane.covariances_array
    colors = plt.cm.tab10(np.arange(plane.n_classes) % 10)
    for c in range(plane.n_classes):
        values, vectors = np.linalg.eigh(cov[c])
        values = np.clip(values, 0.0, None)
        angle = float(np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1])))
        axes.add_patch(
            Ellipse(
                means[c],
                2 * np.sqrt(values[1]),
                2 * np.sqrt(values[0]),
                angle=angle,
                facecolor=colors[c],
                alpha=0.25,
                edgecolor=colors[c],
            )
        )
        axes.plot(*means[c], "o", color=colors[c], ms=5)
        name = str(c) if class_names is None else class_names[c]
        axes.annotate(name, means[c], textcoords="offset points", xytext=(4, 4), fontsize=8)
    reach = np.abs(means).max() + 2 * np.sqrt(max(float(cov.trace(axis1=1, axis2=2).max()), 0))
    reach = reach if reach > 0 else 1.0
    axes.set_xlim(-reach, reach)
    axes.set_ylim(-reach, reach)
    axes.set_aspect("equal")
    axes.set_xlabel("v1")
    axes.set_ylabel("v2")
    axes.set_title(
        f"class means, 1-std ellipses ({100 * plane.between_class_share:.0f}% of Sigma_B)"
    )
    return axes
