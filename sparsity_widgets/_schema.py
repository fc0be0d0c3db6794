"""Checks for reading saved results (JSON) back into objects.

Every reader of saved data (``ProbeResult.from_json``, ``StudyResult.from_dict``,
``TrainConfig.from_dict``, ...) goes through these helpers, so that a damaged or foreign file
fails the same way everywhere: a :class:`SavedResultError` (a ``ValueError``) whose message
names what was being read, the file when there is one, the key path inside it (e.g.
``runs[0].layers[3].alpha_star``), what was expected there and what was found, and what to do
next. Nothing missing is filled in: a required value that is absent is an error, never NaN.

Examples
--------
>>> at = Where.of("probe result", "result.json")
>>> try:
...     require({"label": 3}, "label", "string", at)
... except SavedResultError as exc:
...     print(exc)
invalid probe result in result.json at label: expected a string; found the number 3.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

__all__ = [
    "SavedResultError",
    "Where",
    "check_list",
    "describe",
    "optional",
    "read_json",
    "reject_unknown",
    "require",
    "require_list",
    "require_object",
    "require_schema",
]


class SavedResultError(ValueError):
    """A saved result is damaged, incomplete, or not the kind of file its reader expects."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_KINDS: dict[str, tuple[str, str, Callable[[Any], bool]]] = {
    "string": ("a string", "strings", lambda v: isinstance(v, str)),
    "integer": ("an integer", "integers", _is_int),
    "number": ("a finite number", "finite numbers", lambda v: _is_real(v) and math.isfinite(v)),
    # NaN and inf allowed (Python's json writes and reads them as NaN / Infinity)
    "real": ("a number", "numbers", _is_real),
    "boolean": ("true or false", "booleans", lambda v: isinstance(v, bool)),
    "object": ("an object ({...})", "objects", lambda v: isinstance(v, dict)),
    "array": ("a list ([...])", "lists", lambda v: isinstance(v, list)),
}
"""Kind name -> (how an error message says one, how it says several, test)."""


def _convert(kind: str, value: Any) -> Any:
    if kind in ("number", "real"):
        return float(value)
    if kind == "integer":
        return int(value)
    return value


def describe(value: Any) -> str:
    """How an error message names a value that was found, e.g. ``"the string 'abc'"``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {text!r}"
    if _is_real(value):
        return f"the number {value!r}"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        keys = sorted(str(k) for k in value)
        shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
        return f"an object with keys [{shown}]"
    return f"a {type(value).__name__}"


@dataclass(frozen=True)
class Where:
    """Where a value sits in saved data, for error messages.

    Attributes
    ----------
    what : str
        What is being read, e.g. ``"probe result"``.
    source : str or None
        The file it was read from (None for data that did not come from a file).
    path : str
        Key path from the top of the data, e.g. ``"runs[0].layers[3].alpha_star"``
        (empty at the top level).
    hint : str
        Appended to every message: what to do next.
    """

    what: str
    source: str | None = None
    path: str = ""
    hint: str = ""

    @classmethod
    def of(cls, what: str, source: str | os.PathLike | None = None, hint: str = "") -> Where:
        """The top level of data read from ``source`` (a path, or None)."""
        return cls(what, None if source is None else os.fspath(source), "", hint)

    def key(self, name: str) -> Where:
        """The value under ``name`` of the object here."""
        return replace(self, path=f"{self.path}.{name}" if self.path else name)

    def item(self, index: int) -> Where:
        """Item ``index`` of the list here."""
        return replace(self, path=f"{self.path}[{index}]")

    def prefix(self) -> str:
        """``"invalid <what> in <file> at <path>"``, the start of every message."""
        text = f"invalid {self.what}"
        if self.source is not None:
            text += f" in {self.source}"
        return text + (f" at {self.path}" if self.path else " (top level)")

    def error(self, expected: str, found: str) -> SavedResultError:
        """The error to raise when ``expected`` was wanted here and ``found`` is there."""
        hint = f" {self.hint}" if self.hint else ""
        return SavedResultError(f"{self.prefix()}: expected {expected}; found {found}.{hint}")

    def wrap(self, exc: Exception) -> SavedResultError:
        """Re-word a value check's own message (``"lr must lie in ..."``) with the location."""
        hint = f" {self.hint}" if self.hint else ""
        return SavedResultError(f"{self.prefix()}: {exc}{hint}")


def _check(kind: str, value: Any, at: Where, expected: str | None) -> Any:
    label, _, test = _KINDS[kind]
    if not test(value):
        raise at.error(expected or label, describe(value))
    return _convert(kind, value)


def require_object(value: Any, at: Where) -> dict[str, Any]:
    """Return ``value`` if it is a JSON object (a dict), else raise naming the location."""
    return _check("object", value, at, None)


