"""Command-line subcommands for real networks: ``train``, ``probe``, ``study`` and ``demo``.

Importing this module imports neither torch nor matplotlib; the run functions do, so the
rest of the command line works with the core install. :func:`run` holds the lock of ``--out``
(:mod:`sparsity_widgets._run_lock`) while a command writes there: a second command into the
same folder fails at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._cli_args import n_jobs, non_negative_int, positive_int
from .._run_lock import hold_run_folder
from ..grid.cli_args import add_grid_arguments, grid_options

__all__ = ["COMMANDS", "add_parsers", "run"]

COMMANDS = ("train", "probe", "study", "demo")


def _option(text: str) -> tuple[str, Any]:
    """``key=value``: a JSON value (``channels=16``, ``strides=[1,1,1,5,1,1,1]``) or a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. channels=16); got {text!r}")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    if isinstance(parsed, list):
        parsed = tuple(parsed)
    return key.strip().replace("-", "_"), parsed


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        values = None
    if values is None or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(
            f"expected non-negative integers like 0,1,2; got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


_SVSL_FORM = "LAYER=WEIGHT[,LAYER=WEIGHT...] with distinct layers and weights > 0"


def _svsl_layers(text: str) -> tuple[tuple[str, float], ...]:
    """``hidden.0=0.01,hidden.1=0.1``: SVSL layers and their weights alpha_j."""
    pairs: list[tuple[str, float]] = []
    for item in text.split(","):
        layer, sep, weight = (part.strip() for part in item.partition("="))
        try:
            alpha = float(weight)
        except ValueError:
            alpha = float("nan")
        if not sep or not layer or not alpha > 0 or alpha == float("inf"):
            raise argparse.ArgumentTypeError(
                f"expected {_SVSL_FORM} (e.g. hidden.0=0.01,hidden.1=0.1); got {text!r}"
            )
        if layer in dict(pairs):
            raise argparse.ArgumentTypeError(
                f"expected {_SVSL_FORM}; got {text!r}, which names {layer!r} twice"
            )
        pairs.append((layer, alpha))
    return tuple(pairs)


def _names(what: str) -> tuple[str, ...]:
    if what == "models":
        from ..models import MODELS  # needs torch

        return MODELS
    from ..datasets import DATASETS

    return DATASETS


class _ListNames(argparse.Action):
    """``--list-models`` / ``--list-datasets``: print the names, one a line, and exit 0."""

    def __init__(self, option_strings: list[str], dest: str, what: str, help: str) -> None:
        super().__init__(
            option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, help=help
        )
        self.what = what

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        try:
            names = _names(self.what)
        except ImportError as exc:
            parser.error(f"{option_string}: {exc}")
        print("\n".join(names))
        parser.exit()


def _add_model_and_data(parser: argparse.ArgumentParser, *, required: bool) -> None:
    group = parser.add_argument_group("model and data")
    group.add_argument("--model", required=required, help="model name (see --list-models)")
    group.add_argument(
        "--list-models", action=_ListNames, what="models", help="print the model names and exit"
    )
    group.add_argument(
        "--option",
        type=_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="model option, repeatable (e.g. --option activation=gelu --option channels=16)",
    )
    group.add_argument(
        "--dataset", default="mnist1d", help="data set name (default: mnist1d; see --list-datasets)"
    )
    group.add_argument(
        "--list-datasets",
        action=_ListNames,
        what="datasets",
        help="print the data set names and exit",
    )
    group.add_argument("--root", type=Path, default=None, help="folder of image data sets")
    group.add_argument(
        "--download", action="store_true", help="download image data sets into --root (online)"
    )
    group.add_argument(
        "--n-train", type=positive_int, default=None, help="subsample the training set"
    )
    group.add_argument("--n-test", type=positive_int, default=None, help="subsample the test set")
    group.add_argument("--fourier", action="store_true", help="use |FFT| magnitudes of the inputs")
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=positive_int, default=20, help="epochs (default: 20)")
    group.add_argument(
        "--batch-size", type=positive_int, default=64, help="batch size (default: 64)"
    )
    group.add_argument("--lr", type=float, default=1e-3, help="learning rate (default: 1e-3)")
    group.add_argument("--optimizer", default="adam", help="adam (default) or sgd")
    group.add_argument("--weight-decay", type=float, default=0.0, help="weight decay")
    group.add_argument(
        "--checkpoint-every",
        type=positive_int,
        default=1,
        help="checkpoint every k epochs (default: 1)",
    )
    group.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    group.add_argument(
        "--svsl",
        type=_svsl_layers,
        default=None,
        metavar="LAYER=WEIGHT[,...]",
        help="add the SVSL loss sum_j alpha_j ||g^j(x_i) - mu^j_{c,B}||^2 on these layers with "
        "these weights (e.g. hidden.0=0.01,hidden.1=0.1; names as sparsity_widgets.probe."
        "list_layers(model) gives them)",
    )
    group.add_argument(
        "--svsl-detach",
        action="store_true",
        help="with --svsl: treat the batch class means as constants in the gradient",
    )
    group.add_argument(
        "--no-resume",
        action="store_true",
        help="start over in the run folder, deleting its checkpoints (default: continue a "
        "stopped run with the same configuration)",
    )


