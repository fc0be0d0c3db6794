"""Read a MyST chapter into pieces that know their part in an exercise.

A chapter is read with jupytext (MyST markdown -> notebook cells). Markdown cells are then cut
at the exercise and solution directives of sphinx-exercise, so that a cell holding the end of
an exercise's text, the ``{solution-start}`` fences and the first paragraph of the solution
becomes three pieces. Every piece has a *role*:

``"text"``
    Chapter text and code outside exercises' solutions (kept in every notebook).
``"exercise"``
    An exercise's statement, its directive fences rewritten as a bold heading.
``"solution"``
    Markdown or code between ``{solution-start} LABEL`` and ``{solution-end}`` (or the body of
    a non-gated ``{solution}``); a markdown piece ``Solution to LABEL`` opens each.
``"stub"``, ``"check"``, ``"hidden"``
    Code cells tagged ``exercise-stub``, ``exercise-check``, ``exercise-hidden``.
``"answer"``
    A place for the student's written answer, added where a solution ends when its exercise
    has no stub.

Structural mistakes (a ``{solution-start}`` without ``{solution-end}``, a check cell inside a
solution, a stub before any exercise, ...) raise :class:`ChapterFormatError` naming the file
and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ROLE_TAGS", "Chapter", "ChapterFormatError", "Exercise", "Piece", "parse_chapter"]

ROLE_TAGS = {"exercise-stub": "stub", "exercise-check": "check", "exercise-hidden": "hidden"}
"""Cell tag -> role of a code cell."""

_OURS = {"exercise", "exercise-start", "exercise-end", "solution", "solution-start", "solution-end"}
_OPENER = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|:{3,}|~{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[A-Za-z][\w:.-]*)\}\s*(?P<arg>.*?)\s*$")
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")
_STARS = re.compile(r"\((?P<stars>★{1,3})\)\s*$")
ANSWER_TEXT = "YOUR ANSWER HERE"
"""What a student's answer cell holds (nbgrader's text stub, so both tools agree)."""


class ChapterFormatError(ValueError):
    """A chapter's exercises are malformed; the message names the file and line."""


@dataclass(frozen=True)
class Exercise:
    """One exercise directive: its label, title, kind and difficulty.

    Attributes
    ----------
    label : str
        The ``:label:``, or ``exercise-<n>`` (n counted from 1 in the chapter) without one.
    title : str
        The directive's argument (may be empty).
    kind : str or None
        ``"proof"``, ``"computation"``, ``"replication"`` or ``"concept"`` from
        ``:class: kind-...``.
    stars : int
        Difficulty 1-3 from the title's trailing ``(★★)``; 0 when unmarked.
    line : int
        Line of the directive in the chapter (1-based).
    has_label : bool
        Whether the directive gives a ``:label:``.
    """

    label: str
    title: str
    kind: str | None
    stars: int
    line: int
    has_label: bool = True


@dataclass
class Piece:
    """A markdown or code cell of the chapter with its role (see the module docstring)."""

    cell_type: str
    source: str
    role: str
    line: int
    label: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Chapter:
    """A parsed chapter: notebook metadata, pieces in order, exercises by label."""

    path: Path
    title: str
    metadata: dict[str, Any]
    pieces: list[Piece]
    exercises: dict[str, Exercise]

    def stub_labels(self) -> set[str]:
        """Labels of the exercises that have a stub cell."""
        return {p.label for p in self.pieces if p.role == "stub" and p.label}


class _State:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.exercise: Exercise | None = None
        self.exercises: dict[str, Exercise] = {}
        self.solution: str | None = None
        self.solution_line = 0
        self.pieces: list[Piece] = []

    def where(self, line: int) -> str:
        return f"{self.path}:{line}"


def _fence_closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return (
        len(stripped) >= len(fence)
        and set(stripped) == {fence[0]}
    )


def _find_close(lines: list[str], start: int, fence: str) -> int | None:
    for j in range(start + 1, len(lines)):
        if _fence_closes(lines[j], fence):
            return j
    return None


def _split_options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    """Directive options (``:key: value`` lines or a ``---`` YAML block) and the content."""
    options: dict[str, str] = {}
    i = 0
    if body and body[0].strip() == "---":
        end = next((k for k in range(1, len(body)) if body[k].strip() == "---"), None)
        if end is not None:
            import yaml

            loaded = yaml.safe_load("\n".join(body[1:end])) or {}
            if isinstance(loaded, dict):
                options = {str(k): str(v) for k, v in loaded.items()}
            return options, body[end + 1 :]
    while i < len(body):
        match = _OPTION.match(body[i])
        if not match:
            break
        options[match["key"]] = match["value"]
        i += 1
    return options, body[i:]


