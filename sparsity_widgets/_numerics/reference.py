"""Plain NumPy twins of the numba kernels, written for clarity, used by the tests."""

from __future__ import annotations

import numpy as np

__all__ = [
    "apply_flat_ref",
    "best_split_ref",
    "box_volumes_ref",
    "grow_tree_ref",
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


# --------------------------------------------------------------------------- tree growth
def best_split_ref(X, y, weight, samples, features, min_samples_leaf):
    """Exhaustive best split of one node: every feature, every admissible position.

    Parameters
    ----------
    X : ndarray of float32, shape (n_samples, n_features)
    y : ndarray of float64, shape (n_samples, n_outputs)
    weight : ndarray of float64, shape (n_samples,)
    samples : ndarray of int, the node's samples (ascending)
    features : iterable of int, the features to try
    min_samples_leaf : int

    Returns
    -------
    (proxy, feature, n_left, threshold, any_non_constant); feature -1 when no split exists.
    Ties go to the lowest feature, then the lowest threshold.
    """
    from .tree_builder import FEATURE_THRESHOLD

    best = (-np.inf, -1, 0, np.nan)
    non_constant = False
    n = len(samples)
    wy = weight[samples, None] * y[samples]
    total = wy.sum(axis=0)
    w_total = weight[samples].sum()
    for f in sorted(features):
        values = X[samples, f]
        order = np.argsort(values, kind="stable")
        v = values[order]
        if v[-1] > np.float32(v[0] + FEATURE_THRESHOLD):
            non_constant = True
        # candidate p: the first p samples go left; float32 arithmetic as scikit-learn's
        distinct = v[1:] > (v[:-1] + FEATURE_THRESHOLD).astype(np.float32)
        n_left = np.arange(1, n)
        ok = distinct & (n_left >= min_samples_leaf) & (n - n_left >= min_samples_leaf)
        if not ok.any():
            continue
        s_left = np.cumsum(wy[order], axis=0)[:-1]
        w_left = np.cumsum(weight[samples][order])[:-1]
        q_left = np.zeros(n - 1)
        q_right = np.zeros(n - 1)
        for k in range(y.shape[1]):
            q_left = q_left + s_left[:, k] * s_left[:, k]
            r = total[k] - s_left[:, k]
            q_right = q_right + r * r
        with np.errstate(divide="ignore", invalid="ignore"):
            proxy = q_left / w_left + q_right / (w_total - w_left)
        proxy = np.where(ok, proxy, -np.inf)
        p = int(np.argmax(proxy))  # first maximum: lowest threshold
        if proxy[p] > best[0]:
            threshold = np.float64(v[p]) / 2.0 + np.float64(v[p + 1]) / 2.0
            best = (proxy[p], f, p + 1, threshold)
    return (*best, non_constant)


def grow_tree_ref(
    X, y, weight, *, max_depth, min_samples_leaf=1, n_drawn=None, seed=0, min_impurity_decrease=0.0
):
    """Plain level-order growth with :func:`best_split_ref`; small data only.

    The twin of :func:`sparsity_widgets._numerics.tree_builder.grow_tree`: same rules, same
    per-node feature draws (``feature_permutation_prefix``), same breadth-first ids, returned in
    depth-first pre-order. ``X`` holds the float32 values the tree sees.
    """
    from .tree_builder import EPSILON, feature_permutation_prefix

    X = np.asarray(X, dtype=np.float32)
    n_features = X.shape[1]
    n_drawn = n_features if n_drawn is None else n_drawn
    n_out = y.shape[1]
    min_split = max(2, 2 * min_samples_leaf)
    w_all = weight.sum()

    def stats(samples):
        w = weight[samples].sum()
        tot = (weight[samples, None] * y[samples]).sum(axis=0)
        sq = (weight[samples, None] * y[samples] * y[samples]).sum()
        imp = sq / w
        for k in range(n_out):
            imp -= (tot[k] / w) ** 2.0
        return tot / w, w, imp / n_out

    in_bag = np.flatnonzero(weight > 0)
    mean0, w0, imp0 = stats(in_bag)
    nodes = {0: {"samples": in_bag, "mean": mean0, "w": w0, "imp": imp0}}
    left, right, feature, threshold = {}, {}, {}, {}
    active = [0] if (max_depth > 0 and len(in_bag) >= min_split and imp0 > EPSILON) else []
    next_id, depth = 1, 0
    while active:
        splits = []
        for node in active:
            samples = nodes[node]["samples"]
            if n_drawn < n_features:
                order = feature_permutation_prefix(seed, node, n_features, n_features)
                found = best_split_ref(X, y, weight, samples, order[:n_drawn], min_samples_leaf)
                q = n_drawn
                while not found[4] and q < n_features:  # all drawn features constant: draw on
                    found = best_split_ref(X, y, weight, samples, [order[q]], min_samples_leaf)
                    q += 1
            else:
                found = best_split_ref(X, y, weight, samples, range(n_features), min_samples_leaf)
            _, f, n_left, thr, _ = found
            if f < 0:
                continue
            values = X[samples, f]
            order = np.argsort(values, kind="stable")
            kids = samples[np.sort(order[:n_left])], samples[np.sort(order[n_left:])]
            (m_l, w_l, imp_l), (m_r, w_r, imp_r) = stats(kids[0]), stats(kids[1])
            node_w, node_imp = nodes[node]["w"], nodes[node]["imp"]
            improvement = (node_w / w_all) * (
                node_imp - (w_r / node_w * imp_r) - (w_l / node_w * imp_l)
            )
            if improvement + EPSILON < min_impurity_decrease:
                continue
            splits.append((node, f, thr, kids, ((m_l, w_l, imp_l), (m_r, w_r, imp_r))))
        depth += 1
        new_active = []
        for node, f, thr, kids, kid_stats in splits:
            feature[node], threshold[node] = f, thr
            left[node], right[node] = next_id, next_id + 1
            for j in range(2):
                mean, w, imp = kid_stats[j]
                nodes[next_id + j] = {"samples": kids[j], "mean": mean, "w": w, "imp": imp}
                if depth < max_depth and len(kids[j]) >= min_split and imp > EPSILON:
                    new_active.append(next_id + j)
            next_id += 2
        active = new_active

    # depth-first pre-order numbering, as scikit-learn's trees
    order, stack = [], [0]
    while stack:
        v = stack.pop()
        order.append(v)
        if v in left:
            stack += [right[v], left[v]]
    position = {v: i for i, v in enumerate(order)}
    return {
        "left": np.array([position[left[v]] if v in left else -1 for v in order]),
        "right": np.array([position[right[v]] if v in right else -1 for v in order]),
        "feature": np.array([feature.get(v, -1) for v in order]),
        "threshold": np.array([threshold.get(v, np.nan) for v in order]),
        "mean": np.array([nodes[v]["mean"] for v in order]),
        "n_node_samples": np.array([len(nodes[v]["samples"]) for v in order]),
    }
