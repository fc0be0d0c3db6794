"""One run per folder: a lock file held while a run writes its output folder.

``train``, ``probe``, ``study`` and ``demo`` (the command line, and
:func:`sparsity_widgets.training.train`) hold ``FOLDER/.sparsity-widgets.lock`` while they write
``FOLDER``. A second process that asks for the same folder fails at once with
:class:`RunFolderInUseError` instead of waiting or mixing its files with the first run's.

The lock is an ``flock`` on the lock file (:mod:`filelock`), so the operating system releases
it when the holding process ends, even by ``kill -9``: a stale lock file never blocks a later
run. The file itself stays in the folder after release (removing it would let two processes
lock two different files of one name). Within one process the lock is re-entrant: the command
line takes it for ``--out`` and :func:`~sparsity_widgets.training.train` takes it again for the
same folder. Different folders (a study's folder and the run folders under it) are independent
locks, so nesting never deadlocks.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ._io import check_output_dir

__all__ = ["LOCK_FILE", "RunFolderInUseError", "hold_run_folder"]

LOCK_FILE = ".sparsity-widgets.lock"
"""Name of the lock file inside a run folder."""

# One FileLock per lock file in this process: a FileLock object is re-entrant, but two objects
# on one file exclude each other even within a process.
_LOCKS: dict[str, FileLock] = {}
_LOCKS_GUARD = threading.Lock()


class RunFolderInUseError(RuntimeError):
    """Another run (another process, or another thread) is writing the folder.

    Attributes
    ----------
    folder : Path
        The run folder.
    lock_file : Path
        The lock file the other run holds.
    """

    def __init__(self, folder: Path, lock_file: Path, option: str = "out_dir") -> None:
        self.folder = folder
        self.lock_file = lock_file
        super().__init__(
            f"{folder} is in use by another run (lock file {lock_file} held); wait for it to "
            f"finish or choose another {option}"
        )


def _lock_for(lock_file: Path) -> FileLock:
    key = os.path.realpath(lock_file)
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = FileLock(key, timeout=0)
        return lock


@contextmanager
def hold_run_folder(folder: str | os.PathLike, *, option: str = "out_dir") -> Iterator[Path]:
    """Hold the lock of the run folder ``folder`` for the duration of a ``with`` block.

    Parameters
    ----------
    folder : path-like
        The run folder; created if needed (see :func:`~sparsity_widgets._io.check_output_dir`).
    option : str, default "out_dir"
        How the caller names the folder in messages (``"--out"`` on the command line).

    Yields
    ------
    Path
        ``folder``.

    Raises
    ------
    RunFolderInUseError
        At once, without waiting, when another process or thread holds the lock.
    OutputDirError
        When ``folder`` cannot be created or written.
    """
    folder = Path(folder)
    check_output_dir(folder, option=option)
    lock_file = folder / LOCK_FILE
    lock = _lock_for(lock_file)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RunFolderInUseError(folder, lock_file, option) from None
    try:
        yield folder
    finally:
        lock.release()
