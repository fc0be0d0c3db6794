"""The NCC study's result: the slides' two claims and their table, with seed spreads.

:class:`CollapseStudyResult` holds one :class:`~.collapse_run.CollapseRun` per (data set,
variant, seed) and derives, per data set and variant, over the seeds:

- **layer ordering** (slides: Lambda^j >= Lambda^{j+1} on train and on test): at the end of
  training, for each pair of consecutive probed layers, the difference Lambda^j - Lambda^{j+1}
  (mean and std over seeds) and in how many seeds it is >= 0;
- **NCC improvement beyond the IT** (slides: Lambda at the IT >= Lambda at the end): per layer,
  Lambda(IT) - Lambda(end), mean, std and the number of seeds where it is >= 0;
- **the accuracy table** of the slides (test accuracy at the IT, at the end, the best during
  training and whether the best came after the IT), vanilla against SVSL;
- **alpha* beside Lambda**: per layer the mean alpha* and Lambda at the end, and the Spearman
  correlation over the layers between alpha* and -Lambda on test (do the two agree on which
  layers separate the classes?).

Comparisons are exact (no tolerance): the differences and seed spreads show how far each is.
Standard deviations are over seeds (ddof = 0, as the probe's tables). No torch here.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_text
from .._schema import Where, read_json, reject_unknown, require, require_object, require_schema
from .collapse_run import CollapseRun
from .collapse_settings import VARIANTS

__all__ = ["SCHEMA", "CollapseStudyResult"]

SCHEMA = "sparsity_widgets.collapse_study/1"

_HINT = (
    "The file is damaged or was not written by CollapseStudyResult.save; run "
    "`sparsity-widgets study collapse` again (it reuses its cached cells)."
)

SPLITS = ("train", "test")


def _spread(values: list[float]) -> dict[str, float]:
    array = np.asarray(values, dtype=np.float64)
    return {"mean": float(array.mean()), "std": float(array.std())}


def _spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rank correlation (scipy), None when either side is constant."""
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(spearmanr(a, b).statistic)


