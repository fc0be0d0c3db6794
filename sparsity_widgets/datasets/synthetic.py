"""Two-dimensional, two-class synthetic sets of the paper (Fig. 3, Table 1) and the lemmas.

* :func:`make_spiral`, :func:`make_circles`, :func:`make_gaussian_quantiles`: separable by a
  smooth curve but not by a line (Sec. 2.4, Table 1).
* :func:`make_blocks`: a piecewise-constant function on disjoint axis-parallel squares
  (Lemma 3.2: an adaptive tree has finite N_tau for every tau).
* :func:`make_smooth_domain`: the indicator of a disk (Lemma 3.1: a dyadic tree has finite
  N_tau exactly for tau > 1).
* :func:`make_spiral_authors`, :func:`make_circles_authors`,
  :func:`make_gaussian_quantiles_authors`: the three Table 1 sets as the authors generate them
  (``generator="authors"`` in :func:`make_synthetic`; see :data:`AUTHORS_DATASETS` for what
  differs from ours).

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
    "AUTHORS_DATASETS",
    "DEFAULT_N_SAMPLES",
    "GENERATORS",
    "SYNTHETIC_DATASETS",
    "make_blocks",
    "make_circles",
    "make_circles_authors",
    "make_gaussian_quantiles",
    "make_gaussian_quantiles_authors",
    "make_smooth_domain",
    "make_spiral",
    "make_spiral_authors",
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
        the default noise the rings overlap slightly (2.3 % of the points lie beyond the
        mid-radius 0.9 on the other class's side; seed 0, n = 4000), so the trees must resolve
        the curved boundary; with a wide gap (small factor, little noise) a few axis-parallel cuts
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


# --------------------------------------------------------------------------- the authors' sets
#
# Read in the authors' public code, idobenshaul10/RFWFC (commit 50d4012d),
# ``NonLinear_Synthetic_Tests/non_linear_synthetic_test.py``: ``make_spiral_dataset`` and
# ``get_synthetic_data``. The functions below are written from that reading, not copied.


def make_spiral_authors(
    n_samples: int = 10_000, noise: float = 1.0, random_state: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """The two-arm spiral of the authors' synthetic test (two turns, unit noise, large scale).

    Each arm is the curve ``r = 2 theta + pi`` for ``theta = 4 pi sqrt(u)``, ``u`` uniform on
    [0, 1] (two turns, radius pi to 9 pi ~ 28.3); class 1 is the curve itself, class 0 its
    point reflection through the origin (``r = -2 theta - pi``), drawn with the *same* angles,
    so the noise-free class-0 points mirror the class-1 points one for one. Gaussian noise of
    standard deviation ``noise`` is added to each coordinate. Along a ray the arms are
    2 pi ~ 6.3 apart, about six noise standard deviations.

    Differences from :func:`make_spiral` (ours): two turns instead of 1.5, unit noise on a
    spiral of outer radius ~28 instead of 0.05 on radius 1 (relative noise ~0.035 instead of
    0.05, and arm separation ~0.22 of the radius instead of ~0.33), the arms start at radius
    pi instead of 0 (no shared centre), mirrored angles instead of independent ones, and the
    rows come class 1 first, then class 0, instead of alternating. The forest min-max normalises
    the features, so the scale itself does not matter.

    Parameters
    ----------
    n_samples : int
        Total samples: ``n_samples - n_samples // 2`` of class 1 and ``n_samples // 2`` of
        class 0 (the authors draw 5000 per arm, 10 000 in all).
    noise : float
        Standard deviation of the Gaussian noise per coordinate, in the spiral's own units.
    random_state : int, Generator or None
        Seed of a ``numpy.random.Generator`` (the authors use the global NumPy stream with
        ``np.random.seed(2)``; this function never touches the global stream).

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
        1 for the first ``n_samples - n_samples // 2`` rows, 0 for the rest.
    """
    n_samples = check_int("n_samples", n_samples, minimum=2)
    noise = check_real("noise", noise, low=0.0)
    rng = _rng(random_state)
    n_zero = n_samples // 2
    n_one = n_samples - n_zero
    theta = 4 * np.pi * np.sqrt(rng.random(n_one))
    radius = 2 * theta + np.pi
    arm = np.column_stack([np.cos(theta) * radius, np.sin(theta) * radius])
    X = np.vstack([arm, -arm[:n_zero]])
    X += noise * rng.standard_normal(X.shape)
    y = np.concatenate([np.ones(n_one, dtype=np.int64), np.zeros(n_zero, dtype=np.int64)])
    return X, y


def make_circles_authors(
    n_samples: int = 10_000, noise: float = 0.01, random_state: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """The circles of the authors' synthetic test: scikit-learn's ``make_circles``, noise 0.01.

    The authors call ``sklearn.datasets.make_circles(n_samples=10000, shuffle=True,
    noise=0.01, random_state=42)``, hence scikit-learn's default factor 0.8: rings of radius
    0.8 (class 1) and 1 (class 0), ``n_samples // 2`` points evenly spaced on the outer ring
    and the rest on the inner one, before the noise.

    Differences from :func:`make_circles` (ours): only the noise, 0.01 instead of 0.05 (and
    the default size, 10 000 instead of 4000); the factor is the same. That is enough to
    change the picture: the gap between the rings is 0.2, i.e. 20 noise standard deviations
    here but only 4 in ours. Measured (seed 0): here every point lies within 0.04 of its ring
    and no point crosses the mid-radius 0.9; in ours points stray up to 0.18 from their ring
    and 2.3 % of them lie on the other class's side of radius 0.9, so the rings overlap and
    the trees must resolve a curved, noisy boundary. The seed is drawn from ``random_state``
    instead of the authors' fixed 42.

    Parameters
    ----------
    n_samples : int
    noise : float
        Standard deviation of the Gaussian noise added to the points.
    random_state : int, Generator or None

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    return make_circles(n_samples, noise=noise, factor=0.8, random_state=random_state)


