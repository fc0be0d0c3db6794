"""The paper's good-vs-bad architectures on Fashion-MNIST (Sec. 4.2.2-4.2.3, Fig. 6, Table 2).

Two families are trained and probed at every layer the paper names:

``good``
    The small ResNet-18 (:class:`~sparsity_widgets.models.ResNet18Small`, channels 16-128, a
    3x3 stem, grayscale input: the authors' ``ResNet18_altered``), probed at the stem, at the
    end of every residual block and at the global pool ("at the end of every residual
    connection, and in edge layers").
``bad``
    Convolutions alternating with linear layers whose outputs are reshaped into squares
    (:class:`~sparsity_widgets.models.BadConvLinear`), probed after every conv and every linear
    block. Its options follow the authors' ``LeNet5_Bad`` (one-channel convolutions, a 16-unit
    linear layer reshaped to 4 x 4) rather than the module's wider defaults; three pairs, leaky
    ReLU (see :data:`BAD_OPTIONS`).

Every layer also gets k-means with k = the number of classes and the five indices of Table 2
(``ProbeSettings(clustering=True)``), and :func:`clustering_correlations` gives, per family,
the Pearson correlation of each index with alpha* over the layers.

Settings (:func:`define`):

``full``
    Fashion-MNIST (60000 / 10000, 28 x 28) read from ``data_dir``; 100 epochs, batch 32,
    Adam at 1e-3: the authors' ``train_fashion_mnist*.py`` defaults (the paper gives no
    training length for this experiment); 3 seeds.
``quick``
    scikit-learn's digits (8 x 8 grayscale, 1347 / 450, ten classes), a stand-in for
    Fashion-MNIST that exists offline: same models, same ten classes, grayscale images; 30
    epochs, batch 32; 3 seeds. One CPU minute per seed and family (measured below).

The study writes Table 2 (``good-bad-table2.md``) and Fig. 6 (``good-bad-fig6.png``) next to its
JSON (:func:`write_outputs`); ``python -m sparsity_widgets.studies.good_bad OUT`` redraws them from
``OUT/good-bad.json``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write, atomic_write_text
from .._validation import check_choice
from .networks import NetworkStudy, NetworkStudyResult, NetworkVariant

__all__ = [
    "FAMILIES",
    "INDICES",
    "PAPER_TABLE2",
    "clustering_correlations",
    "define",
    "plot_fig6",
    "table2_markdown",
    "write_outputs",
]

FAMILIES = ("bad", "good")
"""The two groups of the study, in the paper's column order."""

INDICES: dict[str, str] = {
    "adjusted_rand": "Rand index, adjusted for chance",
    "adjusted_mutual_info": "Adjusted mutual information",
    "homogeneity": "Homogeneity",
    "completeness": "Completeness",
    "fowlkes_mallows": "Fowlkes-Mallows index",
}
"""Keys of ``LayerScore.clustering`` (scikit-learn's indices) -> the rows of Table 2."""

PAPER_TABLE2: dict[str, dict[str, float]] = {
    "bad": {
        "adjusted_rand": -0.41,
        "adjusted_mutual_info": -0.41,
        "homogeneity": -0.39,
        "completeness": -0.43,
        "fowlkes_mallows": -0.43,
    },
    "good": {
        "adjusted_rand": 0.96,
        "adjusted_mutual_info": 0.93,
        "homogeneity": 0.94,
        "completeness": 0.93,
        "fowlkes_mallows": 0.96,
    },
}
"""The paper's Table 2: Pearson correlation of alpha* with each index over the layers."""

GOOD_OPTIONS: dict[str, Any] = {}
"""The ResNet-18 variant: the model's defaults (channels 16, 32, 64, 128 as the authors')."""

BAD_OPTIONS: dict[str, Any] = {
    "channels": 1,
    "side": 4,
    "n_pairs": 3,
    "activation": "leaky-relu",
}
"""The alternating model: one-channel convolutions and 16-unit linear layers reshaped to 4 x 4
(the authors' ``LeNet5_Bad``). The authors use tanh, which is not among our activations; leaky
ReLU shares its property that a unit never outputs a constant, where with ReLU a 16-unit layer
can die (it did, after one epoch on noise images, in ``tests/test_good_bad_study.py``), and a
constant layer cannot be probed."""

FULL_EPOCHS = 100
QUICK_EPOCHS = 30
BATCH_SIZE = 32

QUICK_DATA = (
    "scikit-learn digits (8 x 8 grayscale, 1347 train / 450 test), a stand-in for Fashion-MNIST"
)
FULL_DATA = "Fashion-MNIST (28 x 28 grayscale, 60000 train / 10000 test)"


