"""Neural-collapse metrics of one wide layer: the two-pass O(N D K) way against the dense way.

Run ``python benchmarks/bench_collapse.py`` (a 50 000 x 4096 float32 layer with 10 classes, a
synthetic Gaussian mixture; ``--n``/``--d``/``--k`` for other sizes, ``--repeats`` runs of each
method, medians reported). Each run is a fresh subprocess that builds the same layer from the
seed, then measures one method: wall time, and the peak resident memory (``ru_maxrss`` of the
child) after it against the resident memory just before it (``/proc/self/statm``), so that
"extra" is what the method needed beyond the layer itself (the layer is built in small chunks,
so building it peaks only a few MB above the layer).

- fast: :func:`sparsity_widgets.collapse.collapse_metrics` (NC1 by ||Z M^+||_F^2 / N, CDNV, NC2,
  NCC predictions), float64 accumulation in row chunks, no D x D matrix. One more untimed child
  traces its numpy allocations (``tracemalloc``): the footprint is set by the row chunks
  (a few 16 MB float64 blocks), not by D^2.
- dense: :func:`sparsity_widgets.collapse.nc1_dense` (NC1 only): float64 copy of H, D x D
  Sigma_W = Z^T Z / N and Sigma_B, and scipy's ``pinvh`` of Sigma_B.

Both NC1 values are checked to agree (1e-8 relative) before the table is printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

GENERATE_ROWS = 256
"""Rows drawn at a time when building the layer (keeps its peak close to the layer's size)."""


def make_layer(n: int, d: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A float32 Gaussian mixture: means N(0, 0.25) per entry, unit within-class noise."""
    rng = np.random.default_rng(seed)
    means = (0.5 * rng.standard_normal((k, d))).astype(np.float32)
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)  # every class present
    H = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, GENERATE_ROWS):
        stop = min(n, start + GENERATE_ROWS)
        H[start:stop] = rng.standard_normal((stop - start, d), dtype=np.float32)
        H[start:stop] += means[y[start:stop]]
    return H, y


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _current_rss_mb() -> float:
    """Resident memory now (Linux); the peak so far where /proc is missing."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except OSError:
        return _peak_rss_mb()
    return pages * resource.getpagesize() / 2**20


def child(method: str, n: int, d: int, k: int, seed: int, trace: bool) -> None:
    """Build the layer, run one method, print a JSON line of measurements."""
    from sparsity_widgets.collapse import collapse_metrics, nc1_dense

    H, y = make_layer(n, d, k, seed)
    baseline = _current_rss_mb()
    if trace:
        import tracemalloc

        tracemalloc.start()
    start = time.perf_counter()
    if method == "fast":
        value = collapse_metrics(H, y, n_classes=k).nc1
    else:
        value = nc1_dense(H, y, n_classes=k)
    seconds = time.perf_counter() - start
    traced = None
    if trace:
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    out = {"seconds": seconds, "baseline_mb": baseline, "peak_mb": _peak_rss_mb()}
    print(json.dumps({**out, "nc1": value, "traced_peak_mb": traced}))


def run_child(method: str, args: argparse.Namespace, *, trace: bool = False) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        method,
        *("--n", str(args.n), "--d", str(args.d), "--k", str(args.k), "--seed", str(args.seed)),
    ]
    if trace:
        cmd.append("--trace")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="samples (default 50000)")
    parser.add_argument("--d", type=int, default=4096, help="features (default 4096)")
    parser.add_argument("--k", type=int, default=10, help="classes (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per method (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", choices=["fast", "dense"], help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.n, args.d, args.k, args.seed, args.trace)
        return
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1; got {args.repeats}")

    runs = {m: [run_child(m, args) for _ in range(args.repeats)] for m in ("fast", "dense")}
    traced = run_child("fast", args, trace=True)["traced_peak_mb"]
    nc1 = {m: runs[m][0]["nc1"] for m in runs}
    if abs(nc1["fast"] - nc1["dense"]) > 1e-8 * abs(nc1["dense"]):
        raise SystemExit(f"NC1 disagrees: fast {nc1['fast']!r}, dense {nc1['dense']!r}")

    def median(method: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[method])

    layer_mb = args.n * args.d * 4 / 2**20
    dxd_mb = args.d * args.d * 8 / 2**20
    print(
        f"NC1 of a {args.n} x {args.d} float32 layer ({layer_mb:.0f} MB), {args.k} classes; "
        f"medians of {args.repeats} run(s), each in a fresh process. NC1 = {nc1['fast']:.6g} "
        f"(fast and dense agree to {abs(nc1['fast'] - nc1['dense']) / nc1['dense']:.1e})."
    )
    print()
    print("| method | time (s) | peak RSS (MB) | extra over the layer (MB) |")
    print("|---|---:|---:|---:|")
    for method, label in (
        ("fast", "fast: `collapse_metrics` (all metrics)"),
        ("dense", "dense: `nc1_dense` (D x D Sigma_W, pinvh of Sigma_B; NC1 only)"),
    ):
        extra = statistics.median(r["peak_mb"] - r["baseline_mb"] for r in runs[method])
        print(
            f"| {label} | {median(method, 'seconds'):.2f} | {median(method, 'peak_mb'):.0f} | "
            f"{extra:.0f} |"
        )
    ratio_t = median("dense", "seconds") / median("fast", "seconds")
    extra_fast = statistics.median(r["peak_mb"] - r["baseline_mb"] for r in runs["fast"])
    extra_dense = statistics.median(r["peak_mb"] - r["baseline_mb"] for r in runs["dense"])
    ratio_m = extra_dense / max(extra_fast, 1.0)
    print(f"| ratio dense / fast | {ratio_t:.1f}x | | {ratio_m:.1f}x |")
    print()
    print(
        f"Largest traced numpy footprint of the fast way: {traced:.0f} MB; one D x D float64 "
        f"matrix is {dxd_mb:.0f} MB."
    )


if __name__ == "__main__":
    main()
