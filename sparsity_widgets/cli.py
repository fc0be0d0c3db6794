"""The ``sparsity-widgets`` command line: numbers without a notebook.

``score DATA.npz``
    Score arrays ``X`` (n, d) and ``y`` (n,) from a NumPy ``.npz`` file.
``synthetic NAME``
    Score a built-in synthetic set (spiral, circles, gaussian-quantiles, blocks, smooth-domain),
    from our generators or (``--generator authors``, the three Table 1 sets) the authors'.
``synthetic-table``
    Table 1 of the paper under both generators, both rules, bootstrap on and off, over seeds;
    writes JSON and Markdown (:mod:`sparsity_widgets.studies.table1`).
``frame-potential``
    Minimum deep frame potential of a chain, residual or dense network (no data needed).
``synthetic-demo``
    Score every synthetic set with true and shuffled labels under both estimator rules, print
    a table, write ``results.json`` and a Figure-4 picture.
``collapse --checkpoint FILE``
    Neural collapse and nearest-class-center mismatch per layer of a checkpoint (the
    ``[torch]`` extra); see :mod:`sparsity_widgets.probe.collapse_cli`.
``train``, ``probe``, ``study``, ``demo``
    Real networks (the ``[torch]`` extra): train with checkpoints, alpha* per layer of
    checkpoints or seeds, the MNIST-1D studies of the paper, and the embedded default job
    (train and probe a ReLU and a step MNIST-1D CNN on the CPU); see
    :mod:`sparsity_widgets.studies.cli`.
``assignment build CHAPTER.md|all --out DIR [--nbgrader]``
    A chapter's student notebook (solutions removed, stubs and check cells kept) and
    instructor notebook (the ``[book]`` extra); see :mod:`sparsity_widgets.teaching.assignment`.

User errors (a bad option value, missing file, missing arrays, bad shapes, NaN, one class, a
window no tau falls in, an ``--out`` that is a file or cannot be written, an ``--out`` another
run is writing) print one line to stderr and exit with status 2, without a traceback. Every
command with ``--out`` checks the folder before any work.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from ._cli_args import OneLineParser, int_at_least, n_jobs, non_negative_int, positive_int
from ._io import atomic_write, atomic_write_text, check_output_dir
from ._run_lock import RunFolderInUseError
from .datasets import SYNTHETIC_DATASETS, make_synthetic
from .datasets.synthetic import DEFAULT_N_SAMPLES, GENERATORS
from .forest import BUILDERS, NORM_WEIGHTS, WaveletForest
from .frames.cli import add_parser as _add_frame_potential_parser
from .frames.cli import run as _run_frame_potential
from .probe import collapse_cli as _collapse_cli
from .studies import cli as _studies_cli
from .tau_star import RULES
from .teaching import cli as _teaching_cli

__all__ = ["main"]


class UserError(Exception):
    """A problem with the user's input: reported in one line, exit status 2."""


def _max_features(text: str) -> int | float | str | None:
    if text in ("all", "none", "None"):
        return None
    if text in ("sqrt", "log2"):
        return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'all', 'sqrt', 'log2', an integer or a fraction; got {text!r}"
        ) from None


def _add_probe_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("probe")
    group.add_argument(
        "--trees", type=positive_int, default=3, help="number of trees (default: 3)"
    )
    group.add_argument(
        "--depth", type=positive_int, default=15, help="maximum tree depth (default: 15)"
    )
    group.add_argument(
        "--max-features",
        type=_max_features,
        default=None,
        help="features per split: all (default), sqrt, log2, an integer or a fraction",
    )
    group.add_argument(
        "--norm-weight",
        choices=NORM_WEIGHTS,
        default="samples",
        help="|Omega| in the wavelet norm: sample fraction (default) or box volume",
    )
    group.add_argument(
        "--rule", choices=RULES, default="paper", help="tau* estimator (default: paper)"
    )
    group.add_argument(
        "--eps-low", type=float, default=None, help="window start (default 0.1; rad or deg by rule)"
    )
    group.add_argument(
        "--eps-high", type=float, default=None, help="window end (default 0.4; rad or deg by rule)"
    )
    group.add_argument(
        "--seed", type=non_negative_int, default=0, help="random seed (default: 0)"
    )
    group.add_argument(
        "--n-jobs",
        type=n_jobs,
        default=None,
        help="threads for the trees, -1 for all cores (default: all cores)",
    )
    group.add_argument(
        "--builder",
        choices=BUILDERS,
        default="numba",
        help="who grows the trees: the exact numba builder (default) or scikit-learn",
    )
    group.add_argument("--json", action="store_true", help="print one JSON object")


