"""The ``frame-potential`` subcommand: minimum deep frame potential of an architecture.

``sparsity-widgets frame-potential --arch chain|residual|dense --widths 64,64,64 [--json]``
prints the minimum deep frame potential, the chain lower bound (chains only) and the number of
weights. Bad input raises ``ValueError``, which the main command line turns into one line on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .induced import ARCHITECTURES, make_architecture

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
        required=True,
        help="comma-separated widths: input dimension, then each layer, e.g. 64,64,64",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the first start (default 0)")
    parser.add_argument("--restarts", type=int, default=1, help="random starts (default 1)")
    parser.add_argument("--max-iter", type=int, default=500, help="L-BFGS iterations per start")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def frame_potential_report(
    arch: str,
    widths: Any,
    *,
    seed: int = 0,
    restarts: int = 1,
    max_iter: int = 500,
    device: str = "cpu",
) -> dict[str, Any]:
    """Minimise and describe one architecture.

    Returns
    -------
    dict
        ``min_frame_potential``, ``lower_bound`` (None unless ``arch == "chain"``),
        ``n_parameters``, and the architecture and optimiser details.
    """
    from .bounds import chain_lower_bound
    from .minimize import minimize_frame_potential

    architecture = make_architecture(arch, widths)
    result = minimize_frame_potential(
        architecture, max_iter=max_iter, n_restarts=restarts, random_state=seed, device=device
    )
    bound = chain_lower_bound(architecture.widths).frame_potential if arch == "chain" else None
    return {
        "arch": arch,
        "widths": list(architecture.widths),
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
        seed=args.seed,
        restarts=args.restarts,
        max_iter=args.max_iter,
        device=args.device,
    )
    if args.json:
        print(json.dumps(report))
        return 0
    bound = report["lower_bound"]
    print(
        f"{report['arch']} {','.join(map(str, report['widths']))}: "
        f"min deep frame potential = {report['min_frame_potential']:.6g}"
    )
    print(
        "chain lower bound = "
        + (f"{bound:.6g}" if bound is not None else "n/a (only derived for chains)")
    )
    print(
        f"{report['n_parameters']} weights, dictionary {report['n_rows']} x {report['n_atoms']}, "
        f"N(G) = {report['n_structural_nonzeros']}, {report['iterations']} L-BFGS iterations "
        f"({'converged' if report['converged'] else 'iteration limit'}), "
        f"{report['seconds']:.2f} s"
    )
    return 0
