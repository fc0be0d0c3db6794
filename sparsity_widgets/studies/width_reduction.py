"""Which width reduction to use before scoring wide layers: time and the change in alpha*.

For each feature source (layers of a trained MNIST-1D CNN, layers of a wide MLP trained on
digits, wide synthetic features with latent class structure) the study scores the full width
with ``n_seeds`` forest seeds, then every method of
:data:`~sparsity_widgets.probe.reduce.REDUCTIONS` (the randomized SVD with several power
iteration counts) at several target widths with the same seeds, and reports per (layer,
method, width): the reduction's time, alpha* (mean and standard deviation over the seeds) and
its shift from the full-width mean, next to the full width's own seed spread. The seed of a
random reduction is the forest's seed, as in :func:`~sparsity_widgets.probe.score_layer`.

Settings: ``"full"`` (what ``book/results/width-reduction.json`` holds; about 20 minutes on
two cores) and ``"quick"`` (small sizes, for the tests).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_text
from .._run_lock import hold_run_folder
from .._schema import (
    Where,
    read_json,
    reject_unknown,
    require,
    require_list,
    require_object,
    require_schema,
)
from .._validation import check_choice

__all__ = [
    "REDUCTION_METHODS",
    "WIDTH_SETTINGS",
    "WidthSetting",
    "WidthStudyResult",
    "run_width_study",
]

REDUCTION_METHODS: tuple[tuple[str, int | None], ...] = (
    ("svd", 5),
    ("svd", 2),
    ("svd", 1),
    ("pca-gram", None),
    ("gaussian", None),
    ("sparse", None),
)
"""(method, power iterations of the randomized SVD) compared by the study."""


@dataclass(frozen=True)
class WidthSetting:
    """Sizes of a width-reduction study.

    Attributes
    ----------
    cnn_channels, cnn_hidden, cnn_epochs : int
        The MNIST-1D CNN of the studies (ReLU, BatchNorm, trained with seed 0; the full setting
        is the quick studies' base model, so their cache is reused) and its layers
        ``cnn_layers``.
    cnn_layers : tuple of str
    mlp_hidden : tuple of int
        Hidden widths of the MLP trained on digits (seed 0) for ``mlp_epochs``; all its hidden
        layers are scored.
    mlp_epochs : int
    synthetic_shape : (int, int)
        ``(n_samples, n_features)`` of :func:`~sparsity_widgets.datasets.make_latent_classes`.
    widths : tuple of int
        Target widths; each layer uses those below its width and its sample count.
    n_seeds : int
        Forest (and reduction) seeds 0 .. n_seeds - 1.
    """

    cnn_channels: int = 16
    cnn_hidden: int = 64
    cnn_epochs: int = 20
    cnn_layers: tuple[str, ...] = ("blocks.0", "blocks.6")
    mlp_hidden: tuple[int, ...] = (2048, 2048)
    mlp_epochs: int = 30
    synthetic_shape: tuple[int, int] = (5000, 8192)
    widths: tuple[int, ...] = (256, 512, 1024, 2500)
    n_seeds: int = 3


WIDTH_SETTINGS = {
    "full": WidthSetting(),
    "quick": WidthSetting(
        cnn_channels=4,
        cnn_hidden=8,
        cnn_epochs=2,
        cnn_layers=("blocks.0",),
        mlp_hidden=(96,),
        mlp_epochs=2,
        synthetic_shape=(600, 200),
        widths=(32, 64),
        n_seeds=2,
    ),
}


WIDTH_SCHEMA = "sparsity_widgets.width_study/1"

_HINT = (
    "The file is damaged or was not written by WidthStudyResult.save; run the study again "
    "(`sparsity-widgets study width-reduction`)."
)

_ROW_KEYS = {
    "source": "string",
    "layer": "string",
    "n_samples": "integer",
    "width_in": "integer",
    "width_out": "integer",
    "method": "string",
    "seconds": "number",
    "alpha_mean": "number",
    "alpha_std": "number",
}


def _read_row(row: Any, at: Where) -> dict[str, Any]:
    """One row of the study, checked: every key of :data:`_ROW_KEYS` and ``alpha``."""
    row = require_object(row, at)
    for key, kind in _ROW_KEYS.items():
        require(row, key, kind, at)
    require_list(row, "alpha", "number", at)
    return row


@dataclass
class WidthStudyResult:
    """Rows of the study, one per (source, layer, method, width); full width has method "none".

    Attributes
    ----------
    setting : str
    rows : list of dict
        ``source``, ``layer``, ``n_samples``, ``width_in``, ``width_out``, ``method``
        (e.g. ``"svd (5 iter)"``), ``seconds`` (median reduction time over the seeds; 0 for
        the full width), ``alpha`` (one per seed), ``alpha_mean``, ``alpha_std``.
    info : dict
        Test accuracies of the trained models, the command and the settings.
    """

    setting: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"schema": WIDTH_SCHEMA, **asdict(self)}

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: str | os.PathLike | None = None
    ) -> WidthStudyResult:
        """Inverse of :meth:`to_dict`, checking every field.

        Parameters
        ----------
        data : dict
            Required: ``schema`` (``"sparsity_widgets.width_study/1"``), ``setting``, ``info``
            (an object) and ``rows``, each with every key listed in the class docstring.
        source : path-like, optional
            The file ``data`` came from, named in error messages.

        Returns
        -------
        WidthStudyResult

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the file, the key path (e.g. ``rows[4].alpha_mean``), what
            was expected and what was found.
        """
        at = Where.of("width study", source, _HINT)
        data = require_object(data, at)
        require_schema(data, WIDTH_SCHEMA, at)
        reject_unknown(data, ["schema", "setting", "rows", "info"], at)
        rows = require(data, "rows", "array", at)
        return cls(
            setting=require(data, "setting", "string", at),
            rows=[_read_row(row, at.key("rows").item(i)) for i, row in enumerate(rows)],
            info=require(data, "info", "object", at),
        )

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> WidthStudyResult:
        """Read ``width-reduction.json`` as written by :meth:`save`."""
        at = Where.of("width study", path, _HINT)
        return cls.from_dict(read_json(path, at), source=path)

    def full_width(self, source: str, layer: str) -> dict[str, Any]:
        """The full-width row of a layer."""
        for row in self.rows:
            if (row["source"], row["layer"], row["method"]) == (source, layer, "none"):
                return row
        raise KeyError(f"no full-width row for {source} {layer}")

    def summary(self) -> list[dict[str, Any]]:
        """Per (method, width): median over layers of the shift |mean alpha* - full-width mean|,
        also in units of the full width's seed spread (floored at 0.001, the printed precision,
        so that a zero spread does not divide by zero), and the median time.

        Returns
        -------
        list of dict
            ``method``, ``width_out``, ``n_layers``, ``median_abs_shift``,
            ``median_shift_over_spread``, ``median_seconds``.
        """
        groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for row in self.rows:
            if row["method"] != "none":
                groups.setdefault((row["method"], row["width_out"]), []).append(row)
        out = []
        for (method, width), rows in groups.items():
            shifts, ratios = [], []
            for row in rows:
                full = self.full_width(row["source"], row["layer"])
                shift = abs(row["alpha_mean"] - full["alpha_mean"])
                shifts.append(shift)
                ratios.append(shift / max(full["alpha_std"], 1e-3))
            out.append(
                {
                    "method": method,
                    "width_out": width,
                    "n_layers": len(rows),
                    "median_abs_shift": statistics.median(shifts),
                    "median_shift_over_spread": statistics.median(ratios),
                    "median_seconds": statistics.median(r["seconds"] for r in rows),
                }
            )
        return out

    def markdown_table(self) -> str:
        """One line per row: layer, widths, method, time, alpha* and its shift from full width."""
        lines = [
            "| source | layer | n | width | method | time (s) | alpha* | shift from full |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in self.rows:
            full = self.full_width(row["source"], row["layer"])
            if row["method"] == "none":
                width, shift = f"{row['width_in']} (full)", "-"
            else:
                width = f"{row['width_in']} -> {row['width_out']}"
                shift = f"{row['alpha_mean'] - full['alpha_mean']:+.3f}"
            lines.append(
                f"| {row['source']} | {row['layer']} | {row['n_samples']} | {width} | "
                f"{row['method']} | {row['seconds']:.2f} | {row['alpha_mean']:.3f} ± "
                f"{row['alpha_std']:.3f} | {shift} |"
            )
        return "\n".join(lines)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the JSON atomically."""
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")


