"""Benchmark: how long the widgets take to answer a control, median over many moves.

Usage::

    python benchmarks/bench_widgets.py [--n-samples 10000] [--moves 50] [--quick]
                                       [--out benchmarks/results/widgets.json]

What is timed (wall time of setting one control's value from Python, which runs the widget's
callback synchronously: the estimate, the redraw with Agg and the PNG encoding for the
``ipywidgets.Image``; sending the bytes to a browser is not included):

``epsilon explorer, eps_low move``
    The target of issue 5 (under 100 ms median on a forest fitted to 10 000 samples). The
    explorer is built on a ``WaveletForest(random_state=0)`` (3 trees, depth 15) fitted to
    the spiral; ``eps_low`` then walks through ``--moves`` values in [0.05, 0.30] (eps_high =
    0.4), every one a valid window.
``... noisy spiral``
    The same moves on a forest fitted to 10 000 spiral points with noise 0.2, whose trees are
    ten times larger (a move's cost does not depend on the number of wavelets: the curve has
    200 taus whatever the forest).
``... full redraw (reference)``
    The same moves, redrawing the whole of Figure 4 each time (``render_epsilon`` + a full
    Agg draw), as a plain implementation would: what the blitting saves.
``... estimate only``
    ``estimate_tau_star`` on the cached curve alone: the numerical part of a move.
``... refit per move (what not to do)``
    Fitting the forest again and estimating: what a widget that refits would cost (3 runs).
``epsilon explorer, tau-range move`` / ``rule toggle``
    Moves that change the curve or the angles, hence redraw everything.
``tree viewer, M move``
    ``TreeWaveletViewer`` on 1 000 spiral points, depth 8: the M slider, no refit.
``welch explorer, unvisited setting: first answer``
    ``WelchExplorer`` (chain, residual and dense networks, d = 4, depth 3, k = 5 ... 10): a k
    move to a setting never seen before, until the random dictionary is drawn (the
    minimisation then runs in a background thread; it is waited for, untimed, before the
    next move so that moves do not overlap). ``... until optimised`` is the same moves until
    the optimised picture is shown; ``... revisit (cached)`` moves back over them;
    ``... minimise before answering (reference)`` is the plain way (``background=False``)
    on the same kind of unvisited settings (d = 5).

The machine (CPU count, load average at the start) is printed with the table: on a shared
2-core machine the numbers move with the load of the other processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np


def machine_info() -> dict[str, Any]:
    """Where the numbers were taken."""
    import matplotlib
    import sklearn

    try:
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        load = "n/a"
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "matplotlib": matplotlib.__version__,
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15": load,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def _time(action, values) -> list[float]:
    out = []
    for value in values:
        start = time.perf_counter()
        action(value)
        out.append(time.perf_counter() - start)
    return out


def run(n_samples: int, moves: int) -> dict[str, Any]:
    """Time every row of the table; returns the raw timings (seconds) and context."""
    from sparsity_widgets import WaveletForest, estimate_tau_star
    from sparsity_widgets.datasets import make_synthetic
    from sparsity_widgets.widgets import EpsilonExplorer, TreeWaveletViewer
    from sparsity_widgets.widgets.epsilon_explorer import compute_epsilon_state, render_epsilon

    X, y = make_synthetic("spiral", n_samples=n_samples, random_state=0)
    start = time.perf_counter()
    forest = WaveletForest(random_state=0).fit(X, y)
    fit_seconds = time.perf_counter() - start
    curve = forest.sparsity_curve()
    explorer = EpsilonExplorer(forest)
    lows = list(np.round(np.linspace(0.05, 0.30, moves), 4))
    rows: dict[str, list[float]] = {}

    def move(low: float) -> None:
        explorer.controls["eps_low"].value = float(low)
        assert explorer.state.estimate is not None

    move(lows[-1])  # warm: first blit after construction
    blits = explorer.view.n_blits
    rows["epsilon explorer, eps_low move"] = _time(move, lows)
    assert explorer.view.n_blits == blits + moves, "an eps move did not take the fast path"
    Xn, yn = make_synthetic("spiral", n_samples=n_samples, noise=0.2, random_state=0)
    noisy = WaveletForest(random_state=0).fit(Xn, yn)
    noisy_explorer = EpsilonExplorer(noisy)
    rows["... noisy spiral"] = _time(
        lambda low: setattr(noisy_explorer.controls["eps_low"], "value", float(low)), lows
    )

    def full_redraw(low: float) -> None:
        state = compute_epsilon_state(curve, "paper", float(low), 0.4)
        render_epsilon(state, explorer.view.figure)
        explorer.view.draw()

    rows["... full redraw (reference)"] = _time(full_redraw, lows)
    explorer.update()  # restore the explorer's own artists
    rows["... estimate only"] = _time(
        lambda low: estimate_tau_star(curve, "paper", float(low), 0.4), lows
    )

    def refit(low: float) -> None:
        WaveletForest(random_state=0).fit(X, y).estimate("paper", float(low), 0.4)

    rows["... refit per move (what not to do)"] = _time(refit, lows[:3])

    highs = list(np.round(np.linspace(1.6, 1.99, max(moves // 5, 3)), 3))
    rows["epsilon explorer, tau-range move"] = _time(
        lambda hi: setattr(explorer.controls["tau_range"], "value", (0.2, float(hi))), highs
    )
    rules = ["public-code", "paper"] * max(moves // 10, 2)
    rows["epsilon explorer, rule toggle"] = _time(
        lambda r: setattr(explorer.controls["rule"], "value", r), rules
    )

    viewer = TreeWaveletViewer("spiral", n_samples=1000, depth=8, n_terms=1)
    top = viewer.fit.n_wavelets
    ms = [int(m) for m in np.linspace(2, top, moves)]
    fits = viewer.n_fits
    rows["tree viewer, M move"] = _time(
        lambda m: setattr(viewer.controls["n_terms"], "value", m), ms
    )
    assert viewer.n_fits == fits, "an M move refitted"
    rows.update(_welch_rows(moves))
    return {
        "n_samples": n_samples,
        "moves": moves,
        "n_wavelets": int(forest.n_wavelets_),
        "noisy_n_wavelets": int(noisy.n_wavelets_),
        "fit_seconds": fit_seconds,
        "tree_viewer_wavelets": top,
        "timings": rows,
    }


def _welch_rows(moves: int) -> dict[str, list[float]]:
    from sparsity_widgets.widgets import WelchExplorer

    ks = list(range(5, 5 + max(2, min(6, moves // 8))))
    rows: dict[str, list[float]] = {"first": [], "optimised": [], "revisit": [], "plain": []}
    for structure in ("chain", "residual", "dense"):
        fast = WelchExplorer(d=4, k=ks[-1] + 1, depth=3, structure=structure)
        plain = WelchExplorer(d=5, k=ks[-1] + 1, depth=3, structure=structure, background=False)
        for k in ks:
            start = time.perf_counter()
            fast.controls["k"].value = k
            rows["first"].append(time.perf_counter() - start)
            assert not fast.state.optimised, "the setting was already cached"
            fast.wait()
            rows["optimised"].append(time.perf_counter() - start)
            assert fast.state.optimised
        for k in ks:
            start = time.perf_counter()
            fast.controls["k"].value = k
            rows["revisit"].append(time.perf_counter() - start)
            assert fast.state.optimised
            start = time.perf_counter()
            plain.controls["k"].value = k
            rows["plain"].append(time.perf_counter() - start)
    return {
        "welch explorer, unvisited setting: first answer": rows["first"],
        "... until optimised": rows["optimised"],
        "... revisit (cached)": rows["revisit"],
        "... minimise before answering (reference)": rows["plain"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="2 000 samples, 10 moves")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.moves = 2000, 10
    info = machine_info()
    result = run(args.n_samples, args.moves)
    print(
        "machine: "
        + ", ".join(f"{k} {v}" for k, v in info.items() if k not in ("platform", "processor"))
    )
    print(f"platform: {info['platform']} ({info['processor']})")
    print(
        f"forest: spiral, n = {result['n_samples']}, 3 trees of depth 15, "
        f"{result['n_wavelets']} wavelets (fit {result['fit_seconds']:.2f} s); with noise 0.2: "
        f"{result['noisy_n_wavelets']} wavelets; "
        f"tree viewer: 1000 points, depth 8, {result['tree_viewer_wavelets']} wavelets"
    )
    print()
    print(f"{'action':<40}{'moves':>6}{'median ms':>11}{'p90 ms':>9}{'max ms':>9}")
    for name, times in result["timings"].items():
        ms = np.array(times) * 1000
        print(
            f"{name:<40}{len(ms):>6}{statistics.median(ms):>11.1f}"
            f"{np.percentile(ms, 90):>9.1f}{ms.max():>9.1f}"
        )
    median = statistics.median(result["timings"]["epsilon explorer, eps_low move"]) * 1000
    verdict = "yes" if median < 100 else "NO"
    print(f"\nepsilon explorer under 100 ms median per eps move: {verdict} ({median:.1f} ms)")
    welch = statistics.median(result["timings"]["welch explorer, unvisited setting: first answer"])
    welch_verdict = "yes" if welch * 1000 < 100 else "NO"
    print(
        f"welch explorer first answer under 100 ms median: {welch_verdict} ({welch * 1000:.1f} ms)"
    )
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"machine": info, **result}, indent=1) + "\n")
    return 0 if median < 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
