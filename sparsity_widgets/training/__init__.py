"""Training the paper's models with per-epoch checkpoints that make every run resumable.

:func:`train` fits a model from :mod:`sparsity_widgets.models` on a data set from
:mod:`sparsity_widgets.datasets` and writes ``config.json``, ``history.json`` and
``checkpoints/epoch_XXXX.pt`` atomically into a run folder; calling it again on that folder
continues where it stopped, with the same result as an uninterrupted run. This sub-package
imports torch; ``import sparsity_widgets`` does not.
"""

from __future__ import annotations

from .._run_lock import RunFolderInUseError
from .checkpoints import DamagedCheckpointError, list_checkpoints, load_checkpoint
from .config import OPTIMIZERS, SVSLConfig, TrainConfig, TrainingHistory
from .loop import RESUMABLE_FIELDS, TrainingRun, evaluate_accuracy, resolve_device, train
from .svsl import svsl_loss

__all__ = [
    "OPTIMIZERS",
    "RESUMABLE_FIELDS",
    "DamagedCheckpointError",
    "RunFolderInUseError",
    "SVSLConfig",
    "TrainConfig",
    "TrainingHistory",
    "TrainingRun",
    "evaluate_accuracy",
    "list_checkpoints",
    "load_checkpoint",
    "resolve_device",
    "svsl_loss",
    "train",
]
