"""Neural collapse and nearest class centers (sparsity_widgets.collapse): numerics against
closed forms, the dense twin and invariances; streaming; bad inputs; JSON; import weight."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsity_widgets._schema import SavedResultError
from sparsity_widgets.collapse import (
    ClassGeometry,
    ClassMoments,
    CollapseMetrics,
    NC1Accumulator,
    cdnv,
    collapse_metrics,
    equiangularity,
    equinorm_cv,
    etf_error,
    nc1,
    nc1_dense,
    self_duality,
)

EPS = float(np.finfo(np.float64).eps)


# --------------------------------------------------------------------------- data
def simplex_means(K: int, D: int, radius: float, rng: np.random.Generator) -> np.ndarray:
    """K vertices of a simplex ETF of the given radius around 0, rotated into R^D (K <= D)."""
    etf = np.sqrt(K / (K - 1)) * (np.eye(K) - 1.0 / K)  # rows: unit norm, cosines -1/(K-1)
    frame = np.linalg.qr(rng.standard_normal((D, K)))[0].T  # K orthonormal rows
    return radius * etf @ frame


def mixture(
    rng: np.random.Generator, K: int = 4, D: int = 12, n_per_class: int = 50, sigma: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian mixture: (H, y, population means), classes interleaved."""
    means = 3.0 * rng.standard_normal((K, D))
    y = np.arange(K * n_per_class) % K
    H = means[y] + sigma * rng.standard_normal((y.size, D))
    return H, y, means


def truncated_singular_values(centred: np.ndarray) -> np.ndarray:
    """The K - 1 leading singular values of centred means (the K-th is rounding)."""
    return np.linalg.svd(centred, compute_uv=False)[: centred.shape[0] - 1]


# --------------------------------------------------------------------------- NC1 and closed forms
def test_nc1_of_an_isotropic_mixture_matches_sigma2_tr_sigma_b_pinv_over_k():
    """E[NC1 | class means] = sigma^2 (N-K)/N tr(Sigma_B^+)/K, within 6 standard deviations.

    For Gaussian classes the within-class deviations are independent of the sample means, and
    Z^T Z ~ Wishart(N - K, sigma^2 I). With M^+ fixed by the means, N NC1 = tr(P^T Z^T Z P)
    (P = M^+) has mean (N-K) sigma^2 ||P||_F^2 and variance 2 (N-K) sigma^4 ||P^T P||_F^2, i.e.
    sum s^-2 and sum s^-4 over the singular values s of M. tr(Sigma_B^+)/K = ||M^+||_F^2.
    """
    rng = np.random.default_rng(1)
    K, D, n_c, sigma = 4, 12, 1500, 1.0
    means = simplex_means(K, D, 10.0, rng)
    y = np.arange(K * n_c) % K
    H = means[y] + sigma * rng.standard_normal((y.size, D))
    N = y.size
    sample_means = np.stack([H[y == c].mean(axis=0) for c in range(K)])
    s = truncated_singular_values(sample_means - sample_means.mean(axis=0))
    expected = sigma**2 * (N - K) / N * np.sum(s**-2.0)
    sd = sigma**2 * math.sqrt(2 * (N - K) * np.sum(s**-4.0)) / N
    got = nc1(H, y)
    assert abs(got - expected) <= 6 * sd  # 6 sd: a false failure has probability ~1e-9

    # Against the population means: by Weyl, each singular value of the sample M lies within
    # ||E||_2 of the population one (all r sqrt(K/(K-1)) for a simplex), where E, the centred
    # error of the sample means, has ||E||_2 <= sigma/sqrt(n_c) (sqrt K + sqrt D + 6) except with
    # probability e^-18 (Davidson-Szarek; centring is a projection and cannot increase it).
    s_pop = 10.0 * math.sqrt(K / (K - 1))
    e = sigma / math.sqrt(n_c) * (math.sqrt(K) + math.sqrt(D) + 6)
    population = sigma**2 * (K - 1) / s_pop**2  # sigma^2 tr(Sigma_B^+)/K = sigma^2 sum s^-2
    low = sigma**2 * (N - K) / N * (K - 1) / (s_pop + e) ** 2 - 6 * sd
    high = sigma**2 * (N - K) / N * (K - 1) / (s_pop - e) ** 2 + 6 * sd
    assert low <= got <= high
    assert low <= population <= high * N / (N - K)  # the interval is not vacuous


