"""``WaveletForest``: a random forest read as a geometric-wavelet decomposition (Sec. 3).

The estimator follows scikit-learn conventions: ``__init__`` stores parameters, ``fit`` checks
them and the data, fitted attributes end in ``_``. The trees are those of scikit-learn's
``RandomForestRegressor`` fitted on one-hot labels (multi-output squared error, the variance
minimising split of eq. 3.1), grown either by scikit-learn itself or by the exact numba builder of
:mod:`sparsity_widgets.tree_builder` (``builder="numba"``, same splits, much faster); everything
after the fit runs in numba kernels over the trees' flat arrays.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from ._numerics import (
    apply_flat,
    apply_flat_normalising,
    mterm_error_curve,
    mterm_predict,
    node_sample_lists,
)
from ._validation import (
    check_choice,
    check_features,
    check_finite_rows,
    check_int,
    check_n_jobs,
    check_random_state,
    check_target,
    reject_nonfinite_block,
)
from .approximation import MTermCurve
from .flat_forest import FlatForest, build_flat_forest, flatten_sklearn_trees
from .tau_star import SparsityCurve, TauStarEstimate, estimate_tau_star, sparsity_curve
from .tree_builder import build_forest_arrays

__all__ = [
    "BUILDERS",
    "MIN_RELIABLE_SAMPLES",
    "NORM_WEIGHTS",
    "SmallSampleWarning",
    "WaveletForest",
    "minmax_normalise",
]

NORM_WEIGHTS = ("samples", "volume")
BUILDERS = ("numba", "sklearn")
_CHUNK_ROWS = 4096
_SKLEARN_MAX_SEED = 2**32 - 1  # scikit-learn's forests take integer seeds below 2**32

MIN_RELIABLE_SAMPLES = 100
"""Below this many training samples :meth:`WaveletForest.estimate` warns (SmallSampleWarning).

Why 100: on the 2-D synthetic sets (10-20 seeds, paper rule, default forest) alpha* at n = 20 is
0.43 for circles and 0.42 for the same points with shuffled labels: the estimate cannot tell
structure from noise. From n = 50 the two separate, at n = 100 by about five standard deviations
(0.333 +- 0.011 against 0.277 +- 0.006). With n = 2 alpha* came out as 2.06. Even above the bound
alpha* keeps falling as n grows (circles: 0.34 at n = 100, 0.27 at 1000, 0.24 at 4000), so
estimates are comparable only at equal n; the book and the demo use 4000 samples."""


class SmallSampleWarning(UserWarning):
    """The forest was fitted on fewer than :data:`MIN_RELIABLE_SAMPLES` samples, too few for a
    meaningful tau* / alpha* estimate (see there for the measurement behind the bound).

    Silence it deliberately with ``warnings.filterwarnings("ignore",
    category=SmallSampleWarning)``.
    """


def minmax_normalise(
    X: np.ndarray, minimum: np.ndarray, scale: np.ndarray, *, name: str = "X"
) -> np.ndarray:
    """``(X - minimum) / scale`` as a new float32 array, row chunk by row chunk.

    Working in chunks keeps the temporary memory to a few MB whatever the size of ``X``, and the
    same pass rejects NaN and infinite values.

    Parameters
    ----------
    X : ndarray of float32 or float64, shape (n_samples, n_features)
    minimum, scale : ndarray of float64, shape (n_features,)
        Column minima and ranges (``scale`` is 1 for constant columns, which map to 0).

    Returns
    -------
    ndarray of float32, shape (n_samples, n_features), C order
    """
    out = np.empty(X.shape, dtype=np.float32)
    for start in range(0, X.shape[0], _CHUNK_ROWS):
        block = X[start : start + _CHUNK_ROWS]
        reject_nonfinite_block(block, start, name=name)
        out[start : start + _CHUNK_ROWS] = (block - minimum) / scale
    return out


def _column_extremes(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column minima and maxima in one pass over row chunks, rejecting non-finite values."""
    minimum = np.empty(X.shape[1])
    maximum = np.empty(X.shape[1])
    for start in range(0, X.shape[0], _CHUNK_ROWS):
        block = X[start : start + _CHUNK_ROWS]
        reject_nonfinite_block(block, start)
        if start == 0:
            minimum[:] = block.min(axis=0)
            maximum[:] = block.max(axis=0)
        else:
            np.minimum(minimum, block.min(axis=0), out=minimum)
            np.maximum(maximum, block.max(axis=0), out=maximum)
    return minimum, maximum


