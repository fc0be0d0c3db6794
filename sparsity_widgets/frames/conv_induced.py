"""Dictionaries induced by convolutional chain, residual and densely connected networks.

The rule of :mod:`.induced` with every parameter edge a convolution. Layer ``t`` has ``c_t``
channels on a grid of ``N_t`` positions (any number of spatial dimensions, circular boundary);
its units are the dictionary's atoms ``(o, p)``, channel ``o`` at position ``p``. A parameter
edge ``s -> t`` with filters ``h`` of shape ``(c_s, c_t, *f)`` and stride ``r`` (the source grid
is ``r`` times the target grid in every dimension) is the block ``A_ts`` with

``A_ts[(i, (r p + u) mod n_s), (o, p)] = h[i, o, u]``,

i.e. atom ``(o, p)`` of layer ``t`` is the filter of output channel ``o`` placed at ``r p`` on
the source grid (Figure 3 of Murdock & Lucey, CVPR 2020, with a stride). The block rows,
the ``-I`` blocks and the identity shortcuts are those of :mod:`.induced`.

Every block of the Gram matrix is shift invariant on the target grid, so it is a kernel over
shifts. For one edge, ``A_ts^T A_ts`` maps the pair of atoms ``(o, p), (o', p + d)`` to

``K_d[o, o'] = sum_e sum_i sum_u h[i, o, u] h[i, o', u - r e]``,

summed over the integer shifts ``e = d (mod n_t)`` with ``|r e| < f`` in each dimension: only
``prod (2 floor((f - 1) / r) + 1)`` local filter interactions are nonzero, and with filters no
larger than the source grid a column never wraps onto itself. Hence, with ``N_t`` positions,

- ``||G_tt||_F^2 = N_t sum_d ||N^-1 (sum_in K_d + m_t [d = 0] I) N^-1||_F^2``,
- ``||G_st||_F^2 = N_t sum_{i, o, u} h[i, o, u]^2 / (n_s[i]^2 n_t[o]^2)`` for a parameter edge,
  ``N_s sum_i 1 / (n_s[i]^2 n_t[i]^2)`` for an identity edge,

with the squared column norms ``n_t[o]^2`` the filter energies of channel ``o`` over the
incoming parameter edges plus one per identity edge in and per edge out. The cost is
``O(c_s c_t^2 prod f^2)`` per edge, independent of the image size: a CIFAR-10 ResNet whose
dense Gram matrix would have ``10^10`` entries or more is evaluated in well under a second
(``benchmarks/frames_speed.py``).

Pooling and striding. A network that halves the resolution does so with a stride-2
convolution here, so the dictionary describes exactly the network :mod:`.conv_study` trains
(the paper pools; a pooled convolution is a stride-2 convolution with tied weights).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .._validation import check_choice, check_int
from .induced import (
    ARCHITECTURES,
    EDGE_KINDS,
    array_namespace,
    check_weights,
    gram_from_dictionary,
    parse_widths,
)

__all__ = [
    "ConvArchitecture",
    "ConvEdge",
    "conv_deep_frame_potential",
    "conv_dense_gram",
    "conv_dense_induced_dictionary",
    "gram_block_energies",
    "make_conv_architecture",
    "random_conv_weights",
]


@dataclass(frozen=True)
class ConvEdge:
    """A convolution (or an identity shortcut) from layer ``source`` to layer ``target``.

    Attributes
    ----------
    source, target : int
        Layer indices, ``0 <= source < target`` (0 is the input).
    kind : {"param", "identity"}
        Learned filters or an identity shortcut (equal channels and grids, stride 1).
    filter_size : int or tuple of int
        Filter extent per spatial dimension (an int is used for every dimension).
    stride : int
        The source grid is ``stride`` times the target grid in every dimension.
    """

    source: int
    target: int
    kind: str = "param"
    filter_size: int | tuple[int, ...] = 3
    stride: int = 1


def _grid(value: Any, name: str) -> tuple[int, ...]:
    """A grid given as an int (one dimension) or a tuple of positive ints."""
    values = (value,) if isinstance(value, (int, np.integer)) else value
    try:
        values = tuple(values)
    except TypeError:
        raise ValueError(f"{name} must be a tuple of positive integers; got {value!r}.") from None
    if not values or any(
        isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1
        for v in values
    ):
        raise ValueError(f"{name} must be a tuple of positive integers; got {value!r}.")
    return tuple(int(v) for v in values)


@dataclass(frozen=True)
class ConvArchitecture:
    """Channels, grids and connections of a convolutional network.

    Attributes
    ----------
    channels : tuple of int, length l + 1
        ``c_0`` (input channels), then the channels of each of the ``l`` layers.
    grids : tuple of tuple of int, length l + 1
        The spatial grid of each layer, all with the same number of dimensions (``(40,)`` for
        a 1-D signal, ``(32, 32)`` for an image).
    edges : tuple of ConvEdge
        Every connection; parameter edges own one filter tensor each, in this order.
    name : str
        A label (``"chain"``, ``"residual"``, ``"dense"`` or anything).
    outputs : tuple of int
        Layers the classifier head reads (concatenated after global average pooling);
        defaults to the last layer. Not part of the dictionary.
    """

    channels: tuple[int, ...]
    grids: tuple[tuple[int, ...], ...]
    edges: tuple[ConvEdge, ...]
    name: str = "custom"
    outputs: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        channels = parse_widths(self.channels, "channels")
        depth = len(channels) - 1
        grids = tuple(_grid(g, f"grids[{i}]") for i, g in enumerate(self.grids))
        if len(grids) != len(channels):
            raise ValueError(
                f"grids must give one grid per layer and the input ({len(channels)}); "
                f"got {len(grids)}."
            )
        ndim = len(grids[0])
        if any(len(g) != ndim for g in grids):
            raise ValueError(f"grids must all have the same number of dimensions; got {grids}.")
        object.__setattr__(self, "channels", channels)
        object.__setattr__(self, "grids", grids)
        pairs = Counter((e.source, e.target) for e in self.edges)
        edges = tuple(self._checked_edge(e, ndim, pairs) for e in self.edges)
        object.__setattr__(self, "edges", edges)
        for t in range(1, depth + 1):
            if not any(e.target == t for e in self.edges):
                raise ValueError(f"layer {t} has no incoming edge.")
        if self.n_atoms < 2:
            raise ValueError("the dictionary needs at least two atoms (channels x positions).")
        outputs = tuple(self.outputs) or (depth,)
        if any(not isinstance(o, (int, np.integer)) or not 1 <= o <= depth for o in outputs):
            raise ValueError(f"outputs must be layers in 1..{depth}; got {self.outputs!r}.")
        object.__setattr__(self, "outputs", tuple(int(o) for o in outputs))

    def _checked_edge(self, e: ConvEdge, ndim: int, pairs: Counter) -> ConvEdge:
        check_choice("edge kind", e.kind, EDGE_KINDS)
        depth = len(self.channels) - 1
        label = f"edge {e.source} -> {e.target}"
        if not (0 <= e.source < e.target <= depth):
            raise ValueError(f"{label} must satisfy 0 <= source < target <= {depth}.")
        if pairs[(e.source, e.target)] > 1:
            raise ValueError(f"{label} appears twice.")
        stride = check_int(f"{label}: stride", e.stride, minimum=1)
        f = e.filter_size
        f = _grid((f,) * ndim if isinstance(f, (int, np.integer)) else f, f"{label}: filter_size")
        if len(f) != ndim:
            raise ValueError(f"{label}: filter_size needs {ndim} entries; got {e.filter_size!r}.")
        g_s, g_t = self.grids[e.source], self.grids[e.target]
        if tuple(stride * n for n in g_t) != g_s:
            raise ValueError(
                f"{label}: the source grid {g_s} must be the stride ({stride}) times the "
                f"target grid {g_t}."
            )
        if e.kind == "identity":
            if stride != 1 or self.channels[e.source] != self.channels[e.target]:
                raise ValueError(
                    f"identity {label} needs stride 1 and equal channels; got stride {stride}, "
                    f"channels {self.channels[e.source]} and {self.channels[e.target]}."
                )
            f = (1,) * ndim
        elif any(fd > n for fd, n in zip(f, g_s, strict=True)):
            raise ValueError(
                f"{label}: filter_size {f} must not exceed the source grid {g_s} (a filter "
                "larger than the signal would wrap onto itself)."
            )
        return ConvEdge(e.source, e.target, e.kind, f, stride)

    @property
    def n_layers(self) -> int:
        """Number of layers ``l`` (the input is not a layer)."""
        return len(self.channels) - 1

    @property
    def ndim(self) -> int:
        """Number of spatial dimensions."""
        return len(self.grids[0])

    def positions(self, layer: int) -> int:
        """Number of spatial positions ``N_t`` of a layer."""
        return math.prod(self.grids[layer])

    @property
    def param_edges(self) -> tuple[ConvEdge, ...]:
        """The edges that own filters, in weight order."""
        return tuple(e for e in self.edges if e.kind == "param")

    @property
    def weight_shapes(self) -> list[tuple[int, ...]]:
        """Shape ``(c_source, c_target, *filter_size)`` of each filter tensor."""
        return [
            (self.channels[e.source], self.channels[e.target], *e.filter_size)
            for e in self.param_edges
        ]

    @property
    def n_parameters(self) -> int:
        """Number of filter weights (no biases, no normalisation, no head)."""
        return sum(math.prod(s) for s in self.weight_shapes)

    @property
    def n_atoms(self) -> int:
        """Columns of the induced dictionary: ``sum c_t N_t`` over the layers."""
        return sum(self.channels[t] * self.positions(t) for t in range(1, self.n_layers + 1))

    @property
    def n_rows(self) -> int:
        """Rows of the induced dictionary: ``sum c_s N_s`` over all edges."""
        return sum(self.channels[e.source] * self.positions(e.source) for e in self.edges)

    @cached_property
    def n_structural_nonzeros(self) -> int:
        """``N(G)``: structurally nonzero off-diagonal entries of the Gram matrix.

        Computed once per architecture (the minimiser divides by it at every evaluation).

        A diagonal block with a parameter edge in is full over the shifts where some incoming
        filter overlaps itself: ``N_t (|D_t| c_t^2 - c_t)`` with ``D_t`` the set of such shifts
        modulo the grid; a parameter edge fills ``c_s prod f`` entries of each of the
        ``c_t N_t`` columns of its off-diagonal block, an identity edge ``c_s N_s``; both blocks
        appear twice.
        """
        count = 0
        for t in range(1, self.n_layers + 1):
            shifts = set()
            for e in self.param_edges:
                if e.target == t:
                    shifts.update(r for _, r in _overlapping_shifts(e, self.grids[t]))
            if shifts:
                c = self.channels[t]
                count += self.positions(t) * (len(shifts) * c * c - c)
        for e in self.edges:
            if e.source >= 1:
                if e.kind == "param":
                    c_s, c_t = self.channels[e.source], self.channels[e.target]
                    count += 2 * c_t * self.positions(e.target) * c_s * math.prod(e.filter_size)
                else:
                    count += 2 * self.channels[e.source] * self.positions(e.source)
        return count


def _overlapping_shifts(
    edge: ConvEdge, grid: tuple[int, ...]
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """``(e, e mod grid)`` for every integer shift ``e`` with ``|stride e| < f`` per dimension."""
    ranges = [
        range(-((f - 1) // edge.stride), (f - 1) // edge.stride + 1) for f in edge.filter_size
    ]
    return [
        (e, tuple(ed % n for ed, n in zip(e, grid, strict=True)))
        for e in itertools.product(*ranges)
    ]


def _append_layer(
    widths: list[int],
    grids: list[tuple[int, ...]],
    edges: list[ConvEdge],
    channels: int,
    grid: tuple[int, ...],
    incoming: list[ConvEdge],
) -> int:
    """Append a layer with the given incoming edges (targets filled in) and return its index."""
    t = len(widths)
    widths.append(channels)
    grids.append(grid)
    edges.extend(ConvEdge(e.source, t, e.kind, e.filter_size, e.stride) for e in incoming)
    return t


def make_conv_architecture(
    arch: str,
    *,
    input_shape: Sequence[int] = (3, 32, 32),
    width: int = 16,
    blocks: int = 2,
    groups: int = 3,
    filter_size: int = 3,
) -> ConvArchitecture:
    """The convolutional chain, residual or dense network of the paper's CIFAR-10 experiments.

    Every family starts with one convolution (the stem) and has ``groups`` groups; before each
    group after the first, a transition layer halves the resolution with a stride-2
    convolution.

    - ``residual``: ``blocks`` residual blocks per group, each two convolutions of ``filter_size``
      with an identity shortcut around them (eq. 9); the stem has ``width`` channels and each
      transition doubles them (the simplified CIFAR-10 ResNet of tensorpack, which the paper
      adapts).
    - ``chain``: the same network with the shortcuts removed (same weights, same count).
    - ``dense``: ``blocks`` layers per group of ``width`` channels each (the growth rate), each
      reading every earlier layer of its group, the group's input included (eq. 11); the stem
      has ``2 width`` channels; a transition reads every layer of the previous group through
      ``2 x ... x 2`` stride-2 filters (average pooling with learned weights) and keeps their
      total channel count; the head reads every layer of the last group (DenseNet).

    Parameters
    ----------
    arch : {"chain", "residual", "dense"}
    input_shape : sequence of int
        ``(channels, *grid)``: ``(3, 32, 32)`` for CIFAR-10, ``(1, 40)`` for MNIST-1D.
    width : int
        Channels of the stem (chain, residual) or growth rate (dense).
    blocks : int
        Residual blocks per group (chain, residual) or layers per group (dense).
    groups : int
        Resolution levels; the grid must be divisible by ``2^(groups - 1)``.
    filter_size : int
        Filter extent in every spatial dimension (stride-1 layers and chain/residual
        transitions).

    Returns
    -------
    ConvArchitecture
    """
    check_choice("arch", arch, ARCHITECTURES)
    width = check_int("width", width, minimum=1)
    blocks = check_int("blocks", blocks, minimum=1)
    groups = check_int("groups", groups, minimum=1)
    filter_size = check_int("filter_size", filter_size, minimum=1)
    shape = _grid(input_shape, "input_shape")
    if len(shape) < 2:
        raise ValueError(
            f"input_shape must be (channels, *grid), e.g. (3, 32, 32); got {input_shape!r}."
        )
    grid = shape[1:]
    scale = 2 ** (groups - 1)
    if any(n % scale for n in grid) or min(grid) // scale < filter_size:
        raise ValueError(
            f"input_shape: with groups = {groups} the grid {grid} must be divisible by "
            f"{scale} and stay at least filter_size = {filter_size} wide; use fewer groups."
        )
    widths, grids, edges = [shape[0]], [grid], []
    dense = arch == "dense"
    stem_channels = 2 * width if dense else width
    current = _append_layer(
        widths, grids, edges, stem_channels, grid, [ConvEdge(0, 0, "param", filter_size)]
    )
    group_layers: list[int] = []
    for g in range(groups):
        if g:
            grid = tuple(n // 2 for n in grid)
            if dense:
                incoming = [ConvEdge(s, 0, "param", 2, 2) for s in group_layers]
                channels = sum(widths[s] for s in group_layers)
            else:
                incoming = [ConvEdge(current, 0, "param", filter_size, 2)]
                channels = widths[current] * 2
            current = _append_layer(widths, grids, edges, channels, grid, incoming)
        group_layers = [current]
        for _ in range(blocks):
            if dense:
                incoming = [ConvEdge(s, 0, "param", filter_size) for s in group_layers]
                group_layers.append(_append_layer(widths, grids, edges, width, grid, incoming))
                continue
            block_input = current
            for _step in range(2):
                current = _append_layer(
                    widths,
                    grids,
                    edges,
                    widths[block_input],
                    grid,
                    [ConvEdge(current, 0, "param", filter_size)],
                )
            if arch == "residual":
                edges.append(ConvEdge(block_input, current, "identity", 1))
    outputs = tuple(group_layers) if dense else (current,)
    return ConvArchitecture(
        channels=tuple(widths),
        grids=tuple(grids),
        edges=tuple(edges),
        name=arch,
        outputs=outputs,
    )


def random_conv_weights(
    architecture: ConvArchitecture, random_state: int | np.random.Generator | None = None
) -> list[np.ndarray]:
    """Gaussian filters ``N(0, 1 / (c_source prod f))``, one tensor per parameter edge.

    Returns
    -------
    list of ndarray of float64, shapes ``architecture.weight_shapes``
    """
    rng = np.random.default_rng(random_state)
    return [
        rng.standard_normal(s) / math.sqrt(s[0] * math.prod(s[2:]))
        for s in architecture.weight_shapes
    ]


def _shift_kernels(h: Any, edge: ConvEdge, xp: Any) -> list[Any]:
    """``K_e`` of shape ``(c_t, c_t)`` for every overlapping integer shift ``e`` of one edge.

    In the order of :func:`_overlapping_shifts` (C order over the shift window).
    """
    c_s, c_t = h.shape[0], h.shape[1]
    out = []
    for e, _ in _overlapping_shifts(edge, (1,) * len(edge.filter_size)):
        # K_e[o, o'] = sum_i sum_u h[i, o, u] h[i, o', u - r e] over u with both in range
        here, there = [slice(None), slice(None)], [slice(None), slice(None)]
        for ed, f in zip(e, edge.filter_size, strict=True):
            lo, hi = max(0, edge.stride * ed), min(f, f + edge.stride * ed)
            here.append(slice(lo, hi))
            there.append(slice(lo - edge.stride * ed, hi - edge.stride * ed))
        a = h[tuple(here)].reshape(c_s, c_t, -1)
        b = h[tuple(there)].reshape(c_s, c_t, -1)
        out.append(xp.tensordot(a, b, ([0, 2], [0, 2])))  # BLAS in NumPy and torch
    return out


LOOP_MIN_WORK = 2**15
"""Edges with ``c_s c_t^2`` at least this use one product per shift (fewest flops); smaller
ones one contraction over all shifts (fewest torch calls)."""


def _shift_window(pairs: list[tuple[ConvEdge, Any]], grid: tuple[int, ...]) -> Any:
    """Torch: ``sum_in K_d`` of one layer for all shifts at once, shape ``(c_t, c_t, *grid')``.

    Each edge's kernels (:func:`_all_shifts` for small edges, :func:`_shift_kernels` for large
    ones, see :data:`LOOP_MIN_WORK`) are centred in a common window of shifts, summed, and
    folded modulo the grid where the window is wider than the grid.
    """
    import torch
    import torch.nn.functional as F

    ndim = len(grid)
    half = [max((e.filter_size[d] - 1) // e.stride for e, _ in pairs) for d in range(ndim)]
    shifts, taps = "xyz"[:ndim], "uvw"[:ndim]
    spec = f"ia{shifts}{taps},ib{taps}->ab{shifts}"
    total = None
    for e, h in pairs:
        f = e.filter_size
        reach = [(fd - 1) // e.stride for fd in f]
        c_t = h.shape[1]
        if h.shape[0] * c_t * c_t >= LOOP_MIN_WORK:
            stacked = torch.stack(_shift_kernels(h, e, torch), dim=-1)
            kernel = stacked.reshape(c_t, c_t, *(2 * r + 1 for r in reach))
        else:
            kernel = _all_shifts(h, e, spec)
        pad = [v for d in reversed(range(ndim)) for v in (half[d] - reach[d],) * 2]
        kernel = F.pad(kernel, pad) if any(pad) else kernel
        total = kernel if total is None else total + kernel
    for d, n in enumerate(grid):
        width = 2 * half[d] + 1
        if width > n:  # shifts that wrap around the grid land on the same residue
            residue = torch.remainder(torch.arange(width, device=total.device) - half[d], n)
            shape = list(total.shape)
            shape[2 + d] = n
            total = total.new_zeros(shape).index_add(2 + d, residue, total)
    return total


def _all_shifts(h: Any, e: ConvEdge, spec: str) -> Any:
    """Torch: ``K_e`` for every overlapping shift in one contraction, ``(c_t, c_t, *window)``."""
    import torch
    import torch.nn.functional as F

    # windows[i, a, y, u] = h[i, a, u + stride (y - reach)], zero outside the filter
    windows = F.pad(h, [v for fd in reversed(e.filter_size) for v in (fd - 1, fd - 1)])
    for d, fd in enumerate(e.filter_size):
        reach = (fd - 1) // e.stride
        windows = windows.unfold(2 + d, fd, 1)  # appends the window axis u
        start = fd - 1 - e.stride * reach
        index = [slice(None)] * windows.ndim
        index[2 + d] = slice(start, start + 2 * e.stride * reach + 1, e.stride)
        windows = windows[tuple(index)]
    return torch.einsum(spec, windows, h)


def gram_block_energies(
    architecture: ConvArchitecture, weights: Sequence[Any]
) -> dict[tuple[int, int], Any]:
    """Squared Frobenius norm of every structurally nonzero block ``G_ab`` (``a <= b``).

    Diagonal blocks exclude their diagonal (the ones of ``Tr G``), so the frame potential's
    numerator is ``sum_a E[a, a] + 2 sum_{a < b} E[a, b]``. Tells which layers and which
    connections hold the coherence that is left at a minimum.

    Parameters
    ----------
    architecture : ConvArchitecture
    weights : list of arrays (NumPy or torch), shapes ``architecture.weight_shapes``

    Returns
    -------
    dict
        ``(a, b) -> E[a, b]``, layers numbered from 1: floats for NumPy weights, 0-d tensors
        for torch ones.
    """
    check_weights(architecture, weights, "filter tensor")
    xp = array_namespace(weights)
    layers = range(1, architecture.n_layers + 1)
    # per channel of each layer: the squared filter weights of its incoming convolutions
    energy_in = {t: _zeros(weights, architecture.channels[t], xp) for t in layers}
    count = dict.fromkeys(layers, 0)  # identity blocks in the layer's columns
    energies = []
    w_iter = iter(weights)
    for e in architecture.edges:
        if e.kind == "param":
            h = next(w_iter)
            sq = (h * h).reshape(h.shape[0], h.shape[1], -1).sum(2)  # (c_s, c_t)
            energies.append(sq)
            energy_in[e.target] = energy_in[e.target] + sq.sum(0)
        else:
            count[e.target] += 1
        if e.source >= 1:
            count[e.source] += 1
    inv2 = {t: 1.0 / (energy_in[t] + count[t]) for t in layers}  # 1 / n_t^2

    blocks: dict[tuple[int, int], Any] = {}
    incoming: dict[int, list[tuple[ConvEdge, Any]]] = {}
    sq_iter = iter(energies)
    w_iter = iter(weights)
    for e in architecture.edges:
        s, t = e.source, e.target
        if e.kind == "param":
            h, sq = next(w_iter), next(sq_iter)
            incoming.setdefault(t, []).append((e, h))
            if s >= 1:
                block = (sq * inv2[s][:, None] * inv2[t][None, :]).sum()
                blocks[(s, t)] = architecture.positions(t) * block
        elif s >= 1:
            blocks[(s, t)] = architecture.positions(s) * (inv2[s] * inv2[t]).sum()
    by_windows = xp is not np and architecture.ndim <= 3
    for t, pairs in incoming.items():
        scale = inv2[t] ** 0.5
        if by_windows:
            window = _shift_window(pairs, architecture.grids[t])
            outer = scale[:, None] * scale[None, :]
            outer = outer.reshape(*outer.shape, *[1] * (window.ndim - 2))
            total = ((window * outer) ** 2).sum()
        else:
            by_shift: dict[tuple[int, ...], Any] = {}
            for e, h in pairs:
                shifts = _overlapping_shifts(e, architecture.grids[t])
                for (_, d), K in zip(shifts, _shift_kernels(h, e, xp), strict=True):
                    by_shift[d] = by_shift[d] + K if d in by_shift else K
            outer = scale[:, None] * scale[None, :]
            total = sum(((K * outer) ** 2).sum() for K in by_shift.values())
        diagonal = ((energy_in[t] * inv2[t]) ** 2).sum()
        blocks[(t, t)] = architecture.positions(t) * (total - diagonal)
    if xp is np:
        return {key: float(v) for key, v in blocks.items()}
    return blocks


def conv_deep_frame_potential(
    architecture: ConvArchitecture, weights: Sequence[Any], *, return_parts: bool = False
) -> Any:
    """Deep frame potential ``(||G||_F^2 - Tr G) / N(G)`` of a convolutional network.

    Works on NumPy arrays (returns a float) and torch tensors (a differentiable 0-d tensor);
    the Gram matrix is never formed (see the module docstring for the formulas, and
    :func:`gram_block_energies` for the terms).

    Parameters
    ----------
    architecture : ConvArchitecture
    weights : list of arrays, shapes ``architecture.weight_shapes``
    return_parts : bool
        Also return the numerator ``||G||_F^2 - Tr G`` and ``N(G)``.

    Returns
    -------
    float or tensor, or (value, numerator, N(G)) when ``return_parts``
    """
    numerator: Any = 0.0
    for (a, b), energy in gram_block_energies(architecture, weights).items():
        numerator = numerator + (energy if a == b else 2.0 * energy)
    n_nonzero = architecture.n_structural_nonzeros
    if n_nonzero == 0:
        raise ValueError(
            "architecture: no two atoms of its dictionary overlap (N(G) = 0), so the frame "
            "potential is undefined; use filters wider than one position or more channels."
        )
    value = numerator / n_nonzero
    return (value, numerator, n_nonzero) if return_parts else value


def _zeros(weights: Sequence[Any], size: int, xp: Any) -> Any:
    if xp is np:
        return np.zeros(size)
    return weights[0].new_zeros(size)


def param_block_entries(
    architecture: ConvArchitecture, edge: ConvEdge
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each filter weight of a parameter edge sits in its block ``A_ts``.

    Entry ``k`` of the block is ``A_ts[source[k], target[k]] = h.ravel()[flat[k]]``, with
    ``A_ts[(i, (r p + u) mod n_s), (o, p)] = h[i, o, u]``.

    Returns
    -------
    source : ndarray of int, shape (c_s c_t N_t prod f,)
        Source unit ``i N_s + position``: the row within the edge's block row.
    target : ndarray of int, same shape
        Target unit ``o N_t + p``: the column within layer ``t``'s block column.
    flat : ndarray of int, same shape
        Index into the flattened filter tensor of shape ``(c_s, c_t, *f)``.
    """
    a, e = architecture, edge
    c_s, c_t = a.channels[e.source], a.channels[e.target]
    grid_s, grid_t = a.grids[e.source], a.grids[e.target]
    i, o, *rest = np.indices((c_s, c_t, *grid_t, *e.filter_size))
    p, u = rest[: a.ndim], rest[a.ndim :]
    q = [(e.stride * pd + ud) % n for pd, ud, n in zip(p, u, grid_s, strict=True)]
    source = i * a.positions(e.source) + np.ravel_multi_index(q, grid_s)
    target = o * a.positions(e.target) + np.ravel_multi_index(p, grid_t)
    flat = np.ravel_multi_index((i, o, *u), (c_s, c_t, *e.filter_size))
    return source.ravel(), target.ravel(), flat.ravel()


