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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_text

__all__ = ["LayerScore", "ProbeResult", "SeedRun"]

SCHEMA = "sparsity_widgets.probe/1"


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
        Wall time of this layer's score (fit + estimate).
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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN and inf become None)."""
        return _clean(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerScore:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        for key in ("tau_star", "alpha_star"):
            if data.get(key) is None:
                data[key] = math.nan
        for key in ("log_sparsity", "log_inverse_sum"):
            if data.get(key) is not None:
                data[key] = [math.inf if v is None else v for v in data[key]]
        return cls(**data)


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
    def from_dict(cls, data: dict[str, Any]) -> SeedRun:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        data["layers"] = [LayerScore.from_dict(d) for d in data["layers"]]
        return cls(**data)


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
            ``"linear_probe_accuracy"``) or ``"clustering.<index>"``.

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

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per layer: name, kind, width, mean and std of alpha* and tau*."""
        alpha_m, alpha_s = self.mean(), self.std()
        tau_m = self.mean("tau_star")
        first = self.runs[0].layers if self.runs else []
        return [
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

    def format_table(self) -> str:
        """A plain-text table of alpha* per layer (mean +- std over seeds)."""
        lines = [f"{self.label}: {len(self.runs)} seed(s)"]
        acc = self.accuracy()
        if acc is not None:
            lines[0] += f", test accuracy {acc[0]:.3f} +- {acc[1]:.3f}"
        lines.append(f"{'layer':<14}{'kind':<10}{'width':>7}  {'alpha* mean':>11}  {'std':>6}")
        for row in self.summary_rows():
            lines.append(
                f"{row['layer']:<14}{row['kind']:<10}{row['width']:>7}  "
                f"{row['alpha_mean']:>11.3f}  {row['alpha_std']:>6.3f}"
            )
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
    def from_dict(cls, data: dict[str, Any]) -> ProbeResult:
        """Inverse of :meth:`to_dict`."""
        if data.get("schema") != SCHEMA:
            raise ValueError(
                f"not a probe result: expected schema {SCHEMA!r}, got {data.get('schema')!r}."
            )
        return cls(
            label=data["label"],
            model=data["model"],
            dataset=data["dataset"],
            settings=data["settings"],
            runs=[SeedRun.from_dict(r) for r in data["runs"]],
        )

    def to_json(self, path: str | os.PathLike) -> Path:
        """Write the result to ``path`` atomically; returns the path."""
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> ProbeResult:
        """Read a result written by :meth:`to_json`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no probe result at {path}; run `sparsity-widgets probe`.")
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
