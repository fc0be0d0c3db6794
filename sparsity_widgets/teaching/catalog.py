"""The book's exercises in tables: chapter, title, kind, difficulty, check, time.

The "For teachers" page (book/teachers.md) holds these tables between the comment lines
``% BEGIN exercise tables`` / ``% END exercise tables``, and the exercise counts and hours of its
course plan between ``% BEGIN course plan`` / ``% END course plan``. When the chapters'
exercises change, update the page with::

    python -m sparsity_widgets.teaching.catalog book/teachers.md

(run from the book's folder); a test checks that the page is up to date. Times are estimates
per difficulty (:data:`MINUTES`), for a student who has read the chapter.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ._parse import parse_chapter

__all__ = [
    "MINUTES",
    "CatalogEntry",
    "catalog_markdown",
    "chapter_tables_myst",
    "doc_link",
    "exercise_catalog",
    "plain_title",
    "summary_markdown",
    "update_teachers_page",
]

MINUTES = {0: 30, 1: 15, 2: 30, 3: 60}
"""Estimated minutes per exercise by stars (0: difficulty not marked)."""

_STARS = re.compile(r"\s*\(★{1,3}\)\s*$")


@dataclass(frozen=True)
class CatalogEntry:
    """One exercise of the book.

    Attributes
    ----------
    chapter : str
        The chapter's file name without ``.md`` (``"ch04_tau_sparsity"``).
    chapter_title : str
        Its ``# Title``.
    label : str
        The exercise's label.
    title : str
        Its title without the difficulty mark.
    kind : str
        ``proof``, ``computation``, ``replication``, ``concept``, or ``"-"`` when unmarked.
    stars : int
        1-3, 0 when unmarked.
    checked : bool
        Whether a check cell tests the answer automatically.
    minutes : int
        Estimated time (:data:`MINUTES`).
    linked : bool
        Whether the label is the chapter's own ``:label:`` (a page can link it).
    """

    chapter: str
    chapter_title: str
    label: str
    title: str
    kind: str
    stars: int
    checked: bool
    minutes: int
    linked: bool = True


def exercise_catalog(chapters: list[str | Path]) -> list[CatalogEntry]:
    """Every exercise of ``chapters`` (MyST files), in order.

    Parameters
    ----------
    chapters : list of str or Path
        E.g. :func:`~sparsity_widgets.teaching.assignment.chapters_with_exercises`'s result.

    Returns
    -------
    list of CatalogEntry

    Raises
    ------
    ChapterFormatError
        A malformed chapter (file and line in the message).
    """
    entries = []
    for path in chapters:
        chapter = parse_chapter(path)
        checked = {p.label for p in chapter.pieces if p.role == "check"}
        for exercise in chapter.exercises.values():
            entries.append(
                CatalogEntry(
                    chapter=chapter.path.stem,
                    chapter_title=chapter.title,
                    label=exercise.label,
                    title=_STARS.sub("", exercise.title) or exercise.label,
                    kind=exercise.kind or "-",
                    stars=exercise.stars,
                    checked=exercise.label in checked,
                    minutes=MINUTES[exercise.stars],
                    linked=exercise.has_label,
                )
            )
    return entries


def _stars(n: int) -> str:
    return "★" * n if n else "-"


def catalog_markdown(entries: list[CatalogEntry]) -> str:
    """A markdown table with one row per exercise."""
    rows = [
        "| Chapter | Exercise | Label | Kind | Difficulty | Checked | Minutes |",
        "|---|---|---|---|---|---|---:|",
    ]
    for e in entries:
        rows.append(
            f"| {e.chapter} | {e.title} | `{e.label}` | {e.kind} | {_stars(e.stars)} | "
            f"{'yes' if e.checked else 'by hand'} | {e.minutes} |"
        )
    return "\n".join(rows)


def summary_markdown(entries: list[CatalogEntry]) -> str:
    """A markdown table with one row per chapter: counts by difficulty and kind, time."""
    rows = [
        "| Chapter | Exercises | ★ / ★★ / ★★★ | Kinds | Checked automatically | Hours |",
        "|---|---:|---|---|---:|---:|",
    ]
    chapters = list(dict.fromkeys(e.chapter for e in entries))
    total = 0
    for name in chapters:
        mine = [e for e in entries if e.chapter == name]
        stars = " / ".join(str(sum(e.stars == s for e in mine)) for s in (1, 2, 3))
        kinds = ", ".join(
            f"{k} {sum(e.kind == k for e in mine)}"
            for k in dict.fromkeys(e.kind for e in mine)
        )
        minutes = sum(e.minutes for e in mine)
        total += minutes
        rows.append(
            f"| {mine[0].chapter_title} | {len(mine)} | {stars} | {kinds} | "
            f"{sum(e.checked for e in mine)} | {minutes / 60:.1f} |"
        )
    rows.append(f"| **All** | {len(entries)} | | | {sum(e.checked for e in entries)} | "
                f"{total / 60:.1f} |")
    return "\n".join(rows)


_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "lambda": "λ",
    "mu": "μ", "sigma": "σ", "tau": "τ", "Lambda": "Λ", "Omega": "Ω", "Sigma": "Σ",
}


def plain_title(title: str) -> str:
    """``title`` with its ``$...$`` math as plain text (``$\\alpha^*$`` -> ``α*``), for link
    texts: Sphinx shows a page title's math as raw TeX in a ``{doc}`` link."""

    def plain(match: re.Match[str]) -> str:
        tex = re.sub(r"\\([A-Za-z]+)", lambda m: _GREEK.get(m[1], m[1]), match[1])
        return re.sub(r"[{}^_\\]", "", tex)

    return re.sub(r"\$([^$]+)\$", plain, title)


