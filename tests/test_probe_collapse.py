"""Neural collapse through a network: the streamed probe and the ``collapse`` command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from sparsity_widgets.cli import main  # noqa: E402
from sparsity_widgets.collapse import CollapseMetrics, collapse_metrics  # noqa: E402
from sparsity_widgets.datasets import LabeledArrays  # noqa: E402
from sparsity_widgets.models import build_model  # noqa: E402
from sparsity_widgets.probe import CollapseProbe, extract_features, probe_collapse  # noqa: E402

K = 3
LAYERS = ["input", "hidden.0", "hidden.0.linear", "hidden.1"]

# The probe sums the same float64 numbers as collapse_metrics, grouped by batch instead of by
# row chunk: the moments differ by rounding, ~N eps ~ 1e-13 relative for N = 150, and the
# metrics are smooth functions of them away from degenerate class means. 1e-9 leaves a wide
# margin; the NCC decisions (counts) must agree exactly.
RTOL_STREAMING = 1e-9
# Between batch sizes the float32 features themselves may differ by a few ulps (torch's CPU
# matrix products block by batch), ~1e-7 relative, amplified a little by NC1's inverse.
RTOL_BATCH = 1e-5


def blobs(n: int, seed: int, *, shift: float = 2.0) -> LabeledArrays:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % K
    X = rng.standard_normal((n, 10)) + shift * np.eye(K, 10)[y]
    return LabeledArrays(X.astype(np.float32), y.astype(np.int64), ("a", "b", "c"), "blobs")


@pytest.fixture(scope="module")
def data():
    return blobs(150, 1), blobs(60, 2)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model("mlp", in_shape=(10,), n_classes=K, hidden=(16, 16))


def reference(model, train, test, layers, batch_size):
    """collapse_metrics on the extracted features, with the network's own predictions."""
    features = extract_features(model, train, layers, batch_size=batch_size, progress=False)
    features_t = extract_features(model, test, layers, batch_size=batch_size, progress=False)
    with torch.no_grad():
        pred = model(torch.from_numpy(train.X)).argmax(1).numpy()
        pred_t = model(torch.from_numpy(test.X)).argmax(1).numpy()
    W = model.classifier.weight.detach().double().numpy()
    return {
        name: collapse_metrics(
            features[name],
            train.y,
            n_classes=K,
            predictions=pred,
            W=W if name == "hidden.1" else None,
            H_test=features_t[name],
            y_test=test.y,
            predictions_test=pred_t,
        )
        for name in layers
    }


def assert_close(got: CollapseMetrics, want: CollapseMetrics, rtol: float) -> None:
    a, b = got.to_dict(), want.to_dict()
    assert a.keys() == b.keys()
    for key in a:
        if key == "plane":  # the class picture: float64 sums in another batch order
            for part in ("means", "covariances", "between_class_share"):
                np.testing.assert_allclose(
                    a[key][part], b[key][part], rtol=rtol, atol=1e-12, err_msg=part
                )
            continue
        if isinstance(b[key], float) and key not in (
            "ncc_accuracy_train",
            "ncc_accuracy_test",
            "ncc_mismatch_train",
            "ncc_mismatch_test",
            "nc4",
        ):
            assert a[key] == pytest.approx(b[key], rel=rtol, abs=1e-12), key
        else:
            assert a[key] == b[key], key


@pytest.mark.parametrize("batch_size", [7, 64, 1000])
def test_streamed_probe_equals_collapse_metrics_on_the_features(model, data, batch_size):
    train, test = data
    got = probe_collapse(
        model, train, layers=LAYERS, test_data=test, batch_size=batch_size, progress=False
    )
    want = reference(model, train, test, LAYERS, batch_size)
    assert got.layers == tuple(LAYERS)
    for name in LAYERS:
        assert_close(got[name], want[name], RTOL_STREAMING)
    with torch.no_grad():
        pred = model(torch.from_numpy(train.X)).argmax(1).numpy()
    assert got.train_accuracy == np.mean(pred == train.y)


def test_batch_size_does_not_change_the_result(model, data):
    train, test = data
    runs = [
        probe_collapse(model, train, layers=LAYERS, test_data=test, batch_size=b, progress=False)
        for b in (1, 13, 150)
    ]
    for other in runs[1:]:
        assert other.train_accuracy == runs[0].train_accuracy
        assert other.test_accuracy == runs[0].test_accuracy
        for name in LAYERS:
            assert_close(other[name], runs[0][name], RTOL_BATCH)


def test_nc3_only_for_the_layer_feeding_the_classifier(model, data):
    result = probe_collapse(model, data[0], layers=LAYERS, progress=False)
    assert result.classifier == "classifier"
    assert [result[name].nc3 is not None for name in LAYERS] == [False, False, False, True]
    # without test data the test fields stay empty
    assert result["hidden.1"].ncc_mismatch_test is None
    assert result.test_accuracy is None


def test_default_layers_and_mode_restored(model, data):
    model.train()
    try:
        result = probe_collapse(model, data[0], progress=False)
        assert model.training and all(m.training for m in model.modules())
    finally:
        model.eval()
    assert result.layers == ("input", "hidden.0", "hidden.1")


