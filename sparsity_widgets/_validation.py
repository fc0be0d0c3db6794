"""Input checks shared by the estimator, the result objects and the command line.

Every message names the parameter, what was expected and what was received, and where it
can, what to do instead.
"""

from __future__ import annotations

import difflib
import numbers
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "check_choice",
    "check_features",
    "check_finite_rows",
    "check_int",
    "check_n_jobs",
    "check_random_state",
    "check_real",
    "check_target",
    "reject_nonfinite_block",
    "reject_sparse",
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


def check_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as int if it is an integer in ``[minimum, maximum]`` (either bound
    optional); bools are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be an integer; got {value!r} of type {type(value).__name__}."
        )
    too_low = minimum is not None and value < minimum
    too_high = maximum is not None and value > maximum
    if too_low or too_high:
        if maximum is None:
            expected = f"an integer >= {minimum}"
        elif minimum is None:
            expected = f"an integer <= {maximum}"
        else:
            expected = f"an integer in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be {expected}; got {value}.")
    return int(value)


def check_n_jobs(value: Any, *, allow_zero: bool = True, name: str = "n_jobs") -> int | None:
    """Return ``value`` if it is None or an integer (zero only when ``allow_zero``).

    What the number means (threads, processes, negative counts from the end) is the caller's;
    this checks only the type, which the libraries underneath report in their own words.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be None or an integer (a number of parallel jobs); got {value!r} of "
            f"type {type(value).__name__}."
        )
    if value == 0 and not allow_zero:
        raise ValueError(
            f"{name} must be None (one job), a positive integer or a negative one (-1: all "
            "cores); got 0, which means nothing here."
        )
    return int(value)


def check_random_state(
    value: Any, *, max_int: int | None = None, name: str = "random_state"
) -> Any:
    """Return ``value`` if it is None, an integer seed in ``[0, max_int]``, a numpy Generator
    or a numpy RandomState; raise a ValueError naming all of them otherwise.

    Parameters
    ----------
    value : object
        The seed to check.
    max_int : int, optional
        Largest integer seed allowed (scikit-learn takes seeds below 2**32); none by default.

    Returns
    -------
    object
        ``value`` itself (integers as a Python int).
    """
    if value is None or isinstance(value, np.random.Generator | np.random.RandomState):
        return value
    seeds = "an integer >= 0" if max_int is None else f"an integer in [0, {max_int}]"
    expected = f"None, {seeds}, a numpy Generator or a numpy RandomState"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be {expected}; got {value!r} of type {type(value).__name__}."
        )
    if value < 0 or (max_int is not None and value > max_int):
        raise ValueError(f"{name} must be {expected}; got {value}.")
    return int(value)


def _size_text(n_bytes: float) -> str:
    """``n_bytes`` in the largest binary unit that keeps the number >= 1 (B, KB, MB, GB, TB)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024:
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.3g} TB"


