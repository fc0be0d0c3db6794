"""Resolve a widget argument given as a name or a position among named choices."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

__all__ = ["position_of"]


def position_of(value: str | int | None, names: Sequence[str], what: str = "layer") -> int:
    """The position of ``value`` among ``names``: a name, a position, or ``None`` for the last.

    Parameters
    ----------
    value : str, int or None
        A name of ``names``, a position in ``[0, len(names) - 1]``, or ``None``.
    names : sequence of str
        The choices, in order.
    what : str
        The argument's name, for the error message.

    Returns
    -------
    int
    """
    names = list(names)
    if value is None:
        return len(names) - 1
    if isinstance(value, str):
        if value not in names:
            raise ValueError(f"{what} must be one of {names}; got {value!r}.")
        return names.index(value)
    if isinstance(value, bool) or not isinstance(value, Integral) or not 0 <= value < len(names):
        raise ValueError(
            f"{what} must be a name of {names} or a position in [0, {len(names) - 1}]; "
            f"got {value!r}."
        )
    return int(value)
