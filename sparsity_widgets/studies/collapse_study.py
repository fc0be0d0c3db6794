"""``sparsity-widgets study collapse``: the slides' NCC study, vanilla against SVSL.

For every task of a setting (:mod:`.collapse_settings`), variant (vanilla, SVSL) and seed:
train with a checkpoint per ``checkpoint_every`` epochs; probe every checkpoint for the NCC
mismatch Lambda^j on train and test, NC1 and the class-mean pictures
(:func:`~sparsity_widgets.probe.probe_collapse_checkpoints`); find the interpolation threshold
(IT) from the checkpoints; score alpha* of every layer at the IT and at the end
(:func:`~sparsity_widgets.probe.probe_model`). Each finished (task, variant, seed) is written
at once to ``OUT/cells/<key>.json`` (the full per-checkpoint metrics) and skipped on a rerun;
training resumes from its checkpoints, so an interrupted study restarts where it stopped. The
summary, its tables and figures go to ``OUT/collapse-<setting>.json``, ``.md`` and ``.png``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from .._io import atomic_write_text
from .._run_lock import hold_run_folder
from .._schema import Where, read_json, require
from .collapse_run import CollapseRun
from .collapse_settings import VARIANTS, CollapseSetting, CollapseTask, collapse_setting

__all__ = ["run_collapse_study"]

_CELL_SCHEMA = "sparsity_widgets.collapse_study_cell/1"
_CELL_HINT = "Delete the file; the study recomputes that cell from its checkpoints."


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
    setting: CollapseSetting,
    *,
    data: Any,
    out_dir: Path,
    probe_settings: Any,
    device: str,
    data_dir: Any,
) -> tuple[CollapseRun, Any]:
    """Train (or resume) one network, probe its checkpoints; (summary, CollapseOverTraining)."""
    from ..models import probe_points
    from ..probe import probe_collapse_checkpoints
    from ..training import load_checkpoint, train
    from ..training.checkpoints import checkpoint_path

    config = task.train_config(variant, seed, device=device, data_dir=data_dir)
    run_dir = out_dir / "runs" / _key(config.to_dict() | {"device": None})
    run = train(config, run_dir, data=data, progress=False)
    layers = ["input", *(name for name, _ in probe_points(run.model))]
    over = probe_collapse_checkpoints(
        run.checkpoints, layers=layers, data=data, device=device, progress=False
    )
    it_epoch, _ = over.checkpoint_interpolation()
    alpha_data = data.train
    if setting.n_alpha_samples is not None and len(alpha_data) > setting.n_alpha_samples:
        from ..probe.collapse_epochs import _subset

        alpha_data = _subset(alpha_data, setting.n_alpha_samples)
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
        picture_every=setting.picture_every,
        with_pictures=seed == setting.seeds[0],
    )
    return summary, over


def _cell_file(out_dir: Path, task: CollapseTask, variant: str, seed: int, probe: Any) -> Path:
    from dataclasses import asdict

    payload = {"task": asdict(task), "variant": variant, "seed": seed, "probe": probe}
    return out_dir / "cells" / f"{task.dataset}-{variant}-seed{seed}-{_key(payload)}.json"


def _read_cell(path: Path) -> CollapseRun:
    at = Where.of("NCC study cell", path, _CELL_HINT)
    data = read_json(path, at)
    if data.get("schema") != _CELL_SCHEMA:
        raise at.key("schema").error(repr(_CELL_SCHEMA), repr(data.get("schema")))
    return CollapseRun.from_dict(require(data, "summary", "object", at), at.key("summary"))


def run_collapse_study(
    setting: str | CollapseSetting = "quick",
    *,
    seeds: Any = None,
    out_dir: str | os.PathLike = "studies-output",
    data_dir: str | os.PathLike | None = None,
    probe_settings: Any = None,
    device: str = "auto",
    progress: bool = True,
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

    Returns
    -------
    CollapseStudyResult

    Raises
    ------
    ValueError
        An unknown setting, bad seeds, the full setting without ``data_dir``, or a
        :class:`~sparsity_widgets.training.TrainConfig` / probe error.
    RunFolderInUseError
        When another run holds ``out_dir``.
    """
    from ..probe import ProbeSettings
    from .collapse_result import CollapseStudyResult

    setting = collapse_setting(setting, seeds)
    _check_data_dir(setting, data_dir)
    probe_settings = probe_settings or ProbeSettings()
    out_dir = Path(out_dir)
    cells = [(t, v, s) for t in setting.tasks for v in VARIANTS for s in setting.seeds]
    data_cache: dict[str, Any] = {}
    runs = []
    with hold_run_folder(out_dir):
        bar = tqdm(cells, desc="NCC study", unit="network", disable=not progress)
        for task, variant, seed in bar:
            bar.set_postfix_str(f"{task.dataset} {variant} seed {seed}")
            path = _cell_file(out_dir, task, variant, seed, probe_settings.to_dict())
            if path.exists():
                runs.append(_read_cell(path))
                continue
            try:
                summary, over = _run_cell(
                    task,
                    variant,
                    seed,
                    setting,
                    data=_load_data(task, data_dir, data_cache),
                    out_dir=out_dir,
                    probe_settings=probe_settings,
                    device=device,
                    data_dir=data_dir,
                )
            except ValueError as exc:
                raise ValueError(
                    f"NCC study: the network {task.dataset} / {variant} / seed {seed} failed "
                    f"({len(runs)} finished networks are saved in {out_dir / 'cells'}): {exc}"
                ) from exc
            cell = {"schema": _CELL_SCHEMA, "summary": summary.to_dict(), "over": over.to_dict()}
            atomic_write_text(path, json.dumps(cell) + "\n")
            runs.append(summary)
        bar.close()
        result = CollapseStudyResult(setting=setting.name, runs=tuple(runs))
        result.save(out_dir)
    return result
