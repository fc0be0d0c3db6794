"""An exact numba random-forest builder with scikit-learn's splits, for ``WaveletForest``.

:func:`build_forest_arrays` grows the trees of a ``RandomForestRegressor(criterion=
"squared_error")`` (multi-output) and returns the flat arrays of
:func:`~sparsity_widgets.flat_forest.flatten_sklearn_trees`, so the wavelet norms, tau sweeps and
M-term curves work unchanged. The kernels are in :mod:`sparsity_widgets._numerics.tree_builder`.

What is the same as scikit-learn
    Every node's split maximises scikit-learn's proxy improvement over all positions between
    feature values that differ by more than ``FEATURE_THRESHOLD`` (1e-7, float32); features
    constant in the node are skipped; the threshold is the float64 midpoint ``a / 2 + b / 2``;
    ``min_samples_leaf`` counts distinct in-bag samples; a node is a leaf at ``max_depth``, below
    ``max(2, 2 * min_samples_leaf)`` samples, when pure (impurity <= machine epsilon) or when the
    best improvement falls short of ``min_impurity_decrease``; node values are the
    (bootstrap-weighted) mean target vectors; nodes are numbered depth-first. Features are
    compared as float32, as scikit-learn's trees do.

What differs
    * Ties between features of exactly equal improvement go to the lowest feature index (then
      the lowest threshold); scikit-learn takes the first in its random feature order. With
      class labels such ties are common in small nodes.
    * Random draws come from ``numpy.random.Generator`` seeded by ``random_state`` (scikit-learn
      uses its own stream): per tree, the bootstrap draws ``n`` indices with replacement and
      passes their counts as weights (scikit-learn's scheme), then a 63-bit tree seed from which
      each node's feature permutation is derived (splitmix64 of the seed and the node's
      breadth-first index) when ``max_features`` is below the number of features. As in
      scikit-learn, a node whose drawn features are all constant keeps drawing until it finds a
      non-constant one.
    * The result is the same for any number of threads.
"""

from __future__ import annotations

import contextlib
import numbers
import sys
from collections.abc import Iterator
from typing import Any

import numba
import numpy as np

from ._numerics.tree_builder import grow_tree
from ._validation import check_finite_rows, check_random_state

__all__ = ["build_forest_arrays", "one_hot_classes", "resolve_max_features"]

_CHUNKS_PER_THREAD = 4  # feature ranges per thread, taken dynamically


def resolve_max_features(max_features: Any, n_features: int) -> int:
    """Number of features drawn per split, with scikit-learn's rules.

    Parameters
    ----------
    max_features : int, float, {"sqrt", "log2"} or None
        None: all features; int: that many (at most ``n_features``); float in (0, 1]:
        ``max(1, int(max_features * n_features))``; "sqrt" / "log2": ``max(1, int(f(n)))``.
    n_features : int

    Returns
    -------
    int
        In ``[1, n_features]``.
    """
    mf = max_features
    if mf is None:
        return n_features
    if isinstance(mf, str):
        if mf == "sqrt":
            return max(1, int(np.sqrt(n_features)))
        if mf == "log2":
            return max(1, int(np.log2(n_features)))
    elif isinstance(mf, numbers.Integral) and not isinstance(mf, bool):
        if 1 <= mf <= n_features:
            return int(mf)
    elif isinstance(mf, numbers.Real) and not isinstance(mf, bool) and 0.0 < mf <= 1.0:
        return max(1, int(mf * n_features))
    raise ValueError(
        "max_features must be None (all features), 'sqrt', 'log2', an integer in "
        f"[1, n_features={n_features}] or a fraction in (0, 1]; got {mf!r}."
    )


def _check_positive_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _generator(random_state: Any) -> np.random.Generator:
    random_state = check_random_state(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(0, 2**31 - 1)))
    return np.random.default_rng(random_state)


