"""Scores of a layer that control for its basis, its width and its level.

alpha* comes from trees that split along the coordinate axes, so it measures how smooth the
labels are *in the layer's basis and at its width*: a random orthogonal rotation of MNIST-1D's
raw input at equal width lowers it from about 0.21 to 0.13, more than any difference between
the conv blocks of the CNN, and a 2-D set embedded into more columns gets a higher alpha* (the
trees have more directions to split along). Three controls, usable on any feature matrix
(numpy only):

``"rotation"``
    alpha* averaged over ``repeats`` Haar-random orthogonal maps of the features into
    ``width`` columns (default: the layer's own width). All rotated copies of a layer have one
    distribution, so the expected score no longer depends on the basis the layer came in; it
    depends on the Euclidean geometry (per-column scales now matter) and on ``width``.
``"permuted-labels"``
    alpha* minus alpha* of the same features with randomly permuted labels: a null at the
    same n, width and forest settings, which puts "no label structure" at 0. It corrects the
    level, not the basis.
``"rotation-permuted"``
    Both: per repeat, alpha* of the rotated features minus alpha* of the same rotated features
    with permuted labels, averaged.

Measured (``tests/test_layer_baseline.py``: two classes split by a smooth curve in the unit
square, n = 2000, 3 trees of depth 15, 5 repeats, seeds 0-7, the set mapped into 2..512
columns by random orthogonal or Gaussian maps; ranges over the maps): raw alpha* moved by
0.066-0.084 (lowest in the set's own axes, highest at 512 columns), ``"rotation"`` at each
map's own width by 0.052-0.072 (the width effect stays), ``"permuted-labels"`` by 0.053-0.099
(its null sat at 0.20-0.22 for every map, so raw alpha*'s effects stay); ``"rotation"`` and
``"rotation-permuted"`` at one common ``width`` (32) by 0.002-0.018 and 0.008-0.031. Only a
common width makes the level flat. On the MNIST-1D CNN's layers (n = 4000, 10 classes) the
rotation score hardly depended on the common width (the input: 0.137 at its own 40 columns,
0.137-0.144 at 80 to 1280), but the permuted-label null rose with it (the input: 0.18 at 40
columns, 0.19 at 80, 0.21 at 160, 0.23 at 640, 0.24 at 1280; single nulls scatter by about
0.02): compare nulls only at one width.

The common width: a layer narrower than ``width`` is embedded isometrically (``X @ Q[:d]``,
which keeps every distance), a wider one projected orthogonally onto a random
``width``-dimensional subspace (which loses what lies outside it): choose a width at least that
of the widest layer compared. A 2-D set's rotated score stops rising at about 32 columns.

Each repeat ``r`` draws, from ``SeedSequence(random_state).spawn(...)[r]``, first the rotation
(:func:`haar_frame`), then the forest's seed, then the permutation; so repeat ``r`` is the same for
every ``repeats > r``, and ``"rotation-permuted"`` sees the rotations and forests of
``"rotation"``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._validation import check_choice, check_int

__all__ = [
    "BASELINES",
    "DEFAULT_REPEATS",
    "ControlledAlpha",
    "controlled_alpha",
    "haar_frame",
    "haar_rotation",
]

BASELINES = ("rotation", "permuted-labels", "rotation-permuted")
"""Kinds of control; see the module docstring."""

DEFAULT_REPEATS = 5
"""Rotations / permutations drawn when not told otherwise."""

_SEED_BOUND = 2**31 - 1  # forest seeds drawn per repeat (valid for either tree builder)


def haar_frame(width_in: int, width_out: int, rng: np.random.Generator) -> np.ndarray:
    """``Q[:width_in, :width_out]`` of a Haar-random orthogonal matrix of size
    ``max(width_in, width_out)``, drawn without the rest of Q.

    Parameters
    ----------
    width_in, width_out : int
        At least 1.
    rng : numpy Generator

    Returns
    -------
    ndarray of float64, shape (width_in, width_out)
        With orthonormal rows when ``width_out >= width_in`` (``X @ F`` embeds X isometrically)
        and orthonormal columns otherwise (``X @ F`` projects X onto a random subspace);
        uniform on these frames (Mezzadri, "How to generate random matrices from the classical
        compact groups", 2007: the QR factor of a Gaussian matrix, with the signs of R's
        diagonal moved into Q). The QR of a ``max x min`` Gaussian matrix costs
        ``max * min**2``.
    """
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    width_in = check_int("width_in", width_in, minimum=1)
    width_out = check_int("width_out", width_out, minimum=1)
    gaussian = rng.standard_normal((max(width_in, width_out), min(width_in, width_out)))
    # one BLAS thread: a threaded QR next to numba's threads ran 30 to 60 times slower here
    with threadpool_limits(1, user_api="blas"):
        q, r = np.linalg.qr(gaussian)
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    q = q * signs
    return q.T if width_out > width_in else q


def haar_rotation(width: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random orthogonal matrix (:func:`haar_frame` with equal widths).

    Parameters
    ----------
    width : int
        At least 1.
    rng : numpy Generator

    Returns
    -------
    ndarray of float64, shape (width, width)
        ``Q`` with ``Q.T @ Q = I``, distributed uniformly on the orthogonal group.
    """
    width = check_int("width", width, minimum=1)
    return haar_frame(width, width, rng)


