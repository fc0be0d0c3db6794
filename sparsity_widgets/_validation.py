"""Input checks shared by the estimator, the result objects and the command line.

Every message names the parameter, what was expected and what was received, and where it
can, what to do instead.
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "check_choice",
    "check_features",
    "check_finite_rows",
    "check_int",
    "check_real",
    "check_target",
    "reject_nonfinite_block",
]

FINITE_CHECK_ROWS = 4096
"""Rows checked at a time by :func:`check_finite_rows` (a few MB of temporaries)."""


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise a ValueError naming both."""
    allowed = tuple(allowed)
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        hint = ""
        if isinstance(value, str):
            words = [a for a in allowed if isinstance(a, str)]
            close = difflib.get_close_matches(value, words, n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{name} must be one of {options}; got {value!r}.{hint}")
    return value


def check_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    """Return ``value`` as int if it is an integer no smaller than ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be an integer; got {value!r} of type {type(value).__name__}."
        )
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}.")
    return int(value)


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as float if it is a finite real number inside the given interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number; got {value!r}.")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must lie in {left}{lo}, {hi}{right}; got {value:g}.")
    return value


def check_features(X: Any, *, name: str = "X", min_samples: int = 2) -> np.ndarray:
    """Validate a feature matrix without copying it when it is already a float array.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        Real features, any memory order.

    Returns
    -------
    ndarray of float32 or float64, shape (n_samples, n_features)
        ``X`` itself when it is float32/float64, else a float64 copy.
    """
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(
            f"{name} must be a 2-D array of real numbers; could not convert: {exc}"
        ) from None
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{name} must hold real numbers; got an array of dtype {arr.dtype}.")
    if arr.ndim != 2:
        hint = " Reshape a single feature with X.reshape(-1, 1)." if arr.ndim == 1 else ""
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features); got shape {arr.shape}.{hint}"
        )
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} must have at least {min_samples} samples; got {arr.shape[0]}.")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one feature; got shape {arr.shape}.")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    return arr


def check_target(
    y: Any, n_samples: int, *, name: str = "y"
) -> tuple[np.ndarray, np.ndarray | None]:
    """Turn class labels into one-hot vectors, or validate a real multi-output target.

    Parameters
    ----------
    y : array-like, shape (n_samples,) or (n_samples, n_outputs)
        One-dimensional: class labels (any sortable values), one-hot encoded in sorted order.
        Two-dimensional: a real target used as it is.
    n_samples : int
        Number of rows the target must have.

    Returns
    -------
    target : ndarray of float64, shape (n_samples, n_outputs)
    classes : ndarray of shape (n_classes,) or None
        The sorted class labels when ``y`` held labels, else None.
    """
    arr = np.asarray(y)
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D class labels (n_samples,) or a 2-D real target "
            f"(n_samples, n_outputs); got shape {arr.shape}."
        )
    if arr.shape[0] != n_samples:
        raise ValueError(
            f"{name} must have one row per sample: X has {n_samples} samples but {name} has "
            f"{arr.shape[0]}."
        )
    if arr.ndim == 2:
        if arr.dtype.kind not in "fiub":
            raise ValueError(f"a 2-D {name} must hold real numbers; got dtype {arr.dtype}.")
        target = arr.astype(np.float64)
        if not np.isfinite(target).all():
            raise ValueError(f"{name} contains NaN or infinite values; remove or impute them.")
        if target.shape[1] < 1:
            raise ValueError(f"{name} must have at least one output column; got {arr.shape}.")
        return target, None
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite labels; every sample needs a class.")
    classes, codes = np.unique(arr, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            f"{name} must contain at least two classes to measure separability; got only "
            f"{classes.tolist()!r}."
        )
    target = np.zeros((n_samples, classes.shape[0]), dtype=np.float64)
    target[np.arange(n_samples), codes.ravel()] = 1.0
    return target, classes


def reject_nonfinite_block(block: np.ndarray, start: int, *, name: str = "X") -> None:
    """Raise a ValueError naming the first row of ``block`` (row ``start`` of the whole array)
    that holds a NaN or an infinite value; do nothing when every value is finite."""
    if not np.isfinite(block).all():
        row = start + int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
        raise ValueError(
            f"{name} contains NaN or infinite values (first in row {row}); remove or impute "
            "them before scoring."
        )


def check_finite_rows(X: np.ndarray, *, name: str = "X") -> None:
    """Reject NaN and infinite values, row chunk by row chunk (no full-size temporary)."""
    for start in range(0, X.shape[0], FINITE_CHECK_ROWS):
        reject_nonfinite_block(X[start : start + FINITE_CHECK_ROWS], start, name=name)
