"""The book's conventions (issues 18 and 19), checked on the MyST sources without a build.

Every chapter of ``_toc.yml`` under ``book/ch*.md`` and ``book/frame_potential.md`` must have

- exactly one ``:class: objectives`` admonition, after the title and before the first ``##``;
- a ``## Summary`` after which only ``## Exercises`` may follow as a ``##`` heading;
- ``{cite}`` keys that exist in ``book/references.bib`` and ``{term}`` targets that are glossary
  terms (case-insensitive, as Sphinx compares them);
- at least three ``{exercise}`` directives, each titled with its difficulty (★ to ★★★), of one of
  four kinds, with a gated solution; a stub cell before the solution and a check cell after it for
  every computation and replication exercise; a proof exercise in every theory chapter and a
  replication exercise in every experiment chapter;
- ``:nonumber:`` on every sphinx-proof directive.

The departures page may only link labels that a chapter defines and tests that exist. The parsing
is a small fence scanner (CommonMark fences, MyST directives and colon fences); its functions are
tested on inline snippets first, so that every rule is seen to fail on a bad one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

#: The glossary terms of book_conventions (issue 19); chapters link them with {term}.
GLOSSARY_TERMS = (
    "random forest", "geometric wavelet", "tau-sparsity", "transition index", "alpha score",
    "sparsity probe", "dyadic partition", "adaptive tree", "M-term approximation",
    "approximation space", "Besov space", "sawtooth function", "linear separability",
    "non-linear separability", "uncrumpling", "one-hot encoding", "width reduction",
    "controlled score", "quick setting", "full setting", "mutual coherence", "frame potential",
    "Welch bound", "induced dictionary", "neural collapse", "NCC mismatch",
    "interpolation threshold", "SVSL",
)
EXERCISE_KINDS = ("kind-proof", "kind-computation", "kind-replication", "kind-concept")
CHECKED_KINDS = ("kind-computation", "kind-replication")
DIFFICULTY = re.compile(r" \((★|★★|★★★)\)$")
THEORY = re.compile(r"^(ch0[1-5]_|ch0[78]_|frame_potential$)")
EXPERIMENT = re.compile(r"^(ch06_|ch09_|ch09b_|ch1[0-9]_|frame_potential$)")
#: Directives whose body is code, not Markdown: fences inside them are text.
#: sphinx-proof directives that are never numbered (and take no :nonumber: option).
UNNUMBERED_PRF = {"prf:proof"}
LITERAL_DIRECTIVES = {"code-cell", "code", "code-block", "sourcecode", "math", "raw"}

FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.*?)\s*$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`(?P<keys>[^`]+)`")
TERM = re.compile(r"\{term\}`(?P<text>[^`]+)`")
REF = re.compile(r"\{ref\}`(?P<text>[^`]+)`")
PRF_REF = re.compile(r"\{prf:ref\}`(?P<text>[^`]+)`")
TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$")
BIB_ENTRY = re.compile(r"^@(?P<type>\w+)\s*\{\s*(?P<key>[^,\s]+)\s*,", re.MULTILINE)
TEST_NAME = re.compile(r"`(?P<file>tests/test_\w+\.py)::(?P<test>test_\w+)`")
DOUBLE_TICKS = re.compile(r"``.+?``")
EXERCISES_HEADING = re.compile(r"^Exercises(\s+\(.*\))?$")


# --------------------------------------------------------------------------- parsing


@dataclass
class Directive:
    """A fenced block: a MyST directive (``name`` set) or a plain code block (``name`` None)."""

    name: str | None
    argument: str
    start: int  # 0-based line of the opening fence
    end: int = -1  # line of the closing fence (last line of the file when never closed)
    depth: int = 0  # number of enclosing fences
    literal: bool = False
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class Page:
    """A MyST page split into fenced blocks and lines of Markdown."""

    lines: list[str]
    directives: list[Directive]
    markdown: list[tuple[int, str, int]]  # (line, text, depth) outside literal blocks

    def headings(self, level: int) -> list[tuple[int, str]]:
        """Headings of one level outside every fence, as (line, text)."""
        found = []
        for number, text, depth in self.markdown:
            m = HEADING.match(text)
            if depth == 0 and m and len(m["hashes"]) == level:
                found.append((number, m["text"]))
        return found

    def named(self, name: str) -> list[Directive]:
        return [d for d in self.directives if d.name == name]

    def prose(self) -> str:
        """The Markdown text without double-backtick code spans (roles shown, not used)."""
        return DOUBLE_TICKS.sub("", "\n".join(text for _, text, _ in self.markdown))


def _read_options(lines: list[str], directive: Directive) -> dict[str, str]:
    """Options at the top of a directive body: ``:key: value`` lines or a ``---`` YAML block."""
    options: dict[str, str] = {}
    body = lines[directive.start + 1 : directive.end]
    if body and body[0].strip() == "---":
        for line in body[1:]:
            if line.strip() == "---":
                break
            m = re.match(r"^(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$", line)
            if m:
                options[m["key"]] = m["value"]
        return options
    for line in body:
        m = OPTION.match(line)
        if not m:
            break
        options[m["key"]] = m["value"]
    return options


def parse_page(text: str) -> Page:
    """Split MyST text into directives (with their options) and Markdown lines."""
    lines = text.splitlines()
    directives: list[Directive] = []
    markdown: list[tuple[int, str, int]] = []
    stack: list[tuple[str, int, Directive]] = []
    for number, line in enumerate(lines):
        m = FENCE.match(line)
        top = stack[-1] if stack else None
        closes = (
            m is not None
            and top is not None
            and m["fence"][0] == top[0]
            and len(m["fence"]) >= top[1]
            and not m["info"].strip()
        )
        if closes:
            stack.pop()[2].end = number
            continue
        if top is not None and top[2].literal:
            continue  # inside code: nothing opens here
        if m is None:
            markdown.append((number, line, len(stack)))
            continue
        info = m["info"].strip()
        if info.startswith("{") and "}" in info:
            name, argument = info[1 : info.index("}")], info[info.index("}") + 1 :].strip()
            literal = name in LITERAL_DIRECTIVES
        else:
            name, argument = None, info
            literal = m["fence"][0] != ":"
        directive = Directive(name, argument, number, depth=len(stack), literal=literal)
        directives.append(directive)
        stack.append((m["fence"][0], len(m["fence"]), directive))
    for _, _, directive in stack:
        directive.end = len(lines) - 1
    for directive in directives:
        directive.options = _read_options(lines, directive)
    return Page(lines, directives, markdown)


def classes(directive: Directive) -> list[str]:
    return directive.options.get("class", "").split()


def cell_tags(directive: Directive) -> list[str]:
    """Tags of a code cell, from ``:tags: [a, b]`` or a YAML ``tags: [a, b]`` line."""
    raw = directive.options.get("tags", "")
    return [t.strip().strip("'\"") for t in raw.strip("[]").split(",") if t.strip()]


def bib_keys(text: str) -> list[str]:
    """Entry keys of a BibTeX file (``@type{key,``), @string/@comment/@preamble left out."""
    skip = {"string", "comment", "preamble"}
    return [m["key"] for m in BIB_ENTRY.finditer(text) if m["type"].lower() not in skip]


def cited_keys(page: Page) -> list[str]:
    """Every key of every ``{cite}``, ``{cite:p}``, ``{cite:t}`` ... role, lists split."""
    keys = []
    for m in CITE.finditer(page.prose()):
        keys.extend(k.strip() for k in m["keys"].split(",") if k.strip())
    return keys


def role_target(text: str) -> str:
    """The target of a role: ``text <target>`` or the whole text."""
    m = re.match(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", text.strip(), re.DOTALL)
    return (m["target"] if m else text).strip()


def glossary_terms(page: Page) -> list[str]:
    """Terms of every ``{glossary}`` directive: its unindented body lines that are not options."""
    terms = []
    for directive in page.named("glossary"):
        for line in page.lines[directive.start + 1 : directive.end]:
            if line.strip() and not line[0].isspace() and not OPTION.match(line):
                terms.append(line.split(" : ")[0].strip())
    return terms


def _norm(term: str) -> str:
    return " ".join(term.split()).lower()


# --------------------------------------------------------------------------- rules


def check_objectives(page: Page) -> list[str]:
    """Exactly one objectives admonition, after the ``#`` title and before the first ``##``."""
    boxes = [d for d in page.named("admonition") if "objectives" in classes(d)]
    if len(boxes) != 1:
        return [f"{len(boxes)} admonitions with :class: objectives (want exactly 1)"]
    titles, sections = page.headings(1), page.headings(2)
    box = boxes[0]
    problems = []
    if box.depth:
        problems.append(f"the objectives admonition (line {box.start + 1}) is nested")
    if not titles or titles[0][0] > box.start:
        problems.append("the objectives admonition comes before the # title")
    if sections and sections[0][0] < box.start:
        problems.append(f"the objectives admonition (line {box.start + 1}) comes after "
                        f"'## {sections[0][1]}'")
    return problems


def check_summary(page: Page) -> list[str]:
    """A ``## Summary``; after it only ``## Exercises`` (once) as a level-2 heading."""
    sections = page.headings(2)
    where = [i for i, (_, text) in enumerate(sections) if text == "Summary"]
    if len(where) != 1:
        return [f"{len(where)} '## Summary' headings (want exactly 1)"]
    after = [text for _, text in sections[where[0] + 1 :]]
    problems = [f"'## {t}' after the summary" for t in after if not EXERCISES_HEADING.match(t)]
    if len(after) > 1:
        problems.append(f"{len(after)} level-2 headings after the summary (at most Exercises)")
    return problems


def check_citations(page: Page, keys: set[str]) -> list[str]:
    return [f"{{cite}} key {k!r} is not in references.bib" for k in cited_keys(page)
            if k not in keys]


def check_terms(page: Page, terms: set[str]) -> list[str]:
    known = {_norm(t) for t in terms}
    problems = []
    for m in TERM.finditer(page.prose()):
        target = role_target(m["text"])
        if _norm(target) not in known:
            problems.append(f"{{term}} target {target!r} is not a glossary term")
    return problems


def check_exercises(page: Page) -> list[str]:
    """Count, titles, kinds, labels and gated solutions of the exercises."""
    exercises = page.named("exercise")
    problems = []
    if len(exercises) < 3:
        problems.append(f"{len(exercises)} exercises (want at least 3)")
    starts = {d.argument: d for d in page.named("solution-start")}
    ends = page.named("solution-end")
    fences = sorted(page.named("exercise") + page.named("solution-start"), key=lambda d: d.start)
    for ex in exercises:
        name = ex.options.get("label") or f"line {ex.start + 1}"
        if not DIFFICULTY.search(ex.argument):
            problems.append(f"{name}: title {ex.argument!r} does not end with (★), (★★) or (★★★)")
        kinds = [c for c in classes(ex) if c.startswith("kind-")]
        if len(kinds) != 1 or kinds[0] not in EXERCISE_KINDS:
            problems.append(f"{name}: :class: {ex.options.get('class', '')!r} names no single "
                            f"kind of {EXERCISE_KINDS}")
        if "label" not in ex.options:
            problems.append(f"{name}: no :label:")
            continue
        start = starts.get(ex.options["label"])
        if start is None:
            problems.append(f"{name}: no {{solution-start}} {name}")
            continue
        following = [d.start for d in fences if d.start > start.start]
        limit = following[0] if following else len(page.lines)
        if not any(start.start < e.start < limit for e in ends):
            problems.append(f"{name}: its {{solution-start}} has no {{solution-end}}")
    return problems


def _next_start(page: Page, after: int, names: tuple[str, ...]) -> int:
    later = [d.start for d in page.directives if d.name in names and d.start > after]
    return min(later, default=len(page.lines))


def check_exercise_cells(page: Page) -> list[str]:
    """A stub cell before the solution and a check cell after it, for computed exercises."""
    cells = page.named("code-cell")
    starts = {d.argument: d for d in page.named("solution-start")}
    problems = []
    for ex in page.named("exercise"):
        if not set(classes(ex)) & set(CHECKED_KINDS):
            continue
        label = ex.options.get("label", f"line {ex.start + 1}")
        start = starts.get(label)
        if start is None or start.start < ex.start:
            problems.append(f"{label}: no {{solution-start}} after the exercise")
            continue
        if not any(ex.end < c.start < start.start and "exercise-stub" in cell_tags(c)
                   for c in cells):
            problems.append(f"{label}: no exercise-stub cell between the exercise and its "
                            "solution")
        ends = [d for d in page.named("solution-end") if d.start > start.start]
        if not ends:
            problems.append(f"{label}: no {{solution-end}}")
            continue
        end = ends[0].end
        limit = _next_start(page, end, ("exercise",))
        if not any(end < c.start < limit and "exercise-check" in cell_tags(c) for c in cells):
            problems.append(f"{label}: no exercise-check cell after its solution (before the next "
                            "exercise)")
    return problems


def check_exercise_kinds(page: Page, stem: str) -> list[str]:
    kinds = [c for ex in page.named("exercise") for c in classes(ex)]
    problems = []
    if THEORY.match(stem) and "kind-proof" not in kinds:
        problems.append("a theory chapter without a kind-proof exercise")
    if EXPERIMENT.match(stem) and "kind-replication" not in kinds:
        problems.append("an experiment chapter without a kind-replication exercise")
    return problems


def check_nonumber(page: Page) -> list[str]:
    """Every numbered sphinx-proof directive carries ``:nonumber:`` ({prf:proof} has no number
    and rejects the option)."""
    return [f"{{{d.name}}} at line {d.start + 1} lacks :nonumber:"
            for d in page.directives
            if d.name and d.name.startswith("prf:") and d.name not in UNNUMBERED_PRF
            and "nonumber" not in d.options]


def check_departure_links(page: Page, chapters: list[Page]) -> list[str]:
    """Every {ref} of the departures page names a ``(label)=`` target of a chapter and every
    {prf:ref} a ``:label:`` of a chapter's directive."""
    targets = set().union(set(), *(chapter_targets(p) for p in chapters))
    labels = set().union(set(), *(directive_labels(p) for p in chapters))
    prose = page.prose()
    refs = [role_target(m["text"]) for m in REF.finditer(prose)]
    problems = [] if refs else ["the page links no chapter section with {ref}"]
    problems += [f"{{ref}} {r!r} is no chapter's target" for r in refs if r not in targets]
    problems += [f"{{prf:ref}} {r!r} is no chapter's label"
                 for r in (role_target(m["text"]) for m in PRF_REF.finditer(prose))
                 if r not in labels]
    return problems


def missing_tests(text: str, root: Path) -> list[str]:
    """The ``tests/FILE.py::TEST`` names of ``text`` whose file or test function does not exist."""
    missing = []
    for file, test in TEST_NAME.findall(text):
        path = root / file
        source = path.read_text(encoding="utf-8") if path.is_file() else ""
        if not re.search(rf"^def {test}\(", source, re.MULTILINE):
            missing.append(f"{file}::{test}")
    return missing


def chapter_targets(page: Page) -> set[str]:
    return {m["label"] for _, text, _ in page.markdown if (m := TARGET.match(text))}


def directive_labels(page: Page) -> set[str]:
    return {d.options["label"] for d in page.directives if "label" in d.options}


# --------------------------------------------------------------------------- the book


def toc_files() -> list[str]:
    """Every ``file:`` entry of ``_toc.yml`` (and its root), in order."""
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    root = re.search(r"^root:\s*(\S+)", text, re.MULTILINE)
    files = re.findall(r"^\s*-?\s*file:\s*(\S+)", text, re.MULTILINE)
    return ([root.group(1)] if root else []) + files


def toc_chapters() -> list[str]:
    return [f for f in toc_files()
            if re.fullmatch(r"book/(ch\w+|frame_potential)", f)]


def page_of(name: str) -> Page:
    return parse_page((ROOT / f"{name}.md").read_text(encoding="utf-8"))


CHAPTERS = toc_chapters()
BIB_KEYS = set(bib_keys((BOOK / "references.bib").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def glossary() -> set[str]:
    return set(glossary_terms(page_of("book/glossary")))


# --------------------------------------------------------------------------- parser unit tests

GOOD = """\
---
jupytext: {}
---
# Title

A lead paragraph.

:::{admonition} Objectives and prerequisites
:class: objectives

- one
:::

## Part

A {term}`τ-sparsity <tau-sparsity>` (not `` {term}`shown` ``) and a {cite:p}`a2020,b2021`
and {cite:t}`a2020`.

```{code-cell} ipython3
# ## not a heading; {cite:p}`missing` in code does not count
```

```text
## not a heading either
```

````{prf:lemma} Lemma 3.1 of Ben-Shaul & Dekel
:label: lemma-x
:nonumber:

Text.
````

(sec-summary)=
## Summary

- bullet

## Exercises

````{exercise} First (★)
:label: ex-a
:class: kind-computation

Text.
````

```{code-cell} ipython3
:tags: [exercise-stub, remove-cell, skip-execution]

x = ...
```

````{solution-start} ex-a
:class: dropdown
````

```{code-cell} ipython3
x = 1
```

````{solution-end}
````

```{code-cell} ipython3
---
tags: [exercise-check, remove-cell]
---
check_value("x", x, 1)
```

````{exercise} Second (★★)
:label: ex-b
:class: kind-proof

Prove it.
````

````{solution-start} ex-b
:class: dropdown
````
Proof.
````{solution-end}
````

````{exercise} Third (★★★)
:label: ex-c
:class: kind-replication

Run it.
````

```{code-cell} ipython3
:tags: [exercise-stub, remove-cell, skip-execution]
y = ...
```

````{solution-start} ex-c
:class: dropdown
````
````{solution-end}
````

```{code-cell} ipython3
:tags: [exercise-check, remove-cell]
check_value("y", y, 2)
```
"""


def good() -> Page:
    return parse_page(GOOD)


def bad(old: str, new: str) -> Page:
    assert old in GOOD, old
    return parse_page(GOOD.replace(old, new, 1))


def test_scanner_finds_headings_directives_and_options():
    page = good()
    assert page.headings(1) == [(3, "Title")]
    assert [t for _, t in page.headings(2)] == ["Part", "Summary", "Exercises"]
    lemma = page.named("prf:lemma")[0]
    assert lemma.argument == "Lemma 3.1 of Ben-Shaul & Dekel"
    assert lemma.options == {"label": "lemma-x", "nonumber": ""}
    stub, _, check, stub2, check2 = page.named("code-cell")[1:]
    assert cell_tags(stub) == ["exercise-stub", "remove-cell", "skip-execution"]
    assert cell_tags(check) == ["exercise-check", "remove-cell"]  # the YAML form
    assert "exercise-stub" in cell_tags(stub2) and "exercise-check" in cell_tags(check2)
    assert chapter_targets(page) == {"sec-summary"}


def test_the_good_snippet_passes_every_rule():
    page = good()
    assert check_objectives(page) == []
    assert check_summary(page) == []
    assert check_citations(page, {"a2020", "b2021"}) == []
    assert check_terms(page, {"Tau-Sparsity"}) == []  # case-insensitive, as Sphinx
    assert check_exercises(page) == []
    assert check_exercise_cells(page) == []
    assert check_exercise_kinds(page, "ch04_tau_sparsity") == []
    assert check_exercise_kinds(page, "ch06_synthetic_checks") == []
    assert check_exercise_kinds(page, "frame_potential") == []
    assert check_nonumber(page) == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (":class: objectives\n", ":class: note\n", "0 admonitions"),
        ("# Title\n", "# Title\n\n## Early\n", "comes after '## Early'"),
        ("- one\n:::\n", "- one\n:::\n\n:::{admonition} Again\n:class: objectives\nx\n:::\n",
         "2 admonitions"),
    ],
)
def test_objectives_rule_fails_on_bad_snippets(old, new, message):
    problems = check_objectives(bad(old, new))
    assert problems and message in problems[0]


def test_objectives_must_follow_the_title():
    text = GOOD.replace("# Title\n", "", 1).replace("- one\n:::\n", "- one\n:::\n\n# Title\n", 1)
    assert "before the # title" in " ".join(check_objectives(parse_page(text)))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("## Summary\n", "## Summing up\n", "0 '## Summary'"),
        ("## Exercises\n", "## Exercises\n\n## Notes\n", "'## Notes' after the summary"),
        ("## Exercises\n", "## Further reading\n", "'## Further reading' after"),
    ],
)
def test_summary_rule_fails_on_bad_snippets(old, new, message):
    problems = check_summary(bad(old, new))
    assert problems and message in " ".join(problems)


