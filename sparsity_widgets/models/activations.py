"""Activation functions compared in the paper, and the small checks every model shares.

The paper (Sec. 5.0.2) compares ReLU, Leaky-ReLU, GELU, the sigmoid and a *step* function
``f(x) = 1 if x > 0 else 0``. The step is implemented honestly: its derivative is zero almost
everywhere (and undefined at 0), so its backward pass returns zeros. Every layer *before* a step
therefore receives a zero gradient and never learns; only the layers after the last step train.
That is the failure the paper's probe detects ("the alpha* get worse throughout the layers").
No straight-through estimator is used.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .._validation import check_choice, check_int

__all__ = ["ACTIVATIONS", "Step", "make_activation"]

ACTIVATIONS = ("relu", "leaky-relu", "gelu", "sigmoid", "step")

LEAKY_SLOPE = 0.01


class _StepFunction(torch.autograd.Function):
    """``(x > 0)`` as a float, with its true derivative: zero."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(grad_output)


class Step(nn.Module):
    """Heaviside step ``f(x) = 1 if x > 0 else 0``, with a zero gradient everywhere.

    Shapes: any input shape; the output has the same shape and dtype, values in {0, 1}.
    Upstream layers receive a gradient of exactly zero (not ``None``), so optimizers run but
    the weights before the step do not move (except through weight decay).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _StepFunction.apply(x)


def make_activation(name: str) -> nn.Module:
    """Return a fresh activation module by name.

    Parameters
    ----------
    name : {"relu", "leaky-relu", "gelu", "sigmoid", "step"}
        ``"leaky-relu"`` has negative slope 0.01; ``"step"`` is :class:`Step`.

    Returns
    -------
    nn.Module
        A new module (never shared between layers, so forward hooks fire once per layer).
    """
    check_choice("activation", name, ACTIVATIONS)
    if name == "relu":
        return nn.ReLU()
    if name == "leaky-relu":
        return nn.LeakyReLU(LEAKY_SLOPE)
    if name == "gelu":
        return nn.GELU()
    if name == "sigmoid":
        return nn.Sigmoid()
    return Step()


# --- checks shared by the model classes (private) --------------------------------------------


def _check_in_shape(model: str, in_shape: Any, ndims: Sequence[int], example: str) -> tuple:
    """Return ``in_shape`` as a tuple of positive ints whose length is one of ``ndims``."""
    ok = isinstance(in_shape, Sequence) and not isinstance(in_shape, str)
    if ok:
        ok = all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in in_shape
        )
    if not ok or len(in_shape) not in ndims:
        lengths = " or ".join(str(n) for n in ndims)
        raise ValueError(
            f"in_shape for {model!r} must be a tuple of {lengths} positive integers (the shape "
            f"of one sample, without the batch axis, e.g. {example}); got {in_shape!r}."
        )
    return tuple(int(s) for s in in_shape)


def _check_int_tuple(
    name: str, value: Any, *, length: int | None = None, minimum: int = 1, allow_empty: bool = False
) -> tuple[int, ...]:
    """Return ``value`` as a tuple of ints >= ``minimum`` (of the given length, if any)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a tuple of integers; got {value!r}.")
    out = tuple(check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(value))
    if length is not None and len(out) != length:
        raise ValueError(f"{name} must have exactly {length} entries; got {len(out)}: {value!r}.")
    if not out and not allow_empty:
        raise ValueError(f"{name} must have at least one entry; got {value!r}.")
    return out


def _check_width(width: Any) -> float:
    """Return the channel multiplier as a positive float."""
    if isinstance(width, bool) or not isinstance(width, numbers.Real) or not width > 0:
        raise ValueError(
            f"width must be a positive real number (1.0 = the paper's); got {width!r}."
        )
    return float(width)


def _reshape_input(x: torch.Tensor, shape: tuple[int, ...], model: str) -> torch.Tensor:
    """Reshape a batch to ``(n, *shape)``, with a clear error when the sample size is wrong."""
    expected = math.prod(shape)
    if x.dim() < 2 or math.prod(x.shape[1:]) != expected:
        raise ValueError(
            f"{model} expects batches of shape (n, {', '.join(map(str, shape))}) "
            f"({expected} values per sample); got a tensor of shape {tuple(x.shape)}. Build the "
            "model with in_shape equal to the shape of one sample."
        )
    return x.reshape(x.shape[0], *shape)
