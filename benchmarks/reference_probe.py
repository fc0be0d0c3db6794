"""A plain reference Sparsity Probe, written the way the first public code did it.

This is the yardstick of ``bench_score.py``: it fits the trees ``WaveletForest(builder="sklearn")``
fits (same normalised float32 inputs, same scikit-learn parameters; ``n_jobs`` may differ, which
changes nothing but the speed) and then does everything after the fit the straightforward way:

* a recursive Python traversal of each ``tree_`` that fills a per-node box array of shape
  ``(n_nodes, n_features, 2)`` (lower/upper bounds in the unit cube) and the node means;
* a dense decision-path matrix ``estimator.decision_path(X_unit).toarray()`` of shape
  ``(n_samples, n_nodes)`` (int64 in scikit-learn: 8 bytes per entry), whose column means are
  the sample fractions of the nodes;
* box volumes as the product of the box sides;
* wavelet norms ``||E_node - E_parent||_2 * weight^(1/2)`` in a Python loop over the nodes. The
  children of a root use the root's mean once (the public code subtracted it twice there); the
  root itself (the father wavelet) is left out of the norms N_tau sums;
* a Python loop over the taus computing ``N_tau = (1/J) (sum n^tau)^(1/tau)`` with plain numpy
  powers, overflowing to ``inf`` for small tau, then the paper's tau* rule on that curve.

Only what the fast implementation must agree with is reproduced; nothing here is tuned.
"""

from __future__ import annotations

import math
import resource
import sys
import time
from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from sparsity_widgets.forest import _column_range, minmax_normalise
from sparsity_widgets.tau_star import default_tau_grid

__all__ = ["ReferenceTooLarge", "reference_memory_bytes", "reference_score"]


class ReferenceTooLarge(MemoryError):
    """Raised before the dense arrays are allocated when they would exceed the allowed bytes."""

    def __init__(self, needed_bytes: int, limit_bytes: int) -> None:
        self.needed_bytes = int(needed_bytes)
        self.limit_bytes = int(limit_bytes)
        super().__init__(
            f"the reference needs ~{needed_bytes / 1e9:.2f} GB for its dense decision path and "
            f"box arrays, over the limit of {limit_bytes / 1e9:.2f} GB"
        )


def reference_memory_bytes(
    n_samples: int, n_features: int, n_nodes: int, path_itemsize: int = 8
) -> dict[str, int]:
    """Bytes of the two dense per-tree arrays of the reference for a tree of ``n_nodes`` nodes.

    Returns
    -------
    dict
        ``decision_path`` (n_samples x n_nodes x itemsize), ``boxes`` (n_nodes x d x 2 x 8)
        and their sum ``total``.
    """
    path = int(n_samples) * int(n_nodes) * int(path_itemsize)
    boxes = int(n_nodes) * int(n_features) * 2 * 8
    return {"decision_path": path, "boxes": boxes, "total": path + boxes}


def _fill_boxes_and_means(tree: Any, n_features: int) -> tuple[np.ndarray, ...]:
    """Recursive traversal from the root: boxes (n_nodes, d, 2), means, parents."""
    n_nodes = tree.node_count
    left = tree.children_left
    right = tree.children_right
    feature = tree.feature
    threshold = tree.threshold
    value = tree.value
    boxes = np.zeros((n_nodes, n_features, 2))
    boxes[:, :, 1] = 1.0
    means = np.zeros((n_nodes, value.shape[1]))
    parents = np.full(n_nodes, -1, dtype=np.int64)

    def visit(node: int) -> None:
        means[node] = value[node, :, 0]
        if left[node] == -1:
            return
        f, t = feature[node], threshold[node]
        for child, side in ((left[node], 1), (right[node], 0)):
            parents[child] = node
            boxes[child] = boxes[node]
            boxes[child, f, side] = t  # left: x_f <= t (upper bound), right: x_f > t (lower)
            visit(child)

    visit(0)
    return boxes, means, parents


def _paper_tau_star(taus: np.ndarray, sparsity: np.ndarray) -> float:
    """The paper's rule: mean tau whose angle arctan(dN/dtau) is in [-pi/2+0.1, -pi/2+0.4]."""
    with np.errstate(over="ignore", invalid="ignore"):
        derivative = np.gradient(sparsity, taus)
    derivative = np.where(np.isnan(derivative), -np.inf, derivative)
    angles = np.arctan(derivative)
    selected = (angles >= -math.pi / 2 + 0.1) & (angles <= -math.pi / 2 + 0.4)
    return float(taus[selected].mean()) if selected.any() else float("nan")


