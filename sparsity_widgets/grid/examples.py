"""Small cells for the tests, the benchmark and the documentation of :mod:`sparsity_widgets.grid`.

They live in the package so that every worker (a loky process, a Dask worker on another
machine) imports them by module path like any study's cell.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["counted", "device_seen", "noise_sum", "threads_seen", "trivial"]


def trivial(seed: int) -> int:
    """Return ``seed``: a cell that costs nothing (the benchmark's per-cell overhead)."""
    return seed


def noise_sum(seed: int, n: int) -> dict[str, Any]:
    """Statistics of ``n`` standard normal draws of ``numpy.random.default_rng(seed)``.

    Returns
    -------
    dict
        ``{"seed", "sum", "max", "first"}`` (floats written exactly by JSON).
    """
    x = np.random.default_rng(seed).standard_normal(n)
    return {"seed": seed, "sum": float(x.sum()), "max": float(x.max()), "first": float(x[0])}


def counted(
    seed: int,
    n: int,
    log: str,
    fail_first: list[int] | None = None,
    interrupt_first: list[int] | None = None,
) -> dict[str, Any]:
    """:func:`noise_sum`, appending one line per call to the file ``log``; the seeds in
    ``fail_first`` raise on their first call, those in ``interrupt_first`` stop the grid as
    Ctrl-C would (a line already in ``log`` means a retry).

    Raises
    ------
    RuntimeError
        On the first call of a seed in ``fail_first``.
    KeyboardInterrupt
        On the first call of a seed in ``interrupt_first``.
    """
    path = Path(log)
    calls = path.read_text().splitlines() if path.exists() else []
    first = str(seed) not in calls
    with open(path, "a", encoding="utf-8") as f:  # O_APPEND: one whole line per call
        f.write(f"{seed}\n")
    if first and seed in (fail_first or ()):
        raise RuntimeError(f"seed {seed} fails on its first call (pid {os.getpid()})")
    if first and seed in (interrupt_first or ()):
        raise KeyboardInterrupt
    return noise_sum(seed, n)


def threads_seen(seed: int) -> dict[str, Any]:
    """The thread settings a worker gives its cells: ``OMP_NUM_THREADS`` and
    ``NUMBA_NUM_THREADS`` of the environment, and numba's ``get_num_threads``."""
    import numba

    return {
        "seed": seed,
        "omp": os.environ.get("OMP_NUM_THREADS"),
        "numba_env": os.environ.get("NUMBA_NUM_THREADS"),
        "numba": numba.get_num_threads(),
    }


def device_seen(seed: int, device: str = "cpu") -> dict[str, Any]:
    """The device the grid gave the cell (``cuda:K`` with ``gpus=``), without touching it."""
    return {"seed": seed, "device": device}
