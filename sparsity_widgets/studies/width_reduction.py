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
from tqdm.auto import tqdm

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
    bar: Any,
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
    bar.update()
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
            bar.update()
    return rows


def _train(config: Any, out_dir: Path, data: Any) -> Any:
    from ..training import train
    from .mnist1d import _key  # one cache key scheme for every study

    run_dir = out_dir / "runs" / _key(config.to_dict() | {"device": None})
    return train(config, run_dir, data=data, progress=False)


def _sources(setting: WidthSetting, out_dir: Path, info: dict[str, Any]) -> list[tuple]:
    """(source, layer, features, labels) for every layer the study scores."""
    from ..datasets import load_dataset, make_latent_classes
    from ..probe import extract_features
    from ..training import TrainConfig
    from .mnist1d import SETTINGS, Variant, study_train_config

    sources = []
    mnist = load_dataset("mnist1d")
    study = SETTINGS["quick"]
    cnn_setting = type(study)(
        channels=setting.cnn_channels,
        hidden=setting.cnn_hidden,
        epochs=setting.cnn_epochs,
        epoch_checkpoints=(setting.cnn_epochs,),
    )
    cnn = _train(  # the studies' configuration, so their trained base model is reused
        study_train_config(cnn_setting, Variant("relu"), seed=0), out_dir, mnist
    )
    info["mnist1d-cnn test accuracy"] = cnn.history.test_accuracy[-1]
    feats = extract_features(cnn.model, mnist.train, list(setting.cnn_layers), progress=False)
    for layer, values in feats.items():
        sources.append(("mnist1d-cnn", layer, values, mnist.train.y))
    digits = load_dataset("digits")
    mlp = _train(
        TrainConfig(
            model="mlp",
            model_options={"hidden": list(setting.mlp_hidden)},
            dataset="digits",
            epochs=setting.mlp_epochs,
            seed=0,
            device="auto",
            checkpoint_every=setting.mlp_epochs,
        ),
        out_dir,
        digits,
    )
    info["digits-mlp test accuracy"] = mlp.history.test_accuracy[-1]
    layers = [f"hidden.{k}" for k in range(len(setting.mlp_hidden))]
    for layer, values in extract_features(mlp.model, digits.train, layers, progress=False).items():
        sources.append(("digits-mlp", layer, values, digits.train.y))
    n, d = setting.synthetic_shape
    X, y = make_latent_classes(n, d, random_state=0)
    sources.append(("latent-synthetic", "features", X, y))
    return sources


def run_width_study(
    setting: str = "full",
    *,
    out_dir: str | os.PathLike = "studies-output",
    progress: bool = True,
) -> WidthStudyResult:
    """Run the width-reduction study and save ``width-reduction.json`` in ``out_dir``.

    Parameters
    ----------
    setting : {"full", "quick"}
    out_dir : path
        Trained models are cached in ``out_dir/runs`` (shared with the MNIST-1D studies).
    progress : bool

    Returns
    -------
    WidthStudyResult
    """
    check_choice("setting", setting, tuple(WIDTH_SETTINGS))
    config = WIDTH_SETTINGS[setting]
    out_dir = Path(out_dir)
    with hold_run_folder(out_dir):
        info: dict[str, Any] = {"settings": asdict(config)}
        sources = _sources(config, out_dir, info)
        n_steps = 0
        for _, _, features, _ in sources:
            n, width = features.shape
            usable = [w for w in config.widths if w < min(n, width)]
            n_steps += 1 + len(usable) * len(REDUCTION_METHODS)
        result = WidthStudyResult(setting=setting, info=info)
        with tqdm(total=n_steps, desc="width study", unit="score", disable=not progress) as bar:
            for source, layer, features, y in sources:
                result.rows.extend(_score_layer(source, layer, features, y, config, bar))
        result.save(out_dir / "width-reduction.json")
    return result
