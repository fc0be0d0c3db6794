"""The command-line options of a grid: ``--backend``, ``--scheduler``, ``--workers``,
``--threads``, ``--gpus`` (used by ``study``, ``probe --seeds`` and the frame-potential study).
"""

from __future__ import annotations

import argparse
from typing import Any

from .._cli_args import non_negative_int, positive_int
from .backends import BACKENDS, check_backend

__all__ = ["add_grid_arguments", "grid_options"]


def add_grid_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--backend B [--scheduler ADDR] [--workers N] [--threads N] [--gpus N]``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    what : str
        What the cells are, for the help (e.g. ``"seeds of --model"``).
    """

    group = parser.add_argument_group(
        f"running the {what} (sparsity_widgets.grid; finished ones are skipped on a rerun)"
    )
    group.add_argument(
        "--backend",
        choices=BACKENDS,
        default="sequential",
        help="sequential (default: one after another here), loky (local processes) or dask "
        "(a Dask cluster: --scheduler ADDRESS, else a local one)",
    )
    group.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --backend dask: join the running scheduler at ADDRESS (tcp://host:8786) "
        "instead of starting a local cluster",
    )
    group.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="with loky or dask: N at once (default: the cores here, or every thread of the "
        "joined cluster)",
    )
    group.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        metavar="N",
        help="numba and torch threads of each (default: cores // workers with loky and dask; "
        "unchanged with sequential). Training always uses one torch thread, so every backend "
        "gives the same results",
    )
    group.add_argument(
        "--gpus",
        type=non_negative_int,
        default=0,
        metavar="N",
        help=f"spread the {what} over N GPUs, one at a time on each (cuda:0 .. cuda:N-1)",
    )


def grid_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`~.runner.run_grid` from the options of
    :func:`add_grid_arguments`, checked (a ``ValueError`` naming the option)."""
    check_backend(args.backend, args.workers, args.scheduler, args.threads)
    return {
        "backend": args.backend,
        "workers": args.workers,
        "scheduler": args.scheduler,
        "threads": args.threads,
        "gpus": args.gpus,
    }