def make_gaussian_quantiles_authors(
    n_samples: int = 10_000, noise: float = 0.0, random_state: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian quantiles of the authors' synthetic test.

    The authors call ``sklearn.datasets.make_gaussian_quantiles(n_samples=10000,
    n_features=2, n_classes=2, random_state=42)``: a standard 2-D Gaussian, class 0 inside the
    median chi-square quantile and class 1 outside, ``n_samples // 2`` each.

    Differences from :func:`make_gaussian_quantiles` (ours): none in the distribution; only
    the default size (10 000 instead of 4000) and the seed (drawn from ``random_state``
    instead of the authors' fixed 42). It is listed so that both generators cover the three
    sets of Table 1.

    Parameters
    ----------
    n_samples : int
    noise : float
        Fraction of labels flipped at random, in [0, 0.5] (0 in the authors' test).
    random_state : int, Generator or None

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    return make_gaussian_quantiles(n_samples, noise=noise, random_state=random_state)


SYNTHETIC_DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "spiral": make_spiral,
    "circles": make_circles,
    "gaussian-quantiles": make_gaussian_quantiles,
    "blocks": make_blocks,
    "smooth-domain": make_smooth_domain,
}
"""Our generators by name (``generator="ours"``)."""

AUTHORS_DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "spiral": make_spiral_authors,
    "circles": make_circles_authors,
    "gaussian-quantiles": make_gaussian_quantiles_authors,
}
"""The authors' generators of the three Table 1 sets by name (``generator="authors"``).

Source: idobenshaul10/RFWFC, ``NonLinear_Synthetic_Tests/non_linear_synthetic_test.py``.
What differs from ours: spiral (two turns, unit noise at radius up to ~28, arms starting at
radius pi, mirrored angles), circles (noise 0.01 instead of 0.05, same factor 0.8), Gaussian
quantiles (nothing but the size); 10 000 samples by default instead of 4000."""

GENERATORS: dict[str, dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]]] = {
    "ours": SYNTHETIC_DATASETS,
    "authors": AUTHORS_DATASETS,
}
"""Generator name -> its sets by name."""

DEFAULT_N_SAMPLES = {"ours": 4000, "authors": 10_000}
"""Default total sample count per generator (the authors use 10 000)."""


def make_synthetic(
    name: str,
    n_samples: int | None = None,
    noise: float | None = None,
    random_state: Any = None,
    generator: str = "ours",
) -> tuple[np.ndarray, np.ndarray]:
    """Generate a synthetic set by name and generator.

    Parameters
    ----------
    name : str
        With ``generator="ours"`` one of ``spiral``, ``circles``, ``gaussian-quantiles``,
        ``blocks``, ``smooth-domain`` (:data:`SYNTHETIC_DATASETS`); with ``"authors"`` one of
        the first three (:data:`AUTHORS_DATASETS`).
    n_samples : int, optional
        Total samples; the generator's default when omitted (:data:`DEFAULT_N_SAMPLES`: 4000
        for ours, 10 000 for the authors').
    noise : float, optional
        The set's own noise parameter; its default when omitted.
    random_state : int or None
    generator : {"ours", "authors"}, default="ours"
        Our generators, or the authors' (see :data:`AUTHORS_DATASETS`).

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    check_choice("generator", generator, GENERATORS)
    sets = GENERATORS[generator]
    if generator != "ours" and name in SYNTHETIC_DATASETS and name not in sets:
        raise ValueError(
            f"name must be one of {', '.join(repr(k) for k in sets)} with "
            f"generator={generator!r} (the authors generate only the Table 1 sets); got {name!r}."
        )
    check_choice("name", name, sets)
    if n_samples is None:
        n_samples = DEFAULT_N_SAMPLES[generator]
    kwargs: dict[str, Any] = {"n_samples": n_samples, "random_state": random_state}
    if noise is not None:
        kwargs["noise"] = noise
    return sets[name](**kwargs)
