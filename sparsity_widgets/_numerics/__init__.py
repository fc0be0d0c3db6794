"""Numba kernels over flat per-node forest arrays.

This layer imports only numpy and numba: no scikit-learn, torch, matplotlib or ipywidgets.
Each public kernel wrapper validates nothing (its callers in the estimator layer do) and fills
or returns plain arrays. Every kernel has a plain NumPy twin in :mod:`._numerics.reference`
that the tests compare it with.

Flat forest conventions (all arrays of length ``n_nodes`` cover every tree of the forest):

* node indices are global; tree ``j`` owns ``tree_offsets[j]:tree_offsets[j + 1]`` and its
  root is ``tree_offsets[j]``;
* ``left[i]``/``right[i]`` are global child indices, ``-1`` for a leaf;
* a child's index is always larger than its parent's (true for depth-first and
  breadth-first numbering), so one forward pass sees every parent before its children;
* ``feature[i]`` is ``-1`` for a leaf; a sample goes left when ``x[feature] <= threshold``.
"""

from .mterm import mterm_error_curve, mterm_predict, node_sample_lists
from .power_sums import log_sum_powers
from .tree_arrays import (
    apply_flat,
    apply_flat_normalising,
    box_volumes,
    node_counts_from_leaves,
    parent_and_depth,
    wavelet_norms,
)
from .tree_builder import grow_tree

__all__ = [
    "apply_flat",
    "apply_flat_normalising",
    "box_volumes",
    "grow_tree",
    "log_sum_powers",
    "mterm_error_curve",
    "mterm_predict",
    "node_counts_from_leaves",
    "node_sample_lists",
    "parent_and_depth",
    "wavelet_norms",
]
