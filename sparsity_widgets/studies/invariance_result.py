"""The invariance study's result: rows of alpha* per (source, change, value), read back checked.

Written by :func:`~sparsity_widgets.studies.invariance.run_invariance_study` as
``invariance.json``; :class:`InvarianceResult` reads it back (every field checked, errors
naming the file and the key), compares every row with its source's ``"identity"`` row, and
draws the study's figures. numpy and JSON only; matplotlib when a figure is asked for.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write, atomic_write_text
from .._schema import (
    Where,
    describe,
    read_json,
    reject_unknown,
    require,
    require_list,
    require_object,
    require_schema,
)

__all__ = [
    "FOREST_TRANSFORMS",
    "INVARIANCE_SCHEMA",
    "SPREAD_FLOOR",
    "TRANSFORMS",
    "WIDTH_TRANSFORMS",
    "InvarianceResult",
    "value_label",
]

TRANSFORMS = (
    "identity",
    "rotation",
    "gaussian",
    "sparse",
    "constant",
    "noise",
    "n",
    "depth",
    "trees",
    "max_features",
)
"""The changes the study makes (see :mod:`~sparsity_widgets.studies.invariance`)."""

WIDTH_TRANSFORMS = ("gaussian", "sparse", "constant", "noise")
"""Changes whose value is a width factor k (the width becomes k times the source's)."""

FOREST_TRANSFORMS = ("depth", "trees", "max_features")
"""Changes of the forest's settings (the features stay as they are)."""

SPREAD_FLOOR = 0.001
"""Smallest seed spread a shift is divided by: the printed precision of alpha*, so that three
seeds that happen to agree exactly do not make every shift infinitely large."""

INVARIANCE_SCHEMA = "sparsity_widgets.invariance_study/1"

_HINT = (
    "The file is damaged or was not written by InvarianceResult.save; run the study again "
    "(`sparsity-widgets study invariance`), which reuses its cached cells."
)

_LABELS = {
    "identity": "as given",
    "rotation": "random rotation",
    "gaussian": "Gaussian embedding",
    "sparse": "sparse embedding",
    "constant": "constant columns",
    "noise": "noise columns",
    "n": "sample size n",
    "depth": "tree depth",
    "trees": "number of trees",
    "max_features": "features per split",
}


def value_label(value: Any) -> str:
    """How a cell's value is written in file names and tables: ``none``, ``16``, ``0.5``..."""
    if value is None:
        return "none"
    return str(value)


def _display(transform: str, value: Any) -> str:
    if transform == "identity":
        return "-"
    if transform == "max_features" and value is None:
        return "all"
    if transform in WIDTH_TRANSFORMS:
        return f"{value}x"
    return value_label(value)


def _read_row(row: Any, at: Where, n_seeds: int) -> dict[str, Any]:
    row = require_object(row, at)
    keys = [
        "source",
        "transform",
        "value",
        "n",
        "width",
        "scored_width",
        "rank",
        "alpha",
        "tau",
        "alpha_mean",
        "alpha_std",
        "seconds",
        "errors",
    ]
    reject_unknown(row, keys, at)
    require(row, "source", "string", at)
    transform = require(row, "transform", "string", at)
    if transform not in TRANSFORMS:
        raise at.key("transform").error(f"one of {list(TRANSFORMS)}", repr(transform))
    if "value" not in row:
        raise at.key("value").error("a value (null for the identity)", "no such key")
    value = row["value"]
    if not (value is None or isinstance(value, str | int | float)) or isinstance(value, bool):
        raise at.key("value").error("null, a number or a string", repr(value))
    for key in ("n", "width", "scored_width"):
        require(row, key, "integer", at)
    seeds = f"the seeds ({n_seeds})"
    # null: a change without a linear map (validated only; the row keeps its nulls)
    require_list(row, "rank", "integer", at, null_items=0, length=n_seeds, length_of=seeds)
    alpha = require_list(
        row, "alpha", "number", at, null_items=math.nan, length=n_seeds, length_of=seeds
    )
    tau = require_list(
        row, "tau", "number", at, null_items=math.nan, length=n_seeds, length_of=seeds
    )
    require_list(row, "seconds", "number", at, length=n_seeds, length_of=seeds)
    require_list(row, "errors", "string", at)
    mean = require(row, "alpha_mean", "number", at, nullable=True)
    std = require(row, "alpha_std", "number", at, nullable=True)
    finite = [a for a in alpha if math.isfinite(a)]
    for key, value in (("alpha_mean", mean), ("alpha_std", std)):
        if (value is None) != (not finite):
            raise at.key(key).error(
                "a number exactly when some seed has a finite alpha*",
                f"{describe(value)} with {len(finite)} finite alpha* value(s)",
            )
    return dict(row, alpha=alpha, tau=tau)


def _read_source(source: Any, at: Where) -> dict[str, Any]:
    source = require_object(source, at)
    reject_unknown(source, ["name", "kind", "n", "width", "data"], at)
    require(source, "name", "string", at)
    require(source, "kind", "string", at)
    require(source, "n", "integer", at)
    require(source, "width", "integer", at)
    require(source, "data", "object", at)
    return source


@dataclass
class InvarianceResult:
    """alpha* of every cell of the invariance study, averaged over the seeds.

    Attributes
    ----------
    setting : str
        ``"quick"``, ``"full"`` or ``"custom"``.
    seeds : list of int
    probe : dict
        The probe's settings (:class:`~sparsity_widgets.probe.ProbeSettings` without the
        seed and the thread count) that every cell starts from.
    config : dict
        The :class:`~sparsity_widgets.studies.invariance.InvarianceSetting` as run.
    sources : list of dict
        ``name``, ``kind``, ``n``, ``width`` and ``data`` (what the features are).
    rows : list of dict
        One per (source, transform, value): ``n``, ``width`` (of the changed features),
        ``scored_width``, ``rank`` (of the map per seed, or nulls), ``alpha`` and ``tau`` (per
        seed; NaN where the estimate failed), ``alpha_mean``, ``alpha_std`` (ddof = 0, over the
        finite values; null when none), ``seconds`` (per seed) and ``errors``.
    info : dict
        Timings, the command, the trained CNN's configuration and test accuracy.
    """

    setting: str
    seeds: list[int]
    probe: dict[str, Any]
    config: dict[str, Any]
    sources: list[dict[str, Any]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN alpha* and tau* as null)."""

        def clean(values: list[float]) -> list[float | None]:
            return [float(v) if math.isfinite(v) else None for v in values]

        rows = [dict(row, alpha=clean(row["alpha"]), tau=clean(row["tau"])) for row in self.rows]
        return {
            "schema": INVARIANCE_SCHEMA,
            "setting": self.setting,
            "seeds": list(self.seeds),
            "probe": self.probe,
            "config": self.config,
            "sources": self.sources,
            "rows": rows,
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: Any, *, source: str | os.PathLike | None = None) -> InvarianceResult:
        """Inverse of :meth:`to_dict`, checking every field.

        Parameters
        ----------
        data : dict
        source : path-like, optional
            The file ``data`` came from, named in error messages.

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the file, the key path (e.g. ``rows[3].alpha``), what was
            expected and what was found; also when a row names an unknown source or a
            source has no ``"identity"`` row.
        """
        at = Where.of("invariance study", source, _HINT)
        data = require_object(data, at)
        require_schema(data, INVARIANCE_SCHEMA, at)
        reject_unknown(
            data, ["schema", "setting", "seeds", "probe", "config", "sources", "rows", "info"], at
        )
        seeds = require_list(data, "seeds", "integer", at)
        if not seeds:
            raise at.key("seeds").error("at least one seed", "an empty list")
        sources = [
            _read_source(s, at.key("sources").item(i))
            for i, s in enumerate(require(data, "sources", "array", at))
        ]
        names = [s["name"] for s in sources]
        rows = [
            _read_row(row, at.key("rows").item(i), len(seeds))
            for i, row in enumerate(require(data, "rows", "array", at))
        ]
        for i, row in enumerate(rows):
            if row["source"] not in names:
                raise (
                    at.key("rows")
                    .item(i)
                    .key("source")
                    .error(f"one of the sources {names}", repr(row["source"]))
                )
        for name in names:
            if not any(r["source"] == name and r["transform"] == "identity" for r in rows):
                raise at.key("rows").error(
                    f"an 'identity' row for source {name!r}", "none (shifts need it)"
                )
        return cls(
            setting=require(data, "setting", "string", at),
            seeds=seeds,
            probe=require(data, "probe", "object", at),
            config=require(data, "config", "object", at),
            sources=sources,
            rows=rows,
            info=require(data, "info", "object", at),
        )

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> InvarianceResult:
        """Read ``invariance.json`` as written by :meth:`save`."""
        at = Where.of("invariance study", path, _HINT)
        return cls.from_dict(read_json(path, at), source=path)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the JSON atomically."""
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")

    # ------------------------------------------------------------------ reading
    @property
    def source_names(self) -> list[str]:
        """The sources, in the study's order."""
        return [s["name"] for s in self.sources]

    def rows_of(self, source: str, transform: str) -> list[dict[str, Any]]:
        """The rows of one source and change, in the order of their values."""
        return [r for r in self.rows if r["source"] == source and r["transform"] == transform]

    def identity(self, source: str) -> dict[str, Any]:
        """The row of a source as given (forest seeds only)."""
        rows = self.rows_of(source, "identity")
        if not rows:
            raise KeyError(f"no identity row for source {source!r}; sources: {self.source_names}")
        return rows[0]

    def shifts(self) -> list[dict[str, Any]]:
        """Every row against its source as given.

        Returns
        -------
        list of dict
            ``source``, ``transform``, ``value``, ``label`` (the value as printed),
            ``alpha_mean``, ``alpha_std``, ``shift`` (``alpha_mean`` minus the identity's),
            ``spread`` (the larger of the two seed spreads, at least :data:`SPREAD_FLOOR`)
            and ``ratio`` (``|shift| / spread``); shift and ratio are NaN where a mean is
            missing.
        """
        out = []
        for row in self.rows:
            base = self.identity(row["source"])
            if row["alpha_mean"] is None or base["alpha_mean"] is None:
                shift = spread = math.nan
            else:
                shift = row["alpha_mean"] - base["alpha_mean"]
                spread = max(row["alpha_std"], base["alpha_std"], SPREAD_FLOOR)
            out.append(
                {
                    "source": row["source"],
                    "transform": row["transform"],
                    "value": row["value"],
                    "label": _display(row["transform"], row["value"]),
                    "alpha_mean": row["alpha_mean"],
                    "alpha_std": row["alpha_std"],
                    "shift": shift,
                    "spread": spread,
                    "ratio": abs(shift) / spread if math.isfinite(shift) else math.nan,
                }
            )
        return out

    def largest_shifts(self) -> list[dict[str, Any]]:
        """Per (source, change): the value that moves alpha* most, as in :meth:`shifts`.

        Returns
        -------
        list of dict
            The :meth:`shifts` entry of largest ``|shift|`` per (source, transform), for every
            change but the identity, with ``seed_std`` (the identity's spread) added.
        """
        best: dict[tuple[str, str], dict[str, Any]] = {}
        for entry in self.shifts():
            if entry["transform"] == "identity" or not math.isfinite(entry["shift"]):
                continue
            key = (entry["source"], entry["transform"])
            if key not in best or abs(entry["shift"]) > abs(best[key]["shift"]):
                best[key] = entry
        return [
            dict(entry, seed_std=self.identity(entry["source"])["alpha_std"])
            for entry in best.values()
        ]

    # ------------------------------------------------------------------ tables
    def markdown(self) -> str:
        """Every row: source, change, value, width, n, alpha* (mean ± std), shift, ratio."""
        lines = [
            f"Invariance study ({self.setting} setting): alpha* (mean ± std over seeds "
            f"{', '.join(map(str, self.seeds))}) and its shift from the source as given, also "
            f"in units of the larger seed spread (at least {SPREAD_FLOOR}).",
            "",
            "| source | change | value | width | n | alpha* | shift | shift / spread |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row, entry in zip(self.rows, self.shifts(), strict=True):
            alpha = (
                "failed"
                if row["alpha_mean"] is None
                else f"{row['alpha_mean']:.3f} ± {row['alpha_std']:.3f}"
            )
            shift = "-" if row["transform"] == "identity" else f"{entry['shift']:+.3f}"
            ratio = "-" if row["transform"] == "identity" else f"{entry['ratio']:.1f}"
            lines.append(
                f"| {row['source']} | {_LABELS[row['transform']]} | {entry['label']} | "
                f"{row['width']} | {row['n']} | {alpha} | {shift} | {ratio} |"
            )
        return "\n".join(lines)

    def markdown_summary(self) -> str:
        """Per change (rows) and source (columns): the largest shift and its value."""
        largest = {(e["source"], e["transform"]): e for e in self.largest_shifts()}
        names = self.source_names
        lines = [
            "| change | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names),
            "| seed spread (as given) | "
            + " | ".join(f"{self.identity(s)['alpha_std']:.3f}" for s in names)
            + " |",
        ]
        for transform in TRANSFORMS[1:]:
            cells = []
            for name in names:
                entry = largest.get((name, transform))
                cells.append("-" if entry is None else f"{entry['shift']:+.3f} ({entry['label']})")
            lines.append(f"| {_LABELS[transform]} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    # ------------------------------------------------------------------ figures
    def _band(self, ax: Any, x: Any, rows: list[dict[str, Any]], **style: Any) -> None:
        mean = np.array([np.nan if r["alpha_mean"] is None else r["alpha_mean"] for r in rows])
        std = np.array([np.nan if r["alpha_std"] is None else r["alpha_std"] for r in rows])
        (line,) = ax.plot(x, mean, marker="o", markersize=3, **style)
        ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2, lw=0)

    def _identity_band(self, ax: Any, source: str) -> None:
        base = self.identity(source)
        if base["alpha_mean"] is None:
            return
        mean, std = base["alpha_mean"], base["alpha_std"]
        ax.axhspan(mean - std, mean + std, color="0.6", alpha=0.3, lw=0)
        ax.axhline(mean, color="0.4", lw=0.8, label="as given (forest seeds)")

    def _grid(self, title: str) -> tuple[Any, Any]:
        import matplotlib.pyplot as plt

        n = len(self.sources)
        ncols = min(3, n)
        nrows = math.ceil(n / ncols)
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), layout="constrained", squeeze=False
        )
        for ax in axes.flat[n:]:
            ax.set_axis_off()
        fig.suptitle(title)
        return fig, axes.flat

    def plot_widths(self) -> Any:
        """alpha* against the width factor k: embeddings and appended columns, and the rotation.

        Returns
        -------
        matplotlib Figure
            One panel per source; grey: the source as given (mean ± std over forest seeds).
        """
        fig, axes = self._grid(
            f"alpha* after changes of coordinates ({self.setting} setting, "
            f"mean ± std over {len(self.seeds)} seeds)"
        )
        for ax, source in zip(axes, self.source_names, strict=False):
            self._identity_band(ax, source)
            for transform in WIDTH_TRANSFORMS:
                rows = self.rows_of(source, transform)
                if rows:
                    self._band(ax, [r["value"] for r in rows], rows, label=_LABELS[transform])
            rotation = self.rows_of(source, "rotation")
            if rotation and rotation[0]["alpha_mean"] is not None:
                ax.errorbar(
                    [1],
                    [rotation[0]["alpha_mean"]],
                    [rotation[0]["alpha_std"]],
                    fmt="kD",
                    markersize=5,
                    capsize=3,
                    label=_LABELS["rotation"],
                )
            width = next(s["width"] for s in self.sources if s["name"] == source)
            ax.set_xscale("log", base=2)
            ax.set_title(f"{source} (width {width})", fontsize=10)
            ax.set_xlabel("width factor k")
            ax.set_ylabel("alpha*")
        axes[0].legend(fontsize=7)
        return fig

    def plot_n(self) -> Any:
        """alpha* against the sample size n, one panel per source.

        Returns
        -------
        matplotlib Figure
        """
        fig, axes = self._grid(
            f"alpha* against the sample size ({self.setting} setting, mean ± std over "
            f"{len(self.seeds)} seeds)"
        )
        for ax, source in zip(axes, self.source_names, strict=False):
            self._identity_band(ax, source)
            rows = self.rows_of(source, "n")
            if rows:
                self._band(ax, [r["value"] for r in rows], rows, label="n samples")
            ax.set_xscale("log")
            ax.set_title(source, fontsize=10)
            ax.set_xlabel("n")
            ax.set_ylabel("alpha*")
        axes[0].legend(fontsize=7)
        return fig

    def plot_forest(self) -> Any:
        """alpha* against the forest's depth, number of trees and features per split.

        Returns
        -------
        matplotlib Figure
            Three panels, one line per source.
        """
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
        for ax, transform in zip(axes, FOREST_TRANSFORMS, strict=True):
            for source in self.source_names:
                rows = self.rows_of(source, transform)
                if not rows:
                    continue
                if transform == "max_features":
                    x = np.arange(len(rows))
                    ax.set_xticks(x, [_display(transform, r["value"]) for r in rows])
                else:
                    x = [r["value"] for r in rows]
                self._band(ax, x, rows, label=source)
            ax.set_xlabel(_LABELS[transform])
            ax.set_ylabel("alpha*")
        axes[1].set_xscale("log")
        axes[0].legend(fontsize=7)
        fig.suptitle(
            f"alpha* against the forest's settings ({self.setting} setting; the probe uses "
            "depth 15, 3 trees, all features)"
        )
        return fig

    def save_figures(self, folder: str | os.PathLike) -> list[Path]:
        """Write ``widths.png``, ``n.png`` and ``forest.png`` into ``folder``."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        files = []
        for name, make in (
            ("widths", self.plot_widths),
            ("n", self.plot_n),
            ("forest", self.plot_forest),
        ):
            fig = make()
            files.append(
                atomic_write(Path(folder) / f"{name}.png", lambda t, f=fig: f.savefig(t, dpi=110))
            )
            plt.close(fig)
        return files