def _column_scale(minimum: np.ndarray, maximum: np.ndarray) -> np.ndarray:
    """Column ranges ``maximum - minimum`` (1 for constant columns).

    A range beyond the largest float64 (values near +-1.8e308 of both signs) would make every
    normalised value 0 or NaN; it is refused with a message that says how to rescale.
    """
    with np.errstate(over="ignore"):
        scale = maximum - minimum
    overflow = np.flatnonzero(~np.isfinite(scale))
    if overflow.size:
        j = int(overflow[0])
        raise ValueError(
            f"X column {j} spans [{minimum[j]:.4g}, {maximum[j]:.4g}]: its range max - min "
            f"overflows float64 (largest {np.finfo(np.float64).max:.4g}), so it cannot be "
            f"min-max normalised ({overflow.size} column(s) affected). Divide X by a power of "
            "two first, e.g. X / 4: that leaves the normalised features, hence the forest, "
            "unchanged."
        )
    scale[~(scale > 0)] = 1.0  # constant columns
    return scale


def _column_range(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column minima and ranges in one pass over row chunks, rejecting non-finite values."""
    minimum, maximum = _column_extremes(X)
    return minimum, _column_scale(minimum, maximum)


class WaveletForest:
    """Geometric-wavelet decomposition of a random forest fitted to (features, labels).

    Parameters
    ----------
    n_trees : int, default=3
        Number of trees J (the paper uses 3).
    max_depth : int, default=15
        Maximum depth of each tree (the paper uses 15).
    max_features : int, float, {"sqrt", "log2"} or None, default=None
        Features tried per split, as in scikit-learn; None tries all of them.
    norm_weight : {"samples", "volume"}, default="samples"
        The measure ``|Omega'|`` in the wavelet norm (eq. 3.2): the fraction of training samples
        reaching the node, or the volume of its box in the normalised cube ``[0, 1]^d``.
        Volumes shrink like ``2^(-depth)`` and vanish in high dimension; the sample fraction
        is the sane default there.
    bootstrap : bool, default=True
        Fit each tree on a bootstrap sample, as a random forest does.
    min_samples_leaf : int, default=1
        Minimum samples in a leaf.
    random_state : int, numpy Generator/RandomState or None, default=None
        Seed of the forest: None, an integer >= 0 (below 2**32 with ``builder="sklearn"``), a
        numpy Generator or a RandomState. With ``builder="sklearn"`` a Generator supplies the
        integer seed scikit-learn is given (one draw per fit).
    n_jobs : int or None, default=None
        Parallel jobs for fitting the trees. ``builder="numba"``: the number of numba threads,
        None or a value below 1 meaning all of them. ``builder="sklearn"``: scikit-learn
        semantics (None is one job, -1 all cores, 0 is refused).
    builder : {"numba", "sklearn"}, default="numba"
        Who grows the trees. "numba" (the default; see ``benchmarks/bench_score.py`` for its
        speed): the exact builder of :func:`sparsity_widgets.tree_builder.build_forest_arrays`,
        which makes the splits scikit-learn makes (same best-split rule, thresholds, leaf rules
        and node values) many times faster and without a normalised copy of ``X``. It differs
        from "sklearn" (scikit-learn's ``RandomForestRegressor``) only in how exact ties
        between features are broken (lowest feature index, where scikit-learn takes its random
        feature order) and in its random stream (bootstrap counts and feature draws come from
        ``numpy.random.Generator(random_state)``), so the same seed gives other
        bootstrap samples than scikit-learn, with the same distribution.
    allow_many_classes : bool, default=False
        Accept 1-D labels with more than ``n_samples / 2`` classes. Without it such labels are
        refused: they are nearly always a real-valued target passed as 1-D (pass it as
        ``y.reshape(-1, 1)``), and their one-hot encoding needs ``8 * n * n_classes`` bytes.

    Attributes
    ----------
    nodes_ : FlatForest
        Every node of every tree in flat arrays, with wavelet norms.
    n_features_in_ : int
    n_outputs_ : int
        Columns of the target (number of classes for labels).
    n_samples_fit_ : int
    classes_ : ndarray or None
        Sorted class labels when ``y`` held labels.
    feature_min_, feature_scale_ : ndarray of float64, shape (n_features,)
        The min-max normalisation ``(x - min) / scale``; constant columns have scale 1.
    estimator_ : sklearn.ensemble.RandomForestRegressor or None
        The fitted scikit-learn forest (on normalised float32 features); None when
        ``builder="numba"`` grew the trees.

    Notes
    -----
    The estimate depends on the sample size: alpha* falls as n grows, so compare estimates
    only at equal n. :meth:`estimate` warns (:class:`SmallSampleWarning`) below
    :data:`MIN_RELIABLE_SAMPLES` = 100 samples, where it is unreliable; ``fit`` refuses data on
    which no tree can split (fewer than ``2 * min_samples_leaf`` samples, or every feature
    column constant).

    Examples
    --------
    >>> from sparsity_widgets import WaveletForest
    >>> from sparsity_widgets.datasets import make_circles
    >>> X, y = make_circles(n_samples=2000, noise=0.05, random_state=0)
    >>> est = WaveletForest(random_state=0).fit(X, y).estimate()
    >>> 0 < est.tau_star < 2
    True
    """

    def __init__(
        self,
        n_trees: int = 3,
        max_depth: int = 15,
        max_features: int | float | str | None = None,
        norm_weight: str = "samples",
        bootstrap: bool = True,
        min_samples_leaf: int = 1,
        random_state: Any = None,
        n_jobs: int | None = None,
        builder: str = "numba",
        allow_many_classes: bool = False,
    ) -> None:
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.max_features = max_features
        self.norm_weight = norm_weight
        self.bootstrap = bootstrap
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.builder = builder
        self.allow_many_classes = allow_many_classes

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        check_int("n_trees", self.n_trees, minimum=1)
        check_int("max_depth", self.max_depth, minimum=1)
        check_int("min_samples_leaf", self.min_samples_leaf, minimum=1)
        check_choice("norm_weight", self.norm_weight, NORM_WEIGHTS)
        check_choice("bootstrap", self.bootstrap, (True, False))
        check_choice("builder", self.builder, BUILDERS)
        check_choice("allow_many_classes", self.allow_many_classes, (True, False))
        sklearn = self.builder == "sklearn"
        check_n_jobs(self.n_jobs, allow_zero=not sklearn)
        check_random_state(self.random_state, max_int=_SKLEARN_MAX_SEED if sklearn else None)
        mf = self.max_features
        if mf is None or mf in ("sqrt", "log2"):
            return
        if isinstance(mf, numbers.Integral) and not isinstance(mf, bool) and mf >= 1:
            return
        if isinstance(mf, numbers.Real) and not isinstance(mf, bool) and 0.0 < mf <= 1.0:
            if not isinstance(mf, numbers.Integral):
                return
        raise ValueError(
            "max_features must be None (all features), 'sqrt', 'log2', an integer >= 1 or a "
            f"fraction in (0, 1]; got {mf!r}."
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this estimator (scikit-learn convention)."""
        names = (
            "n_trees",
            "max_depth",
            "max_features",
            "norm_weight",
            "bootstrap",
            "min_samples_leaf",
            "random_state",
            "n_jobs",
            "builder",
            "allow_many_classes",
        )
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> WaveletForest:
        """Set parameters (scikit-learn convention); unknown names raise ValueError."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"unknown parameter {name!r}; valid parameters: {sorted(valid)}.")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"WaveletForest({args})"

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any) -> WaveletForest:
        """Fit the forest and compute its wavelet decomposition.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
            Features; float32 or float64, any memory order. Min-max normalised per column.
        y : array-like, shape (n_samples,) or (n_samples, n_outputs)
            Class labels (one-hot encoded internally): all numbers or all strings, floats only
            when integer-valued, at most ``n_samples / 2`` classes unless
            ``allow_many_classes``. Or a real target of shape (n_samples, n_outputs): a
            real-valued function is ``y.reshape(-1, 1)``.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For bad parameters or data, each message naming what was expected and received;
            also when no tree could split: fewer than ``2 * min_samples_leaf`` samples, or every
            feature column of X constant.
        """
        self._check_params()
        X = check_features(X)
        n, d = X.shape
        if n < 2 * self.min_samples_leaf:
            raise ValueError(
                f"X has {n} samples, but min_samples_leaf={self.min_samples_leaf} needs at least "
                f"2 * min_samples_leaf = {2 * self.min_samples_leaf} for a tree to split; pass "
                "more samples or lower min_samples_leaf."
            )
        target, classes = check_target(y, n, allow_many_classes=self.allow_many_classes)
        minimum, maximum = _column_extremes(X)  # also rejects NaN and infinite values
        if not (maximum > minimum).any():
            raise ValueError(
                f"every feature column of X is constant (n = {n} samples, d = {d} features): no "
                "split is possible, so the trees are single leaves with no wavelets to measure. "
                "Check that X holds the intended features (a layer of dead units, for example)."
            )
        scale = _column_scale(minimum, maximum)
        random_state = self.random_state
        if self.builder == "numba":
            # the builder reads X itself and normalises on the fly: no float32 copy of X
            arrays = build_forest_arrays(
                X,
                target,
                n_trees=self.n_trees,
                max_depth=self.max_depth,
                max_features=self.max_features,
                min_samples_leaf=self.min_samples_leaf,
                bootstrap=self.bootstrap,
                random_state=random_state,
                n_threads=self.n_jobs,
                feature_min=minimum,
                feature_scale=scale,
                check_finite=False,
            )
            leaves = apply_flat_normalising(
                X,
                minimum,
                scale,
                arrays["tree_offsets"][:-1],
                arrays["left"],
                arrays["right"],
                arrays["feature"],
                arrays["threshold"],
            )
            forest = None
        else:
            if isinstance(random_state, np.random.Generator):
                random_state = int(random_state.integers(0, _SKLEARN_MAX_SEED, endpoint=True))
            X_unit = minmax_normalise(X, minimum, scale)
            forest = RandomForestRegressor(
                n_estimators=self.n_trees,
                max_depth=self.max_depth,
                max_features=1.0 if self.max_features is None else self.max_features,
                bootstrap=self.bootstrap,
                min_samples_leaf=self.min_samples_leaf,
                random_state=random_state,
                n_jobs=self.n_jobs,
            )
            # a single output goes in as a 1-D target, as scikit-learn expects (same trees)
            forest.fit(X_unit, target[:, 0] if target.shape[1] == 1 else target)
            arrays = flatten_sklearn_trees([t.tree_ for t in forest.estimators_], target.shape[1])
            leaves = apply_flat(
                X_unit,
                arrays["tree_offsets"][:-1],
                arrays["left"],
                arrays["right"],
                arrays["feature"],
                arrays["threshold"],
            )
            del X_unit
        self.nodes_: FlatForest = build_flat_forest(arrays, leaves, self.norm_weight)
        self.estimator_ = forest
        self.feature_min_ = minimum
        self.feature_scale_ = scale
        self.n_features_in_ = int(X.shape[1])
        self.n_outputs_ = int(target.shape[1])
        self.n_samples_fit_ = int(X.shape[0])
        self.classes_ = classes
        self._train_leaves = leaves
        self._train_target = target
        self._curves: dict[bytes, SparsityCurve] = {}
        self._order: np.ndarray | None = None
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "nodes_"):
            raise ValueError(
                "this WaveletForest is not fitted yet; call fit(X, y) before using it."
            )

    # ------------------------------------------------------------------ sparsity
    @property
    def wavelet_norms_(self) -> np.ndarray:
        """Norms of every non-root wavelet of every tree, shape (n_wavelets,)."""
        self._check_fitted()
        return self.nodes_.wavelet_norms

    @property
    def n_wavelets_(self) -> int:
        """Number of non-root wavelets (nodes minus trees)."""
        self._check_fitted()
        return self.nodes_.n_wavelets

    def sparsity_curve(self, taus: Any = None) -> SparsityCurve:
        """N_tau (eq. 3.7) on a grid of tau, cached per grid.

        Parameters
        ----------
        taus : array-like, shape (m,), optional
            Grid in (0, 2); the default grid of :func:`default_tau_grid` when omitted.

        Returns
        -------
        SparsityCurve
        """
        self._check_fitted()
        key = b"default" if taus is None else np.asarray(taus, dtype=np.float64).tobytes()
        if key not in self._curves:
            self._curves[key] = sparsity_curve(self.wavelet_norms_, self.nodes_.n_trees, taus)
        return self._curves[key]

    def sparsity(self, taus: Any) -> np.ndarray:
        """N_tau of the forest for every tau, shape (m,) (``inf`` past double precision)."""
        return self.sparsity_curve(taus).sparsity

    def estimate(
        self,
        rule: str = "paper",
        eps_low: float | None = None,
        eps_high: float | None = None,
        taus: Any = None,
    ) -> TauStarEstimate:
        """Estimate tau* and alpha* = 1/tau* - 1/2; never refits.

        Parameters
        ----------
        rule : {"paper", "public-code"}
            The paper's rule (radians) or the public code's (degrees, epsilon sweep).
        eps_low, eps_high : float, optional
            Window parameters (default 0.1 and 0.4 in the rule's unit).
        taus : array-like, optional
            Grid of tau; see :meth:`sparsity_curve`.

        Returns
        -------
        TauStarEstimate

        Warns
        -----
        SmallSampleWarning
            When the forest was fitted on fewer than :data:`MIN_RELIABLE_SAMPLES` (100)
            samples: the estimate is then unreliable, and at any n it is comparable only with
            estimates at the same n.
        """
        curve = self.sparsity_curve(taus)
        if self.n_samples_fit_ < MIN_RELIABLE_SAMPLES:
            warnings.warn(
                f"alpha* from n = {self.n_samples_fit_} samples is unreliable: below "
                f"MIN_RELIABLE_SAMPLES = {MIN_RELIABLE_SAMPLES} samples the estimate reflects the "
                "sample size more than the labels (at n = 20 it cannot tell a labelled set from "
                "the same points with shuffled labels), and alpha* falls as n grows, so it is "
                f"comparable only at equal n. Fit on at least {MIN_RELIABLE_SAMPLES} samples.",
                SmallSampleWarning,
                stacklevel=2,
            )
        return estimate_tau_star(curve, rule, eps_low, eps_high)

    # ------------------------------------------------------------------ prediction
    def _check_new_features(self, X: Any) -> np.ndarray:
        self._check_fitted()
        X = check_features(X, min_samples=1)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features but the forest was fitted on {self.n_features_in_}."
            )
        return X

    def transform(self, X: Any) -> np.ndarray:
        """Normalise new features with the fitted min-max map, shape (n, n_features), float32."""
        X = self._check_new_features(X)
        return minmax_normalise(X, self.feature_min_, self.feature_scale_)

    def apply(self, X: Any) -> np.ndarray:
        """Global index of the leaf each sample reaches in each tree, shape (n, n_trees).

        Only the compared values are normalised: no normalised copy of ``X`` is made.
        """
        X = self._check_new_features(X)
        check_finite_rows(X)
        nodes = self.nodes_
        return apply_flat_normalising(
            X,
            self.feature_min_,
            self.feature_scale_,
            nodes.roots,
            nodes.left,
            nodes.right,
            nodes.feature,
            nodes.threshold,
        )

    def _kept_mask(self, n_terms: int | None) -> np.ndarray:
        nodes = self.nodes_
        kept = np.ones(nodes.n_nodes, dtype=bool)
        if n_terms is not None:
            n_terms = check_int("n_terms", n_terms, minimum=0)
            kept[:] = False
            kept[self._wavelet_order()[:n_terms]] = True
        return kept

    def _wavelet_order(self) -> np.ndarray:
        """Non-root nodes sorted by decreasing norm (stable), shape (n_wavelets,)."""
        if self._order is None:
            nodes = self.nodes_
            candidates = np.flatnonzero(nodes.parent >= 0)
            self._order = candidates[np.argsort(-nodes.norm[candidates], kind="stable")]
        return self._order

    def predict(self, X: Any, n_terms: int | None = None) -> np.ndarray:
        """Forest prediction rebuilt from its wavelets (eq. 3.4).

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        n_terms : int, optional
            Keep only the ``n_terms`` wavelets of largest norm (plus the father wavelets);
            all of them when omitted, which reproduces the forest's prediction.

        Returns
        -------
        ndarray of float64, shape (n_samples, n_outputs)
        """
        self._check_fitted()
        leaves = self.apply(X)
        nodes = self.nodes_
        return mterm_predict(
            leaves, nodes.roots, nodes.parent, nodes.mean, self._kept_mask(n_terms)
        )

    def mterm_curve(self, X: Any = None, y: Any = None) -> MTermCurve:
        """Error of the M-term approximation for every M, on the training set or on (X, y).

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features), optional
            Evaluation features; the training set when omitted (then ``y`` must be omitted too).
        y : array-like, optional
            Evaluation labels or target, encoded like the training target.

        Returns
        -------
        MTermCurve
        """
        self._check_fitted()
        if (X is None) != (y is None):
            raise ValueError(
                "pass both X and y to evaluate on new data, or neither for the training set."
            )
        if X is None:
            leaves, target = self._train_leaves, self._train_target
        else:
            leaves = self.apply(X)
            target = self._encode_target(y, leaves.shape[0])
        nodes = self.nodes_
        order = self._wavelet_order()
        ptr, samples = node_sample_lists(leaves, nodes.parent)
        residual = target - nodes.mean[nodes.roots].mean(axis=0)
        sse = mterm_error_curve(
            order, ptr, samples, nodes.parent, nodes.mean, residual, nodes.n_trees
        )
        error = np.sqrt(np.maximum(sse, 0.0) / target.shape[0])
        return MTermCurve(
            n_terms=np.arange(order.shape[0] + 1, dtype=np.int64),
            error=error,
            added_norms=nodes.norm[order],
            n_samples=int(target.shape[0]),
        )

    def _encode_target(self, y: Any, n_samples: int) -> np.ndarray:
        if self.classes_ is None:
            target, _ = check_target(y, n_samples)
            if target.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"y has {target.shape[1]} output columns but the forest was fitted on "
                    f"{self.n_outputs_}."
                )
            return target
        labels = np.asarray(y)
        if labels.ndim != 1 or labels.shape[0] != n_samples:
            raise ValueError(
                f"y must be 1-D labels with {n_samples} entries; got shape {labels.shape}."
            )
        codes = np.searchsorted(self.classes_, labels)
        codes = np.minimum(codes, self.classes_.shape[0] - 1)
        unknown = self.classes_[codes] != labels
        if unknown.any():
            raise ValueError(
                f"y contains labels not seen in fit, e.g. {labels[unknown][0]!r}; known classes: "
                f"{self.classes_.tolist()}."
            )
        target = np.zeros((n_samples, self.n_outputs_))
        target[np.arange(n_samples), codes] = 1.0
        return target
