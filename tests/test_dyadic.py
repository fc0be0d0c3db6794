"""The isotropic dyadic tree of Lemma 3.1 in the flat-forest format."""

import numpy as np
import pytest

from sparsity_widgets._numerics import apply_flat
from sparsity_widgets.dyadic import (
    disk_cell_means,
    dyadic_level_sums,
    dyadic_tau_threshold,
    dyadic_tree,
    dyadic_tree_from_function,
    halfspace_cell_means,
)
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


# --------------------------------------------------------------------------- dimension n
def test_level_sums_agree_with_the_flat_tree_in_two_dimensions():
    """The n-D level sums in 2-D are the per-depth sums of :func:`dyadic_tree`'s norms."""
    means = disk_cell_means(5)
    tree = dyadic_tree(means)
    taus = np.array([0.5, 1.0, 1.5])
    sums = dyadic_level_sums(means, taus)
    expected = np.array(
        [[np.sum(tree.norm[tree.depth == k] ** t) for t in taus] for k in range(1, 11)]
    )
    assert sums.shape == (10, 3)
    # the same means, the child-parent difference formed as (upper - lower) / 2 instead of
    # child - parent: a few roundings per term (measured <= 7e-16 relative); zero levels are
    # exactly zero in both
    np.testing.assert_allclose(sums, expected, rtol=1e-13, atol=0)


def test_level_sums_of_one_jump_in_one_dimension():
    """On [0, 1] the indicator of [0, 3/8] has one pair of non-zero wavelets per level, the
    children of the one cell the jump cuts (hand computed below), each times 2^(-k/2)."""
    means = (np.arange(8) < 3).astype(float)  # cells of side 1/8
    sums = dyadic_level_sums(means, [1.0])[:, 0]
    # level 1: [0, 1/2] has mean 3/4, [1/2, 1] mean 0, the root 3/8: two terms 3/8 * 2^-1/2
    # level 2: [0, 1/4] mean 1, [1/4, 1/2] mean 1/2, parent 3/4: two terms 1/4 * 2^-1
    # level 3: [1/4, 3/8] mean 1, [3/8, 1/2] mean 0, parent 1/2: two terms 1/2 * 2^-3/2
    expected = [2 * 3 / 8 * 2**-0.5, 2 * 1 / 4 * 2**-1, 2 * 1 / 2 * 2**-1.5]
    np.testing.assert_allclose(sums, expected, rtol=1e-15)


def test_halfspace_means_are_irwin_hall_values_and_refine_consistently():
    coarse = halfspace_cell_means(1, 3)
    # cube corner a in {0, 1}^3, threshold 3 - (a_1 + a_2 + a_3): the whole cube, the cube
    # minus a corner simplex of volume 1/6, a corner simplex, nothing
    corner_sum = np.add.outer(np.add.outer(np.arange(2), np.arange(2)), np.arange(2))
    expected = np.array([1.0, 5 / 6, 1 / 6, 0.0])[corner_sum]
    np.testing.assert_allclose(coarse, expected, rtol=1e-15)
    # true cell means average exactly over the 2 x 2 x 2 children (sixths: exact in binary up to
    # one rounding per addition, measured equal bit for bit)
    fine = halfspace_cell_means(2, 3)
    merged = fine.reshape(2, 2, 2, 2, 2, 2).mean(axis=(1, 3, 5))
    np.testing.assert_allclose(merged, coarse, rtol=1e-15, atol=1e-16)
    # the plane through the centre halves the cube; in 2-D the diagonal cells are cut in half
    assert halfspace_cell_means(4, 3).mean() == pytest.approx(0.5, rel=1e-14)
    square = halfspace_cell_means(3, 2)
    np.testing.assert_array_equal(np.diag(square[::-1]), 0.5)


@pytest.mark.parametrize("dim", [2, 3])
def test_halfspace_blocks_grow_like_the_threshold_says(dim):
    """Lemma 3.1 on [0, 1]^n for the half-space: the sum over the n levels of block j (cubes of
    side 2^-j down to 2^-(j+1)) is c 2^(j (n - 1 - n tau / 2)), so N_tau is finite exactly for
    tau > 2 (n - 1) / n. The cut cubes number exactly 2^j in 2-D and (3/2) 4^j in 3-D (by
    inclusion-exclusion) and each holds one of n - 1 scaled patterns, so from j = 1 on the ratio
    of consecutive blocks is the predicted factor up to rounding (measured to 1e-15)."""
    levels = {2: 8, 3: 5}[dim]
    taus = np.array([0.8, 1.0, 1.2, 1.3, 4 / 3, 1.5, 1.8])
    sums = dyadic_level_sums(halfspace_cell_means(levels, dim), taus)
    blocks = sums.reshape(levels, dim, -1).sum(axis=1)
    ratios = blocks[2:] / blocks[1:-1]
    predicted = 2.0 ** ((dim - 1) - dim * taus / 2)
    np.testing.assert_allclose(ratios, np.broadcast_to(predicted, ratios.shape), rtol=1e-12)
    threshold = dyadic_tau_threshold(dim)
    assert threshold == pytest.approx({2: 1.0, 3: 4 / 3}[dim])
    growing = predicted >= 1.0 - 1e-12
    np.testing.assert_array_equal(growing, taus <= threshold + 1e-12)


def test_threshold_values():
    assert dyadic_tau_threshold(1) == 0.0
    assert dyadic_tau_threshold(2) == 1.0
    assert dyadic_tau_threshold(40) == pytest.approx(1.95)
    # alpha* = 1 / tau* - 1/2 = 1 / (2 (n - 1))
    for n in (2, 3, 10, 640):
        assert 1 / dyadic_tau_threshold(n) - 0.5 == pytest.approx(1 / (2 * (n - 1)))


def test_n_dimensional_bad_inputs():
    with pytest.raises(ValueError, match="power-of-two side"):
        dyadic_level_sums(np.zeros((6, 6, 6)), [1.0])
    with pytest.raises(ValueError, match="same power-of-two side"):
        dyadic_level_sums(np.zeros((4, 4, 8)), [1.0])
    with pytest.raises(ValueError, match="strictly inside \\(0, 2\\)"):
        dyadic_level_sums(np.zeros((4, 4)), [0.5, 2.0])
    with pytest.raises(ValueError, match="finite"):
        dyadic_level_sums(np.full((4, 4), np.nan), [1.0])
    with pytest.raises(ValueError, match="MAX_GRID_CELLS"):
        halfspace_cell_means(9, 3)
    with pytest.raises(ValueError, match="levels must be"):
        halfspace_cell_means(0, 3)
    with pytest.raises(ValueError, match="dim must be"):
        dyadic_tau_threshold(0)
