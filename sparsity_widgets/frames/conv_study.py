"""Model selection with convolutional chain, residual and dense networks (the paper's Sec. 5).

For a grid of convolutional networks (:func:`.make_conv_architecture`: chain and residual
networks over residual blocks per group and base width, dense networks over layers per group
and growth rate), compute each architecture's minimum deep frame potential (no data), train
the very network the dictionary describes (:class:`~sparsity_widgets.models.EdgeConvNet`) and
record its test error; then correlate.

- ``quick``: MNIST-1D with 1-D convolutions, 16 networks, two training seeds, a CPU in about
  half an hour.
- ``full``: CIFAR-10 with 2-D convolutions over the paper's grid (2 to 10 residual blocks per
  group and 4 to 32 filters; 2 to 12 dense layers per group and growth rates 2 to 12), meant for
  a GPU (``--device auto``) and CIFAR-10 in torchvision's layout under ``--data-dir``.

Every network is a cell of a grid (:mod:`sparsity_widgets.grid`): its row is saved in
``<out>/cells/`` and ``<out>/conv-study.json`` is rewritten atomically as soon as it is done,
and training checkpoints every epoch under ``<out>/runs``: an interrupted run started again
with the same arguments continues where it stopped. The networks run one after another by
default, or on local processes or a Dask cluster (``backend=``).

Run ``python -m sparsity_widgets.frames.conv_study --setting quick --out frames-output``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_text
from .._validation import check_choice
from .conv_induced import make_conv_architecture
from .study import correlation_lines, summarize

__all__ = [
    "CONV_SETTINGS",
    "ConvStudySetting",
    "format_conv_table",
    "main",
    "plot_conv_study",
    "run_conv_study",
]


@dataclass(frozen=True)
class ConvStudySetting:
    """Data, grid and training of one setting of the convolutional study.

    Attributes
    ----------
    dataset : {"mnist1d", "cifar10"}
    residual_grid : tuple of (blocks, width)
        Chain and residual networks: residual blocks per group and stem channels.
    dense_grid : tuple of (layers, growth)
        Dense networks: layers per group and growth rate.
    groups, filter_size : int
        Resolution levels and filter extent (see :func:`.make_conv_architecture`).
    restarts, max_iter : int
        Frame-potential minimisation: random starts and L-BFGS iterations per start.
    epochs, batch_size, lr, optimizer, weight_decay : training (``TrainConfig`` fields)
    seeds : tuple of int
        Training seeds; the test error is averaged over them.
    n_train : int or None
        Training subset size (None: the whole split).
    """

    dataset: str
    residual_grid: tuple[tuple[int, int], ...]
    dense_grid: tuple[tuple[int, int], ...]
    groups: int = 3
    filter_size: int = 3
    restarts: int = 1
    max_iter: int = 300
    epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    seeds: tuple[int, ...] = (0,)
    n_train: int | None = None


CONV_SETTINGS = {
    "quick": ConvStudySetting(
        dataset="mnist1d",
        residual_grid=tuple((b, w) for b in (1, 2, 3) for w in (8, 16)),
        dense_grid=tuple((n, g) for n in (2, 4) for g in (4, 8)),
        max_iter=1000,
        epochs=20,
        seeds=(0, 1),
    ),
    "full": ConvStudySetting(
        dataset="cifar10",
        residual_grid=tuple((b, w) for b in (2, 4, 6, 8, 10) for w in (4, 8, 16, 32)),
        dense_grid=tuple((n, g) for n in (2, 4, 8, 12) for g in (2, 4, 8, 12)),
        max_iter=1000,
        epochs=40,
        weight_decay=5e-4,
    ),
}
ARCHS = ("chain", "residual", "dense")
LAST_EPOCHS = 5
"""The test error of a run is averaged over its last epochs (the final epoch alone moves by
several points between neighbouring epochs on MNIST-1D)."""


def _jobs(setting: ConvStudySetting) -> list[tuple[str, int, int]]:
    jobs = [(a, b, w) for a in ("chain", "residual") for b, w in setting.residual_grid]
    return jobs + [("dense", n, g) for n, g in setting.dense_grid]


def _model_options(setting: ConvStudySetting, job: tuple[str, int, int]) -> dict[str, Any]:
    """Keyword options of both :func:`.make_conv_architecture` and the ``edge-conv-net`` model."""
    arch, blocks, width = job
    return {
        "arch": arch,
        "width": width,
        "blocks": blocks,
        "groups": setting.groups,
        "filter_size": setting.filter_size,
    }


def _load(setting: ConvStudySetting, data_dir: str | None) -> Any:
    from ..datasets import DatasetSplits, LabeledArrays, load_dataset

    if setting.dataset == "cifar10" and data_dir is None:
        raise ValueError(
            "data_dir is required for CIFAR-10: a folder holding cifar-10-batches-py "
            "(torchvision's layout); nothing is downloaded."
        )
    data = load_dataset(
        setting.dataset,
        root=data_dir if setting.dataset == "cifar10" else None,
        n_train=setting.n_train,
    )
    # standardise every input channel with the training split's statistics
    axes = (0, *range(2, data.train.X.ndim))
    mean = data.train.X.mean(axis=axes, keepdims=True)
    std = data.train.X.std(axis=axes, keepdims=True) + 1e-6

    def scaled(part: Any) -> Any:
        X = ((part.X - mean) / std).astype(np.float32)
        return LabeledArrays(X=X, y=part.y, class_names=part.class_names, name=part.name)

    return DatasetSplits(
        name=data.name, train=scaled(data.train), test=scaled(data.test), info=data.info
    )


_DATA: dict[str, Any] = {}


def _setting_from(described: dict[str, Any]) -> ConvStudySetting:
    """Inverse of ``asdict`` after JSON (lists back to tuples)."""
    fields = dict(described)
    for name in ("residual_grid", "dense_grid"):
        fields[name] = tuple(tuple(pair) for pair in fields[name])
    fields["seeds"] = tuple(fields["seeds"])
    return ConvStudySetting(**fields)


def _cached_load(setting: ConvStudySetting, data_dir: str | None) -> Any:
    """:func:`_load`, once per process and data (each grid worker loads its own copy)."""
    key = json.dumps([setting.dataset, setting.n_train, data_dir])
    if key not in _DATA:
        _DATA[key] = _load(setting, data_dir)
    return _DATA[key]


def conv_network(
    job: list[Any],
    setting: dict[str, Any],
    train_threads: int = 1,
    *,
    out_dir: str,
    data_dir: str | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """One grid cell of the study: minimise one architecture's frame potential, train its
    network over the seeds; its row.

    Parameters
    ----------
    job : [arch, blocks, width]
    setting : dict
        The setting as ``asdict`` and JSON give it.
    train_threads : int, default=1
        torch threads while training (:data:`sparsity_widgets.grid.TRAIN_THREADS`).
    out_dir : str
        The study's folder (training runs under ``runs/``).
    data_dir : str, optional
    device : str
        A resolved device (``"cpu"``, ``"cuda"``, or ``"cuda:K"`` of a grid over GPUs).

    Returns
    -------
    dict
        The row (see :func:`run_conv_study`).
    """
    from ..grid import select_gpu, training_threads
    from ..training import TrainConfig, train
    from .minimize import minimize_frame_potential

    device = select_gpu(device)
    conv = _setting_from(setting)
    job = (str(job[0]), int(job[1]), int(job[2]))
    data = _cached_load(conv, data_dir)
    input_shape = tuple(int(s) for s in data.train.X.shape[1:])
    options = _model_options(conv, job)
    architecture = make_conv_architecture(input_shape=input_shape, **options)
    fp = minimize_frame_potential(
        architecture,
        n_restarts=conv.restarts,
        max_iter=conv.max_iter,
        device=device,
        num_threads=1 if device == "cpu" else None,
    )
    errors, final_errors, seconds = [], [], 0.0
    for seed in conv.seeds:
        config = TrainConfig(
            model="edge-conv-net",
            model_options=options,
            dataset=conv.dataset,
            dataset_options={} if conv.n_train is None else {"n_train": conv.n_train},
            epochs=conv.epochs,
            batch_size=conv.batch_size,
            lr=conv.lr,
            optimizer=conv.optimizer,
            weight_decay=conv.weight_decay,
            seed=seed,
            device=device,
        )
        run_dir = Path(out_dir) / "runs" / f"{conv.dataset}-{job[0]}-b{job[1]}-w{job[2]}-s{seed}"
        with training_threads(train_threads):
            run = train(config, run_dir, data=data, progress=False)
        accuracy = run.history.test_accuracy
        errors.append(1.0 - float(np.mean(accuracy[-LAST_EPOCHS:])))
        final_errors.append(1.0 - accuracy[-1])
        seconds += sum(run.history.seconds)
    return {
        "arch": job[0],
        "blocks": job[1],
        "width": job[2],
        "n_layers": architecture.n_layers,
        "n_parameters": architecture.n_parameters,
        "n_atoms": architecture.n_atoms,
        "min_frame_potential": fp.value,
        "initial_frame_potential": fp.initial_value,
        "converged": fp.converged,
        "fp_iterations": fp.n_steps,
        "fp_seconds": round(fp.seconds, 2),
        "val_error": float(np.mean(errors)),
        "val_errors": errors,
        "final_errors": final_errors,
        "train_seconds": round(seconds, 1),
    }


def run_conv_study(
    setting: str | ConvStudySetting = "quick",
    *,
    out_dir: str | Path = "frames-output",
    data_dir: str | None = None,
    device: str = "cpu",
    progress: bool = True,
    backend: str = "sequential",
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    gpus: int = 0,
) -> dict[str, Any]:
    """Minimise, train and correlate over the grid of a setting, resuming earlier work.

    Every network is a cell of a grid (:func:`sparsity_widgets.grid.run_grid`), saved in
    ``<out>/cells/`` as soon as it is done; rows of a ``conv-study.json`` of the same setting
    written before (also by earlier versions) are kept.

    Parameters
    ----------
    setting : "quick", "full" or ConvStudySetting
    out_dir : path
        ``conv-study.json`` (rewritten after every network), ``cells/`` and ``runs/``
        (checkpoints).
    data_dir : str, optional
        Folder with CIFAR-10 (``full``); unused for MNIST-1D.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"``, for the minimisation and the training.
    progress : bool
        A tqdm bar over the networks.
    backend, workers, scheduler, threads, gpus
        Where the networks run (see :func:`sparsity_widgets.grid.run_grid`); default one after
        another here.

    Returns
    -------
    dict
        ``rows`` (arch, blocks, width, n_layers, n_parameters, min_frame_potential,
        converged, val_error, ...), ``correlations`` (:func:`.summarize`) and the setting.
        ``val_error`` is the test error averaged over the last :data:`LAST_EPOCHS` epochs and
        over the seeds (``val_errors`` per seed, ``final_errors`` at the last epoch).
    """
    from ..grid import TRAIN_THREADS, Cell, check_backend, run_grid
    from .minimize import resolve_device

    check_backend(backend, workers, scheduler, threads)
    name = setting if isinstance(setting, str) else "custom"
    if isinstance(setting, str):
        setting = CONV_SETTINGS[check_choice("setting", setting, tuple(CONV_SETTINGS))]
    device = resolve_device(device)
    out_dir = Path(out_dir)
    out_file = out_dir / "conv-study.json"
    described = json.loads(json.dumps(asdict(setting)))  # tuples -> lists, as stored
    done: dict[tuple, dict[str, Any]] = {}
    if out_file.exists():
        earlier = json.loads(out_file.read_text())
        if earlier.get("setting") == described:
            done = {(r["arch"], r["blocks"], r["width"]): r for r in earlier["rows"]}
    data = _cached_load(setting, data_dir)
    start = time.perf_counter()
    jobs = _jobs(setting)
    context = {"out_dir": str(out_dir), "data_dir": data_dir, "device": device}
    cells = {
        job: Cell(
            conv_network,
            {"job": list(job), "setting": described, "train_threads": TRAIN_THREADS},
            context,
        )
        for job in jobs
        if job not in done
    }

    def finished(cell: Any, row: dict[str, Any]) -> None:
        done[tuple(cell.parameters["job"])] = row
        rows = [done[job] for job in jobs if job in done]
        _write(out_file, name, described, data, device, rows, len(jobs), start)

    results = run_grid(
        list(cells.values()),
        out_dir,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        threads=threads,
        gpus=gpus,
        progress=progress,
        desc="conv networks",
        on_result=finished,
    )
    done.update(zip(cells, results, strict=True))  # with cells of an interrupted call
    rows = [done[job] for job in jobs]
    return _write(out_file, name, described, data, device, rows, len(jobs), start)


def _write(
    out_file: Path,
    name: str,
    described: dict[str, Any],
    data: Any,
    device: str,
    rows: list[dict[str, Any]],
    n_jobs: int,
    start: float,
) -> dict[str, Any]:
    import torch

    result = {
        "setting_name": name,
        "setting": described,
        "dataset": f"{data.name}: {len(data.train.y)} training, {len(data.test.y)} test samples",
        "device": device,
        "torch": torch.__version__,
        "seconds_this_call": round(time.perf_counter() - start, 1),
        "complete": len(rows) == n_jobs,
        "rows": rows,
        "correlations": summarize(rows) if len(rows) >= 3 else {},
    }
    atomic_write_text(out_file, json.dumps(result, indent=2))
    return result


def format_conv_table(result: dict[str, Any]) -> str:
    """The study's rows and correlations as a plain-text table."""
    lines = [
        f"{'arch':<9}{'blocks':>7}{'width':>6}{'layers':>7}{'weights':>9}{'min F^2':>12}"
        f"{'test err':>9}",
    ]
    for r in result["rows"]:
        lines.append(
            f"{r['arch']:<9}{r['blocks']:>7}{r['width']:>6}{r['n_layers']:>7}"
            f"{r['n_parameters']:>9}{r['min_frame_potential']:>12.3e}{r['val_error']:>9.3f}"
        )
    if result["correlations"]:
        lines += correlation_lines(result["correlations"], "test error")
    return "\n".join(lines)


