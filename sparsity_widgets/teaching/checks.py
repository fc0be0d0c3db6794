"""Answer checks for the book's exercises: say what is off without giving the answer.

The check cells of the book (tag ``exercise-check``) call these after the student's (or the
reference) code has defined a name:

- :func:`check_value` for a *seeded* computation: the answer is reproducible, so it is
  compared exactly (or within a tolerance the check cell states, for floating-point work
  whose last digits depend on the platform);
- :func:`check_range` for a *random* experiment: the answer varies from seed to seed, so it
  is compared with a reference range measured over seeds (``source`` records where the range
  comes from; it is kept on the error, never printed);
- :func:`check_true` for a property (a sign, a monotone curve, an inequality).

A wrong answer raises :class:`AnswerError`, an ``AssertionError`` whose message names the
variable and what is off (still the stub's ``...``, wrong type, wrong shape, not finite, too
high, too low, differs from the seeded computation) and never prints the expected value or
the reference range. A right answer prints one short line. A mistake in the check itself
(``low > high``, a negative tolerance, an empty ``source`` or ``hint``) is a ``ValueError``
naming the parameter, so that the author of the check cell, not the student, is told.

Only numpy is needed: the checks run in a bare kernel.

Examples
--------
>>> check_value("n_cells", 16, 16)
n_cells: correct (matches the seeded computation).
>>> try:
...     check_value("n_cells", 15, 16)
... except AnswerError as exc:
...     print(exc)
n_cells: 15 is lower than the seeded computation gives; check your computation.
>>> check_range("alpha", 0.93, 0.8, 1.1, source="seeds 0-9")
alpha: within the reference range measured over seeds.
"""

from __future__ import annotations

import contextlib
import io
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["AnswerError", "check_range", "check_true", "check_value"]

_MAX_SHOWN = 60
"""Longest text of a student's value that a message repeats (longer ones are not shown)."""