def reference_score(
    X: np.ndarray,
    y: np.ndarray,
    n_trees: int = 3,
    max_depth: int = 15,
    random_state: int | None = 0,
    norm_weight: str = "samples",
    taus: Any = None,
    *,
    max_bytes: float | None = None,
    n_jobs: int | None = None,
) -> dict[str, Any]:
    """Score (X, y) with the plain reference probe.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
        Features, float32 or float64.
    y : ndarray, shape (n_samples,)
        Class labels, one-hot encoded in ``np.unique`` order.
    n_trees, max_depth, random_state :
        As for ``WaveletForest`` (which passes the same values to scikit-learn).
    norm_weight : {"samples", "volume"}
        Weight of the norms: sample fraction or box volume.
    taus : array-like, optional
        Grid of tau; ``default_tau_grid()`` when omitted.
    max_bytes : float, optional
        If given, raise :class:`ReferenceTooLarge` (before allocating) when the dense decision
        path plus box array of a tree would need more bytes than this.
    n_jobs : int, optional
        scikit-learn's ``n_jobs`` for the fit (None: one core, as the public code).

    Returns
    -------
    dict
        ``timings`` (``fit``: normalisation, one-hot and scikit-learn fit; ``post_fit``:
        traversals, decision paths and norms; ``tau_sweep``: N_tau and tau*), ``norms``
        (non-root norms, tree by tree in node index order, as ``WaveletForest.wavelet_norms_``),
        ``taus``, ``sparsity`` (N_tau), ``tau_star``, ``n_nodes``, ``decision_path_dtype``,
        ``decision_path_bytes`` and ``box_bytes`` (largest per-tree dense arrays),
        ``fit_peak_kib`` (the process's peak RSS right after the fit, KiB).
    """
    if norm_weight not in ("samples", "volume"):
        raise ValueError(f"norm_weight must be 'samples' or 'volume'; got {norm_weight!r}")
    taus = default_tau_grid() if taus is None else np.asarray(taus, dtype=np.float64)

    # ---------------------------------------------------------------- fit
    t_start = time.perf_counter()
    X = np.asarray(X)
    minimum, scale = _column_range(X)
    X_unit = minmax_normalise(X, minimum, scale)
    classes, codes = np.unique(np.asarray(y), return_inverse=True)
    target = np.zeros((X.shape[0], classes.shape[0]))
    target[np.arange(X.shape[0]), codes.ravel()] = 1.0
    forest = RandomForestRegressor(
        n_estimators=n_trees,
        max_depth=max_depth,
        max_features=1.0,
        bootstrap=True,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    forest.fit(X_unit, target)
    t_fit = time.perf_counter()
    fit_peak_kib = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux

    # ---------------------------------------------------------------- post-fit
    n_samples, n_features = X_unit.shape
    limit = sys.maxsize if max_bytes is None else int(max_bytes)
    all_norms = []
    n_nodes_total = 0
    path_dtype = None
    path_bytes = box_bytes = 0
    for estimator in forest.estimators_:
        tree = estimator.tree_
        n_nodes = tree.node_count
        path = estimator.decision_path(X_unit)  # CSR, samples x nodes
        need = reference_memory_bytes(n_samples, n_features, n_nodes, path.dtype.itemsize)
        if need["total"] > limit:
            raise ReferenceTooLarge(need["total"], limit)
        boxes, means, parents = _fill_boxes_and_means(tree, n_features)
        dense = path.toarray()
        del path
        path_dtype = str(dense.dtype)
        path_bytes = max(path_bytes, dense.nbytes)
        box_bytes = max(box_bytes, boxes.nbytes)
        fraction = dense.mean(axis=0)
        del dense
        if norm_weight == "samples":
            weight = fraction
        else:
            weight = np.prod(boxes[:, :, 1] - boxes[:, :, 0], axis=1)
        del boxes
        norms = np.zeros(n_nodes)
        norms[0] = np.linalg.norm(means[0]) * np.sqrt(weight[0])  # father wavelet
        for node in range(1, n_nodes):
            diff = means[node] - means[parents[node]]
            norms[node] = np.linalg.norm(diff) * np.sqrt(weight[node])
        all_norms.append(norms[1:])  # the root is not a wavelet N_tau counts
        n_nodes_total += n_nodes
    wavelet_norms = np.concatenate(all_norms)
    t_post = time.perf_counter()

    # ---------------------------------------------------------------- tau sweep
    sparsity = np.empty(taus.shape[0])
    with np.errstate(over="ignore"):
        for k, tau in enumerate(taus):
            power_sum = np.sum(wavelet_norms**tau)
            sparsity[k] = power_sum ** (1.0 / tau) / n_trees
    tau_star = _paper_tau_star(taus, sparsity)
    t_sweep = time.perf_counter()

    return {
        "timings": {
            "fit": t_fit - t_start,
            "post_fit": t_post - t_fit,
            "tau_sweep": t_sweep - t_post,
        },
        "norms": wavelet_norms,
        "taus": taus,
        "sparsity": sparsity,
        "tau_star": tau_star,
        "n_nodes": n_nodes_total,
        "decision_path_dtype": path_dtype,
        "decision_path_bytes": path_bytes,
        "box_bytes": box_bytes,
        "fit_peak_kib": fit_peak_kib,
    }
