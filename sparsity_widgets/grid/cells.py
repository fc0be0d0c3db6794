"""Cells of a grid: what runs (a function by module path and name) with which parameters.

A :class:`Cell` names its function as ``"package.module:name"`` and carries a small dict of
JSON parameters (names, seeds, paths; never arrays). Its key is the first 16 hex digits of the
SHA-256 of the canonical JSON (sorted keys, no spaces) of ``{"function", "parameters"}``, so
equal cells have equal keys in every process and on every machine. ``context`` holds keyword
arguments that do not change the result (an output folder, a device, a progress flag) and are
not part of the key.

A finished cell is the file ``OUT/cells/<key>.json``; a failed one ``OUT/cells/<key>.error.json``
(see :func:`write_result`, :func:`read_result`, :func:`write_error`).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._io import atomic_write_text
from .._schema import Where, read_json, reject_unknown, require, require_object, require_schema

__all__ = [
    "CELL_SCHEMA",
    "ERROR_SCHEMA",
    "MAX_PARAMETER_BYTES",
    "Cell",
    "canonical_json",
    "cell_path",
    "error_path",
    "read_result",
    "resolve_function",
    "write_error",
    "write_result",
]

CELL_SCHEMA = "sparsity_widgets.grid_cell/1"
ERROR_SCHEMA = "sparsity_widgets.grid_cell_error/1"
MAX_PARAMETER_BYTES = 65536
"""Largest canonical JSON of a cell's parameters: workers get names, seeds and paths, not data."""

_HINT = "Delete the file; the grid runs that cell again on the next run."


def _check_json(value: Any, where: str) -> None:
    """Raise a ValueError naming ``where`` unless ``value`` is plain JSON data."""
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{where} must be a finite number; got {value!r}.")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where} must have string keys; got the key {key!r}.")
            _check_json(item, f"{where}[{key!r}]")
        return
    raise ValueError(
        f"{where} must be JSON data (str, int, float, bool, None, lists, dicts with string "
        f"keys); got a {type(value).__module__}.{type(value).__qualname__}. Pass names, seeds "
        "and paths to a cell, never arrays: the cell loads its data itself."
    )


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``: sorted keys, no spaces, finite numbers only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _function_name(function: str | Callable[..., Any]) -> str:
    if callable(function):
        module = getattr(function, "__module__", None)
        name = getattr(function, "__qualname__", None)
        if not module or not name or "<" in name or module == "__main__":
            raise ValueError(
                "function must be importable by module path and name (a top-level function "
                f"of an installed module); got {function!r}."
            )
        return f"{module}:{name}"
    if not isinstance(function, str):
        raise ValueError(
            f"function must be 'package.module:name' or a top-level function; got {function!r}."
        )
    module, sep, name = function.partition(":")
    if not sep or not module or not name:
        raise ValueError(f"function must be written 'package.module:name'; got {function!r}.")
    return function


def resolve_function(name: str) -> Callable[..., Any]:
    """Import ``"package.module:name"`` and return the function (in the worker that runs it)."""
    module_name, _, attr = name.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{name} is not callable; got a {type(target).__name__}.")
    return target


