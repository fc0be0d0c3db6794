"""Lazy package exports (PEP 562): a public name imports its module on first access.

Keeps ``import sparsity_widgets`` (and its sub-packages) light: the numerics do not pull in
scikit-learn, and nothing pulls in torch, matplotlib or ipywidgets until a name that needs them
is used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build a package's ``__getattr__`` and ``__dir__`` for lazily imported names.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict of str to str
        Public name -> relative module that defines it (e.g. ``{"WaveletForest": ".forest"}``).

    Returns
    -------
    (__getattr__, __dir__) : tuple of callables
        Assign them at module level; a loaded name is cached in the package's namespace.
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name], package), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