def _build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="sparsity-widgets",
        description="Sparsity Probe: tau-sparsity and alpha* of (features, labels).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    score = sub.add_parser("score", help="score arrays X and y from a NumPy .npz file")
    score.add_argument("data", type=Path, help=".npz file with arrays X (n, d) and y (n,)")
    score.add_argument("--x-key", default="X", help="name of the feature array (default: X)")
    score.add_argument("--y-key", default="y", help="name of the label array (default: y)")
    _add_probe_options(score)

    synth = sub.add_parser("synthetic", help="score a built-in synthetic data set")
    synth.add_argument("name", choices=sorted(SYNTHETIC_DATASETS), help="data set")
    synth.add_argument(
        "--n",
        type=int_at_least(2),
        default=None,
        help="number of samples (default: the generator's, 4000 for ours, 10000 for the authors')",
    )
    synth.add_argument(
        "--generator",
        choices=tuple(GENERATORS),
        default="ours",
        help="our generators (default) or the authors' (spiral, circles, gaussian-quantiles)",
    )
    synth.add_argument(
        "--no-bootstrap",
        dest="bootstrap",
        action="store_false",
        help="fit every tree on all samples (default: a bootstrap sample per tree)",
    )
    synth.add_argument("--noise", type=float, default=None, help="noise level (set's default)")
    synth.add_argument(
        "--shuffle-labels", action="store_true", help="permute the labels (a no-structure control)"
    )
    _add_probe_options(synth)

    demo = sub.add_parser(
        "synthetic-demo", help="every synthetic set with true and shuffled labels"
    )
    demo.add_argument(
        "--n", type=int_at_least(2), default=4000, help="samples per set (default: 4000)"
    )
    demo.add_argument(
        "--seed", type=non_negative_int, default=0, help="random seed (default: 0)"
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("synthetic-demo-output"),
        help="output folder (default: synthetic-demo-output)",
    )
    demo.add_argument("--json", action="store_true", help="print the results as JSON")

    table = sub.add_parser(
        "synthetic-table",
        help="Table 1: both generators, both rules, bootstrap on/off, over seeds",
    )
    table.add_argument(
        "--seeds", type=_seed_list, default=(0, 1, 2), help="seeds, e.g. 0,1,2 (default: 0,1,2)"
    )
    table.add_argument(
        "--out",
        dest="table_out",
        type=Path,
        default=Path("book/results/table1.json"),
        help="JSON file; the Markdown table goes beside it as .md "
        "(default: book/results/table1.json)",
    )
    table.add_argument("--json", action="store_true", help="print the result as JSON")

    _add_frame_potential_parser(sub)
    _collapse_cli.add_parser(sub)
    _studies_cli.add_parsers(sub, _add_probe_options)
    _teaching_cli.add_parser(sub)
    return parser


def _seed_list(text: str) -> tuple[int, ...]:
    """``0,1,2``: distinct non-negative seeds."""
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        values = None
    if not values or any(v < 0 for v in values) or len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(
            f"expected distinct non-negative integers like 0,1,2; got {text!r}"
        )
    return values


