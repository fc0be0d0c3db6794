"""``sparsity-widgets assignment build``: student and instructor notebooks from the chapters.

On a fixture chapter (tests/fixtures/teaching/book/ch01_fixture.md, every case: a solution over
several cells, a prose-only solution, a non-gated solution, stubs with checks, a hidden test,
text after a solution in the same cell) and then on the real book: the student notebook holds no
solution text; the instructor notebook runs with its checks passing; the student notebook runs
with its checks passing when the reference code replaces each stub, and fails in every check
cell (and only there, and in the stubs) as it is.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from sparsity_widgets.cli import main
from sparsity_widgets.teaching._parse import ChapterFormatError, parse_chapter
from sparsity_widgets.teaching.assignment import (
    META_KEY,
    AssignmentError,
    build_assignments,
    build_chapter,
    chapters_with_exercises,
    instructor_notebook,
    student_notebook,
    substitute_solutions,
)

ROOT = Path(__file__).parents[1]
FIXTURE_BOOK = Path(__file__).parent / "fixtures" / "teaching"
FIXTURE = FIXTURE_BOOK / "book" / "ch01_fixture.md"
SECRETS = [
    "SECRET-PROSE-MULTI-ONE",
    "SECRET-PROSE-MULTI-TWO",
    "doubled_secret_multi",
    "SECRET-PROSE-ONLY",
    "SECRET-LITERAL-BLOCK",
    "secret_spread_code",
    "SECRET_CODE_POWERS",
    "SECRET-PROSE-POWERS",
    "SECRET-PROSE-NONGATED",
    "HIDDEN-TEST-MARK",
    "solution-start",
    "solution-end",
]
CONFIRMATION = re.compile(r": (correct|within the reference range)")


# --- helpers -------------------------------------------------------------------------------


def _role(cell) -> tuple[str | None, str | None]:
    meta = cell.metadata.get(META_KEY, {})
    return meta.get("role"), meta.get("exercise")


def _text(nb) -> str:
    return "\n".join(c.source for c in nb.cells)


def _execute(nb, cwd: Path, *, timeout: int = 600):
    """Run every cell (errors recorded, not raised) from ``cwd``; one thread per library."""
    from nbclient import NotebookClient

    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True,
        resources={"metadata": {"path": str(cwd)}},
    ).execute(env=env)
    return nb


def _error(cell) -> str | None:
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}"
    return None


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def _describe(nb, index: int) -> str:
    cell = nb.cells[index]
    role, label = _role(cell)
    first = cell.source.strip().split("\n")[0][:70]
    return f"cell {index} ({role or 'text'} {label or ''}; {first!r})"


def problems_of_passing_run(nb) -> list[str]:
    """Errors anywhere, and check cells that print no confirmation."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        error = _error(cell)
        if error:
            problems.append(f"{_describe(nb, i)}: {error}")
        elif _role(cell)[0] == "check" and not CONFIRMATION.search(_stdout(cell)):
            problems.append(f"{_describe(nb, i)}: no confirmation line printed")
    return problems


