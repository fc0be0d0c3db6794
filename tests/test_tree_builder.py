"""The numba forest builder: scikit-learn's splits, its NumPy twin, edge cases, WaveletForest."""

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import RandomForestRegressor
from sklearn.tree import DecisionTreeRegressor

import sparsity_widgets._numerics.tree_builder as kernels
from sparsity_widgets import WaveletForest
from sparsity_widgets._numerics import apply_flat, grow_tree, parent_and_depth
from sparsity_widgets._numerics.reference import best_split_ref, grow_tree_ref
from sparsity_widgets._numerics.tree_builder import feature_permutation_prefix
from sparsity_widgets.flat_forest import build_flat_forest, flatten_sklearn_trees
from sparsity_widgets.tree_builder import build_forest_arrays, resolve_max_features

ARRAY_KEYS = ("tree_offsets", "left", "right", "feature", "threshold", "mean")


# --------------------------------------------------------------------------- helpers
def _sklearn_arrays(X, y, *, n_trees=1, random_state=0, sample_weight=None, **params):
    target = y[:, 0] if y.shape[1] == 1 else y
    if sample_weight is not None:
        tree = DecisionTreeRegressor(random_state=random_state, **params)
        tree.fit(X, target, sample_weight=sample_weight)
        return flatten_sklearn_trees([tree.tree_], y.shape[1])
    forest = RandomForestRegressor(
        n_trees, bootstrap=False, max_features=1.0, random_state=random_state, **params
    ).fit(X, target)
    return flatten_sklearn_trees([t.tree_ for t in forest.estimators_], y.shape[1])


def _tree_arrays(tree):
    """A single tree's ``grow_tree`` output as a one-tree forest dict."""
    n = tree["left"].shape[0]
    return {"tree_offsets": np.array([0, n]), **{k: tree[k] for k in ARRAY_KEYS[1:]}}


def _node_sets(arrays, X, keep=None):
    """Per tree: the set of training samples reaching each node, in node order."""
    roots = arrays["tree_offsets"][:-1]
    leaves = apply_flat(
        X, roots, arrays["left"], arrays["right"], arrays["feature"], arrays["threshold"]
    )
    parent, _ = parent_and_depth(arrays["left"], arrays["right"])
    members = [[] for _ in parent]
    samples = range(X.shape[0]) if keep is None else np.flatnonzero(keep)
    for s in samples:
        for j in range(len(roots)):
            v = leaves[s, j]
            while v >= 0:
                members[v].append(s)
                v = parent[v]
    sets = [frozenset(m) for m in members]
    return [sets[a:b] for a, b in zip(roots, arrays["tree_offsets"][1:], strict=True)], leaves


def _assert_same_trees_as_partitions(ours, ref, X, keep=None, atol=1e-12):
    """Same node sample-sets (children may be swapped), same node means, same norms.

    The means are weighted sums of the same <= 200 targets in another order (feature order
    here, sample order in scikit-learn): within n eps max|y| ~ 2e-13 for standard normal y
    (|y| < 6), and a norm, the difference of two means, within twice that; 1e-12 covers both.
    """
    sets_ours, leaves_ours = _node_sets(ours, X, keep)
    sets_ref, leaves_ref = _node_sets(ref, X, keep)
    for j, (a, b) in enumerate(zip(sets_ours, sets_ref, strict=True)):
        assert len(a) == len(b) and set(a) == set(b), f"tree {j}: partitions differ"
        off_a, off_b = ours["tree_offsets"][j], ref["tree_offsets"][j]
        mean_b = {s: ref["mean"][off_b + i] for i, s in enumerate(b)}
        for i, s in enumerate(a):
            np.testing.assert_allclose(ours["mean"][off_a + i], mean_b[s], rtol=0, atol=atol)
    if keep is None:
        norms_a = build_flat_forest(ours, leaves_ours, "samples").wavelet_norms
        norms_b = build_flat_forest(ref, leaves_ref, "samples").wavelet_norms
        np.testing.assert_allclose(np.sort(norms_a), np.sort(norms_b), rtol=0, atol=1e-12)


