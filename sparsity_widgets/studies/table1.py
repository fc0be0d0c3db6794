"""Table 1 of the paper recomputed under every setting that moves it.

The paper reports tau* of three 2-D sets (spiral 0.98, circles 0.93, Gaussian quantiles 0.99)
without stating the generator, the estimator rule or the forest's bootstrap. This module scores
the grid

    set (spiral, circles, gaussian-quantiles)
    x generator ("ours", "authors": :data:`~sparsity_widgets.datasets.synthetic.GENERATORS`)
    x rule ("paper", "public-code": :data:`~sparsity_widgets.tau_star.RULES`)
    x bootstrap (on, off)
    x seeds

with the default forest (3 trees of depth 15, sample-fraction weights, numba builder), each
generator at its own default size (4000 for ours, 10 000 for the authors'). One seed sets both
the data and the forest, as ``sparsity-widgets synthetic NAME --seed S`` does, so every number of
the table is one such command. Both rules read the same fitted forest.

:func:`run_table1` computes it (a few seconds on two cores) and writes ``table1.json`` and a
Markdown table ``table1.md`` beside it; :meth:`Table1Result.from_json` reads the JSON back,
checking every field. ``sparsity-widgets synthetic-table`` is the command line.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .._io import atomic_write_text
from .._schema import (
    Where,
    read_json,
    reject_unknown,
    require,
    require_list,
    require_object,
    require_schema,
)
from .._validation import check_int

__all__ = [
    "AUTHORS_SOURCE",
    "PAPER_TABLE_1",
    "TABLE1_BOOTSTRAPS",
    "TABLE1_GENERATORS",
    "TABLE1_RULES",
    "TABLE1_SCHEMA",
    "TABLE1_SETS",
    "Table1Result",
    "run_table1",
    "score_table1_seed",
]

PAPER_TABLE_1 = {"spiral": 0.98, "circles": 0.93, "gaussian-quantiles": 0.99}
"""tau* of Table 1 of Ben-Shaul and Dekel, the only numbers typed in."""

TABLE1_SETS = ("spiral", "circles", "gaussian-quantiles")
TABLE1_GENERATORS = ("ours", "authors")
TABLE1_RULES = ("paper", "public-code")
TABLE1_BOOTSTRAPS = (True, False)
TABLE1_SCHEMA = "sparsity_widgets.table1/1"
AUTHORS_SOURCE = (
    "idobenshaul10/RFWFC, NonLinear_Synthetic_Tests/non_linear_synthetic_test.py (commit 50d4012d)"
)

_HINT = (
    "The file is damaged or was not written by Table1Result.save; compute it again "
    "(`sparsity-widgets synthetic-table`)."
)
_CELL_KEYS = {
    "dataset": "string",
    "generator": "string",
    "rule": "string",
    "bootstrap": "boolean",
    "n_samples": "integer",
    "mean": "number",
    "std": "number",
    "paper": "number",
}
_MEAN_TOLERANCE = 1e-9  # the stored mean and std are those of the stored floats (round trip exact)


def score_table1_seed(dataset: str, generator: str, bootstrap: bool, seed: int) -> dict[str, float]:
    """tau* of one set, generator, bootstrap and seed under both rules (one forest).

    Parameters
    ----------
    dataset : {"spiral", "circles", "gaussian-quantiles"}
    generator : {"ours", "authors"}
    bootstrap : bool
    seed : int
        Seed of the data and of the forest.

    Returns
    -------
    dict
        ``{rule: tau*}`` for each rule of :data:`TABLE1_RULES`.
    """
    from ..datasets import make_synthetic
    from ..forest import WaveletForest

    X, y = make_synthetic(dataset, random_state=seed, generator=generator)
    forest = WaveletForest(random_state=seed, bootstrap=bootstrap).fit(X, y)
    return {rule: float(forest.estimate(rule=rule).tau_star) for rule in TABLE1_RULES}


def _cell_key(cell: dict[str, Any]) -> tuple[str, str, str, bool]:
    return cell["dataset"], cell["generator"], cell["rule"], cell["bootstrap"]


def _read_cell(cell: Any, n_seeds: int, at: Where) -> dict[str, Any]:
    cell = require_object(cell, at)
    reject_unknown(cell, [*_CELL_KEYS, "tau_star"], at)
    out = {key: require(cell, key, kind, at) for key, kind in _CELL_KEYS.items()}
    for key, allowed in (
        ("dataset", TABLE1_SETS),
        ("generator", TABLE1_GENERATORS),
        ("rule", TABLE1_RULES),
    ):
        if out[key] not in allowed:
            raise at.key(key).error(f"one of {list(allowed)}", repr(out[key]))
    out["tau_star"] = require_list(
        cell, "tau_star", "number", at, length=n_seeds, length_of="seeds"
    )
    values = np.asarray(out["tau_star"])
    for key, value in (("mean", values.mean()), ("std", values.std())):
        if abs(out[key] - value) > _MEAN_TOLERANCE:
            raise at.key(key).error(f"the {key} of tau_star, {value!r}", f"the number {out[key]!r}")
    if out["paper"] != PAPER_TABLE_1[out["dataset"]]:
        raise at.key("paper").error(
            f"Table 1's value {PAPER_TABLE_1[out['dataset']]} for {out['dataset']}",
            f"the number {out['paper']!r}",
        )
    return out


@dataclass
class Table1Result:
    """tau* per (set, generator, rule, bootstrap), over seeds, with the paper's value beside.

    Attributes
    ----------
    seeds : list of int
        Seeds of the data and of the forest, in the order of every ``tau_star`` list.
    n_samples : dict
        Samples per generator (``{"ours": 4000, "authors": 10000}`` by default).
    forest : dict
        The forest's settings (``n_trees``, ``max_depth``, ``norm_weight``, ``max_features``,
        ``builder``).
    cells : list of dict
        One per (dataset, generator, rule, bootstrap): those four, ``n_samples``, ``tau_star``
        (one float per seed), ``mean`` and ``std`` (population std, ddof 0) of ``tau_star``,
        and ``paper`` (the Table 1 value of the set).
    seconds : float
        Wall time of the computation.
    """

    seeds: list[int]
    n_samples: dict[str, int]
    forest: dict[str, Any]
    cells: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    # ------------------------------------------------------------------ lookups
    def cell(self, dataset: str, generator: str, rule: str, bootstrap: bool) -> dict[str, Any]:
        """The cell of one (set, generator, rule, bootstrap); KeyError naming it if absent."""
        key = (dataset, generator, rule, bootstrap)
        for cell in self.cells:
            if _cell_key(cell) == key:
                return cell
        raise KeyError(f"no cell for dataset, generator, rule, bootstrap = {key}")

    def lowest(self, generator: str, rule: str, bootstrap: bool) -> str:
        """The set with the lowest mean tau* in one row of the table."""
        means = {d: self.cell(d, generator, rule, bootstrap)["mean"] for d in TABLE1_SETS}
        return min(means, key=means.get)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (with the schema tag, the paper's values and the authors' source)."""
        return {
            "schema": TABLE1_SCHEMA,
            "seeds": list(self.seeds),
            "n_samples": dict(self.n_samples),
            "forest": dict(self.forest),
            "paper": dict(PAPER_TABLE_1),
            "authors_source": AUTHORS_SOURCE,
            "seconds": self.seconds,
            "cells": self.cells,
        }

    @classmethod
    def from_dict(cls, data: Any, *, source: str | os.PathLike | None = None) -> Table1Result:
        """Inverse of :meth:`to_dict`, checking every field.

        Parameters
        ----------
        data : dict
            Required: ``schema`` (``"sparsity_widgets.table1/1"``), ``seeds``, ``n_samples``,
            ``forest``, ``paper``, ``authors_source``, ``seconds`` and ``cells``: exactly one
            cell per (set, generator, rule, bootstrap), each ``tau_star`` with one value per
            seed, and ``mean`` / ``std`` equal to those of ``tau_star``.
        source : path-like, optional
            The file ``data`` came from, named in error messages.

        Returns
        -------
        Table1Result

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the file, the key path (e.g. ``cells[3].mean``), what was
            expected and what was found.
        """
        at = Where.of("Table 1 result", source, _HINT)
        data = require_object(data, at)
        require_schema(data, TABLE1_SCHEMA, at)
        reject_unknown(
            data,
            [
                "schema",
                "seeds",
                "n_samples",
                "forest",
                "paper",
                "authors_source",
                "seconds",
                "cells",
            ],
            at,
        )
        seeds = require_list(data, "seeds", "integer", at)
        if not seeds or len(set(seeds)) != len(seeds):
            raise at.key("seeds").error("a non-empty list of distinct seeds", repr(seeds))
        n_samples = require(data, "n_samples", "object", at)
        for generator in TABLE1_GENERATORS:
            require(n_samples, generator, "integer", at.key("n_samples"))
        paper = require(data, "paper", "object", at)
        if paper != PAPER_TABLE_1:
            raise at.key("paper").error(f"Table 1's values {PAPER_TABLE_1}", repr(paper))
        require(data, "authors_source", "string", at)
        raw_cells = require(data, "cells", "array", at)
        cells = [
            _read_cell(c, len(seeds), at.key("cells").item(i)) for i, c in enumerate(raw_cells)
        ]
        seen: dict[tuple, int] = {}
        for i, cell in enumerate(cells):
            key = _cell_key(cell)
            if key in seen:
                raise (
                    at.key("cells")
                    .item(i)
                    .error(
                        "one cell per (dataset, generator, rule, bootstrap)",
                        f"a second cell for {key} (the first is cells[{seen[key]}])",
                    )
                )
            seen[key] = i
            if cell["n_samples"] != n_samples[cell["generator"]]:
                raise (
                    at.key("cells")
                    .item(i)
                    .key("n_samples")
                    .error(
                        f"n_samples.{cell['generator']} = {n_samples[cell['generator']]}",
                        f"the number {cell['n_samples']}",
                    )
                )
        expected = {
            (d, g, r, b)
            for d in TABLE1_SETS
            for g in TABLE1_GENERATORS
            for r in TABLE1_RULES
            for b in TABLE1_BOOTSTRAPS
        }
        missing = sorted(expected - set(seen), key=str)
        if missing:
            raise at.key("cells").error(
                f"all {len(expected)} cells of the grid",
                f"{len(missing)} missing, e.g. {missing[0]}",
            )
        return cls(
            seeds=seeds,
            n_samples={g: int(n_samples[g]) for g in TABLE1_GENERATORS},
            forest=require(data, "forest", "object", at),
            cells=cells,
            seconds=require(data, "seconds", "number", at),
        )

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> Table1Result:
        """Read ``table1.json`` as written by :meth:`save`."""
        at = Where.of("Table 1 result", path, _HINT)
        return cls.from_dict(read_json(path, at), source=path)

    def save(self, path: str | os.PathLike) -> tuple[Path, Path]:
        """Write the JSON and, beside it with the suffix ``.md``, the Markdown table; atomically.

        Returns
        -------
        (Path, Path)
            The JSON file and the Markdown file.
        """
        path = Path(path)
        if path.suffix != ".json":
            raise ValueError(
                f"path must end in .json (the Markdown goes beside it as .md); got {str(path)!r}."
            )
        json_path = atomic_write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")
        md_path = atomic_write_text(path.with_suffix(".md"), self.markdown() + "\n")
        return json_path, md_path

    # ------------------------------------------------------------------ Markdown
    def markdown_table(self) -> str:
        """One row per (generator, rule, bootstrap): mean ± std per set and the lowest set.

        The first row is the paper's Table 1.
        """
        names = {"spiral": "spiral", "circles": "circles", "gaussian-quantiles": "Gaussian q."}
        lines = [
            "| generator (n) | rule | bootstrap | "
            + " | ".join(names[d] for d in TABLE1_SETS)
            + " | lowest |",
            "|---|---|---|" + "---|" * len(TABLE1_SETS) + "---|",
            "| paper, Table 1 | | | "
            + " | ".join(f"{PAPER_TABLE_1[d]:.2f}" for d in TABLE1_SETS)
            + f" | {names[min(PAPER_TABLE_1, key=PAPER_TABLE_1.get)]} |",
        ]
        for generator in TABLE1_GENERATORS:
            for rule in TABLE1_RULES:
                for bootstrap in TABLE1_BOOTSTRAPS:
                    cells = [self.cell(d, generator, rule, bootstrap) for d in TABLE1_SETS]
                    values = " | ".join(f"{c['mean']:.3f} ± {c['std']:.3f}" for c in cells)
                    lines.append(
                        f"| {generator} ({self.n_samples[generator]}) | {rule} | "
                        f"{'on' if bootstrap else 'off'} | {values} | "
                        f"{names[self.lowest(generator, rule, bootstrap)]} |"
                    )
        return "\n".join(lines)

    def markdown(self) -> str:
        """The table with a caption saying what was computed and how."""
        f = self.forest
        seeds = ", ".join(str(s) for s in self.seeds)
        return (
            f"tau*, mean ± std (ddof 0) over seeds {seeds} (data and forest); "
            f"{f['n_trees']} trees of depth {f['max_depth']}, norm weight {f['norm_weight']}, "
            f"builder {f['builder']}. Generators: ours (`sparsity_widgets.datasets`) and the "
            f"authors' ({AUTHORS_SOURCE}). Computed in {self.seconds:.0f} s by "
            "`sparsity-widgets synthetic-table`.\n\n" + self.markdown_table()
        )


