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

:func:`probe_sawtooth_network` runs the Sparsity Probe on every layer of that network, on
samples of ``[0, 1]``: the representation after block ``k`` is ``z = Lambda_k(x)``, from which
the output is ``Lambda_{j-k}(z)``, a function with ever fewer teeth, so the smoothness alpha*
of the target over the layer's features rises through the layers (the slides: the Besov
semi-norm of the inner representations falls like ``2^((j - k) alpha)``).

Numpy (and, for the probe, the package's :class:`~sparsity_widgets.WaveletForest`): no torch,
matplotlib or ipywidgets.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from ._validation import check_choice, check_int, check_real
from .tau_star import SparsityCurve, TauStarEstimate, estimate_tau_star

#: What the probe fits on each layer: class labels ``Lambda_j(x) > 1/2`` or the values.
SAWTOOTH_TARGETS = ("labels", "values")

__all__ = [
    "SAWTOOTH_TARGETS",
    "BesovGrowth",
    "ReluLayer",
    "SawtoothLayerProbe",
    "besov_growth",
    "besov_seminorm",
    "count_teeth",
    "dyadic_wavelet_norms_1d",
    "hat",
    "probe_sawtooth_network",
    "relu_network_forward",
    "relu_network_layers",
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


def relu_network_layers(layers: list[ReluLayer], x: Any) -> list[np.ndarray]:
    """Outputs of every layer of a :class:`ReluLayer` network (after its ReLU, if any).

    Parameters
    ----------
    layers : list of ReluLayer
        The first layer's weight must have one input column.
    x : array-like, shape (n,)
        Scalar inputs.

    Returns
    -------
    list of ndarray of float64
        ``len(layers)`` arrays; entry ``k`` has shape ``(n, layers[k].weight.shape[0])``.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D array of inputs; got shape {x.shape}.")
    if not layers:
        raise ValueError("layers must hold at least one ReluLayer; got an empty list.")
    h = x[:, None]
    outputs = []
    for k, layer in enumerate(layers):
        if layer.weight.shape[1] != h.shape[1]:
            raise ValueError(
                f"layers[{k}].weight must have {h.shape[1]} input columns; got shape "
                f"{layer.weight.shape}."
            )
        h = h @ layer.weight.T + layer.bias
        if layer.relu:
            h = np.maximum(h, 0.0)
        outputs.append(h)
    return outputs


def count_teeth(j: int) -> int:
    """Number of teeth of ``Lambda_j`` on ``[0, 1]``, counted as its maxima at the knots.

    Parameters
    ----------
    j : int
        ``j >= 1``.

    Returns
    -------
    int
        ``2^(j-1)`` (computed, not assumed: the knots ``k 2^-j`` where ``Lambda_j = 1``).
    """
    j = check_int("j", j, minimum=1)
    knots = np.arange(2**j + 1) / 2.0**j
    return int(np.count_nonzero(np.isclose(sawtooth(knots, j), 1.0)))


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


@lru_cache(maxsize=32)
def _positive_dyadic_norms(j: int, depth: int) -> np.ndarray:
    """The positive dyadic wavelet norms of ``Lambda_j`` down to ``depth`` (cached, read-only)."""
    n = 2**depth
    midpoints = (np.arange(n) + 0.5) / n
    norms = dyadic_wavelet_norms_1d(sawtooth(midpoints, j))
    positive = norms[norms > 0]
    positive.flags.writeable = False
    return positive


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
    positive = _positive_dyadic_norms(j, depth)
    log_sum = np.log(np.sum((positive / positive.max()) ** tau)) + tau * np.log(positive.max())
    return float(np.exp(log_sum / tau))


@dataclass(frozen=True)
class BesovGrowth:
    """``|Lambda_i|_{B^alpha_tau}`` for ``i = 1 .. j`` and the slope of its ``log2``.

    Attributes
    ----------
    js : ndarray of int64, shape (j,)
    seminorms : ndarray of float64, shape (j,)
        :func:`besov_seminorm` of each ``Lambda_i``.
    alpha : float
    slope : float
        Least-squares slope of ``log2(seminorm)`` against ``i`` (the slides: ``alpha``);
        NaN for a single ``i``.
    """

    js: np.ndarray
    seminorms: np.ndarray
    alpha: float
    slope: float


def besov_growth(j: int, alpha: float, extra_levels: int = 10) -> BesovGrowth:
    """The Besov semi-norms of ``Lambda_1 .. Lambda_j`` (they grow like ``2^(i alpha)``).

    Parameters
    ----------
    j : int
        Largest index, ``1 <= j`` and ``j + extra_levels <= 24``.
    alpha : float
        Smoothness in ``(0, 1)``; ``p = 2``.
    extra_levels : int
        Tree depth below level ``i`` (see :func:`besov_seminorm`).

    Returns
    -------
    BesovGrowth
    """
    j = check_int("j", j, minimum=1)
    js = np.arange(1, j + 1, dtype=np.int64)
    values = np.array([besov_seminorm(int(i), alpha, extra_levels=extra_levels) for i in js])
    slope = float(np.polyfit(js, np.log2(values), 1)[0]) if j > 1 else math.nan
    return BesovGrowth(js=js, seminorms=values, alpha=float(alpha), slope=slope)


@dataclass(frozen=True)
class SawtoothLayerProbe:
    """The Sparsity Probe on every layer of the ReLU network realising ``Lambda_j``.

    Attributes
    ----------
    j : int
    target : {"labels", "values"}
        Fitted on each layer: the labels ``Lambda_j(x) > 1/2`` or the values ``Lambda_j(x)``.
    n_samples : int
        Uniform samples of ``[0, 1]`` the layers were computed on.
    layer_names : list of str
        ``"input"``, then ``"layer 1"`` .. ``"layer 2j"``.
    layer_kinds : list of str
        ``"input"``, ``"relu"`` (hidden, width 3) or ``"affine"`` (block output, width 1).
    widths : list of int
    curves : list of SparsityCurve
        One per layer: re-estimating with another rule or window never refits.
    max_error : float
        ``max |network(x) - Lambda_j(x)|`` over the samples and the dyadic points
        ``k 2^-(j+4)`` (0 up to rounding: the realisation is exact).
    n_teeth : int
        Teeth of ``Lambda_j`` (:func:`count_teeth`).
    settings : dict
        Forest settings and the seed.
    """

    j: int
    target: str
    n_samples: int
    layer_names: list[str]
    layer_kinds: list[str]
    widths: list[int]
    curves: list[SparsityCurve]
    max_error: float
    n_teeth: int
    settings: dict[str, Any] = field(default_factory=dict)

    def estimates(
        self, rule: str = "paper", eps_low: float | None = None, eps_high: float | None = None
    ) -> list[TauStarEstimate | str]:
        """tau* per layer from the stored curves, no refit.

        Returns
        -------
        list
            Per layer a :class:`TauStarEstimate`, or the error message (str) when no tau fell
            in the window. A malformed window (``eps_low >= eps_high``) raises ValueError.
        """
        out: list[TauStarEstimate | str] = []
        for curve in self.curves:
            try:
                out.append(estimate_tau_star(curve, rule, eps_low, eps_high))
            except ValueError as exc:
                if "no tau falls in the window" not in str(exc):
                    raise
                out.append(str(exc))
        return out

    def alpha_stars(
        self, rule: str = "paper", eps_low: float | None = None, eps_high: float | None = None
    ) -> np.ndarray:
        """alpha* per layer, shape (2j + 1,); NaN where no tau fell in the window."""
        return np.array(
            [
                e.alpha_star if isinstance(e, TauStarEstimate) else math.nan
                for e in self.estimates(rule, eps_low, eps_high)
            ]
        )


def probe_sawtooth_network(
    j: int,
    n_samples: int = 4000,
    *,
    target: str = "labels",
    n_trees: int = 3,
    max_depth: int = 15,
    random_state: int = 0,
) -> SawtoothLayerProbe:
    """Build the ReLU network of ``Lambda_j``, check it, and score each of its layers.

    Every layer's outputs on ``n_samples`` uniform samples of ``[0, 1]`` are the features of a
    :class:`~sparsity_widgets.WaveletForest` fitted to the network's final output (as labels
    ``Lambda_j(x) > 1/2`` or as real values); the input ``x`` is scored too.

    Parameters
    ----------
    j : int
        ``1 <= j <= 20``.
    n_samples : int
        Samples of ``[0, 1]``, at least 16.
    target : {"labels", "values"}
    n_trees, max_depth : int
        The forests (the paper: 3 trees of depth 15).
    random_state : int
        Seed of the samples and of the forests.

    Returns
    -------
    SawtoothLayerProbe
    """
    from .forest import WaveletForest  # the estimator layer, imported when a probe runs

    j = check_int("j", j, minimum=1)
    if j > 20:
        raise ValueError(f"j must be at most 20 (2^19 teeth); got {j}.")
    n_samples = check_int("n_samples", n_samples, minimum=16)
    check_choice("target", target, SAWTOOTH_TARGETS)
    random_state = check_int("random_state", random_state, minimum=0)
    rng = np.random.default_rng(random_state)
    x = rng.uniform(0.0, 1.0, n_samples)
    network = sawtooth_relu_network(j)
    outputs = relu_network_layers(network, x)
    exact = sawtooth(x, j)
    dyadic = np.arange(2 ** (j + 4) + 1) / 2.0 ** (j + 4)
    max_error = max(
        float(np.max(np.abs(outputs[-1][:, 0] - exact))),
        float(np.max(np.abs(relu_network_forward(network, dyadic) - sawtooth(dyadic, j)))),
    )
    y = (exact > 0.5).astype(np.int64) if target == "labels" else exact[:, None]
    features = [x[:, None], *outputs]
    curves = []
    with warnings.catch_warnings():
        # a one-column real target reaches scikit-learn as a column vector, which it flags
        warnings.filterwarnings("ignore", message="A column-vector y was passed")
        for feats in features:
            forest = WaveletForest(
                n_trees=n_trees, max_depth=max_depth, random_state=random_state
            ).fit(feats, y)
            curves.append(forest.sparsity_curve())
    kinds = ["input"] + ["relu" if layer.relu else "affine" for layer in network]
    return SawtoothLayerProbe(
        j=j,
        target=target,
        n_samples=n_samples,
        layer_names=["input"] + [f"layer {k}" for k in range(1, 2 * j + 1)],
        layer_kinds=kinds,
        widths=[1] + [int(layer.weight.shape[0]) for layer in network],
        curves=curves,
        max_error=max_error,
        n_teeth=count_teeth(j),
        settings={"n_trees": n_trees, "max_depth": max_depth, "random_state": random_state},
    )
