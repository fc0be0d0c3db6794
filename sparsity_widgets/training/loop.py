"""Train a model from the registry, with checkpoints that make an interrupted run resumable.

One code path for CPU and GPU: the model, the optimizer state and each batch are moved with
``.to(device)``. The run is deterministic given ``config.seed``: the model is initialised right
after ``torch.manual_seed(seed)``, batches are shuffled by a dedicated ``torch.Generator``
seeded with ``seed``, and every checkpoint stores the generators' states, so a run resumed from
epoch k reproduces the uninterrupted run bit for bit (on the same device and software). All of
this happens inside ``torch.random.fork_rng``: the caller's global torch random state is left
as it was.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._io import atomic_write_text
from .._run_lock import hold_run_folder
from .._schema import Where, read_json
from .._validation import check_choice, check_int
from .checkpoints import (
    CHECKPOINT_DIR,
    CHECKPOINT_FORMAT,
    DamagedCheckpointError,
    checkpoint_path,
    list_checkpoints,
    read_checkpoint,
    save_checkpoint,
)
from .config import DEVICES, SGD_MOMENTUM, SVSLConfig, TrainConfig, TrainingHistory
from .svsl import check_svsl_layers, collect_outputs, svsl_loss

__all__ = ["RESUMABLE_FIELDS", "TrainingRun", "evaluate_accuracy", "resolve_device", "train"]

#: Fields that may change when a run is resumed: they do not alter the trajectory of the run.
#: Raising ``epochs`` extends a finished run; ``checkpoint_every`` and ``device`` are logistics.
RESUMABLE_FIELDS = ("epochs", "checkpoint_every", "device")
CONFIG_FILE = "config.json"
HISTORY_FILE = "history.json"
# Move the whole training set to the device once when it is at most this large.
_ON_DEVICE_BYTES = 1 << 30
_EVAL_BATCH = 1024


@dataclass
class TrainingRun:
    """The outcome of :func:`train`.

    Attributes
    ----------
    out_dir : Path
        The run folder.
    config : TrainConfig
        The configuration trained with.
    history : TrainingHistory
        One entry per completed epoch, from the first epoch of the run (resumed ones included).
    model : nn.Module
        The trained model, in eval mode, on the CPU.
    checkpoints : list of Path
        The checkpoint files, sorted by epoch.
    """

    out_dir: Path
    config: TrainConfig
    history: TrainingHistory
    model: nn.Module
    checkpoints: list[Path]


def resolve_device(name: str) -> torch.device:
    """Turn ``"auto"``, ``"cpu"`` or ``"cuda"`` into a ``torch.device``.

    Raises
    ------
    ValueError
        When ``"cuda"`` is asked for and torch sees no GPU.
    """
    check_choice("device", name, DEVICES)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' was requested but torch.cuda.is_available() is False (this torch "
            f"build, {torch.__version__}, sees no GPU). Use device='auto' to train on the GPU "
            "when there is one and on the CPU otherwise, or device='cpu'."
        )
    return torch.device(name)


def _as_tensors(part: Any, role: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(X float32, y int64)`` tensors of a LabeledArrays-like split."""
    for attr in ("X", "y", "class_names"):
        if not hasattr(part, attr):
            raise ValueError(
                f"data.{role} must be a LabeledArrays (with X, y and class_names); got "
                f"{type(part).__name__} without {attr!r}."
            )
    X = np.ascontiguousarray(part.X, dtype=np.float32)
    y = np.ascontiguousarray(part.y, dtype=np.int64)
    if X.ndim < 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise ValueError(
            f"data.{role} must hold X of shape (n, *sample_shape) and y of shape (n,) with "
            f"n >= 1; got X {X.shape} and y {y.shape}."
        )

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a) if a.flags.writeable else torch.tensor(a)

    return tensor(X), tensor(y)


def _check_labels(y: torch.Tensor, n_classes: int, role: str) -> None:
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= n_classes:
        raise ValueError(
            f"data.{role}.y holds labels from {low} to {high}, but the model has n_classes="
            f"{n_classes} outputs (one per class name), so labels must lie in 0..{n_classes - 1}. "
            "Relabel the data or fix class_names."
        )


