"""How far alpha* moves under changes that add no information, and under the forest's settings.

The Sparsity Probe scores a feature matrix with trees that split along its coordinate axes
(:func:`~sparsity_widgets.probe.score_layer`, the function the probe applies to every layer).
This study measures, per source of features and per seed, alpha* of the source as given
(``"identity"``) and after one change:

``"rotation"``
    a Haar-random orthogonal map at equal width (value 1);
``"gaussian"``, ``"sparse"``
    a random embedding into ``k`` times the width (value ``k``): scikit-learn's
    ``GaussianRandomProjection`` / ``SparseRandomProjection`` (density ``1 / sqrt(width)``)
    with ``k * width`` components, which keeps all the information when the map has full rank
    (its rank is recorded);
``"constant"``, ``"noise"``
    ``(k - 1) * width`` appended columns (value ``k``, so the width becomes ``k * width``),
    each constant, or independent standard normal noise;
``"n"``
    ``n`` samples instead of the base set: a fresh draw of the synthetic set
    (``random_state = seed``), or a seeded subset of the MNIST-1D training samples (layers of
    the trained CNN: at most its 4000 training samples; raw input: above 4000 a subset of a
    larger MNIST-1D set made by the same generator, ``InvarianceSetting.mnist1d_pool``
    training signals);
``"depth"``, ``"trees"``, ``"max_features"``
    the forest's depth, number of trees, or features per split instead of the probe's 15, 3
    and all (``None``).

Seed ``s`` seeds the change (map, columns or sample) and the forest, so each cell's band
(mean ± std over the seeds) holds both; the ``"identity"`` cells vary the forest alone: their
spread is the estimator's own noise at fixed data. Cells wider than the probe's ``max_width``
(2500) are skipped: the probe would reduce them first.

Sources: the synthetic sets ``spiral``, ``circles``, ``gaussian-quantiles``
(:func:`~sparsity_widgets.datasets.make_synthetic`, 4000 samples, ``random_state=0``) and
layers of MNIST-1D: ``mnist1d:input`` (the 4000 x 40 training signals) and
``mnist1d:<layer>`` for layers of a CNN with the configuration of the demo's ReLU model (16
channels, 64 hidden units, 10 epochs, seed 0), trained once into the cache on the CPU with one
torch thread: the trained weights depend on the thread count (measured: test accuracy 0.951 with
one thread, 0.948 with two, as torch's code paths differ in ``benchmarks/demo_spread.py``), so
pinning it makes the study's numbers independent of the machine's core count.

Everything cached is under ``OUT/invariance-<setting>/runs/`` (the trained CNN, its features,
the larger MNIST-1D input set, and one JSON per cell, written atomically): an interrupted run
resumes, and a finished cell is never recomputed while its specification is unchanged. The
result, ``invariance.json`` and ``invariance.md``, and the figures ``widths.png``, ``n.png`` and
``forest.png`` go to ``OUT/invariance-<setting>/``.

Settings: ``"quick"`` (seeds 0, 1, 2; 816 cells; measured from scratch, single-threaded: 133 s of
CPU time, of which 7 s train the CNN and 20 s generate the larger MNIST-1D set) and ``"full"``
(ten seeds, n up to 100 000, finer grids, all seven conv blocks; estimated from the quick run's
cell times at about half an hour of one core). Numerics only: torch is imported when the CNN is
trained or its features are extracted, never at import.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write, atomic_write_text
from .._run_lock import hold_run_folder
from .._schema import Where, read_json, require, require_object, require_schema
from .._validation import check_choice, check_int
from .invariance_result import (
    FOREST_TRANSFORMS,
    TRANSFORMS,
    WIDTH_TRANSFORMS,
    InvarianceResult,
    value_label,
)

__all__ = [
    "INVARIANCE_SETTINGS",
    "TRANSFORMS",
    "InvarianceSetting",
    "read_cell",
    "run_invariance_cli",
    "run_invariance_study",
    "score_cell",
    "transform_features",
]

SYNTHETIC_SOURCES = ("spiral", "circles", "gaussian-quantiles")
MNIST1D = "mnist1d:"
"""Prefix of the MNIST-1D sources: ``mnist1d:input`` or ``mnist1d:<layer of the CNN>``."""

CELL_SCHEMA = "sparsity_widgets.invariance_cell/1"
_CELL_HINT = (
    "The cell file is damaged or was not written by the invariance study; delete it and run "
    "`sparsity-widgets study invariance` again to recompute that cell."
)
_MNIST1D_TRAIN = 4000  # training signals of the standard MNIST-1D set


@dataclass(frozen=True)
class InvarianceSetting:
    """What the invariance study scores.

    Attributes
    ----------
    sources : tuple of str
        Synthetic set names and ``mnist1d:input`` / ``mnist1d:<layer>``.
    seeds : tuple of int
        Seeds of every cell (the change's and the forest's).
    base_n : int
        Samples of the synthetic base sets (MNIST-1D: its 4000 training signals).
    factors : tuple of int
        Width factors ``k`` of the embeddings and the appended columns (each >= 2).
    n_values : tuple of int
        Sample sizes; a source uses those it can supply (see the module docstring).
    mnist1d_pool : int
        Training signals of the larger MNIST-1D set that supplies the raw input's n above
        4000 (a multiple of 8: the generator keeps 80 % of its signals for training).
    depths, tree_counts : tuple of int
    max_features : tuple
        Values of ``max_features`` (None: all features, the probe's default).
    cnn_channels, cnn_hidden, cnn_epochs : int
        The demo's ReLU CNN (seed 0) whose layers are scored.
    """

    sources: tuple[str, ...] = (
        *SYNTHETIC_SOURCES,
        "mnist1d:input",
        "mnist1d:blocks.0",
        "mnist1d:blocks.3",
        "mnist1d:blocks.6",
        "mnist1d:hidden",
    )
    seeds: tuple[int, ...] = (0, 1, 2)
    base_n: int = 4000
    factors: tuple[int, ...] = (2, 4, 8, 16)
    n_values: tuple[int, ...] = (1000, 2000, 4000, 8000, 16000, 50000)
    mnist1d_pool: int = 50000
    depths: tuple[int, ...] = (4, 6, 8, 10, 12, 15, 20)
    tree_counts: tuple[int, ...] = (1, 3, 5, 10)
    max_features: tuple[int | float | str | None, ...] = (None, 0.5, "sqrt", 1)
    cnn_channels: int = 16
    cnn_hidden: int = 64
    cnn_epochs: int = 10

    def __post_init__(self) -> None:
        if not self.sources:
            raise ValueError("sources must name at least one source; got none.")
        for source in self.sources:
            if not source.startswith(MNIST1D):
                check_choice("sources", source, SYNTHETIC_SOURCES)
            elif source == MNIST1D:
                raise ValueError(
                    "sources: expected 'mnist1d:input' or 'mnist1d:<layer>'; got 'mnist1d:'."
                )
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(
                f"seeds must be distinct integers >= 0, at least one; got {self.seeds}."
            )
        for seed in self.seeds:
            check_int("seeds", seed, minimum=0)
        check_int("base_n", self.base_n, minimum=10)
        for k in self.factors:
            check_int("factors", k, minimum=2)
        for n in self.n_values:
            check_int("n_values", n, minimum=10)
        check_int("mnist1d_pool", self.mnist1d_pool, minimum=8)
        if self.mnist1d_pool % 8:
            raise ValueError(
                "mnist1d_pool must be a multiple of 8 (80 % of a multiple of 10 signals); got "
                f"{self.mnist1d_pool}."
            )
        for depth in self.depths:
            check_int("depths", depth, minimum=1)
        for trees in self.tree_counts:
            check_int("tree_counts", trees, minimum=1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples as lists)."""
        return json.loads(json.dumps(asdict(self)))


INVARIANCE_SETTINGS = {
    "quick": InvarianceSetting(),
    "full": InvarianceSetting(
        sources=(
            *SYNTHETIC_SOURCES,
            "mnist1d:input",
            *(f"mnist1d:blocks.{i}" for i in range(7)),
            "mnist1d:hidden",
        ),
        seeds=tuple(range(10)),
        factors=(2, 4, 8, 16, 32, 64),
        n_values=(500, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 100000),
        mnist1d_pool=100000,
        depths=(2, 3, 4, 6, 8, 10, 12, 15, 20, 25),
        tree_counts=(1, 2, 3, 5, 10, 20),
        max_features=(None, 0.75, 0.5, 0.25, "sqrt", "log2", 1),
    ),
}


# ---------------------------------------------------------------------- the changes


def _embedding(X: np.ndarray, kind: str, k: int, seed: int) -> tuple[np.ndarray, int]:
    from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection

    cls = GaussianRandomProjection if kind == "gaussian" else SparseRandomProjection
    projection = cls(n_components=k * X.shape[1], random_state=seed)
    with warnings.catch_warnings():  # more components than features is the point here
        warnings.filterwarnings("ignore", message="The number of components is higher")
        projection.fit(X)
    components = projection.components_
    if hasattr(components, "toarray"):
        components = components.toarray()
    components = np.asarray(components, dtype=np.float64)  # (k * d, d)
    return X @ components.T, int(np.linalg.matrix_rank(components))


def transform_features(
    X: np.ndarray, transform: str, value: Any, seed: int
) -> tuple[np.ndarray, int | None]:
    """Apply one change of the study to a feature matrix.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    transform : {"identity", "rotation", "gaussian", "sparse", "constant", "noise"}
        The changes of the features (``"n"`` and the forest's settings leave them alone and
        are returned unchanged).
    value : int or None
        The width factor ``k`` (>= 2) of the embeddings and appended columns; 1 for
        ``"rotation"``; ignored otherwise.
    seed : int
        Seed of the map or of the appended columns.

    Returns
    -------
    features : ndarray of float64, shape (n, d) or (n, k * d)
    rank : int or None
        Rank of the linear map (``d`` when it keeps all the information) for the rotation
        and the embeddings; None for the others.
    """
    check_choice("transform", transform, TRANSFORMS)
    seed = check_int("seed", seed, minimum=0)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, width); got shape {X.shape}.")
    n, d = X.shape
    rng = np.random.default_rng(seed)
    if transform == "rotation":
        from ..probe.baseline import haar_rotation

        return X @ haar_rotation(d, rng), d
    if transform not in WIDTH_TRANSFORMS:
        return X, None
    k = check_int(f"value of {transform!r} (the width factor)", value, minimum=2)
    if transform in ("gaussian", "sparse"):
        return _embedding(X, transform, k, seed)
    extra = (k - 1) * d
    if transform == "constant":
        columns = np.broadcast_to(rng.standard_normal(extra), (n, extra))
    else:
        columns = rng.standard_normal((n, extra))
    return np.hstack([X, columns]), None


