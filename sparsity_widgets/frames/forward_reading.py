"""The paper's other reading of skip connections (eq. 7-10): one block row per layer, dense.

The package derives every induced dictionary from the generative constraints (:mod:`.induced`):
each edge ``s -> t`` adds a block row in which layer ``t``'s units reconstruct ``w_s``. Eq. 7-10
of Murdock & Lucey instead write one constraint per layer in the *forward* direction,
``||w_t - sum_s A_ts^T w_s||^2`` (eq. 8 and 10, with ``B_tt = I``), and keep the data term
``||x - B_1 w_1||^2`` for the first layer. Its dictionary has one block row per layer: the first
holds ``A_10`` under layer 1; row ``t >= 2`` holds ``I`` under layer ``t`` and ``-A_ts^T``
(``-I`` for a shortcut) under every source ``s >= 1``. Edges from the input into later layers
only move data to the right-hand side and leave no block. A shortcut adds no rows here.

This module forms that dictionary densely, for small networks only, so that the two readings
can be compared (``frame_potential.md``, "Do shortcuts lower the minimum of a convolutional
network?"). It accepts fully-connected and convolutional architectures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .conv_induced import ConvArchitecture, ConvEdge, param_block_entries
from .induced import Architecture, array_namespace, check_weights

__all__ = ["forward_dense_dictionary", "forward_frame_potential"]


def _as_conv(architecture: Architecture | ConvArchitecture) -> ConvArchitecture:
    if isinstance(architecture, ConvArchitecture):
        return architecture
    return ConvArchitecture(
        architecture.widths,
        ((1,),) * len(architecture.widths),
        tuple(ConvEdge(e.source, e.target, e.kind, 1) for e in architecture.edges),
    )


def forward_dense_dictionary(
    architecture: Architecture | ConvArchitecture, weights: Sequence[Any]
) -> tuple[Any, np.ndarray]:
    """The forward-reading dictionary and its structural mask, formed densely.

    Parameters
    ----------
    architecture : Architecture or ConvArchitecture
        Layer 1 must be the only layer with a parameter edge from the input.
    weights : list of arrays (NumPy or torch), shapes ``architecture.weight_shapes``

    Returns
    -------
    B : ndarray or tensor, shape (rows, n_atoms)
        Rows: ``c_0 N_0`` for the data term, then ``c_t N_t`` for each layer ``t >= 2``.
    mask : ndarray of bool, same shape
    """
    check_weights(architecture, weights)
    a = _as_conv(architecture)
    xp = array_namespace(weights)
    units = [a.channels[t] * a.positions(t) for t in range(a.n_layers + 1)]
    col = np.concatenate([[0], np.cumsum(units[1:])]).astype(int)  # layer t at col[t - 1]
    row = {1: 0}
    for t in range(2, a.n_layers + 1):
        row[t] = units[0] + sum(units[2:t])
    n_rows = units[0] + sum(units[2:])
    flat_weights = [w.reshape(-1) for w in weights]
    rows, cols, values = [], [], []
    mask = np.zeros((n_rows, col[-1]), dtype=bool)

    def put(r: np.ndarray, c: np.ndarray, v: Any) -> None:
        rows.append(r)
        cols.append(c)
        values.append(v)
        mask[r, c] = True

    for t in range(2, a.n_layers + 1):
        n = units[t]
        put(row[t] + np.arange(n), col[t - 1] + np.arange(n), xp.ones(n))
    w_iter = iter(flat_weights)
    for e in a.edges:
        w = next(w_iter) if e.kind == "param" else None
        if e.source == 0:
            if e.target != 1:
                continue  # data moved to the right-hand side: no block
            if w is None:
                raise ValueError("forward reading: the first layer needs filters from the input.")
            source, target, flat = param_block_entries(a, e)
            put(source, col[0] + target, w[flat])
            continue
        if w is None:  # shortcut: -I under the source, in the target's row
            n = units[e.source]
            put(row[e.target] + np.arange(n), col[e.source - 1] + np.arange(n), -xp.ones(n))
            continue
        source, target, flat = param_block_entries(a, e)
        put(row[e.target] + target, col[e.source - 1] + source, -w[flat])
    index = (np.concatenate(rows), np.concatenate(cols))
    if xp is np:
        B = np.zeros(mask.shape)
        np.add.at(B, index, np.concatenate(values))
        return B, mask
    import torch

    dtype, device = flat_weights[0].dtype, flat_weights[0].device
    values_t = torch.cat([v.to(dtype=dtype, device=device) for v in values])
    B = torch.zeros(mask.shape, dtype=dtype, device=device)
    B = B.index_put(tuple(torch.as_tensor(ix, device=device) for ix in index), values_t, True)
    return B, mask


def forward_frame_potential(
    architecture: Architecture | ConvArchitecture, weights: Sequence[Any]
) -> Any:
    """``(||G||_F^2 - Tr G) / N(G)`` of the forward-reading dictionary (dense, small nets).

    Returns
    -------
    float for NumPy weights, a differentiable 0-d tensor for torch ones
    """
    B, mask = forward_dense_dictionary(architecture, weights)
    xp = array_namespace(weights)
    norms = (B * B).sum(0) ** 0.5
    Bn = B / norms
    G = Bn.T @ Bn
    m = mask.astype(np.float64)
    structure = (m.T @ m) > 0.5
    np.fill_diagonal(structure, False)
    n_nonzero = int(structure.sum())
    value = ((G * G).sum() - xp.diagonal(G).sum()) / n_nonzero
    return float(value) if xp is np else value
