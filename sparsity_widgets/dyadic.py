"""The non-adaptive isotropic dyadic tree of Lemma 3.1, in the flat-forest format.

The tree ``T_I`` splits ``[0, 1]^2`` at dyadic midpoints, alternating the axes (``x_1`` at even
levels, ``x_2`` at odd levels): level ``k`` holds ``2^k`` rectangles of area ``2^-k`` and level
``2k`` the dyadic squares of side ``2^-k``. Node means are exact averages of the finest-level
cell means, and the norms weight by the box area, so ``FlatForest.wavelet_norms`` feeds
:func:`sparsity_widgets.tau_star.sparsity_curve` unchanged (one tree, ``J = 1``).

Pure numpy (the norms come from the numba kernel of :mod:`sparsity_widgets._numerics`).

In dimension ``n`` (Lemma 3.1 on ``[0, 1]^n`` in the book's chapter on tau-sparsity) the tree
has ``2^(n m)`` leaves, too many nodes to hold as a flat forest for ``n = 3, m = 7``:
:func:`dyadic_level_sums` returns the per-level sums of ``||psi||^tau`` instead, computed level
by level from an ``n``-D array of cell means, and :func:`halfspace_cell_means` gives the exact
cell means of a half-space whose boundary is cut at every scale.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._numerics import parent_and_depth, wavelet_norms
from ._validation import check_int, check_real
from .flat_forest import FlatForest

__all__ = [
    "MAX_GRID_CELLS",
    "disk_cell_means",
    "dyadic_cell_means",
    "dyadic_level_sums",
    "dyadic_tau_threshold",
    "dyadic_tree",
    "dyadic_tree_from_function",
    "halfspace_cell_means",
]

MAX_GRID_CELLS = 2**24
"""Largest number of finest cells :func:`halfspace_cell_means` and :func:`dyadic_level_sums`
accept (16.8 million: 128 MiB per float64 array), e.g. ``2^(3 * 8)`` in 3-D."""


def dyadic_tree(cell_means: Any) -> FlatForest:
    """The complete isotropic dyadic tree over a grid of finest-level cell means.

    Parameters
    ----------
    cell_means : array-like, shape (2^m,) or (2^m, 2^m)
        Mean of the function on each finest dyadic cell; ``cell_means[i1, i2]`` is the cell
        ``[i1, i1 + 1] x [i2, i2 + 1] / 2^m``. A 1-D grid gives the dyadic tree on ``[0, 1]``
        (``m`` levels); a 2-D grid gives ``T_I`` with ``2m`` levels.

    Returns
    -------
    FlatForest
        One tree, nodes numbered breadth first; ``mean`` has shape (n_nodes, 1), ``weight`` and
        ``volume`` are the box areas, ``n_samples`` counts the finest cells under each node.
    """
    means = np.asarray(cell_means, dtype=np.float64)
    if means.ndim not in (1, 2) or len(set(means.shape)) != 1:
        raise ValueError(
            f"cell_means must be a 1-D array or a square 2-D array; got shape {means.shape}."
        )
    side = means.shape[0]
    if side < 2 or side & (side - 1):
        raise ValueError(f"cell_means must have a power-of-two side >= 2; got side {side}.")
    if not np.isfinite(means).all():
        raise ValueError("cell_means must be finite.")
    dim = means.ndim
    m = side.bit_length() - 1
    n_levels = dim * m
    # level arrays from the leaves up: merge along x_2 (axis 1) first when the last split was x_2
    blocks = [means]
    current = means
    for level in range(n_levels, 0, -1):
        axis = (level - 1) % dim  # the split that created level `level`
        if axis == 0:
            current = 0.5 * (current[0::2] + current[1::2])
        else:
            current = 0.5 * (current[:, 0::2] + current[:, 1::2])
        blocks.append(current)
    blocks = blocks[::-1]  # blocks[k]: means of the 2^k nodes of level k
    # breadth-first numbering; within a level, node order follows a binary code of the splits
    node_means = []
    for k, block in enumerate(blocks):
        node_means.append(_level_order(block, k, dim))
    mean = np.concatenate(node_means)[:, None]
    n_nodes = mean.shape[0]
    starts = np.concatenate([[0], np.cumsum([2**k for k in range(n_levels + 1)])])
    left = np.full(n_nodes, -1, dtype=np.int64)
    right = np.full(n_nodes, -1, dtype=np.int64)
    feature = np.full(n_nodes, -1, dtype=np.int64)
    threshold = np.full(n_nodes, np.nan)
    lower = np.zeros((n_nodes, dim))
    size = np.ones((n_nodes, dim))
    for k in range(n_levels):
        idx = np.arange(starts[k], starts[k + 1])
        kids = starts[k + 1] + 2 * np.arange(2**k)
        axis = k % dim
        left[idx], right[idx] = kids, kids + 1
        feature[idx] = axis
        threshold[idx] = lower[idx, axis] + 0.5 * size[idx, axis]
        for child, offset in ((kids, 0.0), (kids + 1, 0.5)):
            lower[child] = lower[idx]
            size[child] = size[idx]
            size[child, axis] *= 0.5
            lower[child, axis] += offset * size[idx, axis]
    parent, depth = parent_and_depth(left, right)
    volume = size.prod(axis=1)
    counts = np.rint(volume * means.size).astype(np.int64)
    return FlatForest(
        tree_offsets=np.array([0, n_nodes], dtype=np.int64),
        tree=np.zeros(n_nodes, dtype=np.int64),
        parent=parent,
        left=left,
        right=right,
        depth=depth,
        feature=feature,
        threshold=threshold,
        n_samples=counts,
        mean=mean,
        weight=volume,
        norm=wavelet_norms(parent, mean, volume),
        volume=volume,
    )


def _level_order(block: np.ndarray, k: int, dim: int) -> np.ndarray:
    """Node means of level ``k`` in breadth-first order (left child before right child)."""
    if dim == 1:
        return block.ravel()
    # level k: k1 = ceil(k/2) splits along x_1, k2 = floor(k/2) along x_2, interleaved
    # x_1, x_2, x_1, ...; the node code reads the split bits in that order, most significant first
    k1, k2 = (k + 1) // 2, k // 2
    codes = np.zeros((2**k1, 2**k2), dtype=np.int64)
    i1 = np.arange(2**k1)[:, None]
    i2 = np.arange(2**k2)[None, :]
    for level in range(k):
        if level % 2 == 0:  # x_1 split number level // 2, bit (k1 - 1 - level // 2) of i1
            bit = (i1 >> (k1 - 1 - level // 2)) & 1
        else:
            bit = (i2 >> (k2 - 1 - level // 2)) & 1
        codes = codes | (bit << (k - 1 - level))
    out = np.empty(2**k)
    out[codes.ravel()] = block.ravel()
    return out


def disk_cell_means(
    levels: int,
    radius: float = 0.3,
    center: tuple[float, float] = (0.5, 0.5),
    supersample: int = 8,
) -> np.ndarray:
    """Mean of the indicator of a disk on every dyadic square of side ``2^-levels``.

    Parameters
    ----------
    levels : int
        ``m``: the grid has ``2^m x 2^m`` cells (tree depth ``2m``).
    radius : float
        Disk radius in (0, 0.5].
    center : tuple of float
        Disk centre; the disk must lie inside the unit square.
    supersample : int
        Each cell's mean is the fraction of its ``supersample^2`` midpoint sub-samples inside
        the disk (exact for cells not cut by the circle).

    Returns
    -------
    ndarray of float64, shape (2^levels, 2^levels)
    """
    # levels and supersample are checked by dyadic_cell_means
    radius = check_real("radius", radius, low=0.0, high=0.5, low_open=True)
    cx, cy = (float(c) for c in center)
    if cx - radius < 0 or cx + radius > 1 or cy - radius < 0 or cy + radius > 1:
        raise ValueError(
            f"center and radius must keep the disk inside [0, 1]^2; got center={center}, "
            f"radius={radius}."
        )
    return dyadic_cell_means(
        lambda x1, x2: ((x1 - cx) ** 2 + (x2 - cy) ** 2 <= radius**2).astype(np.float64),
        levels,
        supersample,
    )


def dyadic_cell_means(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray], levels: int, supersample: int = 8
) -> np.ndarray:
    """Midpoint-rule means of ``f(x1, x2)`` on the ``2^levels x 2^levels`` dyadic squares.

    Parameters
    ----------
    f : callable
        Vectorised ``f(x1, x2)`` on arrays of the same shape.
    levels : int
    supersample : int
        Midpoint samples per cell and axis.

    Returns
    -------
    ndarray of float64, shape (2^levels, 2^levels)
    """
    levels = check_int("levels", levels, minimum=1)
    if levels > 12:
        raise ValueError(f"levels must be at most 12 for a 2-D grid; got {levels}.")
    supersample = check_int("supersample", supersample, minimum=1)
    if not callable(f):
        raise ValueError(f"f must be a callable f(x1, x2); got {type(f).__name__}.")
    n = 2**levels * supersample
    t = (np.arange(n) + 0.5) / n
    values = np.asarray(f(t[:, None], t[None, :]), dtype=np.float64)
    if values.shape != (n, n):
        raise ValueError(f"f must return an array of shape {(n, n)}; got {values.shape}.")
    side = 2**levels
    return values.reshape(side, supersample, side, supersample).mean(axis=(1, 3))


def dyadic_tree_from_function(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray], levels: int, supersample: int = 8
) -> FlatForest:
    """:func:`dyadic_tree` of the midpoint-rule cell means of ``f`` (see
    :func:`dyadic_cell_means`).

    Returns
    -------
    FlatForest
        Depth ``2 * levels``.
    """
    return dyadic_tree(dyadic_cell_means(f, levels, supersample))


# --------------------------------------------------------------------------- dimension n
def dyadic_tau_threshold(dim: int) -> float:
    """The threshold ``2 (n - 1) / n`` of Lemma 3.1 on ``[0, 1]^n``.

    For the indicator of a set whose boundary is a smooth hypersurface cut at every scale, the
    isotropic dyadic tree has ``N_tau < infinity`` exactly for ``2 (n - 1) / n < tau < 2``, so
    ``tau* = 2 (n - 1) / n`` and ``alpha* = 1 / tau* - 1/2 = 1 / (2 (n - 1))``.

    Parameters
    ----------
    dim : int
        ``n >= 1``.

    Returns
    -------
    float
        ``0`` in 1-D, ``1`` in 2-D (Lemma 3.1), ``4/3`` in 3-D, tending to 2.
    """
    dim = check_int("dim", dim, minimum=1)
    return 2.0 * (dim - 1) / dim


def _irwin_hall_cdf(dim: int, t: np.ndarray) -> np.ndarray:
    """``P(U_1 + ... + U_dim <= t)`` for independent uniforms on [0, 1] (Irwin-Hall)."""
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, float(dim))
    out = np.zeros_like(t)
    for k in range(dim + 1):
        out += (-1) ** k * math.comb(dim, k) * np.where(t > k, t - k, 0.0) ** dim
    return np.clip(out / math.factorial(dim), 0.0, 1.0)


def _check_grid_size(levels: int, dim: int) -> None:
    if 2 ** (levels * dim) > MAX_GRID_CELLS:
        raise ValueError(
            f"levels={levels} in dim={dim} gives 2^{levels * dim} cells, more than "
            f"MAX_GRID_CELLS = 2^24; lower levels (at most {24 // dim} in {dim}-D)."
        )


def halfspace_cell_means(levels: int, dim: int) -> np.ndarray:
    """Exact means of the indicator of ``{x : x_1 + ... + x_n <= n / 2}`` on the dyadic cubes.

    The boundary hyperplane passes through the centre of ``[0, 1]^n`` with normal
    ``(1, ..., 1) / sqrt(n)``. On the cube ``h (a + [0, 1]^n)`` of side ``h = 2^-levels`` the set
    is ``{u in [0, 1]^n : u_1 + ... + u_n <= n / (2 h) - (a_1 + ... + a_n)}``, an integer
    threshold for ``levels >= 1``, so each mean is the Irwin-Hall distribution function of
    ``n`` uniforms at an integer: in 3-D one of ``0, 1/6, 5/6, 1``.

    Parameters
    ----------
    levels : int
        ``m >= 1``: cubes of side ``2^-m`` (tree depth ``n m``).
    dim : int
        ``n >= 1``; at most :data:`MAX_GRID_CELLS` cells in all.

    Returns
    -------
    ndarray of float64, shape (2^m,) * n
        ``out[a_1, ..., a_n]`` is the mean on the cube with lower corner ``a / 2^m``.
    """
    levels = check_int("levels", levels, minimum=1)
    dim = check_int("dim", dim, minimum=1)
    _check_grid_size(levels, dim)
    side = 2**levels
    corner_sum = np.zeros((1,) * dim, dtype=np.int64)
    for axis in range(dim):
        shape = [1] * dim
        shape[axis] = side
        corner_sum = corner_sum + np.arange(side, dtype=np.int64).reshape(shape)
    threshold = dim * 2 ** (levels - 1) - corner_sum  # an integer for levels >= 1
    values = _irwin_hall_cdf(dim, np.arange(dim + 1))  # the only values the means take
    return values[np.clip(threshold, 0, dim)]


def dyadic_level_sums(cell_means: Any, taus: Any) -> np.ndarray:
    """``sum ||psi||^tau`` over each level of the isotropic dyadic tree of ``[0, 1]^n``.

    The tree splits ``x_1, x_2, ..., x_n, x_1, ...`` in turn at dyadic midpoints (level ``k`` is
    made by a split along axis ``(k - 1) mod n``; in 2-D this is :func:`dyadic_tree`'s order), so
    level ``k`` holds ``2^k`` boxes of volume ``2^-k`` and level ``n j`` the cubes of side
    ``2^-j``. A node's norm is ``|E_child - E_parent| * volume^(1/2)`` (eq. 3.2 with volume
    weights), its mean the exact average of the finest cell means below it. Nothing is kept per
    node: one pass merges the grid level by level, from the leaves up.

    Parameters
    ----------
    cell_means : array-like, shape (2^m,) * n
        Means of a scalar function on the finest dyadic cubes (``n >= 1``, ``m >= 1``), e.g.
        :func:`halfspace_cell_means` or :func:`dyadic_cell_means` (2-D); at most
        :data:`MAX_GRID_CELLS` cells.
    taus : array-like, shape (t,)
        Exponents, each in (0, 2).

    Returns
    -------
    ndarray of float64, shape (n m, t)
        Row ``k - 1`` is the sum over the ``2^k`` nodes of level ``k`` (``k = 1 .. n m``; the
        root, the father wavelet, is left out as in N_tau); ``N_tau^tau`` of the tree truncated
        at depth ``K`` is the sum of the first ``K`` rows.
    """
    means = np.asarray(cell_means, dtype=np.float64)
    dim = means.ndim
    if dim < 1 or len(set(means.shape)) != 1:
        raise ValueError(
            "cell_means must be an n-D array with the same power-of-two side along every axis; "
            f"got shape {means.shape}."
        )
    side = means.shape[0]
    if side < 2 or side & (side - 1):
        raise ValueError(f"cell_means must have a power-of-two side >= 2; got side {side}.")
    if means.size > MAX_GRID_CELLS:
        raise ValueError(
            f"cell_means has {means.size} cells, more than MAX_GRID_CELLS = {MAX_GRID_CELLS}."
        )
    if not np.isfinite(means).all():
        raise ValueError("cell_means must be finite.")
    tau = np.asarray(taus, dtype=np.float64)
    if tau.ndim != 1 or tau.shape[0] < 1 or not np.isfinite(tau).all():
        raise ValueError(f"taus must be a non-empty 1-D array of finite values; got {taus!r}.")
    if tau.min() <= 0.0 or tau.max() >= 2.0:
        raise ValueError(
            f"taus must lie strictly inside (0, 2); got values from {tau.min():g} to {tau.max():g}."
        )
    n_levels = dim * (side.bit_length() - 1)
    sums = np.zeros((n_levels, tau.shape[0]))
    current = means
    for level in range(n_levels, 0, -1):
        axis = (level - 1) % dim  # the split that created `level`
        lower = np.take(current, np.arange(0, current.shape[axis], 2), axis=axis)
        upper = np.take(current, np.arange(1, current.shape[axis], 2), axis=axis)
        parent = 0.5 * (lower + upper)
        # the two children differ from their parent by -+ (upper - lower) / 2: one value twice
        diff = np.abs(0.5 * (upper - lower))
        diff = diff[diff > 0.0]
        if diff.size:
            scale = 2.0 ** (-level / 2.0)  # volume^(1/2) of a level-`level` box
            sums[level - 1] = 2.0 * np.power.outer(diff * scale, tau).sum(axis=0)
        current = parent
    return sums