def _make_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=SGD_MOMENTUM, weight_decay=config.weight_decay
    )


@torch.no_grad()
def evaluate_accuracy(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, batch_size: int = _EVAL_BATCH
) -> float:
    """Fraction of samples of ``X`` (shape ``(n, ...)``) that ``model`` labels as ``y``.

    The model is evaluated in eval mode and left in the mode it was in.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        correct = 0
        for start in range(0, X.shape[0], batch_size):
            xb = X[start : start + batch_size].to(device)
            yb = y[start : start + batch_size].to(device)
            correct += int((model(xb).argmax(dim=1) == yb).sum())
    finally:
        model.train(was_training)
    return correct / X.shape[0]


def _read_saved_config(out_dir: Path) -> TrainConfig | None:
    path = out_dir / CONFIG_FILE
    if not path.is_file():
        return None
    return TrainConfig.from_dict(read_json(path, Where.of("training config", path)), source=path)


_START_OVER = (
    "pass resume=False (--no-resume on the command line) to start over there (its checkpoints "
    "are then deleted)"
)


def _run_differences(saved: TrainConfig, config: TrainConfig) -> str:
    """``"lr: saved 0.001, now 0.01; ..."`` over the fields a resumed run must keep, or ``""``."""
    differences = {k: v for k, v in saved.differences(config).items() if k not in RESUMABLE_FIELDS}
    return "; ".join(f"{k}: saved {a!r}, now {b!r}" for k, (a, b) in differences.items())


def _check_same_run(saved: TrainConfig, config: TrainConfig, out_dir: Path) -> None:
    lines = _run_differences(saved, config)
    if lines:
        raise ValueError(
            f"{str(out_dir)!r} holds a run with a different configuration ({lines}). Use "
            f"another out_dir for the new run, or {_START_OVER}."
        )


def _resume_state(
    config: TrainConfig, out_dir: Path, in_shape: tuple[int, ...], class_names: tuple[str, ...]
) -> dict[str, Any] | None:
    """The state to resume from: the latest readable checkpoint of the same run, or None.

    Every checkpoint's saved config must match ``config`` (but for :data:`RESUMABLE_FIELDS`),
    not only ``config.json``: a folder two runs wrote into at once is refused. Damaged
    checkpoints (truncated, unreadable) are skipped with a warning, so the run resumes from
    the previous valid one; when none is valid, the error says which files to delete.
    """
    saved = _read_saved_config(out_dir)
    found = list_checkpoints(out_dir)
    if saved is None and found:
        raise ValueError(
            f"{str(out_dir)!r} holds checkpoints but no {CONFIG_FILE}, so it cannot be "
            f"checked that they belong to this configuration. Use another out_dir, or "
            f"{_START_OVER}."
        )
    if saved is None:
        return None
    _check_same_run(saved, config, out_dir)
    damaged: dict[Path, str] = {}
    readable: list[Path] = []
    for path in found:
        try:
            raw = read_checkpoint(path, mmap=True).get("config")
            if not isinstance(raw, dict):
                raise DamagedCheckpointError(f"{str(path)!r} holds no saved config")
            saved_config = TrainConfig.from_dict(raw, source=path)
        except (DamagedCheckpointError, TypeError, ValueError) as exc:
            damaged[path] = str(exc).rstrip(".")
            continue
        lines = _run_differences(saved_config, config)
        if lines:
            raise ValueError(
                f"the checkpoint {str(path)!r} was written by a run with a different "
                f"configuration ({lines}), although {CONFIG_FILE} matches: two runs wrote into "
                f"{str(out_dir)!r}. Use another out_dir for the new run, or {_START_OVER}."
            )
        readable.append(path)
    state = None
    while readable and state is None:
        try:
            state = read_checkpoint(readable[-1], map_location="cpu")
        except DamagedCheckpointError as exc:
            damaged[readable.pop()] = str(exc).rstrip(".")
    reasons = "; ".join(damaged.values())
    names = ", ".join(repr(str(p)) for p in sorted(damaged))
    if state is None:
        if not damaged:
            return None
        raise ValueError(
            f"{str(out_dir)!r} holds no readable checkpoint to resume from: {reasons}. Delete "
            f"{names} to start this run over from epoch 1, or {_START_OVER}."
        )
    if damaged:
        warnings.warn(
            f"{reasons}. Resuming from epoch {int(state['epoch'])}, the latest readable "
            f"checkpoint ({str(readable[-1])!r}); delete {names} if this run does not "
            f"overwrite {'it' if len(damaged) == 1 else 'them'}.",
            UserWarning,
            stacklevel=3,
        )
    _check_same_data(state, in_shape, class_names, readable[-1])
    if state["epoch"] > config.epochs:
        raise ValueError(
            f"{str(out_dir)!r} already holds {state['epoch']} epochs, more than "
            f"epochs={config.epochs}. Load an earlier epoch with "
            "load_checkpoint(list_checkpoints(out_dir)[i]) or use another out_dir."
        )
    return state


def _remove_orphaned_temporaries(out_dir: Path) -> None:
    """Delete temporary files that a run killed mid-write left (``.epoch_0003.pt.x1y2.pt``).

    Called with the folder's lock held, so no other run is writing them.
    """
    folders = ((out_dir, (CONFIG_FILE, HISTORY_FILE)), (out_dir / CHECKPOINT_DIR, ("epoch_",)))
    for folder, stems in folders:
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file() and any(path.name.startswith(f".{s}") for s in stems):
                    path.unlink(missing_ok=True)


def _clear_run(out_dir: Path) -> None:
    """Delete the files an earlier run wrote in ``out_dir`` (only ours)."""
    for path in list_checkpoints(out_dir):
        path.unlink()
    for name in (CONFIG_FILE, HISTORY_FILE):
        (out_dir / name).unlink(missing_ok=True)


def train(
    config: TrainConfig,
    out_dir: str | os.PathLike,
    *,
    data: Any | None = None,
    progress: bool = True,
    resume: bool = True,
    stop_after: int | None = None,
) -> TrainingRun:
    """Train ``config.model`` on a data set, saving checkpoints and the history in ``out_dir``.

    Parameters
    ----------
    config : TrainConfig
        What to train and how.
    out_dir : path-like
        Run folder: ``config.json``, ``history.json`` and ``checkpoints/epoch_XXXX.pt``. Held
        with a lock file (``.sparsity-widgets.lock``) while training, so that a second run
        into the same folder fails at once instead of mixing its files with this one's.
    data : DatasetSplits, optional
        Train and test splits (``X`` of shape ``(n, *sample_shape)``, ``y`` of shape ``(n,)``).
        ``None`` loads ``load_dataset(config.dataset, **config.dataset_options)``.
    progress : bool, default True
        Show a progress bar over epochs with the loss and accuracies.
    resume : bool, default True
        When ``out_dir`` holds a run with the same configuration (``epochs``,
        ``checkpoint_every`` and ``device`` may differ) in ``config.json`` and in every
        checkpoint, continue after its latest readable checkpoint (damaged ones are skipped
        with a ``UserWarning``); a finished run is returned without training. ``False``
        deletes the earlier run's checkpoints and starts over.
    stop_after : int, optional
        Stop (with a checkpoint) after this epoch, as an interruption would.

    Returns
    -------
    TrainingRun
        With the model in eval mode on the CPU.

    Raises
    ------
    RunFolderInUseError
        At once, when another process is training into ``out_dir``.
    ValueError
        For a different run already in ``out_dir`` (in ``config.json`` or in any checkpoint),
        only damaged checkpoints to resume from, ``device="cuda"`` without a GPU, labels
        outside ``0..n_classes-1``, data that do not match a resumed run, an ``out_dir`` that
        cannot be written, or a bad argument.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig; got {type(config).__name__}.")
    if stop_after is not None:
        stop_after = check_int("stop_after", stop_after, minimum=1)
    device = resolve_device(config.device)
    out_dir = Path(out_dir)

    if data is None:
        if not config.dataset:
            raise ValueError(
                "config.dataset is empty and no data were given: name a data set for "
                "load_dataset in the config, or pass data=DatasetSplits(...)."
            )
        from ..datasets import load_dataset

        data = load_dataset(config.dataset, **config.dataset_options)
    for role in ("train", "test"):
        if not hasattr(data, role):
            raise ValueError(
                f"data must be a DatasetSplits with train and test splits; got "
                f"{type(data).__name__} without {role!r}."
            )
    X_train, y_train = _as_tensors(data.train, "train")
    X_test, y_test = _as_tensors(data.test, "test")
    in_shape = tuple(int(s) for s in X_train.shape[1:])
    if tuple(X_test.shape[1:]) != in_shape:
        raise ValueError(
            f"data.train and data.test must have one sample shape; got {in_shape} and "
            f"{tuple(X_test.shape[1:])}."
        )
    class_names = tuple(str(c) for c in data.train.class_names)
    n_classes = len(class_names)
    _check_labels(y_train, n_classes, "train")
    _check_labels(y_test, n_classes, "test")

    with hold_run_folder(out_dir):
        _remove_orphaned_temporaries(out_dir)
        state = _resume_state(config, out_dir, in_shape, class_names) if resume else None

        from ..models import build_model

        cuda_devices = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(config.seed)
            model = build_model(
                config.model, in_shape=in_shape, n_classes=n_classes, **config.model_options
            ).to(device)
            if config.svsl is not None:
                check_svsl_layers(model, config.svsl.layers)
            optimizer = _make_optimizer(config, model)
            shuffle = torch.Generator().manual_seed(config.seed)
            history = TrainingHistory()
            first_epoch = 1
            if state is not None:
                model.load_state_dict(state["model_state"])
                optimizer.load_state_dict(state["optimizer_state"])
                history = TrainingHistory.from_dict(state["history"])
                torch.set_rng_state(state["rng"]["torch"])
                shuffle.set_state(state["rng"]["shuffle"])
                if device.type == "cuda" and "cuda" in state["rng"]:
                    torch.cuda.set_rng_state(state["rng"]["cuda"], device)
                first_epoch = int(state["epoch"]) + 1

            if not resume and out_dir.exists():
                _clear_run(out_dir)  # only now that the new model could be built
            config_text = json.dumps(config.to_dict(), indent=2) + "\n"
            atomic_write_text(out_dir / CONFIG_FILE, config_text)
            last_epoch = config.epochs if stop_after is None else min(config.epochs, stop_after)
            if _nbytes(X_train) <= _ON_DEVICE_BYTES:
                X_train, y_train = X_train.to(device), y_train.to(device)

            from tqdm.auto import tqdm

            with tqdm(
                total=config.epochs,
                initial=first_epoch - 1,
                desc=f"{config.model} on {config.dataset or 'data'}",
                unit="epoch",
                disable=not progress,
            ) as bar:
                for epoch in range(first_epoch, last_epoch + 1):
                    started = time.perf_counter()
                    loss, accuracy = _train_one_epoch(
                        model,
                        optimizer,
                        X_train,
                        y_train,
                        config.batch_size,
                        shuffle,
                        device,
                        config.svsl,
                    )
                    test_accuracy = evaluate_accuracy(model, X_test, y_test)
                    seconds = time.perf_counter() - started
                    history.append(epoch, loss, accuracy, test_accuracy, seconds)
                    due = epoch % config.checkpoint_every == 0 or epoch in (
                        config.epochs,
                        last_epoch,
                    )
                    if due:
                        save_checkpoint(
                            checkpoint_path(out_dir, epoch),
                            _checkpoint_state(
                                epoch,
                                model,
                                optimizer,
                                history,
                                shuffle,
                                device,
                                config,
                                in_shape,
                                n_classes,
                                class_names,
                            ),
                        )
                    atomic_write_text(
                        out_dir / HISTORY_FILE, json.dumps(history.to_dict(), indent=2) + "\n"
                    )
                    bar.set_postfix(
                        loss=f"{loss:.4f}",
                        train_acc=f"{accuracy:.3f}",
                        test_acc=f"{test_accuracy:.3f}",
                    )
                    bar.update(1)
        checkpoints = list_checkpoints(out_dir)

    model = model.cpu().eval()
    return TrainingRun(
        out_dir=out_dir,
        config=config,
        history=history,
        model=model,
        checkpoints=checkpoints,
    )


