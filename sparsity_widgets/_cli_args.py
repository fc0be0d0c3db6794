"""Argument parsing shared by the ``sparsity-widgets`` subcommands: one-line errors, checked ints.

:class:`OneLineParser` reports a bad command line in one line on stderr with exit status 2,
like every other user error of the command line. The integer types (:func:`positive_int`,
:func:`non_negative_int`, :func:`n_jobs`) reject bad values while parsing, so the message names
the option (``argument --seed: expected a non-negative integer; got -1``) instead of a library
parameter or a numpy error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

__all__ = [
    "OneLineParser",
    "int_at_least",
    "n_jobs",
    "non_negative_int",
    "positive_int",
    "usage_error",
]


def usage_error(prog: str, message: str) -> int:
    """Print ``PROG: error: MESSAGE (see PROG --help)`` as one line on stderr; return 2."""
    text = " ".join(str(message).split())
    print(f"{prog}: error: {text} (see {prog} --help)", file=sys.stderr)
    return 2


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr (no usage block), exit 2.

    Subparsers made with ``add_subparsers`` are of this class too (argparse uses the parent's
    class by default).
    """

    def error(self, message: str) -> NoReturn:
        sys.exit(usage_error(self.prog, message))


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer ``>= minimum``, else an error saying what was expected."""
    expected = {0: "a non-negative integer", 1: "a positive integer"}.get(
        minimum, f"an integer >= {minimum}"
    )

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {expected}; got {value}")
        return value

    parse.__name__ = f"int_at_least_{minimum}"
    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def n_jobs(text: str) -> int:
    """An argparse ``type`` for ``--n-jobs``: a positive number of threads, or -1 for all cores."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not (value >= 1 or value == -1):
        raise argparse.ArgumentTypeError(
            f"expected a positive number of threads or -1 (all cores); got {text!r}"
        )
    return value
