"""The Stochastic Variability-Simplification Loss (SVSL) of the slides.

For a batch B and chosen layers j (the slides' layers from gamma on) with weights alpha_j,

    SVSL(i) = sum_j alpha_j ||g^j(x_i) - mu^j_{c,B}||^2,

where g^j(x_i) is layer j's output for sample i, flattened, and mu^j_{c,B} the mean of layer j's
outputs over the samples of x_i's class c in B. Training adds the batch mean of SVSL(i) to the
cross-entropy (``TrainConfig(svsl=...)``). A class with one sample in the batch contributes 0
(its sample is its mean). Whether the means are constants in the gradient is the option
``detach_means`` (the slides do not say). In exact arithmetic it does not change the gradient:
the class mean minimises sum_{i in c} ||h_i - mu||^2 over mu, so the derivative through mu
vanishes and both ways give d/dh_i = 2 alpha_j (h_i - mu_c) / B. Detaching skips the backward
pass through the means; the two differ by round-off only.

Class sums and the per-sample means are one-hot matrix products, with no Python loop over the
classes and no scatter (whose CUDA kernels add atomically, in no fixed order), so the loss is as
deterministic as the network's own linear layers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

__all__ = ["check_svsl_layers", "collect_outputs", "svsl_loss"]


def _layer_term(h: torch.Tensor, y: torch.Tensor, *, detach_means: bool) -> torch.Tensor:
    """Mean over the batch of ||h_i - mu_{y_i}||^2; ``h`` of shape (B, ...), ``y`` of shape (B,)."""
    n = h.shape[0]
    rows = h.reshape(n, -1)
    classes, inverse, counts = torch.unique(y, return_inverse=True, return_counts=True)
    one_hot = (inverse[None, :] == torch.arange(classes.numel(), device=y.device)[:, None]).to(
        rows.dtype
    )  # (K, B)
    means = (one_hot @ rows) / counts[:, None].to(rows.dtype)  # (K, D)
    if detach_means:
        means = means.detach()
    centred = rows - one_hot.T @ means  # (B, D): h_i - mu_{y_i}
    spread = (centred * centred).sum(dim=1)  # (B,)
    alone = counts[inverse] < 2  # the only sample of its class in the batch: exactly 0
    spread = torch.where(alone, torch.zeros_like(spread), spread)
    return spread.sum() / n


def svsl_loss(
    features: Mapping[str, torch.Tensor],
    y: torch.Tensor,
    weights: Mapping[str, float] | Sequence[float],
    *,
    detach_means: bool,
) -> torch.Tensor:
    """The batch mean of SVSL(i) = sum_j alpha_j ||g^j(x_i) - mu^j_{c,B}||^2.

    Parameters
    ----------
    features : mapping of str to Tensor, each of shape (B, ...)
        Layer j's outputs g^j on the batch; each sample's output is flattened.
    y : Tensor of int, shape (B,)
        The batch's labels; the class means mu^j_{c,B} are taken over the samples of each
        class present in the batch.
    weights : mapping of str to float, or sequence of float
        alpha_j per layer: by name, or in the order of ``features``.
    detach_means : bool
        Treat the class means as constants in the gradient. The value is the same either way,
        and so is the gradient up to round-off (see the module's notes).

    Returns
    -------
    Tensor, shape ()
        (1/B) sum_i SVSL(i), in the features' dtype. A class with one sample in the batch
        contributes exactly 0.

    Raises
    ------
    ValueError
        For no features, a feature whose first axis is not B, or weights that do not match
        the layers.
    """
    if not features:
        raise ValueError("features must hold at least one layer's outputs; got none.")
    if y.ndim != 1:
        raise ValueError(f"y must have shape (B,); got {tuple(y.shape)}.")
    names = list(features)
    if isinstance(weights, Mapping):
        if set(weights) != set(names):
            raise ValueError(
                f"weights must name the layers of features {names}; got {sorted(weights)}."
            )
        alphas = [float(weights[n]) for n in names]
    else:
        alphas = [float(w) for w in weights]
        if len(alphas) != len(names):
            raise ValueError(
                f"weights must hold one weight per layer of features ({len(names)}); got "
                f"{len(alphas)}."
            )
    total: torch.Tensor | None = None
    for name, alpha in zip(names, alphas, strict=True):
        h = features[name]
        if h.ndim < 1 or h.shape[0] != y.shape[0]:
            raise ValueError(
                f"features[{name!r}] must have shape (B, ...) with B = {y.shape[0]} (the "
                f"labels); got {tuple(h.shape)}."
            )
        term = alpha * _layer_term(h, y, detach_means=detach_means)
        total = term if total is None else total + term
    assert total is not None
    return total


def check_svsl_layers(model: nn.Module, layers: Iterable[str]) -> list[str]:
    """Check that ``layers`` name distinct modules of ``model``; return them as a list.

    Raises
    ------
    ValueError
        Naming ``svsl``, the wrong name and the closest valid ones.
    """
    from ..probe.features import INPUT, _check_layer_names  # probe imports training: lazily

    layers = list(layers)
    if INPUT in layers:
        raise ValueError(
            f"svsl.layers names {INPUT!r}, the model's input, which has no parameters for the "
            "loss to move; name modules of the model (sparsity_widgets.probe.list_layers)."
        )
    try:
        return _check_layer_names(model, layers)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"svsl.layers: {exc}") from None


@contextmanager
def collect_outputs(model: nn.Module, layers: Iterable[str]) -> Iterator[dict[str, torch.Tensor]]:
    """Collect the outputs of the named layers during forward passes, with their graphs.

    Parameters
    ----------
    model : torch.nn.Module
    layers : iterable of str
        Dotted module names (checked with :func:`check_svsl_layers`).

    Yields
    ------
    dict of str to Tensor
        Filled by each forward pass: ``{layer: output}`` (not detached, so that a loss on it
        trains the layers below). A module called more than once per forward contributes its
        first call; a tuple output contributes its first tensor. Clear the dict before each
        forward pass. The hooks are removed on exit, also on error.
    """
    from ..probe.features import _first_tensor

    layers = check_svsl_layers(model, layers)
    modules = dict(model.named_modules())
    outputs: dict[str, torch.Tensor] = {}

    def hook_for(name: str):
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            if name not in outputs:
                outputs[name] = _first_tensor(output, name)

        return hook

    handles = [modules[name].register_forward_hook(hook_for(name)) for name in layers]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()
