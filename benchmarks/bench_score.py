"""Benchmark: the whole score and its parts against plain references, in one run.

Usage::

    python benchmarks/bench_score.py [--sizes 10000x512,...] [--repeats 3] [--quick]
                                     [--sections score,reduce] [--reference-jobs -1]
                                     [--out benchmarks/results/score.json] [--workdir DIR]

One command prints two tables (medians of ``--repeats`` runs, each run in a fresh process):

Score (section ``score``)
    ``ours``: ``WaveletForest(n_trees=3, max_depth=15, random_state=seed).fit(X, y)`` then
    ``.estimate()``, with the default exact numba builder. ``reference``:
    ``reference_probe.reference_score``, the first public code's way: scikit-learn's
    ``RandomForestRegressor`` (``n_jobs=--reference-jobs``, every core by default), then a
    recursive traversal, a per-node box array, a dense decision-path matrix and a Python loop
    over the taus. Phases: ``fit`` is from the call until the trees exist (input checks,
    min-max normalisation, one-hot labels and the tree fit: the numba builder for ours,
    scikit-learn's fit for the reference), so the fit column is the numba builder against
    scikit-learn's fit; ``post-fit`` is from there to the wavelet norms; ``tau sweep`` is
    ``estimate()`` on a cold cache (paper rule). For ``ours`` the fit mark comes from a hook:
    the worker replaces the name ``build_forest_arrays`` in ``sparsity_widgets.forest`` by a
    wrapper that records ``time.perf_counter()`` when the real one returns, so fit + post-fit
    is exactly one ordinary ``WaveletForest.fit`` (the worker fails loudly if the hook did not
    fire). Peak memory: the whole process's ``ru_maxrss`` at the end (X, interpreter and
    libraries included, nothing subtracted); for the reference also right after its fit,
    which is scikit-learn's fit peak.

    The two fit other trees: the numba builder makes scikit-learn's splits but draws its
    bootstrap samples from its own random stream (``tests/test_tree_builder.py`` checks equal
    trees without bootstrap and equal alpha* distributions with it). The table therefore gives
    both alpha* values (median over the repeats), not a norms-equal check.

Width reduction (section ``reduce``)
    ``reduce_width`` from ``--reduce-size`` (default 10000 x 16384) to ``--reduce-width``
    (2500) with every method of ``sparsity_widgets.probe.REDUCTIONS``; the randomized SVD
    with 5 power iterations (the public code's) is the reference and also runs with 1 and 2.
    Time is the call's wall time; peak memory as above.

Data: ``n`` samples of ``d`` float32 features (generated in float32 row chunks, never a
float64 copy), 10 classes: Gaussian class centres (std 0.7) in an 8-dimensional latent space
plus unit latent noise, mapped to ``d`` features by a random matrix, plus isotropic noise of
std 0.3. The classes overlap (a nearest-centroid classifier gets roughly 55 %), so the trees
reach depth 15 with thousands of nodes each, as on the layers of a trained network.

Before running the reference at a size, the parent computes the bytes of its largest dense
per-tree arrays (``n x n_nodes x 8`` for the int64 decision path plus ``n_nodes x d x 2 x 8``
for the boxes) from the node count of ours at the same size and repeat (a close estimate:
other bootstrap samples, same distribution; a pessimistic guess if ours failed). Over
``--max-reference-gb`` the run is skipped and the table says so; the reference worker checks
again with its own node count right before allocating. The exit status is 1 if a run failed.
MB means 10^6 bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_SIZES = "10000x512,10000x2500,50000x512,50000x2500"
QUICK_SIZES = "2000x20,3000x64"
DEFAULT_REDUCE = "10000x16384"
QUICK_REDUCE = "600x300"
DEFAULT_REDUCE_WIDTH = 2500
QUICK_REDUCE_WIDTH = 50
SECTIONS = ("score", "reduce")
N_CLASSES = 10
N_TREES = 3
MAX_DEPTH = 15
LATENT_DIM = 8
CENTRE_STD = 0.7
NOISE = 0.3
IMPLEMENTATIONS = ("ours", "reference")


if str(HERE) not in sys.path:  # reference_probe lives next to this file (not a package)
    sys.path.insert(0, str(HERE))

from sparsity_widgets.studies.width_reduction import (  # noqa: E402 (after the path set-up)
    REDUCTION_METHODS as REDUCE_METHODS,
)
from sparsity_widgets.studies.width_reduction import method_label  # noqa: E402


# ---------------------------------------------------------------------------- data
def make_data(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded float32 features with class structure in a low-dimensional latent space."""
    from sparsity_widgets.datasets import make_latent_classes

    return make_latent_classes(
        n,
        d,
        n_classes=N_CLASSES,
        latent_dim=LATENT_DIM,
        centre_std=CENTRE_STD,
        noise=NOISE,
        random_state=seed,
    )


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        try:
            n, d = (int(v) for v in item.split("x"))
        except ValueError:
            raise SystemExit(f"bad size {item!r}: expected NxD, e.g. 10000x40") from None
        if n < 100 or d < 1:
            raise SystemExit(f"bad size {item!r}: need at least 100 samples and 1 feature")
        sizes.append((n, d))
    if not sizes:
        raise SystemExit("--sizes is empty")
    return sizes


