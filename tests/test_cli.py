"""The command line: JSON output, the promised orderings, one-line errors."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from sparsity_widgets.cli import main


def run_cli(*args):
    """Run the installed console script in a fresh process, as a user would."""
    return subprocess.run(
        ["sparsity-widgets", *args], capture_output=True, text=True, timeout=300, check=False
    )


def score_json(capsys, *args):
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", ["circles", "spiral", "gaussian-quantiles"])
def test_synthetic_json_and_shuffled_labels_score_rougher(capsys, name):
    result = score_json(capsys, "synthetic", name)
    for key in ("tau_star", "alpha_star", "n_samples", "n_features", "n_wavelets"):
        assert key in result
    assert 0 < result["tau_star"] < 2
    # the paper rule's alpha* is this very expression, and JSON floats round-trip exactly;
    # its two roundings are absolute, <= eps (1 / tau + |alpha|) <= 2 eps / tau, so the bound
    # holds however near 0 alpha* falls (was the default rel 1e-6, relative on a difference)
    tau = result["tau_star"]
    eps = np.finfo(float).eps
    assert result["alpha_star"] == pytest.approx(1 / tau - 0.5, rel=0, abs=2 * eps / tau)
    assert result["n_samples"] == 4000 and result["n_features"] == 2
    shuffled = score_json(capsys, "synthetic", name, "--shuffle-labels")
    assert shuffled["tau_star"] > result["tau_star"]


def test_blocks_score_higher_alpha_than_circles(capsys):
    blocks = score_json(capsys, "synthetic", "blocks")
    circles = score_json(capsys, "synthetic", "circles")
    assert blocks["alpha_star"] > circles["alpha_star"]


def test_score_npz_matches_synthetic_command(tmp_path, capsys):
    from sparsity_widgets.datasets import make_synthetic

    X, y = make_synthetic("spiral", n_samples=1500, random_state=4)
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=y)
    from_file = score_json(capsys, "score", str(path), "--seed", "4")
    generated = score_json(capsys, "synthetic", "spiral", "--n", "1500", "--seed", "4")
    assert from_file["tau_star"] == generated["tau_star"]
    assert from_file["n_wavelets"] == generated["n_wavelets"]


def test_options_reach_the_estimator(tmp_path, capsys):
    result = score_json(
        capsys,
        "synthetic",
        "circles",
        "--trees",
        "2",
        "--depth",
        "6",
        "--norm-weight",
        "volume",
        "--rule",
        "public-code",
        "--eps-low",
        "0.2",
        "--eps-high",
        "0.5",
        "--max-features",
        "1",
    )
    assert result["n_trees"] == 2 and result["max_depth"] == 6
    assert result["norm_weight"] == "volume" and result["rule"] == "public-code"
    assert (result["eps_low"], result["eps_high"], result["angle_unit"]) == (0.2, 0.5, "deg")
    assert result["max_features"] == 1
    assert result["n_wavelets"] <= 2 * (2**7 - 2)


def test_human_readable_output(capsys):
    assert main(["synthetic", "blocks", "--n", "800"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tau* = ") and "alpha* = " in out and "800 samples x 2 features" in out


def _npz(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return str(path)


BAD_INPUTS = [
    (lambda p: str(p / "missing.npz"), "no such file"),
    (lambda p: _npz(p, X=np.zeros((5, 2))), "missing array(s) y; the file holds X"),
    (lambda p: _npz(p, X=np.zeros(5), y=np.arange(5) % 2), "X must be 2-D"),
    (lambda p: _npz(p, X=np.zeros((5, 2)), y=np.arange(4) % 2), "X has 5 samples but y has 4"),
    (
        lambda p: _npz(p, X=np.array([[np.nan, 0]] * 4), y=np.arange(4) % 2),
        "NaN or infinite values",
    ),
    (lambda p: _npz(p, X=np.random.default_rng(0).random((6, 2)), y=np.zeros(6)), "two classes"),
]


@pytest.mark.parametrize("make_path, message", BAD_INPUTS)
def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path, make_path, message):
    proc = run_cli("score", make_path(tmp_path), "--json")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert message in lines[0]
    assert lines[0].startswith("sparsity-widgets score: error:")
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def one_error_line(capsys) -> str:
    """The one line a failed command printed to stderr (and nothing on stdout)."""
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_not_an_npz_file(tmp_path, capsys):
    path = tmp_path / "text.npz"
    path.write_text("hello")
    assert main(["score", str(path)]) == 2
    assert one_error_line(capsys) == (
        f"sparsity-widgets score: error: {path}: not a NumPy .npz archive (it is not a zip "
        f"file); save arrays with numpy.savez({str(path)!r}, X=..., y=...)"
    )


def test_empty_window_is_a_user_error():
    proc = run_cli("synthetic", "circles", "--n", "500", "--eps-low", "1.5", "--eps-high", "1.6")
    assert proc.returncode == 2
    assert "no tau falls in the window" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_option_values_are_rejected_by_argparse():
    proc = run_cli("synthetic", "moons")
    assert proc.returncode == 2 and "invalid choice: 'moons'" in proc.stderr
    proc = run_cli("synthetic", "circles", "--max-features", "lots")
    assert proc.returncode == 2 and "expected 'all', 'sqrt', 'log2'" in proc.stderr


BAD_INTEGERS = [
    (["score", "data.npz", "--seed", "-1"], "--seed", "a non-negative integer", "-1"),
    (["probe", "--n-samples", "-3"], "--n-samples", "a positive integer", "-3"),
    (["probe", "--max-width", "0"], "--max-width", "a positive integer", "0"),
    (["probe", "--umap", "-1"], "--umap", "a non-negative integer", "-1"),
    (["probe", "--seeds", "0,-1"], "--seeds", "non-negative integers like 0,1,2", "'0,-1'"),
    (["synthetic", "circles", "--trees", "0"], "--trees", "a positive integer", "0"),
    (["synthetic", "circles", "--depth", "deep"], "--depth", "a positive integer", "'deep'"),
    (["synthetic", "circles", "--n", "1"], "--n", "an integer >= 2", "1"),
    (
        ["synthetic", "circles", "--n-jobs", "0"],
        "--n-jobs",
        "a positive number of threads or -1 (all cores)",
        "'0'",
    ),
    (["synthetic-demo", "--seed", "-2"], "--seed", "a non-negative integer", "-2"),
    (["train", "--epochs", "0"], "--epochs", "a positive integer", "0"),
    (["train", "--batch-size", "-8"], "--batch-size", "a positive integer", "-8"),
    (["train", "--checkpoint-every", "0"], "--checkpoint-every", "a positive integer", "0"),
    (["train", "--n-train", "0"], "--n-train", "a positive integer", "0"),
    (["train", "--n-test", "-5"], "--n-test", "a positive integer", "-5"),
    (["train", "--seed", "-1"], "--seed", "a non-negative integer", "-1"),
    (
        ["study", "all", "--n-jobs", "-2"],
        "--n-jobs",
        "a positive number of threads or -1 (all cores)",
        "'-2'",
    ),
    (["frame-potential", "--max-iter", "0"], "--max-iter", "a positive integer", "0"),
]


@pytest.mark.parametrize(("args", "option", "expected", "got"), BAD_INTEGERS)
def test_bad_integer_options_name_the_option_in_one_line(capsys, args, option, expected, got):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    command = args[0]
    assert one_error_line(capsys) == (
        f"sparsity-widgets {command}: error: argument {option}: expected {expected}; got {got} "
        f"(see sparsity-widgets {command} --help)"
    )


def test_missing_argument_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--out", "somewhere"])
    assert exit_info.value.code == 2
    assert one_error_line(capsys) == (
        "sparsity-widgets train: error: the following arguments are required: --model "
        "(see sparsity-widgets train --help)"
    )


# --- --out is checked before any work ---------------------------------------------------------

OUT_COMMANDS = [
    (["train", "--model", "mlp"], "sparsity_widgets.studies.cli._run_train"),
    (["probe", "--model", "mlp"], "sparsity_widgets.studies.cli._run_probe"),
    (["study", "activations"], "sparsity_widgets.studies.cli._run_study"),
    (["demo"], "sparsity_widgets.studies.cli._run_demo"),
    (["synthetic-demo"], "sparsity_widgets.cli._run_synthetic_demo"),
]


def _never(*args, **kwargs):
    raise AssertionError("the command did work before checking --out")


@pytest.mark.parametrize(("args", "runner"), OUT_COMMANDS)
def test_out_that_is_a_file_fails_before_any_work(tmp_path, capsys, monkeypatch, args, runner):
    monkeypatch.setattr(runner, _never)
    file = tmp_path / "file"
    file.write_text("x")
    assert main([*args, "--out", str(file)]) == 2
    assert one_error_line(capsys) == (
        f"sparsity-widgets {args[0]}: error: --out {str(file)!r} is an existing file, not a "
        "folder; choose a folder path for the results."
    )
    assert main([*args, "--out", str(file / "run")]) == 2
    assert one_error_line(capsys) == (
        f"sparsity-widgets {args[0]}: error: --out {str(file / 'run')!r} cannot be created: "
        f"{str(file)!r} is a file, not a folder; choose a path under a folder."
    )


@pytest.mark.parametrize(("args", "runner"), OUT_COMMANDS)
def test_read_only_out_fails_before_any_work(tmp_path, capsys, monkeypatch, args, runner):
    # Tests run as root, which may write into a chmod 555 folder: make the write test fail as
    # it does for an ordinary user there (tempfile.mkstemp raising EACCES).
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(runner, _never)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert main([*args, "--out", str(tmp_path)]) == 2
    assert one_error_line(capsys) == (
        f"sparsity-widgets {args[0]}: error: --out {str(tmp_path)!r} is not writable (Permission "
        "denied); choose a folder you can write to."
    )


# --- help and errors mention only what exists -------------------------------------------------


@pytest.mark.parametrize("command", ["train", "probe"])
def test_list_models_and_list_datasets(capsys, command):
    pytest.importorskip("torch")
    from sparsity_widgets.datasets import DATASETS
    from sparsity_widgets.models import MODELS

    for flag, names in (("--list-models", MODELS), ("--list-datasets", DATASETS)):
        with pytest.raises(SystemExit) as exit_info:
            main([command, flag])  # no --model or --out needed
        assert exit_info.value.code == 0
        assert capsys.readouterr().out.splitlines() == list(names)


@pytest.mark.parametrize("command", ["score", "train", "probe", "study", "demo"])
def test_every_option_the_help_points_to_exists(capsys, command):
    from sparsity_widgets.cli import _build_parser

    (subparsers,) = [a for a in _build_parser()._actions if a.dest == "command"]
    options = set(subparsers.choices[command]._option_string_actions)
    with pytest.raises(SystemExit):
        main([command, "--help"])
    pointed = re.findall(r"see (--[a-z-]+)", " ".join(capsys.readouterr().out.split()))
    assert command not in ("train", "probe") or "--list-models" in pointed
    for option in pointed:
        assert option in options, option


def test_no_resume_starts_over_where_the_message_says(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "run"
    args = ["train", "--model", "mlp", "--dataset", "circles", "--n-train", "200"]
    args += ["--n-test", "100", "--epochs", "1", "--device", "cpu", "--json", "--out", str(out)]
    assert main(args) == 0
    capsys.readouterr()
    assert main([*args, "--lr", "0.01"]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"sparsity-widgets train: error: {str(out)!r} holds a run with a ")
    assert "(lr: saved 0.001, now 0.01)" in line
    assert "pass resume=False (--no-resume on the command line) to start over" in line
    assert main([*args, "--lr", "0.01", "--no-resume"]) == 0
    assert json.loads((out / "config.json").read_text())["lr"] == 0.01


def test_synthetic_demo_writes_results_and_figure(tmp_path):
    out = tmp_path / "demo"
    proc = run_cli("synthetic-demo", "--n", "1000", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Shuffling the labels raised tau* (paper rule) on" in proc.stdout
    data = json.loads((out / "results.json").read_text())
    assert len(data["rows"]) == 10
    assert {r["dataset"] for r in data["rows"]} == {
        "spiral",
        "circles",
        "gaussian-quantiles",
        "blocks",
        "smooth-domain",
    }
    png = (out / "figure4-circles.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob(".*"))  # no temporary files left behind


def test_module_entry_point_matches_console_script():
    proc = subprocess.run(
        [sys.executable, "-m", "sparsity_widgets.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("sparsity-widgets 0.")
