"""The lower bound on the deep frame potential of fully-connected chain networks (eq. 17-22).

For a chain with widths ``k_0, ..., k_l``, ``||G||_F^2 = ||H||_F^2`` with ``H = B~ B~^T``
(eq. 17). Writing ``t_jn = 1 / (c_jn^2 + 1)`` for the column norms ``c_jn`` of ``B_j``
(``j < l``), the blocks satisfy

- ``||H_{j,j+1}||_F^2 = sum_n t_jn (1 - t_jn)`` (eq. 21, ``c^2 / (c^2 + 1)^2 = t (1 - t)``),
- ``||H_jj||_F^2 >= (Tr H_jj)^2 / k_{j-1}`` (Cauchy-Schwarz on a PSD matrix of rank
  ``<= k_{j-1}``, eq. 22) with ``Tr H_11 = k_1 - T_1``,
  ``Tr H_jj = k_j - T_j + T_{j-1}`` and ``Tr H_ll = k_l + T_{l-1}``, where ``T_j = sum_n t_jn``.
  (The last layer's columns are normalised by ``C_l`` alone, so its trace is ``k_l``; eq. 19
  as printed uses ``C_l^2 + I`` there, which does not match the dictionary of eq. 6.)

The bound still depends on the ``t``. Minimising it over ``t in [0, 1]`` makes it a function of
the widths alone: at fixed ``T_j``, ``sum_n t_jn (1 - t_jn) >= frac(T_j) (1 - frac(T_j))``, and
the result is concave in each ``T_j`` between consecutive integers (its curvature
``2 / k_{j-1} + 2 / k_j - 4 <= 0``), so the minimum sits at integer ``T_j``, where the eq. 21
terms vanish. What is left is a chain-structured integer quadratic, minimised exactly by
dynamic programming over ``T_1, ..., T_{l-1}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .induced import make_architecture, parse_widths

__all__ = ["ChainBound", "chain_bound_given_norms", "chain_lower_bound"]


@dataclass(frozen=True)
class ChainBound:
    """The chain lower bound and where it is attained.

    Attributes
    ----------
    frame_potential : float
        Lower bound on the deep frame potential ``F^2`` of every chain with these widths.
    gram_norm : float
        Lower bound on ``||G||_F^2``.
    counts : tuple of int, length l - 1
        Minimising ``T_j`` (how many columns of ``B_j`` are, in the limit, zero).
    n_structural_nonzeros : int
        ``N(G)`` of the chain.
    """

    frame_potential: float
    gram_norm: float
    counts: tuple[int, ...]
    n_structural_nonzeros: int


def chain_bound_given_norms(widths: Any, column_norms: list[Any]) -> float:
    """Lower bound on ``||G||_F^2`` of a chain whose ``B_j`` have the given column norms.

    Parameters
    ----------
    widths : sequence of int, length l + 1
    column_norms : list of l - 1 arrays, shapes ``(k_1,), ..., (k_{l-1},)``
        Column norms ``c_j`` of ``B_1, ..., B_{l-1}`` (those of ``B_l`` do not enter).

    Returns
    -------
    float
        ``sum_j (Tr H_jj)^2 / k_{j-1} + 2 sum_j ||H_{j,j+1}||_F^2`` (eq. 17, 21, 22).
    """
    k = parse_widths(widths)
    depth = len(k) - 1
    if len(column_norms) != depth - 1:
        raise ValueError(
            f"column_norms must hold {depth - 1} arrays (layers 1..l-1); got {len(column_norms)}."
        )
    t = [1.0 / (np.asarray(c, dtype=np.float64) ** 2 + 1.0) for c in column_norms]
    total = 0.0
    for j in range(1, depth + 1):
        trace = (k[j] - t[j - 1].sum()) if j < depth else float(k[j])
        if j > 1:
            trace += t[j - 2].sum()
        total += trace**2 / k[j - 1]
    total += 2.0 * sum(float((x * (1 - x)).sum()) for x in t)
    return float(total)


def chain_lower_bound(widths: Any) -> ChainBound:
    """Lower bound on the deep frame potential of a fully-connected chain (Sec. 4.1).

    Parameters
    ----------
    widths : sequence of int or str
        ``(k_0, ..., k_l)``, ``k_0`` the input dimension.

    Returns
    -------
    ChainBound
        For ``l = 1`` this is the Welch bound ``(k_1 - k_0) / (k_0 (k_1 - 1))`` (or 0).
    """
    k = parse_widths(widths)
    depth = len(k) - 1
    n_nonzero = make_architecture("chain", k).n_structural_nonzeros
    n_atoms = sum(k[1:])
    if depth == 1:
        gram = k[1] ** 2 / k[0]
        counts: tuple[int, ...] = ()
    else:
        # value[T] = min cost of rows 1..j given T_j = T; back[j] stores the argmins.
        T = np.arange(k[1] + 1, dtype=np.float64)
        value = (k[1] - T) ** 2 / k[0]
        back = []
        for j in range(2, depth):
            prev = np.arange(k[j - 1] + 1, dtype=np.float64)[:, None]
            cur = np.arange(k[j] + 1, dtype=np.float64)[None, :]
            total = value[:, None] + (k[j] - cur + prev) ** 2 / k[j - 1]
            back.append(np.argmin(total, axis=0))
            value = total.min(axis=0)
        prev = np.arange(k[depth - 1] + 1, dtype=np.float64)
        final = value + (k[depth] + prev) ** 2 / k[depth - 1]
        best = int(np.argmin(final))
        gram = float(final[best])
        path = [best]
        for b in reversed(back):
            path.append(int(b[path[-1]]))
        counts = tuple(reversed(path))
    gram = max(gram, float(n_atoms))  # ||G||^2 >= Tr G: the off-diagonal part is never < 0
    return ChainBound(
        frame_potential=(gram - n_atoms) / n_nonzero,
        gram_norm=float(gram),
        counts=counts,
        n_structural_nonzeros=n_nonzero,
    )