def size_label(n: int, d: int) -> str:
    return f"{n}x{d}"


# ---------------------------------------------------------------------------- worker
def _peak_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def _run_ours(X: np.ndarray, y: np.ndarray, seed: int) -> dict[str, Any]:
    import sparsity_widgets.forest as forest_module
    from sparsity_widgets import WaveletForest

    marks: dict[str, float] = {}
    real = forest_module.build_forest_arrays

    def timed_build_forest_arrays(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        marks["trees_done"] = time.perf_counter()
        return out

    forest_module.build_forest_arrays = timed_build_forest_arrays
    try:
        t0 = time.perf_counter()
        forest = WaveletForest(n_trees=N_TREES, max_depth=MAX_DEPTH, random_state=seed).fit(X, y)
        t1 = time.perf_counter()
    finally:
        forest_module.build_forest_arrays = real
    if "trees_done" not in marks:
        raise RuntimeError(
            "the timing hook on sparsity_widgets.forest.build_forest_arrays did not fire; "
            "WaveletForest.fit no longer builds its trees through that name"
        )
    estimate = forest.estimate()
    t2 = time.perf_counter()
    return {
        "timings": {
            "fit": marks["trees_done"] - t0,
            "post_fit": t1 - marks["trees_done"],
            "tau_sweep": t2 - t1,
        },
        "tau_star": float(estimate.tau_star),
        "n_nodes": int(forest.nodes_.n_nodes),
        "tree_sizes": np.diff(forest.nodes_.tree_offsets).tolist(),
        "flat_forest_bytes": int(forest.nodes_.nbytes),
    }


def _run_reference(
    X: np.ndarray, y: np.ndarray, seed: int, max_bytes: float, n_jobs: int | None
) -> dict[str, Any]:
    from reference_probe import reference_score

    result = reference_score(
        X,
        y,
        n_trees=N_TREES,
        max_depth=MAX_DEPTH,
        random_state=seed,
        max_bytes=max_bytes,
        n_jobs=n_jobs,
    )
    keep = ("timings", "tau_star", "n_nodes", "decision_path_dtype", "fit_peak_kib")
    out = {k: result[k] for k in keep}
    out["decision_path_bytes"] = int(result["decision_path_bytes"])
    out["box_bytes"] = int(result["box_bytes"])
    return out


def _run_reduce(X: np.ndarray, spec: dict[str, Any]) -> dict[str, Any]:
    from sparsity_widgets.probe import reduce_width

    options = {"n_iter": spec["n_iter"]} if spec["n_iter"] is not None else {}
    out, record = reduce_width(
        X, max_width=spec["width"], method=spec["method_name"], random_state=spec["seed"], **options
    )
    if out.shape != (X.shape[0], spec["width"]) or not np.isfinite(out).all():
        raise RuntimeError(f"reduce_width returned shape {out.shape} or non-finite values")
    return {"timings": {"reduce": record.seconds}}


def _warm_up(impl: str) -> None:
    X, y = make_data(300, 6, seed=123)
    if impl == "ours":
        from sparsity_widgets import WaveletForest

        WaveletForest(n_trees=2, max_depth=6, random_state=0).fit(X, y).estimate()
    elif impl == "reference":
        from reference_probe import reference_score

        reference_score(X, y, n_trees=2, max_depth=6, random_state=0)
    else:
        from sparsity_widgets.probe import reduce_width

        for method in ("svd", "pca-gram", "gaussian", "sparse"):
            reduce_width(make_data(300, 40, seed=123)[0], max_width=5, method=method)


def worker(spec_path: str) -> int:
    """Run one (implementation, size, repeat) and write its result JSON."""
    spec = json.loads(Path(spec_path).read_text())
    from reference_probe import ReferenceTooLarge

    impl, n, d, seed = spec["impl"], spec["n"], spec["d"], spec["seed"]
    _warm_up(impl)
    result: dict[str, Any] = {k: spec[k] for k in ("impl", "n", "d", "repeat", "method")}
    result["baseline_peak_kib"] = _peak_kib()
    X, y = make_data(n, d, seed=seed)
    result["x_bytes"] = int(X.nbytes)
    try:
        if impl == "ours":
            out = _run_ours(X, y, seed)
        elif impl == "reference":
            out = _run_reference(X, y, seed, spec["max_bytes"], spec["reference_jobs"])
        else:
            out = _run_reduce(X, spec)
    except ReferenceTooLarge as exc:
        result.update(status="skipped", needed_bytes=exc.needed_bytes, peak_kib=_peak_kib())
    else:
        result.update(out)
        result.update(status="ok", peak_kib=_peak_kib())
    Path(spec["result_path"]).write_text(json.dumps(result))
    return 0


# ---------------------------------------------------------------------------- parent
def decision_path_itemsize() -> tuple[str, int]:
    """dtype of ``decision_path(X).toarray()`` on a tiny tree (int64 in scikit-learn)."""
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(0)
    X = rng.random((20, 2), dtype=np.float32)
    tree = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, rng.random(20))
    dense = tree.decision_path(X).toarray()
    return str(dense.dtype), int(dense.dtype.itemsize)


