"""WaveletForest: the decomposition identity, the norms, dtypes, determinism, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import RandomForestRegressor

from sparsity_widgets import WaveletForest


def _leaf_mean_prediction(forest, X):
    """The forest's prediction the plain way: the mean over trees of the leaf each row reaches."""
    leaves = forest.apply(X)  # (n_samples, n_trees) global node indices
    return forest.nodes_.mean[leaves].mean(axis=1)


def _expected_prediction(forest, X):
    if forest.builder == "sklearn":
        return forest.estimator_.predict(forest.transform(X)).reshape(len(X), -1)
    return _leaf_mean_prediction(forest, X)


def _prediction_atol(forest):
    """How far two exact-in-principle forms of the prediction may differ by rounding alone.

    The wavelet form telescopes mean differences along a path of <= max depth nodes (partial
    sums bounded by 2 max|mean|, ~3 eps max|mean| per step), then sums n_trees such paths;
    the leaf-mean form (or scikit-learn's) only sums n_trees leaf means. Either is exact to
    (depth + n_trees) * 3 eps max|mean|; x4 for both sides and margin (measured <= 0.12 of
    (depth + n_trees) eps max|mean|). Absolute: predictions may be 0, and a sample sent to a
    wrong leaf moves them by a whole mean difference.
    """
    nodes = forest.nodes_
    size = int(nodes.depth.max()) + nodes.n_trees
    return 4 * size * np.finfo(float).eps * float(np.abs(nodes.mean).max())


@pytest.mark.parametrize("builder", ["numba", "sklearn"])
def test_decomposition_identity_reproduces_leaf_means_and_forest(labelled_data, builder):
    X, y = labelled_data
    forest = WaveletForest(random_state=0, builder=builder).fit(X, y)
    nodes = forest.nodes_
    # every root-to-leaf path: father wavelet + wavelets on the path = leaf mean
    for leaf in np.flatnonzero(nodes.is_leaf):
        total = np.zeros(nodes.mean.shape[1])
        v = leaf
        while nodes.parent[v] >= 0:
            total += nodes.mean[v] - nodes.mean[nodes.parent[v]]
            v = nodes.parent[v]
        total += nodes.mean[v]
        # a telescoping sum of depth + 1 terms, partial sums <= 2 max|mean|: exact to
        # 3 (depth + 1) eps max|mean| (measured <= 0.29 of (depth + 1) eps max|mean|). Absolute,
        # rtol=0: was atol 1e-12 beside the default rtol 1e-7, which let 1e-7 |mean| through
        atol = 4 * (nodes.depth[leaf] + 1) * np.finfo(float).eps * np.abs(nodes.mean).max()
        np.testing.assert_allclose(total, nodes.mean[leaf], rtol=0, atol=atol)
    # averaged over trees: the forest's prediction (eq. 3.4), on training and new points
    X_new = np.random.default_rng(1).standard_normal((200, X.shape[1])) * 2
    for data in (X, X_new):
        expected = _expected_prediction(forest, data)
        atol = _prediction_atol(forest)  # ~1e-14 here; was a fixed 1e-10
        np.testing.assert_allclose(forest.predict(data), expected, atol=atol, rtol=0)