def test_zero_within_class_spread_gives_nc1_zero_and_nc4_one():
    rng = np.random.default_rng(2)
    K, D = 5, 9
    means = simplex_means(K, D, 4.0, rng)
    y = np.arange(60) % K
    H = means[y]
    # NCC as a linear classifier: argmin ||h - mu_c||^2 = argmax h.mu_c - ||mu_c||^2 / 2
    W, b = means, -0.5 * np.einsum("ij,ij->i", means, means)
    m = collapse_metrics(H, y, W=W, b=b)
    # the float64 mean of n copies of x differs from x by <= n eps |x| ~ 1e-13, and the fused
    # projection rounds at ~sqrt(D) eps per row (variability.py): NC1 ~ 1e-26 at most
    assert m.nc1 < 1e-20
    assert m.cdnv < 1e-20  # the same rounding in the variances, over distances ~ 1
    assert m.nc4 == 1.0 and m.ncc_mismatch_train == 0.0 and m.ncc_accuracy_train == 1.0
    # simplex means: ETF error, equinorm and equiangularity vanish up to a few eps (K x K Gram)
    assert m.etf_error < 1e-12 and m.equinorm_cv < 1e-12 and m.equiangularity < 1e-12
    assert m.rank == K - 1
    # W = means is the centred means (a simplex around 0): self-duality holds to rounding
    assert m.nc3 < 1e-12


def test_etf_error_of_a_simplex_is_zero_and_of_orthogonal_means_is_not():
    rng = np.random.default_rng(3)
    for K in (2, 3, 10):
        M = simplex_means(K, 16, 7.5, rng)
        assert etf_error(M) < 1e-13  # rounding in a K x K Gram of unit-scale entries
        assert equinorm_cv(M) < 1e-13
        assert equiangularity(M) < 1e-13
    eye = np.eye(4)  # orthogonal, not centred: cosines 0, not -1/3
    centred = eye - eye.mean(axis=0)
    assert etf_error(centred) < 1e-13  # centring the standard basis gives a simplex
    assert etf_error(np.eye(4)) > 0.5


def test_cdnv_and_nc2_match_hand_computations():
    rng = np.random.default_rng(4)
    H, y, _ = mixture(rng, K=4, D=6, n_per_class=30)
    m = collapse_metrics(H, y)
    mu = [H[y == c].mean(axis=0) for c in range(4)]
    var = [np.mean(np.sum((H[y == c] - mu[c]) ** 2, axis=1)) for c in range(4)]
    pairs = [(a, b) for a in range(4) for b in range(a + 1, 4)]
    hand = np.mean([(var[a] + var[b]) / (2 * np.sum((mu[a] - mu[b]) ** 2)) for a, b in pairs])
    assert m.cdnv == pytest.approx(hand, rel=1e-12)  # same formula, other summation order
    centred = np.array(mu) - np.mean(mu, axis=0)
    norms = np.linalg.norm(centred, axis=1)
    assert m.equinorm_cv == pytest.approx(np.std(norms) / np.mean(norms), rel=1e-12)
    cos = [centred[a] @ centred[b] / (norms[a] * norms[b]) for a, b in pairs]
    assert m.equiangularity == pytest.approx(np.std(cos), rel=1e-12)
    assert cdnv(np.array(mu), var) == pytest.approx(hand, rel=1e-12)
    assert math.isinf(cdnv(np.array([mu[0], mu[0], mu[1]]), [1.0, 1.0, 1.0]))


def test_self_duality_is_zero_for_a_multiple_of_the_centred_means_and_two_for_its_negative():
    M = simplex_means(3, 5, 2.0, np.random.default_rng(5))
    assert self_duality(3.0 * M, M) < 1e-15  # both normalise to the same unit matrix
    assert self_duality(-M, M) == pytest.approx(2.0, abs=1e-15)


