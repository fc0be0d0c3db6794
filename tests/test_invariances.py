"""Invariances of the forest and of the Sparsity Probe's score (tau*, alpha*): exact or approximate.

What the forest sees of the features: each column is min-max normalised (in float64) and rounded
to float32; the trees split at midpoints between consecutive distinct float32 values (more than
``FEATURE_THRESHOLD`` = 1e-7 apart), choose the split of largest proxy improvement, and break
exact ties by the first threshold in a feature's sorted order and then by the lowest feature
index (``builder="numba"``) or the first feature in a random order drawn from the seed
(``builder="sklearn"``). Random draws (bootstrap counts, feature subsets) never depend on the
values of X or y. A wavelet's norm is ``|E_child - E_parent| * w^(1/2)`` with ``w`` the fraction
of *all* training samples in the node (in-bag or not) or the volume of its box in the normalised
cube. From this:

==========================  ========================================================================
transformation              what holds
==========================  ========================================================================
x -> a x + b, a > 0         exact, bit for bit: every builder, weight and bootstrap setting
x -> g(x), g increasing     the partition of the in-bag samples and the node means: exact. Sample
                            weights without bootstrap: exact. With bootstrap the out-of-bag counts
                            move (thresholds are midpoints), tau* by <= 0.005. Volume weights: not
                            invariant (the boxes change), tau* moves by ~0.07
x -> -x (or g decreasing)   exact up to rounding for a real target; with class labels exact ties
                            between thresholds break the other way: tau* within 0.01
column permutation          the same: ties between features break differently (both builders)
rows duplicated twice       without bootstrap: exact (min_samples_leaf=1). With bootstrap: a
                            different resampling, tau* rises by ~0.027
class ids permuted          the same trees, norms to rounding, the same tau*
float32 X and its float64   exact, bit for bit
float64 X -> float32        exact partition and (without bootstrap) sample-weight scores when
                            distinct values are further apart than float32 resolution; volume
                            norms to ~1e-4
==========================  ========================================================================

Measurements quoted below use the data of :func:`_labelled` (400 samples, 4 features, 3
classes, 3 trees of depth 15), over 30-40 seeds, both builders where stated.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsity_widgets import WaveletForest
from sparsity_widgets.probe.score import ProbeSettings, score_layer

EPS = np.finfo(np.float64).eps
BUILDERS = ("numba", "sklearn")
WEIGHTS = ("samples", "volume")

# Largest |tau*(transformed) - tau*(original)| allowed where exact ties between splits break
# differently (reflection, column permutation, class labels). Measured for the transformation of
# test_reflections_and_column_permutations_with_labels_are_approximate, 40 seeds x 2 builders x
# bootstrap on/off x 2 weights x 2 rules: max 0.010, mean <= 0.002, non-zero in 30-47 of 80 (the
# paper rule alone: non-zero in <= 6 of 40, max 0.010), although the trees differed in 17-28 of 30
# seeds. Twice the measured max; another forest seed moves tau* by up to 0.025 (mean 0.005).
TIE_TAU_TOL = 0.02


def _labelled(seed, n=400, d=4, n_classes=3):
    """Class labels and features quantised to 1e-3: distinct values of a column are >= 1e-3
    apart, >= ~1e-4 after normalisation, far above FEATURE_THRESHOLD (1e-7) and float32
    resolution (6e-8), so no rounding can merge or reorder two values."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    X = rng.standard_normal((n, d)) + y[:, None] * rng.uniform(-1.0, 1.0, d)
    return np.round(X, 3), y


def _real_target(seed, n=400, d=4):
    """The features of :func:`_labelled` with a real-valued target, shape (n, 1): its proxy
    improvements are sums of real numbers, so two different partitions essentially never tie."""
    X, _ = _labelled(seed, n, d)
    rng = np.random.default_rng(seed + 1000)
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.3 * rng.standard_normal(n)
    return X, y.reshape(-1, 1)


