"""Probe results: per layer, per seed, aggregated over seeds; JSON in and out.

A :class:`ProbeResult` holds one :class:`SeedRun` per trained model (a seed of the same
architecture), each with one :class:`LayerScore` per probed layer. Aggregates over seeds
(mean and standard deviation of alpha* per layer, as in the paper's figures) are computed
from the runs, never stored twice. ``ProbeResult.from_json(result.to_json(path))`` gives back
an equal object.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_text
from .._schema import (
    SavedResultError,
    Where,
    check_list,
    optional,
    read_json,
    reject_unknown,
    require,
    require_list,
    require_object,
    require_schema,
)

__all__ = ["LayerScore", "ProbeResult", "SavedResultError", "SeedRun"]

SCHEMA = "sparsity_widgets.probe/1"

_HINT = (
    "The file is damaged or was not written by ProbeResult.to_json; write it again "
    "(`sparsity-widgets probe`, or delete it so that a study probes again)."
)


def _clean(value: Any) -> Any:
    """JSON-ready copy: numpy scalars/arrays to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


@dataclass
class LayerScore:
    """The Sparsity Probe on one layer of one model.

    Attributes
    ----------
    name : str
        Dotted module name (or ``"input"``).
    kind : str
        ``"input"``, ``"conv"``, ``"pool"``, ``"linear"``, ``"residual"``, ...
    width : int
        Features of the layer (flattened output).
    scored_width : int
        Features the forest saw (after width reduction).
    reduction : str
        Width-reduction method (``"none"`` when the layer was scored at full width).
    tau_star, alpha_star : float
        The estimate (NaN when no tau fell in the window; ``error`` then says why).
    taus, log_sparsity : list of float, length m
        The curve ``log N_tau`` the estimate was taken from (Figure 4 of the paper).
    log_inverse_sum : list of float, length m
        ``log(sum n^(tau - 1))`` over the positive norms, which the public-code rule needs;
        with ``log_sparsity`` it lets either rule be re-run from the JSON alone.
    selected_taus : list of float
    n_wavelets : int
        Non-root wavelets of the forest.
    seconds : float
        Wall time of this layer's score (fit + estimate, and the controlled score when one
        was asked for).
    clustering : dict or None
        k-means indices with k = number of classes (adjusted_rand, adjusted_mutual_info,
        homogeneity, completeness, fowlkes_mallows).
    linear_probe_accuracy : float or None
        Held-out accuracy of a logistic regression on the layer.
    umap : dict or None
        ``{"indices": [...], "embedding": [[x, y], ...], "labels": [...]}`` on a seeded
        subsample, for pictures.
    error : str or None
        Why the estimate failed, when it did.
    baseline : dict or None
        The controlled score (``ProbeSettings(baseline=...)``), as
        :meth:`~sparsity_widgets.probe.baseline.ControlledAlpha.to_dict` writes it: ``kind``,
        ``repeats``, ``width``, ``random_state``, ``score``, ``spread`` (null for NaN) and the
        per-repeat ``rotated`` and ``null`` alpha* (null lists for kinds without them). None
        when not asked for; :meth:`to_dict` then leaves the key out, as before it existed.
    """

    name: str
    kind: str
    width: int
    scored_width: int
    reduction: str
    tau_star: float
    alpha_star: float
    taus: list[float]
    log_sparsity: list[float]
    selected_taus: list[float]
    n_wavelets: int
    seconds: float
    log_inverse_sum: list[float] | None = None
    clustering: dict[str, float] | None = None
    linear_probe_accuracy: float | None = None
    umap: dict[str, Any] | None = None
    error: str | None = None
    baseline: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN and inf become None; no ``baseline`` key when it is None)."""
        out = _clean(asdict(self))
        if self.baseline is None:
            del out["baseline"]
        return out

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: str | os.PathLike | None = None
    ) -> LayerScore:
        """Inverse of :meth:`to_dict`, checking every field.

        Parameters
        ----------
        data : dict
            As :meth:`to_dict` writes it. Required: every field but the optional ones below.
            ``tau_star`` and ``alpha_star`` may be null only when ``error`` says why the
            estimate failed (they become NaN). Null items of ``log_sparsity`` and
            ``log_inverse_sum`` stand for ``inf`` (the curve past double precision).
            Optional (absent or null gives None): ``log_inverse_sum`` (files written before it
            existed), ``clustering``, ``linear_probe_accuracy``, ``umap``, ``baseline``
            (recorded only when asked for; absent from files written before it existed) and
            ``error``.
        source : path-like, optional
            The file ``data`` came from, named in error messages.

        Returns
        -------
        LayerScore

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the file, the key, what was expected and what was found.
        """
        return cls._parse(data, Where.of("layer score", source, _HINT))

    @classmethod
    def _parse(cls, data: Any, at: Where) -> LayerScore:
        data = require_object(data, at)
        reject_unknown(data, [f.name for f in fields(cls)], at)
        error = optional(data, "error", "string", at)
        taus = require_list(data, "taus", "number", at)
        curve = {"null_items": math.inf, "length": len(taus), "length_of": "taus"}
        return cls(
            name=require(data, "name", "string", at),
            kind=require(data, "kind", "string", at),
            width=require(data, "width", "integer", at),
            scored_width=require(data, "scored_width", "integer", at),
            reduction=require(data, "reduction", "string", at),
            tau_star=_estimate(data, "tau_star", error, at),
            alpha_star=_estimate(data, "alpha_star", error, at),
            taus=taus,
            log_sparsity=require_list(data, "log_sparsity", "number", at, **curve),
            selected_taus=require_list(data, "selected_taus", "number", at),
            n_wavelets=require(data, "n_wavelets", "integer", at),
            seconds=require(data, "seconds", "number", at),
            log_inverse_sum=require_list(
                data, "log_inverse_sum", "number", at, nullable=True, **curve
            ),
            clustering=_clustering(data, at),
            linear_probe_accuracy=optional(data, "linear_probe_accuracy", "number", at),
            umap=_umap(data, at),
            error=error,
            baseline=_baseline(data, at),
        )


def _estimate(data: dict[str, Any], key: str, error: str | None, at: Where) -> float:
    """tau* or alpha*: a number, or null (NaN) only when the score records why it failed."""
    if error is None:
        expected = "a finite number (null only with an 'error' saying why the estimate failed)"
    else:
        expected = "a finite number, or null since 'error' is set"
    value = require(data, key, "number", at, nullable=error is not None, expected=expected)
    return math.nan if value is None else value


def _clustering(data: dict[str, Any], at: Where) -> dict[str, float | None] | None:
    """Clustering indices: an optional object of numbers (null where an index was NaN)."""
    indices = optional(data, "clustering", "object", at)
    if indices is None:
        return None
    here = at.key("clustering")
    return {name: optional(indices, name, "number", here) for name in indices}


def _umap(data: dict[str, Any], at: Where) -> dict[str, Any] | None:
    """The optional UMAP picture: ``indices``, ``embedding`` (n x 2) and ``labels``."""
    picture = optional(data, "umap", "object", at)
    if picture is None:
        return None
    here = at.key("umap")
    n = len(require_list(picture, "indices", "integer", here))
    points = require_list(picture, "embedding", "array", here, length=n, length_of="indices")
    for i, point in enumerate(points):
        check_list(point, "number", here.key("embedding").item(i), length=2, length_of="(x, y)")
    require_list(picture, "labels", "integer", here, length=n, length_of="indices")
    return picture


def _baseline(data: dict[str, Any], at: Where) -> dict[str, Any] | None:
    """The optional controlled score: its kind, counts, score, spread and per-repeat values."""
    from .baseline import BASELINES

    record = optional(data, "baseline", "object", at)
    if record is None:
        return None
    here = at.key("baseline")
    reject_unknown(
        record,
        ["kind", "repeats", "width", "random_state", "score", "spread", "rotated", "null"],
        here,
    )
    kind = require(record, "kind", "string", here)
    if kind not in BASELINES:
        raise here.key("kind").error(
            "one of " + ", ".join(repr(b) for b in BASELINES), f"the string {kind!r}"
        )
    repeats = require(record, "repeats", "integer", here)
    # null items stand for NaN (a failed estimate) and stay None, as the writer has them
    each = {"nullable": True, "null_items": math.nan, "length": repeats, "length_of": "repeats"}
    out = {
        "kind": kind,
        "repeats": repeats,
        "width": require(record, "width", "integer", here),
        "random_state": require(record, "random_state", "integer", here),
        "score": require(record, "score", "number", here, nullable=True),
        "spread": require(record, "spread", "number", here, nullable=True),
        "rotated": require_list(record, "rotated", "number", here, **each),
        "null": require_list(record, "null", "number", here, **each),
    }
    for key, needed in (("rotated", kind != "permuted-labels"), ("null", kind != "rotation")):
        if needed and out[key] is None:
            raise here.key(key).error(f"a list of {repeats} alpha* for kind {kind!r}", "null")
        if out[key] is not None:
            out[key] = [None if math.isnan(v) else v for v in out[key]]
    return out


@dataclass
class SeedRun:
    """One trained model (one seed) and its probed layers.

    Attributes
    ----------
    seed : int
    layers : list of LayerScore
    test_accuracy, train_accuracy : float or None
        Of the model, when known.
    source : str or None
        The checkpoint (or other origin) of the model.
    epoch : int or None
        Training epoch of the checkpoint.
    """

    seed: int
    layers: list[LayerScore]
    test_accuracy: float | None = None
    train_accuracy: float | None = None
    source: str | None = None
    epoch: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = _clean({k: v for k, v in asdict(self).items() if k != "layers"})
        out["layers"] = [layer.to_dict() for layer in self.layers]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | os.PathLike | None = None) -> SeedRun:
        """Inverse of :meth:`to_dict`, checking every field.

        Parameters
        ----------
        data : dict
            Required: ``seed`` and a non-empty list ``layers`` (see
            :meth:`LayerScore.from_dict`). Optional (absent or null gives None):
            ``test_accuracy``, ``train_accuracy``, ``source``, ``epoch``.
        source : path-like, optional
            The file ``data`` came from, named in error messages.

        Returns
        -------
        SeedRun

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the file, the key, what was expected and what was found.
        """
        return cls._parse(data, Where.of("probe run", source, _HINT))

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> SeedRun:
        """Read one run saved as ``json.dumps(run.to_dict())`` (a study's probe cache file)."""
        at = Where.of("probe run", path, _HINT)
        return cls._parse(read_json(path, at), at)

    @classmethod
    def _parse(cls, data: Any, at: Where) -> SeedRun:
        data = require_object(data, at)
        reject_unknown(data, [f.name for f in fields(cls)], at)
        layers = require(data, "layers", "array", at)
        if not layers:
            raise at.key("layers").error("a non-empty list of layer scores", "an empty list")
        here = at.key("layers")
        return cls(
            seed=require(data, "seed", "integer", at),
            layers=[LayerScore._parse(layer, here.item(i)) for i, layer in enumerate(layers)],
            test_accuracy=optional(data, "test_accuracy", "number", at),
            train_accuracy=optional(data, "train_accuracy", "number", at),
            source=optional(data, "source", "string", at),
            epoch=optional(data, "epoch", "integer", at),
        )


@dataclass
class ProbeResult:
    """alpha* per layer for one architecture, over several seeds.

    Attributes
    ----------
    label : str
        What was probed, e.g. ``"mnist1d-cnn activation=relu"``; used in legends.
    model : str
        Registry name of the architecture (or a free description).
    dataset : str
    settings : dict
        Everything needed to compare or repeat: trees, depth, features per split, norm weight,
        rule, epsilons, number of samples, width cap and reduction method, model options.
    runs : list of SeedRun
    """

    label: str
    model: str
    dataset: str
    settings: dict[str, Any]
    runs: list[SeedRun] = field(default_factory=list)

    def __post_init__(self) -> None:
        # settings are kept as JSON holds them (tuples become lists), so that a result
        # equals its reloaded copy
        self.settings = json.loads(json.dumps(_clean(self.settings)))

    # ------------------------------------------------------------------ aggregates
    @property
    def layer_names(self) -> list[str]:
        """Layer names in probe order (of the first run; every run probes the same layers)."""
        return [layer.name for layer in self.runs[0].layers] if self.runs else []

    @property
    def layer_kinds(self) -> list[str]:
        """Kind of each layer, aligned with :attr:`layer_names`."""
        return [layer.kind for layer in self.runs[0].layers] if self.runs else []

    def values(self, key: str = "alpha_star") -> np.ndarray:
        """A per-layer quantity for every run.

        Parameters
        ----------
        key : str
            An attribute of LayerScore (``"alpha_star"``, ``"tau_star"``, ``"seconds"``,
            ``"linear_probe_accuracy"``), ``"clustering.<index>"`` or ``"baseline.score"`` /
            ``"baseline.spread"`` (the controlled score and its spread over repeats).

        Returns
        -------
        ndarray, shape (n_runs, n_layers)
            NaN where a run lacks the value.
        """
        names = self.layer_names
        table = np.full((len(self.runs), len(names)), np.nan)
        for i, run in enumerate(self.runs):
            if [layer.name for layer in run.layers] != names:
                raise ValueError(
                    f"run {i} (seed {run.seed}) probed other layers than run 0; "
                    "aggregate only runs of the same architecture and layers."
                )
            for j, layer in enumerate(run.layers):
                if key.startswith("clustering."):
                    value = (layer.clustering or {}).get(key.split(".", 1)[1])
                elif key.startswith("baseline."):
                    value = (layer.baseline or {}).get(key.split(".", 1)[1])
                else:
                    value = getattr(layer, key)
                table[i, j] = np.nan if value is None else value
        return table

    def mean(self, key: str = "alpha_star") -> np.ndarray:
        """Mean over seeds per layer, shape (n_layers,) (NaN-aware)."""
        table = self.values(key)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a layer every seed failed on
            return np.nanmean(table, axis=0)

    def std(self, key: str = "alpha_star") -> np.ndarray:
        """Standard deviation over seeds per layer, shape (n_layers,) (0 for one seed)."""
        table = self.values(key)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanstd(table, axis=0)

    def accuracy(self, which: str = "test") -> tuple[float, float] | None:
        """Mean and standard deviation of the models' accuracy over seeds, or None."""
        values = [getattr(r, f"{which}_accuracy") for r in self.runs]
        values = [v for v in values if v is not None]
        if not values:
            return None
        return float(np.mean(values)), float(np.std(values))

    @property
    def baseline(self) -> dict[str, Any] | None:
        """What the controlled score is: ``kind`` and ``repeats`` (of the first layer that has
        one) and ``width`` (the width its forests saw, or None when it differs between layers,
        as when each layer was rotated at its own width); None when no layer has one."""
        records = [layer.baseline for run in self.runs for layer in run.layers if layer.baseline]
        if not records:
            return None
        widths = {record["width"] for record in records}
        return {
            "kind": records[0]["kind"],
            "repeats": records[0]["repeats"],
            "width": widths.pop() if len(widths) == 1 else None,
        }

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per layer: name, kind, width, mean and std of alpha* and tau*; with a
        controlled score, also its mean and std over seeds (``controlled_mean``,
        ``controlled_std``)."""
        alpha_m, alpha_s = self.mean(), self.std()
        tau_m = self.mean("tau_star")
        first = self.runs[0].layers if self.runs else []
        rows = [
            {
                "layer": layer.name,
                "kind": layer.kind,
                "width": layer.width,
                "scored_width": layer.scored_width,
                "alpha_mean": float(alpha_m[j]),
                "alpha_std": float(alpha_s[j]),
                "tau_mean": float(tau_m[j]),
            }
            for j, layer in enumerate(first)
        ]
        if self.baseline is not None:
            mean, std = self.mean("baseline.score"), self.std("baseline.score")
            for j, row in enumerate(rows):
                row["controlled_mean"], row["controlled_std"] = float(mean[j]), float(std[j])
        return rows

    def format_table(self) -> str:
        """A plain-text table of alpha* per layer (mean +- std over seeds), and of the
        controlled score when there is one."""
        lines = [f"{self.label}: {len(self.runs)} seed(s)"]
        acc = self.accuracy()
        if acc is not None:
            lines[0] += f", test accuracy {acc[0]:.3f} +- {acc[1]:.3f}"
        control = self.baseline
        head = f"{'layer':<14}{'kind':<10}{'width':>7}  {'alpha* mean':>11}  {'std':>6}"
        if control is not None:
            lines[0] += f"; controlled: {control['kind']}, {control['repeats']} repeat(s)"
            head += f"  {'controlled':>10}  {'std':>6}"
        lines.append(head)
        for row in self.summary_rows():
            line = (
                f"{row['layer']:<14}{row['kind']:<10}{row['width']:>7}  "
                f"{row['alpha_mean']:>11.3f}  {row['alpha_std']:>6.3f}"
            )
            if control is not None:
                line += f"  {row['controlled_mean']:>10.3f}  {row['controlled_std']:>6.3f}"
            lines.append(line)
        return "\n".join(lines)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (with a schema tag)."""
        return {
            "schema": SCHEMA,
            "label": self.label,
            "model": self.model,
            "dataset": self.dataset,
            "settings": _clean(self.settings),
            "runs": [run.to_dict() for run in self.runs],
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: str | os.PathLike | None = None
    ) -> ProbeResult:
        """Inverse of :meth:`to_dict`, checking every field.

        Parameters
        ----------
        data : dict
            Required: ``schema`` (``"sparsity_widgets.probe/1"``), ``label``, ``model``,
            ``dataset`` (strings), ``settings`` (an object) and ``runs`` (a list, see
            :meth:`SeedRun.from_dict`).
        source : path-like, optional
            The file ``data`` came from, named in error messages.

        Returns
        -------
        ProbeResult

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the file, the key path (e.g.
            ``runs[0].layers[3].alpha_star``), what was expected and what was found.
        """
        return cls._parse(data, Where.of("probe result", source, _HINT))

    @classmethod
    def _parse(cls, data: Any, at: Where) -> ProbeResult:
        data = require_object(data, at)
        require_schema(data, SCHEMA, at)
        reject_unknown(data, ["schema", "label", "model", "dataset", "settings", "runs"], at)
        runs = require(data, "runs", "array", at)
        here = at.key("runs")
        return cls(
            label=require(data, "label", "string", at),
            model=require(data, "model", "string", at),
            dataset=require(data, "dataset", "string", at),
            settings=require(data, "settings", "object", at),
            runs=[SeedRun._parse(run, here.item(i)) for i, run in enumerate(runs)],
        )

    def to_json(self, path: str | os.PathLike) -> Path:
        """Write the result to ``path`` atomically; returns the path."""
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> ProbeResult:
        """Read a result written by :meth:`to_json`.

        Raises
        ------
        FileNotFoundError
            When there is no file at ``path``.
        SavedResultError
            A ``ValueError``, when the file is truncated, is not a probe result, or lacks or
            mistypes a field; the message names the file and the key.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no probe result at {path}; run `sparsity-widgets probe`.")
        at = Where.of("probe result", path, _HINT)
        return cls._parse(read_json(path, at), at)
