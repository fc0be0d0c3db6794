"""The synthetic sets: shapes, seeds, the structure they promise, bad parameters."""

import numpy as np
import pytest

from sparsity_widgets import WaveletForest
from sparsity_widgets.datasets import (
    SYNTHETIC_DATASETS,
    make_blocks,
    make_smooth_domain,
    make_synthetic,
)


@pytest.mark.parametrize("name", sorted(SYNTHETIC_DATASETS))
def test_shapes_classes_and_seeds(name):
    X, y = make_synthetic(name, n_samples=500, random_state=1)
    assert X.shape == (500, 2) and y.shape == (500,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    X2, y2 = make_synthetic(name, n_samples=500, random_state=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make_synthetic(name, n_samples=500, random_state=2)
    assert not np.array_equal(X, X3)


@pytest.mark.parametrize("name", sorted(SYNTHETIC_DATASETS))
def test_ours_is_the_default_generator_and_size(name):
    """``generator="ours"`` is what ``make_synthetic`` always gave: 4000 samples by default."""
    X, y = make_synthetic(name, random_state=2)
    X_ours, y_ours = make_synthetic(name, n_samples=4000, random_state=2, generator="ours")
    assert X.shape == (4000, 2)
    np.testing.assert_array_equal(X, X_ours)
    np.testing.assert_array_equal(y, y_ours)


def test_blocks_are_disjoint_axis_parallel_squares():
    X, y = make_blocks(n_samples=20_000, n_blocks=3, random_state=0)
    inside = X[y == 1]
    # the class-1 points form 3 axis-parallel squares in distinct cells of a 4 x 4 grid
    cells = {tuple(c) for c in np.floor(inside / 0.25).astype(int)}
    assert len(cells) == 3
    for cell in cells:
        pts = inside[(np.floor(inside / 0.25).astype(int) == cell).all(axis=1)]
        width = pts.max(axis=0) - pts.min(axis=0)
        # a square: the extent of n uniform points falls short of each side by ~2 side / sqrt(n)
        # at random (measured: sides differ by <= 7e-4 for n = 281..910; seed fixed)
        assert abs(width[0] - width[1]) < 0.01  # a square
        assert 0.1 < width[0] < 0.25


def test_smooth_domain_is_a_disk():
    X, y = make_smooth_domain(n_samples=5000, radius=0.3, random_state=0)
    r = np.linalg.norm(X - 0.5, axis=1)
    np.testing.assert_array_equal(y, (r <= 0.3).astype(int))


def test_label_noise_flips_the_requested_fraction():
    _X, clean = make_smooth_domain(n_samples=20_000, random_state=0)
    _, noisy = make_smooth_domain(n_samples=20_000, noise=0.2, random_state=0)
    # binomial sd sqrt(0.2 * 0.8 / 20 000) = 0.0028: 0.01 is 3.5 sd (measured 0.1994, seed 0)
    assert np.mean(clean != noisy) == pytest.approx(0.2, abs=0.01)


def test_lemmas_order_blocks_above_the_disk():
    """Lemma 3.2 vs 3.1: blocks are sparser than a curved boundary, on every seed tried."""
    for seed in range(3):
        alphas = {}
        for name in ("blocks", "smooth-domain"):
            X, y = make_synthetic(name, n_samples=4000, random_state=seed)
            alphas[name] = WaveletForest(random_state=seed).fit(X, y).estimate().alpha_star
        assert alphas["blocks"] > alphas["smooth-domain"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_synthetic("moons"), "name must be one of"),
        (lambda: make_synthetic("spiral", n_samples=1), "n_samples must be an integer >= 2"),
        (lambda: make_synthetic("circles", noise=-1.0), r"noise must lie in \[0, inf\]"),
        (lambda: make_blocks(n_blocks=17), "n_blocks must be at most 16"),
        (lambda: make_smooth_domain(radius=0.7), r"radius must lie in \(0, 0.5\]"),
        (lambda: make_synthetic("blocks", noise=0.9), r"noise must lie in \[0, 0.5\]"),
    ],
)
def test_bad_parameters(call, message):
    with pytest.raises(ValueError, match=message):
        call()