def test_summary_rule_allows_a_parenthetical_exercises_heading_and_subsections():
    page = bad("## Exercises\n", "## Exercises (the slides' assignments)\n\n### First set\n")
    assert check_summary(page) == []


def test_citation_rule_reads_lists_and_ignores_code():
    page = good()
    assert cited_keys(page) == ["a2020", "b2021", "a2020"]
    assert check_citations(page, {"a2020"}) == ["{cite} key 'b2021' is not in references.bib"]
    assert check_citations(bad("{cite:t}`a2020`", "{cite}`c1, a2020`"), {"a2020", "b2021"}) == [
        "{cite} key 'c1' is not in references.bib"]


def test_bib_keys_are_read_from_entries_only():
    text = "@string{x = {y}}\n@article{key1,\n  title={A},\n}\n@misc{ key2 ,\n}\n% @book{no,"
    assert bib_keys(text) == ["key1", "key2"]


def test_term_rule_uses_the_target_and_ignores_case():
    assert role_target("τ-sparsity <tau-sparsity>") == "tau-sparsity"
    assert role_target("alpha score") == "alpha score"
    problems = check_terms(bad("<tau-sparsity>", "<tau sparsity>"), {"tau-sparsity"})
    assert problems == ["{term} target 'tau sparsity' is not a glossary term"]