def reject_sparse(value: Any, *, name: str = "X") -> None:
    """Refuse a scipy sparse matrix or array with a message that says how to densify it.

    scipy is not imported here: when ``scipy.sparse`` was never imported, ``value`` cannot be
    one of its matrices.
    """
    sparse = sys.modules.get("scipy.sparse")
    if sparse is None or not sparse.issparse(value):
        return
    shape = getattr(value, "shape", None)
    size = ""
    if shape is not None and len(shape) == 2:
        nbytes = _size_text(8 * shape[0] * shape[1])
        size = f" (a dense {shape[0]} x {shape[1]} float64 array takes {nbytes})"
    raise ValueError(
        f"{name} is a scipy sparse {type(value).__name__}, which is not supported: the forest "
        f"needs a dense array; convert with {name}.toarray(){size}."
    )


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

    Raises
    ------
    ValueError
        For a scipy sparse matrix (densify it with ``X.toarray()``), anything that is not a 2-D
        real array, fewer than ``min_samples`` rows or no column.
    """
    reject_sparse(X, name=name)
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


MAX_CLASS_FRACTION = 0.5
"""More classes than ``MAX_CLASS_FRACTION * n_samples`` are refused by :func:`check_target` unless
``allow_many_classes``: such "labels" are almost always a real-valued target passed as 1-D, whose
one-hot encoding takes O(n^2) memory and leaves about one sample per class."""


def _uniform_labels(y: Any, arr: np.ndarray, name: str) -> np.ndarray:
    """``arr`` (``np.asarray(y)``, 1-D) as numbers or as strings, never a mixture.

    A list mixing numbers and strings becomes an array of strings under ``np.asarray`` (``0``
    turns into ``'0'``), and an object array of both cannot be sorted: both are refused.
    """
    if arr.dtype.kind not in "OUS" or (arr.dtype.kind in "US" and isinstance(y, np.ndarray)):
        return arr
    values = arr if arr.dtype.kind == "O" else np.asarray(y, dtype=object)
    kinds: dict[str, set[str]] = {"numbers": set(), "strings": set(), "other": set()}
    for cls in set(map(type, values)):
        if issubclass(cls, str | bytes | np.str_ | np.bytes_):
            kinds["strings"].add(cls.__name__)
        elif issubclass(cls, numbers.Number | np.bool_) and not issubclass(cls, complex):
            kinds["numbers"].add(cls.__name__)
        else:
            kinds["other"].add(cls.__name__)
    found = sorted(kinds["numbers"] | kinds["strings"] | kinds["other"])
    if kinds["other"] or (kinds["numbers"] and kinds["strings"]):
        raise ValueError(
            f"{name} must hold labels that are all numbers or all strings; got a mix of types "
            f"{', '.join(found)}. Convert them to one kind first, e.g. "
            f"np.asarray({name}, dtype=str)."
        )
    if kinds["numbers"]:
        return np.asarray(values.tolist())
    return arr


def check_target(
    y: Any, n_samples: int, *, name: str = "y", allow_many_classes: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Turn class labels into one-hot vectors, or validate a real multi-output target.

    Parameters
    ----------
    y : array-like, shape (n_samples,) or (n_samples, n_outputs)
        One-dimensional: class labels, one-hot encoded in sorted order. They must be all numbers
        or all strings; float labels must be integer-valued (``1.0``, not ``0.37``).
        Two-dimensional: a real target used as it is (a real-valued function is ``(n, 1)``).
    n_samples : int
        Number of rows the target must have.
    allow_many_classes : bool, default=False
        Accept labels with more than ``MAX_CLASS_FRACTION * n_samples`` classes.

    Returns
    -------
    target : ndarray of float64, shape (n_samples, n_outputs)
    classes : ndarray of shape (n_classes,) or None
        The sorted class labels when ``y`` held labels, else None.

    Raises
    ------
    ValueError
        Besides wrong shapes and non-finite values: labels mixing numbers and strings, 1-D
        floats that are not integers (pass a real target as ``y.reshape(-1, 1)``), fewer than
        two classes, and more than ``n_samples / 2`` classes without ``allow_many_classes``.
    """
    reject_sparse(y, name=name)
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
    arr = _uniform_labels(y, arr, name)
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinite labels; every sample needs a class.")
        fractional = np.flatnonzero(arr != np.round(arr))
        if fractional.size:
            i = int(fractional[0])
            raise ValueError(
                f"a 1-D {name} holds class labels, but this float {name} has values that are not "
                f"integers (e.g. {arr[i].item()!r} at index {i}; {fractional.size} of "
                f"{arr.shape[0]} are "
                f"fractional). For a real-valued function pass an (n, 1) target: "
                f"{name}.reshape(-1, 1)."
            )
    elif arr.dtype.kind == "c":
        raise ValueError(f"{name} must hold real labels or strings; got dtype {arr.dtype}.")
    classes, codes = np.unique(arr, return_inverse=True)
    n_classes = classes.shape[0]
    if n_classes < 2:
        raise ValueError(
            f"{name} must contain at least two classes to measure separability; got only "
            f"{classes.tolist()!r}."
        )
    if not allow_many_classes and n_classes > MAX_CLASS_FRACTION * n_samples:
        raise ValueError(
            f"{name} has {n_classes} classes for n = {n_samples} samples, more than the bound "
            f"n / 2 = {MAX_CLASS_FRACTION * n_samples:g}; one-hot encoding would make a "
            f"{n_samples} x {n_classes} target ({_size_text(8 * n_samples * n_classes)}) with "
            "about one sample per class. "
            f"If {name} holds a real-valued function, pass it as an (n, 1) target: "
            f"{name}.reshape(-1, 1); if these really are class labels, pass "
            "allow_many_classes=True."
        )
    target = np.zeros((n_samples, n_classes), dtype=np.float64)
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
