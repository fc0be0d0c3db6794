"""Two-dimensional, two-class synthetic sets of the paper (Fig. 3, Table 1) and the lemmas.

* :func:`make_spiral`, :func:`make_circles`, :func:`make_gaussian_quantiles`: separable by a
  smooth curve but not by a line (Sec. 2.4, Table 1).
* :func:`make_blocks`: a piecewise-constant function on disjoint axis-parallel squares
  (Lemma 3.2: an adaptive tree has finite N_tau for every tau).
* :func:`make_smooth_domain`: the indicator of a disk (Lemma 3.1: a dyadic tree has finite
  N_tau exactly for tau > 1).

Every function returns ``X`` of shape (n_samples, 2), float64, and integer labels ``y`` of
shape (n_samples,), and is reproducible from ``random_state``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn import datasets as sk_datasets

from .._validation import check_choice, check_int, check_real

__all__ = [
    "SYNTHETIC_DATASETS",
    "make_blocks",
    "make_circles",
    "make_gaussian_quantiles",
    "make_smooth_domain",
    "make_spiral",
    "make_synthetic",
]


def _rng(random_state: Any) -> np.random.Generator:
    return np.random.default_rng(random_state)


def _flip_labels(y: np.ndarray, flip: float, rng: np.random.Generator) -> np.ndarray:
    if flip > 0:
        y = y.copy()
        mask = rng.random(y.shape[0]) < flip
        y[mask] = 1 - y[mask]
    return y


def make_spiral(
    n_samples: int = 4000, noise: float = 0.05, turns: float = 1.5, random_state: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved Archimedean spirals.

    Parameters
    ----------
    n_samples : int
        Total samples, split evenly between the two classes.
    noise : float
        Standard deviation of Gaussian noise added to each coordinate (radius 1 at the end).
    turns : float
        Number of turns of each arm.
    random_state : int, Generator or None

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    n_samples = check_int("n_samples", n_samples, minimum=2)
    noise = check_real("noise", noise, low=0.0)
    turns = check_real("turns", turns, low=0.0, low_open=True)
    rng = _rng(random_state)
    y = np.arange(n_samples) % 2
    t = np.sqrt(rng.random(n_samples))  # uniform density along the area swept
    angle = 2 * np.pi * turns * t + np.pi * y
    X = np.column_stack([t * np.cos(angle), t * np.sin(angle)])
    X += noise * rng.standard_normal(X.shape)
    return X, y.astype(np.int64)


def make_circles(
    n_samples: int = 4000, noise: float = 0.05, factor: float = 0.8, random_state: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles (scikit-learn's ``make_circles``).

    Parameters
    ----------
    n_samples : int
    noise : float
        Standard deviation of Gaussian noise added to the points.
    factor : float
        Ratio of the inner radius to the outer one, in (0, 1); 0.8 as in scikit-learn. With
        the default noise the rings nearly touch, so the trees must resolve the curved
        boundary; with a wide gap (small factor, little noise) a few axis-parallel cuts
        separate the classes and the set scores as smooth as disjoint blocks.
    random_state : int or None

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    n_samples = check_int("n_samples", n_samples, minimum=2)
    noise = check_real("noise", noise, low=0.0)
    factor = check_real("factor", factor, low=0.0, high=1.0, low_open=True, high_open=True)
    seed = _rng(random_state).integers(2**31 - 1)
    X, y = sk_datasets.make_circles(n_samples, noise=noise, factor=factor, random_state=int(seed))
    return X, y.astype(np.int64)


def make_gaussian_quantiles(
    n_samples: int = 4000, noise: float = 0.0, random_state: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D Gaussian split into an inner and an outer class by a chi-square quantile.

    Parameters
    ----------
    n_samples : int
    noise : float
        Fraction of labels flipped at random, in [0, 0.5] (the classes touch, so there is no
        gap for coordinate noise to blur).
    random_state : int or None

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    n_samples = check_int("n_samples", n_samples, minimum=2)
    noise = check_real("noise", noise, low=0.0, high=0.5)
    rng = _rng(random_state)
    X, y = sk_datasets.make_gaussian_quantiles(
        n_samples=n_samples, n_features=2, n_classes=2, random_state=int(rng.integers(2**31 - 1))
    )
    return X, _flip_labels(y.astype(np.int64), noise, rng)


def make_blocks(
    n_samples: int = 4000, n_blocks: int = 4, noise: float = 0.0, random_state: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in the unit square; class 1 inside disjoint axis-parallel squares.

    The target is ``sum_k 1_{B_k}`` with disjoint cubes ``B_k`` (Lemma 3.2): the blocks sit in
    distinct cells of a coarse grid, with random sizes and offsets inside their cells.

    Parameters
    ----------
    n_samples : int
    n_blocks : int
        Number of squares, at most 16.
    noise : float
        Fraction of labels flipped at random, in [0, 0.5].
    random_state : int or None

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    n_samples = check_int("n_samples", n_samples, minimum=2)
    n_blocks = check_int("n_blocks", n_blocks, minimum=1)
    if n_blocks > 16:
        raise ValueError(f"n_blocks must be at most 16 (a 4 x 4 grid of cells); got {n_blocks}.")
    noise = check_real("noise", noise, low=0.0, high=0.5)
    rng = _rng(random_state)
    cells = rng.choice(16, size=n_blocks, replace=False)
    side = rng.uniform(0.12, 0.22, size=n_blocks)
    lower = np.column_stack([cells % 4, cells // 4]) * 0.25
    lower = lower + rng.uniform(0.0, 1.0, size=(n_blocks, 2)) * (0.25 - side)[:, None]
    X = rng.random((n_samples, 2))
    inside = np.zeros(n_samples, dtype=bool)
    for k in range(n_blocks):
        inside |= np.all((X >= lower[k]) & (X < lower[k] + side[k]), axis=1)
    return X, _flip_labels(inside.astype(np.int64), noise, rng)


def make_smooth_domain(
    n_samples: int = 4000,
    radius: float = 0.3,
    noise: float = 0.0,
    random_state: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in the unit square; class 1 inside a disk of the given radius.

    The target is the indicator of a compact domain with a smooth boundary (Lemma 3.1).

    Parameters
    ----------
    n_samples : int
    radius : float
        Radius of the disk centred at (0.5, 0.5), in (0, 0.5].
    noise : float
        Fraction of labels flipped at random, in [0, 0.5].
    random_state : int or None

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    n_samples = check_int("n_samples", n_samples, minimum=2)
    radius = check_real("radius", radius, low=0.0, high=0.5, low_open=True)
    noise = check_real("noise", noise, low=0.0, high=0.5)
    rng = _rng(random_state)
    X = rng.random((n_samples, 2))
    y = (np.sum((X - 0.5) ** 2, axis=1) <= radius**2).astype(np.int64)
    return X, _flip_labels(y, noise, rng)


SYNTHETIC_DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "spiral": make_spiral,
    "circles": make_circles,
    "gaussian-quantiles": make_gaussian_quantiles,
    "blocks": make_blocks,
    "smooth-domain": make_smooth_domain,
}


def make_synthetic(
    name: str, n_samples: int = 4000, noise: float | None = None, random_state: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Generate a synthetic set by name (see :data:`SYNTHETIC_DATASETS`).

    Parameters
    ----------
    name : str
        One of ``spiral``, ``circles``, ``gaussian-quantiles``, ``blocks``, ``smooth-domain``.
    n_samples : int
    noise : float, optional
        The set's own noise parameter; its default when omitted.
    random_state : int or None

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    check_choice("name", name, SYNTHETIC_DATASETS)
    kwargs: dict[str, Any] = {"n_samples": n_samples, "random_state": random_state}
    if noise is not None:
        kwargs["noise"] = noise
    return SYNTHETIC_DATASETS[name](**kwargs)
