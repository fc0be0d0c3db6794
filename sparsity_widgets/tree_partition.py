"""The cells of one fitted tree in two dimensions, with their wavelet norms (no plotting).

Each node of a tree owns an axis-parallel box: the root owns the data's bounding box, and a
split ``x[f] <= t`` cuts its node's box into the left and right children's boxes. In 2-D these
boxes are rectangles; :func:`tree_cells` returns them in the data's own coordinates together
with each node's wavelet norm, depth and leaf flag, ready to be drawn.

:func:`mterm_cells` marks the nodes of the M-term approximation (the M wavelets of largest norm
over the forest), and :func:`mterm_on_grid` (or, for many M, :class:`MTermGrid`) evaluates
that approximation on a regular grid of the plane.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_int

__all__ = ["MTermGrid", "TreeCells", "mterm_cells", "mterm_on_grid", "tree_cells"]


@dataclass(frozen=True)
class TreeCells:
    """The boxes of every node of one tree, in data coordinates.

    Attributes
    ----------
    tree : int
        Index of the tree in the forest.
    nodes : ndarray of int64, shape (k,)
        Global node indices (into ``forest.nodes_``), in the tree's order (parents first).
    lower, upper : ndarray of float64, shape (k, 2)
        Opposite corners of each node's rectangle.
    norm : ndarray of float64, shape (k,)
        Wavelet norm of each node (the root's entry is its father wavelet's norm).
    depth : ndarray of int64, shape (k,)
    is_leaf : ndarray of bool, shape (k,)
    parent : ndarray of int64, shape (k,)
        Position (in this object) of each node's parent, ``-1`` at the root.
    """

    tree: int
    nodes: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    norm: np.ndarray
    depth: np.ndarray
    is_leaf: np.ndarray
    parent: np.ndarray

    @property
    def n_cells(self) -> int:
        """Number of nodes (cells at every level)."""
        return int(self.nodes.shape[0])

    @property
    def n_leaves(self) -> int:
        """Number of leaves: the cells of the tree's partition."""
        return int(self.is_leaf.sum())

    @property
    def area(self) -> np.ndarray:
        """Area of each rectangle, shape (k,)."""
        return np.prod(self.upper - self.lower, axis=1)


def _check_fitted_2d(forest: Any) -> None:
    if not hasattr(forest, "nodes_"):
        raise ValueError("forest must be a fitted WaveletForest; call fit(X, y) first.")
    if forest.n_features_in_ != 2:
        raise ValueError(
            "tree cells are rectangles only for 2-D data: forest must be fitted on 2 features; "
            f"got {forest.n_features_in_}."
        )


def tree_cells(forest: Any, tree: int = 0) -> TreeCells:
    """The rectangles of every node of one tree of a forest fitted on 2-D points.

    Parameters
    ----------
    forest : WaveletForest
        Fitted on data with exactly 2 features.
    tree : int
        Which tree, ``0 <= tree < n_trees``.

    Returns
    -------
    TreeCells
        The root's rectangle is the bounding box of the training data; the rectangles of a
        node's children tile its own.
    """
    _check_fitted_2d(forest)
    nodes = forest.nodes_
    tree = check_int("tree", tree, minimum=0)
    if tree >= nodes.n_trees:
        raise ValueError(f"tree must be in [0, {nodes.n_trees - 1}]; got {tree}.")
    start, stop = int(nodes.tree_offsets[tree]), int(nodes.tree_offsets[tree + 1])
    count = stop - start
    lower = np.zeros((count, 2))
    upper = np.ones((count, 2))
    parent = np.where(nodes.parent[start:stop] >= 0, nodes.parent[start:stop] - start, -1)
    left, right = nodes.left[start:stop], nodes.right[start:stop]
    feature, threshold = nodes.feature[start:stop], nodes.threshold[start:stop]
    # parents come before their children in the flat arrays: one pass fills every box
    for local in range(count):
        if left[local] < 0:
            continue
        f, t = int(feature[local]), float(threshold[local])
        for child, side in ((int(left[local]) - start, 0), (int(right[local]) - start, 1)):
            lower[child] = lower[local]
            upper[child] = upper[local]
            if side == 0:
                upper[child, f] = t
            else:
                lower[child, f] = t
    # from the normalised unit square back to the data's coordinates
    lower = forest.feature_min_ + lower * forest.feature_scale_
    upper = forest.feature_min_ + upper * forest.feature_scale_
    return TreeCells(
        tree=tree,
        nodes=np.arange(start, stop, dtype=np.int64),
        lower=lower,
        upper=upper,
        norm=nodes.norm[start:stop].astype(np.float64),
        depth=nodes.depth[start:stop].astype(np.int64),
        is_leaf=left < 0,
        parent=parent.astype(np.int64),
    )


