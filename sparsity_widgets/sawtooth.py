"""The sawtooth ``Lambda_j`` of the slides, its exact ReLU realisation, and its Besov growth.

``Lambda_1`` is the hat function on ``[0, 1]`` (``2x`` on ``[0, 1/2]``, ``2 - 2x`` on
``[1/2, 1]``, zero elsewhere) and ``Lambda_j = Lambda_{j-1} o Lambda_1``: ``2^(j-1)`` teeth of
width ``2^(1-j)`` and slope ``+-2^j``. Since
``Lambda_1(x) = relu(2x) - 2 relu(2x - 1) + relu(2x - 2)``, one block of two affine layers
realises ``Lambda_1`` and ``j`` blocks (``2j`` layers, width 3) realise ``Lambda_j`` exactly.

Its Besov semi-norm ``|Lambda_j|_{B^alpha_tau}`` with ``1/tau = alpha + 1/p`` (here ``p = 2``)
grows like ``2^(j alpha)`` (assignment III of the slides). We measure it as the tau-sparsity
``N_tau`` of the complete dyadic tree (the geometric-wavelet / Haar characterisation of the
Besov space): every dyadic interval finer than ``2^-j`` lies on one linear piece of
``Lambda_j``, so its mean is the value at its midpoint and every wavelet norm down to the chosen
depth is exact.

Pure numpy: no torch, matplotlib or ipywidgets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_int, check_real

__all__ = [
    "ReluLayer",
    "besov_seminorm",
    "dyadic_wavelet_norms_1d",
    "hat",
    "relu_network_forward",
    "sawtooth",
    "sawtooth_relu_network",
]


def hat(x: Any) -> np.ndarray:
    """The hat ``Lambda_1``: ``2x`` on ``[0, 1/2]``, ``2 - 2x`` on ``[1/2, 1]``, 0 elsewhere.

    Parameters
    ----------
    x : array-like, any shape

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    x = np.asarray(x, dtype=np.float64)
    return np.where((x >= 0) & (x <= 1), 1.0 - np.abs(2.0 * x - 1.0), 0.0)


def sawtooth(x: Any, j: int) -> np.ndarray:
    """``Lambda_j = Lambda_{j-1} o Lambda_1`` evaluated by composing the hat ``j`` times.

    Parameters
    ----------
    x : array-like, any shape
    j : int
        Number of compositions, ``j >= 1``; ``Lambda_j`` has ``2^(j-1)`` teeth on ``[0, 1]``.

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    j = check_int("j", j, minimum=1)
    out = np.asarray(x, dtype=np.float64)
    for _ in range(j):
        out = hat(out)
    return out


@dataclass(frozen=True)
class ReluLayer:
    """One affine layer ``x -> x @ weight.T + bias``, optionally followed by a ReLU.

    Attributes
    ----------
    weight : ndarray of float64, shape (n_out, n_in)
    bias : ndarray of float64, shape (n_out,)
    relu : bool
        Apply ``max(0, .)`` after the affine map.
    """

    weight: np.ndarray
    bias: np.ndarray
    relu: bool


def sawtooth_relu_network(j: int) -> list[ReluLayer]:
    """The ReLU network of width 3 and ``2j`` affine layers that realises ``Lambda_j`` exactly.

    Block ``i`` (two layers) maps ``x -> relu((2x, 2x, 2x) + (0, -1, -2)) -> v1 - 2 v2 + v3``.

    Parameters
    ----------
    j : int
        Number of blocks, ``j >= 1``.

    Returns
    -------
    list of ReluLayer, length ``2 j``
        Weights ``(3, 1)`` then ``(1, 3)`` per block; ReLU on the hidden (odd) layers only.
    """
    j = check_int("j", j, minimum=1)
    layers: list[ReluLayer] = []
    for _ in range(j):
        layers.append(ReluLayer(np.full((3, 1), 2.0), np.array([0.0, -1.0, -2.0]), relu=True))
        layers.append(ReluLayer(np.array([[1.0, -2.0, 1.0]]), np.zeros(1), relu=False))
    return layers


def relu_network_forward(layers: list[ReluLayer], x: Any) -> np.ndarray:
    """Run a list of :class:`ReluLayer` on scalar inputs.

    Parameters
    ----------
    layers : list of ReluLayer
        The first layer's weight must have one input column.
    x : array-like, shape (n,)

    Returns
    -------
    ndarray of float64, shape (n,)
        The network's (one-dimensional) output.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D array of inputs; got shape {x.shape}.")
    if not layers:
        raise ValueError("layers must hold at least one ReluLayer; got an empty list.")
    h = x[:, None]
    for k, layer in enumerate(layers):
        if layer.weight.shape[1] != h.shape[1]:
            raise ValueError(
                f"layers[{k}].weight must have {h.shape[1]} input columns; got shape "
                f"{layer.weight.shape}."
            )
        h = h @ layer.weight.T + layer.bias
        if layer.relu:
            h = np.maximum(h, 0.0)
    if h.shape[1] != 1:
        raise ValueError(f"the last layer must have one output; got {h.shape[1]}.")
    return h[:, 0]