def _add_baseline_options(parser: argparse.ArgumentParser) -> None:
    """``--baseline KIND [--baseline-repeats R] [--baseline-width K]`` of ``probe``."""
    from ..probe.baseline import BASELINES, DEFAULT_REPEATS

    group = parser.add_argument_group("controlled score (sparsity_widgets.probe.baseline)")
    group.add_argument(
        "--baseline",
        choices=BASELINES,
        default=None,
        help="also score every layer with a control: alpha* averaged over random rotations, "
        "minus alpha* with permuted labels, or both (default: none)",
    )
    group.add_argument(
        "--baseline-repeats",
        type=positive_int,
        default=None,
        metavar="R",
        help=f"rotations / permutations per layer (default: {DEFAULT_REPEATS})",
    )
    group.add_argument(
        "--baseline-width",
        type=positive_int,
        default=None,
        metavar="K",
        help="score every layer rotated into K columns (at least the widest layer's scored "
        "width, so that the widths compare); default: each layer's own width",
    )


def add_parsers(sub: Any, add_probe_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the four subcommands to the ``sparsity-widgets`` parser.

    Parameters
    ----------
    sub : argparse subparsers action
    add_probe_options : callable
        Adds the forest and estimator options shared with ``score`` (``--trees``, ``--rule``,
        ``--seed`` of the forest, ...).
    """
    train = sub.add_parser("train", help="train a model with checkpoints (resumes when stopped)")
    _add_model_and_data(train, required=True)
    train.add_argument(
        "--seed", type=non_negative_int, default=0, help="training seed (default: 0)"
    )
    train.add_argument("--out", type=Path, required=True, help="run folder")
    train.add_argument("--json", action="store_true", help="print the history as JSON")

    probe = sub.add_parser(
        "probe", help="alpha* per layer of checkpoints, or of freshly trained seeds of a model"
    )
    probe.add_argument(
        "--checkpoint", type=Path, nargs="+", default=None, help="checkpoint file(s), one per seed"
    )
    _add_model_and_data(probe, required=False)
    probe.add_argument(
        "--seeds", type=_int_list, default=(0,), help="training seeds with --model (default: 0)"
    )
    probe.add_argument("--layers", default=None, help="comma-separated layer names (default: all)")
    probe.add_argument(
        "--n-samples", type=positive_int, default=None, help="probe a subset of the train set"
    )
    probe.add_argument(
        "--max-width", type=positive_int, default=2500, help="reduce wider layers"
    )
    probe.add_argument(
        "--reduction",
        default="sparse",
        help="sparse (default: sparse random projection), gaussian, svd, pca-gram, none",
    )
    probe.add_argument("--clustering", action="store_true", help="k-means clustering indices")
    probe.add_argument("--linear-probe", action="store_true", help="linear-probe accuracy")
    probe.add_argument(
        "--umap", type=non_negative_int, default=0, metavar="N", help="UMAP pictures, N points"
    )
    probe.add_argument("--label", default=None, help="legend label")
    probe.add_argument("--out", type=Path, default=Path("probe-output"), help="output folder")
    _add_baseline_options(probe)
    add_grid_arguments(probe, "seeds of --model (train and probe)")
    add_probe_options(probe)

    from .mnist1d import SETTINGS, STUDIES
    from .networks import NETWORK_STUDIES

    study = sub.add_parser(
        "study",
        help="the MNIST-1D studies of the paper's Sec. 5, the slides' NCC study, and the "
        "estimator's sensitivity",
    )
    study.add_argument(
        "name",
        choices=[
            *STUDIES,
            "all",
            "width-reduction",
            "collapse",
            "invariance",
            *NETWORK_STUDIES,
        ],
        help="which study (all: the five MNIST-1D studies; good-bad, vgg-depth, "
        "phase-retrieval: the paper's Sec. 4.2 on image networks; width-reduction: time and alpha* "
        "change of each width reduction against the full width; collapse: NCC mismatch, NC1 "
        "and alpha* per layer, vanilla against SVSL training; invariance: how far alpha* moves "
        "under rotations, embeddings, n and the forest's settings)",
    )
    study.add_argument("--setting", choices=sorted(SETTINGS), default="quick")
    study.add_argument("--seeds", type=_int_list, default=None, help="default: 0,1,2")
    study.add_argument("--out", type=Path, default=Path("studies-output"), help="output folder")
    study.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    study.add_argument(
        "--n-jobs", type=n_jobs, default=None, help="parallel tree fits, -1 for all cores"
    )
    study.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the image data sets in their official formats (--setting full of "
        "collapse: MNIST, Fashion-MNIST, CIFAR-10, STL-10; of good-bad: Fashion-MNIST; of "
        "vgg-depth: CIFAR-10; of phase-retrieval: MNIST)",
    )
    _add_baseline_options(study)
    add_grid_arguments(study, "(variant, seed) cells of the MNIST-1D studies")

    demo = sub.add_parser(
        "demo", help="the embedded default: train and probe MNIST-1D CNNs on the CPU"
    )
    demo.add_argument("--epochs", type=positive_int, default=10, help="epochs (default: 10)")
    demo.add_argument(
        "--seeds",
        type=_int_list,
        default=(0, 1, 2),
        help="training seeds; the report gives mean ± std over them (default: 0,1,2)",
    )
    demo.add_argument("--out", type=Path, default=Path("demo-output"), help="output folder")
    demo.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    demo.add_argument("--n-jobs", type=n_jobs, default=None, help="parallel tree fits")
    demo.add_argument("--json", action="store_true", help="print the result as JSON")


def _train_config(args: argparse.Namespace, seed: int) -> Any:
    from ..training import TrainConfig

    dataset_options = {
        key: value
        for key, value in (
            ("root", None if args.root is None else str(args.root)),
            ("download", args.download or None),
            ("n_train", args.n_train),
            ("n_test", args.n_test),
            ("fourier", args.fourier or None),
        )
        if value is not None
    }
    if args.svsl is None and args.svsl_detach:
        raise ValueError("--svsl-detach needs --svsl LAYER=WEIGHT[,...] (the SVSL layers)")
    svsl = None
    if args.svsl is not None:
        svsl = {
            "layers": [layer for layer, _ in args.svsl],
            "weights": [alpha for _, alpha in args.svsl],
            "detach_means": bool(args.svsl_detach),
        }
    return TrainConfig(
        model=args.model,
        model_options=dict(args.option),
        dataset=args.dataset,
        dataset_options=dataset_options,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        weight_decay=args.weight_decay,
        seed=seed,
        device=args.device,
        checkpoint_every=args.checkpoint_every,
        svsl=svsl,
    )


def _run_train(args: argparse.Namespace) -> None:
    from ..training import train

    run = train(_train_config(args, args.seed), args.out, resume=not args.no_resume)
    history = run.history
    if args.json:
        print(json.dumps({"out_dir": str(run.out_dir), "history": history.to_dict()}))
        return
    print(f"{'epoch':>5}  {'loss':>8}  {'train acc':>9}  {'test acc':>8}")
    for i, epoch in enumerate(history.epochs):
        print(
            f"{epoch:>5}  {history.train_loss[i]:>8.4f}  {history.train_accuracy[i]:>9.3f}  "
            f"{history.test_accuracy[i]:>8.3f}"
        )
    print(f"checkpoints in {run.out_dir / 'checkpoints'}")


def _baseline_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The ``baseline*`` fields of ProbeSettings from ``--baseline*`` (none without it)."""
    given = {
        "baseline_repeats": args.baseline_repeats,
        "baseline_width": args.baseline_width,
    }
    given = {key: value for key, value in given.items() if value is not None}
    if args.baseline is None:
        if given:
            options = ", ".join("--" + key.replace("_", "-") for key in given)
            verb = "needs" if len(given) == 1 else "need"
            raise ValueError(f"{options} {verb} --baseline KIND (the control to compute)")
        return {}
    return {"baseline": args.baseline, **given}


def _probe_settings(args: argparse.Namespace) -> Any:
    from ..probe import ProbeSettings

    return ProbeSettings(
        **_baseline_settings(args),
        n_trees=args.trees,
        max_depth=args.depth,
        max_features=args.max_features,
        norm_weight=args.norm_weight,
        rule=args.rule,
        eps_low=args.eps_low,
        eps_high=args.eps_high,
        max_width=args.max_width,
        reduction=args.reduction,
        clustering=args.clustering,
        linear_probe=args.linear_probe,
        umap_samples=args.umap,
        random_state=args.seed,
        n_jobs=args.n_jobs,
        builder=args.builder,
    )


def _save_pictures(result: Any, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .._io import atomic_write
    from ..probe.plots import plot_alpha_per_layer, plot_layer_umap

    ax = plot_alpha_per_layer(result, title=f"{result.label} on {result.dataset}")
    fig = ax.figure
    files = [atomic_write(out / "alpha-per-layer.png", lambda t: fig.savefig(t, dpi=120))]
    plt.close(fig)
    layers = [layer for layer in result.runs[0].layers if layer.umap is not None]
    if layers:
        cols = min(4, len(layers))
        rows = -(-len(layers) // cols)
        fig, axes = plt.subplots(
            rows, cols, figsize=(3.2 * cols, 3.1 * rows), layout="constrained", squeeze=False
        )
        for ax, layer in zip(axes.flat, layers, strict=False):
            plot_layer_umap(layer, ax)
        for ax in list(axes.flat)[len(layers) :]:
            ax.set_axis_off()
        fig.suptitle(f"UMAP of the layers, seed {result.runs[0].seed}")
        files.append(atomic_write(out / "umap.png", lambda t: fig.savefig(t, dpi=110)))
        plt.close(fig)
    return files


def train_and_probe_seed(
    config: dict[str, Any],
    layers: list[str] | None,
    probe: dict[str, Any],
    label: str | None,
    n_samples: int | None,
    train_threads: int = 1,
    *,
    run_dir: str,
    device: str = "auto",
    resume: bool = True,
) -> dict[str, Any]:
    """One grid cell of ``probe --model ... --seeds``: train one seed, probe its last checkpoint.

    Parameters
    ----------
    config : dict
        ``TrainConfig.to_dict()`` of the seed, its ``device`` None.
    layers, label, n_samples
        As in :func:`~sparsity_widgets.probe.probe_checkpoints`.
    probe : dict
        ``ProbeSettings.to_dict()``.
    train_threads : int, default=1
        torch threads while training (:data:`sparsity_widgets.grid.TRAIN_THREADS`).
    run_dir : str
        The seed's run folder (``OUT/runs/seed_<seed>``).
    device : str, default="auto"
    resume : bool, default=True
        Continue a stopped run (False: start over).

    Returns
    -------
    dict
        ``ProbeResult.to_dict()`` of this seed alone.
    """
    from ..grid import select_gpu, training_threads
    from ..probe import ProbeSettings, probe_checkpoints
    from ..training import TrainConfig, train

    device = select_gpu(device)  # "cuda:K" of a grid over several GPUs
    with training_threads(train_threads):
        run = train(TrainConfig.from_dict({**config, "device": device}), run_dir, resume=resume)
    result = probe_checkpoints(
        [run.checkpoints[-1]],
        layers=layers,
        settings=ProbeSettings.from_dict(probe),
        label=label,
        n_samples=n_samples,
        device=device,
        progress=False,
    )
    return result.to_dict()


def _probe_seeds(args: argparse.Namespace, settings: Any, layers: list[str] | None) -> Any:
    """Train and probe every seed of ``--seeds`` as cells of a grid; one ProbeResult."""
    from ..grid import TRAIN_THREADS, Cell, cell_path, error_path, run_grid
    from ..probe import ProbeResult

    grid = grid_options(args)
    cells = [
        Cell(
            train_and_probe_seed,
            {
                "config": _train_config(args, seed).to_dict() | {"device": None},
                "layers": layers,
                "probe": settings.to_dict(),
                "label": args.label,
                "n_samples": args.n_samples,
                "train_threads": TRAIN_THREADS,
            },
            {
                "run_dir": str(args.out / "runs" / f"seed_{seed}"),
                "device": args.device,
                "resume": not args.no_resume,
            },
        )
        for seed in args.seeds
    ]
    if args.no_resume:  # start over: the cells too
        for cell in cells:
            cell_path(args.out, cell).unlink(missing_ok=True)
            error_path(args.out, cell).unlink(missing_ok=True)
    parts = [
        ProbeResult.from_dict(reply, source=cell_path(args.out, cell))
        for reply, cell in zip(
            run_grid(cells, args.out, desc="probe seeds", **grid), cells, strict=True
        )
    ]
    samples = [part.settings["n_samples"] for part in parts]
    first = parts[0]
    return ProbeResult(
        label=first.label,
        model=first.model,
        dataset=first.dataset,
        settings={**first.settings, "n_samples": samples[0] if len(set(samples)) == 1 else samples},
        runs=[run for part in parts for run in part.runs],
    )


def _run_probe(args: argparse.Namespace) -> None:
    from ..probe import probe_checkpoints

    settings = _probe_settings(args)  # bad settings fail before any training
    if (args.checkpoint is None) == (args.model is None):
        raise ValueError(
            "probe needs either --checkpoint FILE [FILE ...] or --model NAME (trained here "
            "for each of --seeds); got " + ("both." if args.checkpoint else "neither.")
        )
    layers = None if args.layers is None else [s.strip() for s in args.layers.split(",") if s]
    if args.checkpoint is not None:
        if args.backend != "sequential" or args.scheduler is not None or args.gpus:
            raise ValueError(
                "--backend, --scheduler and --gpus apply to --model NAME --seeds (trained and "
                "probed as a grid); got --checkpoint, which probes here."
            )
        missing = [str(p) for p in args.checkpoint if not p.is_file()]
        if missing:
            raise ValueError(f"checkpoint file(s) not found: {', '.join(missing)}")
        result = probe_checkpoints(
            list(args.checkpoint),
            layers=layers,
            settings=settings,
            label=args.label,
            n_samples=args.n_samples,
            device=args.device,
        )
    else:
        result = _probe_seeds(args, settings, layers)
    files = [result.to_json(args.out / "result.json")]
    try:
        files += _save_pictures(result, args.out)
    except ImportError:  # pragma: no cover - matplotlib is in the [plot] extra
        pass
    if args.json:
        print(json.dumps({"files": [str(f) for f in files], **result.to_dict()}))
        return
    print(result.format_table())
    for path in files:
        print(f"wrote {path}")


def _run_study(args: argparse.Namespace) -> None:
    from ..probe import ProbeSettings
    from .mnist1d import STUDIES, run_study
    from .networks import NETWORK_STUDIES

    baseline = _baseline_settings(args)
    grid = grid_options(args)
    if args.name == "width-reduction" and args.gpus:
        raise ValueError(
            "--gpus does not apply to study 'width-reduction', which trains its two models "
            f"before the grid and scores layers on the CPU; got --gpus {args.gpus}."
        )
    if baseline and args.name not in (*STUDIES, "all", *NETWORK_STUDIES):
        raise ValueError(
            "--baseline applies to the MNIST-1D studies (" + ", ".join(STUDIES) + ", all) and to "
            + ", ".join(NETWORK_STUDIES)
            + "; "
            f"got study {args.name!r}."
        )
    if args.name == "invariance":
        from .invariance import run_invariance_cli

        return run_invariance_cli(args)
    if args.name == "collapse":
        from .collapse_study import run_collapse_study

        result = run_collapse_study(
            args.setting,
            seeds=args.seeds,
            out_dir=args.out,
            data_dir=args.data_dir,
            probe_settings=ProbeSettings(n_jobs=args.n_jobs),
            device=args.device,
            **grid,
        )
        print(result.markdown())
        print(f"\nwrote {args.out / f'collapse-{result.setting}.json'}, .md and .png")
        return
    if args.name in NETWORK_STUDIES:
        from .networks import run_network_study

        result = run_network_study(
            args.name,
            setting=args.setting,
            seeds=args.seeds,
            out_dir=args.out,
            data_dir=args.data_dir,
            probe_settings=ProbeSettings(n_jobs=args.n_jobs, **baseline),
            device=args.device,
            **grid,
        )
        print(result.markdown_table())
        print(
            f"wrote {args.out / (args.name + '.json')}, .md and .png, and the paper's tables and "
            f"figures beside them"
        )
        return
    if args.data_dir is not None:
        raise ValueError(
            "--data-dir applies to the studies collapse, "
            + ", ".join(NETWORK_STUDIES)
            + f" only; got study {args.name!r}."
        )
    if args.name == "width-reduction":
        from .width_reduction import run_width_study

        grid.pop("gpus")
        result = run_width_study(args.setting, out_dir=args.out, **grid)
        print(result.markdown_table())
        print(f"\nwrote {args.out / 'width-reduction.json'}")
        return
    names = STUDIES if args.name == "all" else (args.name,)
    for name in names:
        result = run_study(
            name,
            setting=args.setting,
            seeds=args.seeds,
            out_dir=args.out,
            probe_settings=ProbeSettings(n_jobs=args.n_jobs, **baseline),
            device=args.device,
            **grid,
        )
        print(f"\n## {name} ({args.setting} setting)\n")
        print(result.markdown_table())
        print(f"\nwrote {args.out / (name + '.json')}, .md and .png")


def _run_demo(args: argparse.Namespace) -> None:
    from .demo import format_demo, run_demo

    result = run_demo(
        out_dir=args.out,
        epochs=args.epochs,
        seeds=args.seeds,
        device=args.device,
        n_jobs=args.n_jobs,
        progress=not args.json,
    )
    if args.json:
        print(json.dumps(result.to_dict()))
        return
    print(format_demo(result))
    for suffix in ("json", "md", "png"):
        print(f"wrote {args.out / ('demo.' + suffix)}")


def run(args: argparse.Namespace) -> None:
    """Run one of :data:`COMMANDS`, holding the lock of its ``--out`` folder.

    Raises
    ------
    RunFolderInUseError
        At once, when another run holds ``--out``.
    SystemExit
        With status 1 when cells of a grid failed (each one's parameters are printed on
        stderr; the others are saved and a rerun runs only the missing ones).
    """
    from ..grid import GridError

    with hold_run_folder(args.out, option="--out"):
        try:
            {"train": _run_train, "probe": _run_probe, "study": _run_study, "demo": _run_demo}[
                args.command
            ](args)
        except GridError as exc:  # some cells failed, the others are saved: exit status 1
            print(f"sparsity-widgets {args.command}: {exc}", file=sys.stderr)
            raise SystemExit(1) from None