def method_label(method: str, n_iter: int | None) -> str:
    """``"svd (5 iter)"`` for the randomized SVD, the method's name otherwise."""
    return method if n_iter is None else f"{method} ({n_iter} iter)"


def _alpha(features: np.ndarray, y: np.ndarray, seed: int) -> float:
    from ..forest import WaveletForest

    forest = WaveletForest(random_state=seed).fit(features, y)
    return float(forest.estimate().alpha_star)


def _score_layer(
    source: str,
    layer: str,
    features: np.ndarray,
    y: np.ndarray,
    setting: WidthSetting,
) -> list[dict[str, Any]]:
    from ..probe.reduce import reduce_width

    n, width = features.shape
    seeds = range(setting.n_seeds)
    base = {"source": source, "layer": layer, "n_samples": int(n), "width_in": int(width)}

    def row(method: str, width_out: int, seconds: list[float], alphas: list[float]) -> dict:
        return dict(
            base,
            width_out=int(width_out),
            method=method,
            seconds=float(statistics.median(seconds)),
            alpha=alphas,
            alpha_mean=float(np.mean(alphas)),
            alpha_std=float(np.std(alphas)),
        )

    rows = [row("none", width, [0.0], [_alpha(features, y, s) for s in seeds])]
    for target in setting.widths:
        if target >= min(width, n):
            continue
        for method, n_iter in REDUCTION_METHODS:
            seconds, alphas = [], []
            for seed in seeds:
                options = {} if n_iter is None else {"n_iter": n_iter}
                start = time.perf_counter()
                reduced, _ = reduce_width(
                    features, max_width=target, method=method, random_state=seed, **options
                )
                seconds.append(time.perf_counter() - start)
                alphas.append(_alpha(reduced, y, seed))
                del reduced
            rows.append(row(method_label(method, n_iter), target, seconds, alphas))
    return rows


