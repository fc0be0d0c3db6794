"""Mutual coherence, frame potential and the Welch bound on known frames."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparsity_widgets.frames.coherence import (
    averaged_frame_potential,
    frame_potential,
    is_equiangular_tight_frame,
    mercedes_benz_frame,
    mutual_coherence,
    orthonormal_basis,
    simplex_etf,
    welch_bound,
)


def test_welch_bound_values():
    # rational closed forms, one rounded division: pytest.approx's default rel 1e-6 is ample
    assert welch_bound(2, 3) == pytest.approx(0.25)  # (3-2)/(2*2)
    assert welch_bound(4, 9) == pytest.approx(5 / 32)
    assert welch_bound(5, 5) == 0.0
    assert welch_bound(5, 3) == 0.0


def test_orthonormal_basis_meets_zero_bound():
    B = orthonormal_basis(6)
    assert mutual_coherence(B) == 0.0
    assert averaged_frame_potential(B) == 0.0
    assert is_equiangular_tight_frame(B)


@pytest.mark.parametrize("d", [1, 2, 3, 7])
def test_simplex_is_etf_and_meets_welch(d):
    B = simplex_etf(d)
    assert B.shape == (d, d + 1)
    assert is_equiangular_tight_frame(B)
    bound = welch_bound(d, d + 1)
    # an SVD-built frame: its Gram entries are -1/d to ~d eps; absolute, 1/d^2 may be small
    assert mutual_coherence(B) ** 2 == pytest.approx(bound, abs=1e-12)
    assert averaged_frame_potential(B) == pytest.approx(bound, abs=1e-12)
    assert frame_potential(B) == pytest.approx((d + 1) ** 2 / d)


def test_mercedes_benz_frame():
    B = mercedes_benz_frame()
    # cos and sin of multiples of 2 pi / 3: exact to a few eps (default rel 1e-6)
    assert mutual_coherence(B) == pytest.approx(0.5)
    assert mutual_coherence(B) ** 2 == pytest.approx(welch_bound(2, 3))
    assert is_equiangular_tight_frame(B)


def test_a_random_frame_is_not_an_etf():
    B = np.random.default_rng(0).standard_normal((3, 5))
    assert not is_equiangular_tight_frame(B)


@given(
    d=st.integers(1, 8),
    extra=st.integers(1, 12),
    seed=st.integers(0, 10_000),
    scale=st.floats(0.01, 100.0),
)
def test_random_frames_never_beat_welch(d, extra, seed, scale):
    k = d + extra
    B = scale * np.random.default_rng(seed).standard_normal((d, k))
    f2 = averaged_frame_potential(B)
    mu = mutual_coherence(B)
    # F^2 = (||G||_F^2 - k) / (k (k - 1)) rounds to <= k eps ||G||_F^2 / (k (k - 1)) <= 21 eps
    # (k <= 20), mu^2 to ~(d + 3) eps: 1e-12 covers both; the three are equal for d = 1
    assert f2 <= mu**2 + 1e-12
    assert f2 >= welch_bound(d, k) - 1e-12
    assert mu**2 >= welch_bound(d, k) - 1e-12


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: welch_bound(0, 3), "d must be an integer >= 1; got 0"),
        (lambda: welch_bound(3, 1), "k must be an integer >= 2; got 1"),
        (lambda: mutual_coherence(np.ones(3)), r"B must be a 2-D array of shape \(d, k\)"),
        (lambda: mutual_coherence(np.zeros((2, 3))), "B has zero columns"),
        (lambda: mutual_coherence([[1.0, np.nan]]), "NaN"),
        (lambda: simplex_etf(0), "d must be an integer >= 1"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
