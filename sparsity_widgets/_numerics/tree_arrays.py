"""Per-node quantities of a flat forest: parents, depths, sample counts, volumes, norms.

All kernels run in O(n_nodes * depth) or O(n_samples * n_trees * depth) time and never build a
dense (samples x nodes) path matrix or a (nodes x features) box array.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "apply_flat",
    "box_volumes",
    "node_counts_from_leaves",
    "parent_and_depth",
    "wavelet_norms",
]


@numba.njit(cache=True)
def _parent_and_depth_jit(left, right, parent, depth):
    n_nodes = left.shape[0]
    for i in range(n_nodes):
        parent[i] = -1
        depth[i] = 0
    for i in range(n_nodes):
        for child in (left[i], right[i]):
            if child >= 0:
                parent[child] = i
                depth[child] = depth[i] + 1


def parent_and_depth(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parent index and depth of every node.

    Parameters
    ----------
    left, right : ndarray of int64, shape (n_nodes,)
        Global child indices, ``-1`` for leaves; children have larger indices than parents.

    Returns
    -------
    parent : ndarray of int64, shape (n_nodes,)
        Parent index, ``-1`` for tree roots.
    depth : ndarray of int64, shape (n_nodes,)
        Depth below the tree's root (roots have depth 0).
    """
    parent = np.empty(left.shape[0], dtype=np.int64)
    depth = np.empty(left.shape[0], dtype=np.int64)
    _parent_and_depth_jit(left, right, parent, depth)
    return parent, depth


@numba.njit(cache=True)
def _node_counts_jit(leaves, parent, counts):
    n_samples, n_trees = leaves.shape
    for i in range(counts.shape[0]):
        counts[i] = 0
    for s in range(n_samples):
        for j in range(n_trees):
            counts[leaves[s, j]] += 1
    # children have larger indices than parents: a backward pass accumulates subtrees
    for i in range(counts.shape[0] - 1, -1, -1):
        if parent[i] >= 0:
            counts[parent[i]] += counts[i]