def score_cell(
    X: np.ndarray, y: np.ndarray, transform: str, value: Any, seed: int, base: Any
) -> dict[str, Any]:
    """alpha* of one cell: the change applied with seed ``seed``, then the probe's score.

    Parameters
    ----------
    X : ndarray, shape (n, d)
        The source's features (for ``"n"``: already the sample of size n).
    y : ndarray of int, shape (n,)
    transform : str
        One of :data:`TRANSFORMS`.
    value : Any
        The change's value (see the module docstring); None for ``"identity"``.
    seed : int
        Seed of the change and of the forest.
    base : ProbeSettings
        The probe's settings; ``random_state`` is replaced by ``seed``, and ``max_depth``,
        ``n_trees`` or ``max_features`` by ``value`` for the forest's changes.

    Returns
    -------
    dict
        ``alpha_star``, ``tau_star`` (None when no tau fell in the estimator's window, with
        ``error`` saying why), ``n``, ``width``, ``scored_width``, ``rank`` (of the map, or
        None), ``seconds`` (the change and the score) and ``error``.
    """
    from ..probe.score import score_layer

    start = time.perf_counter()
    settings = replace(base, random_state=seed)
    if transform in FOREST_TRANSFORMS:
        name = {"depth": "max_depth", "trees": "n_trees", "max_features": "max_features"}
        settings = replace(settings, **{name[transform]: value})
    features, rank = transform_features(X, transform, value, seed)
    score = score_layer(features, np.asarray(y), settings)
    finite = math.isfinite(score.alpha_star)
    return {
        "alpha_star": float(score.alpha_star) if finite else None,
        "tau_star": float(score.tau_star) if finite else None,
        "n": int(features.shape[0]),
        "width": int(score.width),
        "scored_width": int(score.scored_width),
        "rank": rank,
        "seconds": time.perf_counter() - start,
        "error": score.error,
    }