def _setting(data: dict[str, Any]) -> WidthSetting:
    """A setting from its JSON form (lists back to tuples)."""
    return WidthSetting(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def _model_configs(setting: WidthSetting) -> dict[str, Any]:
    """The TrainConfig of the two trained sources (the CNN is the studies' base model, so a
    model the MNIST-1D studies trained is reused)."""
    from ..training import TrainConfig
    from .mnist1d import SETTINGS, Variant, study_train_config

    cnn_setting = type(SETTINGS["quick"])(
        channels=setting.cnn_channels,
        hidden=setting.cnn_hidden,
        epochs=setting.cnn_epochs,
        epoch_checkpoints=(setting.cnn_epochs,),
    )
    return {
        "mnist1d-cnn": study_train_config(cnn_setting, Variant("relu"), seed=0),
        "digits-mlp": TrainConfig(
            model="mlp",
            model_options={"hidden": list(setting.mlp_hidden)},
            dataset="digits",
            epochs=setting.mlp_epochs,
            seed=0,
            device="auto",
            checkpoint_every=setting.mlp_epochs,
        ),
    }


def _run_dir(config: Any, out_dir: Path) -> Path:
    from .mnist1d import _key  # one cache key scheme for every study

    return out_dir / "runs" / _key(config.to_dict() | {"device": None})


def _train_sources(setting: WidthSetting, out_dir: Path, train_threads: int) -> dict[str, Any]:
    """Train (or reuse) the CNN and the MLP here, before the grid, so that no two cells train
    one model at once; their test accuracies."""
    from ..datasets import load_dataset
    from ..grid import training_threads
    from ..training import train

    info = {}
    for source, config in _model_configs(setting).items():
        with training_threads(train_threads):
            run = train(
                config, _run_dir(config, out_dir), data=load_dataset(config.dataset), progress=False
            )
        info[f"{source} test accuracy"] = run.history.test_accuracy[-1]
    return info


def _layers(setting: WidthSetting) -> list[tuple[str, str]]:
    """(source, layer) of every layer the study scores, in the order of its rows."""
    return [
        *(("mnist1d-cnn", layer) for layer in setting.cnn_layers),
        *(("digits-mlp", f"hidden.{k}") for k in range(len(setting.mlp_hidden))),
        ("latent-synthetic", "features"),
    ]


def score_width_cell(source: str, layer: str, setting: dict[str, Any], *, out_dir: str) -> list:
    """One grid cell of the study: every reduction of one layer, with the forest seeds.

    Parameters
    ----------
    source : {"mnist1d-cnn", "digits-mlp", "latent-synthetic"}
    layer : str
        A layer of the source (``"features"`` for the synthetic one).
    setting : dict
        ``dataclasses.asdict`` of the :class:`WidthSetting`.
    out_dir : str
        The study's folder; the trained models are read from ``out_dir/runs`` (trained before the
        grid starts).

    Returns
    -------
    list of dict
        The layer's rows: the full width, then each usable (width, method), with the
        reduction's median seconds and alpha* per seed.
    """
    from ..datasets import load_dataset, make_latent_classes
    from ..probe import extract_features
    from ..training import load_checkpoint
    from ..training.checkpoints import list_checkpoints

    config = _setting(setting)
    if source == "latent-synthetic":
        n, d = config.synthetic_shape
        features, y = make_latent_classes(n, d, random_state=0)
    else:
        train_config = _model_configs(config)[source]
        data = load_dataset(train_config.dataset)
        checkpoint = list_checkpoints(_run_dir(train_config, Path(out_dir)))[-1]
        model, _, _ = load_checkpoint(checkpoint)
        features = extract_features(model, data.train, [layer], progress=False)[layer]
        y = data.train.y
    return _score_layer(source, layer, features, y, config)


def run_width_study(
    setting: str = "full",
    *,
    out_dir: str | os.PathLike = "studies-output",
    progress: bool = True,
    backend: str = "sequential",
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
) -> WidthStudyResult:
    """Run the width-reduction study and save ``width-reduction.json`` in ``out_dir``.

    The two models are trained (or reused) here first; then every scored layer is a cell of a
    grid (:func:`sparsity_widgets.grid.run_grid`), saved in ``out_dir/cells/`` and skipped on a
    rerun. The study measures time: cells running at once share the cores, so their seconds are
    comparable only within one run, and ``info`` records the backend and workers.

    Parameters
    ----------
    setting : {"full", "quick"}
    out_dir : path
        Trained models are cached in ``out_dir/runs`` (shared with the MNIST-1D studies).
    progress : bool
    backend, workers, scheduler, threads
        Where the layers are scored, as in :func:`sparsity_widgets.grid.run_grid`.

    Returns
    -------
    WidthStudyResult
    """
    from ..grid import TRAIN_THREADS, Cell, check_backend, run_grid

    check_choice("setting", setting, tuple(WIDTH_SETTINGS))
    check_backend(backend, workers, scheduler, threads)
    config = WIDTH_SETTINGS[setting]
    out_dir = Path(out_dir)
    with hold_run_folder(out_dir):
        info: dict[str, Any] = {"settings": asdict(config)}
        info.update(_train_sources(config, out_dir, TRAIN_THREADS))
        info["timing"] = {"backend": backend, "workers": workers, "threads": threads}
        described = json.loads(json.dumps(asdict(config)))
        cells = [
            Cell(
                score_width_cell,
                {"source": source, "layer": layer, "setting": described},
                {"out_dir": os.fspath(out_dir)},
            )
            for source, layer in _layers(config)
        ]
        replies = run_grid(
            cells,
            out_dir,
            backend=backend,
            workers=workers,
            scheduler=scheduler,
            threads=threads,
            progress=progress,
            desc="width study",
        )
        result = WidthStudyResult(setting=setting, info=info)
        for rows in replies:
            result.rows.extend(rows)
        result.save(out_dir / "width-reduction.json")
    return result
