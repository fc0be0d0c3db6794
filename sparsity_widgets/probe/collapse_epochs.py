"""Neural collapse over the checkpoints of one training run, with the interpolation threshold.

:func:`probe_collapse_checkpoints` runs :func:`~sparsity_widgets.probe.collapse.probe_collapse`
on every given checkpoint of one run (same data, same layers) and returns a
:class:`~sparsity_widgets.probe.collapse_epochs_result.CollapseOverTraining`, which marks the
interpolation threshold (first epoch at 100 % train accuracy, or its maximum) and the end of
training and compares Lambda^j there (the slides' two claims). Imports torch.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .collapse_epochs_result import CollapseOverTraining

__all__ = ["probe_collapse_checkpoints"]


def _subset(part: Any, n_samples: int | None) -> Any:
    """A seeded subset of at most ``n_samples`` samples (as ``sparsity-widgets collapse``)."""
    if n_samples is None or n_samples >= len(part):
        return part
    rng = np.random.default_rng(0)
    return part.subset(np.sort(rng.choice(len(part), n_samples, replace=False)))


def _splits(data: Any) -> tuple[Any, Any]:
    """(train, test) of a DatasetSplits-like, or (data, None) of a LabeledArrays-like."""
    if hasattr(data, "train") and hasattr(data, "test"):
        return data.train, data.test
    if hasattr(data, "X") and hasattr(data, "y"):
        return data, None
    raise TypeError(
        "data must be a DatasetSplits (train and test splits) or a LabeledArrays (train only); "
        f"got {type(data).__name__}."
    )


def _check_paths(checkpoints: Any) -> list[Path]:
    if isinstance(checkpoints, str | os.PathLike):
        raise TypeError(
            "checkpoints must be a list of checkpoint paths, not one path; got "
            f"{os.fspath(checkpoints)!r}. Pass [path] or list_checkpoints(run_dir)."
        )
    paths = [Path(p) for p in checkpoints]
    if not paths:
        raise ValueError(
            "checkpoints must name at least one checkpoint file; got an empty list (does the "
            "run folder hold checkpoints/epoch_XXXX.pt files?)."
        )
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(
                f"checkpoints: {path}: no such file; pass checkpoints written by "
                "'sparsity-widgets train', e.g. RUN/checkpoints/epoch_0020.pt"
            )
    return paths


def _run_identity(config: Any, info: dict[str, Any]) -> dict[str, Any]:
    """What must agree between checkpoints of one run (resumable fields may differ)."""
    from ..training import RESUMABLE_FIELDS

    identity = {k: v for k, v in config.to_dict().items() if k not in RESUMABLE_FIELDS}
    identity["in_shape"] = tuple(info["in_shape"])
    identity["n_classes"] = info["n_classes"]
    identity["class_names"] = tuple(info["class_names"])
    return identity


def probe_collapse_checkpoints(
    checkpoints: Sequence[str | os.PathLike] | Iterable[str | os.PathLike],
    *,
    layers: Iterable[str | tuple[str, str]] | None = None,
    data: Any = None,
    batch_size: int = 256,
    device: str = "cpu",
    n_samples: int | None = None,
    progress: bool = True,
) -> CollapseOverTraining:
    """Neural collapse and NCC mismatch per layer at every checkpoint of one training run.

    Parameters
    ----------
    checkpoints : list of path-like
        Checkpoint files of ONE run (e.g. ``list_checkpoints(run_dir)``), in any order; they
        are probed by increasing epoch. The same configuration (``epochs``,
        ``checkpoint_every`` and ``device`` may differ, as for a resumed run), model shape and
        class names are required, each epoch at most once, and every checkpoint's history
        must be the start of the last one's.
    layers : iterable of str or (str, kind), optional
        As in :func:`~sparsity_widgets.probe.collapse.probe_collapse`; default the model's
        probe points and the input.
    data : DatasetSplits or LabeledArrays, optional
        Train and test splits (a LabeledArrays: train only, no test metrics). ``None`` loads
        ``load_dataset(config.dataset, **config.dataset_options)`` of the first checkpoint's
        config, once.
    batch_size : int, default=256
        Samples per forward pass.
    device : {"cpu", "cuda", "auto"}, default="cpu"
    n_samples : int, optional
        Use a seeded subset (``numpy.random.default_rng(0)``, sorted) of at most this many
        samples of each split, the same at every checkpoint; all by default.
    progress : bool, default=True
        One progress bar over the checkpoints.

    Returns
    -------
    CollapseOverTraining
        The per-checkpoint :class:`~sparsity_widgets.probe.CollapseProbe` results (each with
        ``source`` its path and ``epoch`` its epoch), the run's train accuracy per epoch from
        the last checkpoint's history, the interpolation threshold and the end epoch.

    Raises
    ------
    FileNotFoundError
        A path that is not a file.
    ValueError
        No checkpoints, checkpoints of different runs (naming both files and what differs),
        an epoch given twice, a damaged checkpoint, or anything
        :func:`~sparsity_widgets.probe.collapse.probe_collapse` refuses.
    TypeError
        ``checkpoints`` a single path, or ``data`` of the wrong kind.
    """
    from .._validation import check_int
    from ..datasets import load_dataset
    from ..training import load_checkpoint
    from .collapse import probe_collapse

    paths = _check_paths(checkpoints)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if n_samples is not None:
        n_samples = check_int("n_samples", n_samples, minimum=2)

    # read every checkpoint once up front: refuse a mixed set before any probing
    entries = []
    for path in paths:
        _, config, info = load_checkpoint(path)
        entries.append((info["epoch"], path, config, info))
    _, first_path, first_config, first_info = entries[0]
    reference = _run_identity(first_config, first_info)
    for _, path, config, info in entries[1:]:
        identity = _run_identity(config, info)
        differ = sorted(k for k in reference if identity.get(k) != reference[k])
        if differ:
            raise ValueError(
                "checkpoints must come from one training run; "
                f"{first_path} and {path} differ in {differ}."
            )
    entries.sort(key=lambda entry: entry[0])
    for (e1, p1, _, _), (e2, p2, _, _) in itertools.pairwise(entries):
        if e1 == e2:
            raise ValueError(
                f"checkpoints must hold each epoch once; {p1} and {p2} are both epoch {e1}."
            )
    last_history = entries[-1][3]["history"]
    for epoch, path, _, info in entries[:-1]:
        history = info["history"]
        n = len(history)
        if list(history.epochs) != list(last_history.epochs[:n]) or list(
            history.train_accuracy
        ) != list(last_history.train_accuracy[:n]):
            raise ValueError(
                "checkpoints must come from one training run; the history in "
                f"{path} (epoch {epoch}) is not the start of the history in {entries[-1][1]} "
                f"(epoch {entries[-1][0]})."
            )

    if data is None:
        data = load_dataset(first_config.dataset, **first_config.dataset_options)
    train, test = _splits(data)
    train = _subset(train, n_samples)
    test = None if test is None else _subset(test, n_samples)

    probes = []
    bar = tqdm(entries, desc="collapse over checkpoints", unit="checkpoint", disable=not progress)
    for epoch, path, _, _ in bar:
        model, _, _ = load_checkpoint(path)
        probes.append(
            probe_collapse(
                model,
                train,
                layers=layers,
                test_data=test,
                batch_size=batch_size,
                device=device,
                progress=False,
                source=str(path),
                epoch=epoch,
            )
        )
        del model
    return CollapseOverTraining(
        tuple(probes), tuple(last_history.epochs), tuple(last_history.train_accuracy)
    )
