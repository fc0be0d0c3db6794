"""Wide features with class structure in a low-dimensional latent space (benchmarks, studies).

Real layers are wide, but their class structure lives in few directions. This generator makes
such features without a network: Gaussian class centres in a ``latent_dim``-dimensional space,
unit latent noise, a random linear map to ``n_features`` columns and isotropic noise on top.
With the defaults the classes overlap (a nearest-centroid classifier gets roughly 55 %), so
depth-15 trees grow thousands of nodes, as on the layers of a trained network.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int, check_real

__all__ = ["make_latent_classes"]


def make_latent_classes(
    n_samples: int,
    n_features: int,
    *,
    n_classes: int = 10,
    latent_dim: int = 8,
    centre_std: float = 0.7,
    noise: float = 0.3,
    random_state: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded float32 features whose classes differ in a ``latent_dim``-dimensional subspace.

    Parameters
    ----------
    n_samples, n_features : int
    n_classes : int, default=10
        Labels are drawn uniformly from ``0 .. n_classes - 1``.
    latent_dim : int, default=8
    centre_std : float, default=0.7
        Standard deviation of the class centres in the latent space (unit latent noise).
    noise : float, default=0.3
        Standard deviation of the isotropic noise added to every feature.
    random_state : int, default=0

    Returns
    -------
    X : ndarray of float32, shape (n_samples, n_features)
        Generated in float32 row chunks: no float64 copy is ever made.
    y : ndarray of int64, shape (n_samples,)
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    n_features = check_int("n_features", n_features, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    check_real("centre_std", centre_std, low=0.0)
    check_real("noise", noise, low=0.0)
    rng = np.random.default_rng(random_state)
    y = rng.integers(0, n_classes, size=n_samples)
    centres = rng.normal(0.0, centre_std, size=(n_classes, latent_dim)).astype(np.float32)
    mixing = rng.standard_normal((latent_dim, n_features), dtype=np.float32)
    mixing /= np.float32(math.sqrt(latent_dim))
    X = np.empty((n_samples, n_features), dtype=np.float32)
    chunk = 2048
    for start in range(0, n_samples, chunk):
        stop = min(start + chunk, n_samples)
        latent = centres[y[start:stop]]
        latent += rng.standard_normal((stop - start, latent_dim), dtype=np.float32)
        block = latent @ mixing
        block += rng.standard_normal((stop - start, n_features), dtype=np.float32) * np.float32(
            noise
        )
        X[start:stop] = block
    return X, y
