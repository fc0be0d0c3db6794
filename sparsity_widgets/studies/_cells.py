"""Reading the replies of a grid of (variant, seed) probe cells back as seed runs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .._schema import Where

__all__ = ["seed_runs_by_variant"]


def seed_runs_by_variant(
    replies: Sequence[Any],
    cells: Sequence[Any],
    out_dir: str | os.PathLike,
    n_seeds: int,
    hint: str,
) -> list[list[Any]]:
    """Group the replies of variant-major (variant, seed) cells into one list per variant.

    Parameters
    ----------
    replies : sequence of dict
        ``SeedRun.to_dict()`` of each cell, as :func:`~sparsity_widgets.grid.run_grid` returns
        them, in cell order.
    cells : sequence of Cell
        The cells, ``n_variants * n_seeds`` of them, variant-major.
    out_dir : path-like
        The grid's folder (errors name the cell's file there).
    n_seeds : int
        Seeds per variant.
    hint : str
        What to do about a damaged cell, for the error message.

    Returns
    -------
    list of list of SeedRun
        ``len(cells) // n_seeds`` lists of ``n_seeds`` runs.
    """
    from ..grid import cell_path
    from ..probe import SeedRun

    runs = []
    for k, (cell, reply) in enumerate(zip(cells, replies, strict=True)):
        if k % n_seeds == 0:
            runs.append([])
        at = Where.of("grid cell", cell_path(out_dir, cell), hint)
        runs[-1].append(SeedRun._parse(reply, at.key("result")))
    return runs
