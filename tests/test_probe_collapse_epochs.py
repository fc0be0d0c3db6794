"""Neural collapse over the checkpoints of a run: the interpolation threshold and the claims."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sparsity_widgets.cli import main  # noqa: E402
from sparsity_widgets.datasets import DatasetSplits, LabeledArrays  # noqa: E402
from sparsity_widgets.probe import (  # noqa: E402
    CollapseOverTraining,
    interpolation_epoch,
    probe_collapse,
    probe_collapse_checkpoints,
)
from sparsity_widgets.training import TrainConfig, TrainingHistory, load_checkpoint, train  # noqa: E402

K = 3


def blobs(n: int, seed: int) -> LabeledArrays:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % K
    X = 0.3 * rng.standard_normal((n, 6)) + 3.0 * np.eye(K, 6)[y]
    return LabeledArrays(X.astype(np.float32), y.astype(np.int64), ("a", "b", "c"), "blobs")


def history(accuracies: list[float]) -> TrainingHistory:
    h = TrainingHistory()
    for i, a in enumerate(accuracies, start=1):
        h.append(i, 1.0, a, a, 0.1)
    return h


# ------------------------------------------------------------------------- the IT rule
@pytest.mark.parametrize(
    "accuracies, want",
    [
        ([0.5, 1.0, 0.99, 1.0], (2, True)),  # first epoch at 100 %
        ([1.0], (1, True)),
        ([0.5, 0.9, 0.8, 0.9], (2, False)),  # never 100 %: the maximum, first on ties
        ([0.7, 0.6], (1, False)),
    ],
)
def test_interpolation_epoch_rule(accuracies, want):
    assert interpolation_epoch(history(accuracies)) == want


def test_interpolation_epoch_bad_history():
    with pytest.raises(ValueError, match="at least one epoch"):
        interpolation_epoch(TrainingHistory())
    with pytest.raises(ValueError, match=r"numbers in \[0, 1\]; got 1.5 at epoch 2"):
        interpolation_epoch(history([0.5, 1.5]))


# ------------------------------------------------------------------------- tiny runs
def config(**changes) -> TrainConfig:
    options = dict(
        model="mlp",
        model_options={"hidden": [16, 16]},
        dataset="blobs",
        epochs=4,
        batch_size=16,
        lr=1e-2,
        seed=0,
        device="cpu",
    )
    return TrainConfig(**(options | changes))


@pytest.fixture(scope="module")
def splits():
    return DatasetSplits(name="blobs", train=blobs(90, 1), test=blobs(45, 2))


@pytest.fixture(scope="module")
def run(tmp_path_factory, splits):
    """Separable blobs: 100 % train accuracy within 4 epochs."""
    return train(config(), tmp_path_factory.mktemp("run"), data=splits, progress=False)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """Digits for 3 epochs with a small learning rate: never 100 % train accuracy."""
    cfg = TrainConfig(
        model="mlp",
        model_options={"hidden": [16, 16]},
        dataset="digits",
        epochs=3,
        batch_size=64,
        lr=1e-3,
        seed=0,
        device="cpu",
    )
    return train(cfg, tmp_path_factory.mktemp("digits"), progress=False)


def test_per_epoch_results_equal_probe_collapse(run, splits):
    assert len(run.checkpoints) == 4
    got = probe_collapse_checkpoints(run.checkpoints[::-1], data=splits, progress=False)
    assert got.epochs == (1, 2, 3, 4) and got.end_epoch == 4
    for path, probe in zip(run.checkpoints, got.probes, strict=True):
        model, _, info = load_checkpoint(path)
        want = probe_collapse(
            model,
            splits.train,
            test_data=splits.test,
            progress=False,
            source=str(path),
            epoch=info["epoch"],
        )
        assert probe == want
    it, reached = interpolation_epoch(run.history)
    assert reached and got.interpolation_reached
    assert got.interpolation_epoch == it == got.it_checkpoint_epoch
    assert got.history_train_accuracy == tuple(run.history.train_accuracy)


def test_claims_are_the_compared_numbers(run, splits):
    got = probe_collapse_checkpoints(run.checkpoints, data=splits, progress=False)
    claims = got.claims()
    it_probe, end_probe = got.at_epoch(got.it_checkpoint_epoch), got.probes[-1]
    assert [row["layer"] for row in claims["layers"]] == list(got.layers)
    for row in claims["layers"]:
        name = row["layer"]
        assert row["lambda_train_it"] == it_probe[name].ncc_mismatch_train
        assert row["lambda_test_end"] == end_probe[name].ncc_mismatch_test
        assert row["nc1_end"] == end_probe[name].nc1
    for split in ("train", "test"):
        pairs = claims["layer_ordering"][split]["items"]
        assert len(pairs) == len(got.layers) - 1
        for pair in pairs:
            assert pair["difference"] == pair["lambda_upper"] - pair["lambda_lower"]
            assert pair["holds"] == (pair["difference"] >= 0)
        assert claims["layer_ordering"][split]["holds"] == all(p["holds"] for p in pairs)
        per_layer = claims["ncc_improvement"][split]["items"]
        assert [item["layer"] for item in per_layer] == list(got.layers)
        for item in per_layer:
            assert item["holds"] == (item["lambda_it"] >= item["lambda_end"])
    json.dumps(claims)
    table = got.format_table()
    assert "IT = epoch" in table and "layer ordering" in table and "NCC improvement" in table


def test_it_falls_on_the_next_checkpoint(run, splits):
    """Without the IT's checkpoint, metrics 'at the IT' come from the next one."""
    it = interpolation_epoch(run.history)[0]
    kept = [p for p in run.checkpoints if load_checkpoint(p)[2]["epoch"] != it]
    if it == 4:  # the last checkpoint is always kept; nothing to skip
        pytest.skip("IT at the last epoch")
    got = probe_collapse_checkpoints(kept, data=splits.train, progress=False)
    assert got.interpolation_epoch == it
    assert got.it_checkpoint_epoch == min(e for e in got.epochs if e > it)
    assert got.probes[0].test_accuracy is None  # a LabeledArrays: train only
    assert got.claims()["layer_ordering"]["test"]["holds"] is None