def test_glossary_terms_are_the_unindented_lines():
    text = "```{glossary}\n:sorted:\n\nterm one\n  Its text.\n\nTerm Two\n  More.\n```\n"
    page = parse_page(text)
    assert glossary_terms(page) == ["term one", "Term Two"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("Third (★★★)", "Third", "does not end with"),
        ("First (★)", "First (*)", "does not end with"),
        (":class: kind-proof", ":class: kind-essay", "names no single kind"),
        (":class: kind-proof", ":class: kind-proof kind-concept", "names no single kind"),
        (":label: ex-b\n", "", "no :label:"),
        ("````{solution-start} ex-b", "````{solution-start} ex-z", "no {solution-start} ex-b"),
        ("Proof.\n````{solution-end}\n````\n", "Proof.\n", "has no {solution-end}"),
    ],
)
def test_exercise_rule_fails_on_bad_snippets(old, new, message):
    problems = check_exercises(bad(old, new))
    assert problems and message in " ".join(problems)


def test_exercise_count_fails_below_three():
    cut = GOOD.index("````{exercise} Third")
    assert "2 exercises" in check_exercises(parse_page(GOOD[:cut]))[0]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (":tags: [exercise-stub, remove-cell, skip-execution]\n\nx = ...",
         ":tags: [remove-cell]\n\nx = ...", "ex-a: no exercise-stub"),
        ("tags: [exercise-check, remove-cell]", "tags: [remove-cell]", "ex-a: no exercise-check"),
        (":tags: [exercise-check, remove-cell]\ncheck_value(\"y\"",
         ":tags: [hide-input]\ncheck_value(\"y\"", "ex-c: no exercise-check"),
    ],
)
def test_exercise_cell_rule_fails_on_bad_snippets(old, new, message):
    problems = check_exercise_cells(bad(old, new))
    assert problems and message in " ".join(problems)


