"""The README's promises: its test command is what CI runs, its Python example works."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = _blocks("bash")[1].strip()
    assert "pytest" in test_command
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_readme_main_job_is_the_demo():
    assert _blocks("bash")[0].strip().endswith("sparsity-widgets demo")


def test_python_example_has_five_lines_and_runs(capsys):
    (example,) = _blocks("python")
    lines = [line for line in example.strip().splitlines() if line.strip()]
    assert len(lines) == 5
    exec(compile(example, "README example", "exec"), {})
    out = capsys.readouterr().out
    assert re.fullmatch(r"tau\* = \d\.\d{3}, alpha\* = -?\d\.\d{3}\n", out)


def test_readme_demo_table_is_what_the_demo_prints(tmp_path, capsys):
    """The numbers in the README come from the run it names: rerun it and compare."""
    from sparsity_widgets.cli import main

    assert main(["demo", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    table = (
        README.split("Output of `sparsity-widgets demo`")[1].split("```text\n")[1].split("```")[0]
    )
    rows = [line for line in table.splitlines() if line.strip()]
    assert len(rows) >= 13
    for line in rows:
        assert line in printed.splitlines(), f"README line not reproduced: {line!r}"
