"""The phase-retrieval study (the paper's Sec. 4.2.5, Fig. 8) and ch13's claims.

The definition, a miniature run through the real runner (its resume, its CLI and the full
setting's MNIST reading on tiny IDX files), the study's functions (:func:`fig8_rows`,
:func:`fig8_markdown`, :func:`plot_fig8`, :func:`write_outputs`) and every number ch13 states
about the saved quick run in ``book/results/phase-retrieval-quick/``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sparsity_widgets.probe import ProbeSettings
from sparsity_widgets.studies import phase_retrieval
from sparsity_widgets.studies.networks import NetworkStudyResult, run_network_study
from sparsity_widgets.studies.phase_retrieval import (
    FULL_FC_HIDDEN,
    QUICK_FC_HIDDEN,
    define,
    fig8_markdown,
    fig8_rows,
    plot_fig8,
    replay_public_bad_net,
    write_outputs,
)

ROOT = Path(__file__).resolve().parents[1]
SAVED = ROOT / "book" / "results" / "phase-retrieval-quick"
CHAPTER = ROOT / "book" / "ch13_fourier_magnitudes.md"
TINY_PROBE = ProbeSettings(n_trees=1, max_depth=6)


def tiny(study, *, epochs=1, n_train=200, n_test=100, seeds=(0, 1)):
    """The study shrunk: ``epochs`` epochs on ``n_train`` / ``n_test`` samples."""
    variants = tuple(
        replace(
            v,
            epochs=epochs,
            dataset_options={**v.dataset_options, "n_train": n_train, "n_test": n_test},
        )
        for v in study.variants
    )
    return replace(study, variants=variants, seeds=seeds)


# --- the definition -------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["quick", "full"])
def test_definition(setting):
    study = define(setting)
    assert study.name == "phase-retrieval" and study.setting == setting
    assert study.seeds == (0, 1, 2)
    assert study.probe_options == {}  # the controlled score comes from --baseline
    fc, conv = study.variants
    assert (fc.label, fc.model) == ("fully connected", "fourier-fc")
    assert (conv.label, conv.model) == ("convolutional", "fourier-conv")
    for v in study.variants:
        assert v.dataset_options["fourier"] is True
        assert (v.epochs, v.batch_size, v.lr, v.optimizer) == (100, 32, 1e-3, "adam")
        assert v.layers[0] == "input" and v.layers[-1] == "classifier"
    assert conv.layers == ("input", "blocks.0", "blocks.1", "blocks.2", "hidden", "classifier")
    assert conv.model_options == {"channels": [16, 32, 64]}
    if setting == "quick":
        assert fc.model_options == {"hidden": list(QUICK_FC_HIDDEN)}
        assert {v.dataset for v in study.variants} == {"digits"}
        assert not study.needs_data_dir
        assert "digits" in study.data and "stand-in for MNIST" in study.data
    else:
        # the authors' phase_net: 784 -> 1024 -> 1568 -> 1568 -> 200 -> 10
        assert fc.model_options == {"hidden": [1024, 1568, 1568, 200]} == {
            "hidden": list(FULL_FC_HIDDEN)
        }
        assert {v.dataset for v in study.variants} == {"mnist"}
        assert study.needs_data_dir
        assert study.data.startswith("MNIST, |FFT|")
    assert fc.layers == ("input", "hidden.0", "hidden.1", "hidden.2", "hidden.3", "classifier")


def test_full_models_have_the_authors_widths():
    from sparsity_widgets.models import build_model

    fc = build_model("fourier-fc", in_shape=(1, 28, 28), n_classes=10,
                     **define("full").variants[0].model_options)
    widths = [(m.in_features, m.out_features) for m in fc.modules() if hasattr(m, "in_features")]
    assert widths == [(784, 1024), (1024, 1568), (1568, 1568), (1568, 200), (200, 10)]


def test_bad_setting_and_missing_data_dir_are_named():
    with pytest.raises(ValueError, match="setting"):
        define("medium")
    with pytest.raises(ValueError, match=r"data_dir.*--data-dir"):
        run_network_study("phase-retrieval", setting="full", out_dir="/nonexistent-never-written")


# --- a miniature run ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    out = tmp_path_factory.mktemp("phase-mini")
    result = run_network_study(
        tiny(define("quick")), out_dir=out, probe_settings=TINY_PROBE, progress=False
    )
    return out, result


def test_miniature_run_probes_every_layer_on_fourier_magnitudes(mini):
    out, _ = mini
    assert {p.name for p in out.iterdir()} >= {
        "phase-retrieval.json",
        "phase-retrieval.md",
        "phase-retrieval.png",
    }
    again = NetworkStudyResult.from_json(out / "phase-retrieval.json")
    fc, conv = again.results
    assert fc.dataset == conv.dataset == "digits"
    assert fc.layer_names == list(define("quick").variants[0].layers)
    widths = [layer.width for layer in conv.runs[0].layers]
    assert widths == [64, 16 * 4 * 4, 32 * 2 * 2, 64, 128, 10]
    for probe in again.results:
        assert [r.seed for r in probe.runs] == [0, 1]
        assert np.isfinite(probe.values("alpha_star")).all()
    # both models see the same input (|FFT| of the same digits): the same alpha* there
    assert fc.values("alpha_star")[:, 0] == pytest.approx(conv.values("alpha_star")[:, 0])


def test_the_input_is_the_fourier_magnitude_of_the_digits():
    from sparsity_widgets.datasets import fourier_magnitudes, load_dataset

    plain = load_dataset("digits", n_train=30, n_test=10)
    data = load_dataset("digits", n_train=30, n_test=10, fourier=True)
    assert np.allclose(data.train.X, fourier_magnitudes(plain.train.X))
    # a real image's spectrum is conjugate-symmetric: |F(k)| = |F(-k)| (after the shift,
    # index k <-> 8 - k for k = 1..7), so about half the 64 magnitudes are redundant
    x = data.train.X[:, 0]
    assert np.allclose(x[:, 1:, 1:], x[:, :0:-1, :0:-1], atol=1e-5)


def test_rerun_recomputes_only_a_deleted_cell(mini, monkeypatch):
    import sparsity_widgets.probe as probe_module

    out, result = mini
    cells = sorted((out / "cells").glob("*.json"))
    assert len(cells) == 4  # 2 variants x 2 seeds
    before = {p: p.stat().st_mtime_ns for p in cells}
    victim = cells[0]
    old = json.loads(victim.read_text())["result"]
    victim.unlink()
    calls = []
    real = probe_module.probe_model

    def counted(*args, **kwargs):
        calls.append(kwargs.get("seed"))
        return real(*args, **kwargs)

    monkeypatch.setattr(probe_module, "probe_model", counted)
    again = run_network_study(
        tiny(define("quick")), out_dir=out, probe_settings=TINY_PROBE, progress=False
    )
    assert len(calls) == 1  # only the deleted cell was probed again
    for p in cells[1:]:
        assert p.stat().st_mtime_ns == before[p]
    new = json.loads(victim.read_text())["result"]
    assert [la["alpha_star"] for la in new["layers"]] == [la["alpha_star"] for la in old["layers"]]
    assert new["test_accuracy"] == old["test_accuracy"]  # the checkpoint was reused
    for a, b in zip(again.results, result.results, strict=True):
        assert np.array_equal(a.values("alpha_star"), b.values("alpha_star"))


def test_cli_runs_the_study(monkeypatch, tmp_path, capsys):
    from sparsity_widgets.cli import main

    real = phase_retrieval.define
    monkeypatch.setattr(phase_retrieval, "define", lambda s: tiny(real(s), seeds=(0,)))
    main(["study", "phase-retrieval", "--setting", "quick", "--out", str(tmp_path),
          "--baseline", "rotation-permuted", "--baseline-repeats", "1", "--baseline-width", "64"])
    result = NetworkStudyResult.from_json(tmp_path / "phase-retrieval.json")
    assert result.study == "phase-retrieval" and len(result.results[0].runs) == 1
    assert result.results[0].baseline == {"kind": "rotation-permuted", "repeats": 1, "width": 64}
    assert "phase-retrieval, quick setting" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::sparsity_widgets.forest.SmallSampleWarning")
def test_full_setting_reads_mnist_files(tmp_path):
    from test_datasets_real import make_idx_set

    make_idx_set(tmp_path / "data", "MNIST", n_train=40, n_test=20)
    study = tiny(define("full"), n_train=40, n_test=20, seeds=(0,))
    result = run_network_study(
        study, out_dir=tmp_path / "out", data_dir=tmp_path / "data", probe_settings=TINY_PROBE,
        progress=False,
    )
    assert result.data.startswith("MNIST")
    for probe in result.results:
        assert probe.dataset == "mnist"
        assert probe.runs[0].layers[0].width == 28 * 28
        assert probe.runs[0].test_accuracy is not None
    assert [layer.width for layer in result.results[0].runs[0].layers] == [
        784, *FULL_FC_HIDDEN, 10
    ]


# --- the study's functions ------------------------------------------------------------------


def with_alpha(result, alpha):
    """A copy of ``result`` whose layer j of run i has alpha* ``alpha(n_layers)[i][j]``."""
    result = copy.deepcopy(result)
    for probe in result.results:
        for run, a in zip(probe.runs, alpha(len(probe.layer_names)), strict=True):
            for layer, value in zip(run.layers, a, strict=True):
                layer.alpha_star = float(value)
    return result


def test_fig8_rows_on_known_values(mini):
    _, result = mini
    rising = with_alpha(result, lambda n: [np.linspace(0.1, 0.3, n), np.linspace(0.1, 0.5, n)])
    for row in fig8_rows(rising):
        n = 6
        assert row["alpha_input"] == pytest.approx(0.1)
        assert row["alpha_output"] == pytest.approx(0.4)  # mean of 0.3 and 0.5
        assert row["alpha_last_hidden"] == pytest.approx(0.1 + (0.2 + 0.4) / 2 * (n - 2) / (n - 1))
        assert row["rise"] == pytest.approx(row["alpha_last_hidden"] - 0.1)
        assert row["monotone"] == 1.0
        assert row["controlled_input"] is None  # the miniature has no control
    # one seed dips by 0.02 at one step: half the seeds are monotone
    dip = with_alpha(result, lambda n: [np.linspace(0.1, 0.3, n), [0.2, 0.18, *[0.3] * (n - 2)]])
    assert [row["monotone"] for row in fig8_rows(dip)] == [0.5, 0.5]
    # a dip smaller than 0.01 does not count
    flat = with_alpha(result, lambda n: [[0.2, 0.195, *[0.3] * (n - 2)]] * 2)
    assert [row["monotone"] for row in fig8_rows(flat)] == [1.0, 1.0]
    acc = result.results[0].accuracy()
    assert fig8_rows(result)[0]["test_accuracy"] == acc[0]


def test_functions_refuse_other_studies(mini):
    _, result = mini
    other = copy.deepcopy(result)
    other.study = "good-bad"
    with pytest.raises(ValueError, match="phase-retrieval"):
        fig8_rows(other)
    with pytest.raises(ValueError, match="phase-retrieval"):
        fig8_rows({"study": "phase-retrieval"})
    one = copy.deepcopy(result)
    one.results = one.results[:1]
    one.variants = one.variants[:1]
    with pytest.raises(ValueError, match="convolutional"):
        plot_fig8(one)


def test_table_and_figure(mini, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, result = mini
    text = fig8_markdown(result)
    assert text.startswith("phase-retrieval, quick setting: scikit-learn digits")
    assert text.count("\n| ") == 3  # header + two models
    axes = plot_fig8(result)
    assert len(axes) == 2
    assert axes[0].get_title().startswith("fully connected (test accuracy")
    assert "quick setting" in axes[0].figure._suptitle.get_text()
    plt.close(axes[0].figure)
    _, three = plt.subplots(1, 3)
    with pytest.raises(ValueError, match="2 Axes"):
        plot_fig8(result, three)
    plt.close("all")
    files = write_outputs(result, tmp_path)
    assert [f.name for f in files] == ["fig8.md", "fig8.png"]
    assert (tmp_path / "fig8.md").read_text() == text


# --- ch13's claims against the saved quick run ----------------------------------------------


@pytest.fixture(scope="module")
def saved() -> NetworkStudyResult:
    return NetworkStudyResult.from_json(SAVED / "phase-retrieval.json")


@pytest.fixture(scope="module")
def chapter() -> str:
    return CHAPTER.read_text(encoding="utf-8")


def r3(value: float) -> str:
    return f"{value:.3f}"


def test_saved_run_is_the_commands(saved, chapter):
    """The files come from the command the chapter prints: quick setting, three seeds, the
    rotation-permuted control at 256 columns with 5 repeats."""
    assert (saved.study, saved.setting) == ("phase-retrieval", "quick")
    assert saved.data == define("quick").data
    assert saved.variants == [v.describe() for v in define("quick").variants]
    for probe in saved.results:
        assert [run.seed for run in probe.runs] == [0, 1, 2]
        assert probe.baseline == {"kind": "rotation-permuted", "repeats": 5, "width": 256}
    assert (
        "sparsity-widgets study phase-retrieval --setting quick \\\n"
        "  --baseline rotation-permuted --baseline-width 256 --out /tmp/phase-retrieval-out"
    ) in chapter
    assert (SAVED / "fig8.md").read_text() == fig8_markdown(saved)
    assert {p.name for p in SAVED.iterdir()} == {
        "phase-retrieval.json", "phase-retrieval.md", "phase-retrieval.png", "fig8.md", "fig8.png"
    }


def test_accuracies_in_the_text(saved, chapter):
    fc, conv = saved.result("fully connected"), saved.result("convolutional")
    fc_acc = [run.test_accuracy for run in fc.runs]
    conv_acc = [run.test_accuracy for run in conv.runs]
    assert r3(np.mean(fc_acc)) == "0.907" and r3(np.mean(conv_acc)) == "0.904"
    assert (r3(min(fc_acc)), r3(max(fc_acc))) == ("0.904", "0.909")
    assert (r3(min(conv_acc)), r3(max(conv_acc))) == ("0.878", "0.918")
    assert r3(np.std(conv_acc)) == "0.018" and r3(np.std(fc_acc)) == "0.002"
    assert r3(np.mean(fc_acc) - np.mean(conv_acc)) == "0.003"
    train = sorted(run.train_accuracy for probe in saved.results for run in probe.runs)
    assert r3(train[0]) == "0.940" and train[1:] == [1.0] * 5
    for text in ("Mean test accuracy 0.907 (fully connected, seeds\n  0.904-0.909) and 0.904 "
                 "(convolutional, 0.878-0.918)", "a difference of 0.003", "(std 0.018)",
                 "one convolutional seed at 0.940", "0.904 ± 0.018, against 0.907 ± 0.002"):
        assert text in chapter, text


def test_raw_alpha_in_the_text(saved, chapter):
    rows = {row["label"]: row for row in fig8_rows(saved)}
    fc, conv = rows["fully connected"], rows["convolutional"]
    assert r3(fc["alpha_input"]) == r3(conv["alpha_input"]) == "0.164"
    assert (r3(fc["alpha_last_hidden"]), r3(fc["rise"])) == ("0.260", "0.096")
    assert (r3(conv["alpha_last_hidden"]), r3(conv["rise"])) == ("0.257", "0.093")
    assert (r3(fc["alpha_output"]), r3(conv["alpha_output"])) == ("0.285", "0.288")
    # the convolutional curve rises at every step in every seed
    steps = np.diff(saved.result("convolutional").values(), axis=1)
    assert (steps > 0).all() and conv["monotone"] == 1.0
    # the fully connected one at every step but hidden.2 -> hidden.3, level in the mean
    fc_probe = saved.result("fully connected")
    steps = np.diff(fc_probe.values(), axis=1)
    assert (np.delete(steps, 3, axis=1) > 0).all()
    assert (steps[:, 3] < 0).any()
    mean = fc_probe.mean()
    assert (r3(mean[3]), r3(mean[4])) == ("0.264", "0.260")
    for text in ("From 0.164 at the input to\n  0.260", "(+0.096)", "0.257 at the\n  "
                 "convolutional network's hidden layer (+0.093)", "logits score 0.285 and 0.288",
                 "(0.264 to\n  0.260)", "rises 0.164 → 0.257 (+0.093)",
                 "raw 0.164 → 0.260 (+0.096)"):
        assert text in chapter, text


def test_controlled_score_in_the_text(saved, chapter):
    fc, conv = saved.result("fully connected"), saved.result("convolutional")
    ctl_fc, ctl_conv = fc.values("baseline.score"), conv.values("baseline.score")
    assert f"{ctl_fc[:, 0].mean():+.3f}" == f"{ctl_conv[:, 0].mean():+.3f}" == "+0.010"
    assert f"{ctl_fc[:, 1].mean():+.3f}" == "+0.001"
    assert f"{ctl_conv[:, 1].mean():+.3f}" == "-0.018" and (ctl_conv[:, 1] < 0).all()
    assert f"{ctl_fc[:, -2].mean():+.3f}" == "+0.092"
    assert f"{ctl_conv[:, -2].mean():+.3f}" == "+0.071"
    assert r3(ctl_fc[:, -2].mean() - ctl_conv[:, -2].mean()) == "0.022"
    raw_first = [probe.mean()[1] - probe.mean()[0] for probe in (fc, conv)]
    assert [f"{v:+.3f}" for v in raw_first] == ["+0.024", "+0.011"]
    margin = ctl_fc[:, -2].min() - ctl_conv[:, -2].max()
    assert margin > 0 and r3(margin) == "0.001"
    for text in ("Both inputs sit at +0.010", "(fully connected +0.001", "block −0.018, below the "
                 "null in every seed", "reaches +0.092 and the convolutional one +0.071",
                 "by as little as 0.001", "controlled +0.010 → +0.071",
                 "controlled +0.010 → +0.092", "0.022 higher",
                 "input (+0.024 and +0.011)"):
        assert text in chapter, text


def test_verdicts_and_labels_in_the_chapter(chapter):
    assert chapter.count("**not reproduced**") == 2 and chapter.count("**reproduced**") == 1
    assert "benshaul2021sparsity" in chapter
    # every figure and table names the quick setting's data
    assert chapter.count("quick setting: scikit-learn digits") >= 3
    assert "--setting full --data-dir DATA --device auto" in chapter


def test_input_statistics_in_the_text(chapter):
    from sparsity_widgets.datasets import load_dataset

    def neighbours(X):
        h = np.mean([np.corrcoef(x[:, :-1].ravel(), x[:, 1:].ravel())[0, 1] for x in X])
        v = np.mean([np.corrcoef(x[:-1].ravel(), x[1:].ravel())[0, 1] for x in X])
        return f"{h:.2f}", f"{v:.2f}"

    spectra = load_dataset("digits", fourier=True).train.X[:, 0]
    pixels = load_dataset("digits").train.X[:, 0]
    assert neighbours(spectra) == ("0.66", "0.15")
    assert neighbours(pixels) == ("0.38", "0.68")
    assert neighbours(np.fft.ifftshift(spectra, axes=(-2, -1))) == ("0.62", "0.32")
    for text in ("0.66 on average over the training images, vertically adjacent ones at 0.15",
                 "(adjacent pixels:\n  0.38 and 0.68)", "gives 0.62 and 0.32"):
        assert text in chapter, text


def test_linear_classifier_on_magnitudes(chapter):
    import warnings

    from sklearn.linear_model import LogisticRegression

    from sparsity_widgets.datasets import load_dataset

    data = load_dataset("digits", fourier=True)
    X = {s: getattr(data, s).X.reshape(len(getattr(data, s).X), -1) for s in ("train", "test")}
    acc = LogisticRegression(max_iter=5000).fit(X["train"], data.train.y).score(
        X["test"], data.test.y
    )
    assert r3(acc) == "0.871"  # lbfgs is deterministic; measured 0.8711 in 1130 iterations
    pixels = load_dataset("digits")
    P = {s: getattr(pixels, s).X.reshape(len(getattr(pixels, s).X), -1) for s in ("train", "test")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs may stop at max_iter on pixels
        pixel_acc = LogisticRegression(max_iter=5000).fit(P["train"], pixels.train.y).score(
            P["test"], pixels.test.y
        )
    assert 0.96 <= pixel_acc <= 0.98  # measured 0.969
    assert "It reaches 0.871" in chapter and "reaches about 0.97" in chapter


def test_replay_of_the_public_bad_net(chapter):
    from sparsity_widgets.datasets import load_dataset

    replay = replay_public_bad_net(load_dataset("digits"), seeds=(0, 1, 2), epochs=100)
    assert replay.shape == (3, 100)
    first, last, best = replay[:, 0], replay[:, -1], replay.max(axis=1)
    assert (r3(first.min()), r3(first.max())) == ("0.076", "0.211")
    assert (r3(last.min()), r3(last.max())) == ("0.809", "0.831")
    assert (r3(best.min()), r3(best.max())) == ("0.851", "0.860")
    assert (replay.argmin(axis=1) == 0).all()  # the first epoch is the lowest in every seed
    assert len(load_dataset("digits").train.X) // 32 + 1 == 43 and 60000 // 32 == 1875
    for text in ("reaches 0.809-0.831 (best 0.851-0.860)", "stands at 0.076-0.211",
                 "1875 steps of batch 32\nagainst 43 here"):
        assert text in chapter, text


def test_replay_checks_its_input():
    from sparsity_widgets.datasets import load_dataset

    with pytest.raises(ValueError, match="images of shape"):
        replay_public_bad_net(load_dataset("mnist1d", n_train=50, n_test=20), epochs=1)
    with pytest.raises(ValueError, match="seeds"):
        replay_public_bad_net(load_dataset("digits", n_train=50, n_test=20), seeds=())
    with pytest.raises(ValueError, match="epochs"):
        replay_public_bad_net(load_dataset("digits", n_train=50, n_test=20), epochs=0)
