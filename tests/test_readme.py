"""The README's promises: its test command is what CI runs, its Python example works."""

import re
from pathlib import Path

import numpy as np

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
    example = _blocks("python")[0]
    lines = [line for line in example.strip().splitlines() if line.strip()]
    assert len(lines) == 5
    exec(compile(example, "README example", "exec"), {})
    out = capsys.readouterr().out
    assert re.fullmatch(r"tau\* = \d\.\d{3}, alpha\* = -?\d\.\d{3}\n", out)


def _readme_output(command):
    return README.split(f"Output of `{command}`")[1].split("```text\n")[1].split("```")[0]


def test_probing_example_runs(tmp_path, monkeypatch, capsys):
    example = _blocks("python")[1]
    assert "probe_model" in example
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README probing example", "exec"), {})
    printed = eval(capsys.readouterr().out)  # the list of (layer, alpha*) pairs it prints
    assert [name for name, _ in printed][:2] == ["input", "blocks.0"] and len(printed) == 9
    assert (tmp_path / "runs" / "relu-seed0" / "checkpoints" / "epoch_0010.pt").is_file()


def _numbers(line):
    return [float(x) for x in re.findall(r"[-+]?\d+\.\d+", line)]


def test_readme_demo_report_is_what_the_demo_prints(tmp_path, capsys):
    """The main job's numbers in the README come from the run it names: rerun and compare.

    Training runs on torch's CPU kernels, whose last bits may differ between processors and
    thread counts, and ten epochs of training amplify such differences; words and integers
    must match exactly, decimals to 0.02.
    """
    from sparsity_widgets.cli import main

    assert main(["demo", "--out", str(tmp_path)]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    expected = [line for line in _readme_output("sparsity-widgets demo").splitlines() if line]
    report = [line for line in printed if not line.startswith("wrote ")]
    assert len(report) == len(expected) >= 14
    for want, got in zip(expected, report, strict=True):
        assert re.sub(r"[-+]?\d+\.\d+", "#", want) == re.sub(r"[-+]?\d+\.\d+", "#", got), got
        np.testing.assert_allclose(_numbers(got), _numbers(want), atol=0.02, err_msg=got)


def test_readme_synthetic_demo_table_is_what_it_prints(tmp_path, capsys):
    """The numbers in the README come from the run it names: rerun it and compare."""
    from sparsity_widgets.cli import main

    assert main(["synthetic-demo", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    table = _readme_output("sparsity-widgets synthetic-demo")
    rows = [line for line in table.splitlines() if line.strip()]
    assert len(rows) >= 13
    for line in rows:
        assert line in printed.splitlines(), f"README line not reproduced: {line!r}"


def test_readme_study_table_comes_from_the_saved_results():
    """Every row of the README's MNIST-1D table is recomputed from book/results/*.json."""
    import json

    from sparsity_widgets.studies import STUDIES, StudyResult

    rows = []
    for study in STUDIES:
        path = ROOT / "book" / "results" / "mnist1d-quick" / f"{study}.json"
        rows += StudyResult.from_dict(json.loads(path.read_text())).compact_rows()
    section = README.split("## The MNIST-1D studies")[1].split("\n## ")[0]
    table = [line for line in section.splitlines() if line.startswith("| ") and "±" in line]
    assert table == rows