def _trimmed(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")


def _exercise_heading(exercise: Exercise) -> str:
    label = exercise.label if exercise.has_label else None
    head = "**Exercise"
    if label:
        head += f" ({label})"
    if exercise.title:
        head += f": {exercise.title}"
    return head + "**"


def _new_exercise(state: _State, arg: str, options: dict[str, str], line: int) -> Exercise:
    label = options.get("label", "").strip()
    has_label = bool(label)
    if not label:
        label = f"exercise-{len(state.exercises) + 1}"
    if label in state.exercises:
        raise ChapterFormatError(
            f"{state.where(line)}: exercise label {label!r} is used twice (first at line "
            f"{state.exercises[label].line}); labels must be unique."
        )
    kinds = [c[len("kind-") :] for c in options.get("class", "").split() if c.startswith("kind-")]
    stars = _STARS.search(arg)
    exercise = Exercise(
        label=label,
        title=arg,
        kind=kinds[0] if kinds else None,
        stars=len(stars["stars"]) if stars else 0,
        line=line,
        has_label=has_label,
    )
    state.exercises[label] = exercise
    state.exercise = exercise
    return exercise


def _split_markdown(state: _State, source: str, first_line: int, metadata: dict) -> None:
    """Append the pieces of one markdown cell to ``state.pieces``."""
    lines = source.split("\n")
    buffer: list[str] = []
    buffer_line = first_line

    def role() -> tuple[str, str | None]:
        return ("solution", state.solution) if state.solution else ("text", None)

    def flush() -> None:
        nonlocal buffer
        text = _trimmed(buffer)
        if text.strip():
            kind, label = role()
            state.pieces.append(
                Piece("markdown", text, kind, buffer_line, label, dict(metadata))
            )
        buffer = []

    i = 0
    while i < len(lines):
        line = lines[i]
        opener = _OPENER.match(line)
        if not opener:
            if not buffer:
                buffer_line = first_line + i
            buffer.append(line)
            i += 1
            continue
        fence = opener["fence"]
        directive = _DIRECTIVE.match(opener["info"].strip())
        close = _find_close(lines, i, fence)
        if directive is None or directive["name"] not in _OURS:
            # another fenced block (code, math, prf, admonition): copied as it is
            end = len(lines) - 1 if close is None else close
            if not buffer:
                buffer_line = first_line + i
            buffer.extend(lines[i : end + 1])
            i = end + 1
            continue
        name, arg, here = directive["name"], directive["arg"], first_line + i
        if close is None:
            raise ChapterFormatError(
                f"{state.where(here)}: the {{{name}}} directive opened here has no closing "
                f"{fence} in the same markdown cell."
            )
        options, content = _split_options(lines[i + 1 : close])
        flush()
        _directive(state, name, arg, options, content, here, metadata)
        i = close + 1
        buffer_line = first_line + i
    flush()


def _directive(
    state: _State,
    name: str,
    arg: str,
    options: dict[str, str],
    content: list[str],
    line: int,
    metadata: dict,
) -> None:
    if name in ("exercise", "exercise-start"):
        if state.solution:
            raise ChapterFormatError(
                f"{state.where(line)}: {{{name}}} inside the solution of {state.solution!r} "
                f"(opened at line {state.solution_line}); close the solution with "
                "{solution-end} first."
            )
        exercise = _new_exercise(state, arg, options, line)
        text = _exercise_heading(exercise)
        body = _trimmed(content)
        state.pieces.append(
            Piece("markdown", f"{text}\n\n{body}" if body else text, "exercise", line,
                  exercise.label, dict(metadata))
        )
    elif name == "exercise-end":
        return
    elif name in ("solution-start", "solution"):
        label = arg.strip()
        if not label:
            raise ChapterFormatError(
                f"{state.where(line)}: {{{name}}} needs the label of its exercise, e.g. "
                f"{{{name}}} ex-ch04-cut-cells."
            )
        if state.solution:
            raise ChapterFormatError(
                f"{state.where(line)}: {{{name}}} {label} inside the solution of "
                f"{state.solution!r} opened at line {state.solution_line}, which has no "
                "{solution-end} before it."
            )
        state.pieces.append(
            Piece("markdown", f"#### Solution to {label}", "solution", line, label)
        )
        if name == "solution":
            body = _trimmed(content)
            if body.strip():
                state.pieces.append(Piece("markdown", body, "solution", line, label))
            state.pieces.append(Piece("markdown", ANSWER_TEXT, "answer", line, label))
        else:
            state.solution, state.solution_line = label, line
    elif name == "solution-end":
        if not state.solution:
            raise ChapterFormatError(
                f"{state.where(line)}: {{solution-end}} without a {{solution-start}} before it."
            )
        state.pieces.append(Piece("markdown", ANSWER_TEXT, "answer", line, state.solution))
        state.solution = None


def _code_piece(state: _State, cell: Any, line: int) -> None:
    metadata = dict(cell.metadata)
    tags = list(metadata.get("tags", []))
    roles = [ROLE_TAGS[t] for t in tags if t in ROLE_TAGS]
    if len(roles) > 1:
        raise ChapterFormatError(
            f"{state.where(line)}: a code cell has several exercise tags ({', '.join(roles)}); "
            "give it one of exercise-stub, exercise-check, exercise-hidden."
        )
    if state.solution:
        if roles:
            raise ChapterFormatError(
                f"{state.where(line)}: an exercise-{roles[0]} cell inside the solution of "
                f"{state.solution!r} (opened at line {state.solution_line}); move it out of the "
                "solution, or the student notebook loses it."
            )
        state.pieces.append(Piece("code", cell.source, "solution", line, state.solution, metadata))
        return
    if not roles:
        state.pieces.append(Piece("code", cell.source, "text", line, None, metadata))
        return
    if state.exercise is None:
        raise ChapterFormatError(
            f"{state.where(line)}: an exercise-{roles[0]} cell before any exercise; put it after "
            "the exercise it belongs to."
        )
    if not state.exercise.has_label:
        raise ChapterFormatError(
            f"{state.where(state.exercise.line)}: the exercise has an exercise-{roles[0]} cell "
            f"(line {line}) but no :label:; give it one."
        )
    state.pieces.append(Piece("code", cell.source, roles[0], line, state.exercise.label, metadata))


def _cell_lines(text: str, cells: list[Any]) -> list[int]:
    """1-based line where each cell starts in ``text`` (cells are in text order): a markdown
    cell's first line, a code cell's ``{code-cell}`` fence."""
    lines, pos = [], 0
    for cell in cells:
        found = text.find(cell.source, pos) if cell.source else -1
        if found < 0:
            lines.append(text.count("\n", 0, pos) + 1)
            continue
        start = found
        if cell.cell_type == "code":
            # the line of the ```{code-cell} fence, above the cell's options
            fence = text.rfind("{code-cell}", pos, found)
            start = fence if fence >= 0 else found
        lines.append(text.count("\n", 0, start) + 1)
        pos = found + len(cell.source)
    return lines


def parse_chapter(path: str | Path) -> Chapter:
    """Read a MyST chapter and cut it into :class:`Piece` objects.

    Parameters
    ----------
    path : str or Path
        A MyST markdown notebook (``.md`` with a jupytext ``myst`` header, or plain MyST).

    Returns
    -------
    Chapter
        With the pieces in chapter order and the exercises by label.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ChapterFormatError
        A ``{solution-start}`` without ``{solution-end}`` (or the reverse, or nested), a
        directive fence not closed in its cell, a stub/check/hidden cell before any exercise,
        inside a solution or with several exercise tags, a duplicate exercise label. The
        message names the file and line.
    """
    import jupytext

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"chapter {str(path)!r}: no such file")
    text = path.read_text(encoding="utf-8")
    notebook = jupytext.reads(text, fmt="md:myst")
    state = _State(path)
    for cell, line in zip(notebook.cells, _cell_lines(text, notebook.cells), strict=True):
        if cell.cell_type == "markdown":
            _split_markdown(state, cell.source, line, dict(cell.metadata))
        elif cell.cell_type == "code":
            _code_piece(state, cell, line)
        else:
            kind = "solution" if state.solution else "text"
            state.pieces.append(
                Piece(cell.cell_type, cell.source, kind, line, state.solution,
                      dict(cell.metadata))
            )
    if state.solution:
        raise ChapterFormatError(
            f"{state.where(state.solution_line)}: {{solution-start}} {state.solution} has no "
            "{solution-end} after it; close the solution."
        )
    stubbed = {p.label for p in state.pieces if p.role == "stub"}
    pieces = [p for p in state.pieces if not (p.role == "answer" and p.label in stubbed)]
    title = next(
        (m[1].strip() for p in pieces if p.cell_type == "markdown"
         for m in [re.search(r"^#\s+(.+)$", p.source, re.M)] if m),
        path.stem,
    )
    metadata = {k: v for k, v in notebook.metadata.items() if k != "jupytext"}
    return Chapter(path, title, metadata, pieces, state.exercises)