def test_a_check_cell_after_the_next_exercise_does_not_count():
    moved = GOOD.replace(
        "```{code-cell} ipython3\n---\ntags: [exercise-check, remove-cell]\n---\n"
        "check_value(\"x\", x, 1)\n```\n", "", 1)
    moved = moved.replace("Proof.\n````{solution-end}\n````\n",
                          "Proof.\n````{solution-end}\n````\n\n```{code-cell} ipython3\n"
                          ":tags: [exercise-check]\ncheck_value(\"x\", x, 1)\n```\n", 1)
    assert "ex-a: no exercise-check" in " ".join(check_exercise_cells(parse_page(moved)))


def test_kind_rule_fails_without_proof_or_replication():
    no_proof = bad(":class: kind-proof", ":class: kind-concept")
    assert check_exercise_kinds(no_proof, "ch04_tau_sparsity") == [
        "a theory chapter without a kind-proof exercise"]
    assert check_exercise_kinds(no_proof, "ch06_synthetic_checks") == []
    no_rep = bad(":class: kind-replication", ":class: kind-computation")
    assert check_exercise_kinds(no_rep, "ch10_neural_collapse") == [
        "an experiment chapter without a kind-replication exercise"]
    assert len(check_exercise_kinds(bad(":class: kind-proof", ":class: kind-concept"),
                                    "frame_potential")) == 1
    assert check_exercise_kinds(no_rep, "ch09b_estimator_sensitivity") != []
    assert check_exercise_kinds(no_rep, "ch07_approximation_spaces") == []