def test_collapsed_features_give_zero_mismatch():
    """A model whose penultimate layer maps each class to one point: NC1 = 0, Lambda = 0."""
    train = blobs(60, 3, shift=50.0)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(10, K), nn.Softmax(dim=1), nn.Linear(K, K))
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(K, 10) * 10.0)
        net[0].bias.zero_()
        net[2].weight.copy_(torch.eye(K))
        net[2].bias.zero_()
    result = probe_collapse(net, train, layers=["1"], progress=False)
    m = result["1"]
    assert m.nc1 < 1e-12 and m.ncc_mismatch_train == 0.0 and m.ncc_accuracy_train == 1.0
    assert result.classifier == "2" and m.nc3 is not None


def test_json_round_trip_and_table(model, data):
    result = probe_collapse(
        model, data[0], layers=LAYERS, test_data=data[1], progress=False, source="x", epoch=3
    )
    text = json.dumps(result.to_dict())
    assert CollapseProbe.from_dict(json.loads(text)) == result
    table = result.format_table()
    assert all(name in table for name in LAYERS) and "Lambda" in table
    bad = result.to_dict() | {"schema": "other/1"}
    with pytest.raises(ValueError, match="schema"):
        CollapseProbe.from_dict(bad)
    with pytest.raises(KeyError, match="was not probed"):
        result["hidden.9"]


def test_a_wrong_layer_name_gives_the_probe_hint(model, data):
    with pytest.raises(ValueError, match=r"Did you mean 'hidden.0'.*list_layers"):
        probe_collapse(model, data[0], layers=["hiden.0"], progress=False)
    with pytest.raises(TypeError, match="not one string"):
        probe_collapse(model, data[0], layers="hidden.0", progress=False)


def test_bad_inputs_are_clear_errors(model, data):
    train, _ = data
    with pytest.raises(TypeError, match="data must be a LabeledArrays"):
        probe_collapse(model, train.X, progress=False)

    class FourClasses:
        X = train.X[:8]
        y = np.array([0, 1, 2, 3, 0, 1, 2, 3])

    with pytest.raises(ValueError, match=r"data.y must hold class indices in \[0, 2\]"):
        probe_collapse(model, FourClasses(), progress=False)
    two_classes = train.subset(np.flatnonzero(train.y < 2))
    with pytest.raises(ValueError, match="no sample of class"):
        probe_collapse(model, two_classes, layers=["hidden.1"], progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        probe_collapse(model, train, batch_size=0, progress=False)

    class Odd:
        X = train.X
        y = train.y[:-1]

    with pytest.raises(ValueError, match=r"one label per sample of data.X \(150\)"):
        probe_collapse(model, Odd(), progress=False)

    class FloatLabels:
        X = train.X
        y = train.y.astype(float)

    with pytest.raises(ValueError, match="integer class indices"):
        probe_collapse(model, FloatLabels(), progress=False)
    nan = LabeledArrays(train.X.copy(), train.y, train.class_names, "nan")
    nan.X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        probe_collapse(model, nan, layers=["hidden.0"], progress=False)
    with pytest.raises(ValueError, match="needs a classifier"):
        probe_collapse(nn.Sequential(nn.Linear(10, 4), nn.Flatten(0)), train, progress=False)


# ------------------------------------------------------------------------------ command line
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from sparsity_widgets.training import TrainConfig, train

    config = TrainConfig(
        model="mlp",
        model_options={"hidden": [32, 32]},
        dataset="digits",
        epochs=2,
        batch_size=64,
        lr=3e-3,
        seed=0,
        device="cpu",
    )
    run = train(config, tmp_path_factory.mktemp("run"), progress=False)
    return run.checkpoints[-1]


def test_cli_json_matches_probe_collapse(checkpoint, tmp_path, capsys):
    from sparsity_widgets.datasets import load_dataset
    from sparsity_widgets.training import load_checkpoint

    out = tmp_path / "out"
    argv = ["collapse", "--checkpoint", str(checkpoint), "--json", "--out", str(out)]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert json.loads((out / "collapse.json").read_text()) == printed

    model, config, info = load_checkpoint(checkpoint)
    splits = load_dataset(config.dataset, **config.dataset_options)
    want = probe_collapse(
        model,
        splits.train,
        test_data=splits.test,
        progress=False,
        source=str(checkpoint),
        epoch=info["epoch"],
    )
    assert printed == json.loads(json.dumps(want.to_dict()))
    got = CollapseProbe.from_dict(printed)
    assert got.layers == ("input", "hidden.0", "hidden.1")
    assert got.epoch == 2 and got["hidden.1"].nc3 is not None
    assert not math.isnan(got["hidden.0"].nc1)


def test_cli_table_with_layers_and_subset(checkpoint, capsys):
    argv = ["collapse", "--checkpoint", str(checkpoint), "--layers", "hidden.1,hidden.0"]
    assert main([*argv, "--n-samples", "200", "--batch-size", "50"]) == 0
    out = capsys.readouterr().out
    assert "epoch 2" in out and "hidden.1" in out and "200 train samples, 200 test" in out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--layers", "hiden.0"], "Did you mean"),
        (["--device", "gpu"], "device"),
    ],
)
def test_cli_bad_options_exit_2_with_one_line(checkpoint, capsys, extra, message):
    assert main(["collapse", "--checkpoint", str(checkpoint), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err
    assert err.startswith("sparsity-widgets collapse: error:")


def test_cli_bad_checkpoint_exits_2_with_one_line(tmp_path, capsys):
    assert main(["collapse", "--checkpoint", str(tmp_path / "missing.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no such file" in err
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    assert main(["collapse", "--checkpoint", str(junk)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "junk.pt" in err
