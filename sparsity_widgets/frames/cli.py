"""The ``frame-potential`` subcommand: minimum deep frame potential of an architecture.

``sparsity-widgets frame-potential --arch chain|residual|dense --widths 64,64,64 [--json]``
prints the minimum deep frame potential, the chain lower bound (chains only) and the number of
weights. ``--input-shape 3,32,32`` (with ``--width``, ``--blocks``, ``--groups``,
``--filter-size``) does the same for the convolutional network of
:func:`.make_conv_architecture` instead of a fully-connected one. Bad input raises
``ValueError``, which the main command line turns into one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .._cli_args import non_negative_int, positive_int
from .conv_induced import make_conv_architecture
from .induced import ARCHITECTURES, make_architecture, parse_widths

__all__ = ["add_parser", "frame_potential_report", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``frame-potential`` on the main parser's subparsers and return its parser."""
    parser = subparsers.add_parser(
        "frame-potential",
        help="minimum deep frame potential of a chain, residual or dense network",
        description="Minimise the deep frame potential (Murdock & Lucey, CVPR 2020) of a "
        "fully-connected architecture over its weights; no data needed.",
    )
    parser.add_argument("--arch", default="chain", help=f"one of {', '.join(ARCHITECTURES)}")
    parser.add_argument(
        "--widths",
        help="fully-connected: comma-separated widths, input dimension first, e.g. 64,64,64",
    )
    parser.add_argument(
        "--input-shape",
        help="convolutional: channels then grid of the input, e.g. 3,32,32 (CIFAR-10) or 1,40",
    )
    parser.add_argument(
        "--width",
        type=positive_int,
        default=16,
        help="conv: stem channels, or dense growth rate (16)",
    )
    parser.add_argument(
        "--blocks",
        type=positive_int,
        default=2,
        help="conv: residual blocks (dense: layers) per group (2)",
    )
    parser.add_argument(
        "--groups", type=positive_int, default=3, help="conv: resolution levels (3)"
    )
    parser.add_argument(
        "--filter-size", type=positive_int, default=3, help="conv: filter extent (3)"
    )
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of the first start (default 0)"
    )
    # a plain int: minimize_frame_potential checks it (its message names n_restarts)
    parser.add_argument("--restarts", type=int, default=1, help="random starts (default 1)")
    parser.add_argument(
        "--max-iter", type=positive_int, default=500, help="L-BFGS iterations per start"
    )
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def frame_potential_report(
    arch: str,
    widths: Any = None,
    *,
    input_shape: Any = None,
    width: int = 16,
    blocks: int = 2,
    groups: int = 3,
    filter_size: int = 3,
    seed: int = 0,
    restarts: int = 1,
    max_iter: int = 500,
    device: str = "cpu",
) -> dict[str, Any]:
    """Minimise and describe one architecture.

    Parameters
    ----------
    arch : {"chain", "residual", "dense"}
    widths : sequence of int or str, optional
        A fully-connected network's widths, input dimension first.
    input_shape : sequence of int or str, optional
        Instead of ``widths``: a convolutional network on inputs of this shape
        (``(channels, *grid)``), with ``width``, ``blocks``, ``groups`` and ``filter_size`` as in
        :func:`.make_conv_architecture`.

    Returns
    -------
    dict
        ``min_frame_potential``, ``lower_bound`` (None unless a fully-connected chain),
        ``n_parameters``, and the architecture and optimiser details.
    """
    from .bounds import chain_lower_bound
    from .minimize import minimize_frame_potential

    if (widths is None) == (input_shape is None):
        raise ValueError(
            "give exactly one of widths (a fully-connected network, e.g. --widths 64,64,64) and "
            "input_shape (a convolutional one, e.g. --input-shape 3,32,32); got "
            f"widths={widths!r}, input_shape={input_shape!r}."
        )
    if input_shape is not None:
        architecture: Any = make_conv_architecture(
            arch,
            input_shape=parse_widths(input_shape, "input_shape"),
            width=width,
            blocks=blocks,
            groups=groups,
            filter_size=filter_size,
        )
        described = {
            "channels": list(architecture.channels),
            "grids": [list(g) for g in architecture.grids],
            "n_layers": architecture.n_layers,
        }
        bound = None
    else:
        architecture = make_architecture(arch, widths)
        described = {"widths": list(architecture.widths)}
        bound = chain_lower_bound(architecture.widths).frame_potential if arch == "chain" else None
    result = minimize_frame_potential(
        architecture, max_iter=max_iter, n_restarts=restarts, random_state=seed, device=device
    )
    return {
        "arch": arch,
        **described,
        "min_frame_potential": result.value,
        "lower_bound": bound,
        "n_parameters": architecture.n_parameters,
        "n_atoms": architecture.n_atoms,
        "n_rows": architecture.n_rows,
        "n_structural_nonzeros": architecture.n_structural_nonzeros,
        "initial_frame_potential": result.initial_value,
        "iterations": result.n_steps,
        "converged": result.converged,
        "restarts": restarts,
        "seed": seed,
        "device": result.device,
        "seconds": round(result.seconds, 3),
    }


def run(args: argparse.Namespace) -> int:
    """Run ``frame-potential`` for parsed ``args``; prints the result and returns 0."""
    report = frame_potential_report(
        args.arch,
        args.widths,
        input_shape=args.input_shape,
        width=args.width,
        blocks=args.blocks,
        groups=args.groups,
        filter_size=args.filter_size,
        seed=args.seed,
        restarts=args.restarts,
        max_iter=args.max_iter,
        device=args.device,
    )
    if args.json:
        print(json.dumps(report))
        return 0
    bound = report["lower_bound"]
    if "widths" in report:
        name = f"{report['arch']} {','.join(map(str, report['widths']))}"
    else:
        shape = "x".join(map(str, report["channels"][:1] + report["grids"][0]))
        name = (
            f"conv {report['arch']} on {shape}, {report['n_layers']} layers, "
            f"channels {','.join(map(str, report['channels'][1:]))}"
        )
    print(f"{name}: min deep frame potential = {report['min_frame_potential']:.6g}")
    print(
        "chain lower bound = "
        + (f"{bound:.6g}" if bound is not None else "n/a (only derived for fully-connected chains)")
    )
    print(
        f"{report['n_parameters']} weights, dictionary {report['n_rows']} x {report['n_atoms']}, "
        f"N(G) = {report['n_structural_nonzeros']}, {report['iterations']} L-BFGS iterations "
        f"({'converged' if report['converged'] else 'iteration limit'}), "
        f"{report['seconds']:.2f} s"
    )
    return 0
