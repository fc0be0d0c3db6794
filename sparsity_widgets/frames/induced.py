"""Dictionaries induced by fully-connected chain, residual and densely connected networks.

Derivation (one rule for every architecture, the generative form of eq. 5-6 of Murdock &
Lucey, CVPR 2020). A network with layer widths ``k_0, ..., k_l`` (``k_0`` the input) is a set of
*edges* ``s -> t`` (``s < t``): the pre-activation of layer ``t`` is the sum over its incoming
edges of ``A_ts^T w_s``, with ``A_ts`` a parameter matrix of shape ``(k_s, k_t)`` (``"param"``)
or the identity (``"identity"``, a residual shortcut, needs ``k_s = k_t``). Relaxing each layer
``w_t = relu(sum_s A_ts^T w_s)`` to the reconstruction constraint of its inputs by its units,
``sum_s ||A_ts w_t - w_s||^2`` (the forward pass is one thresholding step of this problem from
``w_t = 0``), gives one block row of height ``k_s`` per edge, holding ``A_ts`` in block column
``t`` and ``-I`` in block column ``s`` (nothing when ``s = 0``: ``w_0 = x`` is the data vector).
Stacking the rows of layer ``t`` gives its constraint ``B_t w_t ~ [w_s]_s``.

- chain: edges ``j-1 -> j`` (parameters): exactly eq. (6).
- residual: the chain plus identity edges ``j-1 -> j+1`` for even ``j`` (eq. 9).
- dense: parameter edges ``s -> t`` for every ``0 <= s < t`` (eq. 11, input included).

Column ``t`` of ``B`` holds its incoming blocks and one ``-I`` per outgoing edge, so its squared
column norms are ``n_t^2 = sum_in colnorms(A_ts)^2 + (#identity in) + (#out)``. The Gram
matrix of the normalised dictionary has blocks

``G_tt = N_t^{-1} (sum_s A_ts^T A_ts + m_t I) N_t^{-1}``, and ``G_st = -N_s^{-1} A_ts N_t^{-1}``
for each edge ``s -> t`` with ``s >= 1``;

every other block is zero. For a chain this is eq. (14)-(16), with ``N_j^2 = C_j^2 + I`` for
``j < l`` and ``N_l^2 = C_l^2`` (the last layer has no ``-I`` below it). Nothing here forms the
dense Gram matrix: the work is one ``k_t x k_t`` block per layer and one pass per edge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_choice

__all__ = [
    "ARCHITECTURES",
    "Architecture",
    "Edge",
    "block_gram",
    "deep_frame_potential",
    "dense_gram",
    "dense_induced_dictionary",
    "gram_from_dictionary",
    "make_architecture",
    "parse_widths",
    "random_weights",
]

ARCHITECTURES = ("chain", "residual", "dense")
EDGE_KINDS = ("param", "identity")


@dataclass(frozen=True)
class Edge:
    """A connection ``source -> target`` between layers (0 is the input).

    Attributes
    ----------
    source, target : int
        Layer indices, ``0 <= source < target``.
    kind : {"param", "identity"}
        A learned ``(k_source, k_target)`` matrix or an identity shortcut.
    """

    source: int
    target: int
    kind: str = "param"


def parse_widths(widths: Any, name: str = "widths") -> tuple[int, ...]:
    """Validate layer widths ``(k_0, k_1, ..., k_l)``: the input dimension, then each layer.

    Parameters
    ----------
    widths : sequence of int or str
        At least two positive integers, or a comma-separated string such as ``"64,64,64"``.

    Returns
    -------
    tuple of int, length l + 1
    """
    if isinstance(widths, str):
        parts = [p.strip() for p in widths.split(",") if p.strip()]
        try:
            widths = [int(p) for p in parts]
        except ValueError:
            raise ValueError(
                f"{name} must be comma-separated positive integers such as '64,64,64'; "
                f"got {widths!r}."
            ) from None
    try:
        values = list(widths)
    except TypeError:
        raise ValueError(
            f"{name} must be a sequence of positive integers; got {widths!r}."
        ) from None
    if len(values) < 2:
        raise ValueError(
            f"{name} must list the input dimension and at least one layer width (>= 2 numbers); "
            f"got {values!r}."
        )
    out = []
    for i, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be positive integers; {name}[{i}] = {v!r}.")
        out.append(int(v))
    return tuple(out)


@dataclass(frozen=True)
class Architecture:
    """Layer widths and connections of a fully-connected network.

    Attributes
    ----------
    widths : tuple of int, length l + 1
        ``k_0`` (input dimension) then the width of each of the ``l`` layers.
    edges : tuple of Edge
        Every connection; parameter edges own one weight matrix each, in this order.
    name : str
        A label (``"chain"``, ``"residual"``, ``"dense"`` or anything).
    """

    widths: tuple[int, ...]
    edges: tuple[Edge, ...]
    name: str = "custom"

    def __post_init__(self) -> None:
        widths = parse_widths(self.widths)
        object.__setattr__(self, "widths", widths)
        depth = len(widths) - 1
        if sum(widths[1:]) < 2:
            raise ValueError(
                "widths must give the dictionary at least two atoms (layer widths summing to "
                f">= 2) for coherence to mean anything; got {widths!r}."
            )
        seen = set()
        for e in self.edges:
            check_choice("edge kind", e.kind, EDGE_KINDS)
            if not (0 <= e.source < e.target <= depth):
                raise ValueError(
                    f"edge {e.source} -> {e.target} must satisfy 0 <= source < target <= {depth}."
                )
            if (e.source, e.target) in seen:
                raise ValueError(f"edge {e.source} -> {e.target} appears twice.")
            seen.add((e.source, e.target))
            if e.kind == "identity" and widths[e.source] != widths[e.target]:
                raise ValueError(
                    f"identity edge {e.source} -> {e.target} needs equal widths; got "
                    f"{widths[e.source]} and {widths[e.target]}."
                )
        for t in range(1, depth + 1):
            if not any(e.target == t for e in self.edges):
                raise ValueError(f"layer {t} has no incoming edge.")

    @property
    def n_layers(self) -> int:
        """Number of layers ``l`` (the input is not a layer)."""
        return len(self.widths) - 1

    @property
    def param_edges(self) -> tuple[Edge, ...]:
        """The edges that own a weight matrix, in weight order."""
        return tuple(e for e in self.edges if e.kind == "param")

    @property
    def weight_shapes(self) -> list[tuple[int, int]]:
        """Shape ``(k_source, k_target)`` of each weight matrix."""
        return [(self.widths[e.source], self.widths[e.target]) for e in self.param_edges]

    @property
    def n_parameters(self) -> int:
        """Number of weights (no biases): ``sum k_source * k_target`` over parameter edges."""
        return sum(a * b for a, b in self.weight_shapes)

    @property
    def n_atoms(self) -> int:
        """Columns of the induced dictionary: ``k_1 + ... + k_l``."""
        return sum(self.widths[1:])

    @property
    def n_rows(self) -> int:
        """Rows of the induced dictionary: ``sum k_source`` over all edges."""
        return sum(self.widths[e.source] for e in self.edges)

    @property
    def n_structural_nonzeros(self) -> int:
        """``N(G)``: structurally nonzero off-diagonal entries of the Gram matrix.

        A diagonal block is full when the layer has a parameter edge in, diagonal otherwise;
        an edge ``s -> t`` (``s >= 1``) fills the blocks ``(s, t)`` and ``(t, s)`` (identity
        edges only their diagonals).
        """
        k = self.widths
        count = 0
        for t in range(1, self.n_layers + 1):
            if any(e.target == t and e.kind == "param" for e in self.edges):
                count += k[t] * (k[t] - 1)
        for e in self.edges:
            if e.source >= 1:
                count += 2 * (k[e.source] * k[e.target] if e.kind == "param" else k[e.source])
        return count


def make_architecture(arch: str, widths: Any) -> Architecture:
    """Chain, residual or dense fully-connected architecture with the given widths.

    Parameters
    ----------
    arch : {"chain", "residual", "dense"}
        ``chain``: ``j-1 -> j``. ``residual``: the chain plus identity shortcuts
        ``j-1 -> j+1`` for even ``j`` (eq. 9; needs ``k_{j-1} = k_{j+1}``). ``dense``: every
        ``s -> t`` with ``0 <= s < t`` carries parameters (eq. 11).
    widths : sequence of int or str
        ``(k_0, ..., k_l)`` with ``k_0`` the input dimension.

    Returns
    -------
    Architecture
    """
    check_choice("arch", arch, ARCHITECTURES)
    k = parse_widths(widths)
    depth = len(k) - 1
    edges = [Edge(j - 1, j) for j in range(1, depth + 1)]
    if arch == "residual":
        for j in range(2, depth, 2):
            if k[j - 1] != k[j + 1]:
                raise ValueError(
                    f"widths: a residual shortcut {j - 1} -> {j + 1} needs equal widths, got "
                    f"widths[{j - 1}] = {k[j - 1]} and widths[{j + 1}] = {k[j + 1]}."
                )
            edges.append(Edge(j - 1, j + 1, "identity"))
    elif arch == "dense":
        edges = [Edge(s, t) for t in range(1, depth + 1) for s in range(t)]
    return Architecture(widths=k, edges=tuple(edges), name=arch)


def random_weights(
    architecture: Architecture, random_state: int | np.random.Generator | None = None
) -> list[np.ndarray]:
    """Gaussian weights ``N(0, 1 / k_source)``, one matrix per parameter edge.

    Returns
    -------
    list of ndarray of float64, shapes ``architecture.weight_shapes``
    """
    rng = np.random.default_rng(random_state)
    return [rng.standard_normal(s) / math.sqrt(s[0]) for s in architecture.weight_shapes]


def check_weights(architecture: Any, weights: Sequence[Any], what: str = "matrix") -> None:
    """Raise a ValueError unless ``weights`` has one array of each of ``weight_shapes``.

    Shared by the fully-connected and the convolutional architectures (``what`` names the
    array in the message: a matrix or a filter tensor).
    """
    shapes = architecture.weight_shapes
    if len(weights) != len(shapes):
        raise ValueError(
            f"weights must hold one {what} per parameter edge ({len(shapes)}); got {len(weights)}."
        )
    for i, (w, s) in enumerate(zip(weights, shapes, strict=True)):
        if tuple(w.shape) != s:
            raise ValueError(f"weights[{i}] must have shape {s}; got {tuple(w.shape)}.")


def _column_norms(architecture: Architecture, weights: Sequence[Any]) -> dict[int, Any]:
    """Squared column norms ``n_t^2`` of the induced dictionary, one vector per layer."""
    sq: dict[int, Any] = {t: 0.0 for t in range(1, architecture.n_layers + 1)}
    count = dict.fromkeys(sq, 0)
    w_iter = iter(weights)
    for e in architecture.edges:
        if e.kind == "param":
            A = next(w_iter)
            sq[e.target] = sq[e.target] + (A * A).sum(0)
        else:
            count[e.target] += 1
        if e.source >= 1:
            count[e.source] += 1
    return {t: sq[t] + count[t] for t in sq}


def block_gram(architecture: Architecture, weights: Sequence[Any]) -> dict[tuple[int, int], Any]:
    """The structurally nonzero blocks ``G_ab`` (``a <= b``) of the normalised Gram matrix.

    Parameters
    ----------
    architecture : Architecture
    weights : list of arrays (NumPy or torch), shapes ``architecture.weight_shapes``

    Returns
    -------
    dict
        ``(a, b) -> G_ab`` of shape ``(k_a, k_b)``, layers numbered from 1. Identity-edge
        blocks are returned as dense diagonal matrices (this helper is for inspection; the
        frame potential itself never forms them).
    """
    check_weights(architecture, weights)
    xp = array_namespace(weights)
    norms = {t: v**0.5 for t, v in _column_norms(architecture, weights).items()}
    k = architecture.widths
    blocks: dict[tuple[int, int], Any] = {}
    w_iter = iter(weights)
    for e in architecture.edges:
        t, s = e.target, e.source
        A = next(w_iter) if e.kind == "param" else None
        M = A if A is not None else xp.eye(k[t], dtype=_dtype(weights, xp))
        blocks[(t, t)] = blocks.get((t, t), 0.0) + M.T @ M
        if s >= 1:
            blocks[(s, t)] = -M
            blocks[(s, s)] = blocks.get((s, s), 0.0) + xp.eye(k[s], dtype=_dtype(weights, xp))
    out = {}
    for (a, b), M in blocks.items():
        out[(a, b)] = M / (norms[a][:, None] * norms[b][None, :])
    return out


def deep_frame_potential(
    architecture: Architecture, weights: Sequence[Any], *, return_parts: bool = False
) -> Any:
    """Deep frame potential ``F^2 = (||G||_F^2 - Tr G) / N(G)`` (eq. 12), block by block.

    Works on NumPy arrays (returns a float) and on torch tensors (returns a differentiable
    0-d tensor). Cost: one ``(k_t, k_t)`` product per parameter edge into layer ``t`` and one
    elementwise pass per edge; the ``(n_atoms, n_atoms)`` Gram matrix is never formed.

    Parameters
    ----------
    architecture : Architecture
    weights : list of arrays, shapes ``architecture.weight_shapes``
    return_parts : bool
        Also return the numerator ``||G||_F^2 - Tr G`` and ``N(G)``.

    Returns
    -------
    float or tensor, or (value, numerator, N(G)) when ``return_parts``
    """
    check_weights(architecture, weights)
    inv = {t: 1.0 / v**0.5 for t, v in _column_norms(architecture, weights).items()}
    gram_in: dict[int, Any] = {}  # sum of A^T A over the parameter edges into layer t
    diag_in: dict[int, Any] = {}  # its diagonal: the squared column norms of those A
    off_blocks = 0.0  # sum over edges s -> t (s >= 1) of ||G_st||_F^2
    w_iter = iter(weights)
    for e in architecture.edges:
        t, s = e.target, e.source
        if e.kind == "param":
            A = next(w_iter)
            gram_in[t] = gram_in.get(t, 0.0) + A.T @ A
            diag_in[t] = diag_in.get(t, 0.0) + (A * A).sum(0)
            if s >= 1:
                off_blocks = off_blocks + ((A * inv[s][:, None] * inv[t][None, :]) ** 2).sum()
        elif s >= 1:
            off_blocks = off_blocks + ((inv[s] * inv[t]) ** 2).sum()
    numerator = 2.0 * off_blocks
    for t, P in gram_in.items():
        # off-diagonal part of G_tt = N^-1 (P + m I) N^-1: the identity only touches the diagonal
        scaled = P * inv[t][:, None] * inv[t][None, :]
        numerator = numerator + (scaled**2).sum() - ((diag_in[t] * inv[t] ** 2) ** 2).sum()
    n_nonzero = architecture.n_structural_nonzeros
    value = numerator / n_nonzero
    if isinstance(value, np.ndarray | np.floating):
        value, numerator = float(value), float(numerator)
    if return_parts:
        return value, numerator, n_nonzero
    return value


def array_namespace(weights: Sequence[Any]) -> Any:
    """``torch`` when the weights are torch tensors, else ``numpy``."""
    if weights and type(weights[0]).__module__.startswith("torch"):
        import torch

        return torch
    return np


def _dtype(weights: Sequence[Any], xp: Any) -> Any:
    return weights[0].dtype if weights else xp.float64


def dense_induced_dictionary(
    architecture: Architecture, weights: Sequence[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """The induced dictionary ``B`` and its structural mask, formed densely (small nets only).

    Block row per edge ``s -> t`` (height ``k_s``): ``A_ts`` (or ``I``) in block column ``t``,
    ``-I`` in block column ``s`` when ``s >= 1``.

    Returns
    -------
    B : ndarray of float64, shape (n_rows, n_atoms)
    mask : ndarray of bool, shape (n_rows, n_atoms)
        Structurally nonzero entries (parameter blocks full, identity blocks diagonal).
    """
    check_weights(architecture, weights)
    k = architecture.widths
    col_start = np.concatenate([[0], np.cumsum(k[1:])])  # layer t starts at col_start[t - 1]
    B = np.zeros((architecture.n_rows, architecture.n_atoms))
    mask = np.zeros(B.shape, dtype=bool)
    row = 0
    w_iter = iter(weights)
    for e in architecture.edges:
        s, t = e.source, e.target
        rows = slice(row, row + k[s])
        ct = slice(col_start[t - 1], col_start[t - 1] + k[t])
        if e.kind == "param":
            B[rows, ct] = np.asarray(next(w_iter), dtype=np.float64)
            mask[rows, ct] = True
        else:
            B[rows, ct] = np.eye(k[t])
            mask[rows, ct] = np.eye(k[t], dtype=bool)
        if s >= 1:
            cs = slice(col_start[s - 1], col_start[s - 1] + k[s])
            B[rows, cs] = -np.eye(k[s])
            mask[rows, cs] = np.eye(k[s], dtype=bool)
        row += k[s]
    return B, mask


def dense_gram(
    architecture: Architecture, weights: Sequence[Any]
) -> tuple[np.ndarray, np.ndarray, float]:
    """Dense reference: form ``B``, normalise its columns, ``G = B~^T B~``, and ``F^2``.

    Returns
    -------
    G : ndarray of float64, shape (n_atoms, n_atoms)
    structure : ndarray of bool, shape (n_atoms, n_atoms)
        Structurally nonzero entries of ``G`` (from the mask of ``B``).
    potential : float
        ``(||G||_F^2 - Tr G) / N(G)`` with ``N(G)`` counted from ``structure``.
    """
    return gram_from_dictionary(*dense_induced_dictionary(architecture, weights))


def gram_from_dictionary(B: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Normalise the columns of a dense dictionary, form its Gram matrix and ``F^2``.

    Parameters
    ----------
    B : ndarray, shape (n_rows, n_atoms)
    mask : ndarray of bool, shape (n_rows, n_atoms)
        Structurally nonzero entries of ``B``.

    Returns
    -------
    G : ndarray of float64, shape (n_atoms, n_atoms)
    structure : ndarray of bool, shape (n_atoms, n_atoms)
        Structurally nonzero entries of ``G``: atoms whose masks share a row.
    potential : float
        ``(||G||_F^2 - Tr G) / N(G)`` with ``N(G)`` counted from ``structure``.
    """
    Bn = B / np.linalg.norm(B, axis=0)
    G = Bn.T @ Bn
    m = mask.astype(np.float64)  # float: BLAS (integer matmul has none); counts are exact
    structure = (m.T @ m) > 0.5
    off = ~np.eye(G.shape[0], dtype=bool)
    n_nonzero = int(np.count_nonzero(structure & off))
    return G, structure, float((np.sum(G * G) - np.trace(G)) / n_nonzero)
