"""What a worker runs for one cell: set its thread share, hold its GPU, call, catch.

:func:`run_cell` is the function joblib sends to every backend. It receives the cell (names,
seeds, paths), sets numba's and torch's threads to the worker's share of the cores (loky sets
``NUMBA_NUM_THREADS`` in its workers' environment, Dask does not), holds the cell's GPU when it
has one, calls the function and returns its JSON result, or the error and traceback: one failed
cell never stops the others. It never writes files; the runner writes what comes back.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from typing import Any

from .cells import Cell, resolve_function

__all__ = [
    "TRAIN_THREADS",
    "current_threads",
    "gpu_device",
    "run_cell",
    "select_gpu",
    "thread_share",
    "training_threads",
]

BLAS_THREADS = 1
"""BLAS / LAPACK threads inside every grid cell (see :func:`_one_blas_thread`)."""

TRAIN_THREADS = 1
"""torch threads of every training run inside a grid cell, whatever the backend and share.

Trained weights depend on torch's intra-op thread count (its CPU kernels split sums by thread),
so a cell trained with the share of one backend would differ from the same cell on another.
The forest's numba threads do not change its result and keep the worker's share. Cells put this
number among their parameters, so it is part of their key.
"""

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


def thread_share(cores: int, workers: int) -> int:
    """Threads of each of ``workers`` concurrent cells on ``cores`` cores: ``cores // workers``,
    at least 1."""
    return max(1, int(cores) // max(1, int(workers)))


def gpu_device(index: int, n_gpus: int) -> str:
    """The device of cell ``index`` when ``n_gpus`` GPUs share a grid: ``cuda:(index mod n_gpus)``.

    Examples
    --------
    >>> [gpu_device(i, 2) for i in range(5)]
    ['cuda:0', 'cuda:1', 'cuda:0', 'cuda:1', 'cuda:0']
    """
    if n_gpus < 1:
        raise ValueError(f"n_gpus must be at least 1; got {n_gpus}.")
    return f"cuda:{index % n_gpus}"


def select_gpu(device: str) -> str:
    """Make GPU ``K`` of ``"cuda:K"`` (from :func:`gpu_device`) this thread's current CUDA device
    and return ``"cuda"``, the name training configurations accept; other names pass through.

    Raises
    ------
    ValueError
        ``"cuda:K"`` on a machine without that GPU.
    """
    if not (isinstance(device, str) and device.startswith("cuda:")):
        return device
    import torch

    index = int(device.split(":", 1)[1])
    if not torch.cuda.is_available() or index >= torch.cuda.device_count():
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        raise ValueError(
            f"device {device!r} needs GPU {index}; this machine has {count} GPU(s). Give "
            "--gpus at most the GPUs of each machine."
        )
    torch.cuda.set_device(index)
    return "cuda"


def _dask_threads(threads_by_host: dict[str, int]) -> int | None:
    """This Dask worker's share: its host's cores over the cells that host runs at once."""
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):
        return None
    host = address.split("://")[-1].rsplit(":", 1)[0]
    concurrent = threads_by_host.get(host)
    return None if concurrent is None else thread_share(os.cpu_count() or 1, concurrent)


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[int | None]:
    """Limit numba, torch and the BLAS pools to ``n`` threads in this process, then restore."""
    if n is None:
        yield None
        return
    saved_env = {name: os.environ.get(name) for name in _THREAD_VARS}
    for name in _THREAD_VARS:
        if name != "NUMBA_NUM_THREADS" or "numba" not in sys.modules:
            # read when numba / torch are first imported (by the cell, after this)
            os.environ[name] = str(n)
    restore: list[Any] = []
    numba = sys.modules.get("numba")
    if numba is not None:
        before = numba.get_num_threads()
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
        restore.append(lambda: numba.set_num_threads(before))
    torch = sys.modules.get("torch")
    if torch is not None:
        before_torch = torch.get_num_threads()
        torch.set_num_threads(n)
        restore.append(lambda: torch.set_num_threads(before_torch))
    try:
        yield n
    finally:
        # torch or numba imported by the cell: they took the environment; nothing to restore
        for undo in restore:
            undo()
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _hold_gpu(device: Any) -> Iterator[None]:
    """Hold ``device`` (``cuda:K``) alone on this machine while the cell runs (a lock file in
    the machine's temporary folder; another cell of the same GPU waits)."""
    if not (isinstance(device, str) and device.startswith("cuda:")):
        yield
        return
    from filelock import FileLock

    name = device.replace(":", "-")
    with FileLock(os.path.join(tempfile.gettempdir(), f"sparsity-widgets-{name}.lock")):
        yield


@contextlib.contextmanager
def training_threads(n: int = TRAIN_THREADS) -> Iterator[None]:
    """Train with ``n`` torch threads, then restore torch's count.

    Parameters
    ----------
    n : int, default=TRAIN_THREADS
        At least 1.
    """
    import torch

    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"train_threads must be an integer >= 1; got {n!r}.")
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """BLAS and LAPACK on one thread while a cell runs, whatever its share.

    Their results depend on the thread count: a randomized SVD of a 600 x 200 matrix to 64
    columns moved by up to 2.2 between one and two OpenBLAS threads, and alpha* of the reduced
    features from 0.164 to 0.160. With one thread everywhere, every backend computes the same
    reductions and rotations. numba's forest keeps the share (its result does not depend on it).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
        yield


def current_threads() -> int | None:
    """The thread share the grid set for the running cell (``OMP_NUM_THREADS``), if any."""
    value = os.environ.get("OMP_NUM_THREADS")
    return int(value) if value and value.isdigit() else None


def run_cell(cell: Cell, threads: int | None, threads_by_host: dict[str, int] | None) -> dict:
    """Run one cell in this worker.

    Parameters
    ----------
    cell : Cell
    threads : int or None
        Thread share (None: leave the process's settings alone, as the sequential backend does).
    threads_by_host : dict of str to int, optional
        Dask clusters joined by address: cells run at once per host, for the share of each.

    Returns
    -------
    dict
        ``{"key", "result", "seconds"}``, or ``{"key", "error", "traceback", "seconds"}``.
    """
    start = time.perf_counter()
    if threads is None and threads_by_host:
        threads = _dask_threads(threads_by_host)
    try:
        with _threads(threads), _one_blas_thread(), _hold_gpu(cell.context.get("device")):
            function = resolve_function(cell.function)
            result = function(**cell.parameters, **cell.context)
        return {"key": cell.key, "result": result, "seconds": time.perf_counter() - start}
    except Exception as exc:  # every failure is recorded; the grid goes on
        return {
            "key": cell.key,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
            "seconds": time.perf_counter() - start,
        }
