"""Layer features of a PyTorch model, collected with forward hooks.

Layers are addressed by their dotted names in ``model.named_modules()`` (as torchvision's
``feature_extraction`` does); :func:`list_layers` lists the valid names and a wrong name raises
an error that suggests the closest ones. The name ``"input"`` stands for the model's input.

The dataset is streamed through the model in batches; only the outputs of the chosen layers
are kept, flattened to float32 rows in arrays allocated once from the first batch's shapes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .._validation import check_int
from ..training.loop import resolve_device

__all__ = ["INPUT", "extract_features", "list_layers", "resolve_device"]

INPUT = "input"
"""The pseudo-layer name for the model's input (the data itself)."""


def list_layers(model: nn.Module, *, leaves_only: bool = False) -> list[str]:
    """Dotted names of the model's sub-modules in registration order.

    Parameters
    ----------
    model : torch.nn.Module
    leaves_only : bool, default=False
        Only modules without children (convolutions, activations, ...).

    Returns
    -------
    list of str
        Names usable in :func:`extract_features` (plus the pseudo-layer ``"input"``).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")
    names = []
    for name, module in model.named_modules():
        if not name:
            continue
        if leaves_only and next(module.children(), None) is not None:
            continue
        names.append(name)
    return names


def _check_layer_names(model: nn.Module, layers: Iterable[str]) -> list[str]:
    layers = list(layers)
    if not layers:
        raise ValueError("layers must name at least one layer; got an empty list.")
    valid = dict(model.named_modules())
    valid.pop("", None)
    seen = set()
    for name in layers:
        if not isinstance(name, str):
            raise TypeError(f"layer names must be strings; got {name!r}.")
        if name in seen:
            raise ValueError(f"layers must not repeat a name; {name!r} appears twice.")
        seen.add(name)
        if name != INPUT and name not in valid:
            close = difflib.get_close_matches(name, [*valid, INPUT], n=5, cutoff=0.5)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(
                f"layer {name!r} is not a module of {type(model).__name__}.{hint} "
                "sparsity_widgets.probe.list_layers(model) lists the valid names."
            )
    return layers


class _AllCollected(Exception):
    """Raised by the last hook to end a forward pass early."""


def _first_tensor(output: Any, layer: str) -> torch.Tensor:
    """The tensor a layer produced: the output itself, or the first tensor of a tuple/list."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, Sequence):
        for item in output:
            if isinstance(item, torch.Tensor):
                return item
    raise TypeError(
        f"layer {layer!r} returned {type(output).__name__}, which holds no tensor; "
        "pick a layer that outputs a tensor (or a tuple whose first tensor is the features)."
    )


def _as_inputs(data: Any) -> torch.Tensor:
    """Accept LabeledArrays-like objects (``.X``), numpy arrays or tensors; return a CPU tensor."""
    X = getattr(data, "X", data)
    if isinstance(X, np.ndarray):
        X = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    if not isinstance(X, torch.Tensor):
        raise TypeError(
            "data must be a LabeledArrays, a numpy array or a torch tensor of inputs; "
            f"got {type(data).__name__}."
        )
    if X.ndim < 2:
        raise ValueError(
            f"data must have a batch axis and at least one more; got shape {tuple(X.shape)}."
        )
    if X.shape[0] == 0:
        raise ValueError("data has no samples; pass at least one input.")
    return X.float()


def extract_features(
    model: nn.Module,
    data: Any,
    layers: Iterable[str],
    *,
    batch_size: int = 256,
    device: str = "auto",
    progress: bool = True,
) -> dict[str, np.ndarray]:
    """Outputs of the chosen layers on every sample, flattened to float32 rows.

    Parameters
    ----------
    model : torch.nn.Module
    data : LabeledArrays, ndarray or Tensor, shape (n, *input_shape)
        The inputs (a ``LabeledArrays`` contributes its ``X``).
    layers : iterable of str
        Dotted module names (see :func:`list_layers`) and/or ``"input"``.
    batch_size : int, default=256
        Samples per forward pass.
    device : str, default="auto"
        Where the forward passes run; the model is moved there and back.
    progress : bool, default=True
        Show a progress bar over the batches.

    Returns
    -------
    dict of str to ndarray of float32, shape (n, width)
        One C-contiguous array per requested layer, in the order requested. Tuple outputs
        contribute their first tensor.

    Notes
    -----
    The model runs in eval mode with gradients off (BatchNorm uses its running statistics,
    dropout is off); each module's train/eval flag and the model's device are restored
    afterwards, even on error. The forward pass stops as soon as every chosen layer has
    produced its output (layers after the last chosen one are never computed); a module
    called more than once per forward contributes the output of its first call.
    """
    layers = _check_layer_names(model, layers)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    X = _as_inputs(data)
    target = resolve_device(device)
    n = X.shape[0]
    modules = dict(model.named_modules())
    outputs: dict[str, np.ndarray] = {}
    current: dict[str, torch.Tensor] = {}

    hooked = [name for name in layers if name != INPUT]

    def hook_for(name: str):
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            if name not in current:  # a module called twice contributes its first call
                current[name] = _first_tensor(output, name).detach()
            if len(current) == len(hooked):
                raise _AllCollected  # skip the rest of the forward pass

        return hook

    flags = {name: m.training for name, m in model.named_modules()}
    param = next(model.parameters(), None)
    original_device = param.device if param is not None else torch.device("cpu")
    handles = [modules[name].register_forward_hook(hook_for(name)) for name in hooked]
    try:
        model.eval()
        model.to(target)
        bar = tqdm(
            range(0, n, batch_size),
            desc="features",
            unit="batch",
            disable=not progress,
            leave=False,
        )
        with torch.no_grad():
            for start in bar:
                batch = X[start : start + batch_size].to(target)
                current.clear()
                if hooked:
                    try:
                        model(batch)
                    except _AllCollected:
                        pass
                current[INPUT] = batch
                stop = start + batch.shape[0]
                for name in layers:
                    if name not in current:
                        raise RuntimeError(
                            f"layer {name!r} was not called in the forward pass; pick a "
                            "layer that the model's forward uses."
                        )
                    rows = current[name].reshape(batch.shape[0], -1).float().cpu().numpy()
                    if name not in outputs:
                        outputs[name] = np.empty((n, rows.shape[1]), dtype=np.float32)
                    outputs[name][start:stop] = rows
    finally:
        for handle in handles:
            handle.remove()
        model.to(original_device)
        for name, module in model.named_modules():
            module.training = flags[name]
    return {name: outputs[name] for name in layers}
