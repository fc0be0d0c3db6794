"""Student and instructor notebooks from the book's chapters (``sparsity-widgets assignment``).

``sparsity-widgets assignment build CHAPTER.md|all --out DIR [--nbgrader]`` reads a chapter's
MyST source (jupytext) and writes two notebooks (nbformat) into ``DIR``:

``<chapter>-student.ipynb``
    The chapter with its exercises; every solution removed at the source level (the markdown
    and the code cells between ``{solution-start} LABEL`` and ``{solution-end}``, a
    ``{solution}`` directive's body); the code stubs (``exercise-stub``, which raise
    ``NotImplementedError`` until the student fills them in) and the check cells
    (``exercise-check``) kept and made visible; hidden tests (``exercise-hidden``) removed.
    An exercise without a stub gets a markdown cell ``YOUR ANSWER HERE`` where its solution
    was.
``<chapter>-instructor.ipynb``
    All of it: solutions as plain cells under a heading ``Solution to LABEL``, check cells and
    hidden tests; no stubs.

The exercise directives become bold headings ("**Exercise (ex-ch04-cut-cells): Title
(★★)**"); the rest of the MyST (``{cite}``, ``{term}``, ``{doc}``, ``{eq}``, ``prf``
directives) stays as text, readable in Jupyter. Every cell made from an exercise carries
``metadata["sparsity_widgets"] = {"role": ..., "exercise": LABEL}`` (roles ``exercise``,
``stub``, ``solution``, ``check``, ``hidden``, ``answer``), which :func:`substitute_solutions`
and graders' scripts use.

With ``nbgrader=True`` (``--nbgrader``) both notebooks carry nbgrader cell metadata (schema
version 3): a stub is an "autograded answer" (``solution``), a check cell "autograder tests"
(``grade``, ``locked``, points = the exercise's stars, 1 when unmarked), an answer cell a
"manually graded answer" (``solution`` and ``grade``). The instructor notebook is then an
nbgrader *source* notebook with exactly the student notebook's cells: each stub holds the
stub's comment lines and the reference solution (its code cells in order, its prose as
comments) between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; each answer cell holds the
written solution; each check cell ends with the exercise's hidden tests between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``. ``nbgrader generate_assignment`` on it
gives the student notebook's cells (with nbgrader's own stub text) and ``nbgrader autograde``
runs the hidden tests.

Files the chapters read
-----------------------
The book executes a chapter with its folder (``book/``) as working directory, and chapters
read saved results relative to it (``results/table1.json``, ``Path(RESULTS) / ...`` with
``RESULTS = f"results/mnist1d-{SETTING}"``, figures ``![...](results/...png)``). The
notebooks are made runnable from ``DIR`` by **copying** the entries of ``book/results/`` that
the chapter's source names into ``DIR/results/`` (an f-string field such as ``{SETTING}``
matches any text). A first cell that changes the working directory to the book would tie the
notebooks to this checkout; copies make ``DIR`` a folder a teacher can zip and hand out, and
the student notebook then needs only the installed package. The tests execute the notebooks
from ``DIR``, so a file the scan misses fails there.
"""

from __future__ import annotations

import difflib
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._io import atomic_write, atomic_write_text, check_output_dir
from ._parse import ANSWER_TEXT, Chapter, ChapterFormatError, Piece, parse_chapter

__all__ = [
    "AssignmentError",
    "BuiltChapter",
    "ChapterFormatError",
    "build_assignments",
    "build_chapter",
    "chapters_with_exercises",
    "find_book_root",
    "instructor_notebook",
    "student_notebook",
    "substitute_solutions",
]

META_KEY = "sparsity_widgets"
"""Cell metadata key holding ``{"role": ..., "exercise": LABEL}``."""

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

