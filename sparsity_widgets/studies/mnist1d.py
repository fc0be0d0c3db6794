"""The MNIST-1D studies of Sec. 5 of the Sparsity-Probe paper, from training to tables.

Each study trains the paper's 7-layer CNN in a few variants (activation, batch size, stride at
the 4th layer, BatchNorm on the first k layers, or the training epoch), several seeds each,
probes every layer on the training set and reports alpha* per layer next to test accuracy.

Everything is cached under one output folder: a model is trained once per (variant, seed)
and shared by every study that uses it (the base model appears in all five); training
resumes from its last checkpoint and each (variant, seed) is a cell of a grid
(:mod:`sparsity_widgets.grid`), saved in ``cells/<key>.json`` as soon as it is done, so an
interrupted study restarts where it stopped. The cells run one after another by default, or on
local processes or a Dask cluster (``backend=``); probes cached in ``probes/`` by earlier
versions are read, not recomputed.

Settings: ``"quick"`` (16 channels, 20 epochs: a CPU run) and ``"full"`` (32 channels,
100 epochs, the paper's length).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_text
from .._run_lock import hold_run_folder
from .._schema import Where, read_json, reject_unknown, require, require_object
from .._validation import check_choice
from ._cells import seed_runs_by_variant

__all__ = [
    "SETTINGS",
    "STUDIES",
    "StudyResult",
    "StudySetting",
    "Variant",
    "run_study",
    "run_variants",
    "study_cells",
    "study_train_config",
    "study_variants",
    "train_and_probe",
]

STUDIES = ("activations", "batch-size", "stride", "batchnorm", "epochs")

_STUDY_HINT = (
    "The file is damaged or was not written by StudyResult.save; run the study again "
    "(`sparsity-widgets study`), which reuses its cached models and probes."
)


@dataclass(frozen=True)
class StudySetting:
    """Sizes of a study run.

    Attributes
    ----------
    channels, hidden : int
        Width of the conv layers and of the hidden linear layer.
    epochs : int
        Training length of every model.
    epoch_checkpoints : tuple of int
        Epochs probed by the ``epochs`` study.
    seeds : tuple of int
        Training seeds (the paper uses 3).
    batch_size : int
        Base batch size (the batch-size study varies it).
    lr : float
        Adam's learning rate.
    """

    channels: int
    hidden: int
    epochs: int
    epoch_checkpoints: tuple[int, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    batch_size: int = 64
    lr: float = 1e-3


SETTINGS = {
    "quick": StudySetting(channels=16, hidden=64, epochs=20, epoch_checkpoints=(1, 5, 10, 20)),
    "full": StudySetting(
        channels=32, hidden=128, epochs=100, epoch_checkpoints=(10, 20, 40, 60, 80, 100)
    ),
}

BASE_STRIDES = (1, 1, 1, 2, 1, 1, 1)
"""Stride 2 at the 4th conv layer (the paper raises it "from 2 to 5"), 1 elsewhere."""


@dataclass(frozen=True)
class Variant:
    """One curve of a study: model options and training overrides of the base model."""

    label: str
    model_options: dict[str, Any] = field(default_factory=dict)
    batch_size: int | None = None
    epoch: int | None = None


def study_variants(study: str, setting: StudySetting) -> list[Variant]:
    """The variants of a study, base model first where it is one of them.

    Parameters
    ----------
    study : {"activations", "batch-size", "stride", "batchnorm", "epochs"}
    setting : StudySetting

    Returns
    -------
    list of Variant
    """
    check_choice("study", study, STUDIES)
    if study == "activations":
        names = ("relu", "leaky-relu", "gelu", "sigmoid", "step")
        return [Variant(name, {"activation": name}) for name in names]
    if study == "batch-size":
        return [Variant(f"batch {b}", batch_size=b) for b in (64, 128, 512)]
    if study == "stride":
        wide = (1, 1, 1, 5, 1, 1, 1)
        return [
            Variant("stride 2 at layer 4", {}),
            Variant("stride 5 at layer 4", {"strides": wide}),
        ]
    if study == "batchnorm":
        return [
            Variant("BN on all 7" if k == 7 else f"BN on first {k}", {"batchnorm_layers": k})
            for k in (0, 2, 4, 6, 7)
        ]
    return [Variant(f"epoch {e}", epoch=e) for e in setting.epoch_checkpoints]


def _model_options(setting: StudySetting, variant: Variant) -> dict[str, Any]:
    options = {
        "channels": setting.channels,
        "hidden": setting.hidden,
        "activation": "relu",
        "strides": BASE_STRIDES,
        "batchnorm_layers": 7,
    }
    options.update(variant.model_options)
    options["strides"] = tuple(options["strides"])
    return options


def study_train_config(
    setting: StudySetting, variant: Variant, *, seed: int, device: str = "auto"
) -> Any:
    """The :class:`~sparsity_widgets.training.TrainConfig` of one model of a study.

    Every study that trains the MNIST-1D CNN builds its configuration here, so that equal
    settings give equal run folders (``runs/<hash of the configuration>``) and a model trained
    by one study is reused by another.

    Parameters
    ----------
    setting : StudySetting
        Width, epochs, batch size and learning rate.
    variant : Variant
        Model options and batch size over the base model's.
    seed : int
        Training seed.
    device : str, default="auto"

    Returns
    -------
    TrainConfig
    """
    from ..training import TrainConfig

    return TrainConfig(
        model="mnist1d-cnn",
        model_options=_model_options(setting, variant),
        dataset="mnist1d",
        dataset_options={},
        epochs=setting.epochs,
        batch_size=variant.batch_size or setting.batch_size,
        lr=setting.lr,
        seed=seed,
        device=device,
        checkpoint_every=1,
    )


def _key(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass
class StudyResult:
    """alpha* per layer of every variant of one study.

    Attributes
    ----------
    study : str
    setting : str
    results : list of ProbeResult
        One per variant, each over the study's seeds.
    """

    study: str
    setting: str
    results: list[Any]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "study": self.study,
            "setting": self.setting,
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: str | os.PathLike | None = None
    ) -> StudyResult:
        """Inverse of :meth:`to_dict`, checking every field.

        Parameters
        ----------
        data : dict
            Required: ``study``, ``setting`` (strings) and ``results``, a list of probe results
            (see :meth:`ProbeResult.from_dict`).
        source : path-like, optional
            The file ``data`` came from (``<study>.json``), named in error messages.

        Returns
        -------
        StudyResult

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the file, the key path (e.g.
            ``results[1].runs[0].layers[3].alpha_star``), what was expected and what was found.
        """
        from ..probe.result import ProbeResult

        at = Where.of("MNIST-1D study", source, _STUDY_HINT)
        data = require_object(data, at)
        reject_unknown(data, ["study", "setting", "results"], at)
        results = require(data, "results", "array", at)
        here = at.key("results")
        return cls(
            study=require(data, "study", "string", at),
            setting=require(data, "setting", "string", at),
            results=[ProbeResult._parse(r, here.item(i)) for i, r in enumerate(results)],
        )

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> StudyResult:
        """Read ``<study>.json`` as written by :meth:`save` (errors name the file and key)."""
        at = Where.of("MNIST-1D study", path, _STUDY_HINT)
        return cls.from_dict(read_json(path, at), source=path)

    def markdown_table(self) -> str:
        """Variant x layer table of alpha* (mean ± std over seeds; the value alone for a variant
        with one seed, whose spread is unknown) with test accuracy."""
        names = self.results[0].layer_names
        head = "| variant | test acc | " + " | ".join(names) + " |"
        rule = "|---|---|" + "---|" * len(names)
        lines = [head, rule]
        for result in self.results:

            def cell(mean: float, std: float, several: bool = len(result.runs) > 1) -> str:
                return f"{mean:.3f} ± {std:.3f}" if several else f"{mean:.3f}"

            acc = result.accuracy()
            acc_text = "n/a" if acc is None else cell(*acc)
            cells = [cell(m, s) for m, s in zip(result.mean(), result.std(), strict=True)]
            lines.append(f"| {result.label} | {acc_text} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def compact_rows(self) -> list[str]:
        """Markdown rows ``| study | variant | test acc | alpha* blocks.3 | alpha* hidden |``:
        the fourth conv block (where the stride study acts) and the last probed layer."""
        rows = []
        for result in self.results:
            names = result.layer_names
            mean, std = result.mean(), result.std()
            cells = []
            for name in ("blocks.3", names[-1]):
                j = names.index(name)
                cells.append(f"{mean[j]:.3f} ± {std[j]:.3f}")
            acc = result.accuracy()
            acc_text = "n/a" if acc is None else f"{acc[0]:.3f} ± {acc[1]:.3f}"
            rows.append(
                f"| {self.study} | {result.label} | {acc_text} | " + " | ".join(cells) + " |"
            )
        return rows

    def plot(self, axes: Any = None) -> Any:
        """alpha* per layer of every variant on one axes (spread bands over seeds)."""
        from ..probe.plots import plot_alpha_per_layer

        return plot_alpha_per_layer(
            self.results, axes, title=f"MNIST-1D, {self.study} ({self.setting} setting)"
        )

    def save(self, out_dir: str | os.PathLike) -> list[Path]:
        """Write ``<study>.json``, ``<study>.md`` and ``<study>.png`` into ``out_dir``."""
        out_dir = Path(out_dir)
        files = [
            atomic_write_text(out_dir / f"{self.study}.json", json.dumps(self.to_dict()) + "\n"),
            atomic_write_text(out_dir / f"{self.study}.md", self.markdown_table() + "\n"),
        ]
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover - the [plot] extra is optional
            return files
        from .._io import atomic_write

        ax = self.plot()
        fig = ax.figure
        files.append(atomic_write(out_dir / f"{self.study}.png", lambda t: fig.savefig(t, dpi=120)))
        plt.close(fig)
        return files


def run_study(
    study: str,
    *,
    setting: str | StudySetting = "quick",
    seeds: tuple[int, ...] | None = None,
    out_dir: str | os.PathLike = "studies-output",
    probe_settings: Any = None,
    device: str = "auto",
    progress: bool = True,
    backend: str = "sequential",
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    gpus: int = 0,
) -> StudyResult:
    """Train (or reuse), probe and tabulate one MNIST-1D study.

    Parameters
    ----------
    study : {"activations", "batch-size", "stride", "batchnorm", "epochs"}
    setting : {"quick", "full"} or StudySetting
    seeds : tuple of int, optional
        Overrides the setting's seeds.
    out_dir : path
        Cache and output folder (``runs/`` for training, ``probes/`` for scores, and the
        study's JSON, Markdown table and PNG at the top).
    probe_settings : ProbeSettings, optional
    device : str, default="auto"
    progress : bool, default=True
    backend : {"sequential", "loky", "dask"}, default="sequential"
        Where the (variant, seed) cells run (see :func:`sparsity_widgets.grid.run_grid`).
    workers : int, optional
        Cells at once (loky, dask).
    scheduler : str, optional
        Address of a Dask scheduler to join (dask only).
    threads : int, optional
        numba / torch threads of each cell (default: ``cores // workers`` with loky and dask,
        unchanged with sequential). Training uses :data:`~sparsity_widgets.grid.TRAIN_THREADS`
        torch threads whatever this is, so every backend gives the same results.
    gpus : int, default=0
        Spread the cells over this many GPUs, one cell per GPU at a time.

    Returns
    -------
    StudyResult
    """
    check_choice("study", study, STUDIES)
    if isinstance(setting, str):
        setting_name = check_choice("setting", setting, tuple(SETTINGS))
        setting = SETTINGS[setting]
    else:
        setting_name = "custom"
    if seeds is not None:
        setting = replace(setting, seeds=tuple(seeds))
    return run_variants(
        study,
        study_variants(study, setting),
        setting,
        setting_name=setting_name,
        out_dir=out_dir,
        probe_settings=probe_settings,
        device=device,
        progress=progress,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        threads=threads,
        gpus=gpus,
    )


_DATA: dict[str, Any] = {}


def _mnist1d() -> Any:
    """MNIST-1D, loaded once per process (each grid worker loads its own copy)."""
    if "mnist1d" not in _DATA:
        from ..datasets import load_dataset

        _DATA["mnist1d"] = load_dataset("mnist1d")
    return _DATA["mnist1d"]


def _probe_file(out_dir: Path, run_dir: Path, epoch: int, probe: dict[str, Any]) -> Path:
    """Where studies before the grid runner cached a probe (still read, never written)."""
    return out_dir / "probes" / f"{run_dir.name}-epoch{epoch}-{_key(probe)}.json"


def train_and_probe(
    config: dict[str, Any],
    epoch: int,
    probe: dict[str, Any],
    train_threads: int = 1,
    *,
    out_dir: str,
    device: str = "auto",
) -> dict[str, Any]:
    """One grid cell of a study: train (or reuse) one model and probe one of its checkpoints.

    Parameters
    ----------
    config : dict
        ``TrainConfig.to_dict()`` of the model, its ``device`` None (the run folder's key).
    epoch : int
        The checkpoint to probe.
    probe : dict
        ``ProbeSettings.to_dict()``.
    train_threads : int, default=1
        torch threads while training (:data:`sparsity_widgets.grid.TRAIN_THREADS`).
    out_dir : str
        The study's folder: training in ``runs/<key>``; a probe cached in ``probes/`` by
        earlier versions is read instead of probing again.
    device : str, default="auto"
        Also ``"cuda:K"``: GPU K (see :func:`sparsity_widgets.grid.select_gpu`).

    Returns
    -------
    dict
        ``SeedRun.to_dict()``: alpha* per layer and the accuracies.
    """
    from ..grid import select_gpu, training_threads
    from ..probe import ProbeSettings, SeedRun, probe_model
    from ..training import TrainConfig, load_checkpoint, train

    device = select_gpu(device)  # "cuda:K" of a grid over several GPUs
    folder = Path(out_dir)
    run_dir = folder / "runs" / _key(config)
    legacy = _probe_file(folder, run_dir, epoch, probe)
    if legacy.exists():
        return SeedRun.from_json(legacy).to_dict()
    data = _mnist1d()
    train_config = TrainConfig.from_dict({**config, "device": device})
    with training_threads(train_threads):
        train(train_config, run_dir, data=data, progress=False)
    checkpoint = run_dir / "checkpoints" / f"epoch_{epoch:04d}.pt"
    model, _, info = load_checkpoint(checkpoint)
    history = info["history"]
    run = probe_model(
        model,
        data.train,
        settings=ProbeSettings.from_dict(probe),
        seed=train_config.seed,
        test_accuracy=history.test_accuracy[-1],
        train_accuracy=history.train_accuracy[-1],
        source=str(checkpoint),
        epoch=epoch,
        device=device,
        progress=False,
    )
    return run.to_dict()


def study_cells(
    variants: list[Variant],
    setting: StudySetting,
    *,
    out_dir: str | os.PathLike,
    probe_settings: Any,
    device: str = "auto",
) -> list[Any]:
    """The grid of a study: one :class:`~sparsity_widgets.grid.Cell` per (variant, seed),
    variant-major.

    Returns
    -------
    list of Cell
    """
    from ..grid import TRAIN_THREADS, Cell

    probe = probe_settings.to_dict()
    return [
        Cell(
            train_and_probe,
            {
                "config": study_train_config(setting, variant, seed=seed).to_dict()
                | {"device": None},
                "epoch": variant.epoch or setting.epochs,
                "probe": probe,
                "train_threads": TRAIN_THREADS,
            },
            {"out_dir": os.fspath(out_dir), "device": device},
        )
        for variant in variants
        for seed in setting.seeds
    ]


def run_variants(
    name: str,
    variants: list[Variant],
    setting: StudySetting,
    *,
    setting_name: str = "custom",
    out_dir: str | os.PathLike = "studies-output",
    probe_settings: Any = None,
    device: str = "auto",
    progress: bool = True,
    backend: str = "sequential",
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    gpus: int = 0,
) -> StudyResult:
    """Train (or reuse) and probe the given variants of the MNIST-1D CNN over the seeds.

    Each (variant, seed) is one cell of a grid (:func:`sparsity_widgets.grid.run_grid`), saved
    in ``out_dir/cells/<key>.json`` as soon as it is done and skipped on a rerun.

    Parameters
    ----------
    name : str
        Name of the study (file names of its outputs).
    variants : list of Variant
    setting : StudySetting
    setting_name, out_dir, probe_settings, device, progress
        As in :func:`run_study`.
    backend : {"sequential", "loky", "dask"}, default="sequential"
    workers, scheduler, threads, gpus
        As in :func:`sparsity_widgets.grid.run_grid`.

    Returns
    -------
    StudyResult

    Raises
    ------
    GridError
        When some (variant, seed) failed; the others are saved.
    """
    from ..grid import check_backend, run_grid
    from ..probe import ProbeResult, ProbeSettings

    check_backend(backend, workers, scheduler, threads)
    probe_settings = probe_settings or ProbeSettings()
    out_dir = Path(out_dir)
    with hold_run_folder(out_dir):
        cells = study_cells(
            variants, setting, out_dir=out_dir, probe_settings=probe_settings, device=device
        )
        replies = run_grid(
            cells,
            out_dir,
            backend=backend,
            workers=workers,
            scheduler=scheduler,
            threads=threads,
            gpus=gpus,
            progress=progress,
            desc=f"study {name}",
        )
        n_seeds = len(setting.seeds)
        n_samples = len(_mnist1d().train)
        results = []
        by_variant = seed_runs_by_variant(replies, cells, out_dir, n_seeds, _STUDY_HINT)
        for variant, runs in zip(variants, by_variant, strict=True):
            results.append(
                ProbeResult(
                    label=variant.label,
                    model="mnist1d-cnn",
                    dataset="mnist1d",
                    settings={
                        **probe_settings.to_dict(),
                        "n_samples": n_samples,
                        "model_options": _model_options(setting, variant),
                        "batch_size": variant.batch_size or setting.batch_size,
                        "epochs": setting.epochs,
                        "epoch_probed": variant.epoch or setting.epochs,
                        "lr": setting.lr,
                        "setting": setting_name,
                    },
                    runs=runs,
                )
            )
        result = StudyResult(study=name, setting=setting_name, results=results)
        result.save(out_dir)
        return result


def alpha_table(result: StudyResult) -> np.ndarray:
    """Mean alpha* per (variant, layer), shape (n_variants, n_layers)."""
    return np.vstack([r.mean() for r in result.results])
