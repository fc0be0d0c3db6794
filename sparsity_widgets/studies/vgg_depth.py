"""The paper's VGG depth experiment (Sec. 4.2.1, Fig. 5): how much each added layer adds.

VGG-13, VGG-16 and VGG-19 (:class:`~sparsity_widgets.models.VGG`, BatchNorm, five 2x2
max-pools) are trained on one data set and probed at the output of every max-pool and every
convolution block after the first five (the paper's caption: "We omit the first 5 layers of
each network"; in every configuration those are ``conv1_1, conv1_2, pool1, conv2_1,
conv2_2``, so each curve starts at ``pool2``). VGG-19 is also probed after half the epochs: its
checkpoint at ``epochs // 2`` of the same run. The runs use Adam at a constant learning rate
(no schedule), so that checkpoint is exactly the model one would get by training half as long.

Settings (:func:`define`):

``full``
    CIFAR-10 (50000 / 10000, 3 x 32 x 32) read from ``data_dir``, full-width VGGs (channels
    64-512), 100 epochs, VGG-19 also at epoch 50, as in the paper; Adam at 1e-3, batch 64 (the
    paper states no optimizer for this experiment); 3 seeds; ``--device auto``.
``quick``
    scikit-learn's digits (1347 / 450, ten classes) resized bilinearly from 8 x 8 to 32 x 32
    (the smallest side VGG's five 2x2 max-pools accept), VGGs at width 1/8 (channels 8, 16,
    32, 64, 64), 20 epochs, VGG-19 also at epoch 10; 3 seeds. Digits is the offline set closest
    to CIFAR-10's shape: ten classes of small images. It has one channel, is far easier
    (VGG-19 at width 1/8 reaches about 0.95 test accuracy after 3 epochs) and its 32 x 32
    pictures hold only 8 x 8 pixels of information.

Measured on the shared 2-core machine with one thread (``OMP_NUM_THREADS=1``): training VGG-19
at width 1/8 on the quick data costs about 1.8 CPU s per epoch; raw alpha* on its 16 layers
3.7 CPU s; the controlled score of the quick command (rotation-permuted, 2 repeats, K = 2048,
the widest scored layer: ``conv3_*`` with 32 channels at 8 x 8) 50 CPU s.

Run ``python -m sparsity_widgets.studies.vgg_depth OUT`` after the study to write the depth
table (``vgg-depth-table.md``) and Fig. 5 redrawn (``vgg-depth-fig5.png``) from
``OUT/vgg-depth.json``.
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
    "DEPTHS",
    "HALF_LABEL",
    "N_OMITTED",
    "define",
    "depth_claims",
    "depth_table",
    "half_epoch_gap",
    "layer_positions",
    "plot_fig5",
    "probed_layers",
    "write_outputs",
]

DEPTHS = ("vgg13", "vgg16", "vgg19")
"""The three configurations, shallow to deep."""

LABELS = {"vgg13": "VGG-13", "vgg16": "VGG-16", "vgg19": "VGG-19"}

HALF_LABEL = "VGG-19, half the epochs"
"""Label of the VGG-19 checkpoint at half the training."""

N_OMITTED = 5
"""Probe points left out at the start of every network (the paper's Fig. 5 caption)."""

QUICK_DATA = (
    "scikit-learn digits (1347 train / 450 test, 10 classes) resized bilinearly from 8x8 to "
    "32x32, a stand-in for CIFAR-10; VGGs at width 1/8"
)
FULL_DATA = "CIFAR-10 (50000 train / 10000 test, 3x32x32), full-width VGGs"


def probed_layers(depth: str) -> tuple[str, ...]:
    """Dotted names of the layers of ``depth`` that Fig. 5 shows: every conv block and every
    max-pool, in order, without the first :data:`N_OMITTED`.

    Parameters
    ----------
    depth : {"vgg13", "vgg16", "vgg19"}

    Returns
    -------
    tuple of str
        E.g. ``("features.pool2", "features.conv3_1", ...)``: 10, 13 and 16 names.
    """
    from ..models.vgg import VGG_CONFIGS

    check_choice("depth", depth, DEPTHS)
    names = []
    for stage, n_convs in enumerate(VGG_CONFIGS[depth], 1):
        names += [f"features.conv{stage}_{i}" for i in range(1, n_convs + 1)]
        names.append(f"features.pool{stage}")
    return tuple(names[N_OMITTED:])


def define(setting: str) -> NetworkStudy:
    """The VGG depth study in ``setting``.

    Parameters
    ----------
    setting : {"quick", "full"}

    Returns
    -------
    NetworkStudy
        Four variants: VGG-13, VGG-16, VGG-19 and VGG-19 probed at half the epochs (the same
        runs as VGG-19, so it costs no training), three seeds.
    """
    check_choice("setting", setting, ("quick", "full"))
    if setting == "full":
        epochs, model_options, dataset, dataset_options = 100, {}, "cifar10", {}
        data, needs_data_dir = FULL_DATA, True
    else:
        epochs, model_options = 20, {"width": 0.125}
        dataset, dataset_options = "digits", {"image_size": 32}
        data, needs_data_dir = QUICK_DATA, False
    variants = [
        NetworkVariant(
            label=LABELS[depth],
            model=depth,
            dataset=dataset,
            epochs=epochs,
            model_options=dict(model_options),
            dataset_options=dict(dataset_options),
            layers=probed_layers(depth),
            group=depth,
        )
        for depth in DEPTHS
    ]
    variants.append(
        NetworkVariant(
            label=HALF_LABEL,
            model="vgg19",
            dataset=dataset,
            epochs=epochs,
            model_options=dict(model_options),
            dataset_options=dict(dataset_options),
            probe_epoch=epochs // 2,
            layers=probed_layers("vgg19"),
            group="vgg19-half",
        )
    )
    return NetworkStudy(
        name="vgg-depth",
        setting=setting,
        data=data,
        variants=tuple(variants),
        seeds=(0, 1, 2),
        needs_data_dir=needs_data_dir,
    )


def layer_positions(result: Any) -> np.ndarray:
    """x positions of a variant's layers in Fig. 5: the layer's index in its network counted
    from the first probe point (``conv1_1`` = 1), so that the curves of all depths start at
    the same ``pool2`` (6) and the deeper ones run further right.

    Parameters
    ----------
    result : ProbeResult
        One variant of the study.

    Returns
    -------
    ndarray of int, shape (n_layers,)
    """
    return np.arange(N_OMITTED + 1, N_OMITTED + 1 + len(result.layer_names))


def _score_name(key: str) -> str:
    if key == "alpha_star":
        return "raw alpha*"
    return "controlled score" if key == "baseline.score" else key


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _check_study(result: NetworkStudyResult) -> None:
    if not isinstance(result, NetworkStudyResult) or result.study != "vgg-depth":
        got = getattr(result, "study", type(result).__name__)
        raise ValueError(f"result must be the NetworkStudyResult of vgg-depth; got {got!r}.")


def depth_table(result: NetworkStudyResult, key: str = "alpha_star") -> str:
    """The depth study as Markdown: per variant its test accuracy, the score at its first and
    last probed layer and its maximum over the probed layers (mean ± std over seeds), and the
    layer where the mean peaks.

    Parameters
    ----------
    result : NetworkStudyResult
        Of ``vgg-depth``.
    key : str, default "alpha_star"
        ``"alpha_star"`` or ``"baseline.score"`` (the controlled score).

    Returns
    -------
    str
        A caption line saying what data and setting produced it, then the table.
    """
    _check_study(result)
    what = _score_name(key)
    lines = [
        f"vgg-depth, {result.setting} setting: {result.data}. {what} per variant "
        "(mean ± std over seeds).",
        "",
        f"| variant | epochs | test accuracy | {what} at pool2 | {what} at the last layer | "
        f"max {what} | at |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant, r in zip(result.variants, result.results, strict=True):
        table = r.values(key)
        mean, std = np.nanmean(table, axis=0), np.nanstd(table, axis=0)
        peak = np.nanmax(table, axis=1)
        acc = r.accuracy()
        acc_text = "n/a" if acc is None else f"{acc[0]:.3f} ± {acc[1]:.3f}"
        lines.append(
            f"| {r.label} | {variant['probe_epoch']} | {acc_text} | {mean[0]:.3f} ± {std[0]:.3f} "
            f"| {mean[-1]:.3f} ± {std[-1]:.3f} | {peak.mean():.3f} ± {peak.std():.3f} | "
            f"{_short(r.layer_names[int(np.nanargmax(mean))])} |"
        )
    return "\n".join(lines) + "\n"


def half_epoch_gap(result: NetworkStudyResult, key: str = "alpha_star") -> np.ndarray:
    """Per seed and layer, VGG-19's score after all epochs minus after half of them.

    Parameters
    ----------
    result : NetworkStudyResult
    key : str, default "alpha_star"

    Returns
    -------
    ndarray, shape (n_seeds, n_layers)
        Positive where the longer training scores higher (same seed, same layer).
    """
    _check_study(result)
    return result.result("VGG-19").values(key) - result.result(HALF_LABEL).values(key)


def _stage(name: str) -> int:
    short = _short(name)
    return int(short[4] if short.startswith("conv") else short[4:])


def depth_claims(result: NetworkStudyResult, key: str = "alpha_star") -> dict[str, Any]:
    """The numbers behind the paper's four statements about Fig. 5, from a saved study.

    Parameters
    ----------
    result : NetworkStudyResult
        Of ``vgg-depth``.
    key : str, default "alpha_star"
        Or ``"baseline.score"``.

    Returns
    -------
    dict
        ``accuracy``, ``last``, ``peak``: label -> (mean, std) over seeds of the test accuracy,
        of the score at the last probed layer (``pool5``), and of each seed's maximum over the
        probed layers. ``half_gap_early`` / ``half_gap_late``: mean over seeds of VGG-19's score
        after all epochs minus after half of them, averaged over the layers of stages 2-3
        (``pool2`` to ``pool3``) / of stage 5 (``conv5_1`` to ``pool5``);
        ``half_gap_late_positive``: (number of (seed, stage-5 layer) pairs with a positive gap,
        number of pairs). ``pool_dips``: label -> (number of max-pools whose seed-mean score is
        below that of the convolution just before, number of such max-pools: ``pool3`` to
        ``pool5``; ``pool2`` follows ``conv2_2``, which is not probed).
    """
    _check_study(result)
    out: dict[str, Any] = {"key": key, "accuracy": {}, "last": {}, "peak": {}, "pool_dips": {}}
    for r in result.results:
        table = r.values(key)
        acc = r.accuracy()
        out["accuracy"][r.label] = acc
        out["last"][r.label] = (float(table[:, -1].mean()), float(table[:, -1].std()))
        peak = np.nanmax(table, axis=1)
        out["peak"][r.label] = (float(peak.mean()), float(peak.std()))
        mean = np.nanmean(table, axis=0)
        names = [_short(n) for n in r.layer_names]
        pools = [i for i, n in enumerate(names) if n.startswith("pool") and i > 0]
        dips = sum(bool(mean[i] < mean[i - 1]) for i in pools)
        out["pool_dips"][r.label] = (dips, len(pools))
    gap = half_epoch_gap(result, key)
    stages = np.array([_stage(n) for n in result.result("VGG-19").layer_names])
    late, early = stages == 5, stages <= 3
    out["half_gap_early"] = float(gap[:, early].mean())
    out["half_gap_late"] = float(gap[:, late].mean())
    out["half_gap_late_positive"] = (int((gap[:, late] > 0).sum()), int(gap[:, late].size))
    return out


def plot_fig5(
    result: NetworkStudyResult,
    axes: Any = None,
    *,
    key: str = "alpha_star",
    title: str | None = None,
) -> Any:
    """The paper's Fig. 5 redrawn: the score per layer of each variant, mean over seeds with a
    band of ± one standard deviation, max-pools marked.

    Parameters
    ----------
    result : NetworkStudyResult
        Of ``vgg-depth``.
    axes : matplotlib Axes, optional
        Drawn into; a new figure when None.
    key : str, default "alpha_star"
        Or ``"baseline.score"`` (the controlled score; a line at its null, 0).
    title : str, optional
        Default: the setting and the data (every figure says what the models saw).

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    _check_study(result)
    if axes is None:
        _, axes = plt.subplots(figsize=(8, 4.5), layout="constrained")
    styles = {"VGG-13": "-", "VGG-16": "-", "VGG-19": "-", HALF_LABEL: "--"}
    for r in result.results:
        x = layer_positions(r)
        mean, std = r.mean(key), r.std(key)
        (line,) = axes.plot(x, mean, styles.get(r.label, "-"), lw=1.5, label=r.label)
        axes.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.15)
        pools = np.array([kind == "pool" for kind in r.layer_kinds]) | np.array(
            [_short(n).startswith("pool") for n in r.layer_names]
        )
        axes.plot(x[pools], mean[pools], "o", color=line.get_color(), ms=6)
    if key != "alpha_star":
        axes.axhline(0.0, color="k", lw=0.8)
    deepest = max(result.results, key=lambda r: len(r.layer_names))
    axes.set_xticks(
        layer_positions(deepest), [_short(n) for n in deepest.layer_names], rotation=60, fontsize=7
    )
    axes.set_xlabel("layer of VGG-19 at that position (markers: max-pool outputs)")
    axes.set_ylabel(_score_name(key))
    axes.set_title(
        title or f"Fig. 5 redrawn, {result.setting} setting: {result.data}", fontsize=8, wrap=True
    )
    axes.legend(fontsize=8)
    return axes


def write_outputs(result: NetworkStudyResult, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``vgg-depth-table.md`` and ``vgg-depth-fig5.png`` (raw alpha* and, when the run
    has it, the controlled score) into ``out_dir``.

    Returns
    -------
    list of Path
    """
    out_dir = Path(out_dir)
    keys = ["alpha_star"]
    if any(layer.baseline for r in result.results for run in r.runs for layer in run.layers):
        keys.append("baseline.score")
    text = "\n".join(depth_table(result, key) for key in keys)
    files = [atomic_write_text(out_dir / "vgg-depth-table.md", text)]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        len(keys), 1, figsize=(8, 4.5 * len(keys)), layout="constrained", squeeze=False
    )
    for ax, key in zip(axes[:, 0], keys, strict=True):
        plot_fig5(result, ax, key=key)
    png = out_dir / "vgg-depth-fig5.png"
    files.append(atomic_write(png, lambda t: fig.savefig(t, dpi=110, format="png")))
    plt.close(fig)
    return files


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m sparsity_widgets.studies.vgg_depth OUT``: the table and figure of OUT."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out", help="the study's output folder (holds vgg-depth.json)")
    args = parser.parse_args(argv)
    result = NetworkStudyResult.from_json(Path(args.out) / "vgg-depth.json")
    for path in write_outputs(result, args.out):
        print(path)


if __name__ == "__main__":  # pragma: no cover
    main()