def _fit(X, y, **params):
    params = {"n_trees": 3, "random_state": 0, "n_jobs": 1} | params
    return WaveletForest(**params).fit(X, y)


def _taus(forest):
    """tau* under both rules (the public-code rule is scale invariant, the paper's is not)."""
    return tuple(forest.estimate(rule=rule).tau_star for rule in ("paper", "public-code"))


def _assert_same_partition(a, b):
    """The same trees (children, split features, training-sample counts) and the same means."""
    for name in ("tree_offsets", "left", "right", "feature", "n_samples", "mean"):
        np.testing.assert_array_equal(getattr(b.nodes_, name), getattr(a.nodes_, name), name)


def _assert_identical(a, b):
    """Every node array bit for bit, hence the same N_tau curve and tau*."""
    _assert_same_partition(a, b)
    for name in ("threshold", "weight", "norm"):
        np.testing.assert_array_equal(getattr(b.nodes_, name), getattr(a.nodes_, name), name)
    assert _taus(b) == _taus(a)


def _rounding_bound(y):
    """How far a norm may move when the sums behind the node means run in another order: each
    mean of <= n values of y is exact to n eps max|y|, a difference of two means to twice that,
    times w^(1/2) <= 1 (measured <= 1.1e-15 here, against a bound of ~4e-13)."""
    return 2 * y.shape[0] * EPS * float(np.abs(y).max())


def _assert_same_norms_up_to_order(a, b, bound):
    """The same multiset of wavelet norms up to ``bound`` (sorting is 1-Lipschitz in max norm),
    and the same tau*."""
    assert a.n_wavelets_ == b.n_wavelets_
    np.testing.assert_allclose(
        np.sort(b.wavelet_norms_), np.sort(a.wavelet_norms_), rtol=0, atol=bound
    )
    assert _taus(b) == _taus(a)


# ------------------------------------------------------------------------------ affine maps
@settings(max_examples=20)
@given(
    seed=st.integers(0, 2**16),
    builder=st.sampled_from(BUILDERS),
    norm_weight=st.sampled_from(WEIGHTS),
    bootstrap=st.booleans(),
    log_scale=st.lists(st.floats(-3, 3), min_size=4, max_size=4),
    shift=st.lists(st.floats(-10, 10), min_size=4, max_size=4),
)
def test_positive_affine_maps_change_nothing(
    seed, builder, norm_weight, bootstrap, log_scale, shift
):
    """Exact: x -> a x + b with a > 0 per column leaves every node bit for bit the same.

    Min-max normalisation maps a x + b back to (x - min) / range up to float64 rounding (~1e-15
    for shifts up to 10 spreads), far below float32 resolution, so the float32 features the
    trees compare are the same bits: same splits, thresholds, counts, volumes, means and norms,
    for both builders and both weights. A value within ~1e-15 of a float32 rounding boundary
    could round the other way; measured: none of 4.8 million normalised values over 3000 random
    maps of this form (scale 1e-3..1e3, shift up to 10 spreads). Shifts far beyond the spread
    lose digits in a x + b itself, before the forest sees it.
    """
    X, y = _labelled(seed)
    scale = 10.0 ** np.array(log_scale)
    spread = X.max(axis=0) - X.min(axis=0)
    X_mapped = X * scale + np.array(shift) * spread * scale
    params = {"builder": builder, "norm_weight": norm_weight, "bootstrap": bootstrap}
    _assert_identical(_fit(X, y, **params), _fit(X_mapped, y, **params))


# ------------------------------------------------------------------------ monotone maps
_INCREASING = {
    # family -> g(x, p), p in [0.2, 1]; on the data (|x| < ~6) each keeps the smallest normalised
    # gap >= ~5e-6 (checked in the test), far above FEATURE_THRESHOLD and float32 resolution
    "cubic": lambda x, p: x + p * x**3,
    "exp": lambda x, p: np.exp(0.5 * p * x),
    "arctan": lambda x, p: np.arctan(p * x),
    "sinh": lambda x, p: np.sinh(p * x),
}