def doc_link(name: str, title: str) -> str:
    """A ``{doc}`` link to chapter ``name``, with ``title`` as plain text."""
    return f"{{doc}}`{plain_title(title)} <{name}>`"


def chapter_tables_myst(entries: list[CatalogEntry]) -> str:
    """MyST for a book page: per chapter a ``{doc}`` heading line and a table whose rows link
    the exercises with ``{ref}`` (the text the "For teachers" page holds)."""
    blocks = []
    for name in dict.fromkeys(e.chapter for e in entries):
        mine = [e for e in entries if e.chapter == name]
        minutes = sum(e.minutes for e in mine)
        rows = [
            f"**{doc_link(name, mine[0].chapter_title)}** ({len(mine)} exercises, about "
            f"{minutes / 60:.1f} h)",
            "",
            "| Exercise | Title | Label | Kind | Difficulty | Checked | Minutes |",
            "|---|---|---|---|---|---|---:|",
        ]
        for e in mine:
            link = f"{{ref}}`{e.label}`" if e.linked else "-"
            rows.append(
                f"| {link} | {e.title} | `{e.label}` | {e.kind} | {_stars(e.stars)} | "
                f"{'yes' if e.checked else 'by hand'} | {e.minutes} |"
            )
        blocks.append("\n".join(rows))
    return "\n\n".join(blocks)


_DOC = r"\{doc\}`(?:[^`<]*<)?(?P<name>[^`<>]+)>?`"
_HEADING = re.compile(rf"^\*\*{_DOC}\*\* \([^)]*\)(?P<rest>.*)$")


def _section(text: str, name: str) -> re.Match[str]:
    match = re.search(rf"(% BEGIN {name}[^\n]*\n)(.*?)(\n% END {name})", text, re.S)
    if match is None:
        raise ValueError(
            f"page: no section between '% BEGIN {name}' and '% END {name}' comment lines."
        )
    return match


def update_teachers_page(text: str, entries: list[CatalogEntry]) -> str:
    """``text`` of the teachers' page with its generated parts made current.

    The exercise tables are rewritten from ``entries``; the sentence after each chapter's
    heading (what its exercises train) is kept, a new chapter gets ``": (say what its
    exercises train)."``. In the course plan table, whose third column names the week's
    chapters with ``{doc}``, the last three columns (exercises of 1-2 stars, their hours, 3-star
    exercises) are recomputed.

    Parameters
    ----------
    text : str
        The page's MyST source.
    entries : list of CatalogEntry
        The book's exercises (:func:`exercise_catalog`).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        A ``% BEGIN``/``% END`` section is missing.
    """
    tables = _section(text, "exercise tables")
    said = {}
    for line in tables[2].split("\n"):
        heading = _HEADING.match(line)
        if heading:
            said[heading["name"]] = heading["rest"]
    lines = []
    for line in chapter_tables_myst(entries).split("\n"):
        heading = _HEADING.match(line)
        if heading:
            line += said.get(heading["name"], ": (say what its exercises train).")
        lines.append(line)
    text = text[: tables.start(2)] + "\n" + "\n".join(lines) + "\n" + text[tables.end(2) :]

    plan = _section(text, "course plan")
    rows = []
    for line in plan[2].split("\n"):
        cells = line.split(" | ")
        names = [m["name"] for m in re.finditer(_DOC, cells[2])] if len(cells) == 7 else []
        if names:
            mine = [e for e in entries if e.chapter in names]
            core = [e for e in mine if e.stars < 3]
            hours = sum(e.minutes for e in core) / 60
            cells[4:] = [str(len(core)), f"{hours:.1f}", f"{len(mine) - len(core)} |"]
            line = " | ".join(cells)
        rows.append(line)
    return text[: plan.start(2)] + "\n".join(rows) + text[plan.end(2) :]


def main(argv: list[str] | None = None) -> int:
    """``python -m sparsity_widgets.teaching.catalog PAGE [BOOK]``: update PAGE in place."""
    from .._io import atomic_write_text
    from .assignment import chapters_with_exercises

    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) > 2:
        print("usage: python -m sparsity_widgets.teaching.catalog PAGE.md [BOOK_FOLDER]",
              file=sys.stderr)
        return 2
    page = Path(args[0])
    book = Path(args[1]) if len(args) == 2 else Path(".")
    entries = exercise_catalog(chapters_with_exercises(book))
    old = page.read_text(encoding="utf-8")
    new = update_teachers_page(old, entries)
    if new != old:
        atomic_write_text(page, new)
    print(f"{page}: {len(entries)} exercises, {'updated' if new != old else 'up to date'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
