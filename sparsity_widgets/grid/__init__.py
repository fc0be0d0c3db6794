"""Grids of runs (seeds x variants x layers) on one machine or a Dask cluster, resumable.

A grid is a list of :class:`Cell` (a function by module path and name, and a small dict of
JSON parameters); :func:`run_grid` runs the cells not yet finished in ``OUT/cells/`` on a
backend by name (``sequential``, ``loky``, ``dask``) and returns every result in cell order.
Importing this package imports neither torch nor dask.

Examples
--------
>>> cells = [Cell("sparsity_widgets.grid.examples:noise_sum", {"seed": s, "n": 4})
...          for s in range(3)]
>>> results = run_grid(cells, tmp_out, progress=False)  # doctest: +SKIP
"""

from __future__ import annotations

from .backends import BACKENDS, DaskMissingError, check_backend, open_backend
from .cells import Cell, canonical_json, cell_path, error_path, read_result
from .runner import GridError, failed_cells, run_grid
from .worker import (
    TRAIN_THREADS,
    current_threads,
    gpu_device,
    select_gpu,
    thread_share,
    training_threads,
)

__all__ = [
    "BACKENDS",
    "TRAIN_THREADS",
    "Cell",
    "DaskMissingError",
    "GridError",
    "canonical_json",
    "cell_path",
    "check_backend",
    "current_threads",
    "error_path",
    "failed_cells",
    "gpu_device",
    "open_backend",
    "read_result",
    "run_grid",
    "select_gpu",
    "thread_share",
    "training_threads",
]