def problems_of_failing_run(nb) -> list[str]:
    """A student notebook as written: stubs raise NotImplementedError, every check cell fails
    with AnswerError (or NameError), and no other cell fails."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        role, error = _role(cell)[0], _error(cell)
        if role == "stub":
            if not error or not error.startswith("NotImplementedError"):
                problems.append(f"{_describe(nb, i)}: the stub should raise NotImplementedError")
        elif role == "check":
            if not error or not error.startswith(("AnswerError", "NameError")):
                problems.append(
                    f"{_describe(nb, i)}: should fail with AnswerError without a solution; "
                    f"got {error or 'no error'}"
                )
        elif error:
            problems.append(f"{_describe(nb, i)}: fails without the solutions: {error}")
    return problems


def solution_lines_in_student(chapter_path: Path, student) -> list[str]:
    """Lines of the solutions that appear in the student notebook and nowhere else in the
    chapter (so a line shared with the chapter's text, like an import, does not count)."""
    chapter = parse_chapter(chapter_path)
    elsewhere = "\n".join(p.source for p in chapter.pieces if p.role != "solution")
    student_text = _text(student)
    leaks = []
    for piece in chapter.pieces:
        if piece.role != "solution" or piece.source.startswith("#### Solution to"):
            continue
        for line in piece.source.split("\n"):
            line = line.strip()
            if len(line) >= 12 and line not in elsewhere and line in student_text:
                leaks.append(line)
    return leaks


def _code(nb, *, without: tuple[str, ...] = ()) -> str:
    return "\n\n".join(
        c.source.strip() for c in nb.cells
        if c.cell_type == "code" and _role(c)[0] not in without
    )


def _three_runs(built, out: Path, *, share: bool = False) -> dict[str, list[str]]:
    """Problems of the instructor notebook, of the student notebook with the reference code in
    its stubs, and of the student notebook as it is.

    With ``share``, the student notebook with solutions is executed only if its code differs
    from the instructor's without the hidden tests: when the two are the same code in the same
    order (the convention: the stub sits right before the solution), the instructor's run is
    its run."""
    student = nbformat.read(built.student, as_version=4)
    instructor = nbformat.read(built.instructor, as_version=4)
    substituted = substitute_solutions(student, instructor)
    runs = {"instructor": problems_of_passing_run(_execute(instructor, out))}
    if share and _code(substituted) == _code(instructor, without=("hidden",)):
        runs["student with solutions"] = runs["instructor"]
    else:
        runs["student with solutions"] = problems_of_passing_run(_execute(substituted, out))
    runs["student as is"] = problems_of_failing_run(_execute(student, out))
    return runs


# --- the fixture ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments")
    (built,) = build_assignments(FIXTURE, out)
    return built, out


def test_fixture_student_has_no_solution_text(fixture_build):
    built, _ = fixture_build
    student = nbformat.read(built.student, as_version=4)
    text = _text(student)
    for secret in SECRETS:
        assert secret not in text, secret
    assert solution_lines_in_student(FIXTURE, student) == []
    assert "KEPT-AFTER-SOLUTION" in text  # the text after {solution-end} in the same cell
    roles = [_role(c) for c in student.cells]
    assert ("hidden", "ex-fixture-double") not in roles
    assert [label for role, label in roles if role == "stub"] == [
        "ex-fixture-double", "ex-fixture-spread", "ex-fixture-powers"
    ]
    assert [label for role, label in roles if role == "answer"] == [
        "ex-fixture-proof", "ex-fixture-concept"
    ]
    for cell in student.cells:
        assert not {"remove-cell", "skip-execution"} & set(cell.metadata.get("tags", []))
    assert "**Exercise (ex-fixture-double): Doubling the values (★)**" in text
    assert "{exercise}" not in text and "{solution" not in text
    assert "{cite:p}`benshaul2021sparsity`" in text  # other MyST stays as text


def test_fixture_instructor_has_everything_but_stubs(fixture_build):
    built, _ = fixture_build
    instructor = nbformat.read(built.instructor, as_version=4)
    text = _text(instructor)
    for secret in SECRETS[:-2]:
        assert secret in text, secret
    assert "{solution-start}" not in text and "{solution-end}" not in text
    assert "#### Solution to ex-fixture-proof" in text
    roles = [_role(c)[0] for c in instructor.cells]
    assert "stub" not in roles and "answer" not in roles
    assert roles.count("check") == 3 and roles.count("hidden") == 1
    hidden = next(c for c in instructor.cells if _role(c)[0] == "hidden")
    assert "remove-cell" not in hidden.metadata.get("tags", [])


def test_fixture_notebooks_are_valid_and_copy_the_data(fixture_build):
    built, out = fixture_build
    for path in (built.student, built.instructor):
        nbformat.validate(nbformat.read(path, as_version=4))
    assert (out / "results" / "fixture-quick" / "values.json").is_file()
    assert [p.name for p in built.results] == ["fixture-quick"]
    assert built.exercises == 5


def test_fixture_three_executions(fixture_build):
    built, out = fixture_build
    student = nbformat.read(built.student, as_version=4)
    instructor = nbformat.read(built.instructor, as_version=4)
    # the shortcut of the real-book test holds here: the same code in the same order
    assert _code(substitute_solutions(student, instructor)) == _code(
        instructor, without=("hidden",)
    )
    runs = _three_runs(built, out)
    assert runs == {"instructor": [], "student with solutions": [], "student as is": []}


def test_student_as_is_check_messages_name_the_variable(fixture_build):
    built, out = fixture_build
    student = _execute(nbformat.read(built.student, as_version=4), out)
    checks = [c for c in student.cells if _role(c)[0] == "check"]
    errors = [_error(c) for c in checks]
    assert errors[0].startswith("AnswerError: total is still ..., the placeholder")
    assert "spread_mean" in errors[1] and "powers" in errors[2]


def test_a_wrong_answer_fails_its_check(fixture_build, tmp_path):
    built, out = fixture_build
    student = nbformat.read(built.student, as_version=4)
    instructor = nbformat.read(built.instructor, as_version=4)
    nb = substitute_solutions(student, instructor)
    stub = next(c for c in nb.cells if _role(c) == ("stub", "ex-fixture-spread"))
    stub.source += "\nspread_mean = spread_mean + 0.5"
    _execute(nb, out)
    check = next(c for c in nb.cells if _role(c) == ("check", "ex-fixture-spread"))
    error = _error(check)
    assert error.startswith("AnswerError: spread_mean: 1.5 is too high")
    assert "0.95" not in error and "1.05" not in error


def test_building_twice_gives_the_same_notebooks(fixture_build, tmp_path):
    built, _ = fixture_build
    (again,) = build_assignments(FIXTURE, tmp_path)
    assert again.student.read_text() == built.student.read_text()
    assert again.instructor.read_text() == built.instructor.read_text()


# --- nbgrader ------------------------------------------------------------------------------

NBGRADER_SCHEMA = json.loads((FIXTURE_BOOK / "nbgrader_v3.json").read_text())


def nbgrader_problems(nb) -> list[str]:
    """nbgrader's v3 cell-metadata rules (nbgrader/nbgraderformat/v3.json and v3.py, 0.9.6)."""
    import jsonschema

    problems, ids = [], set()
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        try:
            jsonschema.validate(meta, NBGRADER_SCHEMA)
        except jsonschema.ValidationError as exc:
            problems.append(f"cell {i}: {exc.message}")
            continue
        if meta["grade"] or meta["solution"] or meta["locked"]:
            if not meta.get("grade_id"):
                problems.append(f"cell {i}: no grade_id")
            elif meta["grade_id"] in ids:
                problems.append(f"cell {i}: duplicate grade_id {meta['grade_id']}")
            ids.add(meta.get("grade_id"))
        if meta["grade"] and "points" not in meta:
            problems.append(f"cell {i}: grade cell without points")
        if cell.cell_type == "markdown" and meta["grade"] != meta["solution"]:
            problems.append(f"cell {i}: markdown cell must be both grade and solution")
        if cell.cell_type == "code" and meta["solution"] and meta["grade"]:
            problems.append(f"cell {i}: code answers are checked by test cells, not graded")
    return problems


@pytest.fixture(scope="module")
def nbgrader_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("nbgrader")
    (built,) = build_assignments(FIXTURE, out, nbgrader=True)
    return built, out


def test_nbgrader_metadata_follows_the_v3_schema(nbgrader_build):
    built, _ = nbgrader_build
    student = nbformat.read(built.student, as_version=4)
    instructor = nbformat.read(built.instructor, as_version=4)
    assert nbgrader_problems(student) == []
    assert nbgrader_problems(instructor) == []

    def graded(nb):
        return [
            (c.cell_type, c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"].get("points"))
            for c in nb.cells if "nbgrader" in c.metadata
        ]

    assert graded(student) == graded(instructor) == [
        ("code", "ex-fixture-double-answer", None),
        ("code", "ex-fixture-double-check", 1.0),
        ("markdown", "ex-fixture-proof-manual", 2.0),
        ("code", "ex-fixture-spread-answer", None),
        ("code", "ex-fixture-spread-check", 3.0),
        ("code", "ex-fixture-powers-answer", None),
        ("code", "ex-fixture-powers-check", 1.0),
        ("markdown", "ex-fixture-concept-manual", 1.0),
    ]
    assert [c.source for c in student.cells if _role(c)[0] == "check"] == [
        c.source.split("\n\n### BEGIN HIDDEN TESTS")[0]
        for c in instructor.cells if _role(c)[0] == "check"
    ]
    text = _text(instructor)
    assert "### BEGIN HIDDEN TESTS" in text and "HIDDEN-TEST-MARK" in text
    answers = [c.source for c in instructor.cells if _role(c)[0] == "stub"]
    assert len(answers) == 3 and all("### BEGIN SOLUTION" in a for a in answers)
    for secret in SECRETS:
        assert secret not in _text(student), secret


def test_nbgrader_schema_check_catches_mistakes():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x", metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "schema_version": 3,
            "grade_id": "a b", "points": 1}}),
        nbformat.v4.new_markdown_cell("y", metadata={"nbgrader": {
            "grade": False, "solution": True, "locked": False, "schema_version": 3,
            "grade_id": "c"}}),
    ]
    problems = nbgrader_problems(nb)
    assert len(problems) == 2 and "does not match" in problems[0] and "markdown" in problems[1]


