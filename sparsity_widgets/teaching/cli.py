"""``sparsity-widgets assignment build``: student and instructor notebooks from the book.

Registered by :mod:`sparsity_widgets.cli` like the other sub-command modules
(:func:`add_parser`, :data:`COMMAND`, :func:`run`); the builder itself
(:mod:`sparsity_widgets.teaching.assignment`, which needs jupytext) is imported only when the
command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["COMMAND", "add_parser", "run"]

COMMAND = "assignment"


def add_parser(sub: Any) -> None:
    """Add ``assignment build`` to the ``sparsity-widgets`` parser.

    Parameters
    ----------
    sub : argparse subparsers action
    """
    assignment = sub.add_parser(
        COMMAND, help="student and instructor notebooks from the book's chapters"
    )
    actions = assignment.add_subparsers(
        dest="assignment_command", metavar="build", required=True
    )
    build = actions.add_parser(
        "build",
        help="write CHAPTER-student.ipynb and CHAPTER-instructor.ipynb into --out",
        description=(
            "Write a chapter's student notebook (solutions and hidden tests removed, stubs and "
            "check cells kept) and instructor notebook (everything), with the saved results "
            "the chapter reads, into --out."
        ),
    )
    build.add_argument(
        "chapter",
        help="a chapter's MyST file (book/ch04_tau_sparsity.md), a page name of _toc.yml "
        "(ch04_tau_sparsity), or all (every page with exercises)",
    )
    build.add_argument("--out", type=Path, required=True, help="output folder (created)")
    build.add_argument(
        "--nbgrader",
        action="store_true",
        help="add nbgrader cell metadata; the instructor notebook becomes an nbgrader source",
    )
    build.add_argument(
        "--book",
        type=Path,
        default=None,
        help="the book's folder, holding _toc.yml (default: the nearest at or above the "
        "current folder)",
    )


def run(args: argparse.Namespace) -> None:
    """Run ``assignment build``; print one line per chapter."""
    try:
        from .assignment import build_assignments
    except ImportError as exc:
        raise ImportError(
            f"{exc}; sparsity-widgets assignment needs jupytext and nbformat: "
            "pip install 'sparsity_widgets[book]'"
        ) from None
    built = build_assignments(args.chapter, args.out, nbgrader=args.nbgrader, book=args.book)
    for item in built:
        print(
            f"{item.chapter}: {item.exercises} exercises -> {item.student.name}, "
            f"{item.instructor.name}"
        )
    copied = sorted({p for item in built for p in item.results})
    if copied:
        print(f"copied into {args.out / 'results'}: {', '.join(p.name for p in copied)}")
