"""Checkpoint files of a training run: where they live, how they are written and read.

Layout of a run folder::

    out_dir/config.json                   the TrainConfig (JSON)
    out_dir/history.json                  the TrainingHistory so far (JSON)
    out_dir/checkpoints/epoch_0005.pt     state after epoch 5 (torch.save of plain data)

A checkpoint is a dict of tensors and plain values only (no pickled classes), so it loads with
``torch.load(..., weights_only=True)``. It holds the model and optimizer states, the epoch, the
history so far, the random states a resumed run needs to continue exactly as an uninterrupted
one (torch's CPU generator, the shuffling generator, CUDA's when used), the config, and the
sample shape, class count and class names the model was built for. Every file is written to a
temporary name and moved into place, so a crash leaves either the old file or the new one; a
file damaged otherwise (a full disk, a partial copy) raises :class:`DamagedCheckpointError`,
and :func:`~sparsity_widgets.training.train` then resumes from the previous checkpoint.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._io import atomic_write
from .config import TrainConfig, TrainingHistory

__all__ = [
    "CHECKPOINT_DIR",
    "CHECKPOINT_FORMAT",
    "DamagedCheckpointError",
    "checkpoint_path",
    "list_checkpoints",
    "load_checkpoint",
    "read_checkpoint",
    "save_checkpoint",
]

CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_FORMAT = "sparsity_widgets.training.checkpoint/1"
_NAME = re.compile(r"^epoch_(\d+)\.pt$")


class DamagedCheckpointError(ValueError):
    """A checkpoint file that cannot be read (truncated, overwritten) or is not one of ours."""


def checkpoint_path(out_dir: str | os.PathLike, epoch: int) -> Path:
    """Return ``out_dir/checkpoints/epoch_XXXX.pt`` for ``epoch``."""
    return Path(out_dir) / CHECKPOINT_DIR / f"epoch_{int(epoch):04d}.pt"


def list_checkpoints(out_dir: str | os.PathLike) -> list[Path]:
    """Return the checkpoint files of the run in ``out_dir``, sorted by epoch.

    Parameters
    ----------
    out_dir : path-like
        A run folder written by :func:`~sparsity_widgets.training.train`.

    Returns
    -------
    list of Path
        Empty when the folder has no checkpoints (or does not exist). Temporary files of an
        interrupted write are never listed.
    """
    folder = Path(out_dir) / CHECKPOINT_DIR
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match and path.is_file():
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write ``state`` with ``torch.save`` atomically (temporary file, then ``os.replace``)."""
    return atomic_write(path, lambda tmp: torch.save(state, tmp))


def read_checkpoint(
    path: str | os.PathLike, *, map_location: Any = "cpu", mmap: bool = False
) -> dict[str, Any]:
    """Load the raw checkpoint dict, checking that it is one of ours.

    Parameters
    ----------
    path : path-like
        A file from :func:`list_checkpoints`.
    map_location : default "cpu"
        Passed to ``torch.load``.
    mmap : bool, default False
        Map the tensors from the file instead of reading them (``torch.load(mmap=True)``):
        cheap when only the plain values (``config``, ``epoch``) are needed.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist (the message suggests :func:`list_checkpoints`).
    DamagedCheckpointError
        A ``ValueError``: the file is unreadable (e.g. truncated) or not a checkpoint written
        by this package.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no checkpoint at {str(path)!r}; list a run's checkpoints with "
            "list_checkpoints(out_dir)."
        )
    try:
        state = torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except Exception as exc:
        raise DamagedCheckpointError(
            f"{str(path)!r} is not a readable checkpoint ({type(exc).__name__}: {exc}); it may "
            "be truncated or written by another program."
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise DamagedCheckpointError(
            f"{str(path)!r} is not a sparsity_widgets training checkpoint (expected format "
            f"{CHECKPOINT_FORMAT!r})."
        )
    return state


def load_checkpoint(
    path: str | os.PathLike, *, device: str | torch.device = "cpu"
) -> tuple[nn.Module, TrainConfig, dict[str, Any]]:
    """Rebuild the model saved in a checkpoint.

    Parameters
    ----------
    path : path-like
        A file from :func:`list_checkpoints`.
    device : str or torch.device, default "cpu"
        Where to put the model (``"auto"`` picks CUDA when available).

    Returns
    -------
    model : nn.Module
        Built with :func:`~sparsity_widgets.models.build_model` from the saved config, with
        the saved weights, in eval mode, on ``device``. Torch's global random state is left
        as it was.
    config : TrainConfig
        The configuration of the run.
    info : dict
        ``epoch`` (int), ``history`` (:class:`TrainingHistory` up to that epoch), ``in_shape``
        (tuple), ``n_classes`` (int), ``class_names`` (tuple of str), ``path`` (Path).
    """
    from ..models import build_model
    from .loop import resolve_device

    device = resolve_device(device) if isinstance(device, str) else torch.device(device)
    state = read_checkpoint(path, map_location="cpu")
    config = TrainConfig.from_dict(state["config"], source=path)
    in_shape = tuple(int(s) for s in state["in_shape"])
    n_classes = int(state["n_classes"])
    with torch.random.fork_rng(devices=[]):
        model = build_model(
            config.model, in_shape=in_shape, n_classes=n_classes, **config.model_options
        )
    model.load_state_dict(state["model_state"])
    model.to(device).eval()
    info = {
        "epoch": int(state["epoch"]),
        "history": TrainingHistory.from_dict(state["history"], source=path),
        "in_shape": in_shape,
        "n_classes": n_classes,
        "class_names": tuple(state["class_names"]),
        "path": Path(path),
    }
    return model, config, info