def _proxy(y, weight, samples, left_mask):
    """scikit-learn's proxy improvement of one partition of a node's samples."""
    wy = weight[samples, None] * y[samples]
    s_left, s_right = wy[left_mask].sum(axis=0), wy[~left_mask].sum(axis=0)
    w_left, w_right = weight[samples][left_mask].sum(), weight[samples][~left_mask].sum()
    return s_left @ s_left / w_left + s_right @ s_right / w_right


def _labelled(seed, n, d, n_classes, duplicates=False):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, n)
    if duplicates:
        X = (rng.integers(0, 5, (n, d)) / 4).astype(np.float32)
    else:
        X = (rng.standard_normal((n, d)) + labels[:, None] * rng.standard_normal(d)).astype(
            np.float32
        )
    return X, np.eye(n_classes)[labels], labels


# --------------------------------------------------------------------------- 1. equivalence
@settings(max_examples=40)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 150),
    d=st.integers(1, 5),
    n_outputs=st.integers(1, 3),
    depth=st.integers(1, 12),
    min_samples_leaf=st.integers(1, 3),
)
def test_real_target_trees_equal_sklearn(seed, n, d, n_outputs, depth, min_samples_leaf):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d), dtype=np.float32)
    y = rng.standard_normal((n, n_outputs))
    params = {"max_depth": depth, "min_samples_leaf": min_samples_leaf}
    ours = build_forest_arrays(X, y, n_trees=1, bootstrap=False, **params)
    ref = _sklearn_arrays(X, y, random_state=seed, **params)
    _assert_same_trees_as_partitions(ours, ref, X)