def node_counts_from_leaves(leaves: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Number of samples that reach each node, from the leaf each sample falls in.

    Parameters
    ----------
    leaves : ndarray of int64, shape (n_samples, n_trees)
        Global index of the leaf reached by each sample in each tree.
    parent : ndarray of int64, shape (n_nodes,)
        Parent index of each node, ``-1`` for roots.

    Returns
    -------
    counts : ndarray of int64, shape (n_nodes,)
        Samples reaching each node (a root's count is ``n_samples``).
    """
    counts = np.empty(parent.shape[0], dtype=np.int64)
    _node_counts_jit(np.ascontiguousarray(leaves, dtype=np.int64), parent, counts)
    return counts


@numba.njit(cache=True)
def _box_volumes_jit(left, parent, feature, threshold, volume):
    n_nodes = left.shape[0]
    for c in range(n_nodes):
        p = parent[c]
        if p < 0:
            volume[c] = 1.0
            continue
        f = feature[p]
        t = threshold[p]
        # bounds of the parent's box along feature f, from the splits above the parent
        lo = 0.0
        hi = 1.0
        child = p
        a = parent[p]
        while a >= 0:
            if feature[a] == f:
                if left[a] == child:
                    hi = min(hi, threshold[a])
                else:
                    lo = max(lo, threshold[a])
            child = a
            a = parent[a]
        t = min(max(t, lo), hi)
        width = hi - lo
        if width <= 0.0:
            volume[c] = 0.0
        elif left[p] == c:
            volume[c] = volume[p] * ((t - lo) / width)
        else:
            volume[c] = volume[p] * ((hi - t) / width)


def box_volumes(
    left: np.ndarray, parent: np.ndarray, feature: np.ndarray, threshold: np.ndarray
) -> np.ndarray:
    """Volume of every node's box inside the unit cube ``[0, 1]^d``.

    Each node's box is its parent's box cut along one feature, so the volume follows from the
    parent's volume and the parent's bounds along the split feature, found by walking up the
    ancestors (O(depth) per node, no per-node box array).

    Parameters
    ----------
    left : ndarray of int64, shape (n_nodes,)
        Global left-child indices, ``-1`` for leaves.
    parent : ndarray of int64, shape (n_nodes,)
        Parent indices, ``-1`` for roots.
    feature : ndarray of int64, shape (n_nodes,)
        Split feature of each internal node, ``-1`` for leaves.
    threshold : ndarray of float64, shape (n_nodes,)
        Split thresholds in normalised units (inside ``[0, 1]``).

    Returns
    -------
    volume : ndarray of float64, shape (n_nodes,)
        Box volume in ``(0, 1]``; roots have volume 1.
    """
    volume = np.empty(left.shape[0], dtype=np.float64)
    _box_volumes_jit(left, parent, feature, threshold, volume)
    return volume


@numba.njit(cache=True)
def _wavelet_norms_jit(parent, mean, weight, norm):
    n_nodes, n_outputs = mean.shape
    for i in range(n_nodes):
        p = parent[i]
        acc = 0.0
        for k in range(n_outputs):
            diff = mean[i, k] - mean[p, k] if p >= 0 else mean[i, k]
            acc += diff * diff
        norm[i] = np.sqrt(acc) * np.sqrt(weight[i])


def wavelet_norms(parent: np.ndarray, mean: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Geometric-wavelet norms ``||E_node - E_parent||_2 * weight^(1/2)`` (eq. 3.2).

    A root holds the father wavelet ``psi = E_root``; its entry is ``||E_root||_2 * weight^(1/2)``.
    The root's children are ordinary wavelets: ``||E_child - E_root||_2 * weight^(1/2)``.

    Parameters
    ----------
    parent : ndarray of int64, shape (n_nodes,)
        Parent indices, ``-1`` for roots.
    mean : ndarray of float64, shape (n_nodes, n_outputs)
        Mean target vector of each node.
    weight : ndarray of float64, shape (n_nodes,)
        The node measure ``|Omega|``: box volume or fraction of training samples.

    Returns
    -------
    norm : ndarray of float64, shape (n_nodes,)
    """
    norm = np.empty(parent.shape[0], dtype=np.float64)
    _wavelet_norms_jit(parent, mean, weight, norm)
    return norm


_APPLY_BLOCK = 32


@numba.njit(cache=True, parallel=True)
def _apply_flat_jit(X, minimum, scale, normalise, roots, left, right, feature, threshold, leaves):
    # A block of samples descends each tree level by level, so the reads X[s, feature] of
    # different samples are independent and their cache misses overlap; walking one sample to
    # its leaf at a time waits on each miss in turn (about 3x slower on wide layers).
    n_samples = X.shape[0]
    n_trees = roots.shape[0]
    n_blocks = (n_samples + _APPLY_BLOCK - 1) // _APPLY_BLOCK
    for block in numba.prange(n_blocks):
        start = block * _APPLY_BLOCK
        size = min(_APPLY_BLOCK, n_samples - start)
        nodes = np.empty(_APPLY_BLOCK, dtype=np.int64)
        for j in range(n_trees):
            for b in range(size):
                nodes[b] = roots[j]
            descending = True
            while descending:
                descending = False
                for b in range(size):
                    node = nodes[b]
                    if left[node] >= 0:
                        f = feature[node]
                        if normalise:
                            value = np.float64(
                                np.float32((np.float64(X[start + b, f]) - minimum[f]) / scale[f])
                            )
                        else:
                            value = np.float64(X[start + b, f])
                        if value <= threshold[node]:
                            nodes[b] = left[node]
                        else:
                            nodes[b] = right[node]
                        descending = True
            for b in range(size):
                leaves[start + b, j] = nodes[b]


def apply_flat(
    X: np.ndarray,
    roots: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
) -> np.ndarray:
    """Leaf reached by each sample in each tree.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
        Normalised features. Compared in the array's own dtype promoted to float64, so pass
        float32 to reproduce scikit-learn's float32 split decisions exactly.
    roots : ndarray of int64, shape (n_trees,)
        Global index of each tree's root.
    left, right, feature, threshold : ndarray, shape (n_nodes,)
        Flat tree arrays.

    Returns
    -------
    leaves : ndarray of int64, shape (n_samples, n_trees)
    """
    leaves = np.empty((X.shape[0], roots.shape[0]), dtype=np.int64)
    empty = np.empty(0, dtype=np.float64)
    _apply_flat_jit(X, empty, empty, False, roots, left, right, feature, threshold, leaves)
    return leaves


def apply_flat_normalising(
    X: np.ndarray,
    minimum: np.ndarray,
    scale: np.ndarray,
    roots: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
) -> np.ndarray:
    """:func:`apply_flat` on raw features, min-max normalising only the values it compares.

    Each compared value is ``float32((float64(x) - minimum[f]) / scale[f])``, bit for bit what
    ``minmax_normalise`` stores, so the leaves equal ``apply_flat(minmax_normalise(X), ...)``
    without the normalised copy of ``X`` (a depth-15 tree reads 15 of a row's values).

    Parameters
    ----------
    X : ndarray of float32 or float64, shape (n_samples, n_features)
        Raw features, finite.
    minimum, scale : ndarray of float64, shape (n_features,)
    roots, left, right, feature, threshold
        As in :func:`apply_flat`.

    Returns
    -------
    leaves : ndarray of int64, shape (n_samples, n_trees)
    """
    leaves = np.empty((X.shape[0], roots.shape[0]), dtype=np.int64)
    _apply_flat_jit(X, minimum, scale, True, roots, left, right, feature, threshold, leaves)
    return leaves