def test_nbgrader_source_runs_with_hidden_tests(nbgrader_build):
    built, out = nbgrader_build
    instructor = _execute(nbformat.read(built.instructor, as_version=4), out)
    assert problems_of_passing_run(instructor) == []


def _nbgrader_python() -> str | None:
    for python in (os.environ.get("NBGRADER_PYTHON"), sys.executable):
        if python and subprocess.run(
            [python, "-c", "import nbgrader"], capture_output=True
        ).returncode == 0:
            return python
    return None


NBGRADER_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import nbformat
    from nbgrader.preprocessors import CheckCellMetadata, ClearHiddenTests, ClearSolutions
    def cells(nb):
        return [[c.cell_type, c.metadata.get("nbgrader", {}).get("grade_id"), c.source]
                for c in nb.cells]
    found = []
    for student_path, source_path in zip(sys.argv[1::2], sys.argv[2::2]):
        student = nbformat.read(student_path, as_version=4)
        source = nbformat.read(source_path, as_version=4)
        for nb in (student, source):
            CheckCellMetadata().preprocess(nb, {})
        release, _ = ClearSolutions(enforce_metadata=True).preprocess(source, {})
        release, _ = ClearHiddenTests(enforce_metadata=True).preprocess(release, {})
        CheckCellMetadata().preprocess(release, {})
        found.append({"student": cells(student), "release": cells(release)})
    print(json.dumps(found))
    """
)


def nbgrader_releases(python: str, built: list) -> list[dict]:
    """nbgrader's release (ClearSolutions, ClearHiddenTests) of each source notebook, with our
    student notebook's cells, as ``[cell_type, grade_id, source]`` lists."""
    paths = [str(p) for b in built for p in (b.student, b.instructor)]
    done = subprocess.run(
        [python, "-c", NBGRADER_SCRIPT, *paths], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def release_differences(student: list, release: list) -> list[str]:
    """Where nbgrader's release differs from our student notebook (the intro cell aside)."""
    if [c[:2] for c in release] != [c[:2] for c in student]:
        return ["the cells (types, grade ids) differ"]
    problems = []
    for (_, grade_id, ours), (_, _, theirs) in zip(student[1:], release[1:], strict=True):
        if grade_id and grade_id.endswith("-answer"):
            # nbgrader's stub replaces our raise line, after our comments and placeholders
            kept = [line for line in ours.split("\n") if not line.lstrip().startswith("raise")]
            if theirs != "\n".join([*kept, "# YOUR CODE HERE", "raise NotImplementedError()"]):
                problems.append(f"{grade_id}: {theirs[:200]!r}")
        elif theirs.rstrip() != ours.rstrip():
            problems.append(f"{grade_id or 'a cell'}: {theirs[:200]!r}")
    return problems


NO_NBGRADER = (
    "nbgrader is not installed (pip install nbgrader==0.9.6, or set NBGRADER_PYTHON to a "
    "Python that has it); the nbgrader metadata is checked against its schema in the other tests"
)


def _nbgrader_or_skip() -> str:
    """A Python with nbgrader; without one, skip, or fail on CI when the test extra names it."""
    import tomllib

    python = _nbgrader_python()
    if python is None:
        extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
            "optional-dependencies"
        ]
        promised = any(d.startswith("nbgrader") for d in extras.get("test", []))
        if promised and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("nbgrader is in the test extra but not installed")
        pytest.skip(NO_NBGRADER)
    return python


