"""Python twin of ``tree_window.js``: one tree's M-term approximation on a pixel grid.

The tree window's browser-side model reads one fitted tree of a 2-D
:class:`~sparsity_widgets.WaveletForest` that Python stores in the widget's state
(:func:`tree_payload`: every node's box in the forest's normalised coordinates ``[0, 1]^2``,
its parent, its wavelet vector ``mean_node - mean_parent`` and norm, the order of the wavelets
by norm as the package ranks them, the root's mean, and a subsample of the training points
with their labels and leaves) and recomputes, for any M:

- the value of the M-term approximation on every leaf: the root's mean, then the kept wavelets
  on the path from the leaf up to the root, added in that order (the order of
  ``WaveletForest.predict(X, n_terms=M)``, so the values are the package's bit for bit);
- the predicted class of every leaf (argmax, first maximum on a tie, as ``numpy.argmax``);
- the class of every pixel of a ``grid x grid`` picture: each leaf fills the pixels whose
  centres ``((j + 1/2) / grid, (i + 1/2) / grid)`` lie in its box (``lo < c <= hi`` per axis,
  as a split sends ``x <= t`` left), a loop over the box's pixel range;
- the fraction of the stored points the M-term tree classifies correctly (at the points
  themselves, through their leaves), and the norm of the M-th wavelet.

The functions repeat the JavaScript step by step in plain Python (no vectorised sums), so the
two agree number for number (``tests/test_widgets_static.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .registry import Twin, register

__all__ = [
    "MAX_NODES",
    "MAX_POINTS",
    "TREE_WINDOW",
    "leaf_values",
    "pixel_range",
    "tree_payload",
    "tree_shown",
]

#: default number of training points kept for the scatter and the accuracy
MAX_POINTS = 600
#: largest tree stored (the state stays under about 150 KB)
MAX_NODES = 1023


def _children(parent: list[int]) -> list[bool]:
    has_child = [False] * len(parent)
    for p in parent:
        if p >= 0:
            has_child[p] = True
    return has_child


def leaf_values(tree: Mapping[str, Any], m: int) -> dict[int, list[float]]:
    """The M-term approximation on every leaf, summed as ``WaveletForest.predict`` sums it.

    Parameters
    ----------
    tree : mapping
        A :func:`tree_payload`'s ``tree``.
    m : int
        Number of wavelets kept, ``0 <= m <= n_wavelets``.

    Returns
    -------
    dict
        Leaf index -> list of ``n_classes`` floats.
    """
    parent = tree["parent"]
    wavelet = tree["wavelet"]
    kept = [False] * len(parent)
    for k in tree["order"][:m]:
        kept[k] = True
    has_child = _children(parent)
    out = {}
    for leaf in range(len(parent)):
        if has_child[leaf]:
            continue
        value = [float(v) for v in tree["root_mean"]]
        node = leaf
        while parent[node] >= 0:
            if kept[node]:
                w = wavelet[node]
                for c in range(len(value)):
                    value[c] += w[c]
            node = parent[node]
        out[leaf] = value
    return out


def _argmax(values: list[float]) -> int:
    best = 0
    for c in range(1, len(values)):
        if values[c] > values[best]:
            best = c
    return best


def pixel_range(lo: float, hi: float, grid: int) -> tuple[int, int]:
    """First and last pixel ``j`` (inclusive) with ``lo < (j + 0.5) / grid <= hi``.

    Parameters
    ----------
    lo, hi : float
        Ends of a box along one axis, in ``[0, 1]``.
    grid : int
        Pixels per side.

    Returns
    -------
    (int, int)
        ``first > last`` when no pixel centre lies in the box.
    """
    a = max(0, math.floor(lo * grid - 0.5))
    while a < grid and (a + 0.5) / grid <= lo:
        a += 1
    while a > 0 and (a - 0.5) / grid > lo:
        a -= 1
    b = min(grid - 1, math.floor(hi * grid - 0.5))
    while b >= 0 and (b + 0.5) / grid > hi:
        b -= 1
    while b < grid - 1 and (b + 1.5) / grid <= hi:
        b += 1
    return a, b


def tree_shown(state: Mapping[str, Any]) -> dict[str, Any]:
    """What the tree window shows for its state (``treeWindowShown`` of the JavaScript).

    Parameters
    ----------
    state : mapping
        ``tree`` and ``points`` (a :func:`tree_payload`), ``grid`` (pixels per side) and ``m``.

    Returns
    -------
    dict
        ``m`` (the M shown), ``m_note`` (why it differs from the asked M, else None),
        ``n_wavelets``, ``accuracy`` (fraction of the stored points classified correctly; NaN
        without points), ``mth_norm`` (norm of the M-th largest wavelet; NaN at M = 0),
        ``n_points`` and ``pixel_class`` (``grid * grid`` ints, row ``i`` = the ``i``-th pixel
        row from the bottom, column ``j`` from the left).
    """
    tree = state["tree"]
    points = state["points"]
    grid = int(state["grid"])
    n = len(tree["order"])
    asked = state["m"]
    m_note = None
    if isinstance(asked, bool) or not isinstance(asked, (int, float)) or not math.isfinite(asked):
        m, m_note = 0, f"M must be a whole number from 0 to {n}; showing M = 0."
    else:
        m = min(max(math.floor(asked), 0), n)
        if m != asked:
            m_note = f"M must be a whole number from 0 to {n}; got {asked:g}; showing M = {m}."
    values = leaf_values(tree, m)
    leaf_class = {leaf: _argmax(v) for leaf, v in values.items()}
    box = tree["box"]
    pixels = [-1] * (grid * grid)
    for leaf, cls in leaf_class.items():
        x_lo, x_hi, y_lo, y_hi = box[leaf]
        j0, j1 = pixel_range(x_lo, x_hi, grid)
        i0, i1 = pixel_range(y_lo, y_hi, grid)
        for i in range(i0, i1 + 1):
            for j in range(j0, j1 + 1):
                pixels[i * grid + j] = cls
    labels = points["label"]
    leaves = points["leaf"]
    correct = 0
    for p in range(len(labels)):
        if leaf_class[leaves[p]] == labels[p]:
            correct += 1
    return {
        "m": m,
        "m_note": m_note,
        "n_wavelets": n,
        "accuracy": correct / len(labels) if len(labels) else math.nan,
        "mth_norm": float(tree["norm"][tree["order"][m - 1]]) if m >= 1 else math.nan,
        "n_points": len(labels),
        "pixel_class": pixels,
    }


def tree_payload(
    forest: Any,
    X: Any,
    y: Any,
    *,
    max_points: int = MAX_POINTS,
    random_state: int = 0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The arrays of a one-tree 2-D forest and a subsample of its points, JSON-ready.

    Parameters
    ----------
    forest : WaveletForest
        Fitted on 2 features; its first tree is stored (at most :data:`MAX_NODES` nodes).
    X : array-like, shape (n, 2)
    y : array-like, shape (n,)
        Points and their labels (the forest's classes).
    max_points : int
        Keep at most this many points (a random subsample, in their original order).
    random_state : int
        Seed of the subsample.

    Returns
    -------
    tree : dict
        ``box`` (k lists ``[x_lo, x_hi, y_lo, y_hi]`` in normalised coordinates), ``parent``
        (k ints, -1 at the root), ``wavelet`` (k lists of L floats, zeros at the root),
        ``norm`` (k floats), ``order`` (the non-root nodes by decreasing norm, ties in node
        order), ``root_mean`` (L floats), ``classes`` (L strings), ``feature_min`` and
        ``feature_scale`` (2 floats each: data = min + normalised * scale).
    points : dict
        ``x``, ``y`` (normalised coordinates as the tree compares them), ``label`` (class
        index) and ``leaf`` (node index of the point's leaf), each of length ``<= max_points``.
    """
    if not hasattr(forest, "nodes_"):
        raise ValueError("forest must be a fitted WaveletForest; call fit(X, y) first.")
    if forest.n_features_in_ != 2:
        raise ValueError(f"forest must be fitted on 2 features; got {forest.n_features_in_}.")
    if forest.nodes_.n_trees != 1:
        raise ValueError(f"forest must have exactly 1 tree; got {forest.nodes_.n_trees}.")
    if forest.classes_ is None:
        raise ValueError("forest must be a classifier (fitted on class labels); got a regressor.")
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
        raise ValueError(f"max_points must be an integer >= 1; got {max_points!r}.")
    nodes = forest.nodes_
    start, stop = int(nodes.tree_offsets[0]), int(nodes.tree_offsets[1])
    count = stop - start
    if count > MAX_NODES:
        raise ValueError(
            f"the tree has {count} nodes; the tree window stores at most {MAX_NODES} (lower the "
            "depth)."
        )
    parent = [int(p) - start if p >= 0 else -1 for p in nodes.parent[start:stop]]
    mean = np.asarray(nodes.mean[start:stop], dtype=np.float64)
    box = [[0.0, 1.0, 0.0, 1.0] for _ in range(count)]
    left, right = nodes.left[start:stop], nodes.right[start:stop]
    for k in range(count):  # parents come before their children
        if left[k] < 0:
            continue
        f, t = int(nodes.feature[start + k]), float(nodes.threshold[start + k])
        for child, side in ((int(left[k]) - start, 0), (int(right[k]) - start, 1)):
            b = list(box[k])
            b[2 * f + (1 - side)] = t  # left child: upper end t; right child: lower end t
            box[child] = b
    zeros = [0.0] * mean.shape[1]
    wavelet = [zeros if p < 0 else (mean[k] - mean[p]).tolist() for k, p in enumerate(parent)]
    order = [int(k) - start for k in forest._wavelet_order() if start <= k < stop]
    X = np.asarray(X, dtype=np.float64)
    labels = np.searchsorted(forest.classes_, np.asarray(y))
    rng = np.random.default_rng(random_state)
    keep = np.arange(X.shape[0])
    if X.shape[0] > max_points:
        keep = np.sort(rng.choice(X.shape[0], size=max_points, replace=False))
    Xk = X[keep]
    unit = forest.transform(Xk).astype(np.float64)
    leaves = forest.apply(Xk)[:, 0] - start
    tree = {
        "box": box,
        "parent": parent,
        "wavelet": wavelet,
        "norm": [float(v) for v in nodes.norm[start:stop]],
        "order": order,
        "root_mean": mean[0].tolist(),
        "classes": [str(c) for c in forest.classes_],
        "feature_min": [float(v) for v in forest.feature_min_],
        "feature_scale": [float(v) for v in forest.feature_scale_],
    }
    points = {
        "x": unit[:, 0].tolist(),
        "y": unit[:, 1].tolist(),
        "label": [int(v) for v in labels[keep]],
        "leaf": [int(v) for v in leaves],
    }
    return tree, points


