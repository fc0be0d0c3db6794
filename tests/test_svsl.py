"""SVSL in training: the loss against a hand computation, its effect, config, resume, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.nn import functional as F  # noqa: E402

import sparsity_widgets.training.loop as loop_module  # noqa: E402
from sparsity_widgets.cli import main  # noqa: E402
from sparsity_widgets.probe import extract_features  # noqa: E402
from sparsity_widgets.training import (  # noqa: E402
    RESUMABLE_FIELDS,
    SVSLConfig,
    TrainConfig,
    svsl_loss,
    train,
)
from sparsity_widgets.training.svsl import collect_outputs  # noqa: E402

RECORDS = ("epochs", "train_loss", "train_accuracy", "test_accuracy")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


SVSL = {"layers": ["hidden.0", "hidden.1"], "weights": [0.5, 2.0], "detach_means": False}


def mlp_config(**changes):
    options = dict(
        model="mlp",
        model_options={"hidden": [16, 16]},
        dataset="bumps",
        epochs=3,
        batch_size=16,
        lr=1e-2,
        seed=0,
        device="cpu",
    )
    return TrainConfig(**(options | changes))


def cnn_config(**changes):
    # BatchNorm and Adam make resumption non-trivial
    options = dict(
        model="mnist1d-cnn",
        model_options={"channels": 4, "hidden": 8, "strides": (1, 1, 1, 2, 1, 1, 1)},
        dataset="bumps",
        epochs=3,
        batch_size=16,
        lr=3e-3,
        seed=3,
        device="cpu",
        svsl={"layers": ["blocks.6", "hidden"], "weights": [0.1, 1.0], "detach_means": False},
    )
    return TrainConfig(**(options | changes))


def assert_same_runs(a, b):
    for name in RECORDS:
        assert getattr(a.history, name) == getattr(b.history, name), name
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


# --- the loss -------------------------------------------------------------------------------------


def _reference(features, y, weights):
    """sum_j alpha_j (1/B) sum_i ||h_i - mu_{c(i)}||^2 with explicit loops."""
    total = 0.0
    for h, alpha in zip(features.values(), weights, strict=True):
        rows = h.detach().double().reshape(h.shape[0], -1).numpy()
        labels = y.numpy()
        for i in range(rows.shape[0]):
            mu = rows[labels == labels[i]].mean(axis=0)
            total += alpha * float(((rows[i] - mu) ** 2).sum()) / rows.shape[0]
    return total


def _batch(requires_grad=True):
    y = torch.tensor([0, 0, 1, 1, 2])  # class 2 has one sample
    a = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 1.0], [0.0, 5.0], [7.0, 7.0]])
    b = torch.arange(15, dtype=torch.float64).reshape(5, 1, 3) ** 1.5  # flattened per sample
    return {"a": a.requires_grad_(requires_grad), "b": b.requires_grad_(requires_grad)}, y


def test_svsl_loss_against_a_hand_computation():
    features, y = _batch()
    # layer a by hand: class 0 mean (2, 0): 1 + 1; class 1 mean (0, 3): 4 + 4; class 2: 0
    only_a = svsl_loss({"a": features["a"]}, y, [0.5], detach_means=False)
    assert only_a.item() == pytest.approx(0.5 * (1 + 1 + 4 + 4 + 0) / 5, rel=1e-7)
    value = svsl_loss(features, y, {"a": 0.5, "b": 2.0}, detach_means=False)
    assert value.item() == pytest.approx(_reference(features, y, [0.5, 2.0]), rel=1e-6)
    assert svsl_loss(features, y, [0.5, 2.0], detach_means=True).item() == pytest.approx(
        value.item(), rel=1e-12
    )


def test_a_one_sample_class_contributes_exactly_zero():
    features, y = _batch()
    with_single = svsl_loss({"a": features["a"]}, y, [1.0], detach_means=False)
    moved = features["a"].detach().clone()
    moved[4] = torch.tensor([-100.0, 3e4])  # the lone sample of class 2, anywhere
    assert svsl_loss({"a": moved}, y, [1.0], detach_means=False).item() == with_single.item()
    all_single = svsl_loss({"a": features["a"]}, torch.arange(5), [1.0], detach_means=False)
    assert all_single.item() == 0.0


@pytest.mark.parametrize("detach", [False, True])
def test_gradient_is_2_alpha_times_the_centred_features_over_b(detach):
    # Detaching the means does not change the gradient in exact arithmetic: the class mean
    # minimises the sum of squares, so the derivative through it vanishes.
    features, y = _batch()
    value = svsl_loss(features, y, [0.5, 2.0], detach_means=detach)
    grad_a, grad_b = torch.autograd.grad(value, [features["a"], features["b"]])
    for h, alpha, grad in ((features["a"], 0.5, grad_a), (features["b"], 2.0, grad_b)):
        rows = h.detach().reshape(5, -1)
        means = torch.stack([rows[y == c].mean(dim=0) for c in y.tolist()])
        expected = (2 * alpha * (rows - means) / 5).reshape(h.shape)
        torch.testing.assert_close(grad, expected.to(grad.dtype), rtol=1e-6, atol=1e-12)
    assert torch.count_nonzero(grad_a[4]) == 0  # the lone sample gets no gradient


def test_svsl_loss_errors():
    features, y = _batch()
    with pytest.raises(ValueError, match=r"at least one layer"):
        svsl_loss({}, y, [], detach_means=False)
    with pytest.raises(ValueError, match=r"one weight per layer of features \(2\); got 1"):
        svsl_loss(features, y, [1.0], detach_means=False)
    with pytest.raises(ValueError, match=r"weights must name the layers"):
        svsl_loss(features, y, {"a": 1.0, "c": 1.0}, detach_means=False)
    with pytest.raises(ValueError, match=r"shape \(B, \.\.\.\) with B = 4"):
        svsl_loss(features, y[:4], [1.0, 1.0], detach_means=False)


def test_collect_outputs_hooks_only_inside_the_block():
    from sparsity_widgets.models import build_model

    model = build_model("mlp", in_shape=(1, 40), n_classes=3, hidden=[16, 16])
    with collect_outputs(model, ["hidden.1", "classifier"]) as outputs:
        logits = model(torch.zeros(2, 1, 40))
        assert sorted(outputs) == ["classifier", "hidden.1"]
        assert outputs["classifier"] is logits and outputs["hidden.1"].requires_grad
    assert all(not m._forward_hooks for m in model.modules())
    with pytest.raises(ValueError, match=r"svsl\.layers: layer 'hiden\.1' .*'hidden\.1'"):
        with collect_outputs(model, ["hiden.1"]):
            pass


# --- training -------------------------------------------------------------------------------------


def _within_class_spread(model, split, layer):
    H = extract_features(model, split, [layer], progress=False, device="cpu")[layer]
    H = H.astype(np.float64)
    centred = H - np.stack([H[split.y == c].mean(axis=0) for c in split.y])
    return float((centred**2).sum(axis=1).mean())


def test_svsl_shrinks_the_within_class_spread_of_its_layer(signals, tmp_path):
    layer = "hidden.1"
    config = mlp_config(epochs=8)
    vanilla = train(config, tmp_path / "vanilla", data=signals, progress=False)
    svsl = {"layers": [layer], "weights": [1.0], "detach_means": False}
    with_svsl = train(
        mlp_config(epochs=8, svsl=svsl), tmp_path / "svsl", data=signals, progress=False
    )
    before = _within_class_spread(vanilla.model, signals.train, layer)
    after = _within_class_spread(with_svsl.model, signals.train, layer)
    # A weight of 1 on a squared distance dwarfs the cross-entropy: over seeds 0-2 the spread
    # dropped 25-50x (1.9 -> 0.036 for seed 0) with test accuracy 1.0 both ways; asking only
    # for 2x and for better than chance leaves a wide margin.
    assert after < 0.5 * before, (before, after)
    assert with_svsl.history.test_accuracy[-1] > 0.6  # chance is 1/3: it still learns


def _epoch_before_svsl(model, optimizer, X, y, batch_size, shuffle, device, svsl=None):
    """``_train_one_epoch`` as it was before SVSL existed (verbatim but for ``svsl``)."""
    assert svsl is None
    model.train()
    n = X.shape[0]
    order = torch.randperm(n, generator=shuffle).to(X.device)
    total_loss = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        xb, yb = X[index].to(device), y[index].to(device)
        optimizer.zero_grad(set_to_none=True)
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        loss.backward()
        optimizer.step()
        total_loss += loss.detach().double() * yb.shape[0]
        correct += (logits.detach().argmax(dim=1) == yb).sum()
    mean_loss = float(total_loss) / n
    assert math.isfinite(mean_loss)
    return mean_loss, int(correct) / n


def test_without_svsl_training_is_the_code_from_before(signals, tmp_path, monkeypatch):
    now = train(cnn_config(svsl=None), tmp_path / "now", data=signals, progress=False)
    hooks = []
    original = torch.nn.Module.register_forward_hook

    def counting(self, *args, **kwargs):
        hooks.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "register_forward_hook", counting)
    again = train(cnn_config(svsl=None), tmp_path / "again", data=signals, progress=False)
    assert hooks == []  # svsl=None registers no hook
    assert_same_runs(now, again)
    monkeypatch.setattr(loop_module, "_train_one_epoch", _epoch_before_svsl)
    before = train(cnn_config(svsl=None), tmp_path / "before", data=signals, progress=False)
    assert_same_runs(now, before)
    assert "svsl" not in json.loads((tmp_path / "now" / "config.json").read_text())


def test_resumed_svsl_run_equals_the_uninterrupted_run_bit_for_bit(signals, tmp_path):
    full = train(cnn_config(), tmp_path / "full", data=signals, progress=False)
    vanilla = train(cnn_config(svsl=None), tmp_path / "vanilla", data=signals, progress=False)
    assert full.history.train_loss != vanilla.history.train_loss  # the term is in the loss
    stopped = train(cnn_config(), tmp_path / "run", data=signals, progress=False, stop_after=1)
    assert stopped.history.epochs == [1]
    resumed = train(cnn_config(), tmp_path / "run", data=signals, progress=False)
    assert resumed.history.epochs == [1, 2, 3]
    assert_same_runs(resumed, full)
    for model in (full.model, resumed.model):
        assert all(not m._forward_hooks for m in model.modules())  # hooks are gone


def test_config_json_records_svsl_and_resume_refuses_another(signals, tmp_path):
    config = mlp_config(epochs=1, svsl=SVSL)
    train(config, tmp_path, data=signals, progress=False)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["svsl"] == SVSL
    assert TrainConfig.from_dict(saved) == config
    assert "svsl" not in RESUMABLE_FIELDS
    other = {**SVSL, "detach_means": True}
    with pytest.raises(ValueError, match=r"different configuration \(svsl: saved .*detach"):
        train(mlp_config(epochs=1, svsl=other), tmp_path, data=signals, progress=False)
    with pytest.raises(ValueError, match=r"different configuration \(svsl: saved \{.*now None"):
        train(mlp_config(epochs=1), tmp_path, data=signals, progress=False)


def test_a_layer_the_model_lacks_fails_before_anything_is_written(signals, tmp_path):
    bad = {"layers": ["hidden.3"], "weights": [1.0], "detach_means": False}
    with pytest.raises(ValueError, match=r"svsl\.layers: layer 'hidden\.3' is not a module"):
        train(mlp_config(svsl=bad), tmp_path, data=signals, progress=False)
    with pytest.raises(ValueError, match=r"svsl\.layers names 'input'"):
        train(mlp_config(svsl={**bad, "layers": ["input"]}), tmp_path, data=signals, progress=False)
    assert not (tmp_path / "config.json").exists()


# --- configuration --------------------------------------------------------------------------------


def test_svsl_round_trips_and_old_configs_keep_their_identity():
    config = mlp_config(svsl=SVSLConfig(("hidden.1",), (3,), detach_means=True))
    assert config.svsl == SVSLConfig(("hidden.1",), (3.0,), True)
    data = json.loads(json.dumps(config.to_dict()))
    assert data["svsl"] == {"layers": ["hidden.1"], "weights": [3.0], "detach_means": True}
    assert TrainConfig.from_dict(data) == config
    old = mlp_config().to_dict()
    assert "svsl" not in old
    assert list(old) == [
        "model", "model_options", "dataset", "dataset_options", "epochs", "batch_size",
        "lr", "optimizer", "weight_decay", "seed", "device", "checkpoint_every",
    ]  # fmt: skip
    loaded = TrainConfig.from_dict(old)
    assert loaded.svsl is None and loaded.to_dict() == old
    assert loaded.differences(config) == {"svsl": (None, data["svsl"])}


@pytest.mark.parametrize(
    ("svsl", "match"),
    [
        ("hidden.1", r"svsl must be None, an SVSLConfig or a dict .*got 'hidden\.1' of type str"),
        ({"layers": ["a"], "weights": [1]}, r"svsl must have exactly the keys .*'detach_means'"),
        ({**SVSL, "layers": []}, r"svsl\.layers must be a non-empty list .*got \[\]"),
        ({**SVSL, "layers": "hidden.1"}, r"svsl\.layers must be a non-empty list"),
        ({**SVSL, "layers": ["a", "a"]}, r"svsl\.layers must name distinct layers.*repeats 'a'"),
        ({**SVSL, "weights": [1.0]}, r"one weight per layer of svsl\.layers \(2\); got 1"),
        ({**SVSL, "weights": [1.0, 0.0]}, r"svsl\.weights\[1\] \(layer 'hidden\.1'\) must lie"),
        ({**SVSL, "weights": [1.0, float("nan")]}, r"svsl\.weights\[1\].* finite real"),
        ({**SVSL, "weights": [True, 1.0]}, r"svsl\.weights\[0\].* finite real"),
        ({**SVSL, "detach_means": "yes"}, r"svsl\.detach_means must be True or False; got 'yes'"),
    ],
)
def test_bad_svsl_values(svsl, match):
    with pytest.raises(ValueError, match=match):
        mlp_config(svsl=svsl)


def test_a_bad_saved_svsl_names_the_file(tmp_path):
    data = {**mlp_config().to_dict(), "svsl": {**SVSL, "weights": [1.0, -1.0]}}
    with pytest.raises(ValueError, match=r"config\.json.*svsl\.weights\[1\]"):
        TrainConfig.from_dict(data, source=tmp_path / "config.json")


# --- command line ---------------------------------------------------------------------------------


def _one_error_line(capsys):
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert captured.out == "" and len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize(
    "value", ["hidden.1", "hidden.1=0", "hidden.1=-2", "=1", "hidden.1=x", "a=1,a=2", "a=inf"]
)
def test_bad_svsl_option_exits_2_with_one_line(capsys, value):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--model", "mlp", "--out", "x", "--svsl", value])
    assert exit_info.value.code == 2
    line = _one_error_line(capsys)
    assert line.startswith("sparsity-widgets train: error: argument --svsl: expected LAYER=WEIGHT")
    assert repr(value) in line


def test_svsl_detach_without_svsl_exits_2(capsys, tmp_path):
    status = main(["train", "--model", "mlp", "--out", str(tmp_path / "r"), "--svsl-detach"])
    assert status == 2
    assert _one_error_line(capsys) == (
        "sparsity-widgets train: error: --svsl-detach needs --svsl LAYER=WEIGHT[,...] (the SVSL "
        "layers)"
    )


def test_cli_train_records_svsl_in_config_json(capsys, tmp_path):
    out = tmp_path / "run"
    args = ["train", "--model", "mlp", "--dataset", "digits", "--n-train", "200", "--n-test"]
    args += ["100", "--epochs", "1", "--device", "cpu", "--out", str(out), "--json"]
    status = main([*args, "--svsl", "hidden.0=0.01, hidden.1=0.1", "--svsl-detach"])
    assert status == 0, capsys.readouterr().err
    saved = json.loads((out / "config.json").read_text())
    assert saved["svsl"] == {
        "layers": ["hidden.0", "hidden.1"],
        "weights": [0.01, 0.1],
        "detach_means": True,
    }
    capsys.readouterr()
    status = main([*args, "--svsl", "hidden.9=1"])
    assert status == 2
    assert "svsl: saved" in _one_error_line(capsys)  # another svsl is another run