# ---------------------------------------------------------------------- sources


@dataclass
class _Source:
    """One source of features: its base set, how to draw n samples, and what it is."""

    name: str
    kind: str
    X: np.ndarray
    y: np.ndarray
    data: dict[str, Any]
    max_n: int
    sample: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
    info: dict[str, Any] = field(default_factory=dict)


def _synthetic_source(name: str, setting: InvarianceSetting) -> _Source:
    from ..datasets import make_synthetic

    X, y = make_synthetic(name, setting.base_n, random_state=0)
    data = {"generator": "make_synthetic", "name": name, "n": setting.base_n, "random_state": 0}

    def sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        return make_synthetic(name, n, random_state=seed)

    return _Source(name, "synthetic", X, y, data, max(setting.n_values, default=0), sample)


def _subset(X: np.ndarray, y: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    idx = np.sort(np.random.default_rng(seed).choice(len(y), size=n, replace=False))
    return X[idx], y[idx]


def _cnn_config(setting: InvarianceSetting) -> Any:
    """The demo's ReLU model, seed 0 (the configuration ``sparsity-widgets demo`` trains), on
    the CPU: the study's numbers should not depend on whether a GPU is there."""
    from .demo import DEMO_VARIANTS
    from .mnist1d import SETTINGS, study_train_config

    study = replace(
        SETTINGS["quick"],
        channels=setting.cnn_channels,
        hidden=setting.cnn_hidden,
        epochs=setting.cnn_epochs,
    )
    return study_train_config(study, DEMO_VARIANTS[0], seed=0, device="cpu")


def _save_npz(path: Path, **arrays: np.ndarray) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

    atomic_write(path, write)


def _cnn_features(
    setting: InvarianceSetting, layers: list[str], cache: Path, timings: dict[str, float]
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, Any]]:
    """Features of the CNN's layers on the 4000 training signals, cached as ``.npz``."""
    from .mnist1d import _key

    config = _cnn_config(setting)
    key = _key(config.to_dict() | {"device": None})
    path = cache / f"features-{key}-{_key(sorted(layers))}.npz"
    info = {"config": config.to_dict() | {"device": None}, "key": key}
    if not path.exists():
        import torch

        from ..datasets import load_dataset
        from ..probe import extract_features
        from ..training import train

        data = load_dataset("mnist1d")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # the trained weights depend on the thread count
        try:
            start = time.perf_counter()
            run = train(config, cache / f"cnn-{key}", data=data, progress=False)
            timings["train_cnn_seconds"] = time.perf_counter() - start
            start = time.perf_counter()
            features = extract_features(run.model, data.train, layers, progress=False)
            timings["extract_features_seconds"] = time.perf_counter() - start
        finally:
            torch.set_num_threads(threads)
        _save_npz(
            path,
            y=data.train.y,
            test_accuracy=np.array(run.history.test_accuracy[-1]),
            **{f"layer:{name}": values for name, values in features.items()},
        )
    with np.load(path) as saved:
        features = {name: saved[f"layer:{name}"] for name in layers}
        y = saved["y"]
        info["test_accuracy"] = float(saved["test_accuracy"])
    return features, y, info


