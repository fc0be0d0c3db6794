"""N_tau, the two tau* rules, their windows and their failure modes."""

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparsity_widgets import (
    default_tau_grid,
    estimate_tau_star,
    sparsity_curve,
    tau_sparsity,
)

positive_norms = st.lists(st.floats(1e-6, 2.0), min_size=2, max_size=200).map(np.array)


@given(positive_norms, st.integers(1, 5))
def test_sparsity_is_non_increasing_in_tau(norms, n_trees):
    taus = default_tau_grid()
    values = tau_sparsity(norms, taus, n_trees)
    finite = np.isfinite(values)  # a suffix of the grid: inf only at the smallest taus
    # N_tau = exp(log(sum n^tau) / tau) / J: the log of n terms spanning tau log(max / min)
    # rounds to ~(n + tau log(max / min)) eps, 1 / tau scales that and the exp adds
    # |log N_tau| eps: more than a fixed 1e-12 relative at small tau, and where one norm
    # dominates N_tau is nearly flat in tau, so the check needs the true rounding bound (x4)
    spread = np.log(norms.max() / norms.min())
    rel = 4 * np.finfo(float).eps * (len(norms) / taus + spread + np.abs(np.log(values)))
    assert (np.diff(values[finite]) <= (rel * values)[finite][:-1]).all()


@given(positive_norms, st.integers(1, 5))
def test_sparsity_matches_eq_3_7(norms, n_trees):
    taus = np.array([0.5, 1.0, 1.5, 1.99])
    expected = [(np.sum(norms**t)) ** (1 / t) / n_trees for t in taus]
    # same bound as above with tau >= 0.5: <= 4 eps (2 (200 + 15) + |log N|) ~ 4e-13 relative
    np.testing.assert_allclose(tau_sparsity(norms, taus, n_trees), expected, rtol=1e-10)


def test_zero_norms_count_for_nothing():
    taus = np.array([0.5, 1.0, 1.5])
    # the same two positive terms either way: equal up to the order of one add
    np.testing.assert_allclose(
        tau_sparsity([0.3, 0.0, 0.2, 0.0], taus), tau_sparsity([0.3, 0.2], taus), rtol=1e-14
    )
    assert sparsity_curve([0.3, 0.0, 0.2], 1).n_wavelets == 3


def _power_law_norms(n=20_000, decay=1.0):
    # norms k^(-decay): sum n^tau is finite iff tau * decay > 1, i.e. tau > 1/decay
    return np.arange(1, n + 1, dtype=float) ** (-decay)


def test_paper_rule_selects_the_window_and_averages():
    curve = sparsity_curve(_power_law_norms(), 1)
    est = estimate_tau_star(curve)
    lo, hi = -math.pi / 2 + 0.1, -math.pi / 2 + 0.4
    # closed forms and means of grid points, recomputed the same way: default rel 1e-6 ample
    assert est.window == pytest.approx((lo, hi))
    assert est.angle_unit == "rad"
    assert ((est.angles[est.selected] >= lo) & (est.angles[est.selected] <= hi)).all()
    assert not ((est.angles[~est.selected] >= lo) & (est.angles[~est.selected] <= hi)).any()
    assert est.tau_star == pytest.approx(est.selected_taus.mean())
    assert est.alpha_star == pytest.approx(1 / est.tau_star - 0.5)
    # derivative and angles are the numerical derivative of N_tau and its arctan
    finite = np.isfinite(est.sparsity)
    inner = np.flatnonzero(finite[:-2] & finite[2:]) + 1
    slope = (est.sparsity[inner + 1] - est.sparsity[inner - 1]) / (
        est.taus[inner + 1] - est.taus[inner - 1]
    )
    # np.gradient weighs the (not bitwise uniform) grid steps otherwise: both divide a
    # difference of neighbours, exact to eps N / (|N'| 0.02) <= 2.6e-14 relative on this curve
    np.testing.assert_allclose(est.derivative[inner], slope, rtol=1e-9)
    np.testing.assert_allclose(est.angles, np.arctan(est.derivative))


def test_transition_tracks_the_decay_of_a_power_law():
    # a slower decay (rougher function) moves the transition to larger tau
    smooth = estimate_tau_star(sparsity_curve(_power_law_norms(decay=2.0), 1))
    rough = estimate_tau_star(sparsity_curve(_power_law_norms(decay=1.0), 1))
    assert smooth.tau_star < rough.tau_star
    smooth_code = estimate_tau_star(sparsity_curve(_power_law_norms(decay=2.0), 1), "public-code")
    rough_code = estimate_tau_star(sparsity_curve(_power_law_norms(decay=1.0), 1), "public-code")
    assert smooth_code.tau_star < rough_code.tau_star


