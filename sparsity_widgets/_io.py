"""Output files and folders.

:func:`atomic_write` makes a result file either the old one or the complete new one, never
half; :func:`check_output_dir` tells, before any work, whether a folder can receive results.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["OutputDirError", "atomic_write", "atomic_write_text", "check_output_dir"]

_PROBE_PREFIX = ".sparsity-widgets-write-test-"


class OutputDirError(ValueError):
    """An output folder that cannot be created or written: a file, under a file, read-only."""


def check_output_dir(path: str | os.PathLike, *, option: str = "out_dir") -> Path:
    """Create the folder ``path`` if needed and check that files can be written in it.

    Run before any work, so that a bad output folder fails at once rather than after hours
    of training or scoring. Writability is tested by creating and removing a temporary file
    (``os.access`` is not enough: it says yes to root on a read-only folder, and no on some
    network file systems that would accept the write).

    Parameters
    ----------
    path : path-like
        The output folder.
    option : str, default "out_dir"
        How the caller names the folder in messages (``"--out"`` on the command line).

    Returns
    -------
    Path
        ``path``, which now exists and is a writable folder.

    Raises
    ------
    OutputDirError
        A ``ValueError`` naming ``option``, the path and the problem: ``path`` is an existing
        file, a parent of it is a file, or the folder cannot be created or written.
    """
    path = Path(path)
    where = f"{option} {str(path)!r}"
    if path.exists() and not path.is_dir():
        raise OutputDirError(
            f"{where} is an existing file, not a folder; choose a folder path for the results."
        )
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise OutputDirError(
            f"{where} cannot be created: {str(blocker)!r} is a file, not a folder; choose a "
            "path under a folder."
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputDirError(
            f"{where} cannot be created ({exc.strerror or exc}); choose a folder you can write to."
        ) from None
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=_PROBE_PREFIX)
    except OSError as exc:
        raise OutputDirError(
            f"{where} is not writable ({exc.strerror or exc}); choose a folder you can write to."
        ) from None
    os.close(fd)
    os.unlink(probe)
    return path


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path`` atomically.

    Parameters
    ----------
    path : path-like
        Destination; its folder is created if needed.
    write : callable
        Writes the complete content to the temporary path it receives.

    Returns
    -------
    Path
        The destination.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        # mkstemp creates the file 0600; give the result the permissions of an ordinary file
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