def plot_conv_study(result: dict[str, Any], axes: Any = None) -> Any:
    """Figure 2 (d, e) of the paper for this study: min F^2 and test error against weights.

    Parameters
    ----------
    result : dict
        The output of :func:`run_conv_study`.
    axes : sequence of two matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    else:
        fig = axes[0].figure
    colors = {"chain": "tab:blue", "residual": "tab:orange", "dense": "tab:green"}
    for arch in ARCHS:
        rows = [r for r in result["rows"] if r["arch"] == arch]
        if not rows:
            continue
        params = [r["n_parameters"] for r in rows]
        for ax, key in zip(axes, ("min_frame_potential", "val_error"), strict=True):
            ax.scatter(params, [r[key] for r in rows], label=arch, color=colors[arch], s=25)
    for ax, label in zip(axes, ("minimum deep frame potential", "test error"), strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("weights (log scale)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_yscale("log")
    axes[0].legend()
    return fig


def main(argv: list[str] | None = None) -> int:
    """``python -m sparsity_widgets.frames.conv_study [--setting quick|full] ...``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=tuple(CONV_SETTINGS), default="quick")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    parser.add_argument("--data-dir", default=None, help="CIFAR-10 folder (full setting)")
    parser.add_argument("--out", type=Path, default=Path("frames-output"))
    parser.add_argument("--plot", type=Path, default=None, help="also save the figure here")
    from ..grid.cli_args import add_grid_arguments, grid_options

    add_grid_arguments(parser, "networks")
    args = parser.parse_args(argv)
    try:
        grid = grid_options(args)
    except ValueError as exc:
        parser.error(str(exc))
    result = run_conv_study(
        args.setting, out_dir=args.out, data_dir=args.data_dir, device=args.device, **grid
    )
    print(format_conv_table(result))
    print(f"{result['seconds_this_call']} s; wrote {args.out / 'conv-study.json'}")
    if args.plot is not None:
        plot_conv_study(result).savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