def one_hot_classes(target: np.ndarray) -> np.ndarray | None:
    """Class index of each row when ``target`` is one-hot (one 1.0, zeros elsewhere), else None.

    Parameters
    ----------
    target : ndarray of float64, shape (n_samples, n_outputs)

    Returns
    -------
    ndarray of int32, shape (n_samples,) or None
    """
    if not np.isin(target, (0.0, 1.0)).all() or not (target.sum(axis=1) == 1.0).all():
        return None
    return np.argmax(target, axis=1).astype(np.int32)


@contextlib.contextmanager
def _numba_threads(n_threads: int | None) -> Iterator[int]:
    """Use ``n_threads`` numba threads that take work in chunks of one iteration (dynamic
    scheduling: on a shared machine a preempted thread does not hold the others up).

    numba's OpenMP threading layer shares one OpenMP runtime with torch, so setting numba's
    threads also sets torch's: torch's count is put back afterwards, and a model trained after a
    probe in the same process trains with the threads it would have had before it.
    """
    torch = sys.modules.get("torch")
    torch_before = torch.get_num_threads() if torch is not None else None
    before = numba.get_num_threads()
    if n_threads is None or n_threads < 1:
        n = numba.config.NUMBA_NUM_THREADS
    else:
        n = min(int(n_threads), numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(n)
    chunksize = numba.set_parallel_chunksize(1)
    try:
        yield n
    finally:
        numba.set_parallel_chunksize(chunksize)
        numba.set_num_threads(before)
        if torch_before is not None and torch.get_num_threads() != torch_before:
            torch.set_num_threads(torch_before)


def build_forest_arrays(
    X: Any,
    target: Any,
    *,
    n_trees: int = 3,
    max_depth: int | None = 15,
    max_features: int | float | str | None = None,
    min_samples_leaf: int = 1,
    min_impurity_decrease: float = 0.0,
    bootstrap: bool = True,
    random_state: Any = None,
    n_threads: int | None = None,
    feature_min: np.ndarray | None = None,
    feature_scale: np.ndarray | None = None,
    check_finite: bool = True,
) -> dict[str, np.ndarray]:
    """Grow a random forest with scikit-learn's exact splits; return its flat arrays.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        Finite real features in any memory order, compared as float32 (as scikit-learn's trees
        do). Float32 and float64 arrays are read in place, never copied.
    target : array-like, shape (n_samples,) or (n_samples, n_outputs)
        Finite real target. A one-hot target takes the O(1)-per-sample path.
    n_trees : int, default=3
    max_depth : int or None, default=15
        None grows until the leaves are pure or too small to split.
    max_features : int, float, {"sqrt", "log2"} or None, default=None
        Features drawn per node (see :func:`resolve_max_features`).
    min_samples_leaf : int, default=1
    min_impurity_decrease : float, default=0.0
    bootstrap : bool, default=True
        Weight each tree's samples by the counts of ``n`` draws with replacement.
    random_state : int, numpy Generator/RandomState or None
    n_threads : int or None
        Numba threads to use; None or a value below 1 uses all of them.
    feature_min, feature_scale : ndarray of float64, shape (n_features,), optional
        The trees see ``float32((X - feature_min) / feature_scale)`` (computed in float64, as
        :func:`~sparsity_widgets.forest.minmax_normalise` does) without that array ever being
        built: ``WaveletForest`` passes its min-max map. Omitted: ``float32(X)``.
    check_finite : bool, default=True
        Reject NaN and infinite values in X (skip when the caller has checked them).

    Returns
    -------
    dict
        ``tree_offsets`` (n_trees + 1,), ``left``, ``right``, ``feature`` (int64, -1 at
        leaves), ``threshold`` (float64, NaN at leaves) and ``mean`` (n_nodes, n_outputs),
        with global node indices and every tree numbered depth-first, as
        :func:`~sparsity_widgets.flat_forest.flatten_sklearn_trees` returns them.
    """
    n_trees = _check_positive_int("n_trees", n_trees, 1)
    depth = (
        np.iinfo(np.int32).max
        if max_depth is None
        else _check_positive_int("max_depth", max_depth, 1)
    )
    min_samples_leaf = _check_positive_int("min_samples_leaf", min_samples_leaf, 1)
    if (
        isinstance(min_impurity_decrease, bool)
        or not isinstance(min_impurity_decrease, numbers.Real)
        or not np.isfinite(min_impurity_decrease)
        or min_impurity_decrease < 0
    ):
        raise ValueError(
            f"min_impurity_decrease must be a finite real number >= 0; got "
            f"{min_impurity_decrease!r}."
        )
    if bootstrap not in (True, False):
        raise ValueError(f"bootstrap must be one of True, False; got {bootstrap!r}.")

    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "fiub":
        raise ValueError(
            f"X must be a 2-D array of real numbers (n_samples, n_features); got shape "
            f"{X.shape} and dtype {X.dtype}."
        )
    n_samples, n_features = X.shape
    if n_samples < 1 or n_features < 1:
        raise ValueError(f"X must have at least one sample and one feature; got {X.shape}.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if feature_min is None:
        minimum, scale = np.zeros(n_features), np.ones(n_features)
    else:
        minimum = np.ascontiguousarray(feature_min, dtype=np.float64)
        scale = np.ascontiguousarray(feature_scale, dtype=np.float64)
        if minimum.shape != (n_features,) or scale.shape != (n_features,):
            raise ValueError(
                f"feature_min and feature_scale must have shape (n_features={n_features},); got "
                f"{minimum.shape} and {scale.shape}."
            )
        if not (np.isfinite(minimum).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise ValueError("feature_min must be finite and feature_scale finite and > 0.")
    if check_finite:
        check_finite_rows(X)
    y = np.asarray(target, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != n_samples or y.shape[1] < 1:
        raise ValueError(
            f"target must have shape (n_samples={n_samples},) or (n_samples, n_outputs); got "
            f"{np.shape(target)}."
        )
    if not np.isfinite(y).all():
        raise ValueError("target contains NaN or infinite values.")
    y = np.ascontiguousarray(y)
    n_drawn = resolve_max_features(max_features, n_features)
    classes = one_hot_classes(y)

    rng = _generator(random_state)
    weights, seeds = [], []
    for _ in range(n_trees):
        if bootstrap:
            counts = np.bincount(rng.integers(0, n_samples, n_samples), minlength=n_samples)
        else:
            counts = np.ones(n_samples, dtype=np.int64)
        weights.append(counts)
        seeds.append(int(rng.integers(0, 2**63 - 1)))

    identical = not bootstrap and n_drawn == n_features  # no randomness: one tree, repeated
    m_max = max(int(np.count_nonzero(w)) for w in weights)
    lst = np.empty((n_features, m_max), dtype=np.uint64)
    trees = []
    with _numba_threads(n_threads) as threads:
        for j in range(n_trees):
            if identical and j > 0:
                trees.append(trees[0])
                continue
            counts = weights[j]
            code = None
            if classes is not None and counts.max() <= 255:
                code = (classes * 256 + counts).astype(np.int32)
            trees.append(
                grow_tree(
                    X,
                    minimum,
                    scale,
                    y,
                    code,
                    counts.astype(np.float64),
                    lst,
                    max_depth=depth,
                    n_drawn=n_drawn,
                    min_samples_leaf=min_samples_leaf,
                    min_impurity_decrease=float(min_impurity_decrease),
                    seed=seeds[j],
                    n_chunks=_CHUNKS_PER_THREAD * threads if threads > 1 else 1,
                )
            )
    del lst
    sizes = np.array([t["left"].shape[0] for t in trees], dtype=np.int64)
    offsets = np.zeros(n_trees + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    shift = [np.where(t["left"] >= 0, offsets[j], 0) for j, t in enumerate(trees)]
    return {
        "tree_offsets": offsets,
        "left": np.concatenate([t["left"] + s for t, s in zip(trees, shift, strict=True)]),
        "right": np.concatenate([t["right"] + s for t, s in zip(trees, shift, strict=True)]),
        "feature": np.concatenate([t["feature"] for t in trees]),
        "threshold": np.concatenate([t["threshold"] for t in trees]),
        "mean": np.concatenate([t["mean"] for t in trees]),
    }