def _load_npz(path: Path, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_file() and not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            single = fh.read(6) == b"\x93NUMPY"
        if not single:
            raise UserError(
                f"{path}: not a NumPy .npz archive (it is not a zip file); save arrays with "
                f"numpy.savez({str(path)!r}, X=..., y=...)"
            )
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise UserError(f"{path}: not a readable NumPy .npz file ({exc})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise UserError(f"{path}: holds a single array, expected an .npz archive with X and y")
    with archive:
        missing = [k for k in (x_key, y_key) if k not in archive.files]
        if missing:
            raise UserError(
                f"{path}: missing array(s) {', '.join(missing)}; the file holds "
                f"{', '.join(archive.files) or 'no arrays'} (choose others with --x-key/--y-key)"
            )
        try:
            return archive[x_key], archive[y_key]
        except ValueError as exc:
            raise UserError(f"{path}: cannot read arrays ({exc})") from None


def _forest(args: argparse.Namespace, bootstrap: bool = True) -> WaveletForest:
    return WaveletForest(
        n_trees=args.trees,
        max_depth=args.depth,
        max_features=args.max_features,
        norm_weight=args.norm_weight,
        bootstrap=bootstrap,
        random_state=args.seed,
        n_jobs=args.n_jobs,
        builder=args.builder,
    )


def _score(
    X: Any, y: Any, args: argparse.Namespace, source: dict[str, Any], *, bootstrap: bool = True
) -> dict[str, Any]:
    start = time.perf_counter()
    forest = _forest(args, bootstrap).fit(X, y)
    estimate = forest.estimate(rule=args.rule, eps_low=args.eps_low, eps_high=args.eps_high)
    return {
        **source,
        "tau_star": estimate.tau_star,
        "alpha_star": estimate.alpha_star,
        "rule": estimate.rule,
        "eps_low": estimate.eps_low,
        "eps_high": estimate.eps_high,
        "angle_unit": estimate.angle_unit,
        "n_samples": forest.n_samples_fit_,
        "n_features": forest.n_features_in_,
        "n_classes": forest.n_outputs_,
        "n_wavelets": forest.n_wavelets_,
        "n_trees": args.trees,
        "max_depth": args.depth,
        "max_features": args.max_features,
        "norm_weight": args.norm_weight,
        "seed": args.seed,
        "selected_taus": estimate.selected_taus.tolist(),
        "seconds": round(time.perf_counter() - start, 3),
    }


def _print_result(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    print(
        f"tau* = {result['tau_star']:.4f}   alpha* = {result['alpha_star']:.4f}   "
        f"(rule {result['rule']}, eps {result['eps_low']:g}..{result['eps_high']:g} "
        f"{result['angle_unit']})"
    )
    print(
        f"{result['n_samples']} samples x {result['n_features']} features, "
        f"{result['n_classes']} classes, {result['n_wavelets']} wavelets in {result['n_trees']} "
        f"trees of depth <= {result['max_depth']}, norm weight {result['norm_weight']}, "
        f"{result['seconds']:.2f} s"
    )


def _run_synthetic_demo(args: argparse.Namespace) -> dict[str, Any]:
    from tqdm.auto import tqdm

    names = ["spiral", "circles", "gaussian-quantiles", "blocks", "smooth-domain"]
    rows = []
    kept = None
    jobs = [(name, shuffled) for name in names for shuffled in (False, True)]
    for name, shuffled in tqdm(jobs, desc="demo", unit="set", disable=args.json):
        X, y = make_synthetic(name, n_samples=args.n, random_state=args.seed)
        if shuffled:
            y = np.random.default_rng(args.seed).permutation(y)
        forest = WaveletForest(random_state=args.seed).fit(X, y)
        row = {"dataset": name, "shuffled_labels": shuffled, "n_wavelets": forest.n_wavelets_}
        for rule in RULES:
            est = forest.estimate(rule=rule)
            row[f"tau_star_{rule}"] = est.tau_star
            row[f"alpha_star_{rule}"] = est.alpha_star
            if name == "circles" and not shuffled and rule == "paper":
                kept = est
        rows.append(row)
    params = forest.get_params()
    result = {
        "n_samples": args.n,
        "seed": args.seed,
        "n_trees": params["n_trees"],
        "max_depth": params["max_depth"],
        "norm_weight": params["norm_weight"],
        "rows": rows,
    }
    out: Path = args.out
    atomic_write_text(out / "results.json", json.dumps(result, indent=2))
    figure = None
    try:
        import matplotlib

        matplotlib.use("Agg")
        from .plotting import plot_tau_estimate

        fig = plot_tau_estimate(kept, title=f"circles, n = {args.n}, seed {args.seed}")
        figure = atomic_write(out / "figure4-circles.png", lambda tmp: fig.savefig(tmp, dpi=110))
    except ImportError:
        pass
    result["files"] = [str(out / "results.json")] + ([str(figure)] if figure else [])
    return result


def _print_demo(result: dict[str, Any]) -> None:
    print(
        f"Sparsity Probe on the synthetic sets: n = {result['n_samples']}, seed {result['seed']},"
    )
    weight = {"samples": "sample fraction", "volume": "box volume"}[result["norm_weight"]]
    print(f"{result['n_trees']} trees of depth {result['max_depth']}, norm weight = {weight}.\n")
    header = f"{'data set':<20}{'labels':<10}{'wavelets':>9}{'tau* paper':>12}{'alpha*':>8}"
    header += f"{'tau* code':>11}{'alpha*':>8}"
    print(header)
    print("-" * len(header))
    for r in result["rows"]:
        print(
            f"{r['dataset']:<20}{'shuffled' if r['shuffled_labels'] else 'true':<10}"
            f"{r['n_wavelets']:>9}{r['tau_star_paper']:>12.3f}{r['alpha_star_paper']:>8.3f}"
            f"{r['tau_star_public-code']:>11.3f}{r['alpha_star_public-code']:>8.3f}"
        )
    true = {r["dataset"]: r["tau_star_paper"] for r in result["rows"] if not r["shuffled_labels"]}
    rises = [
        r["tau_star_paper"] > true[r["dataset"]] for r in result["rows"] if r["shuffled_labels"]
    ]
    print(
        f"\nShuffling the labels raised tau* (paper rule) on {sum(rises)} of {len(rises)} sets: "
        "without label geometry the function is rougher."
    )
    for path in result["files"]:
        print(f"wrote {path}")


def _run_synthetic(args: argparse.Namespace) -> None:
    n = DEFAULT_N_SAMPLES[args.generator] if args.n is None else args.n
    X, y = make_synthetic(
        args.name, n_samples=n, noise=args.noise, random_state=args.seed, generator=args.generator
    )
    if args.shuffle_labels:
        y = np.random.default_rng(args.seed).permutation(y)
    source = {
        "dataset": args.name,
        "generator": args.generator,
        "bootstrap": args.bootstrap,
        "shuffled_labels": args.shuffle_labels,
    }
    _print_result(_score(X, y, args, source, bootstrap=args.bootstrap), args.json)


def _run_synthetic_table(args: argparse.Namespace) -> None:
    from .studies.table1 import run_table1

    out: Path = args.table_out
    if out.is_dir() or out.suffix != ".json":
        raise UserError(
            f"--out must be a JSON file path ending in .json (e.g. table1.json); got {str(out)!r}"
        )
    check_output_dir(out.parent, option="--out's folder")
    result = run_table1(args.seeds, out=out, progress=not args.json)
    if args.json:
        print(json.dumps(result.to_dict()))
        return
    print(result.markdown())
    print(f"\nwrote {out} and {out.with_suffix('.md')}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sparsity-widgets``; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "out", None) is not None:
            check_output_dir(args.out, option="--out")
        if args.command == "score":
            X, y = _load_npz(args.data, args.x_key, args.y_key)
            result = _score(X, y, args, {"source": str(args.data)})
            _print_result(result, args.json)
        elif args.command == "synthetic":
            _run_synthetic(args)
        elif args.command == "synthetic-table":
            _run_synthetic_table(args)
        elif args.command == "frame-potential":
            _run_frame_potential(args)
        elif args.command == _collapse_cli.COMMAND:
            _collapse_cli.run(args)
        elif args.command in _studies_cli.COMMANDS:
            _studies_cli.run(args)
        elif args.command == _teaching_cli.COMMAND:
            _teaching_cli.run(args)
        else:
            result = _run_synthetic_demo(args)
            if args.json:
                print(json.dumps(result))
            else:
                _print_demo(result)
    except (UserError, ValueError, FileNotFoundError, ImportError, RunFolderInUseError) as exc:
        print(f"sparsity-widgets {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