def test_nbgrader_generates_our_student_notebook(nbgrader_build):
    """nbgrader's own preprocessors (ClearSolutions, ClearHiddenTests, CheckCellMetadata) on our
    source notebook give the student notebook's cells."""
    python = _nbgrader_or_skip()
    built, _ = nbgrader_build
    (cells,) = nbgrader_releases(python, [built])
    assert release_differences(cells["student"], cells["release"]) == []
    assert not any(secret in "".join(c[2] for c in cells["release"]) for secret in SECRETS)


def test_nbgrader_autogrades_the_fixture(nbgrader_build, tmp_path):
    """The whole nbgrader round: generate_assignment on our source notebook, two submissions
    (the reference code in the answer cells; the release untouched), autograde, export. The
    autograded points are the stars of the checked exercises (1 + 3 + 1 = 5); the written
    answers (2 + 1) wait for grading by hand."""
    import csv

    python = _nbgrader_or_skip()
    built, out = nbgrader_build
    course = tmp_path / "course"
    source = course / "source" / "a1"
    source.mkdir(parents=True)
    shutil.copy(built.instructor, source / "ch01_fixture.ipynb")
    shutil.copytree(out / "results", source / "results")
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'demo'\n"
    )
    env = {**os.environ, "PATH": f"{Path(python).parent}{os.pathsep}{os.environ['PATH']}",
           "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}

    def nbgrader(*args):
        done = subprocess.run([python, "-m", "nbgrader", *args], cwd=course, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]

    nbgrader("generate_assignment", "a1", "--create")
    release = nbformat.read(course / "release" / "a1" / "ch01_fixture.ipynb", as_version=4)
    assert not any(secret in _text(release) for secret in SECRETS)
    (plain,) = build_assignments(FIXTURE, tmp_path / "plain")
    answered = substitute_solutions(release, nbformat.read(plain.instructor, as_version=4))
    for name, nb in (("alice", answered), ("bob", release)):
        folder = course / "submitted" / name / "a1"
        shutil.copytree(out / "results", folder / "results")
        nbformat.write(nb, folder / "ch01_fixture.ipynb")
    nbgrader("autograde", "a1", "--create")
    nbgrader("export")
    with open(course / "grades.csv", newline="") as fh:
        grades = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert {k: (float(v["raw_score"]), float(v["max_score"])) for k, v in grades.items()} == {
        "alice": (5.0, 8.0), "bob": (0.0, 8.0)
    }


# --- errors --------------------------------------------------------------------------------

HEADER = "---\njupytext:\n  text_representation:\n    format_name: myst\n---\n\n# T\n\n"


def _chapter(tmp_path: Path, body: str, name: str = "ch99_bad.md") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body))
    return path