def test_public_code_rule_sweeps_epsilons_in_degrees():
    curve = sparsity_curve(_power_law_norms(), 1)
    est = estimate_tau_star(curve, "public-code")
    assert est.angle_unit == "deg"
    assert len(est.sweep_epsilons) == 100
    assert est.sweep_epsilons[0] == pytest.approx(0.1)
    assert est.sweep_epsilons[-1] < 0.4
    distance = np.abs(est.angles + 90)
    for eps, tau in zip(est.sweep_epsilons, est.sweep_taus, strict=True):
        inside = est.taus[distance <= eps]
        assert tau == inside.max()
    assert est.alpha_star == pytest.approx(np.mean(1 / est.sweep_taus - 0.5))
    assert est.tau_star == pytest.approx(1 / (est.alpha_star + 0.5))


def test_public_code_rule_is_scale_invariant_and_paper_rule_is_not():
    norms = _power_law_norms(decay=1.3)
    base_code = estimate_tau_star(sparsity_curve(norms, 3), "public-code")
    scaled_code = estimate_tau_star(sparsity_curve(10 * norms, 3), "public-code")
    # the same taus selected, so the same mean: only the order of the adds may differ
    assert scaled_code.tau_star == pytest.approx(base_code.tau_star, rel=1e-12)
    base_paper = estimate_tau_star(sparsity_curve(norms, 3))
    scaled_paper = estimate_tau_star(sparsity_curve(10 * norms, 3))
    assert abs(scaled_paper.tau_star - base_paper.tau_star) > 0.01


def test_rules_disagree_on_the_same_curve():
    curve = sparsity_curve(_power_law_norms(decay=1.3), 3)
    paper = estimate_tau_star(curve, "paper")
    code = estimate_tau_star(curve, "public-code")
    assert abs(paper.tau_star - code.tau_star) > 0.05


def test_empty_window_raises_with_window_and_angle_range():
    curve = sparsity_curve([0.3], 1)  # one wavelet: N_tau is constant, every angle is 0
    with pytest.raises(
        ValueError,
        match=r"no tau falls in the window.*\[-1\.4708, -1\.1708\] rad.*span \[-?0\.0+, 0\.0+\]",
    ):
        estimate_tau_star(curve)
    with pytest.raises(ValueError, match=r"public-code rule needs \|angle \+ 90\| <= 0.1 degrees"):
        estimate_tau_star(curve, "public-code")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"eps_low": 0.4, "eps_high": 0.1}, "eps_low must be smaller than eps_high"),
        ({"eps_low": -0.1}, r"eps_low must lie in \[0, 3.14159\]; got -0.1"),
        ({"eps_high": float("nan")}, "eps_high must be a finite real number"),
        ({"rule": "median"}, "rule must be one of 'paper', 'public-code'; got 'median'"),
    ],
)
def test_bad_windows_and_rules(kwargs, message):
    curve = sparsity_curve(_power_law_norms(1000), 1)
    with pytest.raises(ValueError, match=message):
        estimate_tau_star(curve, **kwargs)


@pytest.mark.parametrize(
    "taus, message",
    [
        ([0.5, 1.0], "at least 3 values"),
        ([0.0, 1.0, 1.5], r"strictly inside \(0, 2\)"),
        ([0.5, 1.0, 2.0], r"strictly inside \(0, 2\)"),
        ([0.5, 1.5, 1.0], "strictly increasing"),
        ([[0.5, 1.0, 1.5]], "1-D grid"),
    ],
)
def test_bad_tau_grids(taus, message):
    with pytest.raises(ValueError, match=message):
        sparsity_curve([0.1, 0.2], 1, taus)


@pytest.mark.parametrize(
    "norms, message",
    [([0.0, 0.0], "no positive entry"), ([0.1, -0.2], "non-negative"), ([[0.1]], "1-D")],
)
def test_bad_norms(norms, message):
    with pytest.raises(ValueError, match=message):
        sparsity_curve(norms, 1)


def test_estimate_serialises_to_json():
    est = estimate_tau_star(sparsity_curve(_power_law_norms(), 2))
    data = json.loads(json.dumps(est.to_dict()))
    assert data["tau_star"] == pytest.approx(est.tau_star)
    assert len(data["taus"]) == len(est.taus)
    # overflowed N_tau at tiny tau becomes null, not Infinity (invalid JSON)
    assert data["log_sparsity"][0] is not None
    assert not np.isfinite(est.derivative[0])
    assert data["derivative"][0] is None


def test_curve_requires_a_curve():
    with pytest.raises(ValueError, match="curve must be a SparsityCurve"):
        estimate_tau_star(np.ones(5))