def reference_bytes(n: int, d: int, itemsize: int, ours: dict[str, Any] | None) -> int:
    """Bytes of the reference's largest dense per-tree arrays (see the module docstring).

    Exact when ``ours`` (the result of the "ours" run on the same data and seed, which fitted
    the same trees) is given and succeeded; otherwise a pessimistic guess of the node count.
    """
    from reference_probe import reference_memory_bytes

    if ours is not None and ours.get("status") == "ok":
        nodes = max(ours["tree_sizes"])
    else:
        nodes = min(2 * math.ceil(0.64 * n), 2 ** (MAX_DEPTH + 1)) - 1
    return reference_memory_bytes(n, d, nodes, itemsize)["total"]


def machine_info() -> dict[str, Any]:
    import numba
    import sklearn

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "numba": numba.__version__,
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
    }
    try:
        import scipy

        info["scipy"] = scipy.__version__
    except ImportError:  # pragma: no cover - scikit-learn depends on scipy
        pass
    return info


def run_one(spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    tag = f"{spec['impl']}_{spec['method'] or ''}{spec['n_iter'] or ''}_{spec['n']}x{spec['d']}"
    tag += f"_{spec['repeat']}"
    spec = dict(spec, result_path=str(workdir / f"{tag}.json"))
    spec_path = workdir / f"{tag}.spec.json"
    result_path = Path(spec["result_path"])
    # resume: a finished run of the very same spec (kept with --workdir) is not run again
    if spec_path.exists() and result_path.exists():
        if json.loads(spec_path.read_text()) == spec:
            previous = json.loads(result_path.read_text())
            if previous.get("status") == "ok":
                return previous
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--_worker", str(spec_path)],
        capture_output=True,
        text=True,
    )
    base = {k: spec[k] for k in ("impl", "n", "d", "repeat", "method")}
    if proc.returncode != 0 or not result_path.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        return dict(base, status="failed", returncode=proc.returncode, error="\n".join(tail))
    return json.loads(result_path.read_text())


