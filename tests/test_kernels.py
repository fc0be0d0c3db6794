"""Each numba kernel against its plain NumPy twin, on real sklearn trees and random inputs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.ensemble import RandomForestRegressor

from sparsity_widgets._numerics import (
    apply_flat,
    apply_flat_normalising,
    box_volumes,
    log_sum_powers,
    mterm_error_curve,
    mterm_predict,
    node_counts_from_leaves,
    node_sample_lists,
    parent_and_depth,
    wavelet_norms,
)
from sparsity_widgets._numerics.reference import (
    apply_flat_ref,
    box_volumes_ref,
    log_sum_powers_ref,
    mterm_error_curve_ref,
    node_counts_from_leaves_ref,
    parent_and_depth_ref,
    wavelet_norms_ref,
)
from sparsity_widgets.flat_forest import flatten_sklearn_trees


def _forest_arrays(seed, n=300, d=4, classes=3, depth=8, n_trees=2):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d)).astype(np.float32)
    y = np.eye(classes)[rng.integers(0, classes, n)]
    rf = RandomForestRegressor(n_trees, max_depth=depth, random_state=seed).fit(X, y)
    arrays = flatten_sklearn_trees([t.tree_ for t in rf.estimators_], classes)
    return X, y, rf, arrays


seeds = st.integers(0, 10_000)


@given(seeds, st.integers(1, 12))
def test_parent_and_depth_match_reference(seed, depth):
    _, _, _, a = _forest_arrays(seed, depth=depth)
    parent, dep = parent_and_depth(a["left"], a["right"])
    parent_ref, dep_ref = parent_and_depth_ref(a["left"], a["right"])
    np.testing.assert_array_equal(parent, parent_ref)
    np.testing.assert_array_equal(dep, dep_ref)
    assert dep.max() <= depth
    assert (parent[a["tree_offsets"][:-1]] == -1).all()


@given(seeds)
def test_apply_flat_matches_sklearn_and_reference(seed):
    X, _, rf, a = _forest_arrays(seed)
    roots = a["tree_offsets"][:-1]
    leaves = apply_flat(X, roots, a["left"], a["right"], a["feature"], a["threshold"])
    expected = rf.apply(X) + roots[None, :]
    np.testing.assert_array_equal(leaves, expected)
    ref = apply_flat_ref(X[:50], roots, a["left"], a["right"], a["feature"], a["threshold"])
    np.testing.assert_array_equal(leaves[:50], ref)


@given(seeds, st.sampled_from([np.float32, np.float64]), st.floats(-5.0, 5.0), st.floats(0.01, 50))
def test_apply_normalising_equals_apply_on_the_normalised_copy(seed, dtype, shift, spread):
    from sparsity_widgets.forest import _column_range, minmax_normalise

    rng = np.random.default_rng(seed)
    X_raw = (rng.standard_normal((300, 4)) * spread + shift).astype(dtype)
    X_raw[:, 2] = X_raw[0, 2]  # a constant column (scale 1)
    minimum, scale = _column_range(X_raw)
    X_unit = minmax_normalise(X_raw, minimum, scale)
    y = np.eye(3)[rng.integers(0, 3, 300)]
    rf = RandomForestRegressor(2, max_depth=10, random_state=seed).fit(X_unit, y)
    a = flatten_sklearn_trees([t.tree_ for t in rf.estimators_], 3)
    roots = a["tree_offsets"][:-1]
    trees = (roots, a["left"], a["right"], a["feature"], a["threshold"])
    # the training rows sit right next to the thresholds (midpoints of normalised values): any
    # difference in the normalisation's rounding would send some of them the other way
    expected = apply_flat(X_unit, *trees)
    np.testing.assert_array_equal(apply_flat_normalising(X_raw, minimum, scale, *trees), expected)
    np.testing.assert_array_equal(expected, rf.apply(X_unit) + roots[None, :])
    X_new = (rng.standard_normal((200, 4)) * spread * 2 + shift).astype(dtype)
    np.testing.assert_array_equal(
        apply_flat_normalising(X_new, minimum, scale, *trees),
        apply_flat(minmax_normalise(X_new, minimum, scale), *trees),
    )


@given(seeds)
def test_counts_volumes_and_norms_match_reference(seed):
    X, _, _rf, a = _forest_arrays(seed)
    roots = a["tree_offsets"][:-1]
    parent, _ = parent_and_depth(a["left"], a["right"])
    leaves = apply_flat(X, roots, a["left"], a["right"], a["feature"], a["threshold"])
    counts = node_counts_from_leaves(leaves, parent)
    np.testing.assert_array_equal(counts, node_counts_from_leaves_ref(leaves, parent))
    assert (counts[roots] == X.shape[0]).all()

    volume = box_volumes(a["left"], parent, a["feature"], a["threshold"])
    ref_volume = box_volumes_ref(a["left"], parent, a["feature"], a["threshold"], X.shape[1])
    # a product of <= 8 width ratios (kernel) against one of widths (twin): each factor is
    # a correctly rounded difference of the same thresholds, so ~3 depth eps ~ 5e-15 relative
    np.testing.assert_allclose(volume, ref_volume, rtol=1e-12, atol=1e-15)
    # each tree's leaves tile the unit cube: a sum of <= 300 volumes in (0, 1], each exact to
    # ~5e-15 relative, so within ~300 eps ~ 7e-14 of 1
    for j in range(len(roots)):
        owned = np.zeros(len(parent), dtype=bool)
        owned[a["tree_offsets"][j] : a["tree_offsets"][j + 1]] = True
        assert volume[owned & (a["left"] < 0)].sum() == pytest.approx(1.0, abs=1e-12)

    weight = counts / X.shape[0]
    norms = wavelet_norms(parent, a["mean"], weight)
    # the same differences; a sum of 3 squares and two square roots in either order: a few eps
    np.testing.assert_allclose(norms, wavelet_norms_ref(parent, a["mean"], weight), rtol=1e-13)


@given(
    st.lists(st.floats(1e-8, 10.0), min_size=1, max_size=60),
    st.lists(st.floats(-1.5, 2.0), min_size=1, max_size=10),
)
def test_log_sum_powers_matches_reference(values, exponents):
    values = np.array(values)
    exponents = np.array(exponents)
    # absolute: the error of a log is the relative error of its sum, <= (60 + |e log v|) eps
    # ~ 3e-14 (shifted exp terms against plain powers); results near 0 make rtol useless
    np.testing.assert_allclose(
        log_sum_powers(values, exponents),
        log_sum_powers_ref(values, exponents),
        rtol=1e-10,
        atol=1e-10,
    )


def test_log_sum_powers_survives_overflow():
    values = np.full(50_000, 1e-3)
    # (sum n^tau)^(1/tau) overflows for tiny tau: the log does not
    out = log_sum_powers(values, np.array([1e-3]))
    assert np.isfinite(out).all()
    # every shifted term is exp(0) = 1, so the sum is exact: only the last add and log round
    assert out[0] == pytest.approx(np.log(50_000) + 1e-3 * np.log(1e-3), rel=1e-12)


@given(seeds)
def test_mterm_curve_matches_recomputation(seed):
    X, y, _, a = _forest_arrays(seed, n=120, depth=5)
    roots = a["tree_offsets"][:-1]
    parent, _ = parent_and_depth(a["left"], a["right"])
    leaves = apply_flat(X, roots, a["left"], a["right"], a["feature"], a["threshold"])
    weight = node_counts_from_leaves(leaves, parent) / X.shape[0]
    norms = wavelet_norms(parent, a["mean"], weight)
    candidates = np.flatnonzero(parent >= 0)
    order = candidates[np.argsort(-norms[candidates], kind="stable")]
    ptr, samples = node_sample_lists(leaves, parent)
    residual = y - a["mean"][roots].mean(axis=0)
    sse = mterm_error_curve(order, ptr, samples, parent, a["mean"], residual, len(roots))
    m_values = [0, 1, 3, len(order) // 2, len(order)]
    ref = mterm_error_curve_ref(order, leaves, parent, a["mean"], y, len(roots), m_values)
    # the kernel updates one running SSE (err += new^2 - old^2) once per sample, output and
    # added wavelet; the updates cancel as the SSE falls, so its error is absolute, about
    # n_updates eps max|partial SSE|, not relative to sse[M] (measured < 3% of this bound over
    # 300 seeds; one wavelet more or less moves the SSE by its norm^2 * n, far above it)
    n_updates = int((ptr[order + 1] - ptr[order]).sum()) * y.shape[1]
    atol = 2 * n_updates * np.finfo(float).eps * float(sse.max())
    np.testing.assert_allclose(sse[m_values], ref, rtol=0, atol=atol)

    kept = np.zeros(len(parent), dtype=bool)
    kept[order[: len(order) // 2]] = True
    approx = mterm_predict(leaves, roots, parent, a["mean"], kept)
    assert np.sum((y - approx) ** 2) == pytest.approx(sse[len(order) // 2], rel=0, abs=atol)


def test_node_sample_lists_are_the_samples_reaching_each_node():
    X, _, _, a = _forest_arrays(3, n=200)
    roots = a["tree_offsets"][:-1]
    parent, _ = parent_and_depth(a["left"], a["right"])
    leaves = apply_flat(X, roots, a["left"], a["right"], a["feature"], a["threshold"])
    ptr, samples = node_sample_lists(leaves, parent)
    for node in range(0, len(parent), 7):
        expected = set()
        for s in range(X.shape[0]):
            for j in range(len(roots)):
                v = leaves[s, j]
                while v >= 0:
                    if v == node:
                        expected.add(s)
                    v = parent[v]
        assert set(samples[ptr[node] : ptr[node + 1]].tolist()) == expected