class AnswerError(AssertionError):
    """A student's answer is wrong; the message says what is off, not what is right.

    Attributes
    ----------
    name : str
        The variable the check is about.
    source : str or None
        For :func:`check_range`, where the reference range comes from (not in the message).
    """

    def __init__(self, name: str, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.source = source


# --- argument checks (mistakes of the check cell's author: ValueError) -------------------


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(
            f"name must be a non-empty string naming the checked variable; got {name!r}."
        )
    return name


def _check_text(parameter: str, value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{parameter} must be a non-empty string ({what}); got {value!r}.")
    return value


def _check_tolerance(parameter: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{parameter} must be a number >= 0; got {value!r}.")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{parameter} must be a finite number >= 0; got {value!r}.")
    return value


def _check_bound(parameter: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(
            f"{parameter} must be a number (-inf/inf for an open side); got {value!r}."
        )
    return float(value)


# --- describing a student's value ----------------------------------------------------------


def _is_placeholder(value: Any) -> bool:
    return value is Ellipsis or value is None or value is NotImplemented


def _shown(value: Any) -> str:
    """The student's own value, short enough for a message, or '' when too long."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return f" {text}" if len(text) <= _MAX_SHOWN else ""


def _type_name(value: Any) -> str:
    return type(value).__name__


def _placeholder_error(name: str, value: Any) -> AnswerError:
    shown = "..." if value is Ellipsis else repr(value)
    return AnswerError(
        name,
        f"{name} is still {shown}, the placeholder: replace it in the exercise cell with your "
        "computation and run that cell again.",
    )


def _is_real_scalar(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf"


def _numeric_array(name: str, value: Any, what: str) -> np.ndarray:
    """``value`` as a float array, or an AnswerError saying why it is not a numeric answer."""
    if _is_placeholder(value):
        raise _placeholder_error(name, value)
    if isinstance(value, str | bytes | dict | set):
        raise AnswerError(
            name, f"{name} has the wrong type: expected {what}; got a {_type_name(value)}."
        )
    try:
        array = np.asarray(value)
    except Exception:  # any failure to convert is the student's wrong type
        array = None
    if array is None or array.dtype.kind not in "iuf":
        if array is not None and array.dtype.kind == "b":
            got = "booleans" if array.ndim else "a bool"
        else:
            got = f"a {_type_name(value)}"
        raise AnswerError(name, f"{name} has the wrong type: expected {what}; got {got}.")
    return array.astype(float)


def _require_finite(name: str, array: np.ndarray) -> None:
    bad = ~np.isfinite(array)
    if bad.any():
        if array.ndim == 0:
            raise AnswerError(
                name, f"{name} is not finite ({array.item()!r}); check for a division by zero, "
                "a log of zero or an empty mean."
            )
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AnswerError(
            name,
            f"{name} has {int(bad.sum())} non-finite entr{'y' if bad.sum() == 1 else 'ies'} "
            f"(NaN or inf; the first at index {first}); check for a division by zero, a log of "
            "zero or an empty mean.",
        )


def _ok(name: str, what: str) -> None:
    print(f"{name}: correct ({what}).")


# --- the checks ----------------------------------------------------------------------------


def check_value(
    name: str, value: Any, expected: Any, *, rtol: float = 0.0, atol: float = 0.0
) -> None:
    """Check a seeded computation's result; raise :class:`AnswerError` if it differs.

    Parameters
    ----------
    name : str
        The variable's name, as the exercise states it (used in every message).
    value : object
        The student's answer.
    expected : bool, str, number, array-like or dict
        The reference answer. A dict is compared key by key (the answer must be a dict with
        the same keys; each entry is checked as below and named ``name[key]`` in messages). A
        bool or a string is compared exactly (a bool answer must be
        a bool, a string answer a string). A number or an array (any shape) must be finite and
        is compared entrywise: ``|value - expected| <= atol + rtol * |expected|``, exact when
        both tolerances are 0 (the default). A number answer may be any real number (an int, a
        float, a numpy scalar or 0-d array), an array answer anything ``np.asarray`` turns into
        a numeric array of the same shape (a list, a tuple, a CPU tensor).
    rtol, atol : float, default 0.0
        Relative and absolute tolerances, >= 0. Give one when the last digits of a seeded
        float computation depend on the platform (BLAS, thread count), and write next to it
        how it was measured.

    Raises
    ------
    AnswerError
        ``value`` is still a placeholder (``...`` or None), has the wrong type or shape, is not
        finite, or differs from ``expected``. For a single number the message says whether it
        is too high or too low, for an array how many entries differ and where the first is.
        The expected value is never shown.
    ValueError
        ``name`` is empty, a tolerance is negative or not finite, ``expected`` is a number or
        array that is not finite, or ``expected`` is of a kind this function does not compare.

    Examples
    --------
    >>> check_value("ratio", 0.5000001, 0.5, rtol=1e-6)
    ratio: correct (matches the seeded computation).
    """
    name = _check_name(name)
    rtol = _check_tolerance("rtol", rtol)
    atol = _check_tolerance("atol", atol)
    if isinstance(expected, Mapping):
        _check_mapping(name, value, expected, rtol, atol)
        return
    if isinstance(expected, bool | np.bool_):
        _check_bool(name, value, bool(expected))
        return
    if isinstance(expected, str):
        _check_string(name, value, expected)
        return
    try:
        reference = np.asarray(expected)
    except Exception as exc:
        raise ValueError(
            f"expected must be a bool, a string, a number or a numeric array; got "
            f"{_type_name(expected)} ({exc})."
        ) from None
    if reference.dtype.kind not in "iuf":
        raise ValueError(
            "expected must be a bool, a string, a number or a numeric array; got "
            f"{_type_name(expected)} with dtype {reference.dtype}."
        )
    if not np.all(np.isfinite(reference)):
        raise ValueError("expected must be finite (no NaN or inf entries).")
    if reference.ndim == 0:
        _check_number(name, value, float(reference), rtol, atol)
    else:
        _check_array(name, value, reference.astype(float), rtol, atol)


def _check_mapping(
    name: str, value: Any, expected: Mapping, rtol: float, atol: float
) -> None:
    if not expected:
        raise ValueError("expected must not be an empty mapping.")
    if _is_placeholder(value):
        raise _placeholder_error(name, value)
    if not isinstance(value, Mapping):
        raise AnswerError(
            name, f"{name} has the wrong type: expected a dict; got a {_type_name(value)}."
        )
    missing = [k for k in expected if k not in value]
    extra = [k for k in value if k not in expected]
    if missing or extra:
        parts = ([f"missing {missing!r}"] if missing else []) + (
            [f"unexpected {extra!r}"] if extra else []
        )
        raise AnswerError(name, f"{name} has the wrong keys: {'; '.join(parts)}.")
    with contextlib.redirect_stdout(io.StringIO()):  # one confirmation line for the whole dict
        for key, reference in expected.items():
            check_value(f"{name}[{key!r}]", value[key], reference, rtol=rtol, atol=atol)
    _ok(name, "matches the seeded computation")


def _check_bool(name: str, value: Any, expected: bool) -> None:
    if _is_placeholder(value):
        raise _placeholder_error(name, value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "b":
        value = value.item()
    if not isinstance(value, bool | np.bool_):
        raise AnswerError(
            name, f"{name} has the wrong type: expected True or False; got a {_type_name(value)}."
        )
    if bool(value) != expected:
        raise AnswerError(name, f"{name} is {bool(value)}, which is not the right answer.")
    _ok(name, "matches the seeded computation")


def _check_string(name: str, value: Any, expected: str) -> None:
    if _is_placeholder(value):
        raise _placeholder_error(name, value)
    if not isinstance(value, str):
        raise AnswerError(
            name, f"{name} has the wrong type: expected a string; got a {_type_name(value)}."
        )
    if value != expected:
        hint = ""
        if value.strip().lower() == expected.strip().lower():
            hint = " (look at upper/lower case and spaces)"
        raise AnswerError(name, f"{name} is{_shown(value)}, which is not the right answer{hint}.")
    _ok(name, "matches the seeded computation")


def _check_number(name: str, value: Any, expected: float, rtol: float, atol: float) -> None:
    if _is_placeholder(value):
        raise _placeholder_error(name, value)
    if not _is_real_scalar(value):
        if isinstance(value, np.ndarray | list | tuple) and np.ndim(value) > 0:
            got = f"an array of shape {np.shape(value)}"
        else:
            got = f"a {_type_name(value)}"
        raise AnswerError(
            name, f"{name} has the wrong type: expected a single number; got {got}."
        )
    number = float(np.asarray(value))
    _require_finite(name, np.asarray(number))
    if abs(number - expected) <= atol + rtol * abs(expected):
        _ok(name, "matches the seeded computation")
        return
    side = "higher" if number > expected else "lower"
    raise AnswerError(
        name,
        f"{name}:{_shown(value)} is {side} than the seeded computation gives; check your "
        "computation.",
    )


def _check_array(
    name: str, value: Any, expected: np.ndarray, rtol: float, atol: float
) -> None:
    array = _numeric_array(name, value, f"an array of shape {expected.shape}")
    if array.shape != expected.shape:
        raise AnswerError(
            name, f"{name} has the wrong shape: expected {expected.shape}; got {array.shape}."
        )
    _require_finite(name, array)
    wrong = np.abs(array - expected) > atol + rtol * np.abs(expected)
    if wrong.any():
        first = tuple(int(i) for i in np.argwhere(wrong)[0])
        raise AnswerError(
            name,
            f"{name} differs from the seeded computation in {int(wrong.sum())} of {wrong.size} "
            f"entries (the first at index {first}); check your computation.",
        )
    _ok(name, "matches the seeded computation")


def check_range(name: str, value: Any, low: float, high: float, *, source: str) -> None:
    """Check a random experiment's result against a range measured over seeds.

    Parameters
    ----------
    name : str
        The variable's name, as the exercise states it.
    value : number or array-like
        The student's answer: a real number, or an array whose every entry is checked.
    low, high : float
        The reference range, ``low <= value <= high`` (inclusive); ``-inf`` or ``inf`` for
        an open side. Take it from the spread you measured over seeds, with a margin.
    source : str
        Where the range comes from, e.g. ``"seeds 0-9: 0.91-1.07, margin 0.05"``. Required
        (a range without a source cannot be reviewed); kept on the error as ``source``,
        never printed, since it usually contains the range.

    Raises
    ------
    AnswerError
        ``value`` is still a placeholder, has the wrong type, is not finite, or is below
        ``low`` (too low) or above ``high`` (too high). The range is never shown.
    ValueError
        ``name`` or ``source`` is empty, a bound is not a number or is NaN, or ``low > high``.

    Examples
    --------
    >>> check_range("tau_star", [0.7, 0.9], 0.5, 1.0, source="seeds 0-4: 0.62-0.91")
    tau_star: within the reference range measured over seeds.
    """
    name = _check_name(name)
    low = _check_bound("low", low)
    high = _check_bound("high", high)
    source = _check_text("source", source, "where the reference range comes from")
    if low > high:
        raise ValueError(f"low must be <= high; got low={low!r} > high={high!r}.")
    if _is_real_scalar(value):
        array = np.asarray(float(np.asarray(value)))
    else:
        array = _numeric_array(name, value, "a number or a numeric array")
    _require_finite(name, array)
    below = array < low
    above = array > high
    if array.ndim == 0:
        if below or above:
            side = "too low" if below else "too high"
            raise AnswerError(
                name,
                f"{name}:{_shown(value)} is {side}: outside the range this experiment gives "
                "over seeds; check your computation (and the seed and settings the exercise "
                "asks for).",
                source=source,
            )
    elif below.any() or above.any():
        parts = []
        if below.any():
            parts.append(f"{int(below.sum())} too low")
        if above.any():
            parts.append(f"{int(above.sum())} too high")
        first = tuple(int(i) for i in np.argwhere(below | above)[0])
        raise AnswerError(
            name,
            f"{name} has entries outside the range this experiment gives over seeds "
            f"({', '.join(parts)} of {array.size}; the first at index {first}); check your "
            "computation.",
            source=source,
        )
    print(f"{name}: within the reference range measured over seeds.")


def check_true(name: str, condition: Any, hint: str) -> None:
    """Check a property of a student's answer; raise :class:`AnswerError` with ``hint`` if false.

    Parameters
    ----------
    name : str
        The variable (or property) the check is about.
    condition : bool
        The property, evaluated on the student's answer, e.g.
        ``bool(np.all(np.diff(errors) <= 0))``. A Python or numpy bool, or a one-entry array.
    hint : str
        What the property means, shown when it fails, e.g. ``"the error should not grow with
        M"``. It must not give the answer away.

    Raises
    ------
    AnswerError
        ``condition`` is false; the message is ``"<name>: <hint>"``.
    ValueError
        ``name`` or ``hint`` is empty, or ``condition`` is not a single truth value (an array of
        several entries: use ``.all()`` or ``.any()``; None or ``...``: compute it).

    Examples
    --------
    >>> check_true("errors", True, "the error should not grow with M")
    errors: correct (the property holds).
    """
    name = _check_name(name)
    hint = _check_text("hint", hint, "what the property means, shown when it fails")
    if _is_placeholder(condition):
        raise _placeholder_error(name, condition)
    if isinstance(condition, np.ndarray):
        if condition.size != 1:
            raise ValueError(
                f"condition must be a single truth value; got an array of shape "
                f"{condition.shape} (use .all() or .any())."
            )
        condition = condition.reshape(()).item()
    if not isinstance(condition, bool | np.bool_):
        raise ValueError(
            f"condition must be True or False; got a {_type_name(condition)} ({condition!r}) "
            "-- compare explicitly, e.g. bool(x > 0)."
        )
    if not condition:
        raise AnswerError(name, f"{name}: {hint}")
    _ok(name, "the property holds")
