"""How far the demo's numbers move with the training seed and with torch's CPU code path.

Usage::

    python benchmarks/demo_spread.py [--seeds 0,1,2,3,4] [--capabilities default,avx2,avx512]
                                     [--report-seeds 0,1,2] [--workdir runs/demo-spread]

Runs ``sparsity-widgets demo --seeds S`` once per (capability, seed), each in a fresh process
with ``ATEN_CPU_CAPABILITY`` set: torch then runs its CPU kernels with that instruction set, as
a processor without the wider ones would (``avx512`` needs a processor that has it), so one
machine imitates others. The runs are kept under ``--workdir/<capability>-s<seed>/``; a run
whose ``demo.json`` exists is not repeated. It prints

- the seed spread: per layer, the standard deviation of alpha* over the seeds (one code path);
- the processor spread of one seed: per layer, the largest minus the smallest alpha* over
  the code paths, for the same seed;
- the processor spread of the demo's report: every decimal ``sparsity-widgets demo`` prints
  (means and standard deviations over ``--report-seeds``, test accuracies, the summary line),
  largest minus smallest over the code paths; and the same for a report over any
  ``len(--report-seeds)`` of ``--seeds``, since one unlucky seed moves more than the others.

The largest of these is what ``tests/test_readme.py`` allows between machines; the README
states it. The step model barely trains (its test accuracy is chance), so its numbers hardly move;
the ReLU model's move most. 15 runs for the defaults, each about a third of the demo's time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

from sparsity_widgets.probe import ProbeResult
from sparsity_widgets.studies.demo import format_demo
from sparsity_widgets.studies.mnist1d import StudyResult

DECIMAL = re.compile(r"[-+]?\d+\.\d+")


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(",") if v.strip())


def run_one(workdir: Path, capability: str, seed: int) -> StudyResult:
    """The demo for one seed under one code path (run in a fresh process, or reused)."""
    out = workdir / f"{capability}-s{seed}"
    result_file = out / "demo.json"
    if not result_file.is_file():
        env = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
        command = [sys.executable, "-m", "sparsity_widgets.cli", "demo", "--seeds", str(seed)]
        subprocess.run([*command, "--out", str(out), "--json"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    return StudyResult.from_dict(json.loads(result_file.read_text()))


def merge(results: list[StudyResult]) -> StudyResult:
    """One StudyResult whose variants hold the runs of every given single-seed result."""
    variants = []
    for j, first in enumerate(results[0].results):
        runs = [run for result in results for run in result.results[j].runs]
        variants.append(
            ProbeResult(first.label, first.model, first.dataset, first.settings, runs)
        )
    return StudyResult(results[0].study, results[0].setting, variants)


def report_decimals(report: str) -> list[tuple[str, list[float]]]:
    """(line without its decimals, decimals) for every line of a printed report."""
    return [(DECIMAL.sub("#", line), [float(x) for x in DECIMAL.findall(line)])
            for line in report.splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=_ints, default=(0, 1, 2, 3, 4))
    parser.add_argument("--capabilities", default="default,avx2,avx512")
    parser.add_argument("--report-seeds", type=_ints, default=(0, 1, 2))
    parser.add_argument("--workdir", type=Path, default=Path("runs/demo-spread"))
    args = parser.parse_args()
    caps = [c.strip() for c in args.capabilities.split(",") if c.strip()]

    runs = {(cap, seed): run_one(args.workdir, cap, seed) for cap in caps for seed in args.seeds}
    first = runs[caps[0], args.seeds[0]]
    layers = first.results[0].layer_names
    labels = [variant.label for variant in first.results]
    # alpha[cap][variant] : (n_seeds, n_layers)
    alpha = {
        cap: {
            label: np.vstack([runs[cap, s].results[v].mean() for s in args.seeds])
            for v, label in enumerate(labels)
        }
        for cap in caps
    }
    accuracy = {
        cap: {label: [runs[cap, s].results[v].runs[0].test_accuracy for s in args.seeds]
              for v, label in enumerate(labels)}
        for cap in caps
    }

    print(f"seeds {args.seeds}, code paths {caps}\n")
    print("alpha* per layer, seed spread (std over seeds, ddof=0) and processor spread of one seed "
          "(max - min over code paths, largest over the seeds):\n")
    head = "| layer | " + " | ".join(
        f"{label} seed std ({caps[0]}) | {label} processor range" for label in labels
    ) + " |"
    print(head)
    print("|---|" + "---|" * (2 * len(labels)))
    summary = {}
    for j, name in enumerate(layers):
        cells = []
        for label in labels:
            seed_std = float(np.std(alpha[caps[0]][label][:, j]))
            stack = np.stack([alpha[cap][label][:, j] for cap in caps])  # (caps, seeds)
            proc = float(np.max(stack.max(axis=0) - stack.min(axis=0)))
            cells += [f"{seed_std:.3f}", f"{proc:.3f}"]
            summary.setdefault(label, {"seed_std": [], "processor_range": []})
            summary[label]["seed_std"].append(seed_std)
            summary[label]["processor_range"].append(proc)
        print(f"| {name} | " + " | ".join(cells) + " |")
    for label in labels:
        acc = np.array([accuracy[cap][label] for cap in caps])
        print(f"\n{label}: test accuracy {acc.mean():.3f}, seed std {np.std(acc[0]):.3f}, "
              f"processor range {np.max(acc.max(axis=0) - acc.min(axis=0)):.3f}")

    def report_range(seeds: tuple[int, ...]) -> tuple[float, str, dict[str, str]]:
        """Largest move of a decimal of the report over ``seeds`` between the code paths."""
        texts = {cap: format_demo(merge([runs[cap, s] for s in seeds])) for cap in caps}
        parsed = {cap: report_decimals(text) for cap, text in texts.items()}
        if any([ln for ln, _ in parsed[cap]] != [ln for ln, _ in parsed[caps[0]]] for cap in caps):
            print(f"\nseeds {seeds}: the reports differ in words or integers between code paths")
        largest, where = 0.0, ""
        for i, (line, _) in enumerate(parsed[caps[0]]):
            values = [parsed[cap][i][1] for cap in caps]
            if not values[0] or len({len(v) for v in values}) != 1:
                continue
            spread = float(np.ptp(np.array(values), axis=0).max())
            if spread > largest:
                largest, where = spread, line.strip()
        return largest, where, texts

    largest, where, reports = report_range(tuple(args.report_seeds))
    print(f"\nthe demo's report over seeds {args.report_seeds}: every decimal within "
          f"{largest:.3f} over the code paths (largest at: {where!r})")
    subsets = list(itertools.combinations(args.seeds, len(args.report_seeds)))
    ranges = [report_range(subset)[0] for subset in subsets]
    print(f"a report over any {len(args.report_seeds)} of seeds {args.seeds} "
          f"({len(subsets)} sets): every decimal within {max(ranges):.3f} over the code paths "
          f"(median over the sets {statistics.median(ranges):.3f})")
    for cap in caps:
        print(f"\n--- ATEN_CPU_CAPABILITY={cap}\n{reports[cap]}")
    out = args.workdir / "spread.json"
    out.write_text(json.dumps({"seeds": args.seeds, "capabilities": caps, "layers": layers,
                               "per_layer": summary, "report_range": largest,
                               "any_subset_report_range": max(ranges),
                               "reports": reports}, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
