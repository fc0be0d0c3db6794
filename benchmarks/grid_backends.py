"""Grid backends: per-cell overhead, and a small MNIST-1D study on 1 and 2 workers.

Run ``python benchmarks/grid_backends.py`` (the real measurement, on an otherwise idle
machine; it trains the quick setting's 5 activation variants x 1 seed three times, some
minutes per run on 2 cores) or ``python benchmarks/grid_backends.py --tiny`` (a check that it
works: 2-channel networks, one epoch, about a minute).

1. Overhead: ``--cells`` trivial cells (they return their seed) through :func:`run_grid` on each
   backend, each repeat into a fresh folder; the table gives the median of ``--repeats`` of the
   wall time, of starting the backend (a ``LocalCluster``, loky's processes) and of the time per
   cell once it runs, against sequential in the same run.
2. Study: one MNIST-1D study (the activations' variants, ``--seeds`` seeds) sequential with 1 and
   2 numba threads, then loky with 1 and 2 workers of one thread each, every run in a fresh
   folder (training always uses one torch thread, ``sparsity_widgets.grid.TRAIN_THREADS``); the
   ratio of the 1-worker to the 2-worker time is the speed-up of the second core. The JSON
   files are compared without their timings (must be equal). joblib runs one worker in the
   calling process, so the 1-worker run pays no start-up and the 2-worker one pays its workers'
   imports and numba's compilation (torch, the data): part of what a user waits for.

Measured on the idle 2-core machine (2026-11-30), quick setting:

========================  =========  ==========================================
run                       1 seed     3 seeds (``--seeds 3``)
========================  =========  ==========================================
sequential, 1 thread      41.2 s     119.9 s
sequential, 2 threads     --         123.6 s
loky, 1 worker            39.8 s     119.7 s
loky, 2 workers           43.0 s     80.6 s
speed-up, 2 over 1        0.93       1.49
========================  =========  ==========================================

With 5 cells the workers' start-up eats the gain; with 15 the second core gives 1.49x. A second
numba thread in the sequential run gives nothing here: the cells are mostly training, which runs
on one thread. Per-cell overhead (200 trivial cells, median of 5): sequential 0.009 ms, loky
0.23 ms, Dask 5.2-5.5 ms; a Dask ``LocalCluster`` with processes starts in 0.44 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from sparsity_widgets.grid import Cell, open_backend, run_grid

CONFIGS = {
    "sequential": {"backend": "sequential"},
    "loky": {"backend": "loky", "workers": 2},
    "dask-threads": {"backend": "dask", "workers": 2, "processes": False},
    "dask-processes": {"backend": "dask", "workers": 2, "processes": True},
}


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def overhead(n_cells: int, repeats: int, names: list[str]) -> None:
    cells = [Cell("sparsity_widgets.grid.examples:trivial", {"seed": s}) for s in range(n_cells)]
    print(f"\n## Per-cell overhead: {n_cells} trivial cells, median of {repeats} repeats\n")
    print(f"{'backend':<16}{'grid s':>9}{'start s':>9}{'ms / cell':>11}{'x sequential':>14}")
    reference = None
    for name in names:
        options = CONFIGS[name]
        walls, starts, per_cell = [], [], []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as out:
                walls.append(
                    _time(lambda o=out, opts=options: run_grid(cells, o, progress=False, **opts))
                )
            start = time.perf_counter()
            with open_backend(**options) as engine:
                starts.append(time.perf_counter() - start)
                per_cell.append(_time(lambda e=engine: list(e.map(cells))) / n_cells)
        wall, start, cell = (statistics.median(v) for v in (walls, starts, per_cell))
        reference = reference or cell
        print(f"{name:<16}{wall:>9.3f}{start:>9.3f}{cell * 1e3:>11.3f}{cell / reference:>14.1f}")


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in ("seconds", "source")}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def study(tiny: bool, seeds: int = 1) -> None:
    from sparsity_widgets.probe import ProbeSettings
    from sparsity_widgets.studies import SETTINGS, StudySetting, run_variants, study_variants

    if tiny:
        setting = StudySetting(channels=2, hidden=4, epochs=1, epoch_checkpoints=(1,), seeds=(0,))
        probe = ProbeSettings(n_trees=1, max_depth=6)
        variants = study_variants("activations", setting)[:2]
    else:
        setting = StudySetting(**{**SETTINGS["quick"].__dict__, "seeds": tuple(range(seeds))})
        probe = ProbeSettings()
        variants = study_variants("activations", setting)
    runs = {
        "sequential": {"backend": "sequential", "threads": 1},
        "sequential, 2 thr": {"backend": "sequential", "threads": 2},
        "loky, 1 worker": {"backend": "loky", "workers": 1, "threads": 1},
        "loky, 2 workers": {"backend": "loky", "workers": 2, "threads": 1},
    }
    with tempfile.TemporaryDirectory() as out:  # untimed: imports, data, numba's cache
        run_variants(
            "warm-up",
            variants[:1],
            StudySetting(**{**setting.__dict__, "epochs": 1, "epoch_checkpoints": (1,)}),
            out_dir=out,
            probe_settings=probe,
            progress=False,
        )
    label = "tiny" if tiny else "quick"
    n_seeds = len(setting.seeds)
    print(f"\n## Study: {len(variants)} activation variants x {n_seeds} seed(s), {label} setting\n")
    print(f"{'run':<18}{'wall s':>9}{'x sequential':>14}")
    results, walls = {}, {}
    for name, options in runs.items():
        with tempfile.TemporaryDirectory() as out:
            walls[name] = _time(
                lambda o=out, opts=options: run_variants(
                    "bench",
                    variants,
                    setting,
                    out_dir=o,
                    probe_settings=probe,
                    progress=False,
                    **opts,
                )
            )
            results[name] = _without_timings(json.loads((Path(out) / "bench.json").read_text()))
        print(f"{name:<18}{walls[name]:>9.1f}{walls[name] / walls['sequential']:>14.2f}")
    equal = all(r == results["sequential"] for r in results.values())
    ratio = walls["loky, 1 worker"] / walls["loky, 2 workers"]
    print(f"\nspeed-up of 2 workers over 1: {ratio:.2f}; JSON equal on every run: {equal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a minute-long check that it works")
    parser.add_argument("--cells", type=int, default=None, help="trivial cells (default 200)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats (default 5)")
    parser.add_argument("--backends", default=",".join(CONFIGS), help="comma-separated")
    parser.add_argument("--no-study", action="store_true", help="only the overhead table")
    parser.add_argument("--no-overhead", action="store_true", help="only the study table")
    parser.add_argument("--seeds", type=int, default=1, help="seeds of the study (default 1)")
    args = parser.parse_args()
    names = [n.strip() for n in args.backends.split(",") if n.strip()]
    n_cells = args.cells or (20 if args.tiny else 200)
    if not args.no_overhead:
        overhead(n_cells, args.repeats or (2 if args.tiny else 5), names)
    if not args.no_study:
        study(args.tiny, args.seeds)


if __name__ == "__main__":
    main()