def test_nonumber_rule_fails_on_a_numbered_lemma_only():
    page = bad(":nonumber:\n", "")
    line = page.named("prf:lemma")[0].start + 1
    assert check_nonumber(page) == [f"{{prf:lemma}} at line {line} lacks :nonumber:"]
    proof = parse_page("````{prf:proof}\nText.\n````\n")
    assert check_nonumber(proof) == []


def test_toc_reading_finds_the_chapters():
    assert "book/ch04_tau_sparsity" in CHAPTERS and "book/frame_potential" in CHAPTERS
    assert "book/intro" not in CHAPTERS and "notebooks/frame_potential" not in CHAPTERS
    assert all((ROOT / f"{c}.md").is_file() for c in CHAPTERS)


# --------------------------------------------------------------------------- the apparatus


def test_bibliography_is_configured_and_its_keys_are_unique():
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert re.search(r"^bibtex_bibfiles:\s*\n\s*-\s*book/references\.bib", config, re.MULTILINE)
    keys = bib_keys((BOOK / "references.bib").read_text(encoding="utf-8"))
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert duplicates == [], f"keys defined twice in references.bib: {duplicates}"
    assert page_of("book/references").named("bibliography")


def test_glossary_defines_exactly_the_convention_terms(glossary):
    assert sorted(glossary, key=str.lower) == sorted(GLOSSARY_TERMS, key=str.lower)


