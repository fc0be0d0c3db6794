"""Teaching with the book: answer checks for exercises and assignment notebooks.

:mod:`~sparsity_widgets.teaching.checks` (numpy only) is what the book's check cells import:
:func:`check_value`, :func:`check_range`, :func:`check_true` and :class:`AnswerError`.
:mod:`~sparsity_widgets.teaching.assignment` turns a chapter into a student and an instructor
notebook (``sparsity-widgets assignment build``); it needs jupytext and nbformat (the
``[book]`` extra) and is not imported here.
"""

from __future__ import annotations

from .checks import AnswerError, check_range, check_true, check_value

__all__ = ["AnswerError", "check_range", "check_true", "check_value"]