def define(setting: str) -> NetworkStudy:
    """The good-bad study in ``setting``.

    Parameters
    ----------
    setting : {"quick", "full"}

    Returns
    -------
    NetworkStudy
        Two variants, ``group`` ``"good"`` (the ResNet-18 variant) and ``"bad"`` (the
        alternating model), probed at the input and every probe point, with clustering
        indices; seeds 0, 1, 2.
    """
    check_choice("setting", setting, ("quick", "full"))
    quick = setting == "quick"
    dataset = "digits" if quick else "fashion-mnist"
    epochs = QUICK_EPOCHS if quick else FULL_EPOCHS
    variants = (
        NetworkVariant(
            label="ResNet-18 variant (good)",
            model="resnet18-small",
            dataset=dataset,
            epochs=epochs,
            model_options=dict(GOOD_OPTIONS),
            batch_size=BATCH_SIZE,
            group="good",
        ),
        NetworkVariant(
            label="conv/linear alternating (bad)",
            model="bad-conv-linear",
            dataset=dataset,
            epochs=epochs,
            model_options=dict(BAD_OPTIONS),
            batch_size=BATCH_SIZE,
            group="bad",
        ),
    )
    return NetworkStudy(
        name="good-bad",
        setting=setting,
        data=QUICK_DATA if quick else FULL_DATA,
        variants=variants,
        seeds=(0, 1, 2),
        probe_options={"clustering": True},
        needs_data_dir=not quick,
    )