@dataclass(frozen=True)
class CollapseStudyResult:
    """Every trained network of one run of the NCC study, and what follows from them.

    Attributes
    ----------
    setting : str
        ``"quick"``, ``"full"`` or ``"custom"``.
    runs : tuple of CollapseRun
        One per (data set, variant, seed); the runs of one data set share their layers.
    """

    setting: str
    runs: tuple[CollapseRun, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "runs", tuple(self.runs))
        if not self.runs:
            raise ValueError("runs must hold at least one CollapseRun; got none.")
        seen = set()
        for run in self.runs:
            key = (run.dataset, run.variant, run.seed)
            if key in seen:
                raise ValueError(f"runs hold {key} (data set, variant, seed) twice.")
            seen.add(key)
            if run.variant not in VARIANTS:
                raise ValueError(f"variant must be one of {VARIANTS}; got {run.variant!r}.")
            if run.layers != self.group(run.dataset)[0].layers:
                raise ValueError(f"the runs on {run.dataset!r} must share their layers.")

    # ------------------------------------------------------------------ selection
    @property
    def datasets(self) -> tuple[str, ...]:
        """The data sets, in the order of the runs."""
        return tuple(dict.fromkeys(r.dataset for r in self.runs))

    def variants(self, dataset: str) -> tuple[str, ...]:
        """The variants trained on ``dataset``, in :data:`VARIANTS` order."""
        present = {r.variant for r in self.group(dataset)}
        return tuple(v for v in VARIANTS if v in present)

    def group(self, dataset: str, variant: str | None = None) -> list[CollapseRun]:
        """The runs of one data set (and variant), by seed."""
        runs = [
            r
            for r in self.runs
            if r.dataset == dataset and (variant is None or r.variant == variant)
        ]
        if not runs:
            known = sorted({(r.dataset, r.variant) for r in self.runs})
            raise KeyError(f"no runs for {dataset!r} {variant or ''}; the result holds {known}.")
        return sorted(runs, key=lambda r: r.seed)

    def layers(self, dataset: str) -> tuple[str, ...]:
        """The probed layers of ``dataset``'s network."""
        return self.group(dataset)[0].layers

    def common_epochs(self, dataset: str, variant: str | None = None) -> tuple[int, ...]:
        """The checkpoint epochs every run of ``dataset`` (and ``variant``) has, increasing."""
        runs = self.group(dataset, variant)
        return tuple(sorted(set.intersection(*(set(r.epochs) for r in runs))))

    def curve_over_seeds(
        self, dataset: str, variant: str, name: str, epochs: Any = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A curve's mean and std over the seeds of one data set and variant.

        Parameters
        ----------
        dataset, variant : str
        name : {"lambda_train", "lambda_test", "nc1", "ncc_accuracy_test"}
        epochs : sequence of int, optional
            Checkpoint epochs every run has; default :meth:`common_epochs` of the runs.

        Returns
        -------
        epochs : ndarray of int, shape (n_epochs,)
        mean, std : ndarray of float64, shape (n_layers, n_epochs)
            Over the seeds (ddof = 0).
        """
        runs = self.group(dataset, variant)
        epochs = self.common_epochs(dataset, variant) if epochs is None else tuple(epochs)
        stack = np.stack([r.curve(name)[:, [r.epochs.index(e) for e in epochs]] for r in runs])
        return np.array(epochs), stack.mean(axis=0), stack.std(axis=0)

    # ------------------------------------------------------------------ claims
    def layer_ordering(self, dataset: str, variant: str, split: str) -> dict[str, Any]:
        """Lambda^j - Lambda^{j+1} at the end, per consecutive pair, over the seeds.

        Returns
        -------
        dict
            ``pairs``: per pair ``upper``, ``lower``, ``difference`` (mean, std over seeds),
            ``holds`` (seeds with difference >= 0) and ``seeds``; ``holds`` and ``total``:
            the (pair, seed) cases that hold, of all.
        """
        runs = self.group(dataset, variant)
        curves = [r.at(f"lambda_{split}", r.end_epoch) for r in runs]
        pairs = []
        for j, (upper, lower) in enumerate(itertools.pairwise(runs[0].layers)):
            diffs = [float(c[j] - c[j + 1]) for c in curves]
            pairs.append(
                {
                    "upper": upper,
                    "lower": lower,
                    "difference": _spread(diffs),
                    "holds": sum(d >= 0 for d in diffs),
                    "seeds": len(diffs),
                }
            )
        return {
            "pairs": pairs,
            "holds": sum(p["holds"] for p in pairs),
            "total": sum(p["seeds"] for p in pairs),
        }

    def ncc_improvement(self, dataset: str, variant: str, split: str) -> dict[str, Any]:
        """Lambda(IT) - Lambda(end) per layer, over the seeds.

        Returns
        -------
        dict
            ``layers``: per layer ``layer``, ``lambda_it`` and ``lambda_end`` (mean, std),
            ``difference`` (mean, std), ``holds`` (seeds with difference >= 0), ``seeds``;
            ``holds`` and ``total`` over (layer, seed); ``it_epochs``: the IT of each seed.
        """
        runs = self.group(dataset, variant)
        at_it = [r.at(f"lambda_{split}", r.it_epoch) for r in runs]
        at_end = [r.at(f"lambda_{split}", r.end_epoch) for r in runs]
        rows = []
        for j, name in enumerate(runs[0].layers):
            diffs = [float(a[j] - b[j]) for a, b in zip(at_it, at_end, strict=True)]
            rows.append(
                {
                    "layer": name,
                    "lambda_it": _spread([a[j] for a in at_it]),
                    "lambda_end": _spread([b[j] for b in at_end]),
                    "difference": _spread(diffs),
                    "holds": sum(d >= 0 for d in diffs),
                    "seeds": len(diffs),
                }
            )
        return {
            "layers": rows,
            "holds": sum(r["holds"] for r in rows),
            "total": sum(r["seeds"] for r in rows),
            "it_epochs": [r.it_epoch for r in runs],
        }

    def accuracy_table(self) -> list[dict[str, Any]]:
        """The slides' table per data set and variant: test accuracy at the IT, at the end and
        the best during training (mean, std over seeds), and in how many seeds the best epoch
        came after the IT (the slides' "in TPT", the terminal phase of training)."""
        rows = []
        for dataset in self.datasets:
            for variant in self.variants(dataset):
                runs = self.group(dataset, variant)
                rows.append(
                    {
                        "dataset": dataset,
                        "variant": variant,
                        "it_epoch": _spread([r.it_epoch for r in runs]),
                        "it_reached": sum(r.it_reached for r in runs),
                        "at_it": _spread([r.accuracy_at(r.it_epoch) for r in runs]),
                        "at_end": _spread([r.accuracy_at(r.end_epoch) for r in runs]),
                        "best": _spread([max(r.history_test_accuracy) for r in runs]),
                        "best_after_it": sum(r.best_epoch > r.it_epoch for r in runs),
                        "seeds": len(runs),
                    }
                )
        return rows

    def alpha_and_lambda(self, dataset: str, variant: str) -> dict[str, Any]:
        """alpha* and Lambda per layer at the end (means over seeds), and their agreement.

        Returns
        -------
        dict
            ``layers``; ``alpha_end``, ``alpha_it``, ``lambda_train_end``,
            ``lambda_test_end``, ``nc1_end`` (means over seeds, per layer); ``spearman``:
            rank correlation over the layers of alpha* with -Lambda on test (1: they order the
            layers alike), None when either is constant.
        """
        runs = self.group(dataset, variant)

        def mean(values: list[Any]) -> np.ndarray:
            return np.mean(np.asarray(values, dtype=np.float64), axis=0)

        alpha_end = mean([r.alpha_end for r in runs])
        lam_test = mean([r.at("lambda_test", r.end_epoch) for r in runs])
        return {
            "layers": list(runs[0].layers),
            "alpha_end": alpha_end.tolist(),
            "alpha_it": mean([r.alpha_it for r in runs]).tolist(),
            "lambda_train_end": mean([r.at("lambda_train", r.end_epoch) for r in runs]).tolist(),
            "lambda_test_end": lam_test.tolist(),
            "nc1_end": mean([r.at("nc1", r.end_epoch) for r in runs]).tolist(),
            "spearman": _spearman(alpha_end, -lam_test),
        }

    def claims(self) -> dict[str, Any]:
        """Everything above, per data set and variant: JSON-ready."""
        out: dict[str, Any] = {"accuracy": self.accuracy_table(), "datasets": {}}
        for dataset in self.datasets:
            out["datasets"][dataset] = {
                variant: {
                    "layer_ordering": {s: self.layer_ordering(dataset, variant, s) for s in SPLITS},
                    "ncc_improvement": {
                        s: self.ncc_improvement(dataset, variant, s) for s in SPLITS
                    },
                    "alpha_and_lambda": self.alpha_and_lambda(dataset, variant),
                }
                for variant in self.variants(dataset)
            }
        return out

    # ------------------------------------------------------------------ tables
    def markdown(self) -> str:
        """The accuracy table and, per data set, the claims' tallies, as Markdown."""

        def pct(spread: dict[str, float]) -> str:
            return f"{100 * spread['mean']:.2f} ± {100 * spread['std']:.2f}"

        lines = [
            "| data set | variant | IT epoch | test acc at IT (%) | at end (%) | best (%) | "
            "best after IT |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in self.accuracy_table():
            lines.append(
                f"| {row['dataset']} | {row['variant']} | {row['it_epoch']['mean']:.1f} | "
                f"{pct(row['at_it'])} | {pct(row['at_end'])} | {pct(row['best'])} | "
                f"{row['best_after_it']} of {row['seeds']} |"
            )
        lines += [
            "",
            "| data set | variant | split | layer ordering holds | NCC improvement holds | "
            "Spearman(alpha*, -Lambda test) |",
            "|---|---|---|---|---|---|",
        ]
        for dataset in self.datasets:
            for variant in self.variants(dataset):
                rho = self.alpha_and_lambda(dataset, variant)["spearman"]
                for split in SPLITS:
                    order = self.layer_ordering(dataset, variant, split)
                    better = self.ncc_improvement(dataset, variant, split)
                    lines.append(
                        f"| {dataset} | {variant} | {split} | {order['holds']} of "
                        f"{order['total']} | {better['holds']} of {better['total']} | "
                        + ("n/a" if rho is None else f"{rho:.2f}")
                        + " |"
                    )
        return "\n".join(lines)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the derived ``claims`` (checked against the runs on reading)."""
        return {
            "schema": SCHEMA,
            "setting": self.setting,
            "runs": [r.to_dict() for r in self.runs],
            "claims": self.claims(),
        }

    @classmethod
    def from_dict(
        cls, data: Any, *, source: str | os.PathLike | None = None
    ) -> CollapseStudyResult:
        """Inverse of :meth:`to_dict`; the saved ``claims`` must equal the recomputed ones.

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the file, the key path, what was expected and found.
        """
        at = Where.of("NCC study", source, _HINT)
        data = require_object(data, at)
        reject_unknown(data, ["schema", "setting", "runs", "claims"], at)
        require_schema(data, SCHEMA, at)
        runs_data = require(data, "runs", "array", at)
        here = at.key("runs")
        runs = tuple(CollapseRun.from_dict(r, here.item(i)) for i, r in enumerate(runs_data))
        try:
            result = cls(setting=require(data, "setting", "string", at), runs=runs)
        except ValueError as exc:
            raise at.error("runs of distinct (data set, variant, seed)", str(exc)) from None
        saved = require(data, "claims", "object", at)
        if json.loads(json.dumps(result.claims())) != saved:
            raise at.key("claims").error(
                "the claims recomputed from the runs", "other values (edited or stale?)"
            )
        return result

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> CollapseStudyResult:
        """Read ``collapse-<setting>.json`` as :meth:`save` writes it."""
        at = Where.of("NCC study", path, _HINT)
        return cls.from_dict(read_json(path, at), source=path)

    def save(self, out_dir: str | os.PathLike) -> list[Path]:
        """Write ``collapse-<setting>.json``, ``.md`` and (with matplotlib) ``.png``."""
        out_dir = Path(out_dir)
        stem = f"collapse-{self.setting}"
        files = [
            atomic_write_text(out_dir / f"{stem}.json", json.dumps(self.to_dict()) + "\n"),
            atomic_write_text(out_dir / f"{stem}.md", self.markdown() + "\n"),
        ]
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover - the [plot] extra is optional
            return files
        from .._io import atomic_write
        from .collapse_plots import plot_lambda_over_training

        fig = plot_lambda_over_training(self)
        files.append(atomic_write(out_dir / f"{stem}.png", lambda t: fig.savefig(t, dpi=110)))
        plt.close(fig)
        return files