@settings(max_examples=25)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 150),
    d=st.integers(1, 5),
    n_outputs=st.integers(1, 3),
    depth=st.integers(1, 12),
)
def test_bootstrap_weights_give_sklearn_weighted_trees(seed, n, d, n_outputs, depth):
    """Bootstrap counts as sample weights, scikit-learn's scheme, on the in-bag samples."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, d), dtype=np.float32)
    y = rng.standard_normal((n, n_outputs))
    weight = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
    tree = grow_tree(
        X, np.zeros(d), np.ones(d), y, None, weight, np.empty((d, n), np.uint64),
        max_depth=depth, n_drawn=d, min_samples_leaf=1, min_impurity_decrease=0.0, seed=0,
        n_chunks=2,
    )  # fmt: skip
    ref = _sklearn_arrays(X, y, random_state=seed, sample_weight=weight, max_depth=depth)
    _assert_same_trees_as_partitions(_tree_arrays(tree), ref, X, keep=weight > 0)


@settings(max_examples=25)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(4, 200),
    d=st.integers(1, 6),
    n_classes=st.integers(2, 5),
    depth=st.integers(1, 10),
    bootstrap=st.booleans(),
    duplicates=st.booleans(),
)
def test_label_splits_attain_the_exhaustive_best(
    seed, n, d, n_classes, depth, bootstrap, duplicates
):
    """With labels, ties between features are common (scikit-learn breaks them at random), so
    every split must attain the best proxy an exhaustive search finds at its node."""
    X, y, _ = _labelled(seed, n, d, n_classes, duplicates)
    rng = np.random.default_rng(seed + 1)
    weight = (
        np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        if bootstrap
        else np.ones(n)
    )
    code = (np.argmax(y, axis=1) * 256 + weight).astype(np.int32)
    tree = grow_tree(
        X, np.zeros(d), np.ones(d), y, code, weight, np.empty((d, n), np.uint64),
        max_depth=depth, n_drawn=d, min_samples_leaf=1, min_impurity_decrease=0.0, seed=0,
        n_chunks=2,
    )  # fmt: skip
    arrays = _tree_arrays(tree)
    (sets,), _ = _node_sets(arrays, X, keep=weight > 0)
    for v in np.flatnonzero(arrays["left"] >= 0):
        samples = np.array(sorted(sets[v]))
        best = best_split_ref(X, y, weight, samples, range(d), 1)[0]
        mine = _proxy(
            y, weight, samples, X[samples, arrays["feature"][v]] <= arrays["threshold"][v]
        )
        # one-hot labels and integer weights: the sums are exact integers, so the two proxies
        # differ only by two divisions and an add (a few eps); distinct splits by >= 1e-10
        assert mine == pytest.approx(best, rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_label_trees_decrease_impurity_like_sklearn(seed):
    X, y, _ = _labelled(seed, 400, 5, 3)
    depth = 3 + seed
    ours = build_forest_arrays(X, y, n_trees=1, max_depth=depth, bootstrap=False)
    ref = _sklearn_arrays(X, y, n_trees=3, random_state=seed, max_depth=depth)

    def decrease(arrays):
        leaves = apply_flat(
            X, arrays["tree_offsets"][:-1], arrays["left"], arrays["right"],
            arrays["feature"], arrays["threshold"],
        )  # fmt: skip
        out = []
        for j in range(leaves.shape[1]):
            sse = sum(
                ((y[leaves[:, j] == v] - y[leaves[:, j] == v].mean(0)) ** 2).sum()
                for v in np.unique(leaves[:, j])
            )
            out.append(((y - y.mean(0)) ** 2).sum() - sse)
        return np.array(out)

    mine, theirs = decrease(ours)[0], decrease(ref)
    # scikit-learn's own trees differ only by their random tie-breaking
    assert abs(mine - theirs.mean()) <= 0.02 * theirs.mean()
    assert (theirs.min() - 0.02 * theirs.mean()) <= mine <= (theirs.max() + 0.02 * theirs.mean())


# --------------------------------------------------------------------------- 2. bootstrap
def test_alpha_star_over_seeds_matches_the_sklearn_builder():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 2000)
    X = rng.standard_normal((2000, 5)) + labels[:, None] * np.array([1.0, 0.5, 0.0, 0.0, -0.7])
    alpha = {
        builder: np.mean(
            [
                WaveletForest(random_state=s, builder=builder).fit(X, labels).estimate().alpha_star
                for s in range(10)
            ]
        )
        for builder in ("sklearn", "numba")
    }
    # measured: 0.1605 (sklearn) and 0.1605 (numba)
    assert abs(alpha["numba"] - alpha["sklearn"]) < 0.01


# --------------------------------------------------------------------------- 3. twin, edges
@settings(max_examples=40)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 90),
    d=st.integers(1, 6),
    n_classes=st.integers(2, 4),
    depth=st.integers(1, 9),
    min_samples_leaf=st.integers(1, 3),
    bootstrap=st.booleans(),
    duplicates=st.booleans(),
    data=st.data(),
)
def test_kernel_equals_numpy_twin(
    seed, n, d, n_classes, depth, min_samples_leaf, bootstrap, duplicates, data
):
    X, y, _ = _labelled(seed, n, d, n_classes, duplicates)
    if data.draw(st.booleans()):
        X[:, 0] = 0.25  # a constant feature
    n_drawn = data.draw(st.integers(1, d))
    rng = np.random.default_rng(seed)
    weight = (
        np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        if bootstrap
        else np.ones(n)
    )
    code = (np.argmax(y, axis=1) * 256 + weight).astype(np.int32)
    kw = {
        "max_depth": depth,
        "n_drawn": n_drawn,
        "min_samples_leaf": min_samples_leaf,
        "min_impurity_decrease": 0.0,
        "seed": seed,
    }
    lst = np.empty((d, n), np.uint64)
    one_hot = grow_tree(X, np.zeros(d), np.ones(d), y, code, weight, lst, n_chunks=2, **kw)
    general = grow_tree(X, np.zeros(d), np.ones(d), y, None, weight, lst, n_chunks=3, **kw)
    ref = grow_tree_ref(
        X, y, weight, max_depth=depth, min_samples_leaf=min_samples_leaf, n_drawn=n_drawn,
        seed=seed,
    )  # fmt: skip
    for key in ("left", "right", "feature", "threshold", "mean", "n_node_samples"):
        np.testing.assert_array_equal(one_hot[key], ref[key], err_msg=key)
        np.testing.assert_array_equal(general[key], ref[key], err_msg=key)


def test_twin_draws_are_a_permutation_prefix():
    prefix = feature_permutation_prefix(123, 7, 10, 10)
    assert sorted(prefix) == list(range(10))
    assert feature_permutation_prefix(123, 7, 10, 4) == prefix[:4]
    assert feature_permutation_prefix(124, 7, 10, 10) != prefix


def test_duplicate_values_split_only_between_distinct_values():
    X, y, _ = _labelled(3, 300, 4, 3, duplicates=True)
    arrays = build_forest_arrays(X, y, n_trees=2, max_depth=12, bootstrap=False)
    (sets, _), _ = _node_sets(arrays, X)
    for v in np.flatnonzero(arrays["left"][: len(sets)] >= 0):
        values = X[sorted(sets[v]), arrays["feature"][v]].astype(np.float64)
        below, above = (
            values[values < arrays["threshold"][v]],
            values[values > arrays["threshold"][v]],
        )
        assert below.size + above.size == values.size  # no sample sits on the threshold
        assert arrays["threshold"][v] == below.max() / 2 + above.min() / 2


def test_constant_features_are_never_split_and_change_nothing():
    X, y, _ = _labelled(4, 300, 3, 3)
    wide = np.column_stack([np.full(300, 2.0), X[:, 0], np.full(300, -1.0), X[:, 1:]])
    narrow = build_forest_arrays(X, y, n_trees=2, random_state=5)
    padded = build_forest_arrays(wide, y, n_trees=2, random_state=5)
    assert not np.isin(padded["feature"], [0, 2]).any()
    to_narrow = np.array([-1, 0, -1, 1, 2])
    feature = np.where(padded["feature"] >= 0, to_narrow[padded["feature"]], -1)
    np.testing.assert_array_equal(feature, narrow["feature"])
    for key in ("tree_offsets", "left", "right", "threshold", "mean"):
        np.testing.assert_array_equal(padded[key], narrow[key])


def test_max_features_keeps_drawing_past_constant_features():
    """scikit-learn's rule: a node whose drawn features are all constant draws on."""
    X, y, _ = _labelled(5, 200, 1, 3)
    wide = np.column_stack([np.zeros((200, 4)), X])  # one informative feature of five
    one = build_forest_arrays(wide, y, n_trees=2, max_features=1, random_state=1)
    every = build_forest_arrays(wide, y, n_trees=2, max_features=None, random_state=1)
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(one[key], every[key])