def _map_columns(X, families, params, sign=1.0):
    pairs = zip(families, params, strict=True)
    return np.column_stack([sign * _INCREASING[f](X[:, j], p) for j, (f, p) in enumerate(pairs)])


def _smallest_normalised_gap(X):
    gaps = []
    for column in X.T:
        values = np.unique((column - column.min()) / (column.max() - column.min()))
        gaps.append(np.diff(values).min())
    return min(gaps)


_families = st.lists(st.sampled_from(sorted(_INCREASING)), min_size=4, max_size=4)
_params = st.lists(st.floats(0.2, 1.0), min_size=4, max_size=4)


@settings(max_examples=20)
@given(
    seed=st.integers(0, 2**16),
    builder=st.sampled_from(BUILDERS),
    max_features=st.sampled_from([None, 2]),
    families=_families,
    params=_params,
)
def test_increasing_maps_keep_the_partition_and_sample_weight_scores(
    seed, builder, max_features, families, params
):
    """Exact without bootstrap (both builders, any max_features): a strictly increasing map per
    column keeps the order of each column's values, so every node sees the same candidate
    partitions with the same proxy improvements and picks the same one (ties too: the first
    threshold in sorted order and the same feature). The feature draws depend on the node's
    place in the tree and the seed, never on the values. Only the thresholds move (midpoints of
    other numbers), which changes no training sample's side. Hence the same counts and means:
    the sample-weight norms and tau* are bit for bit the same. The exactness needs distinct
    values to stay distinct after the map and the float32 rounding (gaps > 1e-7); a map that
    squeezes values closer than that merges them.
    """
    X, y = _labelled(seed)
    X_mapped = _map_columns(X, families, params)
    assert _smallest_normalised_gap(X_mapped) > 1e-6  # the precondition, for these families
    params = {"builder": builder, "max_features": max_features, "bootstrap": False}
    a, b = _fit(X, y, **params), _fit(X_mapped, y, **params)
    _assert_same_partition(a, b)
    np.testing.assert_array_equal(b.wavelet_norms_, a.wavelet_norms_)
    assert _taus(b) == _taus(a)


@settings(max_examples=10)
@given(
    seed=st.integers(0, 2**16),
    builder=st.sampled_from(BUILDERS),
    families=_families,
    params=_params,
)
def test_increasing_maps_with_bootstrap_move_only_out_of_bag_counts(
    seed, builder, families, params
):
    """Approximate with bootstrap: the in-bag samples (drawn independently of X) are split
    exactly as without the map, so the trees and the (in-bag) means are the same. But the
    sample-fraction weight counts every training sample, and an out-of-bag value lying between
    two consecutive in-bag values a < b goes left of the threshold (a + b) / 2 in one coordinate
    system and right of (g(a) + g(b)) / 2 in the other. Measured (x + x^3 / 2, 30 seeds per
    builder): the trees were always the same, some counts differed in 29-30 of 30 seeds, tau*
    differed in 1-2 of 30 seeds by 0.005 (one grid half-step); the tolerance is TIE_TAU_TOL.
    """
    X, y = _labelled(seed)
    X_mapped = _map_columns(X, families, params)
    a, b = _fit(X, y, builder=builder), _fit(X_mapped, y, builder=builder)
    for name in ("left", "right", "feature", "mean"):
        np.testing.assert_array_equal(getattr(b.nodes_, name), getattr(a.nodes_, name), name)
    for tau_a, tau_b in zip(_taus(a), _taus(b), strict=True):
        assert abs(tau_b - tau_a) <= TIE_TAU_TOL


