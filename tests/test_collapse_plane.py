"""The class plane: class means and within-class covariances in the means' leading plane."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sparsity_widgets.collapse import (
    ClassGeometry,
    ClassMoments,
    ClassPlane,
    CollapseMetrics,
    NC1Accumulator,
    collapse_metrics,
)

K, D, N_PER = 4, 12, 150


def mixture(seed: int = 0, k: int = K) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), N_PER)
    centres = 4.0 * rng.standard_normal((k, D))
    scales = rng.uniform(0.2, 1.0, size=(k, D))  # anisotropic, different per class
    return centres[y] + scales[y] * rng.standard_normal((y.size, D)), y


def dense_plane(H: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The plane by hand: SVD of the centred means, signs by the farthest mean, covariances."""
    means = np.stack([H[y == c].mean(0) for c in range(k)])
    centred = means - means.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    r2 = min(2, k - 1)
    axes = vt[:r2].T
    coords = centred @ axes
    for i in range(r2):
        if coords[np.argmax(np.abs(coords[:, i])), i] < 0:
            coords[:, i] *= -1
            axes[:, i] *= -1
    plane_means = np.zeros((k, 2))
    plane_means[:, :r2] = coords
    cov = np.zeros((k, 2, 2))
    for c in range(k):
        z = np.zeros((np.sum(y == c), 2))
        z[:, :r2] = (H[y == c] - means[c]) @ axes
        cov[c] = z.T @ z / z.shape[0]
    share = float(np.sum(s[:2] ** 2) / np.sum(s[: k - 1] ** 2))
    return plane_means, cov, share


def test_plane_matches_the_dense_computation():
    H, y = mixture()
    plane = collapse_metrics(H, y).plane
    means, cov, share = dense_plane(H, y, K)
    # float64 sums in another order: agreement to ~1e-12 relative was measured; 1e-9 leaves room
    np.testing.assert_allclose(plane.means_array, means, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(plane.covariances_array, cov, rtol=1e-9, atol=1e-9)
    assert plane.between_class_share == pytest.approx(share, rel=1e-12)
    # the sign rule: on each axis the class mean farthest from 0 is positive
    for i in range(2):
        column = plane.means_array[:, i]
        assert column[np.argmax(np.abs(column))] > 0


def test_two_classes_have_a_line_not_a_plane():
    H, y = mixture(k=2)
    plane = collapse_metrics(H, y).plane
    assert np.all(plane.means_array[:, 1] == 0)
    assert np.all(plane.covariances_array[:, 1, :] == 0)
    assert plane.between_class_share == 1.0
    means, cov, _ = dense_plane(H, y, 2)
    np.testing.assert_allclose(plane.means_array, means, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(plane.covariances_array, cov, rtol=1e-9, atol=1e-9)


def test_plane_is_invariant_under_an_orthogonal_map_and_a_shift():
    H, y = mixture(seed=1)
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.standard_normal((D, D)))
    a = collapse_metrics(H, y).plane
    b = collapse_metrics(H @ Q + 3.0, y).plane
    np.testing.assert_allclose(b.means_array, a.means_array, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(b.covariances_array, a.covariances_array, rtol=1e-8, atol=1e-8)


def test_streamed_batches_give_the_same_plane():
    H, y = mixture(seed=2)
    order = np.random.default_rng(0).permutation(y.size)
    H, y = H[order], y[order]
    geometry = ClassGeometry.from_moments(ClassMoments(K).update(H, y))
    acc = NC1Accumulator(geometry)
    for part in np.array_split(np.arange(y.size), 7):
        acc.update(H[part], y[part])
    whole = collapse_metrics(H, y).plane
    np.testing.assert_allclose(acc.plane().means_array, whole.means_array, rtol=1e-12)
    np.testing.assert_allclose(
        acc.plane().covariances_array, whole.covariances_array, rtol=1e-10, atol=1e-12
    )


def test_collapsed_classes_have_zero_ellipses():
    y = np.repeat(np.arange(3), 20)
    H = 5.0 * np.eye(3, 6)[y]
    plane = collapse_metrics(H, y).plane
    assert np.abs(plane.covariances_array).max() < 1e-20


def test_incomplete_second_pass_is_refused():
    H, y = mixture()
    acc = NC1Accumulator(ClassGeometry.from_moments(ClassMoments(K).update(H, y)))
    acc.update(H[:10], y[:10])
    with pytest.raises(ValueError, match="second pass of NC1 saw 10 samples"):
        acc.plane()


def test_metrics_with_a_plane_round_trip_through_json():
    H, y = mixture()
    metrics = collapse_metrics(H, y, predictions=y)
    back = CollapseMetrics.from_dict(json.loads(json.dumps(metrics.to_dict())))
    assert back == metrics
    old = metrics.to_dict()
    del old["plane"]  # files written before the plane existed
    assert CollapseMetrics.from_dict(old).plane is None


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda p: p.update(means=p["means"][:-1]), "one entry per class"),
        (lambda p: p.update(covariances=[[[1, 0]]] * K), r"covariances must have shape"),
        (lambda p: p.update(between_class_share=1.5), r"between_class_share must be in"),
        (lambda p: p.update(extra=1), "extra"),
    ],
)
def test_damaged_plane_is_a_clear_error(edit, message):
    H, y = mixture()
    data = collapse_metrics(H, y).to_dict()
    edit(data["plane"])
    with pytest.raises(ValueError, match=message) as info:
        CollapseMetrics.from_dict(data)
    assert "plane" in str(info.value)


def test_class_plane_checks_its_arrays():
    with pytest.raises(ValueError, match=r"means must have shape \(n_classes >= 2, 2\)"):
        ClassPlane(means=[[0.0, 1.0, 2.0]], covariances=[[[0, 0], [0, 0]]], between_class_share=1)
    with pytest.raises(ValueError, match="finite"):
        ClassPlane(
            means=[[0.0, np.nan], [1.0, 0.0]],
            covariances=np.zeros((2, 2, 2)),
            between_class_share=1.0,
        )