def mterm_cells(forest: Any, n_terms: int) -> np.ndarray:
    """Global indices of the wavelets the M-term approximation keeps.

    Parameters
    ----------
    forest : WaveletForest
        Fitted.
    n_terms : int
        ``M >= 0``; more than the number of wavelets keeps them all.

    Returns
    -------
    ndarray of int64, shape (min(M, n_wavelets),)
        The M non-root nodes of largest norm over the whole forest, largest first (ties in
        node order, as :meth:`WaveletForest.predict` breaks them).
    """
    if not hasattr(forest, "nodes_"):
        raise ValueError("forest must be a fitted WaveletForest; call fit(X, y) first.")
    n_terms = check_int("n_terms", n_terms, minimum=0)
    nodes = forest.nodes_
    candidates = np.flatnonzero(nodes.parent >= 0)
    order = candidates[np.argsort(-nodes.norm[candidates], kind="stable")]
    return order[:n_terms].astype(np.int64)


def mterm_on_grid(
    forest: Any,
    n_terms: int | None,
    bounds: tuple[float, float, float, float],
    resolution: int = 160,
) -> np.ndarray:
    """The M-term approximation of a 2-D forest on a regular grid.

    Parameters
    ----------
    forest : WaveletForest
        Fitted on 2 features.
    n_terms : int or None
        M; None keeps every wavelet (the forest's own prediction).
    bounds : (x_min, x_max, y_min, y_max)
        The rectangle to cover.
    resolution : int
        Grid points per side, at least 2.

    Returns
    -------
    ndarray of float64, shape (resolution, resolution, n_outputs)
        Row ``i`` is ``y = y_min + i * (y_max - y_min) / (resolution - 1)`` (``origin="lower"``
        for ``imshow``), column ``j`` the same in ``x``.
    """
    _check_fitted_2d(forest)
    resolution = check_int("resolution", resolution, minimum=2)
    x_min, x_max, y_min, y_max = (float(b) for b in bounds)
    if not (x_min < x_max and y_min < y_max):
        raise ValueError(
            "bounds must be (x_min, x_max, y_min, y_max) with x_min < x_max and y_min < y_max; "
            f"got {bounds}."
        )
    xs = np.linspace(x_min, x_max, resolution)
    ys = np.linspace(y_min, y_max, resolution)
    gx, gy = np.meshgrid(xs, ys)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    values = forest.predict(points, n_terms=n_terms)
    return values.reshape(resolution, resolution, -1)


class MTermGrid:
    """M-term approximations of a 2-D forest on one grid, for any number of M.

    The grid's leaves are found once; each M then costs one pass over the nodes (the
    approximation is constant on every leaf) and one gather, instead of a walk from every grid
    point to the root.

    Parameters
    ----------
    forest : WaveletForest
        Fitted on 2 features.
    bounds : (x_min, x_max, y_min, y_max)
    resolution : int
        Grid points per side, at least 2.

    Attributes
    ----------
    leaves : ndarray of int64, shape (resolution * resolution, n_trees)
        Global leaf index of every grid point in every tree (row-major, ``y`` slowest).
    """

    def __init__(
        self, forest: Any, bounds: tuple[float, float, float, float], resolution: int = 160
    ) -> None:
        _check_fitted_2d(forest)
        self.resolution = check_int("resolution", resolution, minimum=2)
        x_min, x_max, y_min, y_max = (float(b) for b in bounds)
        if not (x_min < x_max and y_min < y_max):
            raise ValueError(
                "bounds must be (x_min, x_max, y_min, y_max) with x_min < x_max and "
                f"y_min < y_max; got {bounds}."
            )
        self.forest = forest
        gx, gy = np.meshgrid(
            np.linspace(x_min, x_max, self.resolution), np.linspace(y_min, y_max, self.resolution)
        )
        self.leaves = forest.apply(np.column_stack([gx.ravel(), gy.ravel()]))
        nodes = forest.nodes_
        # nodes level by level, so that each parent is done before its children
        order = np.argsort(nodes.depth, kind="stable")
        self._levels = np.split(order, np.flatnonzero(np.diff(nodes.depth[order])) + 1)

    def values(self, n_terms: int | None) -> np.ndarray:
        """The M-term approximation on the grid.

        Parameters
        ----------
        n_terms : int or None
            M; None keeps every wavelet.

        Returns
        -------
        ndarray of float64, shape (resolution, resolution, n_outputs)
            As :func:`mterm_on_grid` returns it (equal to it up to rounding).
        """
        nodes = self.forest.nodes_
        kept = np.ones(nodes.n_nodes, dtype=bool)
        if n_terms is not None:
            kept[:] = False
            kept[mterm_cells(self.forest, n_terms)] = True
        approx = np.empty_like(nodes.mean)
        roots = self._levels[0]
        approx[roots] = nodes.mean[roots]
        for level in self._levels[1:]:
            parent = nodes.parent[level]
            step = (nodes.mean[level] - nodes.mean[parent]) * kept[level, None]
            approx[level] = approx[parent] + step
        out = approx[self.leaves].mean(axis=1)
        return out.reshape(self.resolution, self.resolution, -1)