def test_volume_weights_are_not_invariant_under_increasing_maps():
    """Not invariant: with volume weights the partition and every |E_child - E_parent| are the
    same (as above), but a box's volume in the normalised cube depends on where its thresholds
    fall, which a nonlinear map changes. Measured for x -> x + x^3 / 2 without bootstrap, 40
    seeds: tau* moved by 0.069 on average (max 0.115, always downwards in the 6 seeds printed
    here: -0.115, -0.05, -0.07, -0.045, -0.06, -0.095), against 0.008 for a change of seed. The
    volume weight is a property of the coordinates, not only of their order.
    """
    shifts = []
    for seed in range(3):
        X, y = _labelled(seed)
        params = {"norm_weight": "volume", "bootstrap": False}
        a, b = _fit(X, y, **params), _fit(X + 0.5 * X**3, y, **params)
        _assert_same_partition(a, b)
        assert not np.allclose(b.nodes_.volume, a.nodes_.volume)
        # the norms divided by sqrt(volume) are the mean differences: the same up to rounding
        keep = a.nodes_.parent >= 0
        np.testing.assert_allclose(
            b.nodes_.norm[keep] / np.sqrt(b.nodes_.volume[keep]),
            a.nodes_.norm[keep] / np.sqrt(a.nodes_.volume[keep]),
            rtol=8 * EPS,
            atol=4 * EPS,  # mean differences below 1 that vanish in both
        )
        shifts.append(b.estimate().tau_star - a.estimate().tau_star)
    assert np.mean(np.abs(shifts)) > 0.02  # measured 0.045-0.115 per seed


# ----------------------------------------------------------- reflections and permutations
@pytest.mark.parametrize("builder", BUILDERS)
def test_reflections_and_column_permutations_are_exact_for_a_real_target(builder):
    """Exact up to rounding (no bootstrap, sample weights, all features per split): x -> -x
    reverses each column's order and a permutation relabels the features, but neither changes
    the set of candidate partitions or their improvements. With a real target two different
    partitions never tie, so the same partitions are chosen (left and right swapped, other
    feature numbers, nodes in another order): the same multiset of norms. The node means sum the
    samples in another order, so the norms agree to rounding only (bound of
    :func:`_rounding_bound`; measured <= 1.1e-15). Measured over 30 seeds: tau* always the same.
    """
    for seed in range(3):
        X, y = _real_target(seed)
        params = {"builder": builder, "bootstrap": False}
        base = _fit(X, y, **params)
        permutation = np.random.default_rng(seed).permutation(X.shape[1])
        for X_other in (-X, X[:, permutation], -0.5 * X[:, permutation] ** 3 - X[:, permutation]):
            other = _fit(X_other, y, **params)
            _assert_same_norms_up_to_order(base, other, _rounding_bound(y))


@settings(max_examples=15)
@given(
    seed=st.integers(0, 2**16),
    builder=st.sampled_from(BUILDERS),
    norm_weight=st.sampled_from(WEIGHTS),
    bootstrap=st.booleans(),
    families=_families,
    params=_params,
    permutation=st.permutations(range(4)),
)
def test_reflections_and_column_permutations_with_labels_are_approximate(
    seed, builder, norm_weight, bootstrap, families, params, permutation
):
    """Approximate with class labels: proxy improvements are exact rationals of integer class
    counts, so different partitions tie exactly and often in small nodes. A reflection reverses
    the order in which a feature's thresholds are tried (the first of tied thresholds wins), a
    permutation the order of the features (numba: lowest index wins; scikit-learn: the first in
    its random order, drawn before the values are seen), so another of the tied partitions is
    chosen and the trees below it differ. With volume weights even a tie between two features
    giving the *same* partition matters, as the boxes differ (see the next test). Measured:
    TIE_TAU_TOL. Each column is mapped by a decreasing map, then the columns are permuted: a
    nonlinear map (a reflection of an increasing one) with sample weights, a negative scale
    with volume weights (a nonlinear map changes the volumes themselves, see
    test_volume_weights_are_not_invariant_under_increasing_maps).
    """
    X, y = _labelled(seed)
    if norm_weight == "samples":
        X_other = _map_columns(X, families, params, sign=-1.0)
    else:
        X_other = -X * 10.0 ** (3 * np.array(params))
    X_other = X_other[:, list(permutation)]
    p = {"builder": builder, "norm_weight": norm_weight, "bootstrap": bootstrap}
    a, b = _fit(X, y, **p), _fit(X_other, y, **p)
    # the numbers of wavelets differ by at most 5.4% (measured, same runs as TIE_TAU_TOL)
    assert abs(b.n_wavelets_ - a.n_wavelets_) <= 0.1 * a.n_wavelets_
    for tau_a, tau_b in zip(_taus(a), _taus(b), strict=True):
        assert abs(tau_b - tau_a) <= TIE_TAU_TOL


