"""The command line: JSON output, the promised orderings, one-line errors."""

import json
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
    assert result["alpha_star"] == pytest.approx(1 / result["tau_star"] - 0.5)
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


def test_not_an_npz_file(tmp_path):
    path = tmp_path / "text.npz"
    path.write_text("hello")
    proc = run_cli("score", str(path))
    assert proc.returncode == 2 and "not a readable NumPy .npz file" in proc.stderr


def test_empty_window_is_a_user_error():
    proc = run_cli("synthetic", "circles", "--n", "500", "--eps-low", "1.5", "--eps-high", "1.6")
    assert proc.returncode == 2
    assert "no tau falls in the window" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_option_values_are_rejected_by_argparse():
    proc = run_cli("synthetic", "moons")
    assert proc.returncode == 2 and "invalid choice: 'moons'" in proc.stderr
    proc = run_cli("synthetic", "circles", "--max-features", "lots")
    assert proc.returncode == 2 and "expected 'all', 'sqrt', 'log2'" in proc.stderr


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
