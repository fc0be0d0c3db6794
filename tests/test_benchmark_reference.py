"""The benchmark's plain reference agrees with WaveletForest; the benchmark runs end to end."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sparsity_widgets import WaveletForest
from sparsity_widgets.tau_star import default_tau_grid

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
if str(BENCHMARKS) not in sys.path:  # benchmarks/ is a folder of scripts, not a package
    sys.path.insert(0, str(BENCHMARKS))

import bench_score  # noqa: E402
from reference_probe import ReferenceTooLarge, reference_score  # noqa: E402


@pytest.fixture(scope="module")
def small_data():
    """400 samples, 5 features, 3 overlapping classes."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 400)
    X = rng.standard_normal((400, 5)) + y[:, None] * np.array([1.0, 0.5, 0.0, 0.0, -0.7])
    return X, y


@pytest.mark.parametrize("norm_weight", ["samples", "volume"])
@pytest.mark.parametrize("max_depth", [6, 15])
def test_reference_norms_and_sparsity_match_wavelet_forest(small_data, norm_weight, max_depth):
    X, y = small_data
    taus = default_tau_grid()
    ref = reference_score(X, y, n_trees=3, max_depth=max_depth, norm_weight=norm_weight)
    forest = WaveletForest(
        n_trees=3, max_depth=max_depth, norm_weight=norm_weight, random_state=0, builder="sklearn"
    ).fit(X, y)

    ours = forest.wavelet_norms_
    assert ref["norms"].shape == ours.shape == (forest.nodes_.n_nodes - 3,)
    assert ref["n_nodes"] == forest.nodes_.n_nodes
    assert (ours > 0).sum() > ours.shape[0] // 2
    # both take the differences of scikit-learn's own node means (no cancellation between
    # codes); only the norm's sqrt and, for "volume", a product of <= 15 widths against one of
    # <= 15 ratios round differently: ~50 eps relative
    np.testing.assert_allclose(ref["norms"], ours, rtol=1e-12, atol=1e-300)

    expected = forest.sparsity(taus)
    finite = np.isfinite(ref["sparsity"])
    # small tau overflows (public-code style), large tau does not
    assert 0 < finite.sum() < taus.shape[0]
    assert finite[-1] and not finite[0]
    # plain power sums against log-domain ones: relative rounding ~(n / tau + |log N|) eps,
    # <= 1e-11 for <= 448 norms at the smallest finite tau, 0.011
    np.testing.assert_allclose(ref["sparsity"][finite], expected[finite], rtol=1e-9)
    # a mean of the same selected grid points: equal up to the order of the adds
    assert ref["tau_star"] == pytest.approx(forest.estimate().tau_star, rel=1e-12)

    assert set(ref["timings"]) == {"fit", "post_fit", "tau_sweep"}
    assert all(t >= 0 for t in ref["timings"].values())
    assert ref["decision_path_dtype"] == "int64"


def test_reference_uses_root_mean_once_for_root_children():
    # one split at the root: the children's norms are ||E_child - E_root|| sqrt(1/2)
    X = np.array([[0.0], [0.2], [0.4], [0.6], [0.8], [1.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    ref = reference_score(X, y, n_trees=1, max_depth=1, random_state=0)
    forest = WaveletForest(n_trees=1, max_depth=1, random_state=0, builder="sklearn").fit(X, y)
    nodes = forest.nodes_
    assert ref["norms"].shape == (2,)
    for k, child in enumerate((nodes.left[0], nodes.right[0])):
        fraction = nodes.n_samples[child] / 6
        expected = np.linalg.norm(nodes.mean[child] - nodes.mean[0]) * np.sqrt(fraction)
        assert ref["norms"][k] == pytest.approx(expected, rel=1e-14)  # same formula: a few eps


def test_reference_refuses_before_allocating_too_much(small_data):
    X, y = small_data
    with pytest.raises(ReferenceTooLarge) as info:
        reference_score(X, y, max_depth=6, max_bytes=1000)
    assert info.value.needed_bytes > 1000


def test_bench_data_is_float32_seeded_and_structured():
    X, y = bench_score.make_data(3000, 16, seed=3)
    X2, y2 = bench_score.make_data(3000, 16, seed=3)
    assert X.dtype == np.float32 and X.shape == (3000, 16)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert set(np.unique(y)) == set(range(bench_score.N_CLASSES))
    # class structure: class means differ far more than their standard error
    means = np.array([X[y == c].mean(axis=0) for c in range(bench_score.N_CLASSES)])
    spread = np.linalg.norm(means - means.mean(axis=0), axis=1).mean()
    assert spread > 10 * X.std() / np.sqrt(3000 / bench_score.N_CLASSES)


def test_parse_sizes():
    assert bench_score.parse_sizes("10000x40, 200x3") == [(10000, 40), (200, 3)]
    with pytest.raises(SystemExit):
        bench_score.parse_sizes("10000by40")


def test_bench_score_quick_end_to_end(tmp_path):
    out = tmp_path / "score.json"
    workdir = tmp_path / "runs"
    command = [sys.executable, str(BENCHMARKS / "bench_score.py"), "--quick", "--out", str(out)]
    proc = subprocess.run(
        [*command, "--workdir", str(workdir)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    assert text.startswith("command: ")
    sizes = bench_score.parse_sizes(bench_score.QUICK_SIZES)
    ratio_rows = [line for line in text.splitlines() if "| reference/ours |" in line]
    assert len(ratio_rows) == len(sizes)
    assert "FAILED" not in text and "skipped" not in text
    method_rows = [line for line in text.splitlines() if line.startswith(("| svd", "| pca", "| g"))]
    assert len(method_rows) == len(bench_score.REDUCE_METHODS) - 1  # "| sparse" starts with s
    assert "| sparse |" in text

    payload = json.loads(out.read_text())
    assert payload["all_good"] is True
    assert payload["settings"]["repeats"] == 1
    score_runs = [r for r in payload["runs"] if r["impl"] != "reduce"]
    reduce_runs = [r for r in payload["runs"] if r["impl"] == "reduce"]
    assert len(score_runs) == 2 * len(sizes)
    assert len(reduce_runs) == len(bench_score.REDUCE_METHODS)
    for run in payload["runs"]:
        assert run["status"] == "ok"
        assert run["peak_kib"] > 0 and run["x_bytes"] == run["n"] * run["d"] * 4
    for run in score_runs:
        assert set(run["timings"]) == {"fit", "post_fit", "tau_sweep"}
        assert 0 < 1 / run["tau_star"] - 0.5 < 1
    for run in reduce_runs:
        assert set(run["timings"]) == {"reduce"} and run["timings"]["reduce"] > 0
    for entry in payload["summary"]["score"]:
        ours, ref = entry["impls"]["ours"], entry["impls"]["reference"]
        assert ours["n_ok"] == ref["n_ok"] == 1
        # other bootstrap streams, same estimator: alpha* close, node counts of one order
        assert abs(ours["alpha_star"] - ref["alpha_star"]) < 0.05
        assert 0.5 < ours["n_nodes"] / ref["n_nodes"] < 2
        assert ref["fit_peak_mb"] <= ref["peak_mb"]
    reduce = payload["summary"]["reduce"]
    assert reduce[0]["method"] == "svd (5 iter)" and reduce[0]["speedup_vs_reference"] == 1.0

    # a rerun with the same --workdir reuses every finished run instead of measuring again
    first = payload["runs"]
    again = subprocess.run(
        [*command, "--workdir", str(workdir)], capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stdout + again.stderr
    second = json.loads(out.read_text())["runs"]
    assert [r["timings"] for r in second] == [r["timings"] for r in first]