@dataclass(frozen=True)
class Cell:
    """One call of a grid: ``function(**parameters, **context)``.

    Attributes
    ----------
    function : str
        ``"package.module:name"`` of a top-level function returning JSON data (a callable is
        accepted and turned into its name).
    parameters : dict
        What the result depends on: JSON data only (tuples become lists), at most
        :data:`MAX_PARAMETER_BYTES` of canonical JSON. The function receives them as JSON reads
        them back, so every backend passes it the same values.
    context : dict
        Keyword arguments that do not change the result (output folder, device, progress),
        outside the key.
    """

    function: str
    parameters: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "function", _function_name(self.function))
        if not isinstance(self.parameters, Mapping):
            raise ValueError(
                f"parameters must be a dict of JSON data; got {type(self.parameters).__name__}."
            )
        _check_json(dict(self.parameters), "parameters")
        text = canonical_json(dict(self.parameters))
        if len(text.encode()) > MAX_PARAMETER_BYTES:
            raise ValueError(
                f"parameters must be small (at most {MAX_PARAMETER_BYTES} bytes of JSON: names, "
                f"seeds and paths); got {len(text.encode())} bytes. Save large inputs to a file "
                "and pass its path."
            )
        object.__setattr__(self, "parameters", json.loads(text))
        if not isinstance(self.context, Mapping):
            raise ValueError(f"context must be a dict; got {type(self.context).__name__}.")
        clash = sorted(set(self.parameters) & set(self.context))
        if clash:
            raise ValueError(f"context must not repeat parameters; got both with {clash}.")
        object.__setattr__(self, "context", dict(self.context))

    @property
    def identity(self) -> dict[str, Any]:
        """``{"function", "parameters"}``: what the key hashes."""
        return {"function": self.function, "parameters": self.parameters}

    @property
    def key(self) -> str:
        """16 hex digits of SHA-256 of the canonical JSON of :attr:`identity`."""
        return hashlib.sha256(canonical_json(self.identity).encode()).hexdigest()[:16]

    def describe(self) -> str:
        """``function(name=value, ...)``, for messages."""
        args = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(self.parameters.items()))
        return f"{self.function}({args})"


def cell_path(out_dir: str | os.PathLike, cell: Cell) -> Path:
    """``OUT/cells/<key>.json``: the finished cell."""
    return Path(out_dir) / "cells" / f"{cell.key}.json"


def error_path(out_dir: str | os.PathLike, cell: Cell) -> Path:
    """``OUT/cells/<key>.error.json``: the last failure of the cell."""
    return Path(out_dir) / "cells" / f"{cell.key}.error.json"


def write_result(out_dir: str | os.PathLike, cell: Cell, result: Any) -> Path:
    """Write the finished cell atomically and remove its error file, if any.

    Parameters
    ----------
    out_dir : path-like
    cell : Cell
    result : JSON data
        What the function returned (NaN and inf are written as JSON's NaN / Infinity).

    Returns
    -------
    Path
        ``OUT/cells/<key>.json``.
    """
    document = {"schema": CELL_SCHEMA, "key": cell.key, **cell.identity, "result": result}
    try:
        text = json.dumps(document) + "\n"
    except TypeError as exc:
        raise TypeError(
            f"the cell {cell.describe()} must return JSON data (dicts, lists, numbers, strings); "
            f"{exc}"
        ) from None
    path = atomic_write_text(cell_path(out_dir, cell), text)
    error_path(out_dir, cell).unlink(missing_ok=True)
    return path


def read_result(out_dir: str | os.PathLike, cell: Cell) -> Any:
    """The result of a finished cell, checked against the cell it should hold.

    Raises
    ------
    FileNotFoundError
        When the cell has not finished.
    SavedResultError
        A damaged file, another kind of file, or one that holds another cell.
    """
    path = cell_path(out_dir, cell)
    at = Where.of("grid cell", path, _HINT)
    data = require_object(read_json(path, at), at)
    require_schema(data, CELL_SCHEMA, at)
    reject_unknown(data, ["schema", "key", "function", "parameters", "result"], at)
    for name, kind, expected in (
        ("key", "string", cell.key),
        ("function", "string", cell.function),
        ("parameters", "object", cell.parameters),
    ):
        value = require(data, name, kind, at)
        if value != expected:
            raise at.key(name).error(f"{expected!r} (the cell of this file name)", repr(value))
    if "result" not in data:
        raise at.key("result").error("the cell's result", "no such key")
    return data["result"]


def write_error(out_dir: str | os.PathLike, cell: Cell, error: str, traceback_text: str) -> Path:
    """Record a failed cell: ``{schema, key, function, parameters, error, traceback}``."""
    document = {
        "schema": ERROR_SCHEMA,
        "key": cell.key,
        **cell.identity,
        "error": error,
        "traceback": traceback_text,
    }
    return atomic_write_text(error_path(out_dir, cell), json.dumps(document, indent=1) + "\n")
