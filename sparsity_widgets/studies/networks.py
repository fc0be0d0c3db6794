"""Studies of the paper's Sec. 4.2 on image networks: one runner for every (variant, seed).

A :class:`NetworkStudy` lists variants (a model with its options, a data set with its options,
a training length) and seeds; :func:`run_network_study` trains each (variant, seed) once,
probes the chosen checkpoint and saves the study. Each (variant, seed) is a cell of a grid
(:mod:`sparsity_widgets.grid`): its result is saved in ``OUT/cells/<key>.json`` as soon as it
is done, training resumes from its last checkpoint in ``OUT/runs/<key>/``, and the cells run
one after another, on local processes or on a Dask cluster. The studies themselves
(``good-bad``, ``vgg-depth``, ``phase-retrieval``) are defined in their own modules, each with a
``define(setting)`` function named in :data:`NETWORK_STUDIES`.

Image data sets of the full setting are read from a folder the user names (``data_dir``); it is
passed to the cells outside their key, so the same study run from another folder reuses its
cells.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._io import atomic_write, atomic_write_text
from .._run_lock import hold_run_folder
from .._schema import Where, read_json, reject_unknown, require, require_object
from .._validation import check_choice
from ._cells import seed_runs_by_variant

__all__ = [
    "NETWORK_SETTINGS",
    "NETWORK_STUDIES",
    "NetworkStudy",
    "NetworkStudyResult",
    "NetworkVariant",
    "define_network_study",
    "network_cells",
    "run_network_study",
    "train_and_probe_network",
]

NETWORK_STUDIES: dict[str, str] = {
    "good-bad": "sparsity_widgets.studies.good_bad:define",
    "vgg-depth": "sparsity_widgets.studies.vgg_depth:define",
    "phase-retrieval": "sparsity_widgets.studies.phase_retrieval:define",
}
"""Study name -> ``"module:function"`` of its ``define(setting) -> NetworkStudy``."""

NETWORK_SETTINGS = ("quick", "full")

_HINT = (
    "The file is damaged or was not written by NetworkStudyResult.save; run the study again "
    "(`sparsity-widgets study NAME`), which reuses its trained models and finished cells."
)


@dataclass(frozen=True)
class NetworkVariant:
    """One model of a study, trained on one data set.

    Attributes
    ----------
    label : str
        Its name in tables and legends (``"VGG-19, half the epochs"``).
    model : str
        A name of :data:`sparsity_widgets.models.MODELS`.
    dataset : str
        A name of :data:`sparsity_widgets.datasets.DATASETS`.
    epochs : int
        Training length.
    model_options : dict
        Options of :func:`~sparsity_widgets.models.build_model`.
    dataset_options : dict
        Keyword arguments of :func:`~sparsity_widgets.datasets.load_dataset` but ``root`` and
        ``download`` (e.g. ``n_train``, ``fourier``, ``image_size``).
    batch_size : int, default=64
    lr : float, default=1e-3
    optimizer : {"adam", "sgd"}, default="adam"
    weight_decay : float, default=0.0
    probe_epoch : int or None
        The checkpoint probed (default: the last, ``epochs``).
    layers : tuple of str or None
        Dotted names of the layers probed (``"input"`` for the input); None: the input and the
        model's probe points (:func:`sparsity_widgets.probe.default_layers`).
    group : str
        A family the study compares (``"good"`` / ``"bad"``), or ``""``.
    """

    label: str
    model: str
    dataset: str
    epochs: int
    model_options: dict[str, Any] = field(default_factory=dict)
    dataset_options: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    probe_epoch: int | None = None
    layers: tuple[str, ...] | None = None
    group: str = ""

    def __post_init__(self) -> None:
        for name in ("root", "download"):
            if name in self.dataset_options:
                raise ValueError(
                    f"dataset_options of variant {self.label!r} must not hold {name!r}; the "
                    "data folder is passed as data_dir when the study runs."
                )
        if self.probe_epoch is not None and not 1 <= self.probe_epoch <= self.epochs:
            raise ValueError(
                f"probe_epoch of variant {self.label!r} must be between 1 and epochs="
                f"{self.epochs}; got {self.probe_epoch}."
            )

    def train_config(self, seed: int) -> Any:
        """The :class:`~sparsity_widgets.training.TrainConfig` of this variant and ``seed``
        (device None: the run folder does not depend on where it trains)."""
        from ..training import TrainConfig

        return TrainConfig(
            model=self.model,
            model_options=dict(self.model_options),
            dataset=self.dataset,
            dataset_options=dict(self.dataset_options),
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            optimizer=self.optimizer,
            weight_decay=self.weight_decay,
            seed=seed,
            device="auto",
            checkpoint_every=1,
        )

    def describe(self) -> dict[str, Any]:
        """A JSON-ready record of the variant (saved with the study)."""
        return {
            "label": self.label,
            "model": self.model,
            "model_options": json.loads(json.dumps(self.model_options)),
            "dataset": self.dataset,
            "dataset_options": json.loads(json.dumps(self.dataset_options)),
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "optimizer": self.optimizer,
            "weight_decay": self.weight_decay,
            "probe_epoch": self.probe_epoch or self.epochs,
            "layers": None if self.layers is None else list(self.layers),
            "group": self.group,
        }


@dataclass(frozen=True)
class NetworkStudy:
    """A study: its variants, seeds and probe settings.

    Attributes
    ----------
    name : str
        ``"good-bad"``, ``"vgg-depth"``, ``"phase-retrieval"`` (file names of the outputs).
    setting : str
        ``"quick"`` or ``"full"`` (or ``"custom"``).
    data : str
        What the models saw, for every table and figure (``"scikit-learn digits resized to
        32 x 32 (a stand-in for CIFAR-10)"``).
    variants : tuple of NetworkVariant
    seeds : tuple of int
    probe_options : dict
        Fields of :class:`~sparsity_widgets.probe.ProbeSettings` this study sets (e.g.
        ``{"clustering": True}``); the caller's settings fill the rest.
    needs_data_dir : bool
        True when the variants read image files (``data_dir`` is then required).
    """

    name: str
    setting: str
    data: str
    variants: tuple[NetworkVariant, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    probe_options: dict[str, Any] = field(default_factory=dict)
    needs_data_dir: bool = False

    def __post_init__(self) -> None:
        labels = [v.label for v in self.variants]
        if not labels:
            raise ValueError(f"study {self.name!r} must have at least one variant; got none.")
        if len(set(labels)) != len(labels):
            raise ValueError(f"variant labels of study {self.name!r} must differ; got {labels}.")
        if not self.seeds:
            raise ValueError(f"study {self.name!r} must have at least one seed; got none.")


def define_network_study(name: str, setting: str = "quick") -> NetworkStudy:
    """The study ``name`` in ``setting``, from its module's ``define``.

    Parameters
    ----------
    name : {"good-bad", "vgg-depth", "phase-retrieval"}
    setting : {"quick", "full"}

    Returns
    -------
    NetworkStudy
    """
    from ..grid.cells import resolve_function

    check_choice("study", name, tuple(NETWORK_STUDIES))
    check_choice("setting", setting, NETWORK_SETTINGS)
    study = resolve_function(NETWORK_STUDIES[name])(setting)
    if not isinstance(study, NetworkStudy) or study.name != name:
        raise TypeError(f"{NETWORK_STUDIES[name]} must return the NetworkStudy {name!r}.")
    return study


def _key(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


_DATA: dict[str, Any] = {}


def _dataset(name: str, options: dict[str, Any], data_dir: str | None) -> Any:
    """The data set of a cell, loaded once per process (each grid worker loads its own)."""
    from ..datasets import load_dataset

    key = json.dumps([name, options, data_dir], sort_keys=True)
    if key not in _DATA:
        extra = {} if data_dir is None else {"root": data_dir}
        _DATA[key] = load_dataset(name, **options, **extra)
    return _DATA[key]


def train_and_probe_network(
    config: dict[str, Any],
    epoch: int,
    layers: list[str] | None,
    probe: dict[str, Any],
    train_threads: int = 1,
    *,
    out_dir: str,
    data_dir: str | None = None,
    device: str = "auto",
) -> dict[str, Any]:
    """One grid cell: train (or reuse) one model and probe one of its checkpoints.

    Parameters
    ----------
    config : dict
        ``TrainConfig.to_dict()`` of the model with ``device`` None; it keys the run folder
        ``out_dir/runs/<key>``.
    epoch : int
        The checkpoint probed.
    layers : list of str or None
        Layers probed (None: :func:`~sparsity_widgets.probe.default_layers`).
    probe : dict
        ``ProbeSettings.to_dict()``.
    train_threads : int, default=1
        torch threads while training (:data:`sparsity_widgets.grid.TRAIN_THREADS`: trained
        weights depend on it, so it is part of the cell's key).
    out_dir : str
        The study's folder.
    data_dir : str, optional
        Folder of the image data sets (``root`` of
        :func:`~sparsity_widgets.datasets.load_dataset`).
    device : str, default="auto"
        Also ``"cuda:K"``, GPU K of a grid over several GPUs.

    Returns
    -------
    dict
        ``SeedRun.to_dict()``: alpha* (and what ``probe`` asks for) per layer, with the model's
        test and training accuracy at the probed epoch.
    """
    from ..grid import select_gpu, training_threads
    from ..probe import ProbeSettings, probe_model
    from ..training import TrainConfig, load_checkpoint, train

    device = select_gpu(device)
    run_dir = Path(out_dir) / "runs" / _key(config)
    data = _dataset(config["dataset"], config["dataset_options"], data_dir)
    train_config = TrainConfig.from_dict({**config, "device": device})
    with training_threads(train_threads):
        train(train_config, run_dir, data=data, progress=False)
    checkpoint = run_dir / "checkpoints" / f"epoch_{epoch:04d}.pt"
    model, _, info = load_checkpoint(checkpoint)
    history = info["history"]
    run = probe_model(
        model,
        data.train,
        layers=layers,
        settings=ProbeSettings.from_dict(probe),
        seed=train_config.seed,
        test_accuracy=history.test_accuracy[-1],
        train_accuracy=history.train_accuracy[-1],
        source=str(checkpoint.relative_to(out_dir)),
        epoch=epoch,
        device=device,
        progress=False,
    )
    return run.to_dict()


def network_cells(
    study: NetworkStudy,
    probe_settings: Any,
    *,
    out_dir: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
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
    context = {
        "out_dir": os.fspath(out_dir),
        "data_dir": None if data_dir is None else os.fspath(data_dir),
        "device": device,
    }
    return [
        Cell(
            f"{__name__}:train_and_probe_network",
            {
                "config": variant.train_config(seed).to_dict() | {"device": None},
                "epoch": variant.probe_epoch or variant.epochs,
                "layers": None if variant.layers is None else list(variant.layers),
                "probe": probe,
                "train_threads": TRAIN_THREADS,
            },
            context,
        )
        for variant in study.variants
        for seed in study.seeds
    ]


@dataclass
class NetworkStudyResult:
    """alpha* per layer of every variant of a study, over its seeds.

    Attributes
    ----------
    study, setting : str
    data : str
        What the models saw (labels every table and figure).
    variants : list of dict
        :meth:`NetworkVariant.describe` of each variant.
    results : list of ProbeResult
        One per variant, in the same order, each over the study's seeds.
    """

    study: str
    setting: str
    data: str
    variants: list[dict[str, Any]]
    results: list[Any]

    def result(self, label: str) -> Any:
        """The :class:`~sparsity_widgets.probe.ProbeResult` of the variant ``label``."""
        labels = [r.label for r in self.results]
        if label not in labels:
            raise KeyError(f"label must be one of {labels}; got {label!r}.")
        return self.results[labels.index(label)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "study": self.study,
            "setting": self.setting,
            "data": self.data,
            "variants": self.variants,
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: str | os.PathLike | None = None
    ) -> NetworkStudyResult:
        """Inverse of :meth:`to_dict`, checking every field (errors name ``source`` and the key)."""
        from ..probe.result import ProbeResult

        at = Where.of("network study", source, _HINT)
        data = require_object(data, at)
        reject_unknown(data, ["study", "setting", "data", "variants", "results"], at)
        results = require(data, "results", "array", at)
        variants = require(data, "variants", "array", at)
        if len(variants) != len(results):
            raise at.key("variants").error(
                f"one entry per result ({len(results)})", f"{len(variants)} entries"
            )
        here, where = at.key("results"), at.key("variants")
        return cls(
            study=require(data, "study", "string", at),
            setting=require(data, "setting", "string", at),
            data=require(data, "data", "string", at),
            variants=[require_object(v, where.item(i)) for i, v in enumerate(variants)],
            results=[ProbeResult._parse(r, here.item(i)) for i, r in enumerate(results)],
        )

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> NetworkStudyResult:
        """Read ``<study>.json`` as written by :meth:`save`."""
        at = Where.of("network study", path, _HINT)
        return cls.from_dict(read_json(path, at), source=path)

    def markdown_table(self) -> str:
        """One row per variant: test accuracy and alpha* per layer (mean ± std over seeds),
        under a line saying what data and setting produced them."""
        lines = [f"{self.study}, {self.setting} setting: {self.data}", ""]
        for result in self.results:
            several = len(result.runs) > 1
            names = result.layer_names

            def cell(mean: float, std: float, several: bool = several) -> str:
                return f"{mean:.3f} ± {std:.3f}" if several else f"{mean:.3f}"

            acc = result.accuracy()
            lines += [
                f"**{result.label}** (test accuracy "
                + ("n/a" if acc is None else cell(*acc))
                + ")",
                "",
                "| layer | " + " | ".join(names) + " |",
                "|---|" + "---|" * len(names),
                "| alpha* | "
                + " | ".join(cell(m, s) for m, s in zip(result.mean(), result.std(), strict=True))
                + " |",
                "",
            ]
        return "\n".join(lines).rstrip() + "\n"

    def plot(self, axes: Any = None) -> Any:
        """alpha* per layer of every variant on one axes (spread bands over seeds)."""
        from ..probe.plots import plot_alpha_per_layer

        return plot_alpha_per_layer(
            self.results, axes, title=f"{self.study} ({self.setting} setting): {self.data}"
        )

    def save(self, out_dir: str | os.PathLike) -> list[Path]:
        """Write ``<study>.json``, ``<study>.md`` and ``<study>.png`` into ``out_dir``."""
        out_dir = Path(out_dir)
        files = [
            atomic_write_text(out_dir / f"{self.study}.json", json.dumps(self.to_dict()) + "\n"),
            atomic_write_text(out_dir / f"{self.study}.md", self.markdown_table()),
        ]
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover - the [plot] extra is optional
            return files
        ax = self.plot()
        fig = ax.figure
        files.append(atomic_write(out_dir / f"{self.study}.png", lambda t: fig.savefig(t, dpi=120)))
        plt.close(fig)
        return files


def run_network_study(
    study: str | NetworkStudy,
    *,
    setting: str = "quick",
    seeds: tuple[int, ...] | None = None,
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
) -> NetworkStudyResult:
    """Train (or reuse), probe and tabulate one study of image networks.

    Parameters
    ----------
    study : {"good-bad", "vgg-depth", "phase-retrieval"} or NetworkStudy
    setting : {"quick", "full"}, default="quick"
        Ignored when ``study`` is a :class:`NetworkStudy`.
    seeds : tuple of int, optional
        Overrides the study's seeds.
    out_dir : path
        Cache and output folder: ``runs/`` (training), ``cells/`` (one probe per (variant,
        seed)), and the study's JSON, Markdown and PNG at the top, with the tables and figures
        of the paper that its module's ``write_outputs(result, out_dir)`` draws.
    data_dir : path, optional
        Folder of the image data sets; required by the full setting.
    probe_settings : ProbeSettings, optional
        The study's ``probe_options`` override these.
    device : str, default="auto"
    progress : bool, default=True
    backend, workers, scheduler, threads, gpus
        As in :func:`sparsity_widgets.grid.run_grid`.

    Returns
    -------
    NetworkStudyResult

    Raises
    ------
    ValueError
        An unknown study or setting, or a study that reads image files without ``data_dir``.
    GridError
        When some (variant, seed) failed; the others are saved.
    """
    from ..grid import check_backend, run_grid
    from ..probe import ProbeResult, ProbeSettings

    check_backend(backend, workers, scheduler, threads)
    if not isinstance(study, NetworkStudy):
        study = define_network_study(study, setting)
    if seeds is not None:
        study = replace(study, seeds=tuple(seeds))
    if study.needs_data_dir and data_dir is None:
        raise ValueError(
            f"data_dir must name the folder of the image data sets for study {study.name!r} in "
            f"the {study.setting} setting ({study.data}); got None. Pass --data-dir DIR (the "
            "data sets in their official file formats), or use --setting quick, which needs no "
            "files."
        )
    base = (probe_settings or ProbeSettings()).to_dict()
    probe_settings = ProbeSettings.from_dict(base | study.probe_options)
    out_dir = Path(out_dir)
    with hold_run_folder(out_dir):
        cells = network_cells(
            study, probe_settings, out_dir=out_dir, data_dir=data_dir, device=device
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
            desc=f"study {study.name}",
        )
        n_seeds = len(study.seeds)
        results = []
        by_variant = seed_runs_by_variant(replies, cells, out_dir, n_seeds, _HINT)
        for variant, runs in zip(study.variants, by_variant, strict=True):
            results.append(
                ProbeResult(
                    label=variant.label,
                    model=variant.model,
                    dataset=variant.dataset,
                    settings={
                        **probe_settings.to_dict(),
                        **variant.describe(),
                        "setting": study.setting,
                    },
                    runs=runs,
                )
            )
        result = NetworkStudyResult(
            study=study.name,
            setting=study.setting,
            data=study.data,
            variants=[v.describe() for v in study.variants],
            results=results,
        )
        result.save(out_dir)
        if study.name in NETWORK_STUDIES:  # the study's own tables and figures
            from ..grid.cells import resolve_function

            module = NETWORK_STUDIES[study.name].split(":")[0]
            resolve_function(f"{module}:write_outputs")(result, out_dir)
        return result
