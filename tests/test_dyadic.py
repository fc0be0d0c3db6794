"""The isotropic dyadic tree of Lemma 3.1 in the flat-forest format."""

import numpy as np
import pytest

from sparsity_widgets._numerics import apply_flat
from sparsity_widgets.dyadic import disk_cell_means, dyadic_tree, dyadic_tree_from_function
from sparsity_widgets.tau_star import tau_sparsity


def test_leaves_hold_the_cell_means_and_areas():
    means = disk_cell_means(4, supersample=4)
    tree = dyadic_tree(means)
    assert tree.n_nodes == 2 ** (2 * 4 + 1) - 1
    X = np.random.default_rng(0).random((2000, 2))
    leaves = apply_flat(X, tree.roots, tree.left, tree.right, tree.feature, tree.threshold)[:, 0]
    i1, i2 = (X * 16).astype(int).T
    # copies of the cell means and products of halvings: exact (default rtol 1e-7 is slack)
    np.testing.assert_allclose(tree.mean[leaves, 0], means[i1, i2])
    np.testing.assert_allclose(tree.volume[leaves], 1 / 256)
    assert tree.depth.max() == 8


def test_parent_mean_is_average_of_children_and_norms_match_definition():
    tree = dyadic_tree(np.random.default_rng(1).random((8, 8)))
    internal = tree.left >= 0
    # an average of two positive means, and the norms by the kernel's own formula on the same
    # means (measured: equal bit for bit): default rtol 1e-7 only allows an eps or two
    np.testing.assert_allclose(
        tree.mean[internal, 0],
        0.5 * (tree.mean[tree.left[internal], 0] + tree.mean[tree.right[internal], 0]),
    )
    child = np.flatnonzero(tree.parent >= 0)
    expected = np.abs(tree.mean[child, 0] - tree.mean[tree.parent[child], 0]) * np.sqrt(
        tree.volume[child]
    )
    np.testing.assert_allclose(tree.norm[child], expected)


def test_lemma_3_1_transition_at_tau_one():
    """N_tau grows with depth for tau <= 1 and settles for tau > 1 (indicator of a disk)."""
    taus = [0.8, 1.0, 1.5]
    values = np.array(
        [tau_sparsity(dyadic_tree(disk_cell_means(m)).wavelet_norms, taus) for m in (5, 6, 7, 8)]
    )
    growth = values[-1] / values[0]
    assert growth[0] > 2.0  # tau = 0.8: geometric growth
    assert values[-1, 1] - values[-2, 1] > 0.5  # tau = 1: grows by about one per level pair
    assert growth[2] < 1.2  # tau = 1.5: converges


def test_one_dimensional_tree_and_function_builder():
    tree = dyadic_tree(np.arange(8.0))
    assert tree.n_nodes == 15 and tree.mean[0, 0] == pytest.approx(3.5)  # halves of integers
    const = dyadic_tree_from_function(lambda a, b: np.ones_like(a + b), 3, supersample=2)
    assert np.all(const.wavelet_norms == 0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="power-of-two side"):
        dyadic_tree(np.zeros((6, 6)))
    with pytest.raises(ValueError, match="square 2-D"):
        dyadic_tree(np.zeros((4, 8)))
    with pytest.raises(ValueError, match="radius must"):
        disk_cell_means(3, radius=0.7)
    with pytest.raises(ValueError, match="inside \\[0, 1\\]\\^2"):
        disk_cell_means(3, radius=0.3, center=(0.1, 0.5))
