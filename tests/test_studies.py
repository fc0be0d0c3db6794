"""MNIST-1D studies, the demo and the train/probe command line, on tiny settings."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("mnist1d")

from sparsity_widgets.probe import ProbeResult, ProbeSettings
from sparsity_widgets.studies import (
    SETTINGS,
    STUDIES,
    StudyResult,
    StudySetting,
    Variant,
    run_variants,
    study_variants,
)

TINY = StudySetting(channels=2, hidden=4, epochs=2, epoch_checkpoints=(1, 2), seeds=(0, 1))
# 2 channels keep every conv layer at most 80 wide: the forests fit in a fraction of a second
FAST_PROBE = ProbeSettings(n_trees=1, max_depth=6)


def test_each_study_has_the_papers_variants():
    quick = SETTINGS["quick"]
    labels = {name: [v.label for v in study_variants(name, quick)] for name in STUDIES}
    assert labels["activations"] == ["relu", "leaky-relu", "gelu", "sigmoid", "step"]
    assert labels["batch-size"] == ["batch 64", "batch 128", "batch 512"]
    assert labels["stride"] == ["stride 2 at layer 4", "stride 5 at layer 4"]
    assert labels["batchnorm"] == [
        "BN on first 0",
        "BN on first 2",
        "BN on first 4",
        "BN on first 6",
        "BN on all 7",
    ]
    assert labels["epochs"] == [f"epoch {e}" for e in quick.epoch_checkpoints]
    assert study_variants("stride", quick)[1].model_options["strides"][3] == 5
    with pytest.raises(ValueError, match="study must be one of"):
        study_variants("dropout", quick)


def test_run_variants_trains_probes_caches_and_writes_the_tables(tmp_path, monkeypatch):
    variants = [Variant("relu", {"activation": "relu"}), Variant("epoch 1", epoch=1)]
    result = run_variants(
        "tiny", variants, TINY, out_dir=tmp_path, probe_settings=FAST_PROBE, progress=False
    )
    assert [r.label for r in result.results] == ["relu", "epoch 1"]
    relu, early = result.results
    assert [run.seed for run in relu.runs] == [0, 1]
    assert relu.layer_names == ["input", *[f"blocks.{i}" for i in range(7)], "hidden"]
    assert relu.values().shape == (2, 9)
    assert np.isfinite(relu.values()).all()
    assert [run.epoch for run in early.runs] == [1, 1] and [r.epoch for r in relu.runs] == [2, 2]
    # the same trained model serves both variants: epoch 1 is a checkpoint of the relu run
    assert early.runs[0].source.replace("epoch_0001", "epoch_0002") == relu.runs[0].source
    for acc in (relu.accuracy(), early.accuracy()):
        assert acc is not None and 0.0 <= acc[0] <= 1.0
    for suffix in ("json", "md", "png"):
        assert (tmp_path / f"tiny.{suffix}").stat().st_size > 0
    table = (tmp_path / "tiny.md").read_text()
    assert table.splitlines()[0].startswith("| variant | test acc | input | blocks.0")
    assert len(table.splitlines()) == 2 + len(variants)
    again = StudyResult.from_dict(json.loads((tmp_path / "tiny.json").read_text()))
    assert again.results[0] == relu

    # a second run reuses every probe and trains nothing
    import sparsity_widgets.training as training

    def no_training(*args, **kwargs):
        raise AssertionError("a cached study must not train again")

    monkeypatch.setattr(training, "train", no_training)
    cached = run_variants(
        "tiny", variants, TINY, out_dir=tmp_path, probe_settings=FAST_PROBE, progress=False
    )
    assert cached.results == result.results


def test_demo_report_tells_relu_from_step(tmp_path):
    from sparsity_widgets.studies.demo import format_demo, run_demo

    result = run_demo(out_dir=tmp_path, epochs=1, progress=False)
    text = format_demo(result)
    assert [r.label for r in result.results] == ["relu", "step"]
    assert "test accuracy" in text and "ReLU scores above step on" in text
    assert (tmp_path / "demo.png").read_bytes()[:4] == b"\x89PNG"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sparsity_widgets.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_train_then_probe_a_checkpoint_from_the_command_line(tmp_path):
    run_dir = tmp_path / "run"
    proc = run_cli(
        "train",
        "--model",
        "mnist1d-cnn",
        "--option",
        "channels=2",
        "--option",
        "hidden=4",
        "--option",
        "activation=gelu",
        "--epochs",
        "2",
        "--n-train",
        "300",
        "--n-test",
        "100",
        "--out",
        str(run_dir),
    )
    assert proc.returncode == 0, proc.stderr
    assert "checkpoints in" in proc.stdout
    checkpoint = run_dir / "checkpoints" / "epoch_0002.pt"
    assert checkpoint.is_file()

    out = tmp_path / "probe"
    proc = run_cli(
        "probe",
        "--checkpoint",
        str(checkpoint),
        "--layers",
        "input,blocks.3,hidden",
        "--trees",
        "1",
        "--depth",
        "6",
        "--clustering",
        "--umap",
        "50",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    result = ProbeResult.from_json(out / "result.json")
    assert result.layer_names == ["input", "blocks.3", "hidden"]
    assert result.settings["n_samples"] == 300  # the checkpoint's own (subsampled) train set
    assert result.settings["model_options"]["activation"] == "gelu"
    layer = result.runs[0].layers[1]
    assert layer.clustering is not None and len(layer.umap["embedding"]) == 50
    assert result.runs[0].epoch == 2 and result.runs[0].test_accuracy is not None
    assert ProbeResult.from_dict(json.loads((out / "result.json").read_text())) == result
    for png in ("alpha-per-layer.png", "umap.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    assert "alpha* mean" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["probe", "--model", "mnist1d-cnn", "--checkpoint", "x.pt"], "either --checkpoint"),
        (["probe"], "either --checkpoint"),
        (["probe", "--checkpoint", "missing.pt"], "not found: missing.pt"),
        (["train", "--model", "mnist1d-cn", "--out", "o"], "Did you mean 'mnist1d-cnn'"),
        (["train", "--model", "mlp", "--dataset", "mnist-2d", "--out", "o"], "got 'mnist-2d'"),
        (["train", "--model", "mlp", "--dataset", "mnist", "--out", "o"], "root"),
        (["train", "--model", "mlp", "--option", "depth=3", "--out", "o"], "unknown option"),
        (["train", "--model", "mlp", "--epochs", "0", "--out", "o"], "epochs"),
        (["study", "collapse", "--baseline", "rotation"], "--baseline applies to the MNIST-1D"),
        (["study", "epochs", "--baseline-width", "64"], "--baseline-width needs --baseline"),
    ],
)
def test_command_line_errors_are_one_line(tmp_path, args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "sparsity_widgets.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_study_passes_the_controlled_score_to_every_probe(tmp_path, monkeypatch):
    import sparsity_widgets.studies.mnist1d as mnist1d
    from sparsity_widgets.cli import main

    seen = []

    def fake_run_study(name, **kwargs):
        seen.append((name, kwargs["probe_settings"]))
        raise SystemExit(0)  # stop before any training

    monkeypatch.setattr(mnist1d, "run_study", fake_run_study)
    args = ["study", "stride", "--out", str(tmp_path), "--baseline", "rotation-permuted"]
    with pytest.raises(SystemExit):
        main([*args, "--baseline-width", "640", "--baseline-repeats", "2"])
    name, settings = seen[0]
    assert name == "stride"
    assert (settings.baseline, settings.baseline_width, settings.baseline_repeats) == (
        "rotation-permuted",
        640,
        2,
    )
    with pytest.raises(SystemExit):
        main(["study", "stride", "--out", str(tmp_path)])
    assert seen[1][1].baseline is None


def test_probe_with_a_wrong_layer_name_lists_close_names(tmp_path):
    run_dir = tmp_path / "run"
    assert (
        run_cli(
            "train",
            "--model",
            "mlp",
            "--dataset",
            "circles",
            "--n-train",
            "200",
            "--n-test",
            "50",
            "--epochs",
            "1",
            "--out",
            str(run_dir),
        ).returncode
        == 0
    )
    proc = run_cli(
        "probe",
        "--checkpoint",
        str(run_dir / "checkpoints" / "epoch_0001.pt"),
        "--layers",
        "hiden.0",
        "--out",
        str(tmp_path / "p"),
    )
    assert proc.returncode == 2
    assert "is not a module" in proc.stderr and "Did you mean" in proc.stderr