def _mnist1d_pool(
    setting: InvarianceSetting, cache: Path, timings: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """The training signals of a larger MNIST-1D set (for the raw input's n above 4000)."""
    from ..datasets.mnist1d import MNIST1D_SEED

    total = setting.mnist1d_pool * 10 // 8
    path = cache / f"mnist1d-seed{MNIST1D_SEED}-{total}.npz"
    if not path.exists():
        from ..datasets.mnist1d import load_mnist1d

        start = time.perf_counter()
        train = load_mnist1d(num_samples=total).train
        timings["generate_pool_seconds"] = time.perf_counter() - start
        _save_npz(path, X=train.X.reshape(len(train), -1), y=train.y)
    with np.load(path) as saved:
        return saved["X"], saved["y"]


def _mnist1d_sources(
    setting: InvarianceSetting, names: list[str], cache: Path, timings: dict[str, float]
) -> list[_Source]:
    layers = [name[len(MNIST1D) :] for name in names]
    trained = [layer for layer in layers if layer != "input"]
    features: dict[str, np.ndarray] = {}
    cnn_info: dict[str, Any] = {}
    y = None
    if trained:
        features, y, cnn_info = _cnn_features(setting, trained, cache, timings)
    if "input" in layers:
        from ..datasets import load_dataset

        train = load_dataset("mnist1d").train
        features["input"] = train.X.reshape(len(train), -1)
        if y is not None and not np.array_equal(y, train.y):
            raise RuntimeError(
                "the cached CNN features hold other labels than MNIST-1D's training set"
            )
        y = train.y
    pool: dict[str, Any] = {}

    def input_sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        if n <= _MNIST1D_TRAIN:
            return _subset(features["input"], y, n, seed)
        if "X" not in pool:
            pool["X"], pool["y"] = _mnist1d_pool(setting, cache, timings)
        return _subset(pool["X"], pool["y"], n, seed)

    out = []
    for name, layer in zip(names, layers, strict=True):
        X = features[layer]
        data: dict[str, Any] = {"dataset": "mnist1d", "split": "train", "layer": layer}
        if layer == "input":
            data["pool"] = setting.mnist1d_pool
            out.append(
                _Source(name, "mnist1d input", X, y, data, setting.mnist1d_pool, input_sample)
            )
        else:
            data["cnn"] = cnn_info["key"]

            def sample(n: int, seed: int, X: np.ndarray = X) -> tuple[np.ndarray, np.ndarray]:
                return _subset(X, y, n, seed)

            out.append(
                _Source(
                    name, "mnist1d layer", X, y, data, _MNIST1D_TRAIN, sample, {"cnn": cnn_info}
                )
            )
    return out


def _load_sources(
    setting: InvarianceSetting, cache: Path, timings: dict[str, float]
) -> list[_Source]:
    mnist = [s for s in setting.sources if s.startswith(MNIST1D)]
    loaded = {s.name: s for s in _mnist1d_sources(setting, mnist, cache, timings)} if mnist else {}
    for name in setting.sources:
        if name not in loaded:
            loaded[name] = _synthetic_source(name, setting)
    return [loaded[name] for name in setting.sources]


# ---------------------------------------------------------------------- cells


def _plan(source: _Source, setting: InvarianceSetting, max_width: int) -> list[tuple[str, Any]]:
    """(transform, value) of every cell of a source, identity first."""
    width = source.X.shape[1]
    cells: list[tuple[str, Any]] = [("identity", None), ("rotation", 1)]
    for transform in WIDTH_TRANSFORMS:
        cells += [(transform, k) for k in setting.factors if k * width <= max_width]
    cells += [("n", n) for n in setting.n_values if n <= source.max_n]
    cells += [("depth", v) for v in setting.depths]
    cells += [("trees", v) for v in setting.tree_counts]
    cells += [("max_features", v) for v in setting.max_features]
    return cells


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in ".-_" else "_" for c in text)