# --------------------------------------------------------------------------- precision
def test_float32_input_agrees_with_float64_to_1e_4():
    rng = np.random.default_rng(6)
    H, y, _ = mixture(rng, K=5, D=20, n_per_class=80)
    W = rng.standard_normal((5, 20))
    m64 = collapse_metrics(H, y, W=W)
    m32 = collapse_metrics(H.astype(np.float32), y, W=W)
    # float32 rounding moves each entry by <= 6e-8 relative; these smooth, well-conditioned
    # functions of H move by far less than 1e-4 relative
    for key in ("nc1", "cdnv", "etf_error", "equinorm_cv", "equiangularity", "nc3"):
        assert getattr(m32, key) == pytest.approx(getattr(m64, key), rel=1e-4), key
    # the same float32 values accumulate in float64 either way: equal to a few eps
    again = collapse_metrics(H.astype(np.float32).astype(np.float64), y, W=W)
    assert again.nc1 == pytest.approx(m32.nc1, rel=1e-12)


def test_fast_nc1_equals_the_dense_twin_on_well_conditioned_data():
    rng = np.random.default_rng(7)
    for K, D, n_c in [(3, 8, 40), (10, 30, 20), (4, 60, 10), (6, 2, 30)]:  # D > N; D < K - 1
        H, y, _ = mixture(rng, K=K, D=D, n_per_class=n_c)
        fast, dense = nc1(H, y), nc1_dense(H, y)
        # both are float64 with condition ~ s_max/s_min of M (~10): agreement to ~1e-14 expected
        assert fast == pytest.approx(dense, rel=1e-10), (K, D)


@settings(max_examples=20, deadline=None)
@given(
    K=st.integers(2, 6),
    D=st.integers(1, 12),
    n_c=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
)
def test_fast_nc1_equals_the_dense_twin_property(K, D, n_c, seed):
    rng = np.random.default_rng(seed)
    H, y, _ = mixture(rng, K=K, D=D, n_per_class=n_c)
    sample_means = np.stack([H[y == c].mean(axis=0) for c in range(K)])
    s = truncated_singular_values(sample_means - sample_means.mean(axis=0))
    if s[-1] < 1e-3 * s[0]:
        return  # nearly degenerate class means (rare with Gaussian draws); covered elsewhere
    # both ways lose ~cond(M)^2 eps with cond(M) <= 1e3 here: 1e-8 leaves a margin of ~50.
    # abs: with one sample per class NC1 is exactly 0 in the twin, while the fast way's rows
    # (h - mu_G)P - (mu_y - mu_G)P carry ~D eps cond(M) of rounding, squared: < 1e-20
    assert nc1(H, y) == pytest.approx(nc1_dense(H, y), rel=1e-8, abs=1e-20)


def test_nc1_keeps_its_digits_for_tight_classes_far_from_the_origin():
    """Offset 1e3, class means ~3 apart, spread 1e-3: NC1 ~ 1e-7."""
    rng = np.random.default_rng(19)
    H, y, _ = mixture(rng, K=4, D=10, n_per_class=50, sigma=1e-3)
    H += 1e3
    got, reference = nc1(H, y), nc1_dense(H, y)
    assert 1e-9 < reference < 1e-5
    # centring on mu_G rounds at eps * 1e3 ~ 2e-13 against a spread of 1e-3 (relative 2e-10),
    # and the fused projection adds ~sqrt(D) eps / sqrt(NC1) ~ 2e-12: 1e-8 leaves a margin
    assert got == pytest.approx(reference, rel=1e-8)


def test_collinear_class_means_are_truncated_to_their_rank():
    """Means 0, a, 2a: centred rank 1 exactly, the second singular value is rounding."""
    rng = np.random.default_rng(8)
    D, n_c = 10, 40
    noise = rng.standard_normal((3 * n_c, D))
    y = np.arange(3 * n_c) % 3
    for c in range(3):
        noise[y == c] -= noise[y == c].mean(axis=0)  # exact class means up to rounding
    a = np.zeros(D)
    a[0] = 4.0
    H = np.array([0.0, 1.0, 2.0])[y, None] * a + noise
    moments = ClassMoments(3).update(H, y)
    geometry = ClassGeometry.from_moments(moments)
    assert geometry.rank == 1
    # the twin's pinvh drops the rounding eigenvalue too; scales ~1, rounding ~1e-15
    assert nc1(H, y) == pytest.approx(nc1_dense(H, y), rel=1e-9)


