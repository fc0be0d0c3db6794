"""Dense reference for NC1: the D x D covariances and a pseudo-inverse, for tests.

Plain and independent of the fast path (:mod:`.variability`): per-class means by boolean masks,
Sigma_W = Z^T Z / N and Sigma_B = M^T M / K as D x D float64 matrices, and scipy's
Hermitian pseudo-inverse. O(N D^2 + D^3) time and O(N D + D^2) memory: use it on small layers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from ._checks import check_class_indices, check_layer_features, infer_n_classes, require_every_class

__all__ = ["nc1_dense"]


def nc1_dense(H: Any, y: Any, *, n_classes: int | None = None) -> float:
    """NC1 = tr(Sigma_W Sigma_B^+) / K the textbook way: the twin of :func:`.variability.nc1`.

    Parameters
    ----------
    H : array-like, shape (n_samples, n_features)
        Features; converted to float64 (a full copy).
    y : array-like of int, shape (n_samples,)
        Class indices 0..K-1; every class needs a sample.
    n_classes : int, optional
        K; ``max(y) + 1`` by default.

    Returns
    -------
    float

    Notes
    -----
    ``scipy.linalg.pinvh`` drops eigenvalues of Sigma_B below ``D * eps * lambda_max`` (its
    default); Sigma_B is formed in float64, where the K - 1 null eigenvalues that centring
    creates are far below that. ``numpy.linalg.pinv`` with its default ``rcond=1e-15`` on a
    float32 Sigma_B inverts float32 rounding instead (NC1 0.003 becomes ~1e7): do not use it.
    """
    H = check_layer_features(H)
    y = check_class_indices(y, H.shape[0], n_classes=None)
    K = infer_n_classes(n_classes, y, None)
    y = check_class_indices(y, H.shape[0], n_classes=K)
    require_every_class(np.bincount(y, minlength=K))
    Z = H.astype(np.float64)
    means = np.stack([Z[y == c].mean(axis=0) for c in range(K)])
    Z -= means[y]
    centred = means - means.mean(axis=0)
    sigma_w = Z.T @ Z / Z.shape[0]
    sigma_b = centred.T @ centred / K
    # tr(A B) = sum_ij A_ij B_ji = sum_ij A_ij B_ij for a symmetric B
    return float(np.vdot(sigma_w, scipy.linalg.pinvh(sigma_b)) / K)