def _median(runs: list[dict[str, Any]], key: str) -> float:
    values = []
    for r in runs:
        if key == "total":
            values.append(sum(r["timings"].values()))
        elif key in ("peak_mb", "fit_peak_mb"):
            values.append(r[key.replace("_mb", "_kib")] * 1024 / 1e6)
        elif key == "alpha_star":
            values.append(1.0 / r["tau_star"] - 0.5)
        else:
            values.append(r["timings"][key])
    return float(statistics.median(values))


def _fmt_s(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.3g}x"


def _status_info(mine: list[dict[str, Any]]) -> dict[str, Any]:
    info: dict[str, Any] = {"n_runs": len(mine), "n_ok": sum(r["status"] == "ok" for r in mine)}
    skipped = [r for r in mine if r["status"] == "skipped"]
    failed = [r for r in mine if r["status"] == "failed"]
    if skipped:
        info["skipped_needs_bytes"] = skipped[0]["needed_bytes"]
    if failed:
        info["failed"] = failed[0].get("error", "")
    return info


def summarise_score(
    sizes: list[tuple[int, int]], runs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Medians and ratios (reference / ours) per size."""
    summaries = []
    keys = ("fit", "post_fit", "tau_sweep", "total", "peak_mb")
    for n, d in sizes:
        entry: dict[str, Any] = {"size": size_label(n, d), "n": n, "d": d, "impls": {}}
        for impl in IMPLEMENTATIONS:
            mine = [r for r in runs if r["impl"] == impl and (r["n"], r["d"]) == (n, d)]
            ok = [r for r in mine if r["status"] == "ok"]
            info = _status_info(mine)
            if ok:
                info.update({k: _median(ok, k) for k in keys})
                info["alpha_star"] = _median(ok, "alpha_star")
                info["n_nodes"] = int(statistics.median(r["n_nodes"] for r in ok))
                info["x_bytes"] = ok[0]["x_bytes"]
                if impl == "reference":
                    info["fit_peak_mb"] = _median(ok, "fit_peak_mb")
                    info["decision_path_dtype"] = ok[0]["decision_path_dtype"]
                    info["decision_path_bytes"] = ok[0]["decision_path_bytes"]
                    info["box_bytes"] = ok[0]["box_bytes"]
            entry["impls"][impl] = info
        o, r = entry["impls"]["ours"], entry["impls"]["reference"]
        if o["n_ok"] and r["n_ok"]:
            entry["ratios"] = {k: (r[k] / o[k] if o[k] > 0 else None) for k in keys}
        summaries.append(entry)
    return summaries


def summarise_reduce(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Median time and peak per method, and the reference method's time over each."""
    summaries = []
    for method, n_iter in REDUCE_METHODS:
        label = method_label(method, n_iter)
        mine = [r for r in runs if r["impl"] == "reduce" and r["method"] == label]
        ok = [r for r in mine if r["status"] == "ok"]
        info = dict(_status_info(mine), method=label)
        if ok:
            info.update(seconds=_median(ok, "reduce"), peak_mb=_median(ok, "peak_mb"))
        summaries.append(info)
    base = summaries[0].get("seconds")
    for info in summaries:
        if base and info.get("seconds"):
            info["speedup_vs_reference"] = base / info["seconds"]
    return summaries


def _failure_cells(info: dict[str, Any], n_cells: int) -> list[str]:
    if "skipped_needs_bytes" in info:
        return ["-"] * n_cells + [f"skipped (needs ~{info['skipped_needs_bytes'] / 1e9:.3g} GB)"]
    if "failed" in info:
        last = info["failed"].splitlines()[-1] if info["failed"] else "no output"
        return ["-"] * n_cells + [f"FAILED: {last[:120]}"]
    return ["-"] * n_cells + ["not run"]


def render_score_table(summaries: list[dict[str, Any]]) -> str:
    head = (
        "| size | X (MB) | impl | fit (s) | post-fit (s) | tau sweep (s) | total (s) "
        "| peak RSS (MB) | notes |"
    )
    lines = [head, "|" + "---|" * 9]
    for entry in summaries:
        size = entry["size"]
        x_mb = entry["n"] * entry["d"] * 4 / 1e6
        for impl in IMPLEMENTATIONS:
            info = entry["impls"][impl]
            if info.get("n_ok"):
                note = f"{info['n_nodes']:,} nodes, alpha*={info['alpha_star']:.3f}"
                if impl == "ours":
                    note = "numba builder; " + note
                else:
                    note = (
                        f"scikit-learn fit (peak {info['fit_peak_mb']:.0f} MB after it); {note}; "
                        f"dense path {info['decision_path_bytes'] / 1e9:.2f} GB "
                        f"{info['decision_path_dtype']}, boxes {info['box_bytes'] / 1e9:.2f} GB"
                    )
                cells = [
                    _fmt_s(info["fit"]),
                    _fmt_s(info["post_fit"]),
                    _fmt_s(info["tau_sweep"]),
                    _fmt_s(info["total"]),
                    f"{info['peak_mb']:.0f}",
                    note,
                ]
            else:
                cells = _failure_cells(info, 5)
            lines.append(f"| {size} | {x_mb:.1f} | {impl} | " + " | ".join(cells) + " |")
        if "ratios" in entry:
            rat = entry["ratios"]
            cells = [
                _fmt_ratio(rat[k]) for k in ("fit", "post_fit", "tau_sweep", "total", "peak_mb")
            ]
            n_ok = entry["impls"]["ours"]["n_ok"], entry["impls"]["reference"]["n_ok"]
            cells.append(f"medians of {n_ok[0]} and {n_ok[1]} runs")
            lines.append(f"| {size} | {x_mb:.1f} | reference/ours | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_reduce_table(summaries: list[dict[str, Any]], n: int, d: int, width: int) -> str:
    reference = summaries[0]["method"]
    lines = [
        f"| {n}x{d} -> {width} | time (s) | peak RSS (MB) | {reference} time / time | runs |",
        "|---|---|---|---|---|",
    ]
    for info in summaries:
        if info.get("n_ok"):
            cells = [
                _fmt_s(info["seconds"]),
                f"{info['peak_mb']:.0f}",
                _fmt_ratio(info.get("speedup_vs_reference")),
                str(info["n_ok"]),
            ]
        else:
            cells = _failure_cells(info, 3)
        lines.append(f"| {info['method']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default=None, help=f"NxD list (default {DEFAULT_SIZES})")
    parser.add_argument("--repeats", type=int, default=None, help="runs per size (default 3)")
    parser.add_argument(
        "--quick", action="store_true", help=f"sizes {QUICK_SIZES}, reduce {QUICK_REDUCE}, 1 repeat"
    )
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help="score, reduce or both (default)"
    )
    parser.add_argument("--reduce-size", default=None, help=f"NxD (default {DEFAULT_REDUCE})")
    parser.add_argument("--reduce-width", type=int, default=None, help="default 2500")
    parser.add_argument(
        "--reference-jobs",
        type=int,
        default=-1,
        help="scikit-learn's n_jobs in the reference (default -1: every core, its best here)",
    )
    parser.add_argument("--out", default=str(HERE / "results" / "score.json"))
    parser.add_argument("--max-reference-gb", type=float, default=16.0)
    parser.add_argument(
        "--workdir",
        default=None,
        help="keep every run's result in this folder and reuse the finished ones, so an "
        "interrupted benchmark resumes where it stopped (default: a temporary folder)",
    )
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--_worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._worker is not None:
        return worker(args._worker)

    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown or not sections:
        raise SystemExit(f"--sections must list score and/or reduce; got {args.sections!r}")
    sizes = parse_sizes(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES))
    ((reduce_n, reduce_d),) = parse_sizes(
        args.reduce_size or (QUICK_REDUCE if args.quick else DEFAULT_REDUCE)
    )
    reduce_to = args.reduce_width or (QUICK_REDUCE_WIDTH if args.quick else DEFAULT_REDUCE_WIDTH)
    if not 1 <= reduce_to < min(reduce_n, reduce_d):
        raise SystemExit(
            f"--reduce-width must be below both sides of --reduce-size {reduce_n}x{reduce_d}; "
            f"got {reduce_to}"
        )
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    if repeats < 1:
        raise SystemExit("--repeats must be at least 1")
    max_bytes = args.max_reference_gb * 1e9
    reference_jobs = None if args.reference_jobs == 0 else args.reference_jobs

    from tqdm import tqdm

    from sparsity_widgets._io import atomic_write_text

    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    info = machine_info()
    path_dtype, path_itemsize = decision_path_itemsize()
    print(f"command: {command}")
    print(
        "machine: "
        + ", ".join(f"{k} {v}" for k, v in info.items() if k not in ("platform", "processor"))
    )
    print(f"platform: {info['platform']} ({info['processor']})")
    print(
        f"setup: {N_CLASSES} classes, {N_TREES} trees of depth {MAX_DEPTH}, {repeats} repeat(s), "
        f"fresh subprocess per run; reference: scikit-learn n_jobs={reference_jobs}, "
        f"decision_path().toarray() dtype {path_dtype}, limit {args.max_reference_gb:g} GB"
    )
    print()

    common = {"seed": args.seed, "method": None, "n_iter": None}
    specs = []
    if "score" in sections:
        for n, d in sizes:
            for repeat in range(repeats):
                for impl in IMPLEMENTATIONS:
                    spec = dict(common, impl=impl, n=n, d=d, repeat=repeat)
                    spec.update(max_bytes=max_bytes, reference_jobs=reference_jobs)
                    specs.append(spec)
    if "reduce" in sections:
        for repeat in range(repeats):
            for method, n_iter in REDUCE_METHODS:
                spec = dict(common, impl="reduce", n=reduce_n, d=reduce_d, repeat=repeat)
                spec.update(
                    method=method_label(method, n_iter),
                    n_iter=n_iter,
                    width=reduce_to,
                )
                spec["method_name"] = method
                specs.append(spec)

    runs = []
    started = time.time()
    with contextlib.ExitStack() as stack:
        if args.workdir:
            workdir = Path(args.workdir)
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench_score_")))
        ours: dict[str, Any] | None = None
        for spec in tqdm(specs, desc="runs", unit="run", file=sys.stderr):
            need = None
            if spec["impl"] == "reference":
                need = reference_bytes(spec["n"], spec["d"], path_itemsize, ours)
            if need is not None and need > max_bytes:
                base = {k: spec[k] for k in ("impl", "n", "d", "repeat", "method")}
                result = dict(base, status="skipped", needed_bytes=need)
            else:
                result = run_one(spec, workdir)
            if spec["impl"] == "ours":  # "ours" runs first for each (size, repeat)
                ours = result
            runs.append(result)

    tables = {}
    payload_summary: dict[str, Any] = {}
    if "score" in sections:
        score_summary = summarise_score(sizes, runs)
        tables["score"] = render_score_table(score_summary)
        payload_summary["score"] = score_summary
        print(tables["score"])
    if "reduce" in sections:
        reduce_summary = summarise_reduce(runs)
        tables["reduce"] = render_reduce_table(reduce_summary, reduce_n, reduce_d, reduce_to)
        payload_summary["reduce"] = reduce_summary
        print()
        print(tables["reduce"])
    failed = [run for run in runs if run["status"] == "failed"]
    for run in failed:
        what = run["method"] or run["impl"]
        print(f"\nrun {what} {run['n']}x{run['d']} #{run['repeat']} failed:")
        print(run.get("error", ""))
    payload = {
        "command": command,
        "machine": info,
        "decision_path_dtype": path_dtype,
        "settings": {
            "sections": sections,
            "sizes": [size_label(n, d) for n, d in sizes],
            "reduce_size": size_label(reduce_n, reduce_d),
            "reduce_width": reduce_to,
            "repeats": repeats,
            "n_classes": N_CLASSES,
            "n_trees": N_TREES,
            "max_depth": MAX_DEPTH,
            "seed": args.seed,
            "reference_jobs": reference_jobs,
            "max_reference_gb": args.max_reference_gb,
        },
        "started_unix": started,
        "elapsed_s": time.time() - started,
        "runs": runs,
        "summary": payload_summary,
        "tables": tables,
        "all_good": not failed,
    }
    out = atomic_write_text(args.out, json.dumps(_clean(payload), indent=2) + "\n")
    print(f"\nraw numbers: {out}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