def test_numpy_pinv_pitfall_on_float32_features_is_avoided():
    """N = 3000, D = 800, K = 10, float32: NC1 ~ 0.0028 (the issue's case)."""
    rng = np.random.default_rng(0)
    N, D, K = 3000, 800, 10
    y = np.arange(N) % K
    means = 3 * rng.standard_normal((K, D))
    H = (means[y] + 1.5 * rng.standard_normal((N, D))).astype(np.float32)
    got = nc1(H, y)
    # the reference: the same float32 values in float64, D x D matrices, scipy's pinvh
    reference = nc1_dense(H, y)
    assert got == pytest.approx(reference, rel=1e-8)  # float64 both ways, condition ~ 1
    assert 0.002 < got < 0.004
    # the pitfall itself, to show this data triggers it: float32 Sigma_B, numpy's pinv
    mu = np.stack([H[y == c].mean(axis=0) for c in range(K)])
    Z = H - mu[y]
    M = mu - mu.mean(axis=0)
    naive = np.trace((Z.T @ Z / N) @ np.linalg.pinv(M.T @ M / K)) / K
    assert abs(naive) > 1e3 * reference


# --------------------------------------------------------------------------- invariances
def test_orthogonal_maps_change_neither_nc1_nor_the_ncc():
    rng = np.random.default_rng(9)
    H, y, _ = mixture(rng, K=5, D=16, n_per_class=40, sigma=2.0)
    Q = np.linalg.qr(rng.standard_normal((16, 16)))[0]
    H_test = mixture(rng, K=5, D=16, n_per_class=10, sigma=2.0)[0]
    g = ClassGeometry.from_moments(ClassMoments(5).update(H, y))
    gq = ClassGeometry.from_moments(ClassMoments(5).update(H @ Q, y))
    # rounding moves squared distances by ~1e-13; a prediction could flip only if the two
    # nearest centers were that close, so check the margin first
    for X in (H, H_test):
        d2 = np.sort(((X[:, None, :] - g.means[None]) ** 2).sum(axis=2), axis=1)
        assert np.min(d2[:, 1] - d2[:, 0]) > 1e-8
        np.testing.assert_array_equal(g.ncc_predict(X), gq.ncc_predict(X @ Q))
    # Q is orthogonal to ~D eps and NC1 is well conditioned here
    assert nc1(H @ Q, y) == pytest.approx(nc1(H, y), rel=1e-10)
    a, b = collapse_metrics(H, y), collapse_metrics(H @ Q, y)
    for key in ("cdnv", "etf_error", "equinorm_cv", "equiangularity"):
        assert getattr(b, key) == pytest.approx(getattr(a, key), rel=1e-10), key


# --------------------------------------------------------------------------- streaming
STREAM_RNG = np.random.default_rng(10)
STREAM_H, STREAM_Y, _ = mixture(STREAM_RNG, K=4, D=7, n_per_class=50)
STREAM_H = np.vstack([STREAM_H, [[9.0] * 7]])  # class 4: a single sample (variance 0)
STREAM_Y = np.append(STREAM_Y, 4)


def _close(a: ClassMoments, b: ClassMoments) -> None:
    N = a.n_samples
    np.testing.assert_array_equal(a.counts, b.counts)
    # float64 sums of N terms in two orders differ by <= ~N eps sum|h| (Higham, eq. 4.4)
    bound = 2 * N * EPS * np.stack([np.abs(STREAM_H[STREAM_Y == c]).sum(0) for c in range(5)])
    assert np.all(np.abs(a.sums - b.sums) <= bound)
    # the scatter's terms are non-negative; the centring subtractions carry eps |h| each, so
    # its relative error is <= ~N eps (sum ||h||^2 / scatter)
    kappa = np.sum(STREAM_H**2) / np.sum(a.scatter)
    np.testing.assert_allclose(a.scatter, b.scatter, rtol=4 * N * EPS * kappa, atol=1e-300)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_splits=st.integers(0, 12))