def _hand_tree() -> tuple[dict[str, Any], dict[str, Any]]:
    """A two-leaf tree split at x = 0.375 (a pixel centre of a 4-pixel grid) with a tied root."""
    tree = {
        "box": [[0.0, 1.0, 0.0, 1.0], [0.0, 0.375, 0.0, 1.0], [0.375, 1.0, 0.0, 1.0]],
        "parent": [-1, 0, 0],
        "wavelet": [[0.0, 0.0], [0.25, -0.25], [-0.125, 0.125]],
        "norm": [0.5, 0.2, 0.2],  # a tie: node order decides
        "order": [1, 2],
        "root_mean": [0.5, 0.5],
        "classes": ["a", "b"],
        "feature_min": [0.0, 0.0],
        "feature_scale": [1.0, 1.0],
    }
    points = {"x": [0.375, 0.5], "y": [0.5, 0.5], "label": [0, 1], "leaf": [1, 2]}
    return tree, points


def _root_only() -> tuple[dict[str, Any], dict[str, Any]]:
    """A tree that never split, three classes: every pixel and point gets the root's class."""
    tree = {
        "box": [[0.0, 1.0, 0.0, 1.0]],
        "parent": [-1],
        "wavelet": [[0.0, 0.0, 0.0]],
        "norm": [0.0],
        "order": [],
        "root_mean": [0.2, 0.5, 0.3],
        "classes": ["0", "1", "2"],
        "feature_min": [-1.0, -2.0],
        "feature_scale": [2.0, 4.0],
    }
    points = {"x": [0.0, 1.0, 0.5], "y": [0.0, 1.0, 0.25], "label": [1, 0, 1], "leaf": [0, 0, 0]}
    return tree, points