def test_max_rule_on_a_run_that_never_interpolates(digits_run):
    got = probe_collapse_checkpoints(digits_run.checkpoints, n_samples=300, progress=False)
    accuracy = digits_run.history.train_accuracy
    assert max(accuracy) < 1.0 and not got.interpolation_reached
    assert got.interpolation_epoch == digits_run.history.epochs[int(np.argmax(accuracy))]
    assert got.probes[0]["input"].n_samples == 300


def test_mixed_runs_and_bad_input_are_refused(run, digits_run, splits, tmp_path):
    other = train(config(seed=1), tmp_path / "other", data=splits, progress=False)
    pair = [run.checkpoints[0], other.checkpoints[1]]
    with pytest.raises(ValueError, match=r"one training run.*epoch_0001.pt.*epoch_0002.pt.*seed"):
        probe_collapse_checkpoints(pair, data=splits, progress=False)
    with pytest.raises(ValueError, match=r"one training run.*dataset"):
        probe_collapse_checkpoints([run.checkpoints[0], digits_run.checkpoints[0]])
    with pytest.raises(ValueError, match="each epoch once"):
        probe_collapse_checkpoints([run.checkpoints[0]] * 2, data=splits, progress=False)
    with pytest.raises(TypeError, match="not one path"):
        probe_collapse_checkpoints(run.checkpoints[0], data=splits)
    with pytest.raises(ValueError, match="at least one checkpoint"):
        probe_collapse_checkpoints([], data=splits)
    with pytest.raises(FileNotFoundError, match="no such file"):
        probe_collapse_checkpoints([tmp_path / "missing.pt"], data=splits)
    with pytest.raises(TypeError, match="DatasetSplits"):
        probe_collapse_checkpoints(run.checkpoints, data=np.zeros(3), progress=False)


def test_json_round_trip_and_damaged_data(run, splits, tmp_path):
    got = probe_collapse_checkpoints(run.checkpoints[1:], data=splits, progress=False)
    data = json.loads(json.dumps(got.to_dict()))
    assert CollapseOverTraining.from_dict(data) == got
    with pytest.raises(ValueError, match="schema"):
        CollapseOverTraining.from_dict(data | {"schema": "other/1"})
    with pytest.raises(ValueError, match=r"at interpolation_epoch: expected \d+"):
        CollapseOverTraining.from_dict(data | {"interpolation_epoch": 99}, source="c.json")
    with pytest.raises(ValueError, match="history_train_accuracy: expected 4 item"):
        CollapseOverTraining.from_dict(data | {"history_train_accuracy": [1.0]})
    with pytest.raises(ValueError, match="strictly increasing epochs"):
        CollapseOverTraining.from_dict(data | {"probes": data["probes"][::-1]})
    with pytest.raises(ValueError, match="unknown key"):
        CollapseOverTraining.from_dict(data | {"extra": 1})


# ------------------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def digits_probe(digits_run):
    return probe_collapse_checkpoints(digits_run.checkpoints, progress=False)


def test_cli_run_json_equals_the_library(digits_run, digits_probe, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["collapse", "--run", str(digits_run.out_dir), "--json", "--out", str(out)]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(digits_probe.to_dict()))
    assert json.loads((out / "collapse.json").read_text()) == printed


def test_cli_two_checkpoints_json_and_table(digits_run, capsys):
    files = [str(p) for p in digits_run.checkpoints[1:]]
    assert main(["collapse", "--checkpoint", *files, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    want = probe_collapse_checkpoints(digits_run.checkpoints[1:], progress=False)
    assert printed == json.loads(json.dumps(want.to_dict()))
    assert main(["collapse", "--checkpoint", *files, "--layers", "hidden.0,hidden.1"]) == 0
    out = capsys.readouterr().out
    assert "over training" in out and "IT = epoch" in out and "NCC improvement" in out


def test_cli_errors_exit_2_with_one_line(digits_run, run, tmp_path, capsys):
    assert main(["collapse", "--run", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no checkpoints" in err
    mixed = [str(digits_run.checkpoints[0]), str(run.checkpoints[1])]
    assert main(["collapse", "--checkpoint", *mixed]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "one training run" in err