def _cell_path(cells: Path, source: str, transform: str, value: Any, seed: int) -> Path:
    return cells / _slug(source) / transform / f"{_slug(value_label(value))}-s{seed}.json"


def read_cell(path: str | os.PathLike) -> dict[str, Any]:
    """Read one cell file; a damaged or foreign file raises naming the file and the key.

    Returns
    -------
    dict
        ``{"spec": {...}, "result": {...}}`` as written by the study.
    """
    at = Where.of("invariance cell", path, _CELL_HINT)
    data = require_object(read_json(path, at), at)
    require_schema(data, CELL_SCHEMA, at)
    spec = require(data, "spec", "object", at)
    result = require(data, "result", "object", at)
    here = at.key("result")
    require(result, "alpha_star", "number", here, nullable=True)
    require(result, "tau_star", "number", here, nullable=True)
    for key in ("n", "width", "scored_width"):
        require(result, key, "integer", here)
    require(result, "rank", "integer", here, nullable=True)
    require(result, "seconds", "number", here)
    require(result, "error", "string", here, nullable=True)
    return {"spec": spec, "result": result}


def _spec(source: _Source, transform: str, value: Any, seed: int, probe: dict) -> dict[str, Any]:
    return json.loads(
        json.dumps(
            {
                "source": source.name,
                "data": source.data,
                "transform": transform,
                "value": value,
                "seed": seed,
                "probe": probe,
            }
        )
    )


def _aggregate(
    source: _Source, transform: str, value: Any, results: list[dict[str, Any]]
) -> dict[str, Any]:
    alphas = [r["alpha_star"] for r in results]
    finite = [a for a in alphas if a is not None]
    return {
        "source": source.name,
        "transform": transform,
        "value": value,
        "n": results[0]["n"],
        "width": results[0]["width"],
        "scored_width": results[0]["scored_width"],
        "rank": [r["rank"] for r in results],
        "alpha": alphas,
        "tau": [r["tau_star"] for r in results],
        "alpha_mean": float(np.mean(finite)) if finite else None,
        "alpha_std": float(np.std(finite)) if finite else None,
        "seconds": [r["seconds"] for r in results],
        "errors": [r["error"] for r in results if r["error"]],
    }


