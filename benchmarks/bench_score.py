"""Benchmark: scoring one representation, the fast implementation against the plain reference.

Usage::

    python benchmarks/bench_score.py [--sizes 10000x40,10000x512] [--repeats 3] [--quick]
                                     [--out benchmarks/results/score.json] [--max-reference-gb 16]
                                     [--workdir DIR]  # keep runs there; a rerun resumes

Implementations
---------------
``ours``
    ``WaveletForest(n_trees=3, max_depth=15, random_state=seed).fit(X, y)`` then ``.estimate()``.
``reference``
    ``reference_probe.reference_score`` (recursive traversal, per-node box array, dense
    decision-path matrix, Python loop over the taus), fitting the very same trees.

Phases
------
``fit``
    From the call until scikit-learn's ``RandomForestRegressor.fit`` returns (input checks,
    min-max normalisation, one-hot labels and the tree fit; the same work for both).
``post-fit``
    From the end of the scikit-learn fit to the wavelet norms. For ``ours`` this is measured
    inside one ordinary ``WaveletForest.fit`` call: the worker replaces the name
    ``RandomForestRegressor`` in ``sparsity_widgets.forest`` by a subclass whose ``fit`` only
    records ``time.perf_counter()`` after calling the real one, so ``fit`` + ``post-fit`` is
    exactly the wall time of ``WaveletForest.fit`` with nothing run twice (the worker fails
    loudly if the hook did not fire).
``tau sweep``
    ``ours``: ``forest.estimate()`` on a fresh fit, i.e. ``sparsity_curve`` from a cold cache
    then ``estimate_tau_star`` (paper rule); ``reference``: the loop over the taus, then the
    same paper rule on its curve.

Every (implementation, size, repeat) runs in a fresh subprocess (this file re-run with a
hidden ``--_worker`` flag). The worker imports everything, warms up on tiny data (numba
kernels compiled or loaded from cache, scikit-learn paths touched), then generates the data
and runs once. Its peak memory is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at the end:
the honest whole-process peak (interpreter, libraries, the data X itself, everything), with
nothing subtracted; the table also gives the size of X, and the JSON the peak before the data
was made. MB means 10^6 bytes.

Data: ``n`` samples of ``d`` float32 features (generated in float32 row chunks, never a
float64 copy), 10 classes: Gaussian class centres (std 0.7) in an 8-dimensional latent space
plus unit latent noise, mapped to ``d`` features by a random matrix, plus isotropic noise of
std 0.3. The classes overlap (a nearest-centroid classifier gets roughly 55 %), so the trees
reach depth 15 with thousands of nodes each, as on the layers of a trained network.

Before running the reference at a size, the parent computes the bytes of its largest dense
per-tree arrays: ``n x n_nodes x itemsize`` for the decision path (the dtype of
``decision_path().toarray()`` is checked on a tiny tree: int64) plus ``n_nodes x d x 2 x 8``
for the boxes. ``n_nodes`` is exact: the "ours" run of the same size and repeat, which goes
first, fits the very same trees and reports their sizes; if it failed, the pessimistic guess
``min(2 * 0.64 n, 2^(depth+1)) - 1`` is used (a bootstrap holds ~63 % distinct samples). Over
``--max-reference-gb`` the run is skipped and the table says "skipped (needs ~X GB)". The
reference worker checks again with the exact node count, right before allocating.

Both implementations must give the same wavelet norms: the parent compares every run's norms
with ``np.allclose(ours, reference, rtol=1e-10, atol=1e-12)`` and prints ``norms equal: yes``
or ``NO`` per size. The exit status is 1 if norms differ or a run failed (skips are fine).
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
DEFAULT_SIZES = "10000x40,10000x512,10000x2500,50000x40,50000x512,50000x2500"
QUICK_SIZES = "2000x20,3000x64"
N_CLASSES = 10
N_TREES = 3
MAX_DEPTH = 15
LATENT_DIM = 8
CENTRE_STD = 0.7
IMPLEMENTATIONS = ("ours", "reference")
RTOL, ATOL = 1e-10, 1e-12

if str(HERE) not in sys.path:  # reference_probe lives next to this file (not a package)
    sys.path.insert(0, str(HERE))


# ---------------------------------------------------------------------------- data
def make_data(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded float32 features with class structure in a low-dimensional latent space."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, size=n)
    centres = rng.normal(0.0, CENTRE_STD, size=(N_CLASSES, LATENT_DIM)).astype(np.float32)
    mixing = rng.standard_normal((LATENT_DIM, d), dtype=np.float32)
    mixing /= np.float32(math.sqrt(LATENT_DIM))
    X = np.empty((n, d), dtype=np.float32)
    chunk = 2048
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        latent = centres[y[start:stop]]
        latent += rng.standard_normal((stop - start, LATENT_DIM), dtype=np.float32)
        block = latent @ mixing
        noise = rng.standard_normal((stop - start, d), dtype=np.float32)
        noise *= np.float32(0.3)
        block += noise
        X[start:stop] = block
    return X, y


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
    real = forest_module.RandomForestRegressor

    class TimedRandomForestRegressor(real):  # type: ignore[misc, valid-type]
        def fit(self, *args: Any, **kwargs: Any) -> Any:
            out = super().fit(*args, **kwargs)
            marks["sklearn_done"] = time.perf_counter()
            return out

    forest_module.RandomForestRegressor = TimedRandomForestRegressor
    try:
        t0 = time.perf_counter()
        forest = WaveletForest(n_trees=N_TREES, max_depth=MAX_DEPTH, random_state=seed).fit(X, y)
        t1 = time.perf_counter()
    finally:
        forest_module.RandomForestRegressor = real
    if "sklearn_done" not in marks:
        raise RuntimeError(
            "the timing hook on sparsity_widgets.forest.RandomForestRegressor did not fire; "
            "WaveletForest.fit no longer builds its forest through that name"
        )
    estimate = forest.estimate()
    t2 = time.perf_counter()
    return {
        "timings": {
            "fit": marks["sklearn_done"] - t0,
            "post_fit": t1 - marks["sklearn_done"],
            "tau_sweep": t2 - t1,
        },
        "norms": forest.wavelet_norms_,
        "tau_star": float(estimate.tau_star),
        "n_nodes": int(forest.nodes_.n_nodes),
        "tree_sizes": np.diff(forest.nodes_.tree_offsets).tolist(),
        "flat_forest_bytes": int(forest.nodes_.nbytes),
    }


def _run_reference(X: np.ndarray, y: np.ndarray, seed: int, max_bytes: float) -> dict[str, Any]:
    from reference_probe import reference_score

    result = reference_score(
        X, y, n_trees=N_TREES, max_depth=MAX_DEPTH, random_state=seed, max_bytes=max_bytes
    )
    keep = ("timings", "norms", "tau_star", "n_nodes", "decision_path_dtype")
    out = {k: result[k] for k in keep}
    out["decision_path_bytes"] = int(result["decision_path_bytes"])
    out["box_bytes"] = int(result["box_bytes"])
    return out


def _warm_up(impl: str) -> None:
    X, y = make_data(300, 6, seed=123)
    if impl == "ours":
        from sparsity_widgets import WaveletForest

        WaveletForest(n_trees=2, max_depth=6, random_state=0).fit(X, y).estimate()
    else:
        from reference_probe import reference_score

        reference_score(X, y, n_trees=2, max_depth=6, random_state=0)


def worker(spec_path: str) -> int:
    """Run one (implementation, size, repeat) and write its result JSON; norms to .npy."""
    spec = json.loads(Path(spec_path).read_text())
    from reference_probe import ReferenceTooLarge

    impl, n, d, seed = spec["impl"], spec["n"], spec["d"], spec["seed"]
    _warm_up(impl)
    result: dict[str, Any] = {"impl": impl, "n": n, "d": d, "repeat": spec["repeat"]}
    result["baseline_peak_kib"] = _peak_kib()
    X, y = make_data(n, d, seed=seed)
    result["x_bytes"] = int(X.nbytes)
    try:
        if impl == "ours":
            out = _run_ours(X, y, seed)
        else:
            out = _run_reference(X, y, seed, spec["max_bytes"])
    except ReferenceTooLarge as exc:
        result.update(status="skipped", needed_bytes=exc.needed_bytes, peak_kib=_peak_kib())
    else:
        np.save(spec["norms_path"], out.pop("norms"))
        result.update(out)
        result.update(status="ok", peak_kib=_peak_kib(), norms_path=spec["norms_path"])
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
    tag = f"{spec['impl']}_{spec['n']}x{spec['d']}_{spec['repeat']}"
    spec = dict(
        spec,
        result_path=str(workdir / f"{tag}.json"),
        norms_path=str(workdir / f"{tag}.npy"),
    )
    spec_path = workdir / f"{tag}.spec.json"
    result_path = Path(spec["result_path"])
    # resume: a finished run of the very same spec (kept with --workdir) is not run again
    if spec_path.exists() and result_path.exists() and Path(spec["norms_path"]).exists():
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
    base = {k: spec[k] for k in ("impl", "n", "d", "repeat")}
    if proc.returncode != 0 or not Path(spec["result_path"]).exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        return dict(base, status="failed", returncode=proc.returncode, error="\n".join(tail))
    return json.loads(Path(spec["result_path"]).read_text())


def _median(runs: list[dict[str, Any]], key: str) -> float:
    values = []
    for r in runs:
        if key == "total":
            values.append(sum(r["timings"].values()))
        elif key == "peak_mb":
            values.append(r["peak_kib"] * 1024 / 1e6)
        else:
            values.append(r["timings"][key])
    return float(statistics.median(values))


def _fmt_s(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.3g}x"


def _ok_runs(runs: list[dict[str, Any]], impl: str, n: int, d: int) -> list[dict[str, Any]]:
    return [
        r for r in runs if r["impl"] == impl and (r["n"], r["d"]) == (n, d) and r["status"] == "ok"
    ]


def summarise(
    sizes: list[tuple[int, int]], runs: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], bool]:
    """Medians, ratios and the norms check per size; returns (summaries, all_good)."""
    summaries = []
    all_good = True
    keys = ("fit", "post_fit", "tau_sweep", "total", "peak_mb")
    for n, d in sizes:
        entry: dict[str, Any] = {"size": size_label(n, d), "n": n, "d": d, "impls": {}}
        for impl in IMPLEMENTATIONS:
            mine = [r for r in runs if r["impl"] == impl and (r["n"], r["d"]) == (n, d)]
            ok = [r for r in mine if r["status"] == "ok"]
            info: dict[str, Any] = {"n_runs": len(mine), "n_ok": len(ok)}
            if ok:
                info.update({k: _median(ok, k) for k in keys})
                info["n_nodes"] = ok[0]["n_nodes"]
                info["tau_star"] = ok[0]["tau_star"]
                info["x_bytes"] = ok[0]["x_bytes"]
                if impl == "reference":
                    info["decision_path_dtype"] = ok[0]["decision_path_dtype"]
                    info["decision_path_bytes"] = ok[0]["decision_path_bytes"]
                    info["box_bytes"] = ok[0]["box_bytes"]
            skipped = [r for r in mine if r["status"] == "skipped"]
            failed = [r for r in mine if r["status"] == "failed"]
            if skipped:
                info["skipped_needs_bytes"] = skipped[0]["needed_bytes"]
            if failed:
                info["failed"] = failed[0].get("error", "")
                all_good = False
            entry["impls"][impl] = info
        ours_runs = _ok_runs(runs, "ours", n, d)
        ref_runs = _ok_runs(runs, "reference", n, d)
        if ours_runs and ref_runs:
            ours_norms = [np.load(r["norms_path"]) for r in ours_runs]
            ref_norms = [np.load(r["norms_path"]) for r in ref_runs]
            equal = all(
                a.shape == b.shape and np.allclose(a, b, rtol=RTOL, atol=ATOL)
                for a in ours_norms
                for b in ref_norms
            )
            a, b = ours_norms[0], ref_norms[0]
            if a.shape == b.shape:
                entry["max_abs_norm_diff"] = float(np.max(np.abs(a - b))) if a.size else 0.0
            entry["n_wavelets"] = [int(a.shape[0]), int(b.shape[0])]
            entry["norms_equal"] = bool(equal)
            entry["tau_star_equal"] = bool(
                ours_runs[0]["tau_star"] == ref_runs[0]["tau_star"]
                or math.isclose(ours_runs[0]["tau_star"], ref_runs[0]["tau_star"], rel_tol=1e-12)
            )
            all_good &= equal
            o, r = entry["impls"]["ours"], entry["impls"]["reference"]
            entry["ratios"] = {k: (r[k] / o[k] if o[k] > 0 else None) for k in keys}
        else:
            entry["norms_equal"] = None
        summaries.append(entry)
    return summaries, all_good


def render_table(summaries: list[dict[str, Any]]) -> str:
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
                note = f"{info['n_nodes']:,} nodes, tau*={info['tau_star']:.4g}"
                if impl == "reference":
                    note += (
                        f"; dense path {info['decision_path_bytes'] / 1e9:.2f} GB "
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
            elif "skipped_needs_bytes" in info:
                gb = info["skipped_needs_bytes"] / 1e9
                cells = ["-"] * 5 + [f"skipped (needs ~{gb:.3g} GB)"]
            elif "failed" in info:
                last = info["failed"].splitlines()[-1] if info["failed"] else "no output"
                cells = ["-"] * 5 + [f"FAILED: {last[:120]}"]
            else:
                cells = ["-"] * 5 + ["not run"]
            lines.append(f"| {size} | {x_mb:.1f} | {impl} | " + " | ".join(cells) + " |")
        if entry["norms_equal"] is None:
            check = "norms equal: n/a (reference not run)"
            ratios = ["-"] * 5
        else:
            check = "norms equal: " + ("yes" if entry["norms_equal"] else "NO")
            if not entry["tau_star_equal"]:
                check += " (tau* differs)"
            rat = entry["ratios"]
            ratios = [
                _fmt_ratio(rat[k]) for k in ("fit", "post_fit", "tau_sweep", "total", "peak_mb")
            ]
        lines.append(
            f"| {size} | {x_mb:.1f} | reference/ours | " + " | ".join(ratios) + f" | {check} |"
        )
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
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}, 1 repeat")
    parser.add_argument("--out", default=str(HERE / "results" / "score.json"))
    parser.add_argument("--max-reference-gb", type=float, default=16.0)
    parser.add_argument(
        "--workdir",
        default=None,
        help="keep every run's result and norms in this folder and reuse the finished ones, so "
        "an interrupted benchmark resumes where it stopped (default: a temporary folder)",
    )
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--_worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._worker is not None:
        return worker(args._worker)

    sizes = parse_sizes(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES))
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    if repeats < 1:
        raise SystemExit("--repeats must be at least 1")
    max_bytes = args.max_reference_gb * 1e9

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
        f"fresh subprocess per run; decision_path().toarray() dtype {path_dtype} "
        f"({path_itemsize} bytes/entry); reference limit {args.max_reference_gb:g} GB"
    )
    print()

    specs = []
    for n, d in sizes:
        for repeat in range(repeats):
            for impl in IMPLEMENTATIONS:
                spec = {"impl": impl, "n": n, "d": d, "repeat": repeat, "seed": args.seed}
                spec["max_bytes"] = max_bytes
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
                base = {k: spec[k] for k in ("impl", "n", "d", "repeat")}
                result = dict(base, status="skipped", needed_bytes=need)
            else:
                result = run_one(spec, workdir)
            if spec["impl"] == "ours":  # "ours" runs first for each (size, repeat)
                ours = result
            runs.append(result)
        summaries, all_good = summarise(sizes, runs)  # needs the .npy files: inside the tmpdir

    table = render_table(summaries)
    print(table)
    for run in runs:
        if run["status"] == "failed":
            print(f"\nrun {run['impl']} {run['n']}x{run['d']} #{run['repeat']} failed:")
            print(run.get("error", ""))
    for run in runs:
        run.pop("norms_path", None)
    payload = {
        "command": command,
        "machine": info,
        "decision_path_dtype": path_dtype,
        "settings": {
            "sizes": [size_label(n, d) for n, d in sizes],
            "repeats": repeats,
            "n_classes": N_CLASSES,
            "n_trees": N_TREES,
            "max_depth": MAX_DEPTH,
            "seed": args.seed,
            "max_reference_gb": args.max_reference_gb,
            "norms_rtol": RTOL,
            "norms_atol": ATOL,
        },
        "started_unix": started,
        "elapsed_s": time.time() - started,
        "runs": runs,
        "summary": summaries,
        "table": table,
        "all_good": all_good,
    }
    out = atomic_write_text(args.out, json.dumps(_clean(payload), indent=2) + "\n")
    print(f"\nraw numbers: {out}")
    return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(main())