def dyadic_wavelet_norms_1d(fine_means: np.ndarray) -> np.ndarray:
    """Norms ``|E_child - E_parent| |child|^(1/2)`` of the complete dyadic tree on ``[0, 1]``.

    Parameters
    ----------
    fine_means : ndarray, shape (2^K,)
        Means of the function on the dyadic intervals of length ``2^-K``.

    Returns
    -------
    ndarray of float64, shape (2^(K+1) - 2,)
        One norm per non-root node (levels 1 to K).
    """
    means = np.asarray(fine_means, dtype=np.float64)
    norms = []
    while means.shape[0] > 1:
        parent = 0.5 * (means[0::2] + means[1::2])
        size = 1.0 / means.shape[0]
        diff = np.abs(means - np.repeat(parent, 2))
        norms.append(diff * math.sqrt(size))
        means = parent
    return np.concatenate(norms[::-1])


def besov_seminorm(j: int, alpha: float, p: float = 2.0, extra_levels: int = 12) -> float:
    """``|Lambda_j|_{B^alpha_tau}`` as ``N_tau`` of the dyadic tree, ``1/tau = alpha + 1/p``.

    Parameters
    ----------
    j : int
        The sawtooth index, ``j >= 1``.
    alpha : float
        Smoothness, ``0 < alpha < 1`` (the wavelets of piecewise constants see no more).
    p : float
        The ``L_p`` space, ``p >= 1``; the tree norms are ``L_2`` norms, so ``p = 2`` is the
        case of the slides.
    extra_levels : int
        Depth of the tree below level ``j``: levels ``1 .. j + extra_levels`` (the tail beyond
        decays like ``2^(-(extra_levels)(3 tau / 2 - 1))``).

    Returns
    -------
    float
        ``(sum over non-root dyadic intervals of ||psi||^tau)^(1/tau)``.
    """
    j = check_int("j", j, minimum=1)
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
    p = check_real("p", p, low=1.0)
    extra_levels = check_int("extra_levels", extra_levels, minimum=1)
    depth = j + extra_levels
    if depth > 24:
        raise ValueError(
            f"j + extra_levels must be at most 24 (2^24 intervals); got {depth} "
            f"(j={j}, extra_levels={extra_levels})."
        )
    tau = 1.0 / (alpha + 1.0 / p)
    n = 2**depth
    midpoints = (np.arange(n) + 0.5) / n
    norms = dyadic_wavelet_norms_1d(sawtooth(midpoints, j))
    positive = norms[norms > 0]
    log_sum = np.log(np.sum((positive / positive.max()) ** tau)) + tau * np.log(positive.max())
    return float(np.exp(log_sum / tau))
