"""The good-bad study (the paper's Sec. 4.2.2-4.2.3, Fig. 6, Table 2) and ch11's claims.

The definition, a miniature run through the real runner (and its resume, its CLI and the full
setting's Fashion-MNIST reading on tiny IDX files), the study's functions
(:func:`clustering_correlations`, :func:`table2_markdown`, :func:`plot_fig6`) and every number
ch11 states about the saved quick run in ``book/results/good-bad-quick/``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sparsity_widgets.probe import ProbeSettings
from sparsity_widgets.studies import good_bad
from sparsity_widgets.studies.good_bad import (
    FAMILIES,
    INDICES,
    PAPER_TABLE2,
    clustering_correlations,
    define,
    plot_fig6,
    table2_markdown,
    write_outputs,
)
from sparsity_widgets.studies.networks import NetworkStudyResult, run_network_study

ROOT = Path(__file__).resolve().parents[1]
SAVED = ROOT / "book" / "results" / "good-bad-quick"
CHAPTER = ROOT / "book" / "ch11_good_bad_architectures.md"
TINY_PROBE = ProbeSettings(n_trees=1, max_depth=6)


def tiny(study, *, epochs=1, n_train=200, n_test=100, seeds=(0, 1)):
    """The study shrunk: ``epochs`` epochs on ``n_train`` / ``n_test`` samples."""
    variants = tuple(
        replace(v, epochs=epochs, dataset_options={"n_train": n_train, "n_test": n_test})
        for v in study.variants
    )
    return replace(study, variants=variants, seeds=seeds)


# --- the definition -------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["quick", "full"])
def test_definition(setting):
    study = define(setting)
    assert study.name == "good-bad" and study.setting == setting
    assert study.seeds == (0, 1, 2)
    assert study.probe_options == {"clustering": True}
    assert [v.group for v in study.variants] == ["good", "bad"]
    assert [v.model for v in study.variants] == ["resnet18-small", "bad-conv-linear"]
    good, bad = study.variants
    assert good.model_options == {}  # channels 16-128, the authors' ResNet18_altered
    assert bad.model_options == {"channels": 1, "side": 4, "n_pairs": 3, "activation": "leaky-relu"}
    for v in study.variants:
        assert v.layers is None  # the input and every probe point of the model
        assert (v.batch_size, v.lr, v.optimizer) == (32, 1e-3, "adam")
    if setting == "quick":
        assert {v.dataset for v in study.variants} == {"digits"}
        assert {v.epochs for v in study.variants} == {30}
        assert not study.needs_data_dir
        assert "digits" in study.data and "stand-in for Fashion-MNIST" in study.data
    else:
        assert {v.dataset for v in study.variants} == {"fashion-mnist"}
        assert {v.epochs for v in study.variants} == {100}
        assert study.needs_data_dir
        assert study.data.startswith("Fashion-MNIST")


def test_probed_layers_are_the_papers():
    """ResNet: stem, end of every residual block, pool; bad: every conv and linear block."""
    from sparsity_widgets.models import build_model, probe_points

    study = define("quick")
    good = build_model("resnet18-small", in_shape=(1, 8, 8), n_classes=10)
    bad = build_model(
        "bad-conv-linear", in_shape=(1, 8, 8), n_classes=10, **study.variants[1].model_options
    )
    assert [n for n, _ in probe_points(good)] == ["stem"] + [
        f"layer{s}.{b}" for s in range(1, 5) for b in range(2)
    ] + ["pool"]
    assert [k for _, k in probe_points(bad)] == ["conv", "linear"] * 3


def test_bad_setting_and_missing_data_dir_are_named():
    with pytest.raises(ValueError, match="setting"):
        define("medium")
    with pytest.raises(ValueError, match=r"data_dir.*--data-dir"):
        run_network_study("good-bad", setting="full", out_dir="/nonexistent-never-written")


# --- a miniature run ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    out = tmp_path_factory.mktemp("good-bad-mini")
    result = run_network_study(
        tiny(define("quick")), out_dir=out, probe_settings=TINY_PROBE, progress=False
    )
    return out, result


def test_miniature_run_saves_alpha_and_clustering_per_layer(mini):
    out, _ = mini
    assert {p.name for p in out.iterdir()} >= {"good-bad.json", "good-bad.md", "good-bad.png"}
    again = NetworkStudyResult.from_json(out / "good-bad.json")
    assert [v["group"] for v in again.variants] == ["good", "bad"]
    good, bad = again.results
    assert good.layer_names[0] == "input" and good.layer_names[-1] == "pool"
    assert len(good.layer_names) == 11 and len(bad.layer_names) == 7
    for probe in again.results:
        assert [r.seed for r in probe.runs] == [0, 1]
        for index in INDICES:
            values = probe.values(f"clustering.{index}")
            assert np.isfinite(values).all()
    # the input is the same data for both families: same k-means, same alpha*
    assert good.values("alpha_star")[:, 0] == pytest.approx(bad.values("alpha_star")[:, 0])


def test_rerun_recomputes_only_a_deleted_cell(mini, tmp_path):
    out, result = mini
    cells = sorted((out / "cells").glob("*.json"))
    assert len(cells) == 4  # 2 variants x 2 seeds
    before = {p: p.stat().st_mtime_ns for p in cells}
    victim = cells[0]
    old = json.loads(victim.read_text())["result"]
    victim.unlink()
    again = run_network_study(
        tiny(define("quick")), out_dir=out, probe_settings=TINY_PROBE, progress=False
    )
    for p in cells[1:]:
        assert p.stat().st_mtime_ns == before[p]
    assert victim.exists()
    new = json.loads(victim.read_text())["result"]

    def scores(run):  # everything but the wall times
        return [(la["alpha_star"], la["clustering"]) for la in run["layers"]]

    assert scores(new) == scores(old) and new["test_accuracy"] == old["test_accuracy"]
    for a, b in zip(again.results, result.results, strict=True):
        assert np.array_equal(a.values("alpha_star"), b.values("alpha_star"))


def test_cli_runs_the_study(monkeypatch, tmp_path, capsys):
    from sparsity_widgets.cli import main

    real = good_bad.define
    monkeypatch.setattr(good_bad, "define", lambda s: tiny(real(s), seeds=(0,)))
    main(["study", "good-bad", "--setting", "quick", "--out", str(tmp_path)])
    result = NetworkStudyResult.from_json(tmp_path / "good-bad.json")
    assert result.study == "good-bad" and len(result.results[0].runs) == 1
    assert "good-bad, quick setting" in capsys.readouterr().out


def test_full_setting_reads_fashion_mnist_files(tmp_path):
    from test_datasets_real import make_idx_set

    make_idx_set(tmp_path / "data", "FashionMNIST", n_train=100, n_test=20)
    study = tiny(define("full"), n_train=100, n_test=20, seeds=(0,))
    result = run_network_study(
        study,
        out_dir=tmp_path / "out",
        data_dir=tmp_path / "data",
        probe_settings=TINY_PROBE,
        progress=False,
    )
    assert result.data.startswith("Fashion-MNIST")
    for probe in result.results:
        assert probe.dataset == "fashion-mnist"
        assert probe.runs[0].layers[0].width == 28 * 28
        assert probe.runs[0].test_accuracy is not None


# --- the study's functions ------------------------------------------------------------------


def with_values(result, alpha, index_of_alpha):
    """A copy of ``result`` whose layers have alpha* ``alpha[i][j]`` (run i, layer j) and every
    clustering index ``index_of_alpha(alpha)``."""
    result = copy.deepcopy(result)
    for probe in result.results:
        for run, a in zip(probe.runs, alpha(len(probe.layer_names)), strict=True):
            for layer, value in zip(run.layers, a, strict=True):
                layer.alpha_star = float(value)
                layer.clustering = {k: float(index_of_alpha(value)) for k in INDICES}
    return result


def test_correlations_are_pearson_per_seed_over_layers_without_the_input(mini):
    _, result = mini
    rng = np.random.default_rng(0)

    def alpha(n):
        return rng.uniform(0.1, 0.3, size=(2, n))

    exact = clustering_correlations(with_values(result, alpha, lambda a: 2 * a + 1))
    anti = clustering_correlations(with_values(result, alpha, lambda a: 1 - a))
    for family in FAMILIES:
        for index in INDICES:
            assert exact[family][index]["per_seed"] == pytest.approx([1.0, 1.0])
            assert anti[family][index]["mean"] == pytest.approx(-1.0)
            assert anti[family][index]["std"] == pytest.approx(0.0, abs=1e-12)
    # against scipy, on the real miniature values, input dropped
    from scipy.stats import pearsonr

    corr = clustering_correlations(result)
    bad = result.results[1]
    a = bad.values("alpha_star")[1, 1:]
    v = bad.values("clustering.homogeneity")[1, 1:]
    assert corr["bad"]["homogeneity"]["per_seed"][1] == pytest.approx(pearsonr(a, v)[0])
    with_input = clustering_correlations(result, include_input=True)
    a = bad.values("alpha_star")[0]
    v = bad.values("clustering.completeness")[0]
    assert with_input["bad"]["completeness"]["per_seed"][0] == pytest.approx(pearsonr(a, v)[0])


def test_correlations_name_what_is_missing(mini):
    _, result = mini
    with pytest.raises(ValueError, match="baseline"):
        clustering_correlations(result, score="baseline.score")
    two_good = copy.deepcopy(result)
    two_good.variants[1]["group"] = "good"
    with pytest.raises(ValueError, match="exactly one variant of group 'bad'"):
        clustering_correlations(two_good)
    no_clusters = copy.deepcopy(result)
    for probe in no_clusters.results:
        for run in probe.runs:
            for layer in run.layers:
                layer.clustering = None
    with pytest.raises(ValueError, match="clustering=True"):
        clustering_correlations(no_clusters)


def test_table_and_figure(mini, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, result = mini
    text = table2_markdown(result)
    assert "quick setting: scikit-learn digits" in text
    assert text.count("\n| ") == 1 + len(INDICES)  # header + one row per index
    assert "| Homogeneity |" in text and "-0.39" in text and "+0.94" in text
    axes = plot_fig6(result)
    assert len(axes) == 2 and "digits" in axes[0].figure._suptitle.get_text()
    plt.close(axes[0].figure)
    files = write_outputs(result, tmp_path)
    assert sorted(p.name for p in files) == ["good-bad-fig6.png", "good-bad-table2.md"]
    plt.close("all")


# --- ch11 against the saved quick run -------------------------------------------------------


@pytest.fixture(scope="module")
def saved():
    if not (SAVED / "good-bad.json").exists():
        pytest.skip("book/results/good-bad-quick/good-bad.json not written yet")
    return NetworkStudyResult.from_json(SAVED / "good-bad.json")


def test_saved_run_is_the_command_of_the_chapter(saved):
    assert saved.study == "good-bad" and saved.setting == "quick"
    assert saved.data == define("quick").data
    for probe, variant in zip(saved.results, define("quick").variants, strict=True):
        assert probe.settings["baseline"] == "rotation-permuted"
        assert probe.settings["baseline_width"] == 1024
        assert probe.settings["clustering"] is True
        assert probe.settings["epochs"] == variant.epochs
        assert [r.seed for r in probe.runs] == [0, 1, 2]
    assert (SAVED / "good-bad-table2.md").read_text() == (
        table2_markdown(saved) + "\n" + table2_markdown(saved, score="baseline.score")
    )
    assert not (SAVED / "runs").exists() and not (SAVED / "cells").exists()
    assert "--baseline rotation-permuted --baseline-width 1024" in CHAPTER.read_text()


def test_paper_table_is_quoted_right():
    bad, good = (-0.41, -0.41, -0.39, -0.43, -0.43), (0.96, 0.93, 0.94, 0.93, 0.96)
    assert PAPER_TABLE2["bad"] == dict(zip(INDICES, bad, strict=True))
    assert PAPER_TABLE2["good"] == dict(zip(INDICES, good, strict=True))


def r3(x) -> str:
    return f"{float(x):.3f}"


def in_chapter(*texts: str) -> None:
    """Each text occurs in ch11, whitespace (line breaks) normalised."""
    chapter = " ".join(CHAPTER.read_text().split())
    for text in texts:
        assert " ".join(text.split()) in chapter, f"ch11 does not say {text!r}"


def test_fig6_claims(saved):
    good, bad = saved.results
    g, b = good.mean(), bad.mean()
    # the good model: non-decreasing in every seed, input -> pool
    assert (np.diff(good.values("alpha_star"), axis=1) >= 0).all()
    assert (r3(g[0]), r3(g[-1])) == ("0.187", "0.297")
    steps = np.diff(g)
    assert good.layer_names[int(np.argmax(steps)) + 1] == "layer3.0"
    assert r3(steps.max()) == "0.038"
    two_stages = g[-1] - g[good.layer_names.index("layer2.1")]
    assert (r3(two_stages), r3(g[-1] - g[0])) == ("0.055", "0.110")
    assert np.array_equal(good.values("alpha_star")[:, -1], good.values("alpha_star")[:, -2])
    in_chapter(
        "from 0.187 at the input to 0.297",
        "`layer3.0`, +0.038",
        "add 0.055 of the total 0.110",
    )
    # the bad model: a small rise, flat in the weakest seed
    assert (r3(b[1]), r3(b[-1])) == ("0.191", "0.214")
    assert b[-1] > b[1]
    weakest = min(bad.runs, key=lambda run: run.test_accuracy)
    assert weakest.seed == 2 and r3(weakest.test_accuracy) == "0.847"
    values = [layer.alpha_star for layer in weakest.layers[1:]]
    assert (r3(min(values)), r3(max(values))) == ("0.189", "0.199")
    in_chapter(
        "from 0.191 at its first conv block to 0.214",
        "(seed 2, test accuracy 0.847)",
        "between 0.189 and 0.199",
    )
    # bad below good at every position after the input
    assert all(b[j] < g[j] for j in range(1, len(b)))
    assert r3(g[-1] - b[-1]) == "0.083"
    assert b[-1] + 5 * bad.std()[-1] < g[-1]  # "many seed spreads apart"
    acc_good, acc_bad = good.accuracy(), bad.accuracy()
    assert (f"{acc_bad[0]:.3f} ± {acc_bad[1]:.3f}", f"{acc_good[0]:.3f} ± {acc_good[1]:.3f}") == (
        "0.888 ± 0.030",
        "0.987 ± 0.005",
    )
    in_chapter("by 0.083 (0.214 against 0.297)", "0.888 ± 0.030 and 0.987 ± 0.005")
    # the controlled score
    gc, bc = good.mean("baseline.score"), bad.mean("baseline.score")
    assert (r3(gc[0]), r3(gc[good.layer_names.index("layer4.0")]), r3(gc[-1])) == (
        "-0.011",
        "0.085",
        "0.075",
    )
    assert (r3(bc[1:].min()), r3(bc[1:].max()), r3(bc[-1])) == ("-0.016", "0.035", "0.023")
    in_chapter(
        "(-0.011 at the input) to 0.085 at `layer4.0` and 0.075 at the pool",
        "between -0.016 and 0.035 (mean over seeds) and ends at 0.023",
    )
    # ... but at positions 2-4 the bad model's controlled score is the higher one
    higher = [j for j in range(1, len(bc)) if bc[j] > gc[j]]
    assert higher == [2, 3, 4]
    assert [layer.width for layer in good.runs[0].layers[2:5]] == [1024, 1024, 512]
    assert {layer.width for layer in bad.runs[0].layers[2:5]} == {16}
    in_chapter("at positions 2 to 4", "(1024 or 512 features against 16)", "(0.023 against 0.075)")


def test_table2_claims(saved):
    corr = clustering_correlations(saved)
    good = [corr["good"][k] for k in INDICES]
    bad = [corr["bad"][k] for k in INDICES]
    assert (min(c["mean"] for c in good), max(c["mean"] for c in good)) == pytest.approx(
        (0.87, 0.89), abs=0.005
    )
    assert max(c["std"] for c in good) < 0.035
    assert (min(c["mean"] for c in bad), max(c["mean"] for c in bad)) == pytest.approx(
        (0.18, 0.31), abs=0.005
    )
    assert all(0.465 <= c["std"] < 0.485 for c in bad)  # "a seed spread of about 0.48"
    seed = {i: [c["per_seed"][i] for c in bad] for i in range(3)}
    assert (min(seed[1]), max(seed[1])) == pytest.approx((0.85, 0.89), abs=0.005)
    assert (min(seed[0]), max(seed[0])) == pytest.approx((-0.02, 0.31), abs=0.005)
    assert (min(seed[2]), max(seed[2])) == pytest.approx((-0.30, -0.27), abs=0.005)
    in_chapter(
        "0.87 to 0.89 (mean over seeds, spread 0.03)",
        "($+0.18$ to $+0.31$) with a seed spread of about 0.48",
        "seed 1 gives $+0.85$ to $+0.89$, seed 0 between $-0.02$ and $+0.31$",
        "($-0.27$ to $-0.30$ for all five indices)",
    )
    # adjusted Rand from the stem to the pool; all indices >= 0.99 from the third stage on
    ari = saved.results[0].mean("clustering.adjusted_rand")
    assert (f"{ari[1]:.2f}", f"{ari[-1]:.2f}") == ("0.66", "1.00")
    start = saved.results[0].layer_names.index("layer3.0")
    for k in INDICES:
        assert saved.results[0].mean(f"clustering.{k}")[start:].min() >= 0.985
    # the controlled score
    ctl = clustering_correlations(saved, score="baseline.score")
    g = [ctl["good"][k]["mean"] for k in INDICES]
    b = [ctl["bad"][k]["mean"] for k in INDICES]
    assert (min(g), max(g)) == pytest.approx((0.88, 0.90), abs=0.005)
    assert (min(b), max(b)) == pytest.approx((0.25, 0.39), abs=0.005)
    assert all(0.45 <= ctl["bad"][k]["std"] <= 0.52 for k in INDICES)
    in_chapter(
        "(the good model 0.88 to 0.90; the bad model's mean $+0.25$ to $+0.39$ "
        "with spread about 0.5)"
    )


def test_critical_r_claims():
    from scipy.stats import t as student_t

    def critical_r(n):
        q = student_t.ppf(0.975, n - 2)
        return q / np.sqrt(n - 2 + q**2)

    assert f"{critical_r(4):.2f}" == "0.95"
    assert critical_r(6) < 0.85  # seed 1's 0.85-0.89 passes at six layers
    assert critical_r(6) > 0.31 and critical_r(4) > 0.43  # the rest do not
    assert critical_r(10) < 0.87  # the good model's means pass at ten layers