def _tree_cases() -> list[dict[str, Any]]:
    """Fixed states for the parity test: real trees (2 and 3 classes), a stump, edges, errors."""
    from ...datasets import make_synthetic
    from ...forest import WaveletForest

    def fitted(name: str, n: int, depth: int, points: int) -> tuple[dict, dict]:
        X, y = make_synthetic(name, n_samples=n, random_state=0)
        forest = WaveletForest(n_trees=1, max_depth=depth, bootstrap=False, random_state=0)
        return tree_payload(forest.fit(X, y), X, y, max_points=points)

    spiral = fitted("spiral", 400, 5, 120)
    quantiles = fitted("gaussian-quantiles", 400, 4, 80)
    stump = fitted("circles", 200, 1, 40)
    hand = _hand_tree()
    n_spiral = len(spiral[0]["order"])
    settings = [
        (spiral, 24, 0),
        (spiral, 24, 1),
        (spiral, 24, 7),
        (spiral, 24, n_spiral // 2),
        (spiral, 24, n_spiral),
        (spiral, 7, 12),  # a coarse grid: thin cells hold no pixel centre
        (spiral, 24, n_spiral + 5),  # past the end: all wavelets, with a note
        (spiral, 24, -3),
        (spiral, 24, 4.5),
        (quantiles, 20, 0),
        (quantiles, 20, 5),
        (quantiles, 20, len(quantiles[0]["order"])),
        (stump, 12, 0),
        (stump, 12, 1),
        (stump, 12, 2),
        (hand, 4, 0),
        (hand, 4, 1),
        (hand, 4, 2),
        ((hand[0], {"x": [], "y": [], "label": [], "leaf": []}), 4, 1),  # no points
        (_root_only(), 5, 0),  # a tree that never split: no wavelet
        (_root_only(), 5, 1),
    ]
    return [{"tree": t, "points": p, "grid": g, "m": m} for (t, p), g, m in settings]


TREE_WINDOW = register(
    Twin(
        kind="tree-window",
        esm_files=("format.js", "tree_window.js", "tree_window_view.js"),
        js_function="treeWindowShown",
        compute=tree_shown,
        controls=("m",),
        cases=_tree_cases,
    )
)
