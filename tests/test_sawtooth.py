"""The sawtooth, its ReLU realisation and its Besov growth (slides: 'The Sawtooth realization')."""

import numpy as np
import pytest

from sparsity_widgets.sawtooth import (
    besov_seminorm,
    dyadic_wavelet_norms_1d,
    hat,
    relu_network_forward,
    sawtooth,
    sawtooth_relu_network,
)


def test_hat_values():
    x = np.array([-0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5])
    np.testing.assert_allclose(hat(x), [0, 0, 0.5, 1, 0.5, 0, 0])  # dyadic inputs: exact


@pytest.mark.parametrize("j", [1, 2, 3, 6])
def test_sawtooth_has_2_pow_j_minus_1_teeth(j):
    x = (np.arange(2**j + 1)) / 2**j  # knots
    values = sawtooth(x, j)
    # zeros at even multiples of 2^-j, ones at odd ones: 2^(j-1) teeth (dyadic knots: exact)
    np.testing.assert_allclose(values, np.arange(2**j + 1) % 2)


@pytest.mark.parametrize("j", [1, 2, 4, 7])
def test_relu_network_realises_sawtooth_exactly(j):
    layers = sawtooth_relu_network(j)
    assert len(layers) == 2 * j
    assert max(layer.weight.shape[0] for layer in layers) == 3
    x = np.random.default_rng(j).uniform(-0.5, 1.5, 5000)
    # each hat doubles the error of its input: <= 2^(j + 2) eps ~ 1e-13 at j = 7 (measured 0);
    # absolute, the sawtooth is 0 at its knots
    np.testing.assert_allclose(relu_network_forward(layers, x), sawtooth(x, j), atol=1e-12)


def test_composition_identity():
    x = np.linspace(0, 1, 1001)
    # the same hats in the same order, elementwise: bitwise equal (measured), zeros included
    np.testing.assert_allclose(sawtooth(x, 5), sawtooth(sawtooth(x, 1), 4))


@pytest.mark.parametrize("alpha", [0.2, 0.5, 0.8])
def test_besov_seminorm_grows_like_2_pow_j_alpha(alpha):
    values = np.array([besov_seminorm(j, alpha, extra_levels=10) for j in range(1, 7)])
    slopes = np.diff(np.log2(values))
    # exact up to round-off: the tree of Lambda_(j+1) below level 1 is two copies of that of
    # Lambda_j at half scale (its level-1 wavelet is 0), and the tree keeps 10 levels below j
    # either way, so N_tau grows by exactly 2^alpha (measured 1.6e-15); the sums over
    # <= 2^17 intervals round to < 2^17 eps = 3e-11 even one by one, far inside 1e-9
    np.testing.assert_allclose(slopes, alpha, rtol=0, atol=1e-9)


def test_dyadic_norms_of_constant_are_zero_and_of_step_are_known():
    assert np.all(dyadic_wavelet_norms_1d(np.ones(8)) == 0)
    norms = dyadic_wavelet_norms_1d(np.array([0.0, 0.0, 1.0, 1.0]))
    # level 1: |E_child - 1/2| * sqrt(1/2) twice, level 2: zeros (one sqrt: default rtol)
    np.testing.assert_allclose(norms, [0.5 * 2**-0.5] * 2 + [0.0] * 4)


def test_bad_inputs():
    with pytest.raises(ValueError, match="j must be an integer >= 1"):
        sawtooth([0.1], 0)
    with pytest.raises(ValueError, match="alpha must"):
        besov_seminorm(2, 1.5)
    with pytest.raises(ValueError, match="x must be a 1-D"):
        relu_network_forward(sawtooth_relu_network(1), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="j \\+ extra_levels must be at most 24"):
        besov_seminorm(20, 0.5, extra_levels=10)
