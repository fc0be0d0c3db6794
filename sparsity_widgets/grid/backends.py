"""Where the cells of a grid run: ``sequential``, ``loky`` (local processes) or ``dask``.

:func:`check_backend` validates the choice before any work. :func:`open_backend` yields a
:class:`Backend`: how many cells run at once, each one's thread share, and ``map`` (cells in,
worker replies out as they finish). joblib does the dispatching: ``loky`` is its process pool,
``dask`` its Dask backend on a ``distributed`` cluster, joined by ``scheduler`` address or a
``LocalCluster`` started on the loopback interface without a dashboard and closed at the end.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .._validation import check_choice
from .cells import Cell
from .worker import run_cell, thread_share

__all__ = ["BACKENDS", "JOBLIB", "Backend", "DaskMissingError", "check_backend", "open_backend"]

BACKENDS = ("sequential", "loky", "dask")
"""The backends by name (the command line's ``--backend``)."""
JOBLIB = "joblib"
"""Python only: the joblib backend of the enclosing ``joblib.parallel_config`` (Ray's, say)."""

_DASK_INSTALL = (
    'pip install "sparsity_widgets[dask]" (the [dask] extra, i.e. pip install "dask[distributed]")'
)


class DaskMissingError(ImportError):
    """The ``dask`` backend was chosen but ``dask.distributed`` is not installed."""


@dataclass
class Backend:
    """An open backend.

    Attributes
    ----------
    name : str
    workers : int
        Cells that run at once.
    threads : int or None
        numba / torch threads of each cell (None: the process's own settings, sequential).
    map : callable
        ``map(cells) -> iterator of worker replies`` (see :func:`~.worker.run_cell`), in the
        order they finish.
    """

    name: str
    workers: int
    threads: int | None
    map: Callable[[list[Cell]], Iterator[dict]]


def check_backend(
    backend: str, workers: int | None, scheduler: str | None, threads: int | None = None
) -> None:
    """Refuse a bad combination before any work, naming the parameter.

    Raises
    ------
    ValueError
        Unknown backend, workers or threads < 1, workers with ``sequential``, a scheduler
        address with a backend other than ``dask``.
    DaskMissingError
        ``dask`` without ``dask.distributed`` installed (names the ``[dask]`` extra).
    """
    check_choice("backend", backend, (*BACKENDS, JOBLIB))
    for name, value in (("workers", workers), ("threads", threads)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
        if value is not None and value < 1:
            raise ValueError(f"{name} must be at least 1; got {value}.")
    if backend == "sequential" and workers not in (None, 1):
        raise ValueError(
            f"workers applies to the loky and dask backends; got workers={workers} with the "
            "sequential backend (choose backend='loky' or 'dask')."
        )
    if scheduler is not None and backend != "dask":
        raise ValueError(
            f"scheduler (--scheduler) joins a Dask cluster and needs backend='dask'; got "
            f"backend={backend!r}."
        )
    if backend == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise DaskMissingError(
                f"the dask backend needs dask.distributed, which is not installed: {_DASK_INSTALL}."
            ) from None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _joblib_map(
    backend: str, workers: int, threads: int | None, threads_by_host: dict[str, int] | None = None
) -> Callable[[list[Cell]], Iterator[dict]]:
    """``map`` over joblib's ``backend``: one cell per task, replies as they finish."""
    from joblib import Parallel, delayed, parallel_config

    chosen = {} if backend == JOBLIB else {"backend": backend}

    def run(cells: list[Cell]) -> Iterator[dict]:
        with parallel_config(n_jobs=workers, **chosen):
            yield from Parallel(return_as="generator_unordered", batch_size=1)(
                delayed(run_cell)(cell, threads, threads_by_host) for cell in cells
            )

    return run


@contextlib.contextmanager
def _dask_client(scheduler: str | None, workers: int, processes: bool) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    # Everything on the loopback interface, over TCP even for thread workers (their in-process
    # HTTP servers would otherwise listen on every interface). No dashboard; the scheduler's
    # HTTP server (health checks), which starts even without one, takes a free loopback port
    # rather than 8787.
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            host="127.0.0.1",
            protocol="tcp://",
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _threads_by_host(client: Any) -> dict[str, int]:
    """Cells a joined cluster runs at once per host (the sum of its workers' threads)."""
    by_host: dict[str, int] = {}
    for info in client.scheduler_info()["workers"].values():
        host = info.get("host") or info["id"]
        by_host[host] = by_host.get(host, 0) + int(info.get("nthreads", 1))
    return by_host


@contextlib.contextmanager
def open_backend(
    backend: str = "sequential",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    processes: bool = True,
) -> Iterator[Backend]:
    """Open a backend for a grid; close what it started on exit.

    Parameters
    ----------
    backend : {"sequential", "loky", "dask", "joblib"}
        ``"joblib"``: the backend of the enclosing ``joblib.parallel_config`` (Ray's, for one:
        ``with parallel_config(backend="ray")`` after ``ray.util.joblib.register_ray()``).
    workers : int, optional
        Cells at once: default 1 for ``sequential``, the cores of this machine for ``loky`` and
        a ``LocalCluster``, every thread of a joined cluster.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); ``dask`` only.
    threads : int, optional
        numba / torch threads per cell; default ``cores // workers`` (at least 1) for ``loky`` and
        ``dask``, the process's settings for ``sequential``.
    processes : bool, default=True
        ``LocalCluster`` workers in processes (False: threads of this process).

    Yields
    ------
    Backend
    """
    check_backend(backend, workers, scheduler, threads)
    if backend == "sequential":

        def sequential(cells: list[Cell]) -> Iterator[dict]:
            for cell in cells:
                yield run_cell(cell, threads, None)

        yield Backend("sequential", 1, threads, sequential)
        return
    if backend == JOBLIB:  # e.g. inside joblib.parallel_config(backend="ray")
        n = workers or _cores()
        share = threads or thread_share(_cores(), n)
        yield Backend(JOBLIB, n, share, _joblib_map(JOBLIB, n, share))
        return
    if backend == "loky":
        n = workers or _cores()
        share = threads or thread_share(_cores(), n)
        yield Backend("loky", n, share, _joblib_map("loky", n, share))
        return
    with _dask_client(scheduler, workers or _cores(), processes) as client:
        if scheduler is None:
            n = workers or _cores()
            share = threads or thread_share(_cores(), n)
            yield Backend("dask", n, share, _joblib_map("dask", n, share))
            return
        by_host = _threads_by_host(client)
        n = workers or max(1, sum(by_host.values()))
        run = _joblib_map("dask", n, threads, threads_by_host=None if threads else by_host)
        yield Backend("dask", n, threads, run)