def test_batch_order_and_split_change_nothing(seed, n_splits):
    rng = np.random.default_rng(seed)
    whole = ClassMoments.from_features(STREAM_H, STREAM_Y, 5)
    order = rng.permutation(STREAM_Y.size)
    cuts = np.sort(rng.choice(np.arange(1, STREAM_Y.size), size=n_splits, replace=False))
    streamed = ClassMoments(5)
    for part in np.split(order, cuts):
        streamed.update(STREAM_H[part], STREAM_Y[part])
    _close(whole, streamed)
    # two accumulators over a split, merged
    half = order[: STREAM_Y.size // 2], order[STREAM_Y.size // 2 :]
    left = ClassMoments(5).update(STREAM_H[half[0]], STREAM_Y[half[0]])
    right = ClassMoments(5).update(STREAM_H[half[1]], STREAM_Y[half[1]])
    _close(whole, left.merge(right))
    _close(whole, right.merge(left))


def test_streamed_moments_match_two_pass_numpy_and_keep_a_one_sample_class():
    m = ClassMoments(5)
    for start in range(0, STREAM_Y.size, 17):
        m.update(STREAM_H[start : start + 17], STREAM_Y[start : start + 17])
    for c in range(5):
        rows = STREAM_H[STREAM_Y == c]
        np.testing.assert_allclose(m.means[c], rows.mean(axis=0), rtol=1e-13)
        # one-pass E||h||^2 - ||mu||^2 is what we avoid; compare with the two-pass variance
        two_pass = np.mean(np.sum((rows - rows.mean(axis=0)) ** 2, axis=1))
        assert m.variances[c] == pytest.approx(two_pass, rel=1e-12, abs=0.0)
    assert m.variances[4] == 0.0 and m.counts[4] == 1


def test_variance_keeps_its_digits_far_from_the_origin():
    """Features 1e8 + N(0, 1): the one-pass formula loses every digit, the merge keeps them."""
    rng = np.random.default_rng(11)
    H = 1e8 + rng.standard_normal((400, 3))
    y = np.zeros(400, dtype=int)
    y[::2] = 1
    m = ClassMoments(2)
    for start in range(0, 400, 7):
        m.update(H[start : start + 7], y[start : start + 7])
    for c in range(2):
        rows = H[y == c]
        exact = np.mean(np.sum((rows - rows.mean(axis=0)) ** 2, axis=1))
        # 1e8 + O(1) carries absolute rounding ~1e-8 per entry: relative error ~1e-8 at most
        assert m.variances[c] == pytest.approx(exact, rel=1e-7)
        one_pass = np.mean(np.sum(rows**2, axis=1)) - np.sum(rows.mean(axis=0) ** 2)
        assert abs(one_pass - exact) > 1e-3 * exact  # the formula the module avoids is wrong


def test_streamed_nc1_accumulator_equals_collapse_metrics():
    moments = ClassMoments(5)
    for start in range(0, STREAM_Y.size, 33):
        moments.update(STREAM_H[start : start + 33], STREAM_Y[start : start + 33])
    accumulator = NC1Accumulator(ClassGeometry.from_moments(moments))
    for start in range(0, STREAM_Y.size, 50):
        accumulator.update(STREAM_H[start : start + 50], STREAM_Y[start : start + 50])
    # the same float64 sums in other orders: relative ~N eps
    assert accumulator.value() == pytest.approx(collapse_metrics(STREAM_H, STREAM_Y).nc1, rel=1e-12)
    accumulator.update(STREAM_H[:3], STREAM_Y[:3])
    with pytest.raises(ValueError, match=r"second pass of NC1 saw 204 samples.*came from 201"):
        accumulator.value()


def test_large_inputs_are_processed_in_chunks_without_changing_the_result(monkeypatch):
    from sparsity_widgets.collapse import moments

    H, y = STREAM_H, STREAM_Y
    whole = collapse_metrics(H, y, predictions=y)
    monkeypatch.setattr(moments, "CHUNK_ELEMENTS", 3 * H.shape[1])  # three rows per chunk
    chunked = collapse_metrics(H, y, predictions=y)
    assert chunked.nc1 == pytest.approx(whole.nc1, rel=1e-12)  # summation order only
    assert chunked.ncc_mismatch_train == whole.ncc_mismatch_train


# --------------------------------------------------------------------------- NCC and Lambda
def test_lambda_nc4_and_ncc_accuracy_follow_the_slides_definitions():
    rng = np.random.default_rng(12)
    H, y, _ = mixture(rng, K=3, D=4, n_per_class=30, sigma=3.0)
    H_test, y_test, _ = mixture(rng, K=3, D=4, n_per_class=10, sigma=3.0)
    pred = rng.integers(0, 3, y.size)
    pred_test = rng.integers(0, 3, y_test.size)
    m = collapse_metrics(H, y, predictions=pred, H_test=H_test, predictions_test=pred_test)
    mu = np.stack([H[y == c].mean(axis=0) for c in range(3)])  # train means for both splits

    def ncc(X):
        return np.argmin(np.linalg.norm(X[:, None] - mu[None], axis=2), axis=1)

    assert m.ncc_mismatch_train == np.mean(pred != ncc(H))
    assert m.nc4 == 1 - m.ncc_mismatch_train
    assert m.ncc_mismatch_test == np.mean(pred_test != ncc(H_test))
    assert m.ncc_accuracy_train == np.mean(ncc(H) == y)
    assert m.ncc_accuracy_test is None and m.n_test_samples == 30  # no y_test given
    assert m.nc3 is None


def test_predictions_come_from_w_and_b_when_not_given_and_given_ones_win():
    rng = np.random.default_rng(13)
    H, y, _ = mixture(rng, K=3, D=5, n_per_class=20, sigma=3.0)
    W, b = rng.standard_normal((3, 5)), rng.standard_normal(3)
    H_test = H[:10]
    from_w = collapse_metrics(H, y, W=W, b=b, H_test=H_test)
    given = collapse_metrics(H, y, predictions=np.argmax(H @ W.T + b, axis=1), W=W, b=b)
    assert from_w.ncc_mismatch_train == given.ncc_mismatch_train
    assert from_w.nc3 == given.nc3 is not None
    mixed = collapse_metrics(H, y, predictions=y, W=W, b=b, H_test=H_test)
    # predictions = labels; k/60 and 1 - (60-k)/60 differ by one rounding
    assert mixed.ncc_mismatch_train == pytest.approx(1 - mixed.ncc_accuracy_train, abs=1e-15)
    assert mixed.ncc_mismatch_test == from_w.ncc_mismatch_test  # test: from W, b
    none = collapse_metrics(H, y, H_test=H_test, y_test=y[:10])
    assert none.nc4 is none.ncc_mismatch_train is none.ncc_mismatch_test is None
    assert none.ncc_accuracy_test is not None


def test_a_class_absent_from_the_test_set_is_allowed():
    rng = np.random.default_rng(14)
    H, y, _ = mixture(rng, K=4, D=6, n_per_class=20)
    keep = y[:40] != 2
    m = collapse_metrics(H, y, H_test=H[:40][keep], y_test=y[:40][keep])
    ncc = ClassGeometry.from_moments(ClassMoments(4).update(H, y)).ncc_predict(H[:40][keep])
    assert m.ncc_accuracy_test == np.mean(ncc == y[:40][keep])
    assert m.n_test_samples == int(keep.sum())


def test_d_larger_than_n_and_one_sample_classes_are_fine():
    rng = np.random.default_rng(15)
    y = np.array([0, 1, 2, 2, 1])
    H = rng.standard_normal((5, 50))
    m = collapse_metrics(H, y)
    assert m.rank == 2 and m.nc1 == pytest.approx(nc1_dense(H, y), rel=1e-10)
    assert np.isfinite(m.cdnv) and m.ncc_accuracy_train == 1.0  # a one-sample class is its mean


# --------------------------------------------------------------------------- bad inputs
def _base():
    rng = np.random.default_rng(16)
    H, y, _ = mixture(rng, K=4, D=3, n_per_class=10)
    return H, y


def _nan(H):
    H = H.copy()
    H[7, 1] = np.nan
    return H


BAD = [
    ({"y": np.zeros(40, dtype=int)}, r"at least two classes; got K = 1"),
    ({"n_classes": 1}, r"at least two classes; got K = 1 \(n_classes = 1\)"),
    ({"n_classes": 50}, r"n_classes = 50 exceeds the number of training samples in H \(40\)"),
    ({"n_classes": 5}, r"y has no sample of class\(es\) 4 among K = 5"),
    ({"y": np.r_[np.arange(39) % 4, 7], "n_classes": 4}, r"y must hold class indices \[0, 3\]"),
    ({"y": np.r_[np.arange(39) % 4, -1]}, r"class indices >= 0; got -1 at index 39"),
    ({"y": (np.arange(40) % 4).astype(float)}, r"integer class indices.*dtype float64"),
    ({"y": np.eye(4)[np.arange(40) % 4]}, r"y must be 1-D.*shape \(40, 4\)"),
    ({"y": np.arange(39) % 4}, r"H has 40 rows but y has 39"),
    ({"H": "nan"}, r"H contains NaN or infinite values \(first in row 7\)"),
    ({"H": np.ones(40)}, r"H must be 2-D"),
    ({"H": "same"}, r"the K = 4 class means of H coincide"),
    ({"predictions": np.zeros(39, dtype=int)}, r"H has 40 rows but predictions has 39"),
    ({"predictions": np.full(40, 4)}, r"predictions must hold class indices \[0, 3\]"),
    ({"W": np.ones((4, 2))}, r"W must be a real \(n_classes, n_features\) = \(4, 3\).*\(4, 2\)"),
    ({"W": np.zeros((4, 3))}, r"W is all zeros"),
    ({"b": np.ones(4)}, r"b \(the classifier's bias\) was given without W"),
    ({"W": np.ones((4, 3)), "b": np.ones(3)}, r"b must be a real array of shape \(n_classes,\)"),
    ({"y_test": np.zeros(3, dtype=int)}, r"y_test was given without H_test"),
    ({"predictions_test": np.zeros(3, dtype=int)}, r"predictions_test was given without H_test"),
    ({"H_test": np.ones((3, 2))}, r"H_test must have the same number of features.*\(3\); got 2"),
    ({"H_test": np.full((3, 3), np.inf)}, r"H_test contains NaN or infinite values"),
    ({"H_test": np.ones((3, 3)), "y_test": np.array([0, 1, 9])}, r"y_test must hold class"),
    ({"H_test": np.ones((3, 3)), "y_test": np.array([0, 1])}, r"H_test has 3 rows but y_test"),
    (
        {"H_test": np.ones((3, 3)), "predictions_test": np.array([[0, 1, 1]])},
        r"predictions_test must be 1-D",
    ),
]


@pytest.mark.parametrize(("change", "match"), BAD, ids=[m for _, m in BAD])
def test_bad_inputs_raise_errors_that_name_the_parameter(change, match):
    H, y = _base()
    kwargs = dict(change)
    if isinstance(kwargs.get("H"), str):
        kwargs["H"] = _nan(H) if kwargs["H"] == "nan" else np.ones_like(H)
    H = kwargs.pop("H", H)
    y = kwargs.pop("y", y)
    with pytest.raises(ValueError, match=match):
        collapse_metrics(H, y, **kwargs)


def test_accumulator_misuse_raises_clear_errors():
    H, y = _base()
    with pytest.raises(ValueError, match=r"n_classes must be an integer >= 2; got 1"):
        ClassMoments(1)
    m = ClassMoments(4)
    with pytest.raises(ValueError, match="have seen no sample yet"):
        _ = m.means
    m.update(H, y)
    with pytest.raises(ValueError, match=r"H must have the same number of features .* \(3\)"):
        m.update(H[:, :2], y)
    with pytest.raises(ValueError, match=r"same classes: self has n_classes = 4, other has 5"):
        m.merge(ClassMoments(5))
    with pytest.raises(ValueError, match=r"same width: self has n_features = 3, other has 2"):
        m.merge(ClassMoments(4, n_features=2))
    with pytest.raises(ValueError, match="other must be a ClassMoments; got dict"):
        m.merge({})
    with pytest.raises(ValueError, match=r"y has no sample of class\(es\) 3"):
        ClassGeometry.from_moments(ClassMoments(4).update(H[y < 3], y[y < 3]))
    with pytest.raises(ValueError, match="geometry must be a ClassGeometry; got ClassMoments"):
        NC1Accumulator(m)


# --------------------------------------------------------------------------- JSON
def test_json_round_trip_keeps_every_field():
    rng = np.random.default_rng(17)
    H, y, _ = mixture(rng, K=3, D=4, n_per_class=10)
    full = collapse_metrics(H, y, W=rng.standard_normal((3, 4)), H_test=H[:5], y_test=y[:5])
    bare = collapse_metrics(H, y)
    infinite = CollapseMetrics(**{**bare.__dict__, "cdnv": math.inf})
    for m in (full, bare, infinite):
        text = json.dumps(m.to_dict(), allow_nan=False)  # strict JSON: inf is written as null
        assert CollapseMetrics.from_dict(json.loads(text)) == m


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        ({"schema": "other/1"}, r"at schema: expected 'sparsity_widgets.collapse/1'"),
        ({"nc1": "x"}, r"at nc1: expected a finite number; found the string 'x'"),
        ({"nc1": -1.0}, r"at nc1: expected a number in \[0, inf\)"),
        ({"nc4": 1.5}, r"at nc4: expected a number in \[0, 1\]"),
        ({"rank": 3}, r"at rank: expected at most min\(n_classes - 1, n_features\) = 2"),
        ({"n_classes": 1}, r"at n_classes: expected an integer >= 2"),
        ({"extra": 1}, r"unknown key\(s\) \['extra'\]"),
        ({"drop": "ncc_accuracy_test"}, r"at ncc_accuracy_test: expected a number or null"),
        ({"drop": "nc1"}, r"at nc1: expected a finite number; found no such key"),
    ],
)
def test_from_dict_refuses_damaged_data(edit, match):
    rng = np.random.default_rng(18)
    H, y, _ = mixture(rng, K=3, D=4, n_per_class=10)
    data = collapse_metrics(H, y).to_dict()
    if "drop" in edit:
        del data[edit["drop"]]
    else:
        data.update(edit)
    with pytest.raises(SavedResultError, match=match) as info:
        CollapseMetrics.from_dict(data, source="m.json")
    assert "invalid collapse metrics in m.json" in str(info.value)


