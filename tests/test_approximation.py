"""M-term curves and the Elisha-Dekel slope."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparsity_widgets import MTermCurve, WaveletForest


def _power_law_curve(rate, n=2000):
    m = np.arange(n + 1)
    error = np.where(m == 0, 1.0, np.maximum(m, 1) ** (-rate))
    return MTermCurve(m, error, np.sort(np.random.default_rng(0).random(n))[::-1], 100)


@given(st.floats(0.1, 3.0))
def test_slope_recovers_an_exact_power_law(rate):
    fit = _power_law_curve(rate).slope()
    # a least-squares line through exact log-log points: only round-off (~1e-14) separates it
    # from the rate; the intercept is 0, hence absolute
    assert fit.slope == pytest.approx(-rate, rel=1e-9)
    assert fit.alpha == pytest.approx(rate, rel=1e-9)
    assert fit.intercept == pytest.approx(0.0, abs=1e-8)
    assert (fit.m_min, fit.m_max) == (20, 1000)


def test_slope_range_and_errors():
    curve = _power_law_curve(1.0)
    fit = curve.slope(m_min=5, m_max=50, n_points=10)
    assert (fit.m_min, fit.m_max) == (5, 50) and fit.n_points <= 10
    with pytest.raises(ValueError, match="m_max must be at least m_min \\+ 2"):
        curve.slope(m_min=10, m_max=11)
    with pytest.raises(ValueError, match="m_min must be an integer >= 1"):
        curve.slope(m_min=0)
    flat = MTermCurve(np.arange(6), np.array([1.0, 0.5, 0, 0, 0, 0]), np.ones(5), 10)
    with pytest.raises(ValueError, match="the error is zero"):
        flat.slope(m_min=1, m_max=5)


def test_smoother_sets_decay_faster():
    """Blocks need few wavelets; shuffled labels need many: the slopes say so."""
    from sparsity_widgets.datasets import make_synthetic

    X, y = make_synthetic("blocks", n_samples=3000, random_state=0)
    blocks = WaveletForest(random_state=0).fit(X, y).mterm_curve()
    shuffled = np.random.default_rng(0).permutation(y)
    rough = WaveletForest(random_state=0).fit(X, shuffled).mterm_curve()
    assert blocks.slope().alpha > rough.slope().alpha