EXERCISE = "````{exercise} E (★)\n:label: ex-e\n\nDo it.\n````\n\n"
START = "````{solution-start} ex-e\n:class: dropdown\n````\n"
END = "````{solution-end}\n````\n"
CHECK = "```{code-cell} ipython3\n:tags: [exercise-check, remove-cell]\n\nprint(1)\n```\n"


@pytest.mark.parametrize(
    ("body", "marker", "words"),
    [
        (EXERCISE + START + "Prose.\n\n```{code-cell} ipython3\nx = 1\n```\n", "{solution-start}",
         "has no {solution-end}"),
        (EXERCISE + "Text.\n\n" + END, "{solution-end}", "without a {solution-start}"),
        (EXERCISE + START + "a\n\n" + START + "b\n" + END, "{solution-start}",
         "inside the solution"),
        (EXERCISE + START + CHECK + END, "{code-cell}", "inside the solution"),
        (CHECK + EXERCISE, "{code-cell}", "before any exercise"),
        ("````{exercise} E\n:label: ex-e\n\nnever closed\n", "{exercise}", "no closing"),
        (EXERCISE + EXERCISE, "{exercise}", "used twice"),
        (EXERCISE + "````{solution-start}\n````\n" + END, "{solution-start}", "needs the label"),
    ],
    ids=["start-without-end", "end-without-start", "nested", "check-in-solution",
         "check-first", "unclosed-fence", "duplicate-label", "no-label"],
)
def test_malformed_chapters_name_file_and_line(tmp_path, body, marker, words):
    path = _chapter(tmp_path, body)
    with pytest.raises(ChapterFormatError) as info:
        parse_chapter(path)
    message = str(info.value)
    assert words in message
    lines = [i for i, line in enumerate(path.read_text().split("\n"), 1) if marker in line]
    if words in ("used twice", "inside the solution") and marker != "{code-cell}":
        lines = lines[1:]  # the second exercise, the nested solution-start
    assert f"{path}:{lines[0]}:" in message, (message, lines)


