"""M-term approximation: the forest kept to its M largest wavelets, for every M at once.

Adding the wavelet of node ``v`` changes the approximation only on the samples that reach
``v``. Processing wavelets in decreasing norm order and updating those samples' residuals gives
the whole error curve in ``O(n_samples * n_trees * depth * n_outputs)`` time, with the samples of
each node held in compressed lists (never a dense samples x nodes matrix).
"""

from __future__ import annotations

import numba
import numpy as np

from .tree_arrays import node_counts_from_leaves

__all__ = ["mterm_error_curve", "mterm_predict", "node_sample_lists"]


@numba.njit(cache=True)
def _fill_node_samples_jit(leaves, parent, ptr, samples):
    cursor = ptr[:-1].copy()
    n_samples, n_trees = leaves.shape
    for s in range(n_samples):
        for j in range(n_trees):
            node = leaves[s, j]
            while node >= 0:
                samples[cursor[node]] = s
                cursor[node] += 1
                node = parent[node]


def node_sample_lists(leaves: np.ndarray, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which samples reach each node, as compressed lists.

    Parameters
    ----------
    leaves : ndarray of int64, shape (n_samples, n_trees)
        Global leaf index of each sample in each tree.
    parent : ndarray of int64, shape (n_nodes,)
        Parent indices, ``-1`` for roots.

    Returns
    -------
    ptr : ndarray of int64, shape (n_nodes + 1,)
        Node ``v``'s samples are ``samples[ptr[v]:ptr[v + 1]]``.
    samples : ndarray of int64, shape (n_samples * n_trees * mean path length,)
        Sample indices, ascending within each node.
    """
    leaves = np.ascontiguousarray(leaves, dtype=np.int64)
    counts = node_counts_from_leaves(leaves, parent)
    ptr = np.zeros(parent.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    samples = np.empty(ptr[-1], dtype=np.int64)
    _fill_node_samples_jit(leaves, parent, ptr, samples)
    return ptr, samples


@numba.njit(cache=True)
def _mterm_jit(order, ptr, samples, parent, mean, residual, n_trees, curve):
    n_outputs = mean.shape[1]
    err = 0.0
    for s in range(residual.shape[0]):
        for k in range(n_outputs):
            err += residual[s, k] * residual[s, k]
    curve[0] = err
    psi = np.empty(n_outputs)
    for m in range(order.shape[0]):
        v = order[m]
        p = parent[v]
        for k in range(n_outputs):
            psi[k] = (mean[v, k] - mean[p, k]) / n_trees
        for q in range(ptr[v], ptr[v + 1]):
            s = samples[q]
            for k in range(n_outputs):
                old = residual[s, k]
                new = old - psi[k]
                residual[s, k] = new
                err += new * new - old * old
        curve[m + 1] = err


def mterm_error_curve(
    order: np.ndarray,
    ptr: np.ndarray,
    samples: np.ndarray,
    parent: np.ndarray,
    mean: np.ndarray,
    residual: np.ndarray,
    n_trees: int,
) -> np.ndarray:
    """Sum of squared errors of the M-term approximation for ``M = 0 .. len(order)``.

    Parameters
    ----------
    order : ndarray of int64, shape (n_wavelets,)
        Non-root nodes in the order their wavelets are added (largest norm first).
    ptr, samples : ndarray of int64
        Compressed sample lists from :func:`node_sample_lists`.
    parent : ndarray of int64, shape (n_nodes,)
    mean : ndarray of float64, shape (n_nodes, n_outputs)
    residual : ndarray of float64, shape (n_samples, n_outputs)
        Target minus the father-wavelet part ``(1/J) sum_j E_root_j``; overwritten in place.
    n_trees : int

    Returns
    -------
    sse : ndarray of float64, shape (n_wavelets + 1,)
        ``sse[M]`` is ``sum_s ||target_s - f_M(x_s)||^2`` with the ``M`` largest wavelets kept.
    """
    curve = np.empty(order.shape[0] + 1, dtype=np.float64)
    _mterm_jit(order, ptr, samples, parent, mean, residual, float(n_trees), curve)
    return curve


@numba.njit(cache=True, parallel=True)
def _mterm_predict_jit(leaves, roots, parent, mean, kept, out):
    n_samples, n_trees = leaves.shape
    n_outputs = mean.shape[1]
    for s in numba.prange(n_samples):
        for k in range(n_outputs):
            out[s, k] = 0.0
        for j in range(n_trees):
            r = roots[j]
            for k in range(n_outputs):
                out[s, k] += mean[r, k]
            node = leaves[s, j]
            while parent[node] >= 0:
                p = parent[node]
                if kept[node]:
                    for k in range(n_outputs):
                        out[s, k] += mean[node, k] - mean[p, k]
                node = p
        for k in range(n_outputs):
            out[s, k] /= n_trees


def mterm_predict(
    leaves: np.ndarray,
    roots: np.ndarray,
    parent: np.ndarray,
    mean: np.ndarray,
    kept: np.ndarray,
) -> np.ndarray:
    """Sum of the father wavelets and the kept wavelets on each sample's paths (eq. 3.4).

    Parameters
    ----------
    leaves : ndarray of int64, shape (n_samples, n_trees)
    roots : ndarray of int64, shape (n_trees,)
    parent : ndarray of int64, shape (n_nodes,)
    mean : ndarray of float64, shape (n_nodes, n_outputs)
    kept : ndarray of bool, shape (n_nodes,)
        Which wavelets to keep; all True reproduces the forest's prediction.

    Returns
    -------
    ndarray of float64, shape (n_samples, n_outputs)
    """
    out = np.empty((leaves.shape[0], mean.shape[1]), dtype=np.float64)
    _mterm_predict_jit(np.ascontiguousarray(leaves, dtype=np.int64), roots, parent, mean, kept, out)
    return out