# --------------------------------------------------------------------------- layering
def test_importing_the_numerics_loads_no_torch_widgets_plotting_or_scipy():
    heavy = ["torch", "ipywidgets", "matplotlib", "scipy"]
    code = (
        "import json, sys\n"
        "import sparsity_widgets.collapse as c\n"
        "c.collapse_metrics, c.ClassMoments, c.nc1, c.CollapseMetrics\n"
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(proc.stdout) == []


def test_update_and_predict_is_update_plus_the_ncc_from_the_same_product():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 4, 300)
    H = rng.standard_normal((300, 12)) + 2.0 * np.eye(4, 12)[y]
    geometry = ClassGeometry.from_moments(ClassMoments(4).update(H, y))
    fused, plain = NC1Accumulator(geometry), NC1Accumulator(geometry)
    predicted = np.concatenate(
        [fused.update_and_predict(H[i : i + 70], y[i : i + 70]) for i in range(0, 300, 70)]
    )
    for i in range(0, 300, 70):
        plain.update(H[i : i + 70], y[i : i + 70])
    # the same chunks through the same kernel: predictions and NC1 equal exactly
    np.testing.assert_array_equal(predicted, geometry.ncc_predict(H))
    assert fused.value() == plain.value()
    # nc1() sums the 300 rows in one chunk instead of five: a regrouped float64 sum of 300
    # non-negative terms, exact to 300 eps relative
    assert fused.value() == pytest.approx(nc1(H, y), rel=300 * np.finfo(float).eps, abs=0)