def test_root_children_norm_uses_root_mean_once():
    X = np.array([[0.0], [0.2], [0.4], [0.6], [0.8], [1.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    forest = WaveletForest(n_trees=1, bootstrap=False, max_depth=1, random_state=0).fit(X, y)
    nodes = forest.nodes_
    root = 0
    e_root = nodes.mean[root]
    # 3 of 6 samples per class: 0.5 up to one rounding; the default rtol 1e-7 is ample, as a
    # wrong count moves a mean by >= 1/6
    np.testing.assert_allclose(e_root, [0.5, 0.5])
    # no cancellation (the means differ by 0.5): a difference, two squares, their sum, two
    # square roots and a product either way, <= ~5 eps = 1.1e-15 relative (0.5 + 1 ulp seen)
    for child in (nodes.left[root], nodes.right[root]):
        expected = np.linalg.norm(nodes.mean[child] - e_root) * np.sqrt(3 / 6)
        assert nodes.norm[child] == pytest.approx(expected, rel=1e-14)
        assert nodes.norm[child] == pytest.approx(np.sqrt(0.5) * np.sqrt(0.5), rel=1e-14)
    # the father wavelet is not a term of N_tau
    assert forest.n_wavelets_ == 2
    # the two norms checked to 1e-14 above; this checks which nodes count (the father's norm
    # would be sqrt(0.5) = 0.71): the default rtol 1e-7 is ample
    np.testing.assert_allclose(forest.wavelet_norms_, [0.5, 0.5])


def test_volume_weight_uses_box_volume_in_unit_cube():
    X = np.array([[0.0, 0.0], [0.1, 1.0], [0.2, 0.5], [1.0, 0.0], [0.9, 1.0]])
    y = np.array([0, 0, 0, 1, 1])
    forest = WaveletForest(
        n_trees=1, bootstrap=False, max_depth=1, norm_weight="volume", random_state=0
    ).fit(X, y)
    nodes = forest.nodes_
    t = nodes.threshold[0]
    assert nodes.feature[0] == 0
    # t = 0.55: one or two roundings of numbers ~0.5, no cancellation; the default rtol 1e-7
    # is ample, as a wrong box (1, the other feature's width, t for 1 - t) is off by >= 0.1
    np.testing.assert_allclose(nodes.volume[[1, 2]], [t, 1 - t])
    np.testing.assert_allclose(nodes.weight, nodes.volume)  # the same numbers (equal seen)


def test_norms_scale_linearly_with_the_target(labelled_data):
    X, y = labelled_data
    target = np.eye(3)[y]
    base = WaveletForest(random_state=0).fit(X, target)
    scaled = WaveletForest(random_state=0).fit(X, 7.5 * target)
    # the sums of the (exact) scaled one-hot targets are exact, so each node mean is within
    # 2 ulp of 7.5 times the base one, <= 2 eps 7.5 per output; a norm is a difference of two
    # means, which may cancel, so its error is absolute: <= 4 sqrt(n_outputs) eps 7.5, plus
    # a few eps relative for the norm's own roundings. Was rtol 1e-10, relative on a
    # difference that can vanish (measured 0.2 eps 7.5 here, norms >= 0.006)
    atol = 8 * np.sqrt(3) * np.finfo(float).eps * 7.5
    np.testing.assert_allclose(
        scaled.wavelet_norms_,
        7.5 * base.wavelet_norms_,
        rtol=16 * np.finfo(float).eps,
        atol=atol,
    )


def test_labels_and_their_one_hot_target_give_the_same_forest(labelled_data):
    X, y = labelled_data
    a = WaveletForest(random_state=3).fit(X, y)
    b = WaveletForest(random_state=3).fit(X, np.eye(3)[y])
    np.testing.assert_array_equal(a.wavelet_norms_, b.wavelet_norms_)
    np.testing.assert_array_equal(a.classes_, [0, 1, 2])
    assert b.classes_ is None


def test_string_labels_are_one_hot_encoded(labelled_data):
    X, y = labelled_data
    names = np.array(["cat", "dog", "eel"])[y]
    a = WaveletForest(random_state=3).fit(X, names)
    b = WaveletForest(random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.wavelet_norms_, b.wavelet_norms_)


@pytest.mark.parametrize(
    "transform",
    [
        lambda X: X.astype(np.float32),
        lambda X: np.asfortranarray(X),
        lambda X: np.repeat(X, 2, axis=1)[:, ::2],  # non-contiguous view
        lambda X: X.astype(np.int64),
    ],
    ids=["float32", "fortran", "strided", "int64"],
)
def test_dtypes_and_memory_orders_agree(labelled_data, transform):
    X, y = labelled_data
    X = np.round(X * 1000)  # integers: exact in every dtype tried
    base = WaveletForest(random_state=0).fit(X, y)
    other = WaveletForest(random_state=0).fit(transform(X), y)
    np.testing.assert_array_equal(other.wavelet_norms_, base.wavelet_norms_)
    assert other.estimate().tau_star == base.estimate().tau_star


def test_float64_and_float32_inputs_both_score(labelled_data):
    X, y = labelled_data
    for dtype in (np.float32, np.float64):
        est = WaveletForest(random_state=0).fit(X.astype(dtype), y).estimate()
        assert 0 < est.tau_star < 2


def test_input_is_not_modified(labelled_data):
    X, y = labelled_data
    X_copy, y_copy = X.copy(), y.copy()
    WaveletForest(random_state=0).fit(X, y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_constant_column_is_harmless(labelled_data):
    X, y = labelled_data
    X = np.column_stack([X, np.full(len(X), 3.0)])
    forest = WaveletForest(random_state=0).fit(X, y)
    assert forest.feature_scale_[-1] == 1.0
    assert np.isfinite(forest.wavelet_norms_).all()
    assert not (forest.nodes_.feature == X.shape[1] - 1).any()


def test_same_seed_same_numbers_other_seed_other_numbers(labelled_data):
    X, y = labelled_data
    a = WaveletForest(random_state=5).fit(X, y)
    b = WaveletForest(random_state=5).fit(X, y)
    c = WaveletForest(random_state=6).fit(X, y)
    np.testing.assert_array_equal(a.wavelet_norms_, b.wavelet_norms_)
    assert a.estimate().tau_star == b.estimate().tau_star
    assert a.wavelet_norms_.shape != c.wavelet_norms_.shape or not np.array_equal(
        a.wavelet_norms_, c.wavelet_norms_
    )


def test_estimate_with_other_epsilons_does_not_refit(labelled_data, monkeypatch):
    X, y = labelled_data
    forest = WaveletForest(random_state=0).fit(X, y)
    first = forest.estimate()

    def refuse(*args, **kwargs):
        raise AssertionError("estimate() must not refit the forest")

    monkeypatch.setattr(RandomForestRegressor, "fit", refuse)
    monkeypatch.setattr(WaveletForest, "fit", refuse)
    curve = forest.sparsity_curve()
    other = forest.estimate(eps_low=0.05, eps_high=0.6)
    public = forest.estimate(rule="public-code")
    assert forest.sparsity_curve() is curve  # cached, not recomputed
    assert other.selected.sum() > first.selected.sum()
    assert public.rule == "public-code"


def test_mterm_prediction_keeps_largest_wavelets(labelled_data):
    X, y = labelled_data
    forest = WaveletForest(random_state=0).fit(X, y)
    full = forest.predict(X)
    # every wavelet kept either way: the same sums in the same order, equal in fact (seen);
    # rtol=0 (the default rtol 1e-7 beside atol 1e-12 let 1e-7 |prediction| through)
    all_terms = forest.predict(X, n_terms=forest.n_wavelets_)
    np.testing.assert_allclose(all_terms, full, rtol=0, atol=1e-12)
    father_only = forest.predict(X, n_terms=0)
    roots_mean = forest.nodes_.mean[forest.nodes_.roots].mean(axis=0)
    # n_trees root means summed and divided, in one order or another: each side is exact to
    # n_trees eps max|mean| (4e-16 here; equal seen)
    atol = 2 * forest.nodes_.n_trees * np.finfo(float).eps * np.abs(roots_mean).max()
    np.testing.assert_allclose(
        father_only, np.broadcast_to(roots_mean, full.shape), rtol=0, atol=atol
    )


def test_mterm_curve_ends_at_the_forest_error(labelled_data):
    X, y = labelled_data
    forest = WaveletForest(random_state=0).fit(X, y)
    curve = forest.mterm_curve()
    target = np.eye(3)[y]
    full_rmse = np.sqrt(np.mean(np.sum((target - forest.predict(X)) ** 2, axis=1)))
    # compared as SSEs: the curve's SSE is one running sum updated (err += new^2 - old^2)
    # once per sample, output and wavelet on its path; those updates cancel as the SSE falls,
    # so its error is absolute, n_updates eps max SSE (as in test_kernels), not relative to
    # the final SSE (which a forest fitting its training set drives towards 0). Was rel 1e-9
    # on the RMSE; measured 0.3% of this bound, 6e-11 of the final SSE here
    n = len(y)
    sse = n * curve.error**2
    n_updates = int(forest.nodes_.depth[forest.apply(X)].sum()) * target.shape[1]
    atol = 2 * n_updates * np.finfo(float).eps * float(sse.max())
    assert sse[-1] == pytest.approx(n * full_rmse**2, rel=0, abs=atol)
    assert curve.error[0] > curve.error[-1]
    assert (np.diff(curve.added_norms) <= 0).all()
    # evaluated on explicit data: the same numbers
    again = forest.mterm_curve(X, y)
    # the same leaves, one-hot target and order, so the same operations: equal in fact (seen);
    # 1e-9 relative is a margin (the errors are RMSEs >= 0.4 here, no cancellation left)
    np.testing.assert_allclose(again.error, curve.error, rtol=1e-9)
    slope = curve.slope()
    assert slope.slope < 0 and slope.alpha == -slope.slope


def test_unfitted_forest_says_so():
    with pytest.raises(ValueError, match="not fitted yet"):
        WaveletForest().estimate()


BAD_DATA = [
    (np.full((10, 2), np.nan), np.arange(10) % 2, "NaN or infinite"),
    (np.array([[0.0, 1.0]] * 9 + [[np.inf, 0.0]]), np.arange(10) % 2, "NaN or infinite"),
    (np.zeros((10, 2)), np.arange(9) % 2, "X has 10 samples but y has 9"),
    (np.random.default_rng(0).random((10, 2)), np.zeros(10), "at least two classes"),
    (np.random.default_rng(0).random((1, 2)), np.array([0]), "at least 2 samples"),
    (np.random.default_rng(0).random(10), np.arange(10) % 2, "must be 2-D"),
    (np.array([["a", "b"]] * 4), np.arange(4) % 2, "real numbers"),
    (np.random.default_rng(0).random((10, 2)), np.full(10, np.nan), "NaN or infinite labels"),
    (np.random.default_rng(0).random((10, 2)), np.zeros((10, 2, 1)), "1-D class labels"),
]


@pytest.mark.parametrize("X, y, message", BAD_DATA)
def test_bad_data_raises_clear_error(X, y, message):
    with pytest.raises(ValueError, match=message):
        WaveletForest().fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_trees": 0}, "n_trees must be an integer >= 1; got 0"),
        ({"max_depth": 2.5}, "max_depth must be an integer"),
        ({"norm_weight": "area"}, "norm_weight must be one of 'samples', 'volume'; got 'area'"),
        ({"max_features": 0.0}, "max_features must be None"),
        ({"max_features": "auto"}, "max_features must be None"),
        ({"min_samples_leaf": 0}, "min_samples_leaf must be an integer >= 1"),
        ({"bootstrap": "yes"}, "bootstrap must be one of True, False"),
    ],
)
def test_bad_parameters_raise_clear_error(labelled_data, params, message):
    X, y = labelled_data
    with pytest.raises(ValueError, match=message):
        WaveletForest(**params).fit(X, y)


def test_new_data_with_wrong_width_is_rejected(labelled_data):
    X, y = labelled_data
    forest = WaveletForest(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X has 4 features but the forest was fitted on 5"):
        forest.predict(X[:, :4])
    with pytest.raises(ValueError, match="labels not seen in fit"):
        forest.mterm_curve(X, y + 5)
    with pytest.raises(ValueError, match="pass both X and y"):
        forest.mterm_curve(X)


def test_get_and_set_params_round_trip():
    forest = WaveletForest(n_trees=5)
    assert forest.get_params()["n_trees"] == 5
    forest.set_params(max_depth=4)
    assert forest.max_depth == 4
    with pytest.raises(ValueError, match="unknown parameter 'depth'"):
        forest.set_params(depth=3)
    assert "n_trees=5" in repr(forest)


@settings(max_examples=15)
@given(
    seed=st.integers(0, 1000),
    n=st.integers(5, 300),
    d=st.integers(1, 6),
    n_classes=st.integers(2, 5),
    depth=st.integers(1, 15),
    bootstrap=st.booleans(),
    norm_weight=st.sampled_from(["samples", "volume"]),
    builder=st.sampled_from(["numba", "sklearn"]),
)
def test_decomposition_identity_on_random_data(
    seed, n, d, n_classes, depth, bootstrap, norm_weight, builder
):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.arange(n) % n_classes
    rng.shuffle(y)
    forest = WaveletForest(
        n_trees=2,
        max_depth=depth,
        bootstrap=bootstrap,
        norm_weight=norm_weight,
        random_state=seed,
        builder=builder,
        allow_many_classes=True,  # n = 5 with 5 classes: past the n / 2 bound on purpose
    ).fit(X, y)
    expected = _expected_prediction(forest, X)
    # the rounding bound of the two forms, ~1e-14 (was a fixed 1e-10)
    np.testing.assert_allclose(forest.predict(X), expected, atol=_prediction_atol(forest), rtol=0)
    assert forest.nodes_.depth.max() <= depth
    assert (forest.nodes_.n_samples[forest.nodes_.roots] == n).all()
    assert np.isfinite(forest.wavelet_norms_).all() and (forest.wavelet_norms_ >= 0).all()


def test_features_per_split_reach_scikit_learn(labelled_data):
    X, y = labelled_data
    sqrt = WaveletForest(max_features="sqrt", builder="sklearn").fit(X, y)
    assert sqrt.estimator_.max_features == "sqrt"
    assert WaveletForest(builder="sklearn").fit(X, y).estimator_.max_features == 1.0


def test_numba_builder_is_the_default_and_keeps_no_scikit_learn_forest(labelled_data):
    X, y = labelled_data
    forest = WaveletForest(random_state=0).fit(X, y)
    assert forest.builder == "numba" and forest.estimator_ is None


def test_single_real_output_fits_without_a_conversion_warning():
    import warnings

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    target = np.sin(3 * X[:, :1])  # shape (200, 1)
    for builder in ("numba", "sklearn"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            forest = WaveletForest(random_state=0, builder=builder).fit(X, target)
        assert forest.n_outputs_ == 1
        assert forest.predict(X).shape == (200, 1)


def test_refitting_replaces_every_cached_quantity(labelled_data):
    X, y = labelled_data
    forest = WaveletForest(random_state=0).fit(X, y)
    forest.predict(X, n_terms=5)  # fills the wavelet-order cache
    first_curve = forest.sparsity_curve()
    X2, y2 = X[:200] * 3, (y[:200] + 1) % 3
    forest.fit(X2, y2)
    fresh = WaveletForest(random_state=0).fit(X2, y2)
    np.testing.assert_array_equal(forest.predict(X2, n_terms=5), fresh.predict(X2, n_terms=5))
    assert forest.sparsity_curve() is not first_curve
    np.testing.assert_array_equal(forest.mterm_curve().error, fresh.mterm_curve().error)
