"""Probe a PyTorch model: stream the training set, score every chosen layer, over seeds.

The probe uses the training data only (as in the paper); test accuracy, when known, is
recorded next to the scores for comparison, never used by them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .._validation import check_int, check_real
from .features import INPUT, _check_layer_names, extract_features
from .result import ProbeResult, SeedRun
from .score import ProbeSettings, score_layer

__all__ = ["default_layers", "probe_checkpoints", "probe_model"]

_GB = 1 << 30


def default_layers(model: nn.Module, *, include_input: bool = True) -> list[tuple[str, str]]:
    """The layers the paper probes: the input and the model's probe points.

    Parameters
    ----------
    model : torch.nn.Module
        A model from :mod:`sparsity_widgets.models` (which declares its probe points), or any
        module, for which every top-level child but the last (the classifier) is used.
    include_input : bool, default=True

    Returns
    -------
    list of (name, kind)
    """
    from ..models import probe_points

    try:
        points = list(probe_points(model))
    except TypeError:
        children = [name for name, _ in model.named_children()]
        points = [(name, "layer") for name in children[:-1]]
    return ([(INPUT, "input")] if include_input else []) + points


def _layer_widths(model: nn.Module, data: Any, layers: Sequence[str], device: Any) -> list[int]:
    """Widths of the chosen layers, from one forward pass on the first sample."""
    X = getattr(data, "X", data)
    first = extract_features(model, X[:1], layers, device=device, progress=False)
    return [first[name].shape[1] for name in layers]


def _groups_within(widths: Sequence[int], n_samples: int, memory_gb: float) -> list[list[int]]:
    """Split layer indices into consecutive groups whose float32 features fit the budget."""
    budget = memory_gb * _GB
    groups: list[list[int]] = [[]]
    used = 0.0
    for j, width in enumerate(widths):
        size = 4.0 * n_samples * width
        if groups[-1] and used + size > budget:
            groups.append([])
            used = 0.0
        groups[-1].append(j)
        used += size
    return groups


def probe_model(
    model: nn.Module,
    data: Any,
    *,
    layers: Iterable[str | tuple[str, str]] | None = None,
    settings: ProbeSettings | None = None,
    seed: int = 0,
    test_accuracy: float | None = None,
    train_accuracy: float | None = None,
    source: str | None = None,
    epoch: int | None = None,
    batch_size: int = 256,
    device: str = "auto",
    memory_gb: float = 2.0,
    progress: bool = True,
) -> SeedRun:
    """Score every chosen layer of one model on a labelled data set.

    Parameters
    ----------
    model : torch.nn.Module
    data : LabeledArrays
        The training set: ``X`` (n, *input_shape) float32 and ``y`` (n,) int labels.
    layers : iterable of str or (str, kind), optional
        Dotted names (``"input"`` for the input); default :func:`default_layers`.
    settings : ProbeSettings, optional
    seed : int
        The model's training seed (recorded).
    test_accuracy, train_accuracy : float, optional
        Of the model (recorded for comparison; the probe never uses test data).
    source : str, optional
        Where the model came from (a checkpoint path).
    epoch : int, optional
    batch_size : int, default=256
    device : str, default="auto"
    memory_gb : float, default=2.0
        Features of at most this many GB (> 0) are held at once; more layers are extracted in
        further passes over the data.
    progress : bool, default=True

    Returns
    -------
    SeedRun
    """
    settings = settings or ProbeSettings()
    y = np.asarray(getattr(data, "y", None))
    X = getattr(data, "X", None)
    if X is None or y.ndim != 1:
        raise TypeError(
            "data must be a LabeledArrays (or any object with X (n, ...) and y (n,)); "
            f"got {type(data).__name__}."
        )
    if len(X) != len(y):
        raise ValueError(f"data.X has {len(X)} samples but data.y has {len(y)} labels.")
    if len(y) == 0:
        raise ValueError("data has no samples; the probe needs a non-empty training set.")
    points = (
        default_layers(model)
        if layers is None
        else [
            (item, "input" if item == INPUT else "layer") if isinstance(item, str) else tuple(item)
            for item in layers
        ]
    )
    names = _check_layer_names(model, [name for name, _ in points])
    kinds = dict(points)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    memory_gb = check_real("memory_gb", memory_gb, low=0.0, low_open=True)
    widths = _layer_widths(model, data, names, device)
    scores = []
    bar = tqdm(total=len(names), desc=f"probe seed {seed}", unit="layer", disable=not progress)
    try:
        for group in _groups_within(widths, len(y), memory_gb):
            group_names = [names[j] for j in group]
            features = extract_features(
                model, data, group_names, batch_size=batch_size, device=device, progress=progress
            )
            for name in group_names:
                bar.set_postfix_str(name)
                scores.append(
                    score_layer(features.pop(name), y, settings, name=name, kind=kinds[name])
                )
                bar.update()
    finally:
        bar.close()
    return SeedRun(
        seed=int(seed),
        layers=scores,
        test_accuracy=test_accuracy,
        train_accuracy=train_accuracy,
        source=source,
        epoch=epoch,
    )


def probe_checkpoints(
    checkpoints: Iterable[str | os.PathLike],
    *,
    data: Any = None,
    layers: Iterable[str | tuple[str, str]] | None = None,
    settings: ProbeSettings | None = None,
    label: str | None = None,
    n_samples: int | None = None,
    batch_size: int = 256,
    device: str = "auto",
    progress: bool = True,
) -> ProbeResult:
    """Probe saved checkpoints (one per seed of one architecture) into one result.

    Parameters
    ----------
    checkpoints : iterable of path
        Files written by :func:`sparsity_widgets.training.train`.
    data : LabeledArrays, optional
        The training set to probe on; by default each checkpoint's own training data,
        loaded as its training run recorded it.
    layers, settings, batch_size, device, progress
        As in :func:`probe_model`.
    label : str, optional
        Legend label; by default the model name and its options.
    n_samples : int, optional
        Probe a seeded subset of this many training samples, at least 2 (all by default, and
        all when the training set is smaller).

    Returns
    -------
    ProbeResult
    """
    from ..datasets import load_dataset
    from ..training import load_checkpoint

    if n_samples is not None:
        n_samples = check_int("n_samples", n_samples, minimum=2)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    paths = [Path(p) for p in checkpoints]
    if not paths:
        raise ValueError("checkpoints must name at least one checkpoint file; got none.")
    settings = settings or ProbeSettings()
    runs = []
    first_config = None
    probed_samples = []
    for path in paths:
        model, config, info = load_checkpoint(path)
        if first_config is None:
            first_config = config
        probe_data = data
        if probe_data is None:
            probe_data = load_dataset(config.dataset, **config.dataset_options).train
        if n_samples is not None and n_samples < len(probe_data):
            rng = np.random.default_rng(settings.random_state)
            probe_data = probe_data.subset(np.sort(rng.choice(len(probe_data), n_samples, False)))
        probed_samples.append(len(probe_data))
        history = info["history"]
        test_acc = history.test_accuracy[-1] if history.test_accuracy else None
        train_acc = history.train_accuracy[-1] if history.train_accuracy else None
        runs.append(
            probe_model(
                model,
                probe_data,
                layers=layers,
                settings=settings,
                seed=config.seed,
                test_accuracy=test_acc,
                train_accuracy=train_acc,
                source=str(path),
                epoch=info.get("epoch"),
                batch_size=batch_size,
                device=device,
                progress=progress,
            )
        )
        del model
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    options = ", ".join(f"{k}={v}" for k, v in sorted(first_config.model_options.items()))
    return ProbeResult(
        label=label or (first_config.model + (f" ({options})" if options else "")),
        model=first_config.model,
        dataset=first_config.dataset,
        settings={
            **settings.to_dict(),
            "n_samples": probed_samples[0] if len(set(probed_samples)) == 1 else probed_samples,
            "model_options": first_config.model_options,
            "training": {k: v for k, v in first_config.to_dict().items() if k != "model_options"},
        },
        runs=runs,
    )
