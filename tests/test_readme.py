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


DECIMAL = r"[-+]?\d+\.\d+"

#: How far a decimal of the demo's report may move between machines. Measured by
#: ``python benchmarks/demo_spread.py`` (training seeds 0-4 under each of torch's CPU code paths,
#: ``ATEN_CPU_CAPABILITY=default|avx2|avx512``, on one machine): the report over the demo's
#: seeds 0, 1, 2 moved at most DEMO_SPREAD_MEASURED between the code paths, and a report over any
#: 3 of the 5 seeds at most DEMO_TOLERANCE (one seed's per-layer alpha* moved by up to 0.056).
#: The test allows the latter: the demo's seeds were not chosen for being quiet, and another
#: processor may take them as far as the worst of the measured sets. The README states both.
DEMO_SPREAD_MEASURED = 0.013
DEMO_TOLERANCE = 0.030


def demo_report_mismatches(expected, printed, tolerance):
    """What differs between the README's demo report and a printed one, line by line.

    Words, integers and the layout must match exactly; each decimal within ``tolerance``.

    Parameters
    ----------
    expected, printed : list of str
        The report's non-empty lines.
    tolerance : float

    Returns
    -------
    list of str
        One message per difference; empty when the reports agree.
    """
    if len(expected) != len(printed):
        return [f"{len(printed)} report lines, the README has {len(expected)}"]
    problems = []
    for want, got in zip(expected, printed, strict=True):
        if re.sub(DECIMAL, "#", want) != re.sub(DECIMAL, "#", got):
            problems.append(f"words or integers differ: {got!r} against {want!r}")
            continue
        a = np.array([float(x) for x in re.findall(DECIMAL, want)])
        b = np.array([float(x) for x in re.findall(DECIMAL, got)])
        if a.size and np.max(np.abs(a - b)) > tolerance:
            problems.append(f"numbers differ by {np.max(np.abs(a - b)):.3f} > {tolerance}: {got!r}")
    return problems


def _readme_demo_report():
    return [line for line in _readme_output("sparsity-widgets demo").splitlines() if line]


def test_readme_demo_report_is_what_the_demo_prints(tmp_path, capsys):
    """The main job's numbers in the README come from the run it names: rerun and compare.

    Training runs on torch's CPU kernels, whose last bits differ between processors, and ten
    epochs of training amplify that: see DEMO_TOLERANCE for what is allowed and why.
    """
    from sparsity_widgets.cli import main

    assert main(["demo", "--out", str(tmp_path)]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    report = [line for line in printed if not line.startswith("wrote ")]
    expected = _readme_demo_report()
    assert len(expected) >= 14
    assert demo_report_mismatches(expected, report, DEMO_TOLERANCE) == []


def _shift_row(line, column, by):
    """``line`` with its ``column``-th decimal moved by ``by`` (the layout kept)."""
    numbers = list(re.finditer(DECIMAL, line))
    match = numbers[column]
    value = f"{float(match.group()) + by:.3f}"
    return line[: match.start()] + value + line[match.end() :]


def test_readme_demo_check_fails_when_the_demo_changes_in_substance():
    """The comparison above passes the README's report and noise within the tolerance, and
    fails for every change a reader would call a different result."""
    expected = _readme_demo_report()
    assert demo_report_mismatches(expected, expected, DEMO_TOLERANCE) == []
    rows = [i for i, line in enumerate(expected) if line.startswith("blocks.3")]
    (row,) = rows
    within = list(expected)
    within[row] = _shift_row(expected[row], 0, 0.5 * DEMO_TOLERANCE)
    assert demo_report_mismatches(expected, within, DEMO_TOLERANCE) == []

    changes = {}
    moved = list(expected)  # one layer's ReLU mean moved by twice the tolerance
    moved[row] = _shift_row(expected[row], 0, 2 * DEMO_TOLERANCE)
    changes["moved"] = moved
    swapped = list(expected)  # ReLU and step columns exchanged on one row
    parts = re.split(r"(\s{2,})", expected[row])
    swapped[row] = "".join([*parts[:-3], parts[-1], parts[-2], parts[-3]])
    changes["swapped"] = swapped
    fewer = [line.replace("8 of 8", "7 of 8") for line in expected]
    changes["verdict"] = fewer
    rule = [line.replace("paper rule", "public-code rule") for line in expected]
    changes["settings"] = rule
    changes["layer dropped"] = [line for i, line in enumerate(expected) if i != row]
    for name, changed in changes.items():
        assert changed != expected, name
        assert demo_report_mismatches(expected, changed, DEMO_TOLERANCE), name


def test_readme_states_the_demo_tolerance_and_spread():
    """The sentence beside the demo's table gives the numbers this file tests with."""
    section = README.split("Output of `sparsity-widgets demo`")[1].split("```text")[0]
    assert f"{DEMO_SPREAD_MEASURED:.3f}" in section
    assert f"{DEMO_TOLERANCE:.3f}" in section


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


def test_readme_image_network_table_comes_from_the_saved_results():
    """Every row of the README's table of the Sec. 4.2 studies is recomputed from
    book/results/<study>-quick/<study>.json."""
    from sparsity_widgets.studies.networks import NETWORK_STUDIES, NetworkStudyResult

    rows = []
    for name in NETWORK_STUDIES:
        result = NetworkStudyResult.from_json(
            ROOT / "book" / "results" / f"{name}-quick" / f"{name}.json"
        )
        for probe in result.results:
            (acc, acc_std), mean, std = probe.accuracy(), probe.mean(), probe.std()
            first, last = probe.layer_names[0], probe.layer_names[-1]
            rows.append(
                f"| {name} | {probe.label} | {acc:.3f} ± {acc_std:.3f} "
                f"| `{first}` {mean[0]:.3f} ± {std[0]:.3f} "
                f"| `{last}` {mean[-1]:.3f} ± {std[-1]:.3f} |"
            )
    section = README.split("## The image-network experiments")[1].split("\n## ")[0]
    table = [line for line in section.splitlines() if line.startswith("| ") and "±" in line]
    assert table == rows and len(rows) == 8
