"""The VGG depth study (the paper's Sec. 4.2.1, Fig. 5), the ``image_size`` resizing it needs,
and the statements of book/ch12_vgg_depth.md against the saved quick run.

The saved files (book/results/vgg-depth-quick/) were written by
``OMP_NUM_THREADS=1 nice sparsity-widgets study vgg-depth --setting quick --baseline
rotation-permuted --baseline-repeats 2 --baseline-width 2048 --out /tmp/vgg-depth-out``.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from test_datasets_real import make_cifar_set, make_idx_set
from torch.nn import functional as F

from sparsity_widgets.datasets import load_dataset
from sparsity_widgets.datasets.registry import RESIZE_METHOD, resize_images
from sparsity_widgets.models import build_model
from sparsity_widgets.probe import ProbeSettings
from sparsity_widgets.studies import vgg_depth
from sparsity_widgets.studies.networks import (
    NetworkStudyResult,
    define_network_study,
    run_network_study,
)
from sparsity_widgets.studies.vgg_depth import (
    HALF_LABEL,
    define,
    depth_claims,
    depth_table,
    half_epoch_gap,
    layer_positions,
    plot_fig5,
    probed_layers,
    write_outputs,
)

ROOT = Path(__file__).resolve().parents[1]
SAVED = ROOT / "book" / "results" / "vgg-depth-quick"
CHAPTER = ROOT / "book" / "ch12_vgg_depth.md"
TINY_PROBE = ProbeSettings(n_trees=1, max_depth=6)
N_LAYERS = {"VGG-13": 10, "VGG-16": 13, "VGG-19": 16, HALF_LABEL: 16}


# ---------------------------------------------------------------------------- the definition


@pytest.mark.parametrize("setting", ["quick", "full"])
def test_both_settings_define_the_four_variants(setting):
    study = define_network_study("vgg-depth", setting)
    assert study.name == "vgg-depth" and study.setting == setting
    assert study.seeds == (0, 1, 2)
    assert [v.label for v in study.variants] == ["VGG-13", "VGG-16", "VGG-19", HALF_LABEL]
    assert [v.model for v in study.variants] == ["vgg13", "vgg16", "vgg19", "vgg19"]
    epochs = 100 if setting == "full" else 20
    assert all(v.epochs == epochs for v in study.variants)
    assert [v.probe_epoch for v in study.variants] == [None, None, None, epochs // 2]
    # the half-epoch variant is a checkpoint of the VGG-19 runs: same training configuration
    assert study.variants[3].train_config(0) == study.variants[2].train_config(0)
    assert {len(v.layers) for v in study.variants} == {10, 13, 16}
    assert [len(v.layers) for v in study.variants] == list(N_LAYERS.values())


def test_the_settings_use_the_papers_data_and_the_stand_in():
    full, quick = define("full"), define("quick")
    assert full.needs_data_dir and not quick.needs_data_dir
    assert all(v.dataset == "cifar10" and v.dataset_options == {} for v in full.variants)
    assert all(v.model_options == {} for v in full.variants)  # full width: 64 ... 512
    assert "CIFAR-10" in full.data
    assert all(
        v.dataset == "digits" and v.dataset_options == {"image_size": 32} for v in quick.variants
    )
    assert all(v.model_options == {"width": 0.125} for v in quick.variants)
    assert "digits" in quick.data and "32x32" in quick.data and "CIFAR-10" in quick.data


@pytest.mark.parametrize("depth", ["vgg13", "vgg16", "vgg19"])
def test_probed_layers_are_the_models_probe_points_without_the_first_five(depth):
    model = build_model(depth, in_shape=(1, 32, 32), n_classes=10, width=0.125)
    points = [name for name, _ in model.probe_points()]
    assert probed_layers(depth) == tuple(points[5:])
    assert probed_layers(depth)[0] == "features.pool2"
    assert probed_layers(depth)[-1] == "features.pool5"
    assert points[:5] == [
        "features.conv1_1",
        "features.conv1_2",
        "features.pool1",
        "features.conv2_1",
        "features.conv2_2",
    ]


def test_bad_settings_and_depths_are_refused():
    with pytest.raises(ValueError, match="setting must be one of"):
        define("medium")
    with pytest.raises(ValueError, match="depth must be one of"):
        probed_layers("vgg11")


def test_the_full_setting_needs_a_data_dir(tmp_path):
    with pytest.raises(ValueError, match=r"data_dir must name the folder .* 'vgg-depth' .* full"):
        run_network_study("vgg-depth", setting="full", out_dir=tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "cells").exists()


# ------------------------------------------------------------------------ image_size resizing


def test_digits_resized_to_32_records_how():
    plain = load_dataset("digits")
    big = load_dataset("digits", image_size=32)
    assert big.train.X.shape == (1347, 1, 32, 32) and big.test.X.shape == (450, 1, 32, 32)
    assert big.train.X.dtype == np.float32 and big.train.X.flags.c_contiguous
    np.testing.assert_array_equal(big.train.y, plain.train.y)
    assert big.info["image_size"] == 32 and big.info["resize"] == RESIZE_METHOD
    assert "bilinear" in RESIZE_METHOD and "image_size" not in plain.info
    expected = (
        F.interpolate(
            torch.from_numpy(plain.train.X), size=(32, 32), mode="bilinear", align_corners=False
        )
        .clamp(0, 1)
        .numpy()
    )
    np.testing.assert_allclose(big.train.X, expected, rtol=0, atol=1e-6)
    # bilinear keeps the mean brightness of a 4x enlargement to within the border effect:
    # measured 0.3% relative on the digits training split
    assert abs(big.train.X.mean() / plain.train.X.mean() - 1) < 0.01
    assert 0.0 <= big.train.X.min() and big.train.X.max() <= 1.0


def test_resize_images_keeps_constant_images_and_is_smooth():
    X = np.full((2, 3, 8, 8), 0.25, np.float32)
    np.testing.assert_allclose(resize_images(X, 20), 0.25, atol=1e-7)
    step = np.zeros((1, 1, 8, 8), np.float32)
    step[..., 4:] = 1.0
    row = resize_images(step, 32)[0, 0, 0]
    # nearest would jump 0 -> 1 in one pixel; bilinear takes several values in between
    assert np.all(np.diff(row) >= 0) and ((row > 0.01) & (row < 0.99)).sum() >= 3
    same = resize_images(step, 8)
    np.testing.assert_array_equal(same, step)
    assert same is not step
    with pytest.raises(ValueError, match=r"X must be an array of images of shape \(n, C, H, W\)"):
        resize_images(np.zeros((3, 8, 8), np.float32), 4)
    with pytest.raises(ValueError, match="image_size must be an integer >= 1; got 0"):
        resize_images(step, 0)


def test_cifar10_and_mnist_resize_from_the_official_files(tmp_path):
    make_cifar_set(tmp_path)
    plain = load_dataset("cifar10", root=tmp_path)
    small = load_dataset("cifar10", root=tmp_path, image_size=16)
    assert small.train.X.shape == (30, 3, 16, 16) and small.info["resize"] == RESIZE_METHOD
    # shrinking by 2 with antialiasing is the tent filter (1, 3, 3, 1) / 8 along each axis
    # (PIL's bilinear reduction); checked on the interior, where no weight is renormalized
    tent = np.array([1.0, 3.0, 3.0, 1.0]) / 8
    x = plain.test.X.astype(np.float64)
    rows = sum(w * x[:, :, 1 + k : 29 + k : 2, :] for k, w in enumerate(tent))
    both = sum(w * rows[:, :, :, 1 + k : 29 + k : 2] for k, w in enumerate(tent))
    np.testing.assert_allclose(small.test.X[:, :, 1:15, 1:15], both, atol=1e-6)
    same = load_dataset("cifar10", root=tmp_path, image_size=32)
    np.testing.assert_array_equal(same.train.X, plain.train.X)
    make_idx_set(tmp_path, "MNIST", n_train=20, n_test=10)
    mnist = load_dataset("mnist", root=tmp_path, image_size=32, n_train=10)
    assert mnist.train.X.shape == (10, 1, 32, 32) and mnist.info["image_size"] == 32


def test_image_size_is_refused_for_sets_without_images():
    with pytest.raises(ValueError, match=r"image_size applies to the image sets \(digits, mnist"):
        load_dataset("mnist1d", image_size=32)
    with pytest.raises(ValueError, match="image_size must be an integer >= 1; got -3"):
        load_dataset("digits", image_size=-3)


# ---------------------------------------------------------------- a miniature run, resumed


def tiny(study, **dataset_options):
    """The study with 2 epochs (half: 1), width 1/16, one seed and small splits."""
    variants = tuple(
        replace(
            v,
            epochs=2,
            probe_epoch=None if v.probe_epoch is None else 1,
            model_options={**v.model_options, "width": 0.0625},
            dataset_options={**v.dataset_options, **dataset_options},
        )
        for v in study.variants
    )
    return replace(study, variants=variants, seeds=(0,))


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    out = tmp_path_factory.mktemp("vgg-mini")
    study = tiny(define("quick"), n_train=100, n_test=50)
    result = run_network_study(study, out_dir=out, probe_settings=TINY_PROBE, progress=False)
    return study, out, result


def test_the_miniature_run_probes_every_variant(mini):
    study, out, result = mini
    assert [r.label for r in result.results] == list(N_LAYERS)
    for r, variant in zip(result.results, study.variants, strict=True):
        assert r.layer_names == list(variant.layers)
        assert len(r.runs) == 1 and np.isfinite(r.values()).all()
        assert 0.0 <= r.runs[0].test_accuracy <= 1.0
    assert result.result(HALF_LABEL).runs[0].epoch == 1
    assert result.result("VGG-19").runs[0].epoch == 2
    assert sorted(p.name for p in out.glob("vgg-depth*")) == [
        "vgg-depth-fig5.png",  # the study's write_outputs, called by the runner
        "vgg-depth-table.md",
        "vgg-depth.json",
        "vgg-depth.md",
        "vgg-depth.png",
    ]
    # VGG-19 and its half-epoch checkpoint share one training run: 3 runs for 4 variants
    assert len(list((out / "runs").iterdir())) == 3
    back = NetworkStudyResult.from_json(out / "vgg-depth.json")
    assert back.to_dict() == result.to_dict()


def test_a_deleted_cell_alone_is_probed_again(mini):
    study, out, result = mini
    cells = sorted((out / "cells").glob("*.json"))
    assert len(cells) == 4
    before = {p: p.stat().st_mtime_ns for p in cells}
    checkpoints = {p: p.stat().st_mtime_ns for p in (out / "runs").rglob("*.pt")}
    victim = next(p for p in cells if json.loads(p.read_text())["result"]["epoch"] == 1)
    victim.unlink()
    again = run_network_study(study, out_dir=out, probe_settings=TINY_PROBE, progress=False)
    after = {p: p.stat().st_mtime_ns for p in sorted((out / "cells").glob("*.json"))}
    assert set(after) == set(before)
    assert [p for p in after if after[p] != before[p]] == [victim]
    # no model was trained again: the checkpoints are untouched
    assert {p: p.stat().st_mtime_ns for p in (out / "runs").rglob("*.pt")} == checkpoints
    for r_again, r in zip(again.results, result.results, strict=True):  # seeded forests
        np.testing.assert_array_equal(r_again.values(), r.values())
        assert [run.source for run in r_again.runs] == [run.source for run in r.runs]


def test_the_command_line_runs_the_study(mini, tmp_path, monkeypatch, capsys):
    from sparsity_widgets.cli import main

    study, _, _ = mini
    small = replace(study, variants=study.variants[:1])
    monkeypatch.setattr(vgg_depth, "define", lambda setting: replace(small, setting=setting))
    out = tmp_path / "cli"
    code = main(["study", "vgg-depth", "--setting", "quick", "--out", str(out)])
    assert code in (0, None)
    result = NetworkStudyResult.from_json(out / "vgg-depth.json")
    assert [r.label for r in result.results] == ["VGG-13"]
    assert result.results[0].settings["n_trees"] == 3  # the CLI's default probe, not TINY_PROBE


def test_the_full_setting_reads_cifar10_files(tmp_path):
    make_cifar_set(tmp_path / "data", per_batch=21)  # 105 images: no small-sample warning
    study = tiny(define("full"))
    result = run_network_study(
        study,
        out_dir=tmp_path / "out",
        data_dir=tmp_path / "data",
        probe_settings=TINY_PROBE,
        progress=False,
    )
    assert result.setting == "full" and "CIFAR-10" in result.data
    for r in result.results:
        assert r.dataset == "cifar10" and np.isfinite(r.values()).all()
        assert r.settings["model_options"] == {"width": 0.0625}
    # the models saw the 105 training images of the tiny files, 3 x 32 x 32
    run_dir = next((tmp_path / "out" / "runs").iterdir())
    config = json.loads((run_dir / "config.json").read_text())
    assert config["dataset"] == "cifar10" and config["dataset_options"] == {}


# ------------------------------------------------------------- the study's table and figure


def test_depth_table_and_gap_from_the_miniature_run(mini):
    _, _, result = mini
    text = depth_table(result)
    assert text.startswith("vgg-depth, quick setting: scikit-learn digits")
    rows = [line for line in text.splitlines() if line.startswith("| VGG")]
    assert [row.split(" | ")[0] for row in rows] == [
        "| VGG-13",
        "| VGG-16",
        "| VGG-19",
        f"| {HALF_LABEL}",
    ]
    for r, row in zip(result.results, rows, strict=True):
        first = r.mean()[0]
        assert f"| {first:.3f} ± 0.000 |" in row
    gap = half_epoch_gap(result)
    assert gap.shape == (1, 16)
    np.testing.assert_allclose(
        gap, result.result("VGG-19").values() - result.result(HALF_LABEL).values()
    )
    with pytest.raises(ValueError, match="result must be the NetworkStudyResult of vgg-depth"):
        depth_table(replace(result, study="good-bad"))


def test_depth_claims_from_the_miniature_run(mini):
    _, _, result = mini
    claims = depth_claims(result)
    for r in result.results:
        values = r.values()[0]
        assert claims["last"][r.label] == (pytest.approx(values[-1]), 0.0)
        assert claims["peak"][r.label] == (pytest.approx(values.max()), 0.0)
        names = [n.split(".")[-1] for n in r.layer_names]
        # pool3, pool4 and pool5 follow a probed convolution; pool2 (the first layer) does not
        pools = [i for i, n in enumerate(names) if n in ("pool3", "pool4", "pool5")]
        assert claims["pool_dips"][r.label] == (sum(values[i] < values[i - 1] for i in pools), 3)
    gap = result.result("VGG-19").values()[0] - result.result(HALF_LABEL).values()[0]
    # VGG-19's layers: pool2, conv3_1..4, pool3 (stages 2-3), ..., conv5_1..4, pool5 (stage 5)
    assert claims["half_gap_early"] == pytest.approx(gap[:6].mean())
    assert claims["half_gap_late"] == pytest.approx(gap[-5:].mean())
    assert claims["half_gap_late_positive"] == (int((gap[-5:] > 0).sum()), 5)


def test_plot_fig5_draws_a_curve_and_band_per_variant(mini):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, _, result = mini
    ax = plot_fig5(result)
    labels = ax.get_legend_handles_labels()[1]
    assert labels == list(N_LAYERS)
    assert len(ax.collections) == 4  # one band per variant
    assert "quick setting" in ax.get_title() and "digits" in ax.get_title()
    x = layer_positions(result.result("VGG-13"))
    assert list(x) == list(range(6, 16))
    plt.close(ax.figure)


def test_write_outputs_writes_table_and_figure(mini, tmp_path):
    _, out, _ = mini
    target = tmp_path / "copy"
    target.mkdir()
    files = write_outputs(NetworkStudyResult.from_json(out / "vgg-depth.json"), target)
    assert [f.name for f in files] == ["vgg-depth-table.md", "vgg-depth-fig5.png"]
    assert (target / "vgg-depth-fig5.png").read_bytes()[:4] == b"\x89PNG"
    assert "controlled score" not in (target / "vgg-depth-table.md").read_text()


# ---------------------------------------------------------- the chapter against the saved run


@pytest.fixture(scope="module")
def saved() -> NetworkStudyResult:
    path = SAVED / "vgg-depth.json"
    if not path.exists():
        pytest.skip("book/results/vgg-depth-quick/vgg-depth.json is not there yet")
    return NetworkStudyResult.from_json(path)


def test_the_saved_run_is_the_quick_setting_with_the_control(saved):
    assert saved.setting == "quick" and saved.data == define("quick").data
    assert [r.label for r in saved.results] == list(N_LAYERS)
    for r in saved.results:
        assert [run.seed for run in r.runs] == [0, 1, 2]
        assert r.settings["baseline"] == "rotation-permuted"
        assert r.settings["baseline_width"] == 2048 and r.settings["baseline_repeats"] == 2
        assert len(r.layer_names) == N_LAYERS[r.label]
    assert sorted(os.listdir(SAVED)) == [
        "vgg-depth-fig5.png",
        "vgg-depth-table.md",
        "vgg-depth.json",
        "vgg-depth.md",
        "vgg-depth.png",
    ]


@pytest.fixture(scope="module")
def claims(saved):
    return depth_claims(saved), depth_claims(saved, "baseline.score")


def test_chapter_numbers_of_the_raw_curves(saved, claims):
    raw, _ = claims
    text = CHAPTER.read_text(encoding="utf-8")
    first = [r.mean()[0] for r in saved.results]
    assert {round(float(v), 3) for v in first} == {0.205, 0.206}
    for label in ("VGG-13", "VGG-16", "VGG-19"):
        assert raw["peak"][label] == (pytest.approx(0.3026, abs=5e-5), 0.0)  # every seed
        train = saved.result(label).accuracy("train")[0]
        assert 0.99 <= train <= 1.0
    assert [round(raw["last"][k][0], 3) for k in ("VGG-13", "VGG-16", "VGG-19")] == [
        0.296,
        0.296,
        0.300,
    ]
    assert "From 0.205-0.206 at\n  `pool2`" in text
    assert "`pool5` 0.296, 0.296, 0.300" in text and "peak 0.303 in every seed" in text


def test_chapter_numbers_of_the_accuracy(saved, claims):
    raw, _ = claims
    acc = {k: v for k, v in raw["accuracy"].items()}
    assert [round(acc[k][0], 3) for k in N_LAYERS] == [0.996, 0.979, 0.976, 0.934]
    assert [round(acc[k][1], 3) for k in N_LAYERS] == [0.003, 0.008, 0.003, 0.048]
    assert min(run.test_accuracy for run in saved.result(HALF_LABEL).runs) == pytest.approx(
        0.869, abs=5e-4
    )
    text = CHAPTER.read_text(encoding="utf-8")
    assert "0.996 (VGG-13), 0.979 (VGG-16), 0.976 (VGG-19), 0.934" in text


def test_chapter_numbers_of_the_controlled_score(saved, claims):
    _, ctl = claims
    for r in saved.results:
        mean = r.mean("baseline.score")
        names = [n.split(".")[-1] for n in r.layer_names]
        assert mean[0] < 0 and mean[1] < 0  # pool2 and conv3_1 below the null
        assert names[int(np.argmax(mean))].startswith("conv5")
        assert 0.075 <= round(float(mean.max()), 3) <= 0.093
    peaks = [ctl["peak"][k] for k in ("VGG-13", "VGG-16", "VGG-19")]
    assert [f"{m:.3f} ± {s:.3f}" for m, s in peaks] == [
        "0.075 ± 0.001",
        "0.095 ± 0.012",
        "0.097 ± 0.009",
    ]
    assert round(peaks[1][0] - peaks[0][0], 3) == 0.020  # claim (i): above every seed spread
    assert peaks[1][0] - peaks[0][0] > max(s for _, s in peaks)
    assert round(peaks[2][0] - peaks[1][0], 3) == 0.002  # claim (ii): below either spread
    assert peaks[2][0] - peaks[1][0] < min(peaks[1][1], peaks[2][1])
    assert [round(ctl["last"][k][0], 3) for k in ("VGG-13", "VGG-16", "VGG-19")] == [
        0.036,
        0.041,
        0.065,
    ]


def test_chapter_numbers_of_the_half_epoch_gap(saved, claims):
    raw, ctl = claims
    gap = half_epoch_gap(saved)
    stages = np.array([int(n.split(".")[-1][4]) for n in saved.result("VGG-19").layer_names])
    assert round(raw["half_gap_early"], 3) == 0.004 and round(raw["half_gap_late"], 3) == 0.006
    assert round(float(gap[:, stages == 4].mean()), 3) == 0.014
    assert ((gap > 0).sum(), (gap < 0).sum(), (gap >= 0).sum(), gap.size) == (33, 4, 44, 48)
    assert round(ctl["half_gap_early"], 3) == 0.002 and round(ctl["half_gap_late"], 4) == -0.0005
    assert np.abs(half_epoch_gap(saved, "baseline.score")).max() <= 0.05
    # the exercise ex-ch12-half-epochs: stage 5, seed by seed
    late = gap[:, -5:]
    assert raw["half_gap_late_positive"] == (7, 15) and (late == 0).sum() == 8
    assert (late[2] > 0).all() and list(late[0] > 0) == [False] * 4 + [True]
    assert list(late[1] > 0) == [True] + [False] * 4


def test_chapter_numbers_of_the_max_pool_dips(saved, claims):
    raw, _ = claims
    assert sum(d for d, _ in raw["pool_dips"].values()) == 11
    assert sum(n for _, n in raw["pool_dips"].values()) == 12
    depths = []
    seed_dips = 0
    for r in saved.results:
        names = [n.split(".")[-1] for n in r.layer_names]
        idx = [names.index(p) for p in ("pool3", "pool4", "pool5")]
        mean, values = r.mean(), r.values()
        depths += [mean[i - 1] - mean[i] for i in idx if mean[i] < mean[i - 1]]
        if r.label != HALF_LABEL:
            seed_dips += sum(int((values[:, i] < values[:, i - 1]).sum()) for i in idx)
        c = r.mean("baseline.score")
        assert 0.022 <= round(c[idx[2] - 1] - c[idx[2]], 3) <= 0.045  # pool5 dips everywhere
    assert round(min(depths), 3) == 0.002 and round(max(depths), 3) == 0.006
    assert seed_dips == 15
    controlled_early = sum(
        int(r.mean("baseline.score")[i] < r.mean("baseline.score")[i - 1])
        for r in saved.results
        for i in [[n.split(".")[-1] for n in r.layer_names].index(p) for p in ("pool3", "pool4")]
    )
    assert controlled_early == 3


def test_chapter_states_the_run_and_the_verdicts():
    text = CHAPTER.read_text(encoding="utf-8")
    command = (
        "OMP_NUM_THREADS=1 nice sparsity-widgets study vgg-depth --setting quick \\\n"
        "  --baseline rotation-permuted --baseline-repeats 2 --baseline-width 2048 "
        "--out /tmp/vgg-depth-out"
    )
    assert command in text
    # /usr/bin/time -v of that command: user 723.01 s + sys 22.31 s, elapsed 24:34
    assert "24.6 minutes of wall time and 12.4 minutes (745 s) of CPU time" in text
    assert text.count("**reproduced**") == 1 and text.count("**partly**") == 3
    assert "--setting full --data-dir DIR --device auto" in text