def test_pure_nodes_are_leaves_and_deep_limits_are_harmless():
    X, y, _ = _labelled(6, 250, 3, 4)
    deep = build_forest_arrays(X, y, n_trees=2, max_depth=200, random_state=2)
    unlimited = build_forest_arrays(X, y, n_trees=2, max_depth=None, random_state=2)
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(deep[key], unlimited[key])
    # fully grown: every leaf is pure (the data has no duplicate points); no pure node split
    leaf = deep["left"] < 0
    assert np.isin(deep["mean"][leaf], [0.0, 1.0]).all()
    internal_purity = np.isin(deep["mean"][~leaf], [0.0, 1.0]).all(axis=1)
    assert not internal_purity.any()


def test_one_sample_per_class_gives_one_leaf_each():
    X = np.array([[0.1, 5.0], [0.4, 1.0], [0.2, 3.0], [0.9, 2.0], [0.7, 4.0]])
    y = np.eye(5)
    arrays = build_forest_arrays(X, y, n_trees=1, bootstrap=False)
    leaf = arrays["left"] < 0
    assert leaf.sum() == 5
    assert sorted(map(tuple, arrays["mean"][leaf])) == sorted(map(tuple, np.eye(5)))


def test_float64_input_is_compared_as_float32_like_sklearn():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((120, 3)) * 1e3 + np.pi  # values that float32 rounds
    y = rng.standard_normal((120, 2))
    from64 = build_forest_arrays(X, y, n_trees=1, bootstrap=False)
    from32 = build_forest_arrays(X.astype(np.float32), y, n_trees=1, bootstrap=False)
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(from64[key], from32[key])
    ref = _sklearn_arrays(X, y, max_depth=15)
    _assert_same_trees_as_partitions(from64, ref, X.astype(np.float32))
    # any memory order and integer input
    fortran = build_forest_arrays(np.asfortranarray(X), y, n_trees=1, bootstrap=False)
    np.testing.assert_array_equal(fortran["threshold"], from64["threshold"])
    ints = np.round(X).astype(np.int64)
    np.testing.assert_array_equal(
        build_forest_arrays(ints, y, n_trees=1, bootstrap=False)["feature"],
        build_forest_arrays(ints.astype(np.float32), y, n_trees=1, bootstrap=False)["feature"],
    )