_DROP_TAGS = {
    "stub": {"remove-cell", "skip-execution"},
    "check": {"remove-cell"},
    "hidden": {"remove-cell"},
}
_RESULTS_REF = re.compile(r"(?<![\w-])results/([^\s\"'`)\]\\/]+)")


class AssignmentError(ValueError):
    """A chapter or option the builder cannot use; the message names it and what to do."""


@dataclass(frozen=True)
class BuiltChapter:
    """What :func:`build_chapter` wrote.

    Attributes
    ----------
    chapter : Path
        The MyST source.
    student, instructor : Path
        The two notebooks.
    exercises : int
        Number of exercises in the chapter.
    results : tuple of Path
        The entries copied into ``DIR/results`` (files or folders).
    """

    chapter: Path
    student: Path
    instructor: Path
    exercises: int
    results: tuple[Path, ...]


# --- notebooks -------------------------------------------------------------------------------


def _nbformat() -> Any:
    try:
        import nbformat
    except ImportError as exc:  # pragma: no cover - nbformat comes with jupytext
        raise ImportError(
            "sparsity-widgets assignment needs jupytext and nbformat: "
            "pip install 'sparsity_widgets[book]'"
        ) from exc
    return nbformat


def _grade_id(label: str, suffix: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{label}-{suffix}")


def _nbgrader_meta(
    grade_id: str, *, solution: bool, grade: bool, locked: bool, points: float | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = float(points or 0)
    return meta


def _cell(piece: Piece, source: str | None = None, *, cell_type: str | None = None) -> Any:
    nbf = _nbformat()
    metadata = {k: v for k, v in piece.metadata.items()}
    drop = _DROP_TAGS.get(piece.role, set())
    if "tags" in metadata:
        tags = [t for t in metadata["tags"] if t not in drop]
        if tags:
            metadata["tags"] = tags
        else:
            del metadata["tags"]
    if piece.label is not None and piece.role != "text":
        metadata[META_KEY] = {"role": piece.role, "exercise": piece.label}
    source = piece.source if source is None else source
    kind = cell_type or piece.cell_type
    if kind == "code":
        return nbf.v4.new_code_cell(source, metadata=metadata)
    if kind == "markdown":
        return nbf.v4.new_markdown_cell(source, metadata=metadata)
    return nbf.v4.new_raw_cell(source, metadata=metadata)


def _notebook(chapter: Chapter, intro: str, cells: list[Any]) -> Any:
    nbf = _nbformat()
    metadata = dict(chapter.metadata)
    metadata.setdefault(
        "kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"}
    )
    metadata.setdefault("language_info", {"name": "python"})
    notebook = nbf.v4.new_notebook(metadata=metadata)
    notebook.cells = [nbf.v4.new_markdown_cell(intro), *cells]
    for index, cell in enumerate(notebook.cells):
        # stable ids (nbformat draws random ones): building twice gives the same files
        role = cell.metadata.get(META_KEY, {}).get("role", "text")
        cell.id = f"{index:03d}-{role}"
    nbf.validate(notebook)
    return notebook


def _points(chapter: Chapter, label: str) -> float:
    exercise = chapter.exercises.get(label)
    return float(exercise.stars) if exercise and exercise.stars else 1.0


class _Ids:
    """Unique nbgrader grade ids (``LABEL-check``, ``LABEL-check-2``, ...)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, label: str, suffix: str) -> str:
        base = _grade_id(label, suffix)
        grade_id, n = base, 1
        while grade_id in self.seen:
            n += 1
            grade_id = f"{base}-{n}"
        self.seen.add(grade_id)
        return grade_id


def _student_intro(chapter: Chapter) -> str:
    return (
        f"> **Student version** of *{chapter.title}* (`{chapter.path.name}`), written by "
        "`sparsity-widgets assignment build`. The solutions are removed. For an exercise with a "
        "code cell that raises `NotImplementedError`, replace its `...` with your computation, "
        "delete the `raise` line, run the cell, then run the check cell after it: it prints a "
        "confirmation, or says what is off without giving the answer. Write other answers in "
        f"the cells that say {ANSWER_TEXT}. Run the cells in order, from the folder this "
        "notebook is in (it reads files under `results/` next to it)."
    )


def _instructor_intro(chapter: Chapter, nbgrader: bool) -> str:
    text = (
        f"> **Instructor version** of *{chapter.title}* (`{chapter.path.name}`), written by "
        "`sparsity-widgets assignment build`: the chapter with every solution, the check cells "
        "and the hidden tests."
    )
    if nbgrader:
        text += (
            # (nbgrader reads its markers anywhere, so this text must not spell them)
            " This is an nbgrader source notebook: the solutions are inside the answer cells "
            "between nbgrader's solution markers, the hidden tests at the end of the check "
            "cells between its hidden-test markers."
        )
    return text


def student_notebook(chapter: Chapter, *, nbgrader: bool = False) -> Any:
    """The student notebook of a parsed chapter (see the module docstring).

    Parameters
    ----------
    chapter : Chapter
        From :func:`~sparsity_widgets.teaching._parse.parse_chapter`.
    nbgrader : bool, default False
        Add nbgrader cell metadata (schema version 3).

    Returns
    -------
    nbformat.NotebookNode
        A valid nbformat 4 notebook.
    """
    ids = _Ids()
    cells = []
    for piece in chapter.pieces:
        if piece.role in ("solution", "hidden"):
            continue
        cell = _cell(piece)
        if nbgrader and piece.label is not None:
            _add_nbgrader(cell, chapter, piece, ids)
        cells.append(cell)
    return _notebook(chapter, _student_intro(chapter), cells)


def _add_nbgrader(cell: Any, chapter: Chapter, piece: Piece, ids: _Ids) -> None:
    label = piece.label or ""
    if piece.role == "stub":
        cell.metadata["nbgrader"] = _nbgrader_meta(
            ids(label, "answer"), solution=True, grade=False, locked=False
        )
    elif piece.role == "check":
        cell.metadata["nbgrader"] = _nbgrader_meta(
            ids(label, "check"), solution=False, grade=True, locked=True,
            points=_points(chapter, label),
        )
    elif piece.role == "answer":
        cell.metadata["nbgrader"] = _nbgrader_meta(
            ids(label, "manual"), solution=True, grade=True, locked=False,
            points=_points(chapter, label),
        )


def _solution_pieces(chapter: Chapter, label: str) -> list[Piece]:
    return [
        p for p in chapter.pieces
        if p.role == "solution" and p.label == label and not p.source.startswith("#### Solution")
    ]


def _stub_header(source: str) -> list[str]:
    """The stub without its ``raise NotImplementedError`` line(s) (comments, placeholders)."""
    return [
        line for line in source.rstrip().split("\n")
        if not line.lstrip().startswith("raise NotImplementedError")
    ]


def _nbgrader_answer_source(chapter: Chapter, stub: Piece) -> str:
    parts = []
    for piece in _solution_pieces(chapter, stub.label or ""):
        if piece.cell_type == "code":
            parts.append(piece.source.rstrip())
        else:
            parts.append("\n".join(f"# {line}".rstrip() for line in piece.source.split("\n")))
    return "\n".join([*_stub_header(stub.source), BEGIN_SOLUTION, "\n\n".join(parts), END_SOLUTION])


def _nbgrader_manual_source(chapter: Chapter, label: str) -> str:
    parts = []
    for piece in _solution_pieces(chapter, label):
        if piece.cell_type == "code":
            parts.append(f"```python\n{piece.source.rstrip()}\n```")
        else:
            parts.append(piece.source)
    return "\n\n".join(parts) if parts else "(The book gives no written solution.)"


def _hidden_by_check(chapter: Chapter) -> dict[int, list[Piece]]:
    """Index of a check piece -> the hidden tests of its exercise that join it."""
    joined: dict[int, list[Piece]] = {}
    for k, piece in enumerate(chapter.pieces):
        if piece.role != "hidden":
            continue
        checks = [
            i for i, p in enumerate(chapter.pieces) if p.role == "check" and p.label == piece.label
        ]
        if not checks:
            raise AssignmentError(
                f"{chapter.path}:{piece.line}: the hidden test of {piece.label!r} has no "
                "exercise-check cell to join in the nbgrader notebook; add a check cell to the "
                "exercise."
            )
        before = [i for i in checks if i < k]
        joined.setdefault(before[-1] if before else checks[0], []).append(piece)
    return joined


def instructor_notebook(chapter: Chapter, *, nbgrader: bool = False) -> Any:
    """The instructor notebook of a parsed chapter (see the module docstring).

    Parameters
    ----------
    chapter : Chapter
        From :func:`~sparsity_widgets.teaching._parse.parse_chapter`.
    nbgrader : bool, default False
        Write an nbgrader source notebook (the student notebook's cells, with the solutions
        and hidden tests between nbgrader's markers) instead of the plain one.

    Returns
    -------
    nbformat.NotebookNode

    Raises
    ------
    AssignmentError
        With ``nbgrader``: a hidden test whose exercise has no check cell.
    """
    intro = _instructor_intro(chapter, nbgrader)
    if not nbgrader:
        cells = [_cell(p) for p in chapter.pieces if p.role not in ("stub", "answer")]
        return _notebook(chapter, intro, cells)
    ids = _Ids()
    hidden = _hidden_by_check(chapter)
    cells = []
    for k, piece in enumerate(chapter.pieces):
        if piece.role in ("solution", "hidden"):
            continue
        if piece.role == "stub":
            cell = _cell(piece, _nbgrader_answer_source(chapter, piece))
        elif piece.role == "answer":
            cell = _cell(piece, _nbgrader_manual_source(chapter, piece.label or ""))
        elif piece.role == "check" and k in hidden:
            tests = "\n\n".join(p.source.rstrip() for p in hidden[k])
            cell = _cell(piece, f"{piece.source.rstrip()}\n\n{BEGIN_HIDDEN}\n{tests}\n{END_HIDDEN}")
        else:
            cell = _cell(piece)
        if piece.label is not None:
            _add_nbgrader(cell, chapter, piece, ids)
        cells.append(cell)
    return _notebook(chapter, intro, cells)


def substitute_solutions(student: Any, instructor: Any) -> Any:
    """A copy of ``student`` with each stub replaced by its exercise's reference code.

    The reference code of an exercise is the instructor notebook's solution code cells of that
    exercise, joined in order. Running the result checks that the check cells accept the
    reference solution *in the student notebook* (nothing else of the solution is needed).

    Parameters
    ----------
    student, instructor : nbformat.NotebookNode
        A chapter's plain (not nbgrader) student and instructor notebooks.

    Returns
    -------
    nbformat.NotebookNode

    Raises
    ------
    AssignmentError
        A stub whose exercise's solution has no code cell.
    """
    import copy

    code: dict[str, list[str]] = {}
    for cell in instructor.cells:
        meta = cell.metadata.get(META_KEY, {})
        if cell.cell_type == "code" and meta.get("role") == "solution":
            code.setdefault(meta["exercise"], []).append(cell.source)
    result = copy.deepcopy(student)
    for cell in result.cells:
        meta = cell.metadata.get(META_KEY, {})
        if meta.get("role") != "stub":
            continue
        label = meta["exercise"]
        if label not in code:
            raise AssignmentError(
                f"exercise {label!r} has a stub but its solution has no code cell; the "
                "reference solution must compute what the stub names."
            )
        cell.source = "\n\n".join(code[label])
    return result


# --- files -----------------------------------------------------------------------------------


def _copy_file(source: Path, target: Path) -> None:
    if target.is_file():
        a, b = source.stat(), target.stat()
        if a.st_size == b.st_size and int(a.st_mtime) == int(b.st_mtime):
            return
    atomic_write(target, lambda tmp: shutil.copy2(source, tmp))


def copy_results(chapter_path: Path, out: Path) -> tuple[Path, ...]:
    """Copy the ``results/`` entries a chapter names next to its notebooks.

    Parameters
    ----------
    chapter_path : Path
        The MyST source; its references ``results/NAME...`` are looked up in
        ``chapter_path.parent / "results"`` (an f-string field ``{...}`` in NAME matches any
        text).
    out : Path
        The notebooks' folder; entries go to ``out / "results" / NAME``.

    Returns
    -------
    tuple of Path
        The copied entries (files or folders) under ``out / "results"``, sorted.
    """
    source_dir = chapter_path.parent / "results"
    if not source_dir.is_dir():
        return ()
    text = chapter_path.read_text(encoding="utf-8")
    entries: set[Path] = set()
    for match in _RESULTS_REF.finditer(text):
        name = match[1].rstrip(".,;:")
        pattern = re.sub(r"\{[^}]*\}", "*", name)
        if "{" in pattern or "}" in pattern or not pattern.strip("*"):
            continue
        entries.update(source_dir.glob(pattern))
    copied = []
    for entry in sorted(entries):
        target = out / "results" / entry.name
        if entry.is_dir():
            for path in sorted(entry.rglob("*")):
                if path.is_file():
                    _copy_file(path, target / path.relative_to(entry))
        elif entry.is_file():
            _copy_file(entry, target)
        else:
            continue
        copied.append(target)
    return tuple(copied)


def build_chapter(chapter: str | Path, out: str | Path, *, nbgrader: bool = False) -> BuiltChapter:
    """Write a chapter's student and instructor notebooks (and its data) into ``out``.

    Parameters
    ----------
    chapter : str or Path
        The chapter's MyST source.
    out : str or Path
        The folder (created if needed).
    nbgrader : bool, default False
        Add nbgrader metadata (see the module docstring).

    Returns
    -------
    BuiltChapter

    Raises
    ------
    AssignmentError
        The chapter has no exercise.
    ChapterFormatError
        Its exercises are malformed (the message names the file and line).
    OutputDirError
        ``out`` is a file or cannot be written.
    """
    path = Path(chapter)
    out = check_output_dir(out, option="--out")
    parsed = parse_chapter(path)
    if not parsed.exercises:
        raise AssignmentError(
            f"CHAPTER {str(path)!r} has no exercises ({{exercise}} directives); nothing to "
            "build. Name a chapter with exercises, or all."
        )
    nbf = _nbformat()
    student = atomic_write_text(
        out / f"{path.stem}-student.ipynb", nbf.writes(student_notebook(parsed, nbgrader=nbgrader))
    )
    instructor = atomic_write_text(
        out / f"{path.stem}-instructor.ipynb",
        nbf.writes(instructor_notebook(parsed, nbgrader=nbgrader)),
    )
    results = copy_results(path, out)
    return BuiltChapter(path, student, instructor, len(parsed.exercises), results)


# --- the book --------------------------------------------------------------------------------


def find_book_root(start: str | Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the current folder) with _toc.yml.

    Raises
    ------
    AssignmentError
        None found.
    """
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file():
            return folder
    raise AssignmentError(
        f"--book: no _toc.yml in {str(here)!r} or any folder above it; run from the book's "
        "folder or give --book BOOK_FOLDER."
    )


def _toc_files(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root") and isinstance(value, str):
                yield value
            else:
                yield from _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _toc_files(item)


def toc_pages(book: str | Path) -> list[Path]:
    """The MyST ``.md`` pages of a Jupyter Book's ``_toc.yml``, in table-of-contents order."""
    import yaml

    book = Path(book)
    toc_path = book / "_toc.yml"
    if not toc_path.is_file():
        raise AssignmentError(f"--book {str(book)!r}: no _toc.yml in it.")
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    pages: list[Path] = []
    for name in _toc_files(toc):
        path = book / name
        path = path if path.suffix else path.with_suffix(".md")
        if path.suffix == ".md" and path.is_file() and path not in pages:
            pages.append(path)
    return pages


def chapters_with_exercises(book: str | Path) -> list[Path]:
    """The pages of ``book``'s table of contents that contain at least one exercise.

    Parameters
    ----------
    book : str or Path
        The book's root folder (holding ``_toc.yml``).

    Returns
    -------
    list of Path
        In table-of-contents order.
    """
    return [p for p in toc_pages(book) if "{exercise" in p.read_text(encoding="utf-8")
            and parse_chapter(p).exercises]


def _resolve(target: str, book: Path | None) -> list[Path]:
    if target == "all":
        root = find_book_root() if book is None else Path(book)
        chapters = chapters_with_exercises(root)
        if not chapters:
            raise AssignmentError(f"--book {str(root)!r}: no page of its _toc.yml has exercises.")
        return chapters
    path = Path(target)
    if path.is_dir():
        raise AssignmentError(f"CHAPTER {target!r} is a folder; give a chapter's .md file or all.")
    if path.is_file():
        if path.suffix != ".md":
            raise AssignmentError(
                f"CHAPTER {target!r} is not a MyST chapter (.md); give e.g. "
                "book/ch04_tau_sparsity.md, or all."
            )
        return [path]
    names: dict[str, Path] = {}
    try:
        root = find_book_root() if book is None else Path(book)
        names = {p.stem: p for p in toc_pages(root)}
    except AssignmentError:
        pass
    stem = Path(target).stem if target.endswith(".md") else target
    if stem in names and not target.endswith(".md"):
        return [names[stem]]
    close = difflib.get_close_matches(stem, list(names), n=1, cutoff=0.5)
    hint = f" Did you mean {str(names[close[0]])!r}?" if close else ""
    raise AssignmentError(
        f"CHAPTER {target!r}: no such chapter file; give a chapter's .md file (e.g. "
        f"book/ch04_tau_sparsity.md), a page name of the book's _toc.yml, or all.{hint}"
    )


def build_assignments(
    target: str | Path, out: str | Path, *, nbgrader: bool = False, book: str | Path | None = None
) -> list[BuiltChapter]:
    """Build the notebooks of one chapter or of every chapter with exercises.

    Parameters
    ----------
    target : str or Path
        ``"all"`` (every page of the book's ``_toc.yml`` with an exercise), a chapter's
        ``.md`` file, or a page name of the table of contents (``"ch04_tau_sparsity"``).
    out : str or Path
        The output folder.
    nbgrader : bool, default False
        Add nbgrader metadata.
    book : str or Path, optional
        The book's root folder (with ``_toc.yml``); default: the nearest at or above the
        current folder. Used for ``"all"`` and page names.

    Returns
    -------
    list of BuiltChapter

    Raises
    ------
    AssignmentError
        Unknown chapter (with a suggestion), a folder or a non-``.md`` file as chapter, a named
        chapter with no exercises, no ``_toc.yml``, two chapters with the same file name.
    ChapterFormatError
        A malformed chapter (file and line in the message).
    OutputDirError
        ``out`` is a file or cannot be written.
    """
    out = check_output_dir(out, option="--out")
    chapters = _resolve(str(target), None if book is None else Path(book))
    stems = [p.stem for p in chapters]
    twice = sorted({s for s in stems if stems.count(s) > 1})
    if twice:
        raise AssignmentError(
            f"two chapters named {twice[0]!r} would write the same notebooks; build them into "
            "separate --out folders."
        )
    return [build_chapter(p, out, nbgrader=nbgrader) for p in chapters]
