"""Entry point: every collapse and nearest-class-center metric of one layer in two passes.

Pass 1 accumulates the class moments (:class:`~.moments.ClassMoments`); pass 2 reads the rows
again in float64 chunks for NC1 (:class:`~.variability.NC1Accumulator`), the nearest-class-center
(NCC) predictions and, when ``W`` is given, the classifier's predictions. Nothing of size D x D or
N x D beyond the input is formed.

Which predictions count as "the network's"
------------------------------------------
Per split (train, test), in this order: the ``predictions`` / ``predictions_test`` given; else
``argmax(H W^T + b)`` when ``W`` is given (``b`` defaults to 0; computed in float64, so a
sample on a float32 decision boundary may differ from the network's own output -- pass the
predictions to avoid that); else none, and the metrics that need them (NC4 and Lambda) are None.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import (
    check_class_indices,
    check_classifier,
    check_layer_features,
    infer_n_classes,
)
from .geometry import ClassGeometry
from .measures import cdnv, equiangularity, equinorm_cv, etf_error, self_duality
from .moments import ClassMoments, chunk_rows
from .plane import ClassPlane
from .result import CollapseMetrics
from .variability import NC1Accumulator

__all__ = ["collapse_metrics", "metrics_from_passes"]


def _predict(
    H: np.ndarray,
    geometry: ClassGeometry,
    W: np.ndarray | None,
    b: np.ndarray | None,
    *,
    nc1: NC1Accumulator | None = None,
    y: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """NCC predictions and (with ``W``) classifier predictions of every row of ``H``; adds the
    rows to ``nc1`` on the way when given. Returns int64 arrays of shape (n_samples,)."""
    n = H.shape[0]
    ncc = np.empty(n, dtype=np.int64)
    classifier = None if W is None else np.empty(n, dtype=np.int64)
    step = chunk_rows(H.shape[1])
    for start in range(0, n, step):
        block = H[start : start + step].astype(np.float64)  # a copy: centred in place below
        if classifier is not None:
            logits = block @ W.T
            if b is not None:
                logits += b
            classifier[start : start + step] = np.argmax(logits, axis=1)
        ncc[start : start + step], projected = geometry._pass_chunk(block)
        if nc1 is not None:
            nc1._add_projected(projected, y[start : start + step])
    return ncc, classifier


def _fraction(mask: np.ndarray) -> float:
    return float(np.count_nonzero(mask)) / mask.size


def collapse_metrics(
    H: Any,
    y: Any,
    *,
    n_classes: int | None = None,
    predictions: Any = None,
    W: Any = None,
    b: Any = None,
    H_test: Any = None,
    y_test: Any = None,
    predictions_test: Any = None,
) -> CollapseMetrics:
    """Neural collapse (NC1-NC4, CDNV) and NCC mismatch of one layer.

    Parameters
    ----------
    H : array-like, shape (n_samples, n_features)
        Training features of the layer (float32 or float64; accumulated in float64). N >= K;
        D > N is fine.
    y : array-like of int, shape (n_samples,)
        Training class indices 0..K-1. Every class needs at least one sample (its mean is a
        nearest class center); a class with one sample has variance 0.
    n_classes : int, optional
        K. Default: the rows of ``W`` if given, else ``max(y) + 1``.
    predictions : array-like of int, shape (n_samples,), optional
        The network's predicted classes on the training samples.
    W : array-like, shape (n_classes, n_features), optional
        The last linear layer acting on these features: NC3, and the predictions where none
        are given (see the module notes).
    b : array-like, shape (n_classes,), optional
        Its bias (only with ``W``).
    H_test : array-like, shape (n_test, n_features), optional
        Test features of the same layer; the NCC uses the *training* class means.
    y_test : array-like of int, shape (n_test,), optional
        Test class indices (needs ``H_test``); classes may be absent from the test set.
    predictions_test : array-like of int, shape (n_test,), optional
        The network's predictions on the test samples (needs ``H_test``).

    Returns
    -------
    CollapseMetrics
        ``nc3`` is None without ``W``; ``nc4`` and ``ncc_mismatch_train`` are None without
        train predictions (given or from ``W``); ``ncc_mismatch_test`` is None without test
        predictions; ``ncc_accuracy_test`` is None without ``y_test``. ``nc4`` is the agreement
        ``1 - ncc_mismatch_train``.

    Raises
    ------
    ValueError
        With the parameter, what was expected and what was received: fewer than two classes,
        K > N, class indices out of range or not integers, a class with no training sample,
        NaN or inf in any features, length or width mismatches, ``b`` without ``W``, test
        labels or predictions without ``H_test``, coinciding class means (rank 0), and a class
        mean exactly equal to the mean of the class means (its angle is undefined).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.arange(3), 50)
    >>> H = 10 * np.eye(3)[y] + 0.1 * rng.standard_normal((150, 3))
    >>> m = collapse_metrics(H, y, predictions=y)
    >>> m.nc4, m.ncc_accuracy_train, m.nc1 < 1e-3
    (1.0, 1.0, True)
    """
    H = check_layer_features(H)
    n_samples, n_features = H.shape
    y = check_class_indices(y, n_samples, n_classes=None)
    K = infer_n_classes(n_classes, y, W)
    if K > n_samples:
        raise ValueError(
            f"n_classes = {K} exceeds the number of training samples in H ({n_samples}): "
            "every class needs at least one sample for its class mean. Pass more samples or "
            "the right n_classes."
        )
    y = check_class_indices(y, n_samples, n_classes=K)
    W, b = check_classifier(W, b, K, n_features)
    if predictions is not None:
        predictions = check_class_indices(predictions, n_samples, n_classes=K, name="predictions")
    if H_test is None:
        for name, value in (("y_test", y_test), ("predictions_test", predictions_test)):
            if value is not None:
                raise ValueError(
                    f"{name} was given without H_test; pass the test features H_test of the "
                    f"same layer as well, or drop {name}."
                )
    else:
        H_test = check_layer_features(H_test, name="H_test", n_features=n_features)
        n_test = H_test.shape[0]
        if y_test is not None:
            y_test = check_class_indices(
                y_test, n_test, n_classes=K, name="y_test", rows_of="H_test"
            )
        if predictions_test is not None:
            predictions_test = check_class_indices(
                predictions_test, n_test, n_classes=K, name="predictions_test", rows_of="H_test"
            )

    geometry = ClassGeometry.from_moments(ClassMoments(K)._update_checked(H, y))
    accumulator = NC1Accumulator(geometry)
    ncc, from_w = _predict(
        H, geometry, None if predictions is not None else W, b, nc1=accumulator, y=y
    )
    if predictions is None:
        predictions = from_w
    mismatch = None if predictions is None else _fraction(predictions != ncc)

    test: dict[str, Any] = {}
    if H_test is not None:
        ncc_t, from_w_t = _predict(H_test, geometry, None if predictions_test is not None else W, b)
        if predictions_test is None:
            predictions_test = from_w_t
        test = {
            "n_test_samples": H_test.shape[0],
            "ncc_mismatch_test": None
            if predictions_test is None
            else _fraction(predictions_test != ncc_t),
            "ncc_accuracy_test": None if y_test is None else _fraction(ncc_t == y_test),
        }

    return metrics_from_passes(
        geometry,
        nc1=accumulator.value(),
        plane=accumulator.plane(),
        n_samples=n_samples,
        ncc_accuracy_train=_fraction(ncc == y),
        ncc_mismatch_train=mismatch,
        W=W,
        **test,
    )


def metrics_from_passes(
    geometry: ClassGeometry,
    *,
    nc1: float,
    n_samples: int,
    plane: ClassPlane | None = None,
    ncc_accuracy_train: float,
    ncc_mismatch_train: float | None,
    W: np.ndarray | None = None,
    n_test_samples: int | None = None,
    ncc_mismatch_test: float | None = None,
    ncc_accuracy_test: float | None = None,
) -> CollapseMetrics:
    """Assemble a layer's :class:`CollapseMetrics` from what the two streaming passes gave.

    :func:`collapse_metrics` calls it on arrays; a caller that streams a network's layers
    (``sparsity_widgets.probe.probe_collapse``) calls it with its own counts, so the
    definitions of the geometric metrics live in one place.

    Parameters
    ----------
    geometry : ClassGeometry
        From the first pass's :class:`~.moments.ClassMoments`.
    nc1 : float
        :meth:`NC1Accumulator.value` of the second pass.
    n_samples : int
        Training samples N.
    plane : ClassPlane, optional
        :meth:`NC1Accumulator.plane` of the second pass (the picture of the classes).
    ncc_accuracy_train : float
        Fraction of training samples whose nearest class mean is their label's.
    ncc_mismatch_train : float or None
        Lambda on train (None without the network's predictions); NC4 is ``1 - Lambda``.
    W : ndarray, shape (n_classes, n_features), optional
        The classifier acting on these features (NC3).
    n_test_samples, ncc_mismatch_test, ncc_accuracy_test : optional
        The test split's count, Lambda and NCC accuracy (None when not measured).

    Returns
    -------
    CollapseMetrics
    """
    return CollapseMetrics(
        n_samples=n_samples,
        n_features=geometry.n_features,
        n_classes=geometry.n_classes,
        rank=geometry.rank,
        nc1=nc1,
        cdnv=cdnv(geometry.means, geometry.variances),
        etf_error=etf_error(geometry.centred),
        equinorm_cv=equinorm_cv(geometry.centred),
        equiangularity=equiangularity(geometry.centred),
        ncc_accuracy_train=ncc_accuracy_train,
        nc3=None if W is None else self_duality(W, geometry.centred),
        nc4=None if ncc_mismatch_train is None else 1.0 - ncc_mismatch_train,
        ncc_mismatch_train=ncc_mismatch_train,
        n_test_samples=n_test_samples,
        ncc_mismatch_test=ncc_mismatch_test,
        ncc_accuracy_test=ncc_accuracy_test,
        plane=plane,
    )
