"""The flat per-node representation of a fitted forest, built from scikit-learn trees."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._numerics import box_volumes, node_counts_from_leaves, parent_and_depth, wavelet_norms

__all__ = ["FlatForest", "flatten_sklearn_trees"]


@dataclass(frozen=True)
class FlatForest:
    """Every node of every tree in flat arrays (global node indices).

    Attributes
    ----------
    tree_offsets : ndarray of int64, shape (n_trees + 1,)
        Tree ``j`` owns nodes ``tree_offsets[j]:tree_offsets[j + 1]``; its root is the first.
    tree : ndarray of int64, shape (n_nodes,)
        Tree index of each node.
    parent, left, right : ndarray of int64, shape (n_nodes,)
        Parent (``-1`` at roots) and children (``-1`` at leaves).
    depth : ndarray of int64, shape (n_nodes,)
    feature : ndarray of int64, shape (n_nodes,)
        Split feature, ``-1`` at leaves.
    threshold : ndarray of float64, shape (n_nodes,)
        Split threshold in normalised ([0, 1]) units; samples with ``x <= threshold`` go left.
    n_samples : ndarray of int64, shape (n_nodes,)
        Training samples (of the whole training set, in-bag or not) that reach the node.
    mean : ndarray of float64, shape (n_nodes, n_outputs)
        Mean target vector E of the node, as the tree fitted it (bootstrap-weighted).
    weight : ndarray of float64, shape (n_nodes,)
        The measure ``|Omega|`` used in the norms: sample fraction or box volume.
    norm : ndarray of float64, shape (n_nodes,)
        Wavelet norms; at roots, the father wavelet's norm (excluded from N_tau).
    volume : ndarray of float64, shape (n_nodes,) or None
        Box volumes in the unit cube, when they were computed.
    """

    tree_offsets: np.ndarray
    tree: np.ndarray
    parent: np.ndarray
    left: np.ndarray
    right: np.ndarray
    depth: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    n_samples: np.ndarray
    mean: np.ndarray
    weight: np.ndarray
    norm: np.ndarray
    volume: np.ndarray | None

    @property
    def n_trees(self) -> int:
        return int(self.tree_offsets.shape[0] - 1)

    @property
    def n_nodes(self) -> int:
        return int(self.parent.shape[0])

    @property
    def roots(self) -> np.ndarray:
        """Global index of each tree's root, shape (n_trees,)."""
        return self.tree_offsets[:-1]

    @property
    def is_root(self) -> np.ndarray:
        """Boolean mask of the roots, shape (n_nodes,)."""
        return self.parent < 0

    @property
    def is_leaf(self) -> np.ndarray:
        """Boolean mask of the leaves, shape (n_nodes,)."""
        return self.left < 0

    @property
    def wavelet_norms(self) -> np.ndarray:
        """Norms of the non-root wavelets, the ones N_tau sums, shape (n_nodes - n_trees,)."""
        return self.norm[self.parent >= 0]

    @property
    def n_wavelets(self) -> int:
        return self.n_nodes - self.n_trees

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays, in bytes."""
        return sum(
            getattr(self, name).nbytes
            for name in self.__dataclass_fields__
            if getattr(self, name) is not None
        )


def flatten_sklearn_trees(trees: list, n_outputs: int) -> dict[str, np.ndarray]:
    """Concatenate scikit-learn ``tree_`` arrays with global node indices.

    Parameters
    ----------
    trees : list of sklearn.tree._tree.Tree
        The ``tree_`` attribute of each fitted estimator.
    n_outputs : int
        Number of target columns.

    Returns
    -------
    dict
        ``tree_offsets``, ``left``, ``right``, ``feature``, ``threshold`` and ``mean`` arrays.
    """
    sizes = np.array([t.node_count for t in trees], dtype=np.int64)
    offsets = np.zeros(len(trees) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    n_nodes = int(offsets[-1])
    left = np.empty(n_nodes, dtype=np.int64)
    right = np.empty(n_nodes, dtype=np.int64)
    feature = np.empty(n_nodes, dtype=np.int64)
    threshold = np.empty(n_nodes, dtype=np.float64)
    mean = np.empty((n_nodes, n_outputs), dtype=np.float64)
    for j, t in enumerate(trees):
        sl = slice(offsets[j], offsets[j + 1])
        is_leaf = t.children_left < 0
        left[sl] = np.where(is_leaf, -1, t.children_left + offsets[j])
        right[sl] = np.where(is_leaf, -1, t.children_right + offsets[j])
        feature[sl] = np.where(is_leaf, -1, t.feature)
        threshold[sl] = np.where(is_leaf, np.nan, t.threshold)
        mean[sl] = t.value[:, :, 0]
    internal = left >= 0
    index = np.arange(n_nodes)
    if (left[internal] <= index[internal]).any() or (right[internal] <= index[internal]).any():
        raise ValueError("tree arrays must number every child after its parent")
    return {
        "tree_offsets": offsets,
        "left": left,
        "right": right,
        "feature": feature,
        "threshold": threshold,
        "mean": mean,
    }


def build_flat_forest(
    arrays: dict[str, np.ndarray], leaves: np.ndarray, norm_weight: str
) -> FlatForest:
    """Derive parents, depths, counts, weights and wavelet norms from the raw tree arrays.

    Parameters
    ----------
    arrays : dict
        Output of :func:`flatten_sklearn_trees` (or any builder with the same contract).
    leaves : ndarray of int64, shape (n_samples, n_trees)
        Leaf reached by each training sample in each tree.
    norm_weight : {"samples", "volume"}
        Which measure ``|Omega|`` weights the norms.

    Returns
    -------
    FlatForest
    """
    offsets = arrays["tree_offsets"]
    left, right = arrays["left"], arrays["right"]
    parent, depth = parent_and_depth(left, right)
    counts = node_counts_from_leaves(leaves, parent)
    volume = None
    if norm_weight == "volume":
        volume = box_volumes(left, parent, arrays["feature"], arrays["threshold"])
        weight = volume
    else:
        weight = counts / float(leaves.shape[0])
    norm = wavelet_norms(parent, arrays["mean"], weight)
    tree = np.repeat(np.arange(offsets.shape[0] - 1, dtype=np.int64), np.diff(offsets))
    return FlatForest(
        tree_offsets=offsets,
        tree=tree,
        parent=parent,
        left=left,
        right=right,
        depth=depth,
        feature=arrays["feature"],
        threshold=arrays["threshold"],
        n_samples=counts,
        mean=arrays["mean"],
        weight=weight,
        norm=norm,
        volume=volume,
    )