@dataclass(frozen=True)
class ControlledAlpha:
    """A layer's alpha* and its controlled score.

    Attributes
    ----------
    kind : str
        One of :data:`BASELINES`.
    repeats : int
        Rotations and/or permutations drawn.
    width : int
        Columns the control's forests saw (the common width of the rotating kinds, else the
        width of X).
    random_state : int
        Seed of the draws.
    raw : float
        alpha* of the features as given (NaN when its estimate failed).
    score : float
        The controlled score: the mean of :attr:`values` over the repeats whose estimates
        succeeded (NaN when none did).
    spread : float
        Standard deviation (ddof = 0) of :attr:`values` over those repeats.
    rotated : tuple of float or None, length repeats
        alpha* of each rotated copy (kinds that rotate; NaN where its estimate failed).
    null : tuple of float or None, length repeats
        alpha* with each permutation of the labels (kinds with a null; on the rotated copy for
        ``"rotation-permuted"``).
    """

    kind: str
    repeats: int
    width: int
    random_state: int
    raw: float
    score: float
    spread: float
    rotated: tuple[float, ...] | None
    null: tuple[float, ...] | None

    @property
    def values(self) -> np.ndarray:
        """The controlled score of each repeat, shape (repeats,).

        ``rotated`` for ``"rotation"``, ``raw - null`` for ``"permuted-labels"`` and
        ``rotated - null`` for ``"rotation-permuted"``.
        """
        if self.kind == "rotation":
            return np.asarray(self.rotated, dtype=float)
        null = np.asarray(self.null, dtype=float)
        if self.kind == "permuted-labels":
            return self.raw - null
        return np.asarray(self.rotated, dtype=float) - null

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, NaN as None (without ``raw``: the probe stores it as alpha*)."""

        def clean(value: float) -> float | None:
            return float(value) if math.isfinite(value) else None

        return {
            "kind": self.kind,
            "repeats": self.repeats,
            "width": self.width,
            "random_state": self.random_state,
            "score": clean(self.score),
            "spread": clean(self.spread),
            "rotated": None if self.rotated is None else [clean(v) for v in self.rotated],
            "null": None if self.null is None else [clean(v) for v in self.null],
        }


def _alpha(X: np.ndarray, y: np.ndarray, forest: dict[str, Any], estimate: dict[str, Any]) -> float:
    """alpha* of one fitted forest; NaN when no tau falls in the estimator's window."""
    from ..forest import WaveletForest

    fitted = WaveletForest(**forest).fit(X, y)
    try:
        return float(fitted.estimate(**estimate).alpha_star)
    except ValueError:
        return math.nan