def _check_seeds(seeds: Sequence[int]) -> list[int]:
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed; got an empty list.")
    for seed in seeds:
        check_int("seeds", seed, minimum=0)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct; got {seeds}.")
    return [int(s) for s in seeds]


def run_table1(
    seeds: Sequence[int] = (0, 1, 2),
    *,
    out: str | os.PathLike | None = None,
    progress: bool = True,
) -> Table1Result:
    """Score the whole grid and, when ``out`` is given, save JSON and Markdown there.

    Parameters
    ----------
    seeds : sequence of int
        Distinct non-negative seeds of the data and the forest.
    out : path, optional
        The JSON file (e.g. ``book/results/table1.json``); the Markdown goes beside it with the
        suffix ``.md``.
    progress : bool
        Show a tqdm bar over the fits (3 sets x 2 generators x 2 bootstraps x seeds).

    Returns
    -------
    Table1Result
    """
    from ..datasets.synthetic import DEFAULT_N_SAMPLES
    from ..forest import WaveletForest

    seeds = _check_seeds(seeds)
    start = time.perf_counter()
    scores: dict[tuple, dict[int, float]] = {}
    jobs = [
        (d, g, b, s)
        for d in TABLE1_SETS
        for g in TABLE1_GENERATORS
        for b in TABLE1_BOOTSTRAPS
        for s in seeds
    ]
    for dataset, generator, bootstrap, seed in tqdm(
        jobs, desc="Table 1", unit="fit", disable=not progress
    ):
        for rule, tau in score_table1_seed(dataset, generator, bootstrap, seed).items():
            scores.setdefault((dataset, generator, rule, bootstrap), {})[seed] = tau
    cells = []
    for (dataset, generator, rule, bootstrap), by_seed in scores.items():
        values = [by_seed[s] for s in seeds]
        cells.append(
            {
                "dataset": dataset,
                "generator": generator,
                "rule": rule,
                "bootstrap": bootstrap,
                "n_samples": DEFAULT_N_SAMPLES[generator],
                "tau_star": values,
                "mean": float(np.mean(values)),
                "std": float(np.std(values)),
                "paper": PAPER_TABLE_1[dataset],
            }
        )
    params = WaveletForest().get_params()
    result = Table1Result(
        seeds=seeds,
        n_samples={g: DEFAULT_N_SAMPLES[g] for g in TABLE1_GENERATORS},
        forest={
            k: params[k] for k in ("n_trees", "max_depth", "norm_weight", "max_features", "builder")
        },
        cells=cells,
        seconds=round(time.perf_counter() - start, 2),
    )
    if out is not None:
        result.save(out)
    return result