def require(
    data: Mapping[str, Any],
    key: str,
    kind: str,
    at: Where,
    *,
    nullable: bool = False,
    expected: str | None = None,
) -> Any:
    """The value under a required key, checked against a kind.

    Parameters
    ----------
    data : mapping
        A JSON object (already checked with :func:`require_object`).
    key : str
    kind : {"string", "integer", "number", "real", "boolean", "object", "array"}
        ``"number"`` is a finite int or float (returned as float), ``"real"`` admits NaN and
        inf, ``"integer"`` excludes booleans and floats.
    at : Where
        Location of ``data``; messages name ``at.key(key)``.
    nullable : bool, default=False
        Accept null (returned as None). A missing key is an error either way.
    expected : str, optional
        Wording of what was expected, when the kind alone does not say it.

    Returns
    -------
    Any
        The value (floats for the number kinds).
    """
    here = at.key(key)
    label = expected or _KINDS[kind][0] + (" or null" if nullable else "")
    if key not in data:
        raise here.error(label, "no such key")
    value = data[key]
    if value is None and nullable:
        return None
    return _check(kind, value, here, label)


def optional(data: Mapping[str, Any], key: str, kind: str, at: Where) -> Any:
    """The value under an optional key: None when it is absent or null, else checked."""
    value = data.get(key)
    if value is None:
        return None
    return _check(kind, value, at.key(key), _KINDS[kind][0] + " or null")


def require_list(
    data: Mapping[str, Any],
    key: str,
    item_kind: str,
    at: Where,
    *,
    nullable: bool = False,
    null_items: Any = None,
    length: int | None = None,
    length_of: str = "",
) -> list[Any] | None:
    """A list under a key whose items are all of one kind.

    Parameters
    ----------
    data, key, at
        As in :func:`require`.
    item_kind : str
        Kind of every item (see :func:`require`).
    nullable : bool, default=False
        Accept a null or missing list (returned as None).
    null_items : Any, default=None
        When given, null items are accepted and replaced by this value (e.g. ``math.inf``
        where the writer stored an infinite value as null).
    length : int, optional
        Required number of items; ``length_of`` names what sets it (e.g. ``"taus"``).

    Returns
    -------
    list or None
    """
    here = at.key(key)
    if key not in data or data[key] is None:
        if nullable:
            return None
        found = "no such key" if key not in data else "null"
        raise here.error(f"a list of {_KINDS[item_kind][1]}", found)
    return check_list(
        data[key], item_kind, here, length=length, length_of=length_of, null_items=null_items
    )


def check_list(
    value: Any,
    item_kind: str,
    at: Where,
    *,
    length: int | None = None,
    length_of: str = "",
    null_items: Any = None,
) -> list[Any]:
    """Return ``value`` if it is a list of ``item_kind`` (see :func:`require_list`)."""
    values = _check("array", value, at, f"a list of {_KINDS[item_kind][1]}")
    if length is not None and len(values) != length:
        raise at.error(
            f"{length} item(s), as many as {length_of}", f"a list of {len(values)} item(s)"
        )
    out = []
    for i, item in enumerate(values):
        if item is None and null_items is not None:
            out.append(null_items)
        else:
            out.append(_check(item_kind, item, at.item(i), None))
    return out


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str], at: Where) -> None:
    """Raise when ``data`` holds keys outside ``allowed`` (a typo, or a file of another kind)."""
    allowed = list(allowed)
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise at.error(f"only the keys {allowed}", f"unknown key(s) {unknown}")


def require_schema(data: Mapping[str, Any], expected: str, at: Where) -> None:
    """Raise unless ``data["schema"]`` is ``expected``: the tag that says what kind of file it is.

    The message names the expected tag, says the file is not what ``at`` reads (``"'...' (this
    is not a probe result)"``) and what was found, ``no such key`` when the tag is missing.
    """
    if data.get("schema") != expected:
        raise at.key("schema").error(
            f"{expected!r} (this is not a {at.what})",
            "no such key" if "schema" not in data else describe(data["schema"]),
        )


def read_json(path: str | os.PathLike, at: Where) -> Any:
    """Parse a JSON file; a truncated or damaged file raises naming the file and the spot.

    Parameters
    ----------
    path : path-like
    at : Where
        The top-level location (its ``source`` should be ``path``).

    Returns
    -------
    Any
        The parsed JSON.

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    SavedResultError
        When the file is not UTF-8 JSON text (e.g. truncated by an interrupted copy).
    """
    raw = Path(path).read_bytes()
    hint = f" {at.hint}" if at.hint else ""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SavedResultError(
            f"{at.prefix()}: expected UTF-8 JSON text; found bytes that are not UTF-8 at "
            f"offset {exc.start}.{hint}"
        ) from None
    if not text.strip():
        raise SavedResultError(f"{at.prefix()}: expected JSON text; found an empty file.{hint}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SavedResultError(
            f"{at.prefix()}: expected complete JSON text; found invalid JSON at line "
            f"{exc.lineno}, column {exc.colno} ({exc.msg}): the file is truncated or "
            f"damaged.{hint}"
        ) from None
