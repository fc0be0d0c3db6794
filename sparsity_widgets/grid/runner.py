"""Run a grid of cells on a backend, resumably: :func:`run_grid`.

Finished cells (``OUT/cells/<key>.json``) are read back, not run again; the others run on the
chosen backend, and the runner writes each reply as it arrives: the result atomically, or the
error with its traceback and parameters in ``OUT/cells/<key>.error.json``. A failed cell does not
stop the others; at the end one :class:`GridError` names every failed cell. Results come back
from the files, in the order of the cells, so every backend returns the same JSON values.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from .backends import check_backend, open_backend
from .cells import Cell, cell_path, error_path, read_result, write_error, write_result
from .worker import gpu_device

__all__ = ["GridError", "failed_cells", "run_grid"]


class GridError(RuntimeError):
    """Cells of a grid failed; the others finished and are saved.

    Attributes
    ----------
    failed : list of (Cell, str, Path)
        Each failed cell, its error (``"TypeName: message"``) and its error file.
    """

    def __init__(self, failed: list[tuple[Cell, str, Path]], n_cells: int) -> None:
        self.failed = failed
        lines = [
            f"{len(failed)} of {n_cells} grid cell(s) failed; the others are saved and a rerun "
            "runs only the missing cells:"
        ]
        for cell, error, path in failed:
            lines.append(f"  - {cell.describe()}: {error} (traceback in {path})")
        super().__init__("\n".join(lines))


def _with_devices(cells: list[Cell], gpus: int) -> list[Cell]:
    return [
        Cell(c.function, c.parameters, {**c.context, "device": gpu_device(i, gpus)})
        for i, c in enumerate(cells)
    ]


def run_grid(
    cells: Sequence[Cell],
    out_dir: str | os.PathLike,
    *,
    backend: str = "sequential",
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    gpus: int = 0,
    processes: bool = True,
    progress: bool = True,
    desc: str = "grid",
    on_result: Callable[[Cell, Any], None] | None = None,
) -> list[Any]:
    """Run every cell not yet finished in ``out_dir``; return all results in cell order.

    Parameters
    ----------
    cells : sequence of Cell
        Equal cells (equal keys) run once.
    out_dir : path-like
        ``OUT``; results go to ``OUT/cells/``. The caller holds its lock.
    backend : {"sequential", "loky", "dask", "joblib"}, default="sequential"
        ``"joblib"``: the backend of the enclosing ``joblib.parallel_config`` (Ray's, say).
    workers : int, optional
        Cells at once (see :func:`~.backends.open_backend`).
    scheduler : str, optional
        Dask scheduler address to join (``backend="dask"`` only).
    threads : int, optional
        numba / torch threads per cell (default ``cores // workers``; sequential: unchanged).
    gpus : int, default=0
        With ``gpus=N`` cell ``i`` runs on ``cuda:(i mod N)`` (passed as ``device=``), one cell per
        GPU at a time on each machine; ``workers`` defaults to ``N``.
    processes : bool, default=True
        Processes (True) or threads of this process for a ``LocalCluster``.
    progress : bool, default=True
        One progress bar over the cells.
    desc : str
        Its label.
    on_result : callable, optional
        ``on_result(cell, result)`` in this process after each newly finished cell is saved
        (a partial summary, say); not called for cells finished before.

    Returns
    -------
    list
        The JSON result of each cell, as read back from ``OUT/cells/<key>.json``.

    Raises
    ------
    GridError
        After every cell ran, when some failed: names each one's parameters and error file.
    ValueError, DaskMissingError
        A bad backend choice, before any cell runs.
    """
    cells = list(cells)
    for i, cell in enumerate(cells):
        if not isinstance(cell, Cell):
            raise ValueError(f"cells[{i}] must be a Cell; got {type(cell).__name__}.")
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 0:
        raise ValueError(f"gpus must be a non-negative integer; got {gpus!r}.")
    check_backend(backend, workers, scheduler, threads)  # also when every cell is finished
    if gpus:
        cells = _with_devices(cells, gpus)
        if workers is None and backend != "sequential":
            workers = gpus
    out_dir = Path(out_dir)
    unique: dict[str, Cell] = {}
    for cell in cells:
        unique.setdefault(cell.key, cell)
    todo = [c for c in unique.values() if not cell_path(out_dir, c).exists()]
    bar = tqdm(
        total=len(unique),
        initial=len(unique) - len(todo),
        desc=desc,
        unit="cell",
        disable=not progress,
    )
    failed: list[tuple[Cell, str, Path]] = []
    try:
        if todo:
            with open_backend(
                backend,
                workers=workers,
                scheduler=scheduler,
                threads=threads,
                processes=processes,
            ) as engine:
                for reply in engine.map(todo):
                    cell = unique[reply["key"]]
                    if "error" in reply:
                        path = write_error(out_dir, cell, reply["error"], reply["traceback"])
                        failed.append((cell, reply["error"], path))
                    else:
                        try:
                            write_result(out_dir, cell, reply["result"])
                        except (TypeError, ValueError) as exc:  # not JSON data
                            path = write_error(out_dir, cell, f"{type(exc).__name__}: {exc}", "")
                            failed.append((cell, f"{type(exc).__name__}: {exc}", path))
                        else:
                            if on_result is not None:
                                on_result(cell, read_result(out_dir, cell))
                    bar.update()
    finally:
        bar.close()
    if failed:
        order = {key: i for i, key in enumerate(unique)}
        failed.sort(key=lambda item: order[item[0].key])
        raise GridError(failed, len(unique))
    return [read_result(out_dir, cell) for cell in cells]


def failed_cells(cells: Sequence[Cell], out_dir: str | os.PathLike) -> list[Cell]:
    """The cells with an error file and no result (what the last run left failed)."""
    return [
        c for c in cells if error_path(out_dir, c).exists() and not cell_path(out_dir, c).exists()
    ]