@pytest.mark.parametrize("value", [None, 1, 3, 7, 0.5, 0.01, 1.0, "sqrt", "log2"])
def test_max_features_resolves_like_sklearn(value):
    X, y, _ = _labelled(8, 60, 7, 2)
    tree = DecisionTreeRegressor(max_features=value, random_state=0).fit(X, y)
    assert resolve_max_features(value, 7) == tree.max_features_
    arrays = build_forest_arrays(X, y, n_trees=2, max_features=value, random_state=3)
    assert arrays["left"].shape[0] > 1


def test_same_seed_same_forest_for_any_thread_count(monkeypatch):
    X, y, _ = _labelled(9, 600, 8, 4)
    first = build_forest_arrays(X, y, n_trees=3, max_features="sqrt", random_state=11)
    again = build_forest_arrays(X, y, n_trees=3, max_features="sqrt", random_state=11)
    other = build_forest_arrays(X, y, n_trees=3, max_features="sqrt", random_state=12)
    monkeypatch.setattr(kernels, "_PARALLEL_WORK", 0)  # the parallel kernels, even here
    threads = {
        n: build_forest_arrays(X, y, n_trees=3, max_features="sqrt", random_state=11, n_threads=n)
        for n in (1, min(2, numba.config.NUMBA_NUM_THREADS))
    }
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(first[key], again[key])
        for result in threads.values():
            np.testing.assert_array_equal(first[key], result[key])
    assert not np.array_equal(first["threshold"], other["threshold"], equal_nan=True) or (
        first["left"].shape != other["left"].shape
    )
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS  # restored


def test_random_state_accepts_generators():
    X, y, _ = _labelled(10, 100, 3, 2)
    a = build_forest_arrays(X, y, random_state=np.random.default_rng(4))
    b = build_forest_arrays(X, y, random_state=np.random.default_rng(4))
    np.testing.assert_array_equal(a["threshold"], b["threshold"])
    build_forest_arrays(X, y, random_state=np.random.RandomState(0))
    build_forest_arrays(X, y, random_state=None)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_trees": 0}, "n_trees must be an integer >= 1; got 0"),
        ({"max_depth": 0}, "max_depth must be an integer >= 1; got 0"),
        ({"max_depth": 2.5}, "max_depth must be an integer >= 1; got 2.5"),
        ({"min_samples_leaf": 0}, "min_samples_leaf must be an integer >= 1; got 0"),
        ({"max_features": "auto"}, "max_features must be None .*; got 'auto'"),
        ({"max_features": 9}, r"an integer in \[1, n_features=3\].*; got 9"),
        ({"max_features": 1.5}, "max_features must be None .*; got 1.5"),
        ({"bootstrap": "yes"}, "bootstrap must be one of True, False; got 'yes'"),
        ({"random_state": "seed"}, "random_state must be None, an integer.*; got 'seed'"),
        ({"min_impurity_decrease": -1.0}, "min_impurity_decrease must be .*>= 0; got -1.0"),
        ({"feature_min": np.zeros(2), "feature_scale": np.ones(2)}, r"shape \(n_features=3,\)"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, message):
    X, y, _ = _labelled(11, 30, 3, 2)
    with pytest.raises(ValueError, match=message):
        build_forest_arrays(X, y, **kwargs)


def test_bad_data_is_rejected():
    X, y, _ = _labelled(12, 30, 3, 2)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinite values"):
        build_forest_arrays(bad, y)
    with pytest.raises(ValueError, match=r"target must have shape \(n_samples=30,\)"):
        build_forest_arrays(X, y[:20])
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        build_forest_arrays(X[:, 0], y)