def _mean_and_std(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return math.nan, math.nan
    return float(finite.mean()), float(finite.std())


def controlled_alpha(
    X: Any,
    y: Any,
    *,
    kind: str,
    repeats: int = DEFAULT_REPEATS,
    width: int | None = None,
    n_trees: int = 3,
    max_depth: int = 15,
    max_features: int | float | str | None = None,
    norm_weight: str = "samples",
    bootstrap: bool = True,
    rule: str = "paper",
    eps_low: float | None = None,
    eps_high: float | None = None,
    random_state: int = 0,
    n_jobs: int | None = None,
    builder: str = "numba",
    raw_alpha: float | None = None,
) -> ControlledAlpha:
    """alpha* of a feature matrix with a control for its basis, width and/or level.

    Parameters
    ----------
    X : array-like, shape (n_samples, d)
        The features (already width-reduced, if they are to be: a rotation costs the QR of a
        ``max(d, width) x min(d, width)`` matrix and a product with X).
    y : array-like of int, shape (n_samples,)
        Class labels.
    kind : {"rotation", "permuted-labels", "rotation-permuted"}
        See the module docstring.
    repeats : int, default=5
        Rotations and/or permutations (>= 1); the cost is ``repeats`` forests (``2 * repeats``
        for ``"rotation-permuted"``) besides the raw one.
    width : int, optional
        Columns the rotating kinds map the features to (>= 1; default ``d``): isometrically
        when ``width >= d``, else by an orthogonal projection onto a random subspace. Not
        used by ``"permuted-labels"`` (giving it there raises).
    n_trees, max_depth, max_features, norm_weight, bootstrap, random_state, n_jobs, builder
        The forest (see :class:`~sparsity_widgets.WaveletForest`); ``random_state`` (>= 0)
        seeds the raw forest and every draw.
    rule, eps_low, eps_high
        The tau* estimator (see :meth:`~sparsity_widgets.WaveletForest.estimate`).
    raw_alpha : float, optional
        alpha* of ``(X, y)`` with these settings when the caller has it already (the probe
        does); otherwise it is computed here. NaN stands for a failed estimate.

    Returns
    -------
    ControlledAlpha

    Raises
    ------
    ValueError
        For an unknown ``kind``, ``repeats`` < 1, ``width`` < 1 or given with
        ``"permuted-labels"``, a negative ``random_state``, X not 2-D, y not matching X, or
        data the forest refuses (each message names the parameter).
    """
    check_choice("kind", kind, BASELINES)
    repeats = check_int("repeats", repeats, minimum=1)
    random_state = check_int("random_state", random_state, minimum=0)
    rotate = kind != "permuted-labels"
    permute = kind != "rotation"
    if width is not None:
        width = check_int("width", width, minimum=1)
        if not rotate:
            raise ValueError(
                "width is used only by the kinds that rotate ('rotation', 'rotation-permuted'); "
                f"got width={width} with kind={kind!r}."
            )
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, width); got shape {X.shape}.")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(
            f"y must have shape (n_samples,) = ({X.shape[0]},) to match X; got {y.shape}."
        )
    d = X.shape[1]
    target = d if width is None else width
    forest = {
        "n_trees": n_trees,
        "max_depth": max_depth,
        "max_features": max_features,
        "norm_weight": norm_weight,
        "bootstrap": bootstrap,
        "random_state": random_state,
        "n_jobs": n_jobs,
        "builder": builder,
    }
    estimate: dict[str, Any] = {"rule": rule}
    if eps_low is not None:
        estimate["eps_low"] = eps_low
    if eps_high is not None:
        estimate["eps_high"] = eps_high
    raw = _alpha(X, y, forest, estimate) if raw_alpha is None else float(raw_alpha)
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    rotated, null = [], []
    with warnings.catch_warnings():
        # the raw estimate has warned already when n is small
        warnings.filterwarnings("ignore", message="alpha\\* from n =")
        for child in np.random.SeedSequence(random_state).spawn(repeats):
            rng = np.random.default_rng(child)
            features = X
            if rotate:
                features = X @ haar_frame(d, target, rng).astype(dtype)
            seeded = forest | {"random_state": int(rng.integers(_SEED_BOUND))}
            if rotate:
                rotated.append(_alpha(features, y, seeded, estimate))
            if permute:
                null.append(_alpha(features, rng.permutation(y), seeded, estimate))
    result = ControlledAlpha(
        kind=kind,
        repeats=repeats,
        width=target if rotate else d,
        random_state=random_state,
        raw=raw,
        score=math.nan,
        spread=math.nan,
        rotated=tuple(rotated) if rotate else None,
        null=tuple(null) if permute else None,
    )
    score, spread = _mean_and_std(result.values)
    return replace(result, score=score, spread=spread)
