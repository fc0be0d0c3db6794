"""Plain NumPy twins of the numba kernels, written for clarity, used by the tests."""

from __future__ import annotations

import numpy as np

__all__ = [
    "apply_flat_ref",
    "box_volumes_ref",
    "log_sum_powers_ref",
    "mterm_error_curve_ref",
    "node_counts_from_leaves_ref",
    "parent_and_depth_ref",
    "wavelet_norms_ref",
]


def parent_and_depth_ref(left, right):
    n = len(left)
    parent = -np.ones(n, dtype=np.int64)
    for i in range(n):
        for c in (left[i], right[i]):
            if c >= 0:
                parent[c] = i
    depth = np.zeros(n, dtype=np.int64)
    for i in range(n):
        d, a = 0, parent[i]
        while a >= 0:
            d, a = d + 1, parent[a]
        depth[i] = d
    return parent, depth


def node_counts_from_leaves_ref(leaves, parent):
    counts = np.zeros(len(parent), dtype=np.int64)
    for leaf in leaves.ravel():
        node = leaf
        while node >= 0:
            counts[node] += 1
            node = parent[node]
    return counts


def box_volumes_ref(left, parent, feature, threshold, n_features):
    """Explicit boxes, one (n_features, 2) array per node: only for small trees."""
    n = len(left)
    lower = np.zeros((n, n_features))
    upper = np.ones((n, n_features))
    for c in range(n):
        p = parent[c]
        if p < 0:
            continue
        lower[c], upper[c] = lower[p], upper[p]
        f, t = feature[p], threshold[p]
        if left[p] == c:
            upper[c, f] = min(upper[c, f], t)
        else:
            lower[c, f] = max(lower[c, f], t)
    return np.prod(upper - lower, axis=1)


def wavelet_norms_ref(parent, mean, weight):
    parent_mean = np.where(parent[:, None] >= 0, mean[np.maximum(parent, 0)], 0.0)
    return np.linalg.norm(mean - parent_mean, axis=1) * np.sqrt(weight)


def apply_flat_ref(X, roots, left, right, feature, threshold):
    leaves = np.empty((X.shape[0], len(roots)), dtype=np.int64)
    for s in range(X.shape[0]):
        for j, node in enumerate(roots):
            while left[node] >= 0:
                node = left[node] if X[s, feature[node]] <= threshold[node] else right[node]
            leaves[s, j] = node
    return leaves


def log_sum_powers_ref(values, exponents):
    with np.errstate(over="ignore"):
        return np.array([np.log(np.sum(np.asarray(values, float) ** e)) for e in exponents])


def mterm_error_curve_ref(order, leaves, parent, mean, target, n_trees, m_values):
    """SSE of the M-term approximation, recomputed from scratch for each M in ``m_values``."""
    n_samples = target.shape[0]
    roots = [leaf_root(leaves[0, j], parent) for j in range(leaves.shape[1])]
    out = []
    for m in m_values:
        kept = np.zeros(len(parent), dtype=bool)
        kept[order[:m]] = True
        approx = np.zeros_like(target)
        for s in range(n_samples):
            for j in range(leaves.shape[1]):
                value = mean[roots[j]].copy()
                node = leaves[s, j]
                while parent[node] >= 0:
                    if kept[node]:
                        value += mean[node] - mean[parent[node]]
                    node = parent[node]
                approx[s] += value / n_trees
        out.append(np.sum((target - approx) ** 2))
    return np.array(out)


def leaf_root(node, parent):
    while parent[node] >= 0:
        node = parent[node]
    return node