def _resolve_setting(setting: str | InvarianceSetting) -> tuple[str, InvarianceSetting]:
    if isinstance(setting, InvarianceSetting):
        return "custom", setting
    name = check_choice("setting", setting, tuple(INVARIANCE_SETTINGS))
    return name, INVARIANCE_SETTINGS[name]


_SOURCES: dict[str, dict[str, _Source]] = {}


def _sources_of(config: InvarianceSetting, cache: Path) -> dict[str, _Source]:
    """The sources of a setting, loaded once per process from the study's cache (the CNN's
    features are cached there by the run before any cell starts)."""
    key = json.dumps([config.to_dict(), os.fspath(cache)], sort_keys=True)
    if key not in _SOURCES:
        _SOURCES[key] = {s.name: s for s in _load_sources(config, cache, {})}
    return _SOURCES[key]


def _legacy_cell(cache: Path, spec: dict[str, Any]) -> dict[str, Any] | None:
    """The result of a cell saved by studies before the grid runner, when its specification
    is this one (read, never written)."""
    path = _cell_path(
        cache / "cells", spec["source"], spec["transform"], spec["value"], spec["seed"]
    )
    if not path.exists():
        return None
    cell = read_cell(path)
    return cell["result"] if cell["spec"] == spec else None


def invariance_cell(
    source: str,
    data: dict[str, Any],
    transform: str,
    value: Any,
    seed: int,
    probe: dict[str, Any],
    *,
    setting: dict[str, Any],
    cache: str,
    n_jobs: int | None = None,
) -> dict[str, Any]:
    """One grid cell of the study: one change of one source with one seed, then alpha*.

    Parameters
    ----------
    source : str
        A name of ``setting["sources"]``.
    data : dict
        What the source is (its data set, layer, CNN key); part of the cell's key.
    transform : str
        One of :data:`TRANSFORMS`.
    value : Any
        The change's value; None for ``"identity"``.
    seed : int
        Seed of the change and of the forest.
    probe : dict
        ``ProbeSettings.to_dict()`` without ``n_jobs`` and ``random_state``.
    setting : dict
        ``InvarianceSetting.to_dict()``, to load the sources (outside the key: ``data`` says
        what the source is, so a cell is reused by a setting with other seeds or values).
    cache : str
        The study's ``runs/`` folder (the CNN, its features, the MNIST-1D pool).
    n_jobs : int or None
        Threads for growing the trees; the score does not depend on it.

    Returns
    -------
    dict
        As :func:`score_cell`.
    """
    from ..probe.score import ProbeSettings

    folder = Path(cache)
    spec = {
        "source": source,
        "data": data,
        "transform": transform,
        "value": value,
        "seed": seed,
        "probe": probe,
    }
    earlier = _legacy_cell(folder, spec)
    if earlier is not None:
        return earlier
    config = InvarianceSetting(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in setting.items()}
    )
    origin = _sources_of(config, folder)[source]
    X, y = origin.sample(value, seed) if transform == "n" else (origin.X, origin.y)
    base = ProbeSettings.from_dict({**probe, "n_jobs": n_jobs})
    return score_cell(X, y, transform, value, seed, base)


