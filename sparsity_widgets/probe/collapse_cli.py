"""The ``collapse`` subcommand: neural collapse and NCC mismatch per layer of a checkpoint.

``sparsity-widgets collapse --checkpoint RUN/checkpoints/epoch_XXXX.pt [--layers a,b]
[--n-samples N] [--batch-size 256] [--device cpu] [--json] [--out DIR]`` loads the checkpoint
and its data set (train and test, as the training run recorded them), runs
:func:`~sparsity_widgets.probe.collapse.probe_collapse` and prints a table per layer (or one
JSON object with ``--json``); ``--out DIR`` also writes ``DIR/collapse.json``.

Over training: ``--checkpoint A.pt B.pt ...`` (several files of one run) or ``--run RUN_DIR``
(all of the run's checkpoints, even just one) runs
:func:`~sparsity_widgets.probe.collapse_epochs.probe_collapse_checkpoints` and prints a compact
table: per layer, Lambda on train and test and NC1 at the interpolation threshold and at the
end, and the slides' two claims; ``--json`` and ``--out`` then carry
:meth:`CollapseOverTraining.to_dict`. One ``--checkpoint`` file behaves as before.

Importing this module imports no torch (the run function does). Bad input raises
``ValueError`` or ``FileNotFoundError``, which the main command line turns into one line on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .._cli_args import int_at_least, positive_int

__all__ = ["COMMAND", "add_parser", "collapse_report", "run"]

COMMAND = "collapse"
"""The subcommand's name."""

RESULT_FILE = "collapse.json"
"""What ``--out`` receives."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``collapse`` on the main parser's subparsers and return its parser."""
    parser = subparsers.add_parser(
        COMMAND,
        help="neural collapse (NC1, CDNV, NC2-NC4) and NCC mismatch per layer of a checkpoint",
        description="Neural collapse and the nearest-class-center mismatch Lambda of every "
        "chosen layer of a trained checkpoint, on its own train and test sets (class means "
        "from the train set).",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--checkpoint",
        type=Path,
        nargs="+",
        help="checkpoint file(s), e.g. RUN/checkpoints/epoch_0020.pt; several files of one run "
        "give the metrics over training, at the interpolation threshold and at the end",
    )
    which.add_argument(
        "--run",
        type=Path,
        default=None,
        help="a run folder: all of its checkpoints, as several --checkpoint files",
    )
    parser.add_argument(
        "--layers", default=None, help="comma-separated layer names (default: the probe points)"
    )
    parser.add_argument(
        "--n-samples",
        type=int_at_least(2),
        default=None,
        help="a seeded subset of at most N samples of each split (default: all)",
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=256, help="samples per forward pass (256)"
    )
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--out", type=Path, default=None, help=f"also write {RESULT_FILE} into this folder"
    )
    return parser


def _parse_layers(text: str | None) -> list[str] | None:
    if text is None:
        return None
    layers = [part.strip() for part in text.split(",") if part.strip()]
    if not layers:
        raise ValueError(
            f"--layers must name at least one layer, e.g. hidden.0,hidden.1; got {text!r}"
        )
    return layers


def collapse_report(
    checkpoint: str | Path,
    *,
    layers: list[str] | None = None,
    n_samples: int | None = None,
    batch_size: int = 256,
    device: str = "cpu",
    progress: bool = False,
) -> Any:
    """Load a checkpoint and its data set and probe the collapse of its layers.

    Parameters
    ----------
    checkpoint : path-like
        A file written by :func:`sparsity_widgets.training.train`.
    layers : list of str, optional
        Dotted layer names; default the model's probe points and the input.
    n_samples : int, optional
        Use a seeded subset (``numpy.random.default_rng(0)``, sorted) of at most this many
        samples of each split; all by default.
    batch_size, device, progress
        As in :func:`~sparsity_widgets.probe.collapse.probe_collapse`.

    Returns
    -------
    CollapseProbe
        With ``source`` the checkpoint path and ``epoch`` its epoch.

    Raises
    ------
    FileNotFoundError
        When ``checkpoint`` is not a file.
    ValueError
        A damaged checkpoint, a wrong layer name, a subset missing a class, ...
    """
    from ..datasets import load_dataset
    from ..training import load_checkpoint
    from .collapse import probe_collapse
    from .collapse_epochs import _subset

    path = Path(checkpoint)
    if not path.is_file():
        raise FileNotFoundError(
            f"--checkpoint {path}: no such file; pass a checkpoint written by "
            "'sparsity-widgets train', e.g. RUN/checkpoints/epoch_0020.pt"
        )
    try:
        model, config, info = load_checkpoint(path)
    except ValueError as exc:  # a damaged file: torch's reason may span several lines
        raise ValueError(" ".join(str(exc).split())) from None
    splits = load_dataset(config.dataset, **config.dataset_options)
    train, test = _subset(splits.train, n_samples), _subset(splits.test, n_samples)
    return probe_collapse(
        model,
        train,
        layers=layers,
        test_data=test,
        batch_size=batch_size,
        device=device,
        progress=progress,
        source=str(path),
        epoch=info["epoch"],
    )


def run(args: argparse.Namespace) -> None:
    """Run ``collapse`` from parsed arguments: print the table or JSON, write ``--out``."""

    if args.run is not None or len(args.checkpoint) > 1:
        _run_over_training(args)
        return
    result = collapse_report(
        args.checkpoint[0],
        layers=_parse_layers(args.layers),
        n_samples=args.n_samples,
        batch_size=args.batch_size,
        device=args.device,
        progress=not args.json,
    )
    epoch = "" if result.epoch is None else f" (epoch {result.epoch})"
    _report(result, f"neural collapse of {result.source}{epoch}", args)


def _report(result: Any, heading: str, args: argparse.Namespace) -> None:
    """Write ``--out DIR/collapse.json``, then print the JSON or ``heading`` and the table."""
    from .._io import atomic_write_text

    data = result.to_dict()
    written = None
    if args.out is not None:
        written = atomic_write_text(args.out / RESULT_FILE, json.dumps(data, indent=2))
    if args.json:
        print(json.dumps(data))
        return
    print(heading)
    print(result.format_table())
    if written is not None:
        print(f"wrote {written}")


def _run_over_training(args: argparse.Namespace) -> None:
    """``--run RUN`` or several ``--checkpoint`` files: the metrics over training."""
    from ..training import list_checkpoints
    from .collapse_epochs import probe_collapse_checkpoints

    if args.run is not None:
        checkpoints = list_checkpoints(args.run)
        if not checkpoints:
            raise FileNotFoundError(
                f"--run {args.run}: no checkpoints (expected checkpoints/epoch_XXXX.pt files "
                "written by 'sparsity-widgets train')"
            )
    else:
        checkpoints = list(args.checkpoint)
    try:
        result = probe_collapse_checkpoints(
            checkpoints,
            layers=_parse_layers(args.layers),
            batch_size=args.batch_size,
            device=args.device,
            n_samples=args.n_samples,
            progress=not args.json,
        )
    except ValueError as exc:  # a damaged file: torch's reason may span several lines
        raise ValueError(" ".join(str(exc).split())) from None
    where = args.run if args.run is not None else f"{len(checkpoints)} checkpoints"
    _report(
        result, f"neural collapse over training of {where} (epochs {list(result.epochs)})", args
    )