def _nbytes(tensor: torch.Tensor) -> int:
    """Size of ``tensor``'s data in bytes."""
    return tensor.numel() * tensor.element_size()


def _check_same_data(
    state: dict[str, Any], in_shape: tuple[int, ...], class_names: tuple[str, ...], path: Path
) -> None:
    saved_shape = tuple(int(s) for s in state["in_shape"])
    saved_names = tuple(state["class_names"])
    if saved_shape != in_shape or saved_names != class_names:
        raise ValueError(
            f"the checkpoint {str(path)!r} was trained on samples of shape {saved_shape} with "
            f"classes {saved_names}, but the data given have shape {in_shape} and classes "
            f"{class_names}. Pass the same data to resume, or use another out_dir."
        )


def _train_one_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    X: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    shuffle: torch.Generator,
    device: torch.device,
    svsl: SVSLConfig | None = None,
) -> tuple[float, float]:
    """One pass over ``(X, y)`` in shuffled batches; return (mean cross-entropy, accuracy).

    With ``svsl``, each batch's loss is the cross-entropy plus the SVSL term on the chosen
    layers (collected with forward hooks that exist only during this pass); the returned mean
    loss is still the cross-entropy alone, comparable with runs without SVSL.
    """
    model.train()
    n = X.shape[0]
    order = torch.randperm(n, generator=shuffle).to(X.device)
    total_loss = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    hooks = nullcontext(None) if svsl is None else collect_outputs(model, svsl.layers)
    with hooks as features:
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            xb, yb = X[index].to(device), y[index].to(device)
            optimizer.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            if svsl is None:
                loss.backward()
            else:
                _check_collected(features, svsl.layers)
                svsl_term = svsl_loss(
                    {name: features[name] for name in svsl.layers},
                    yb,
                    svsl.weights,
                    detach_means=svsl.detach_means,
                )
                features.clear()  # free the graphs' references before the next batch
                (loss + svsl_term).backward()
            optimizer.step()
            total_loss += loss.detach().double() * yb.shape[0]
            correct += (logits.detach().argmax(dim=1) == yb).sum()
    mean_loss = float(total_loss) / n
    if not math.isfinite(mean_loss):
        raise FloatingPointError(
            f"the training loss became {mean_loss}; lower the learning rate (lr) or check the "
            "data for NaN or infinite values."
        )
    return mean_loss, int(correct) / n


def _check_collected(features: dict[str, torch.Tensor], layers: tuple[str, ...]) -> None:
    missing = [name for name in layers if name not in features]
    if missing:
        raise RuntimeError(
            f"svsl.layers {missing} were not called in the model's forward pass; pick layers "
            "that the model's forward uses."
        )


def _checkpoint_state(
    epoch: int,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    history: TrainingHistory,
    shuffle: torch.Generator,
    device: torch.device,
    config: TrainConfig,
    in_shape: tuple[int, ...],
    n_classes: int,
    class_names: tuple[str, ...],
) -> dict[str, Any]:
    rng = {"torch": torch.get_rng_state(), "shuffle": shuffle.get_state()}
    if device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(device)
    return {
        "format": CHECKPOINT_FORMAT,
        "epoch": int(epoch),
        "model_state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer_state": _to_cpu(optimizer.state_dict()),
        "history": history.to_dict(),
        "rng": rng,
        "config": config.to_dict(),
        "in_shape": list(in_shape),
        "n_classes": int(n_classes),
        "class_names": list(class_names),
        "torch_version": str(torch.__version__),
        "device": str(device),
    }


def _to_cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_cpu(v) for v in value)
    return value
