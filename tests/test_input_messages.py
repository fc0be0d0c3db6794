"""Bad inputs to the estimator and the probe: each message names the parameter, what was
expected and what was received (issue 13, items 6 and 9)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse

from sparsity_widgets import WaveletForest
from sparsity_widgets.forest import MIN_RELIABLE_SAMPLES, SmallSampleWarning

BUILDERS = ["numba", "sklearn"]


@pytest.fixture
def data():
    """200 samples, 3 features, 2 classes."""
    rng = np.random.default_rng(0)
    y = np.arange(200) % 2
    X = rng.standard_normal((200, 3)) + y[:, None] * np.array([1.0, 0.0, -0.5])
    return X, y


# --------------------------------------------------------------------------- targets (item 6)
def test_a_real_valued_1d_target_is_refused_with_the_reshape_advice(data):
    X, _ = data
    y = np.sin(3 * X[:, 0])  # 200 distinct real values
    with pytest.raises(ValueError, match=r"values that are not integers \(e\.g\. .* at index 0"):
        WaveletForest().fit(X, y)
    with pytest.raises(ValueError, match=r"pass an \(n, 1\) target: y\.reshape\(-1, 1\)"):
        WaveletForest().fit(X, y)


def test_one_fractional_value_among_integer_floats_is_found(data):
    X, y = data
    labels = y.astype(float)
    labels[17] = 0.5
    with pytest.raises(ValueError, match=r"e\.g\. 0\.5 at index 17; 1 of 200 are fractional"):
        WaveletForest().fit(X, labels)


def test_integer_valued_floats_are_class_labels(data):
    X, y = data
    as_float = WaveletForest(random_state=0).fit(X, y.astype(np.float64))
    as_int = WaveletForest(random_state=0).fit(X, y)
    assert as_float.n_outputs_ == 2
    np.testing.assert_array_equal(as_float.classes_, [0.0, 1.0])
    np.testing.assert_array_equal(as_float.wavelet_norms_, as_int.wavelet_norms_)


@pytest.mark.parametrize("builder", BUILDERS)
def test_an_n_by_1_real_target_is_a_regression_target(data, builder):
    X, _ = data
    y = np.sin(3 * X[:, :1])  # shape (200, 1)
    forest = WaveletForest(random_state=0, builder=builder).fit(X, y)
    assert forest.n_outputs_ == 1 and forest.classes_ is None
    assert forest.predict(X).shape == (200, 1)
    assert 0 < forest.estimate().tau_star < 2


def test_more_classes_than_half_the_samples_need_the_opt_in(data):
    X, _ = data
    y = np.arange(200) % 101  # 101 classes > 200 / 2
    message = (
        r"y has 101 classes for n = 200 samples, more than the bound n / 2 = 100; .*"
        r"y\.reshape\(-1, 1\); if these really are class labels, pass allow_many_classes=True"
    )
    with pytest.raises(ValueError, match=message):
        WaveletForest().fit(X, y)
    forest = WaveletForest(random_state=0, allow_many_classes=True).fit(X, y)
    assert forest.n_outputs_ == 101
    # at the bound itself: accepted without the opt-in
    assert WaveletForest(random_state=0).fit(X, np.arange(200) % 100).n_outputs_ == 100


def test_allow_many_classes_is_a_validated_parameter(data):
    X, y = data
    forest = WaveletForest(allow_many_classes=True)
    assert forest.get_params()["allow_many_classes"] is True
    assert "allow_many_classes=True" in repr(forest)
    with pytest.raises(ValueError, match="allow_many_classes must be one of True, False; got 'y'"):
        WaveletForest(allow_many_classes="y").fit(X, y)


def test_probe_labels_of_ten_classes_are_fine():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 10, 1000)
    X = rng.standard_normal((1000, 4)) + y[:, None] * 0.3
    assert WaveletForest(random_state=0).fit(X, y).n_outputs_ == 10


# --------------------------------------------------------------------------- n_jobs
@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("n_jobs, received", [("x", "'x' of type str"), (2.5, "2.5 of type float")])
def test_n_jobs_must_be_an_integer(data, builder, n_jobs, received):
    X, y = data
    with pytest.raises(ValueError, match=f"n_jobs must be None or an integer.*got {received}"):
        WaveletForest(n_jobs=n_jobs, builder=builder).fit(X, y)


def test_n_jobs_zero_means_all_threads_for_numba_and_is_refused_for_scikit_learn(data):
    X, y = data
    WaveletForest(n_jobs=0, builder="numba").fit(X, y)
    with pytest.raises(ValueError, match=r"n_jobs must be None \(one job\).*; got 0"):
        WaveletForest(n_jobs=0, builder="sklearn").fit(X, y)


# --------------------------------------------------------------------------- label types
@pytest.mark.parametrize(
    "make_labels",
    [
        lambda n: np.array([1, "a"] * (n // 2), dtype=object),
        lambda n: [0, "a"] * (n // 2),  # np.asarray would turn 0 into '0' without a word
    ],
    ids=["object-array", "list"],
)
def test_labels_mixing_numbers_and_strings_are_refused(data, make_labels):
    X, _ = data
    with pytest.raises(
        ValueError,
        match="y must hold labels that are all numbers or all strings; got a mix of types int, str",
    ):
        WaveletForest().fit(X, make_labels(X.shape[0]))


def test_labels_with_none_report_the_types_found(data):
    X, y = data
    labels = y.astype(object)
    labels[3] = None
    with pytest.raises(ValueError, match="got a mix of types NoneType, int"):
        WaveletForest().fit(X, labels)


def test_uniform_object_or_list_labels_still_work(data):
    X, y = data
    base = WaveletForest(random_state=0).fit(X, y)
    numbers = WaveletForest(random_state=0).fit(X, y.astype(object))
    words = WaveletForest(random_state=0).fit(X, [["no", "yes"][v] for v in y])
    np.testing.assert_array_equal(numbers.wavelet_norms_, base.wavelet_norms_)
    np.testing.assert_array_equal(words.wavelet_norms_, base.wavelet_norms_)
    assert words.classes_.tolist() == ["no", "yes"]


# --------------------------------------------------------------------------- features
@pytest.mark.parametrize("builder", BUILDERS)
def test_an_all_constant_x_says_so(builder):
    X = np.full((50, 3), 2.5)
    with pytest.raises(
        ValueError,
        match=r"every feature column of X is constant \(n = 50 samples, d = 3 features\): no "
        "split is possible",
    ):
        WaveletForest(builder=builder).fit(X, np.arange(50) % 2)


@pytest.mark.parametrize("builder", BUILDERS)
def test_a_column_whose_range_overflows_float64_is_refused(data, builder):
    X, y = data
    X = X.copy()
    X[0, 1], X[1, 1] = -1.7e308, 1.7e308  # max - min = inf
    with pytest.raises(
        ValueError,
        match=r"X column 1 spans \[-1\.7e\+308, 1\.7e\+308\]: its range max - min overflows "
        r"float64.*X / 4",
    ):
        WaveletForest(builder=builder).fit(X, y)
    # the advice works: a quarter of X fits, with finite norms
    forest = WaveletForest(random_state=0, builder=builder).fit(X / 4, y)
    assert np.isfinite(forest.wavelet_norms_).all()


def test_dividing_by_a_power_of_two_leaves_the_forest_unchanged(data):
    X, y = data
    X = X * 1e307  # huge, but max - min stays finite
    a = WaveletForest(random_state=0).fit(X, y)
    b = WaveletForest(random_state=0).fit(X / 4, y)
    np.testing.assert_array_equal(a.wavelet_norms_, b.wavelet_norms_)


@pytest.mark.parametrize("kind", ["csr_matrix", "csr_array", "coo_matrix"])
def test_sparse_x_is_refused_with_the_conversion_to_use(data, kind):
    X, y = data
    sparse = getattr(scipy.sparse, kind)(X)
    with pytest.raises(
        ValueError, match=rf"X is a scipy sparse {kind}.*convert with X\.toarray\(\)"
    ):
        WaveletForest().fit(sparse, y)


def test_a_sparse_target_is_refused_too(data):
    X, y = data
    with pytest.raises(ValueError, match=r"y is a scipy sparse csr_matrix.*y\.toarray\(\)"):
        WaveletForest().fit(X, scipy.sparse.csr_matrix(y[:, None]))


def test_the_validation_module_does_not_import_scipy():
    code = (
        "import sys, sparsity_widgets._validation\n"
        "assert 'scipy' not in sys.modules, 'scipy imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- random_state
@pytest.mark.parametrize(
    "builder, seeds",
    [("numba", "an integer >= 0"), ("sklearn", r"an integer in \[0, 4294967295\]")],
)
@pytest.mark.parametrize(
    "value, received",
    [("abc", "'abc' of type str"), (-1, "-1"), (1.5, "1.5 of type float"), (True, "True")],
)
def test_random_state_is_checked_for_both_builders(data, builder, seeds, value, received):
    X, y = data
    message = (
        f"random_state must be None, {seeds}, a numpy Generator or a numpy RandomState; "
        f"got {received}"
    )
    with pytest.raises(ValueError, match=message):
        WaveletForest(random_state=value, builder=builder).fit(X, y)


def test_scikit_learn_seeds_stop_below_two_to_the_32(data):
    X, y = data
    with pytest.raises(ValueError, match=r"an integer in \[0, 4294967295\].*; got 4294967296"):
        WaveletForest(random_state=2**32, builder="sklearn").fit(X, y)
    WaveletForest(random_state=2**32, builder="numba").fit(X, y)


@pytest.mark.parametrize("builder", BUILDERS)
def test_every_documented_kind_of_random_state_is_accepted(data, builder):
    X, y = data
    for seed in (None, 3, np.int64(3), np.random.RandomState(3), np.random.default_rng(3)):
        WaveletForest(random_state=seed, builder=builder).fit(X, y)
    # a Generator gives the same forest from the same state
    a = WaveletForest(random_state=np.random.default_rng(5), builder=builder).fit(X, y)
    b = WaveletForest(random_state=np.random.default_rng(5), builder=builder).fit(X, y)
    np.testing.assert_array_equal(a.wavelet_norms_, b.wavelet_norms_)


# --------------------------------------------------------------------------- sample size
def test_two_samples_warn_that_the_estimate_is_unreliable():
    X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
    forest = WaveletForest(random_state=0, allow_many_classes=True).fit(X, y)
    with pytest.warns(
        SmallSampleWarning,
        match=r"alpha\* from n = 2 samples is unreliable: below MIN_RELIABLE_SAMPLES = 100",
    ):
        forest.estimate()


def test_small_samples_warn_and_the_bound_is_silent(data):
    X, y = data
    small = WaveletForest(random_state=0).fit(X[: MIN_RELIABLE_SAMPLES - 1], y[:99])
    with pytest.warns(SmallSampleWarning, match="n = 99 samples.*comparable only at equal n"):
        small.estimate(rule="public-code")
    at_bound = WaveletForest(random_state=0).fit(X[:MIN_RELIABLE_SAMPLES], y[:100])
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallSampleWarning)
        at_bound.estimate()
    assert issubclass(SmallSampleWarning, UserWarning)


def test_no_tree_can_split_below_twice_min_samples_leaf():
    X, y = np.array([[0.0], [0.5], [1.0]]), np.array([0, 1, 1])
    with pytest.raises(
        ValueError,
        match=r"X has 3 samples, but min_samples_leaf=2 needs at least 2 \* min_samples_leaf "
        "= 4 for a tree to split",
    ):
        WaveletForest(min_samples_leaf=2, allow_many_classes=True).fit(X, y)


# --------------------------------------------------------------------------- the probe
@pytest.mark.parametrize(
    "n_samples, message",
    [
        (-3, "n_samples must be an integer >= 2; got -3"),
        (0, "n_samples must be an integer >= 2; got 0"),
        (2.5, "n_samples must be an integer; got 2.5 of type float"),
    ],
)
def test_probe_checkpoints_checks_n_samples_before_any_work(tmp_path, n_samples, message):
    pytest.importorskip("torch")
    from sparsity_widgets.probe import probe_checkpoints

    missing = tmp_path / "no-such-checkpoint.pt"  # never opened: the check comes first
    with pytest.raises(ValueError, match=message):
        probe_checkpoints([missing], n_samples=n_samples, progress=False)


def test_probe_model_checks_memory_gb():
    torch = pytest.importorskip("torch")
    from sparsity_widgets.probe import probe_model

    class Data:
        X = np.zeros((10, 4), np.float32)
        y = np.arange(10) % 2

    model = torch.nn.Sequential(torch.nn.Linear(4, 2))
    with pytest.raises(ValueError, match=r"memory_gb must lie in \(0, inf\]; got 0"):
        probe_model(model, Data(), layers=["0"], memory_gb=0, progress=False, device="cpu")