def conv_dense_induced_dictionary(
    architecture: ConvArchitecture, weights: Sequence[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """The induced dictionary ``B`` and its structural mask, formed densely (small nets only).

    Rows of an edge's block are ``(source channel, source position)``, columns of a layer
    ``(channel, position)``, channel-major, positions flattened in C order.

    Returns
    -------
    B : ndarray of float64, shape (n_rows, n_atoms)
    mask : ndarray of bool, shape (n_rows, n_atoms)
    """
    check_weights(architecture, weights, "filter tensor")
    a = architecture
    sizes = [a.channels[t] * a.positions(t) for t in range(1, a.n_layers + 1)]
    col_start = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    B = np.zeros((a.n_rows, a.n_atoms))
    mask = np.zeros(B.shape, dtype=bool)
    row = 0
    w_iter = iter(weights)
    for e in a.edges:
        s, t = e.source, e.target
        c_s, c_t = a.channels[s], a.channels[t]
        n_s, n_t = a.positions(s), a.positions(t)
        cols = col_start[t - 1]
        if e.kind == "param":
            h = np.asarray(next(w_iter), dtype=np.float64)
            source, target, flat = param_block_entries(a, e)
            np.add.at(B, (row + source, cols + target), h.reshape(-1)[flat])
            mask[row + source, cols + target] = True
        else:
            idx = np.arange(c_t * n_t)
            B[row + idx, cols + idx] = 1.0
            mask[row + idx, cols + idx] = True
        if s >= 1:
            idx = np.arange(c_s * n_s)
            B[row + idx, col_start[s - 1] + idx] = -1.0
            mask[row + idx, col_start[s - 1] + idx] = True
        row += c_s * n_s
    return B, mask


def conv_dense_gram(
    architecture: ConvArchitecture, weights: Sequence[Any]
) -> tuple[np.ndarray, np.ndarray, float]:
    """Dense reference: form ``B``, normalise its columns, ``G = B~^T B~``, and ``F^2``.

    Returns
    -------
    G : ndarray of float64, shape (n_atoms, n_atoms)
    structure : ndarray of bool, shape (n_atoms, n_atoms)
    potential : float
    """
    return gram_from_dictionary(*conv_dense_induced_dictionary(architecture, weights))