def test_a_tie_between_features_is_broken_by_index_and_permuting_breaks_it_otherwise():
    """The smallest example of a tie: both features isolate sample 0, the same partition at
    thresholds 0.05 (feature 0) and 0.45 (feature 1) of the normalised cube. The numba builder
    takes the lowest feature index, so the root splits feature 0; with the columns swapped it
    splits the old feature 1. Sample weights see the same partition (identical norms); volume
    weights see boxes of volume 0.05 / 0.95 against 0.45 / 0.55, so their norms differ.
    """
    X = np.array([[0.0, 0.0], [0.1, 0.9], [1.0, 1.0]])
    y = np.array([0, 1, 1])
    swapped = X[:, ::-1]
    params = {"n_trees": 1, "bootstrap": False, "allow_many_classes": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 3 samples: SmallSampleWarning is not the point here
        for weight, same in (("samples", True), ("volume", False)):
            a = _fit(X, y, norm_weight=weight, **params)
            b = _fit(swapped, y, norm_weight=weight, **params)
            assert a.nodes_.feature[0] == 0 and b.nodes_.feature[0] == 0  # lowest index wins
            np.testing.assert_allclose(a.nodes_.threshold[0], 0.05, rtol=1e-6)
            np.testing.assert_allclose(b.nodes_.threshold[0], 0.45, rtol=1e-6)
            assert np.array_equal(a.wavelet_norms_, b.wavelet_norms_) == same
    np.testing.assert_allclose(np.sort(a.nodes_.volume), [0.05, 0.95, 1.0], rtol=1e-6)
    np.testing.assert_allclose(np.sort(b.nodes_.volume), [0.45, 0.55, 1.0], rtol=1e-6)


# --------------------------------------------------------------------------- duplicated rows
@settings(max_examples=15)
@given(
    seed=st.integers(0, 2**16),
    builder=st.sampled_from(BUILDERS),
    norm_weight=st.sampled_from(WEIGHTS),
    max_features=st.sampled_from([None, 2]),
)
def test_duplicated_rows_without_bootstrap_change_nothing(seed, builder, norm_weight, max_features):
    """Exact without bootstrap (min_samples_leaf=1): with every row twice, every class count
    doubles, so every proxy improvement doubles exactly (integers) and the same splits win, with
    the same ties; thresholds lie between distinct values only, so the copies never part; a node
    holding the two copies of one sample is pure. Same trees, same means, counts doubled over a
    doubled n: the same sample fractions (2c / 2n = c / n exactly), volumes and norms.
    """
    X, y = _labelled(seed)
    params = {
        "builder": builder,
        "norm_weight": norm_weight,
        "max_features": max_features,
        "bootstrap": False,
    }
    a = _fit(X, y, **params)
    b = _fit(np.vstack([X, X]), np.concatenate([y, y]), **params)
    for name in ("left", "right", "feature", "threshold", "mean", "weight", "norm"):
        np.testing.assert_array_equal(getattr(b.nodes_, name), getattr(a.nodes_, name), name)
    np.testing.assert_array_equal(b.nodes_.n_samples, 2 * a.nodes_.n_samples)
    assert _taus(b) == _taus(a)


def test_duplicated_rows_are_not_neutral_with_a_minimum_leaf_size():
    """Not invariant when min_samples_leaf > 1: the bound counts distinct rows, and two copies of
    one sample satisfy min_samples_leaf=2, so the doubled data grow deeper trees (measured 540 ->
    678, 600 -> 774, 624 -> 792 wavelets for seeds 0-2)."""
    for seed in range(3):
        X, y = _labelled(seed)
        params = {"bootstrap": False, "min_samples_leaf": 2}
        a = _fit(X, y, **params)
        b = _fit(np.vstack([X, X]), np.concatenate([y, y]), **params)
        assert b.n_wavelets_ > 1.1 * a.n_wavelets_


def test_duplicated_rows_with_bootstrap_weaken_the_resampling():
    """Not invariant with bootstrap: a bootstrap of the doubled data draws 2n rows, and the
    weight of an original row is the sum of its two copies' counts, i.e. 2n draws from the n
    originals. Each tree then holds ~86% (1 - e^-2) of the originals instead of ~63%
    (1 - e^-1), between a bootstrap and none. Measured over 30 seeds (paper rule): tau* rose by
    0.027 +- 0.006 (min 0.015, max 0.040), about as much as switching the bootstrap off
    (0.025 +- 0.007), and five times the mean change under another forest seed (0.005).
    """
    shifts = []
    for seed in range(3):
        X, y = _labelled(seed)
        a = _fit(X, y)
        b = _fit(np.vstack([X, X]), np.concatenate([y, y]))
        shifts.append(b.estimate().tau_star - a.estimate().tau_star)
    # mean of 3: 0.027 expected, standard error 0.0036; the band allows 4.7 standard errors
    # below and twice the largest single shift above
    assert 0.01 < np.mean(shifts) < 0.08


# ------------------------------------------------------------------------------ class ids
@settings(max_examples=20)
@given(
    seed=st.integers(0, 2**16),
    builder=st.sampled_from(BUILDERS),
    norm_weight=st.sampled_from(WEIGHTS),
    bootstrap=st.booleans(),
    new_ids=st.lists(st.integers(-1000, 1000), min_size=3, max_size=3, unique=True),
    as_text=st.booleans(),
)
def test_relabelling_the_classes_changes_nothing_but_the_output_order(
    seed, builder, norm_weight, bootstrap, new_ids, as_text
):
    """Exact up to rounding: new class ids permute the columns of the one-hot target. The proxy
    improvements are sums over classes of squared integer counts (per weight), exact in float64
    in any order, so the trees are bit for bit the same, and each node mean is the same vector
    with its entries permuted (each entry summed on its own). A norm sums squares over the
    classes in another order: equal to a few eps (measured <= 6e-17 absolute); tau* measured
    equal in every case.
    """
    X, y = _labelled(seed)
    ids = np.array([f"c{v}" for v in new_ids]) if as_text else np.array(new_ids)
    params = {"builder": builder, "norm_weight": norm_weight, "bootstrap": bootstrap}
    a, b = _fit(X, y, **params), _fit(X, ids[y], **params)
    for name in ("left", "right", "feature", "threshold", "n_samples", "weight"):
        np.testing.assert_array_equal(getattr(b.nodes_, name), getattr(a.nodes_, name), name)
    column = np.searchsorted(b.classes_, ids)  # where old class c sits among the sorted new ids
    np.testing.assert_array_equal(b.nodes_.mean[:, column], a.nodes_.mean)
    np.testing.assert_allclose(b.nodes_.norm, a.nodes_.norm, rtol=4 * 3 * EPS, atol=4 * EPS)
    assert _taus(b) == _taus(a)


# ------------------------------------------------------------------------------ dtypes
@settings(max_examples=15)
@given(
    seed=st.integers(0, 2**16),
    builder=st.sampled_from(BUILDERS),
    norm_weight=st.sampled_from(WEIGHTS),
    bootstrap=st.booleans(),
)
def test_float32_features_and_their_float64_copy_are_the_same(
    seed, builder, norm_weight, bootstrap
):
    """Exact: float32 -> float64 is exact, and the normalisation runs in float64 in both cases,
    so the float32 features the trees compare are the same bits (generic, unquantised data)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 400)
    X32 = (rng.standard_normal((400, 4)) + y[:, None]).astype(np.float32)
    params = {"builder": builder, "norm_weight": norm_weight, "bootstrap": bootstrap}
    _assert_identical(_fit(X32, y, **params), _fit(X32.astype(np.float64), y, **params))


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("bootstrap", [False, True])
def test_float64_features_rounded_to_float32(builder, bootstrap):
    """Exact in-bag partition, approximate volumes and out-of-bag counts: rounding a float64
    value to float32 before the normalisation moves the normalised value by about one float32
    ulp (<= 6e-8). Distinct values further apart than that (here >= ~1e-4) never swap or merge,
    so the trees and means are the same, and without bootstrap so are the counts, the
    sample-weight norms and tau*, bit for bit. The thresholds are midpoints of the moved values
    (measured max difference 6.0e-8), so box volumes move slightly: relative norm differences
    max 5.9e-5 over 40 seeds per builder (rtol 1e-3 below; a box 1e-4 wide moves by 6e-4
    relative). With bootstrap an out-of-bag value can sit exactly at the midpoint of its two
    in-bag neighbours (on this 1e-3 grid: -2.417, -2.413, -2.409), and rounding decides its
    side: the counts differed in 8 of 40 seeds per builder, tau* in none of 160 fits; tolerance
    TIE_TAU_TOL. On generic unquantised float64 data (n = 400) the sample-weight scores were the
    same in 30 of 30 seeds, the volume norms within 2.4e-5.
    """
    for seed in range(3):
        X, y = _labelled(seed)
        for weight in WEIGHTS:
            params = {"builder": builder, "norm_weight": weight, "bootstrap": bootstrap}
            a, b = _fit(X, y, **params), _fit(X.astype(np.float32), y, **params)
            for name in ("left", "right", "feature", "mean"):
                np.testing.assert_array_equal(
                    getattr(b.nodes_, name), getattr(a.nodes_, name), name
                )
            np.testing.assert_allclose(b.nodes_.threshold, a.nodes_.threshold, rtol=0, atol=2**-23)
            if weight == "volume":
                np.testing.assert_allclose(b.wavelet_norms_, a.wavelet_norms_, rtol=1e-3)
            elif not bootstrap:
                np.testing.assert_array_equal(b.nodes_.n_samples, a.nodes_.n_samples)
                np.testing.assert_array_equal(b.wavelet_norms_, a.wavelet_norms_)
                assert _taus(b) == _taus(a)
            for tau_a, tau_b in zip(_taus(a), _taus(b), strict=True):
                assert abs(tau_b - tau_a) <= TIE_TAU_TOL


# --------------------------------------------------------------------- the probe's score
def test_probe_score_is_invariant_under_affine_maps_relabelling_and_dtype():
    """The Sparsity Probe's score of a layer (``score_layer``, default settings but 2 trees: a
    bootstrap forest with sample weights) combines the exact cases above: a positive affine map
    per column, new class ids and a float64 copy of float32 features give the same tau*, alpha*
    and N_tau curve, bit for bit."""
    X, y = _labelled(7, d=6)
    X32 = X.astype(np.float32)
    rng = np.random.default_rng(7)
    scale = 10.0 ** rng.uniform(-2, 2, X.shape[1])
    shift = rng.uniform(-5, 5, X.shape[1])
    settings_ = ProbeSettings(n_trees=2, n_jobs=1)
    base = score_layer(X32, y, settings_)
    other = score_layer(X32.astype(np.float64) * scale + shift, np.array([2, 0, 1])[y], settings_)
    assert base.error is None and other.error is None
    assert (other.tau_star, other.alpha_star) == (base.tau_star, base.alpha_star)
    assert other.log_sparsity == base.log_sparsity
    assert other.n_wavelets == base.n_wavelets