OTHER_PAGES = [f for f in toc_files() if f.startswith("book/") and f not in CHAPTERS]


def test_the_apparatus_pages_are_in_the_toc():
    for name in ("book/glossary", "book/notation", "book/departures", "book/references"):
        assert name in OTHER_PAGES


@pytest.mark.parametrize("name", OTHER_PAGES)
def test_other_pages_cite_known_keys_and_terms(name, glossary):
    page = page_of(name)
    assert check_citations(page, BIB_KEYS) == []
    assert check_terms(page, glossary) == []


def test_departure_link_rule_fails_on_bad_snippets():
    chapter = good()
    ok = parse_page("See {ref}`the summary <sec-summary>` and {prf:ref}`lemma-x`.")
    assert check_departure_links(ok, [chapter]) == []
    wrong = parse_page("See {ref}`sec-gone` and {prf:ref}`Lemma <lemma-y>`.")
    assert check_departure_links(wrong, [chapter]) == [
        "{ref} 'sec-gone' is no chapter's target", "{prf:ref} 'lemma-y' is no chapter's label"]
    assert check_departure_links(parse_page("No links."), [chapter]) == [
        "the page links no chapter section with {ref}"]


def test_missing_tests_finds_absent_files_and_functions(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_here():\n    pass\n")
    text = "`tests/test_a.py::test_here`, `tests/test_a.py::test_gone`, `tests/test_b.py::test_x`"
    assert missing_tests(text, tmp_path) == [
        "tests/test_a.py::test_gone", "tests/test_b.py::test_x"]


def test_departures_links_only_chapter_labels():
    chapters = [page_of(c) for c in CHAPTERS]
    assert check_departure_links(page_of("book/departures"), chapters) == []


def test_departures_names_only_existing_tests():
    text = (BOOK / "departures.md").read_text(encoding="utf-8")
    assert len(TEST_NAME.findall(text)) >= 10
    assert missing_tests(text, ROOT) == []


# --------------------------------------------------------------------------- the chapters


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_opens_with_objectives(chapter):
    assert check_objectives(page_of(chapter)) == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_closes_with_a_summary(chapter):
    assert check_summary(page_of(chapter)) == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_citations_are_in_the_bibliography(chapter):
    assert check_citations(page_of(chapter), BIB_KEYS) == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_terms_are_in_the_glossary(chapter, glossary):
    assert check_terms(page_of(chapter), glossary) == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_exercises_have_difficulty_kind_and_gated_solution(chapter):
    assert check_exercises(page_of(chapter)) == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_checked_exercises_have_stub_and_check_cells(chapter):
    assert check_exercise_cells(page_of(chapter)) == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_its_proof_or_replication_exercise(chapter):
    assert check_exercise_kinds(page_of(chapter), Path(chapter).name) == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_proof_directives_are_unnumbered(chapter):
    assert check_nonumber(page_of(chapter)) == []


# ------------------------------------------------------- links to unnumbered proof directives

#: a {prf:ref} without its own text; every prf directive is :nonumber:, and sphinx-proof then
#: renders such a link as the bare type ("Lemma ") with neither number nor title
BARE_PRF_REF = re.compile(r"\{prf:ref\}`[^`<]*`")


def check_prf_links(text: str) -> list[str]:
    """Every {prf:ref} carries its own link text, ``{prf:ref}`Lemma 3.1 <lemma-3-1>```."""
    return [f"{m.group(0)} has no link text" for m in BARE_PRF_REF.finditer(text)]


def test_prf_link_rule_fails_on_a_bare_link():
    assert check_prf_links("by {prf:ref}`lemma-3-1`.") == ["{prf:ref}`lemma-3-1` has no link text"]
    assert check_prf_links("by {prf:ref}`Lemma 3.1 <lemma-3-1>`.") == []


@pytest.mark.parametrize("name", CHAPTERS + OTHER_PAGES)
def test_proof_links_carry_their_text(name):
    assert check_prf_links((ROOT / f"{name}.md").read_text(encoding="utf-8")) == []


# ----------------------------------------------- links whose text would be a title with TeX

#: Sphinx writes a heading's TeX verbatim into a {ref} or {doc} link that takes the heading as
#: its text (the page then shows "\alpha^*"); such links must carry their own text
TEX_TITLE = re.compile(r"^#+ .*\$")
TARGET_LINE = re.compile(r"^\((?P<label>[\w-]+)\)=$")


def tex_titled_targets(pages: dict[str, str]) -> tuple[set[str], set[str]]:
    """(labels right above a heading with TeX, page names whose title has TeX)."""
    labels, docs = set(), set()
    for name, text in pages.items():
        lines = text.splitlines()
        title = next((line for line in lines if line.startswith("# ")), "")
        if TEX_TITLE.match(title):
            docs.add(Path(name).name)
        for above, line in pairwise(lines):
            target = TARGET_LINE.match(above)
            if target and TEX_TITLE.match(line):
                labels.add(target.group("label"))
    return labels, docs


def check_tex_link_texts(text: str, labels: set[str], docs: set[str]) -> list[str]:
    """Every {ref}/{doc} to a TeX-titled target gives its own link text."""
    bare = re.finditer(r"\{(ref|doc)\}`([^`<]+)`", text)
    return [
        f"{{{m.group(1)}}}`{m.group(2)}` shows the target's TeX title"
        for m in bare
        if (m.group(1) == "ref" and m.group(2) in labels)
        or (m.group(1) == "doc" and Path(m.group(2)).name in docs)
    ]


def test_tex_link_rule_fails_on_a_bare_link():
    pages = {"book/a": "# How far $\\alpha$ moves\n\n(a-sec)=\n## The $\\tau$ part\n"}
    labels, docs = tex_titled_targets(pages)
    assert (labels, docs) == ({"a-sec"}, {"a"})
    assert check_tex_link_texts("see {doc}`a` and {ref}`a-sec`", labels, docs) == [
        "{doc}`a` shows the target's TeX title",
        "{ref}`a-sec` shows the target's TeX title",
    ]
    assert check_tex_link_texts("see {doc}`A <a>`, {ref}`the part <a-sec>`", labels, docs) == []


@pytest.mark.parametrize("name", CHAPTERS + OTHER_PAGES)
def test_links_to_tex_titles_carry_their_text(name):
    pages = {n: (ROOT / f"{n}.md").read_text(encoding="utf-8") for n in CHAPTERS + OTHER_PAGES}
    labels, docs = tex_titled_targets(pages)
    assert check_tex_link_texts(pages[name], labels, docs) == []