def run_invariance_study(
    setting: str | InvarianceSetting = "quick",
    *,
    out_dir: str | os.PathLike = "studies-output",
    seeds: tuple[int, ...] | None = None,
    n_jobs: int | None = None,
    progress: bool = True,
    backend: str = "sequential",
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
) -> InvarianceResult:
    """Run (or resume) the study and save its JSON, Markdown and figures.

    The sources are prepared here (the CNN trained and its features cached); then every
    (source, change, value, seed) is a cell of a grid (:func:`sparsity_widgets.grid.run_grid`),
    saved in ``runs/cells/<key>.json`` and skipped on a rerun. Cells saved by earlier versions
    (``runs/cells/<source>/<change>/<value>-s<seed>.json``) are read when their specification
    matches.

    Parameters
    ----------
    setting : {"quick", "full"} or InvarianceSetting
        A named setting, or a custom one (saved as ``invariance-custom``).
    out_dir : path
        The results go to ``out_dir/invariance-<setting>/``, the cache (trained CNN,
        features, one JSON per cell) to its ``runs/`` subfolder.
    seeds : tuple of int, optional
        Overrides the setting's seeds.
    n_jobs : int or None
        Threads for growing the trees (see :class:`~sparsity_widgets.WaveletForest`); the
        scores do not depend on it.
    progress : bool, default=True
    backend, workers, scheduler, threads
        Where the cells run, as in :func:`sparsity_widgets.grid.run_grid`.

    Returns
    -------
    InvarianceResult
    """
    from ..grid import Cell, check_backend, run_grid
    from ..probe.score import ProbeSettings

    check_backend(backend, workers, scheduler, threads)
    name, config = _resolve_setting(setting)
    if seeds is not None:
        config = replace(config, seeds=tuple(seeds))
    base = ProbeSettings(n_jobs=n_jobs)
    probe = {k: v for k, v in base.to_dict().items() if k not in ("n_jobs", "random_state")}
    folder = Path(out_dir) / f"invariance-{name}"
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    with hold_run_folder(folder):
        cache = folder / "runs"
        timings: dict[str, float] = {}
        sources = _load_sources(config, cache, timings)
        plans = [(source, _plan(source, config, base.max_width)) for source in sources]
        if any(
            s.kind == "mnist1d input" and any(t == "n" and v > _MNIST1D_TRAIN for t, v in plan)
            for s, plan in plans
        ):
            _mnist1d_pool(config, cache, timings)  # once, before the cells that draw from it
        context = {"setting": config.to_dict(), "cache": os.fspath(cache), "n_jobs": n_jobs}
        cells = [
            Cell(invariance_cell, _spec(source, transform, value, seed, probe), context)
            for source, plan in plans
            for transform, value in plan
            for seed in config.seeds
        ]
        computed = []
        replies = run_grid(
            cells,
            cache,
            backend=backend,
            workers=workers,
            scheduler=scheduler,
            threads=threads,
            progress=progress,
            desc="invariance cells",
            # a cell read from an earlier version's file is not computed
            on_result=lambda cell, _: computed.append(_legacy_cell(cache, cell.parameters) is None),
        )
        rows, k = [], 0
        for source, plan in plans:
            for transform, value in plan:
                results = replies[k : k + len(config.seeds)]
                k += len(config.seeds)
                rows.append(_aggregate(source, transform, value, results))
        total = len(cells)
        info = {
            "command": f"sparsity-widgets study invariance --setting {name}",
            "probe_function": "sparsity_widgets.probe.score_layer",
            "cells_computed_this_run": sum(computed),
            "cells_total": total,
            "cell_seconds_total": float(sum(sum(r["seconds"]) for r in rows)),
            "run_seconds": time.perf_counter() - start,
            "run_cpu_seconds": _cpu_seconds() - cpu_start,
            **timings,
        }
        cnn = next((s.info["cnn"] for s in sources if "cnn" in s.info), None)
        if cnn is not None:
            info["cnn"] = cnn
        result = InvarianceResult(
            setting=name,
            seeds=list(config.seeds),
            probe=probe,
            config=config.to_dict(),
            sources=[
                {
                    "name": s.name,
                    "kind": s.kind,
                    "n": int(s.X.shape[0]),
                    "width": int(s.X.shape[1]),
                    "data": s.data,
                }
                for s in sources
            ],
            rows=rows,
            info=info,
        )
        result.save(folder / "invariance.json")
        atomic_write_text(folder / "invariance.md", result.markdown() + "\n")
        try:
            result.save_figures(folder)
        except ImportError:  # pragma: no cover - matplotlib is in the [plot] extra
            pass
    return result


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_invariance_cli(args: argparse.Namespace) -> None:
    """``sparsity-widgets study invariance``: run, print the summary, name the files."""
    if args.data_dir is not None:
        raise ValueError(
            "--data-dir applies to the studies collapse, good-bad, vgg-depth, phase-retrieval "
            f"only; got study {args.name!r}."
        )
    from ..grid.cli_args import grid_options

    grid = grid_options(args)
    if grid.pop("gpus"):
        raise ValueError(
            "--gpus does not apply to study 'invariance', which scores features on the CPU; "
            f"got --gpus {args.gpus}."
        )
    result = run_invariance_study(
        args.setting, out_dir=args.out, seeds=args.seeds, n_jobs=args.n_jobs, **grid
    )
    print(result.markdown_summary())
    folder = Path(args.out) / f"invariance-{result.setting}"
    print(
        f"\nwrote {folder / 'invariance.json'}, invariance.md and the figures "
        f"widths.png, n.png, forest.png"
    )