# --------------------------------------------------------------------------- 4. WaveletForest
def test_wavelet_forest_numba_decomposition_identity(labelled_data):
    X, y = labelled_data
    forest = WaveletForest(random_state=0, builder="numba").fit(X, y)
    assert forest.estimator_ is None
    nodes = forest.nodes_
    for leaf in np.flatnonzero(nodes.is_leaf):
        total, v = np.zeros(nodes.mean.shape[1]), leaf
        while nodes.parent[v] >= 0:
            total += nodes.mean[v] - nodes.mean[nodes.parent[v]]
            v = nodes.parent[v]
        # a telescoping sum over <= depth differences of class frequencies in [0, 1]: ~depth eps
        np.testing.assert_allclose(total + nodes.mean[v], nodes.mean[leaf], atol=1e-12)
    # the forest average of the leaf means, on training and new points
    X_new = np.random.default_rng(1).standard_normal((200, X.shape[1])) * 2
    for data in (X, X_new):
        expected = nodes.mean[forest.apply(data)].mean(axis=1)
        # the same leaf frequencies (<= 1) averaged over the trees in another order: ~n_trees eps
        np.testing.assert_allclose(forest.predict(data), expected, atol=1e-12)
    assert (nodes.n_samples[nodes.roots] == X.shape[0]).all()
    # class frequencies summed over 3 classes and averaged over the trees: a few eps off 1
    np.testing.assert_allclose(forest.predict(X).sum(axis=1), 1.0, atol=1e-12)


def test_wavelet_forest_numba_matches_sklearn_on_a_real_target(labelled_data):
    X, labels = labelled_data
    target = np.column_stack([X[:, 0] * labels, np.sin(3 * X[:, 1])])
    params = {"bootstrap": False, "n_trees": 2, "max_depth": 9, "random_state": 0}
    ours = WaveletForest(builder="numba", **params).fit(X, target)
    ref = WaveletForest(builder="sklearn", **params).fit(X, target)
    # node means are sums of the same <= 500 targets in another order: each within
    # n eps max|target| (~1.1e-12 here, |target| <= 10); predictions average such means and a
    # norm is the difference of two, hence twice that
    atol = 2 * len(X) * np.finfo(float).eps * float(np.abs(target).max())
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=0, atol=atol)
    np.testing.assert_allclose(
        np.sort(ours.wavelet_norms_), np.sort(ref.wavelet_norms_), rtol=0, atol=atol
    )
    # tau* is a mean of selected grid points: equal selections, equal means up to add order
    assert ours.estimate().tau_star == pytest.approx(ref.estimate().tau_star, rel=1e-9)


def test_wavelet_forest_builder_parameter():
    forest = WaveletForest(builder="numba")
    assert forest.get_params()["builder"] == "numba"
    assert "builder='numba'" in repr(forest)
    X, y = np.random.default_rng(0).random((20, 2)), np.arange(20) % 2
    with pytest.raises(ValueError, match="builder must be one of 'numba', 'sklearn'; got 'xgb'"):
        WaveletForest(builder="xgb").fit(X, y)
    bad = X.copy()
    bad[4, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite values \\(first in row 4\\)"):
        WaveletForest(builder="numba").fit(bad, y)


def test_forest_threads_leave_torchs_thread_count_alone():
    """numba's OpenMP layer shares torch's OpenMP runtime: before the fix, growing a forest with
    numba's default threads moved torch from 1 thread to NUMBA_NUM_THREADS, so a model trained
    after a probe in the same process trained differently. Run in a fresh process, since the
    test suite's own torch and numba are already set up."""
    import subprocess
    import sys

    pytest.importorskip("torch")
    script = (
        "import torch, numpy as np\n"
        "from sparsity_widgets.tree_builder import build_forest_arrays\n"
        "torch.set_num_threads(1)\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.random((200, 3)); y = (X[:, 0] > 0.5).astype(float)[:, None]\n"
        "build_forest_arrays(X, y, n_trees=2, max_depth=4, random_state=0, n_threads=None)\n"
        "print(torch.get_num_threads())\n"
    )
    env = {**__import__("os").environ, "NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "1"
