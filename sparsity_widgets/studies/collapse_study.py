"""``sparsity-widgets study collapse``: the slides' NCC study, vanilla against SVSL.

For every task of a setting (:mod:`.collapse_settings`), variant (vanilla, SVSL) and seed:
train with a checkpoint per ``checkpoint_every`` epochs; probe every checkpoint for the NCC
mismatch Lambda^j on train and test, NC1 and the class-mean pictures
(:func:`~sparsity_widgets.probe.probe_collapse_checkpoints`); find the interpolation threshold
(IT) from the checkpoints; score alpha* of every layer at the IT and at the end
(:func:`~sparsity_widgets.probe.probe_model`). Each (task, variant, seed) is a cell of a grid
(:mod:`sparsity_widgets.grid`): written at once to ``OUT/cells/<key>.json`` (the full
per-checkpoint metrics) and skipped on a rerun; training resumes from its checkpoints, so an
interrupted study restarts where it stopped, and the cells run one after another, on local
processes or on a Dask cluster. The summary, its tables and figures go to
``OUT/collapse-<setting>.json``, ``.md`` and ``.png``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .._run_lock import hold_run_folder
from .._schema import Where, read_json, require
from .collapse_run import CollapseRun
from .collapse_settings import VARIANTS, CollapseSetting, CollapseTask, collapse_setting

__all__ = ["collapse_cell", "run_collapse_study"]

_CELL_SCHEMA = "sparsity_widgets.collapse_study_cell/1"
_CELL_HINT = "Delete the file; the study recomputes that cell from its checkpoints."
_DATA: dict[str, Any] = {}


def _key(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _load_data(task: CollapseTask, data_dir: Any, cache: dict[str, Any]) -> Any:
    from ..datasets import load_dataset

    key = json.dumps([task.dataset, task.dataset_options], sort_keys=True, default=list)
    if key not in cache:
        options = dict(task.dataset_options)
        if task.needs_data_dir:
            options["root"] = data_dir
        cache[key] = load_dataset(task.dataset, **options)
    return cache[key]


def _check_data_dir(setting: CollapseSetting, data_dir: Any) -> None:
    """Refuse a setting that reads image files without ``data_dir``, before any training."""
    needing = [t.dataset for t in setting.tasks if t.needs_data_dir]
    if needing and data_dir is None:
        raise ValueError(
            f"the {setting.name} setting reads {', '.join(needing)} from --data-dir (data_dir); "
            "got none. Put the official files there (see sparsity_widgets.datasets) or use "
            "--setting quick, which needs no download."
        )
    if needing and not Path(data_dir).is_dir():
        raise ValueError(f"data_dir must be an existing folder; got {str(data_dir)!r}.")


def _alpha(model: Any, data: Any, layers: list[str], settings: Any, **record: Any) -> list[float]:
    from ..probe import probe_model

    run = probe_model(model, data, layers=layers, settings=settings, progress=False, **record)
    return [layer.alpha_star for layer in run.layers]


def _run_cell(
    task: CollapseTask,
    variant: str,
    seed: int,
    *,
    n_alpha_samples: int | None,
    picture_every: int,
    with_pictures: bool,
    train_threads: int,
    data: Any,
    out_dir: Path,
    probe_settings: Any,
    device: str,
    data_dir: Any,
) -> tuple[CollapseRun, Any]:
    """Train (or resume) one network, probe its checkpoints; (summary, CollapseOverTraining)."""
    from ..grid import training_threads
    from ..models import probe_points
    from ..probe import probe_collapse_checkpoints
    from ..training import load_checkpoint, train
    from ..training.checkpoints import checkpoint_path

    config = task.train_config(variant, seed, device=device, data_dir=data_dir)
    run_dir = out_dir / "runs" / _key(config.to_dict() | {"device": None})
    with training_threads(train_threads):
        run = train(config, run_dir, data=data, progress=False)
    layers = ["input", *(name for name, _ in probe_points(run.model))]
    over = probe_collapse_checkpoints(
        run.checkpoints, layers=layers, data=data, device=device, progress=False
    )
    it_epoch, _ = over.checkpoint_interpolation()
    alpha_data = data.train
    if n_alpha_samples is not None and len(alpha_data) > n_alpha_samples:
        from ..probe.collapse_epochs import _subset

        alpha_data = _subset(alpha_data, n_alpha_samples)
    alphas = {}
    for epoch in sorted({it_epoch, over.end_epoch}):
        path = checkpoint_path(run_dir, epoch)
        model, _, _ = load_checkpoint(path)
        alphas[epoch] = _alpha(
            model,
            alpha_data,
            layers,
            probe_settings,
            seed=seed,
            source=str(path),
            epoch=epoch,
            device=device,
        )
    summary = CollapseRun.from_probes(
        over,
        dataset=task.dataset,
        variant=variant,
        seed=seed,
        alpha_it=alphas[it_epoch],
        alpha_end=alphas[over.end_epoch],
        history_test_accuracy=run.history.test_accuracy,
        picture_every=picture_every,
        with_pictures=with_pictures,
    )
    return summary, over


def _task(task: dict[str, Any]) -> CollapseTask:
    """The task of a cell, from its JSON parameters (lists back to tuples)."""
    return CollapseTask(
        **{k: tuple(v) if k == "svsl_layers" else v for k, v in task.items()}  # type: ignore[arg-type]
    )


def _legacy_cell_file(
    out_dir: Path, task: CollapseTask, variant: str, seed: int, probe: Any
) -> Path:
    """Where studies before the grid runner saved a cell (still read, never written)."""
    from dataclasses import asdict

    payload = {"task": asdict(task), "variant": variant, "seed": seed, "probe": probe}
    return out_dir / "cells" / f"{task.dataset}-{variant}-seed{seed}-{_key(payload)}.json"


def _check_cell(data: Any, at: Where) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("schema") != _CELL_SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise at.key("schema").error(repr(_CELL_SCHEMA), repr(found))
    return data


def collapse_cell(
    task: dict[str, Any],
    variant: str,
    seed: int,
    n_alpha_samples: int | None,
    picture_every: int,
    with_pictures: bool,
    probe: dict[str, Any],
    train_threads: int = 1,
    *,
    out_dir: str,
    data_dir: str | None = None,
    device: str = "auto",
) -> dict[str, Any]:
    """One grid cell of the NCC study: train (or resume) one network and probe it.

    Parameters
    ----------
    task : dict
        ``dataclasses.asdict`` of a :class:`~.collapse_settings.CollapseTask`.
    variant : {"vanilla", "svsl"}
    seed : int
    n_alpha_samples : int or None
        Training samples of the alpha* probe (None: all).
    picture_every : int
        Keep the class-mean pictures of every this many epochs.
    with_pictures : bool
        Keep pictures at all (the first seed of a setting does).
    probe : dict
        ``ProbeSettings.to_dict()`` of the alpha* probe.
    train_threads : int, default=1
        torch threads while training (:data:`sparsity_widgets.grid.TRAIN_THREADS`).
    out_dir : str
        The study's folder (training in ``runs/``).
    data_dir : str, optional
        Folder of the image data sets.
    device : str, default="auto"
        Also ``"cuda:K"``, GPU K of a grid over several GPUs.

    Returns
    -------
    dict
        ``{"schema", "summary": CollapseRun.to_dict(), "over": CollapseOverTraining.to_dict()}``.
    """
    from ..grid import select_gpu
    from ..probe import ProbeSettings

    device = select_gpu(device)
    folder = Path(out_dir)
    collapse_task = _task(task)
    legacy = _legacy_cell_file(folder, collapse_task, variant, seed, probe)
    if legacy.exists():
        return _check_cell(
            read_json(legacy, Where.of("NCC study cell", legacy, _CELL_HINT)),
            Where.of("NCC study cell", legacy, _CELL_HINT),
        )
    summary, over = _run_cell(
        collapse_task,
        variant,
        seed,
        n_alpha_samples=n_alpha_samples,
        picture_every=picture_every,
        with_pictures=with_pictures,
        train_threads=train_threads,
        data=_load_data(collapse_task, data_dir, _DATA),
        out_dir=folder,
        probe_settings=ProbeSettings.from_dict(probe),
        device=device,
        data_dir=data_dir,
    )
    return {"schema": _CELL_SCHEMA, "summary": summary.to_dict(), "over": over.to_dict()}


def run_collapse_study(
    setting: str | CollapseSetting = "quick",
    *,
    seeds: Any = None,
    out_dir: str | os.PathLike = "studies-output",
    data_dir: str | os.PathLike | None = None,
    probe_settings: Any = None,
    device: str = "auto",
    progress: bool = True,
    backend: str = "sequential",
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    gpus: int = 0,
) -> Any:
    """Train, probe and summarise the NCC study; resumes from ``out_dir``.

    Parameters
    ----------
    setting : {"quick", "full"} or CollapseSetting, default="quick"
    seeds : sequence of int, optional
        Overrides the setting's seeds (distinct, >= 0).
    out_dir : path-like
        Cache and output folder: ``runs/`` (training), ``cells/`` (one JSON per trained
        network), and ``collapse-<setting>.json`` / ``.md`` / ``.png`` at the top.
    data_dir : path-like, optional
        Folder of the image data sets (the full setting's; the quick one needs none).
    probe_settings : ProbeSettings, optional
        The forest of the alpha* probe (default :class:`~sparsity_widgets.probe.ProbeSettings`).
    device : {"auto", "cpu", "cuda"}, default="auto"
    progress : bool, default=True
        One progress bar over the (task, variant, seed) cells.
    backend, workers, scheduler, threads, gpus
        Where the cells run, as in :func:`sparsity_widgets.grid.run_grid`.

    Returns
    -------
    CollapseStudyResult

    Raises
    ------
    ValueError
        An unknown setting, bad seeds, the full setting without ``data_dir``, or a bad grid
        option.
    GridError
        When some networks failed (a :class:`~sparsity_widgets.training.TrainConfig` or probe
        error, say); the others are saved, and a rerun computes only the missing ones.
    RunFolderInUseError
        When another run holds ``out_dir``.
    """
    from dataclasses import asdict

    from ..grid import TRAIN_THREADS, Cell, cell_path, check_backend, run_grid
    from ..probe import ProbeSettings
    from .collapse_result import CollapseStudyResult

    check_backend(backend, workers, scheduler, threads)
    setting = collapse_setting(setting, seeds)
    _check_data_dir(setting, data_dir)
    probe_settings = probe_settings or ProbeSettings()
    out_dir = Path(out_dir)
    context = {
        "out_dir": os.fspath(out_dir),
        "data_dir": None if data_dir is None else os.fspath(data_dir),
        "device": device,
    }
    cells = [
        Cell(
            collapse_cell,
            {
                "task": asdict(task),
                "variant": variant,
                "seed": seed,
                "n_alpha_samples": setting.n_alpha_samples,
                "picture_every": setting.picture_every,
                "with_pictures": seed == setting.seeds[0],
                "probe": probe_settings.to_dict(),
                "train_threads": TRAIN_THREADS,
            },
            context,
        )
        for task in setting.tasks
        for variant in VARIANTS
        for seed in setting.seeds
    ]
    with hold_run_folder(out_dir):
        replies = run_grid(
            cells,
            out_dir,
            backend=backend,
            workers=workers,
            scheduler=scheduler,
            threads=threads,
            gpus=gpus,
            progress=progress,
            desc="NCC study",
        )
        runs = []
        for cell, reply in zip(cells, replies, strict=True):
            at = Where.of("NCC study cell", cell_path(out_dir, cell), _CELL_HINT).key("result")
            data = _check_cell(reply, at)
            runs.append(
                CollapseRun.from_dict(require(data, "summary", "object", at), at.key("summary"))
            )
        result = CollapseStudyResult(setting=setting.name, runs=tuple(runs))
        result.save(out_dir)
    return result
