"""Input checks for the neural-collapse metrics: features, class indices, classifiers.

Every message names the parameter, what was expected, what was received and what to do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_features, check_finite_rows, check_int

__all__ = [
    "check_class_indices",
    "check_classifier",
    "check_layer_features",
    "infer_n_classes",
    "require_every_class",
]


def check_layer_features(
    H: Any, *, name: str = "H", n_features: int | None = None, finite: bool = True
) -> np.ndarray:
    """Validate a layer's features without copying float32/float64 arrays.

    Parameters
    ----------
    H : array-like, shape (n_samples, n_features)
        Real features, one row per sample (at least one row).
    name : str
        How messages name ``H``.
    n_features : int, optional
        Required number of columns (the training layer's width, for test features).
    finite : bool, default=True
        Refuse NaN and infinite values (checked in row chunks, no full-size temporary).

    Returns
    -------
    ndarray of float32 or float64, shape (n_samples, n_features)
    """
    arr = check_features(H, name=name, min_samples=1)
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} must have the same number of features as the training layer H "
            f"({n_features}); got {arr.shape[1]} (shape {arr.shape}). Pass features of the "
            "same layer."
        )
    if finite:
        check_finite_rows(arr, name=name)
    return arr


def check_class_indices(
    y: Any, n_samples: int, *, n_classes: int | None, name: str = "y", rows_of: str = "H"
) -> np.ndarray:
    """Validate integer class indices, one per row of a feature matrix.

    Parameters
    ----------
    y : array-like of int, shape (n_samples,)
        Class indices in ``[0, n_classes - 1]``.
    n_samples : int
        Number of rows of the features ``y`` labels.
    n_classes : int or None
        Number of classes; None checks only that the indices are >= 0.
    name, rows_of : str
        How messages name the indices and their feature matrix.

    Returns
    -------
    ndarray of int64, shape (n_samples,)
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D with one class index per row of {rows_of}; got shape "
            f"{arr.shape}. Pass class indices, not one-hot vectors or scores (e.g. "
            f"{name}.argmax(axis=1))."
        )
    if arr.shape[0] != n_samples:
        raise ValueError(
            f"{name} must have one class index per row of {rows_of}: {rows_of} has "
            f"{n_samples} rows but {name} has {arr.shape[0]}."
        )
    if arr.dtype.kind not in "iu":
        raise ValueError(
            f"{name} must hold integer class indices 0..K-1; got an array of dtype "
            f"{arr.dtype}. Map other labels to indices first, e.g. "
            f"np.unique({name}, return_inverse=True)[1]."
        )
    arr = arr.astype(np.int64, copy=False)
    if arr.size:
        low = int(arr.min())
        high = int(arr.max())
        if low < 0 or (n_classes is not None and high >= n_classes):
            outside = arr < 0 if n_classes is None else (arr < 0) | (arr >= n_classes)
            bad = int(np.flatnonzero(outside)[0])
            bounds = f"[0, {n_classes - 1}] (n_classes = {n_classes})" if n_classes else ">= 0"
            raise ValueError(
                f"{name} must hold class indices {bounds}; got {int(arr[bad])} at index {bad}."
            )
    return arr


def infer_n_classes(n_classes: Any, y: np.ndarray, W: Any) -> int:
    """The number of classes: ``n_classes`` if given, else ``W``'s rows, else ``max(y) + 1``.

    Raises a ValueError for fewer than two classes.
    """
    if n_classes is not None:
        value = check_int("n_classes", n_classes, minimum=1)
        source = f"n_classes = {value}"
    elif W is not None and np.ndim(W) == 2:
        value = int(np.shape(W)[0])
        source = f"W has {value} row(s)"
    else:
        value = int(y.max()) + 1 if y.size else 0
        source = f"the largest class index in y is {value - 1}"
    if value < 2:
        raise ValueError(
            f"the neural-collapse metrics need at least two classes; got K = {value} "
            f"({source}). Between-class quantities (Sigma_B, the class-mean geometry, the "
            "nearest class center) mean nothing for one class."
        )
    return value


def require_every_class(counts: np.ndarray, *, name: str = "y") -> None:
    """Raise when a class has no training sample (the class means need all of them).

    Parameters
    ----------
    counts : ndarray of int, shape (n_classes,)
        Training samples per class.
    """
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        shown = ", ".join(str(int(c)) for c in empty[:10]) + (", ..." if empty.size > 10 else "")
        raise ValueError(
            f"{name} has no sample of class(es) {shown} among K = {counts.size} classes: NC1 "
            "and the nearest class centers need the train mean of every class. Pass "
            "n_classes equal to the number of classes present and relabel them 0..K-1, or "
            "add samples of the missing classes."
        )


def check_classifier(
    W: Any, b: Any, n_classes: int, n_features: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Validate a linear classifier ``x -> W x + b`` on the layer's features.

    Parameters
    ----------
    W : array-like, shape (n_classes, n_features), or None
    b : array-like, shape (n_classes,), or None
        Only allowed with ``W``.

    Returns
    -------
    (W, b) : float64 arrays or None
    """
    if W is None:
        if b is not None:
            raise ValueError(
                "b (the classifier's bias) was given without W; pass W as well, or drop b."
            )
        return None, None
    W_arr = np.asarray(W)
    if W_arr.dtype.kind not in "fiu" or W_arr.shape != (n_classes, n_features):
        raise ValueError(
            f"W must be a real (n_classes, n_features) = ({n_classes}, {n_features}) array, "
            f"the last linear layer acting on these features; got shape {W_arr.shape} and "
            f"dtype {W_arr.dtype}. W only makes sense for the layer that feeds the classifier."
        )
    W_arr = W_arr.astype(np.float64)
    if not np.isfinite(W_arr).all():
        raise ValueError("W contains NaN or infinite values; pass the trained weights.")
    if not np.any(W_arr):
        raise ValueError("W is all zeros; self-duality (NC3) needs a nonzero classifier.")
    if b is None:
        return W_arr, None
    b_arr = np.asarray(b)
    if b_arr.dtype.kind not in "fiu" or b_arr.shape != (n_classes,):
        raise ValueError(
            f"b must be a real array of shape (n_classes,) = ({n_classes},); got shape "
            f"{b_arr.shape} and dtype {b_arr.dtype}."
        )
    b_arr = b_arr.astype(np.float64)
    if not np.isfinite(b_arr).all():
        raise ValueError("b contains NaN or infinite values; pass the trained bias.")
    return W_arr, b_arr