def test_cli_errors_are_one_line_with_status_2(tmp_path, capsys):
    bad = _chapter(tmp_path, EXERCISE + START + "Prose.\n")
    cases = [
        ([str(bad), "--out", str(tmp_path / "o")], f"{bad}:"),
        ([str(tmp_path / "nope.md"), "--out", str(tmp_path / "o")], "no such chapter file"),
        ([str(tmp_path), "--out", str(tmp_path / "o")], "is a folder"),
        ([str(FIXTURE_BOOK / "_toc.yml"), "--out", str(tmp_path / "o")], "not a MyST chapter"),
        ([str(FIXTURE), "--out", str(FIXTURE)], "is an existing file"),
        ([str(FIXTURE_BOOK / "book" / "ch02_no_exercises.md"), "--out", str(tmp_path / "o")],
         "has no exercises"),
        (["ch01_fixtur", "--book", str(FIXTURE_BOOK), "--out", str(tmp_path / "o")],
         "Did you mean"),
        (["all", "--book", str(tmp_path), "--out", str(tmp_path / "o")], "no _toc.yml"),
    ]
    for argv, words in cases:
        assert main(["assignment", "build", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1, (argv, err)
        assert err.startswith("sparsity-widgets assignment: error: ")


def test_cli_builds_all_chapters_of_a_book(tmp_path, capsys):
    out = tmp_path / "dist"
    assert main(["assignment", "build", "all", "--book", str(FIXTURE_BOOK), "--out", str(out),
                 "--nbgrader"]) == 0
    printed = capsys.readouterr().out
    assert "5 exercises" in printed and "fixture-quick" in printed
    assert sorted(p.name for p in out.glob("*.ipynb")) == [
        "ch01_fixture-instructor.ipynb", "ch01_fixture-student.ipynb"
    ]
    # a page name of the table of contents works too
    assert main(["assignment", "build", "ch01_fixture", "--book", str(FIXTURE_BOOK),
                 "--out", str(tmp_path / "one")]) == 0


def test_chapters_with_exercises_skip_literal_examples():
    # ch02_no_exercises shows the exercise syntax in a ```md block: not an exercise
    assert chapters_with_exercises(FIXTURE_BOOK) == [FIXTURE_BOOK / "book" / "ch01_fixture.md"]


def test_substitution_needs_solution_code(tmp_path):
    path = _chapter(
        tmp_path,
        EXERCISE + "```{code-cell} ipython3\n:tags: [exercise-stub]\n\nx = ...\n```\n\n"
        + START + "Prose only.\n\n" + END,
    )
    chapter = parse_chapter(path)
    with pytest.raises(AssignmentError, match=r"ex-e.*no code cell"):
        substitute_solutions(student_notebook(chapter), instructor_notebook(chapter))


def test_nbgrader_hidden_test_needs_a_check(tmp_path):
    path = _chapter(
        tmp_path,
        EXERCISE + START + "Prose.\n\n" + END
        + "```{code-cell} ipython3\n:tags: [exercise-hidden]\n\nassert True\n```\n",
    )
    chapter = parse_chapter(path)
    instructor_notebook(chapter)  # fine without nbgrader
    with pytest.raises(AssignmentError, match=rf"{path}:\d+: the hidden test of 'ex-e'"):
        instructor_notebook(chapter, nbgrader=True)


def test_results_of_the_chapter_folder_are_copied(tmp_path):
    book = tmp_path / "book"
    (book / "results" / "run-quick").mkdir(parents=True)
    (book / "results" / "run-quick" / "a.json").write_text("{}")
    (book / "results" / "table.json").write_text("{}")
    (book / "results" / "unused.json").write_text("{}")
    path = _chapter(
        book,
        'See `book/results/table.json`.\n\n```{code-cell} ipython3\nS = "quick"\n'
        'p = f"results/run-{S}/a.json"\n```\n\n' + EXERCISE + START + "P.\n\n" + END,
    )
    built = build_chapter(path, tmp_path / "out")
    assert sorted(p.name for p in built.results) == ["run-quick", "table.json"]
    assert (tmp_path / "out" / "results" / "run-quick" / "a.json").is_file()
    assert not (tmp_path / "out" / "results" / "unused.json").exists()


# --- the real book -------------------------------------------------------------------------


def test_real_book_assignments(tmp_path):
    """``assignment build all`` on the book, and the three executions of every chapter (the
    student notebook with solutions shares the instructor's run when it is the same code), one
    chapter per core, at most 4 (each execution is a kernel of its own)."""
    start = time.perf_counter()
    out = tmp_path / "dist"
    built = build_assignments("all", out, book=ROOT)
    names = [b.chapter.stem for b in built]
    assert names, "no chapter of the book has exercises"
    leaks = {
        b.chapter.stem: solution_lines_in_student(b.chapter, nbformat.read(b.student, 4))
        for b in built
    }
    # one kernel per core, at most 4 (each kernel runs one thread: OMP_NUM_THREADS=1)
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        runs = dict(
            zip(names, pool.map(lambda b: _three_runs(b, out, share=True), built), strict=True)
        )
    problems = {
        f"{name}: {kind}": found
        for name, found_runs in runs.items()
        for kind, found in [("solution text in the student notebook", leaks[name]),
                            *found_runs.items()]
        if found
    }
    for item in build_assignments("all", tmp_path / "nbgrader", nbgrader=True, book=ROOT):
        found = [
            f"{which}: {problem}"
            for which, path in (("student", item.student), ("instructor", item.instructor))
            for problem in nbgrader_problems(nbformat.read(path, as_version=4))
        ]
        if found:
            problems[f"{item.chapter.stem}: nbgrader metadata"] = found
    print(f"real book: {len(built)} chapters in {time.perf_counter() - start:.0f} s")
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


def test_the_book_folder_is_untouched_by_a_build(tmp_path):
    chapter = chapters_with_exercises(ROOT)[0]
    before = sorted(p.name for p in (ROOT / "book").iterdir())
    build_assignments(chapter, tmp_path)
    assert sorted(p.name for p in (ROOT / "book").iterdir()) == before
    assert sorted(p.name for p in tmp_path.glob("*.ipynb")) == [
        f"{chapter.stem}-instructor.ipynb", f"{chapter.stem}-student.ipynb"
    ]


# --- the teachers' page --------------------------------------------------------------------


def test_plain_titles_for_link_texts():
    from sparsity_widgets.teaching.catalog import doc_link, plain_title

    assert plain_title(r"How far $\alpha^*$ moves") == "How far α* moves"
    assert plain_title(r"NC1 from one $N \times K$ product") == "NC1 from one N times K product"
    assert doc_link("ch09b", r"$\tau$-sparsity") == "{doc}`τ-sparsity <ch09b>`"


def test_catalog_of_the_fixture():
    from sparsity_widgets.teaching.catalog import (
        catalog_markdown,
        chapter_tables_myst,
        exercise_catalog,
        summary_markdown,
    )

    entries = exercise_catalog([FIXTURE])
    assert [(e.label, e.kind, e.stars, e.checked, e.minutes) for e in entries] == [
        ("ex-fixture-double", "computation", 1, True, 15),
        ("ex-fixture-proof", "proof", 2, False, 30),
        ("ex-fixture-spread", "replication", 3, True, 60),
        ("ex-fixture-powers", "computation", 1, True, 15),
        ("ex-fixture-concept", "concept", 1, False, 15),
    ]
    assert entries[0].title == "Doubling the values"
    assert "| **All** | 5 | | | 3 | 2.2 |" in summary_markdown(entries)
    row = "| ch01_fixture | Doubling the values | `ex-fixture-double` |"
    assert row in catalog_markdown(entries)
    assert chapter_tables_myst(entries).startswith(
        "**{doc}`A fixture chapter with every kind of exercise <ch01_fixture>`** (5 exercises, "
        "about 2.2 h)"
    )


def test_update_teachers_page_keeps_the_sentences_and_recomputes_the_plan():
    from sparsity_widgets.teaching.catalog import exercise_catalog, update_teachers_page

    entries = exercise_catalog([FIXTURE])
    page = (
        "# P\n\n% BEGIN exercise tables (generated)\n\n"
        "**{doc}`ch01_fixture`** (1 exercises, about 0.1 h): doubling and spreads.\n\n"
        "| {ref}`ex-old` | stale row |\n\n% END exercise tables\n\n"
        "% BEGIN course plan\n\n| Week | Part | Chapters | Focus | A | B | C |\n"
        "| 1 | T | {doc}`ch01_fixture` | f | 0 | 0.0 | 0 |\n\n% END course plan\n"
    )
    new = update_teachers_page(page, entries)
    assert (
        "**{doc}`A fixture chapter with every kind of exercise <ch01_fixture>`** (5 exercises, "
        "about 2.2 h): doubling and spreads."
    ) in new
    assert "ex-old" not in new and "| {ref}`ex-fixture-spread` |" in new
    assert "| 1 | T | {doc}`ch01_fixture` | f | 4 | 1.2 | 1 |" in new
    assert update_teachers_page(new, entries) == new
    with pytest.raises(ValueError, match="% BEGIN course plan"):
        update_teachers_page("% BEGIN exercise tables\n\n% END exercise tables", entries)


def test_teachers_page_is_up_to_date_with_the_chapters():
    """book/teachers.md lists every exercise as the chapters state it (title, kind, stars,
    check) and the course plan's counts; after changing exercises, run
    ``python -m sparsity_widgets.teaching.catalog book/teachers.md`` from the repository."""
    from sparsity_widgets.teaching.catalog import exercise_catalog, update_teachers_page

    page = (ROOT / "book" / "teachers.md").read_text(encoding="utf-8")
    current = update_teachers_page(page, exercise_catalog(chapters_with_exercises(ROOT)))
    changed = [
        line for line in current.split("\n") if line not in page.split("\n")
    ]
    assert changed == [], "run: python -m sparsity_widgets.teaching.catalog book/teachers.md"


def test_gated_exercise_and_colon_fences(tmp_path):
    """``{exercise-start}``/``{exercise-end}`` with a code cell inside, and ``:::`` fences."""
    path = _chapter(
        tmp_path,
        "````{exercise-start} Gated (★★★)\n:label: ex-gated\n:class: kind-computation\n````\n\n"
        "Statement with data:\n\n```{code-cell} ipython3\ndata = [1, 2]\n```\n\n"
        "````{exercise-end}\n````\n\n"
        "```{code-cell} ipython3\n:tags: [exercise-stub]\n\nn = ...\n```\n\n"
        ":::{solution-start} ex-gated\n:::\n\n"
        "```{code-cell} ipython3\nn = len(data)  # GATED\n```\n\n"
        ":::{solution-end}\n:::\n\n"
        "```{code-cell} ipython3\n:tags: [exercise-check]\n\nassert n == 2\n```\n",
    )
    chapter = parse_chapter(path)
    assert chapter.exercises["ex-gated"].stars == 3
    assert chapter.exercises["ex-gated"].kind == "computation"
    student = _text(student_notebook(chapter))
    assert "**Exercise (ex-gated): Gated (★★★)**" in student and "data = [1, 2]" in student
    assert "GATED" not in student and "exercise-end" not in student
    assert "n = len(data)  # GATED" in _text(instructor_notebook(chapter))


def test_real_book_nbgrader_release(tmp_path):
    """nbgrader's preprocessors on every chapter's source notebook give its student notebook."""
    python = _nbgrader_or_skip()
    built = build_assignments("all", tmp_path, nbgrader=True, book=ROOT)
    found = {
        b.chapter.stem: release_differences(cells["student"], cells["release"])
        for b, cells in zip(built, nbgrader_releases(python, built), strict=True)
    }
    assert {k: v for k, v in found.items() if v} == {}