def _family(result: NetworkStudyResult, family: str) -> Any:
    """The single ProbeResult of ``family`` (raises when there is none or several)."""
    found = [
        r for v, r in zip(result.variants, result.results, strict=True) if v["group"] == family
    ]
    if len(found) != 1:
        groups = [v["group"] for v in result.variants]
        raise ValueError(
            f"the study must have exactly one variant of group {family!r}; got groups {groups}."
        )
    return found[0]


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of two vectors; NaN when either is constant."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def clustering_correlations(
    result: NetworkStudyResult, *, score: str = "alpha_star", include_input: bool = False
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per family, the Pearson correlation of each clustering index with a score over layers.

    Pooling: one r per seed, over that model's layers, then the mean and standard deviation
    over seeds. Each seed is one trained model, and the authors' ``plot_clustering_correlations``
    computes one r per trained model (its alpha* averaged over the probe's repeats, against the
    index, over the layers): a seed's r is the paper's number for that model, and the seeds give
    its spread. ``of_means`` is r between the seed-mean score and the seed-mean index.

    Parameters
    ----------
    result : NetworkStudyResult
        A good-bad study probed with ``clustering=True``.
    score : str, default="alpha_star"
        ``"alpha_star"`` (the paper) or ``"baseline.score"`` (the controlled score).
    include_input : bool, default=False
        Count the input as a layer. The authors' layer lists are the model's modules (no input).

    Returns
    -------
    dict
        ``{family: {index: {"per_seed": [r, ...], "mean": float, "std": float,
        "of_means": float}}}`` for ``family`` in :data:`FAMILIES`, ``index`` in
        :data:`INDICES`.
    """
    check_choice("score", score, ("alpha_star", "baseline.score"))
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for family in FAMILIES:
        probe = _family(result, family)
        keep = np.array([include_input or kind != "input" for kind in probe.layer_kinds])
        if keep.sum() < 3:
            raise ValueError(
                f"the {family} variant must have at least 3 layers to correlate over; got "
                f"{int(keep.sum())}."
            )
        alpha = probe.values(score)[:, keep]
        if np.isnan(alpha).all():
            raise ValueError(
                f"the {family} variant has no {score!r} values; probe it with "
                + ("clustering=True." if score == "alpha_star" else "a baseline.")
            )
        out[family] = {}
        for index in INDICES:
            values = probe.values(f"clustering.{index}")[:, keep]
            if np.isnan(values).all():
                raise ValueError(
                    f"the {family} variant has no clustering indices; run the study with "
                    "ProbeSettings(clustering=True)."
                )
            per_seed = [_pearson(a, v) for a, v in zip(alpha, values, strict=True)]
            out[family][index] = {
                "per_seed": per_seed,
                "mean": float(np.mean(per_seed)),
                "std": float(np.std(per_seed)),
                "of_means": _pearson(alpha.mean(axis=0), values.mean(axis=0)),
            }
    return out


def table2_markdown(result: NetworkStudyResult, *, score: str = "alpha_star") -> str:
    """Table 2 redrawn: our correlations (mean ± std over seeds, and r of the seed means)
    beside the paper's, under a line naming the data and setting, with test accuracies.

    Returns
    -------
    str
        Markdown.
    """
    corr = clustering_correlations(result, score=score)
    what = "alpha*" if score == "alpha_star" else "the controlled score"
    n_seeds = len(result.results[0].runs)
    lines = [
        f"Table 2 redrawn ({result.setting} setting: {result.data}): Pearson r of {what} with "
        f"each k-means index over the layers (input excluded); ours: mean ± std over "
        f"{n_seeds} seeds [r of the seed means].",
        "",
        "| index | bad: ours | bad: paper | good: ours | good: paper |",
        "|---|---|---|---|---|",
    ]
    for index, name in INDICES.items():
        cells = []
        for family in FAMILIES:
            c = corr[family][index]
            cells += [
                f"{c['mean']:+.2f} ± {c['std']:.2f} [{c['of_means']:+.2f}]",
                f"{PAPER_TABLE2[family][index]:+.2f}",
            ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    accs = []
    for family in FAMILIES:
        acc = _family(result, family).accuracy()
        accs.append(f"{family} {acc[0]:.3f} ± {acc[1]:.3f}" if acc else f"{family} n/a")
    lines += ["", "Test accuracy (mean ± std over seeds): " + ", ".join(accs) + "."]
    return "\n".join(lines) + "\n"


def plot_fig6(result: NetworkStudyResult, axes: Sequence[Any] | None = None) -> Any:
    """Fig. 6 redrawn: alpha* per layer of both families (left; the controlled score dashed
    when probed) and the five clustering indices per layer (right; good solid, bad dashed).

    Parameters
    ----------
    result : NetworkStudyResult
    axes : pair of matplotlib Axes, optional
        Default: a new 1 x 2 figure.

    Returns
    -------
    ndarray of Axes, shape (2,)
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from ..probe.plots import plot_alpha_per_layer

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
    axes = np.asarray(axes).ravel()
    if axes.shape != (2,):
        raise ValueError(f"axes must be 2 matplotlib Axes; got {axes.shape[0]}.")
    probes = [_family(result, f) for f in ("good", "bad")]
    plot_alpha_per_layer(
        probes, axes[0], title="α* per layer (x: good's layer names)", legend="inside"
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for probe, style in zip(probes, ("-", "--"), strict=True):
        x = np.arange(len(probe.layer_names))
        for color, index in zip(colors, INDICES, strict=False):
            axes[1].plot(x, probe.mean(f"clustering.{index}"), style, marker="o", ms=3, color=color)
    handles = [
        Line2D([], [], color=c, marker="o", ms=3, label=name)
        for c, name in zip(colors, INDICES.values(), strict=False)
    ]
    handles += [
        Line2D([], [], color="k", ls=s, label=p.label)
        for s, p in zip(("-", "--"), probes, strict=True)
    ]
    axes[1].legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes[1].set_xlabel("layer (position in forward order; 0 = input)")
    axes[1].set_ylabel("index (mean over seeds)")
    axes[1].set_title("k-means (k = classes) indices per layer")
    axes[0].figure.suptitle(f"{result.setting} setting: {result.data}", fontsize=10)
    return axes


def write_outputs(result: NetworkStudyResult, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``good-bad-table2.md`` (raw alpha*, and the controlled score when probed) and
    ``good-bad-fig6.png`` into ``out_dir``."""
    out_dir = Path(out_dir)
    text = table2_markdown(result)
    if all(np.isfinite(r.mean("baseline.score")).all() for r in result.results):
        text += "\n" + table2_markdown(result, score="baseline.score")
    files = [atomic_write_text(out_dir / "good-bad-table2.md", text)]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes = plot_fig6(result)
    fig = axes[0].figure
    files.append(atomic_write(out_dir / "good-bad-fig6.png", lambda t: fig.savefig(t, dpi=120)))
    plt.close(fig)
    return files


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m sparsity_widgets.studies.good_bad OUT``: Table 2 and Fig. 6 from
    ``OUT/good-bad.json``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out", type=Path, help="folder of good-bad.json (the study's --out)")
    args = parser.parse_args(argv)
    result = NetworkStudyResult.from_json(args.out / "good-bad.json")
    for path in write_outputs(result, args.out):
        print(f"wrote {path}")
    print(table2_markdown(result))


if __name__ == "__main__":  # pragma: no cover
    main()
