"""Training with checkpoints: learning, determinism, exact resumption, atomic files, errors."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import sparsity_widgets.datasets as datasets_module  # noqa: E402
from sparsity_widgets.datasets import DatasetSplits, LabeledArrays  # noqa: E402
from sparsity_widgets.training import (  # noqa: E402
    TrainConfig,
    TrainingHistory,
    list_checkpoints,
    load_checkpoint,
    train,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


RECORDS = ("epochs", "train_loss", "train_accuracy", "test_accuracy")  # `seconds` is wall time


def _xor_split(n, seed, name):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return LabeledArrays(X, y, ("negative", "positive"), name)


@pytest.fixture(scope="module")
def points():
    """An easy 2-class problem in the plane (the sign of x1 * x2)."""
    return DatasetSplits("xor", _xor_split(300, 0, "xor/train"), _xor_split(200, 1, "xor/test"))


def mlp_config(**changes):
    options = dict(
        model="mlp",
        model_options={"hidden": [16, 16]},
        dataset="xor",
        dataset_options={},
        epochs=3,
        batch_size=32,
        lr=1e-2,
        seed=0,
        device="cpu",
    )
    options.update(changes)
    return TrainConfig(**options)


def cnn_config(**changes):
    # BatchNorm (running statistics) and Adam (moment estimates) make resumption non-trivial
    options = dict(
        model="mnist1d-cnn",
        model_options={"channels": 4, "hidden": 8, "strides": (1, 1, 1, 2, 1, 1, 1)},
        dataset="bumps",
        dataset_options={},
        epochs=4,
        batch_size=16,
        lr=3e-3,
        seed=3,
        device="cpu",
    )
    options.update(changes)
    return TrainConfig(**options)


def assert_same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


def assert_same_records(h1, h2):
    for name in RECORDS:
        assert getattr(h1, name) == getattr(h2, name), name


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# --- learning ---------------------------------------------------------------------------------


def test_training_learns_an_easy_problem(points, tmp_path):
    run = train(mlp_config(epochs=12), tmp_path, data=points, progress=False)
    h = run.history
    assert h.epochs == list(range(1, 13))
    assert h.train_loss[-1] < 0.6 * h.train_loss[0]
    assert h.test_accuracy[-1] > 0.85  # chance is 0.5
    assert not run.model.training
    assert next(run.model.parameters()).device.type == "cpu"
    assert all(s > 0 for s in h.seconds)


def test_progress_bar_path_runs(points, tmp_path, capsys):
    run = train(mlp_config(epochs=1), tmp_path, data=points, progress=True)
    assert len(run.history) == 1
    assert "epoch" in capsys.readouterr().err


def test_caller_random_state_is_left_alone(points, tmp_path):
    torch.manual_seed(1234)
    before = torch.get_rng_state()
    train(mlp_config(epochs=1), tmp_path, data=points, progress=False)
    assert torch.equal(torch.get_rng_state(), before)


# --- determinism and resumption -----------------------------------------------------------------


def test_same_seed_gives_identical_runs(points, tmp_path):
    a = train(mlp_config(), tmp_path / "a", data=points, progress=False)
    b = train(mlp_config(), tmp_path / "b", data=points, progress=False)
    assert_same_weights(a.model, b.model)
    assert_same_records(a.history, b.history)
    c = train(mlp_config(seed=1), tmp_path / "c", data=points, progress=False)
    assert not torch.equal(a.model.hidden[0].linear.weight, c.model.hidden[0].linear.weight)


@pytest.fixture(scope="module")
def uninterrupted(signals, tmp_path_factory):
    return train(cnn_config(), tmp_path_factory.mktemp("full"), data=signals, progress=False)


def test_resumed_run_equals_the_uninterrupted_run_bit_for_bit(signals, uninterrupted, tmp_path):
    stopped = train(cnn_config(), tmp_path, data=signals, progress=False, stop_after=2)
    assert stopped.history.epochs == [1, 2]
    assert [p.name for p in stopped.checkpoints] == ["epoch_0001.pt", "epoch_0002.pt"]
    assert_same_records(stopped.history, _truncated(uninterrupted.history, 2))

    resumed = train(cnn_config(), tmp_path, data=signals, progress=False)
    assert resumed.history.epochs == [1, 2, 3, 4]  # nothing lost, nothing repeated
    assert_same_records(resumed.history, uninterrupted.history)
    assert_same_weights(resumed.model, uninterrupted.model)
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved["epochs"] == [1, 2, 3, 4]
    assert saved["train_loss"] == uninterrupted.history.train_loss
    # a finished run is returned as it is, without training again
    mtimes = [p.stat().st_mtime_ns for p in list_checkpoints(tmp_path)]
    again = train(cnn_config(), tmp_path, data=signals, progress=False)
    assert [p.stat().st_mtime_ns for p in list_checkpoints(tmp_path)] == mtimes
    assert_same_weights(again.model, uninterrupted.model)
    assert_same_records(again.history, uninterrupted.history)


def test_raising_epochs_extends_a_finished_run_exactly(signals, uninterrupted, tmp_path):
    short = train(cnn_config(epochs=3), tmp_path, data=signals, progress=False)
    assert short.history.epochs == [1, 2, 3]
    longer = train(cnn_config(epochs=4), tmp_path, data=signals, progress=False)
    assert_same_weights(longer.model, uninterrupted.model)
    assert_same_records(longer.history, uninterrupted.history)
    assert json.loads((tmp_path / "config.json").read_text())["epochs"] == 4
    with pytest.raises(ValueError, match=r"already holds 4 epochs, more than epochs=2"):
        train(cnn_config(epochs=2), tmp_path, data=signals, progress=False)


def _truncated(history, k):
    return TrainingHistory(**{name: getattr(history, name)[:k] for name in history.to_dict()})


def test_checkpoint_every_saves_every_kth_and_the_last_epoch(points, tmp_path):
    run = train(
        mlp_config(epochs=4, checkpoint_every=2), tmp_path / "a", data=points, progress=False
    )
    assert [p.name for p in run.checkpoints] == ["epoch_0002.pt", "epoch_0004.pt"]
    run = train(
        mlp_config(epochs=5, checkpoint_every=2), tmp_path / "b", data=points, progress=False
    )
    assert [p.name for p in run.checkpoints] == ["epoch_0002.pt", "epoch_0004.pt", "epoch_0005.pt"]
    # an orderly stop always leaves a checkpoint of the last finished epoch
    run = train(
        mlp_config(epochs=5, checkpoint_every=2),
        tmp_path / "c",
        data=points,
        progress=False,
        stop_after=3,
    )
    assert [p.name for p in run.checkpoints] == ["epoch_0002.pt", "epoch_0003.pt"]


def test_load_checkpoint_rebuilds_the_trained_model(signals, uninterrupted):
    last = uninterrupted.checkpoints[-1]
    model, config, info = load_checkpoint(last)
    assert config == uninterrupted.config
    assert info["epoch"] == 4
    assert info["in_shape"] == (1, 40)
    assert info["n_classes"] == 3
    assert info["class_names"] == ("a", "b", "c")
    assert_same_records(info["history"], uninterrupted.history)
    assert not model.training
    x = torch.from_numpy(signals.test.X)
    with torch.no_grad():
        assert torch.equal(model(x), uninterrupted.model(x))
    first, _, info1 = load_checkpoint(uninterrupted.checkpoints[0])
    assert info1["epoch"] == 1 and info1["history"].epochs == [1]
    with torch.no_grad():
        assert not torch.equal(first(x), model(x))


def test_load_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="list_checkpoints"):
        load_checkpoint(tmp_path / "epoch_0001.pt")
    junk = tmp_path / "junk.pt"
    torch.save({"hello": 1}, junk)
    with pytest.raises(ValueError, match="not a sparsity_widgets training checkpoint"):
        load_checkpoint(junk)
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(broken)


def test_list_checkpoints_sorts_by_epoch_and_ignores_other_files(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for name in ["epoch_0010.pt", "epoch_0002.pt", ".epoch_0003.pt.abc.pt", "notes.txt"]:
        (folder / name).write_bytes(b"")
    assert [p.name for p in list_checkpoints(tmp_path)] == ["epoch_0002.pt", "epoch_0010.pt"]
    assert list_checkpoints(tmp_path / "missing") == []


# --- the run folder ----------------------------------------------------------------------------


def test_run_folder_layout_and_no_temporary_files(points, tmp_path):
    train(mlp_config(epochs=2), tmp_path, data=points, progress=False)
    # the lock file stays after the run (an flock is released by the OS, the name is kept so
    # that two runs can never lock two different files of one name); see _run_lock.py
    assert files_under(tmp_path) == [
        ".sparsity-widgets.lock",
        "checkpoints/epoch_0001.pt",
        "checkpoints/epoch_0002.pt",
        "config.json",
        "history.json",
    ]
    assert TrainConfig.from_dict(json.loads((tmp_path / "config.json").read_text())) == mlp_config(
        epochs=2
    )
    history = TrainingHistory.from_dict(json.loads((tmp_path / "history.json").read_text()))
    assert history.epochs == [1, 2]


def test_a_failed_checkpoint_write_leaves_the_old_files_and_no_temporary(
    points, tmp_path, monkeypatch
):
    train(mlp_config(epochs=1), tmp_path, data=points, progress=False)
    real_save = torch.save

    def failing_save(obj, path, *args, **kwargs):
        real_save(obj, path, *args, **kwargs)  # the temporary file is complete ...
        raise OSError("disk full")  # ... but the move never happens

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        train(mlp_config(epochs=2), tmp_path, data=points, progress=False)
    monkeypatch.undo()
    assert files_under(tmp_path) == [
        ".sparsity-widgets.lock",
        "checkpoints/epoch_0001.pt",
        "config.json",
        "history.json",
    ]
    _, _, info = load_checkpoint(tmp_path / "checkpoints" / "epoch_0001.pt")
    assert info["epoch"] == 1
    # and the run resumes from the intact checkpoint
    run = train(mlp_config(epochs=2), tmp_path, data=points, progress=False)
    reference = train(mlp_config(epochs=2), tmp_path / "ref", data=points, progress=False)
    assert_same_weights(run.model, reference.model)


def test_different_config_in_out_dir_is_refused(points, tmp_path):
    train(mlp_config(epochs=1), tmp_path, data=points, progress=False)
    with pytest.raises(
        ValueError, match=r"lr: saved 0.01, now 0.1.*another out_dir.*resume=False \(--no-resume"
    ):
        train(mlp_config(epochs=1, lr=0.1), tmp_path, data=points, progress=False)
    with pytest.raises(ValueError, match=r"model_options: saved \{'hidden': \[16, 16\]\}"):
        train(
            mlp_config(epochs=1, model_options={"hidden": [8]}),
            tmp_path,
            data=points,
            progress=False,
        )
    # resume=False starts over in the same folder
    run = train(mlp_config(epochs=2, lr=0.1), tmp_path, data=points, progress=False, resume=False)
    assert run.history.epochs == [1, 2]
    assert json.loads((tmp_path / "config.json").read_text())["lr"] == 0.1


def test_checkpoints_without_a_config_are_refused(points, tmp_path):
    train(mlp_config(epochs=1), tmp_path, data=points, progress=False)
    (tmp_path / "config.json").unlink()
    with pytest.raises(ValueError, match=r"holds checkpoints but no config.json.*resume=False"):
        train(mlp_config(epochs=1), tmp_path, data=points, progress=False)
    run = train(mlp_config(epochs=1), tmp_path, data=points, progress=False, resume=False)
    assert [p.name for p in run.checkpoints] == ["epoch_0001.pt"]


def test_resuming_with_other_data_is_refused(points, signals, tmp_path):
    train(mlp_config(epochs=1, model_options={}), tmp_path, data=points, progress=False)
    other = DatasetSplits(
        "xor3",
        LabeledArrays(points.train.X, points.train.y, ("a", "b", "c"), "t"),
        LabeledArrays(points.test.X, points.test.y, ("a", "b", "c"), "t"),
    )
    with pytest.raises(ValueError, match=r"classes \('negative', 'positive'\).*same data"):
        train(mlp_config(epochs=2, model_options={}), tmp_path, data=other, progress=False)


# --- configuration and bad input ------------------------------------------------------------------


def test_config_round_trips_through_json():
    config = cnn_config(optimizer="sgd", weight_decay=1e-4, checkpoint_every=3)
    data = json.loads(json.dumps(config.to_dict()))
    assert data["model_options"]["strides"] == [1, 1, 1, 2, 1, 1, 1]
    assert TrainConfig.from_dict(data) == TrainConfig.from_dict(config.to_dict())
    assert TrainConfig.from_dict(data).differences(config) == {}
    with pytest.raises(ValueError, match=r"unknown TrainConfig field\(s\) \['epoch'\]"):
        TrainConfig.from_dict({**data, "epoch": 3})


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"epochs": 0}, r"epochs must be an integer >= 1; got 0"),
        ({"batch_size": 2.5}, r"batch_size must be an integer"),
        ({"lr": 0.0}, r"lr must lie in \(0, inf\]"),
        ({"optimizer": "rmsprop"}, r"optimizer must be one of 'adam', 'sgd'; got 'rmsprop'"),
        ({"device": "gpu"}, r"device must be one of 'auto', 'cpu', 'cuda'; got 'gpu'"),
        ({"model": "vgg11"}, r"model must be one of .*got 'vgg11'"),
        ({"model_options": [1]}, r"model_options must be a dict"),
        ({"dataset_options": {"root": object()}}, r"dataset_options must hold JSON values"),
        ({"weight_decay": -1.0}, r"weight_decay must lie in \[0, inf\]"),
        ({"checkpoint_every": 0}, r"checkpoint_every must be an integer >= 1"),
    ],
)
def test_bad_config_values(changes, match):
    with pytest.raises(ValueError, match=match):
        mlp_config(**changes)


def test_cuda_requested_without_a_gpu(points, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"device='cuda' was requested but .*device='auto'"):
        train(mlp_config(device="cuda"), tmp_path, data=points, progress=False)
    assert not tmp_path.joinpath("config.json").exists()


def test_labels_outside_the_classes_are_refused(tmp_path):
    X = np.zeros((10, 2), np.float32)
    bad = types.SimpleNamespace(X=X, y=np.array([0, 1] * 4 + [2, 5]), class_names=("a", "b"))
    good = types.SimpleNamespace(X=X, y=np.array([0, 1] * 5), class_names=("a", "b"))
    data = types.SimpleNamespace(train=bad, test=good)
    with pytest.raises(ValueError, match=r"data.train.y holds labels from 0 to 5.*n_classes=2"):
        train(mlp_config(), tmp_path, data=data, progress=False)


def test_unknown_model_option_fails_before_anything_is_written(points, tmp_path):
    with pytest.raises(ValueError, match=r"unknown option 'depth' for model 'mlp'"):
        train(mlp_config(model_options={"depth": 3}), tmp_path / "run", data=points, progress=False)
    assert not (tmp_path / "run" / "config.json").exists()
    # starting over with a broken config does not delete the earlier run
    train(mlp_config(epochs=1), tmp_path / "old", data=points, progress=False)
    with pytest.raises(ValueError, match="unknown option 'depth'"):
        train(
            mlp_config(model_options={"depth": 3}),
            tmp_path / "old",
            data=points,
            progress=False,
            resume=False,
        )
    assert [p.name for p in list_checkpoints(tmp_path / "old")] == ["epoch_0001.pt"]


def test_bad_stop_after(points, tmp_path):
    with pytest.raises(ValueError, match="stop_after must be an integer >= 1"):
        train(mlp_config(), tmp_path, data=points, progress=False, stop_after=0)


def test_data_are_loaded_from_the_config_when_not_given(tmp_path, monkeypatch):
    calls = []
    real = datasets_module.load_dataset

    def spy(name, **options):
        calls.append((name, options))
        return real(name, **options)

    monkeypatch.setattr(datasets_module, "load_dataset", spy)
    options = {"n_train": 200, "n_test": 100, "random_state": 1}
    config = mlp_config(epochs=1, dataset="circles", dataset_options=options)
    run = train(config, tmp_path, progress=False)
    assert calls == [("circles", options)]
    assert run.history.epochs == [1]
    _, _, info = load_checkpoint(run.checkpoints[-1])
    assert info["in_shape"] == (2,)
    assert info["class_names"] == real("circles", **options).train.class_names


def test_unknown_dataset_option_is_reported_by_the_loader(tmp_path):
    config = mlp_config(epochs=1, dataset="circles", dataset_options={"size": 10})
    with pytest.raises(TypeError, match="size"):
        train(config, tmp_path, progress=False)
