"""The probe on PyTorch models: hooks, scores per layer, results and their JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from sparsity_widgets.datasets import make_synthetic  # noqa: E402
from sparsity_widgets.probe import (  # noqa: E402
    LayerScore,
    ProbeResult,
    ProbeSettings,
    SeedRun,
    extract_features,
    list_layers,
    probe_model,
    reduce_width,
    score_layer,
)
from sparsity_widgets.probe.run import _groups_within  # noqa: E402


class Pair(nn.Module):
    """Returns a tuple, as RNNs and attention layers do."""

    def forward(self, x):
        return x * 2.0, "not a tensor"


def small_net(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Sequential(nn.Conv1d(1, 4, 3, padding=1), nn.BatchNorm1d(4), nn.ReLU()),
        nn.Sequential(nn.Conv1d(4, 4, 3, stride=2, padding=1), nn.Dropout(0.5), nn.ReLU()),
        nn.Flatten(),
        nn.Linear(4 * 8, 6),
        Pair(),
    )


@pytest.fixture
def inputs():
    return torch.randn(37, 1, 16, generator=torch.Generator().manual_seed(1))


def test_hooks_equal_slicing_the_model_by_hand(inputs):
    net = small_net()
    net.train()  # the extraction runs in eval mode and restores this flag
    feats = extract_features(
        net, inputs, ["0", "1", "3", "input"], batch_size=10, device="cpu", progress=False
    )
    net.eval()
    with torch.no_grad():
        h0 = net[0](inputs)
        h1 = net[1](h0)
        h3 = net[3](net[2](h1))
    np.testing.assert_array_equal(feats["0"], h0.reshape(37, -1).numpy())
    np.testing.assert_array_equal(feats["1"], h1.reshape(37, -1).numpy())
    np.testing.assert_array_equal(feats["3"], h3.numpy())
    np.testing.assert_array_equal(feats["input"], inputs.reshape(37, -1).numpy())
    assert list(feats) == ["0", "1", "3", "input"]
    assert all(f.dtype == np.float32 and f.flags.c_contiguous for f in feats.values())


def test_extraction_restores_each_modules_mode(inputs):
    net = small_net()
    net.train()
    net[1][1].eval()  # a mixed state must come back exactly
    before = {name: m.training for name, m in net.named_modules()}
    extract_features(net, inputs, ["1"], device="cpu", progress=False)
    assert {name: m.training for name, m in net.named_modules()} == before


def test_batch_size_does_not_change_the_features(inputs):
    net = small_net()
    a = extract_features(net, inputs, ["1.0"], batch_size=1, device="cpu", progress=False)
    b = extract_features(net, inputs, ["1.0"], batch_size=100, device="cpu", progress=False)
    # torch's CPU kernels may sum in another order for another batch size (and differ between
    # processors), so the bound is the float32 rounding of the whole computation, not what one
    # machine shows: dot products of 4 (conv 0) and 13 (conv 1) terms and ~5 roundings in batch
    # norm give |error| <= 22 eps32 m, m the same network run on |inputs| with every weight,
    # bias and running statistic by its modulus (the gamma_n bound; ReLU cannot enlarge it).
    # Each batch size is within that of the exact value, so they differ by <= 2x it, up to
    # 1.7e-5 (was rtol = atol = 1e-6, below this bound; measured 1% of it). Train-mode batch
    # norm, live dropout or samples mixed across batches move features by O(0.1)
    conv0, bn, conv1 = net[0][0], net[0][1], net[1][0]
    with torch.no_grad():
        x = inputs.double().abs()
        scale = (bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)).abs()
        m = torch.nn.functional.conv1d(
            x, conv0.weight.double().abs(), conv0.bias.double().abs(), padding=1
        )
        m = (m + bn.running_mean.double().abs()[:, None]) * scale[:, None]
        m = m + bn.bias.double().abs()[:, None]
        m = torch.nn.functional.conv1d(
            m, conv1.weight.double().abs(), conv1.bias.double().abs(), stride=2, padding=1
        )
    atol = 2 * 22 * np.finfo(np.float32).eps * m.reshape(37, -1).numpy()
    assert (np.abs(a["1.0"].astype(np.float64) - b["1.0"]) <= atol).all()


def test_tuple_outputs_contribute_their_first_tensor(inputs):
    net = small_net()
    feats = extract_features(net, inputs, ["3", "4"], device="cpu", progress=False)
    # x * 2.0 is exact in binary floating point, and both come from one forward pass: equal
    # (was the default rtol 1e-7, which had nothing to absorb)
    np.testing.assert_array_equal(feats["4"], 2.0 * feats["3"])


def test_numpy_inputs_and_labeled_arrays_like_objects(inputs):
    net = small_net()

    class Data:
        X = inputs.numpy().astype(np.float64)
        y = np.zeros(37, dtype=np.int64)

    a = extract_features(net, Data(), ["3"], device="cpu", progress=False)["3"]
    b = extract_features(net, inputs, ["3"], device="cpu", progress=False)["3"]
    np.testing.assert_array_equal(a, b)


def test_list_layers_names_every_submodule():
    net = small_net()
    assert list_layers(net)[:4] == ["0", "0.0", "0.1", "0.2"]
    assert "0" not in list_layers(net, leaves_only=True)
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        list_layers("net")


def test_a_wrong_layer_name_suggests_close_names(inputs):
    with pytest.raises(ValueError, match=r"layer '1\.00' is not a module.*Did you mean '1\.0'"):
        extract_features(small_net(), inputs, ["1.00"], progress=False)
    with pytest.raises(ValueError, match="at least one layer"):
        extract_features(small_net(), inputs, [], progress=False)
    with pytest.raises(ValueError, match="appears twice"):
        extract_features(small_net(), inputs, ["0", "0"], progress=False)


def test_bad_data_and_device_are_named(inputs):
    with pytest.raises(ValueError, match="no samples"):
        extract_features(small_net(), inputs[:0], ["0"], progress=False)
    with pytest.raises(TypeError, match="data must be"):
        extract_features(small_net(), [[1.0]], ["0"], progress=False)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        extract_features(small_net(), inputs, ["0"], batch_size=0, progress=False)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="sees no GPU"):
            extract_features(small_net(), inputs, ["0"], device="cuda", progress=False)


def test_groups_respect_the_memory_budget():
    # 4 bytes x 1000 samples x width; budget 2**30 * 1e-5 ~ 10737 bytes -> 2 columns each
    groups = _groups_within([1, 1, 1, 5, 1], 1000, 1e-5)
    assert groups == [[0, 1], [2], [3], [4]]
    assert [j for group in groups for j in group] == list(range(5))


def test_width_reduction_records_what_it_did():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(300, 50)).astype(np.float32)
    same, rec = reduce_width(F, max_width=60)
    assert same is F or np.array_equal(same, F)
    assert rec.method == "none" and rec.width_out == 50
    for method in ("svd", "pca-gram", "gaussian", "sparse"):
        out, rec = reduce_width(F, max_width=20, method=method, random_state=3)
        again, _ = reduce_width(F, max_width=20, method=method, random_state=3)
        assert out.shape == (300, 20) and out.dtype == np.float32
        assert rec.method == method and (rec.width_in, rec.width_out) == (50, 20)
        np.testing.assert_array_equal(out, again)
    with pytest.raises(ValueError, match="method must be one of"):
        reduce_width(F, method="pca-ish")
    with pytest.raises(ValueError, match="below n_samples"):
        reduce_width(F[:10], max_width=20, method="svd")
    with pytest.raises(ValueError, match="below n_samples"):
        reduce_width(F[:10], max_width=20, method="pca-gram")
    with pytest.raises(ValueError, match="n_iter must be an integer >= 0"):
        reduce_width(F, max_width=20, n_iter=-1)


@pytest.mark.parametrize("shape", [(120, 300), (300, 120)])  # both Gram matrices
def test_pca_gram_gives_the_principal_component_scores(shape):
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(1)
    scales = np.geomspace(5.0, 0.05, shape[1])  # distinct variances: unique components
    F = (rng.standard_normal(shape) * scales + 3.0).astype(np.float32)
    out, rec = reduce_width(F, max_width=10, method="pca-gram")
    expected = PCA(n_components=10, svd_solver="full").fit_transform(F.astype(np.float64))
    # each component is defined up to its sign
    signs = np.sign((out * expected).sum(axis=0))
    # float32 Gram products, whose centring cancels the 3.0 offset, turn eigenvectors by
    # ~ (rounding of the Gram) / (eigengap), and these spectra have relative gaps down to 0.005:
    # measured <= 2.3e-5 of max|score| over data seeds 1-5 and both shapes (another BLAS sums
    # in another order, with errors of the same size). 2e-3 leaves ~90x; a wrong sign, order,
    # centring or scale is off by O(1) of max|score|
    np.testing.assert_allclose(out * signs, expected, atol=2e-3 * np.abs(expected).max())
    assert rec.method == "pca-gram" and rec.n_iter is None


def test_svd_power_iterations_are_recorded_and_used():
    rng = np.random.default_rng(2)
    F = rng.standard_normal((200, 80)).astype(np.float32)
    one, rec_one = reduce_width(F, max_width=10, method="svd", n_iter=1)
    five, rec_five = reduce_width(F, max_width=10, method="svd", n_iter=5)
    assert (rec_one.n_iter, rec_five.n_iter) == (1, 5)
    # a flat spectrum: iterations matter (scores differ by up to 4.4, far past the defaults)
    assert not np.allclose(np.abs(one), np.abs(five))
    # more power iterations capture at least as much of the variance. Summed in float64: a
    # float32 sum of 2000 squares alone may round by log2(2000) eps32 = 1.3e-6, past the 1e-6
    # margin this had. The float32 randomized SVD (QR, small SVD, scores) is exact to
    # ~ width eps32 = 1e-5 relative, hence 1e-4; five iterations capture 5.6% more here
    energy_one = (one.astype(np.float64) ** 2).sum()
    energy_five = (five.astype(np.float64) ** 2).sum()
    assert energy_five >= energy_one * (1 - 1e-4)


def test_score_layer_matches_the_estimator_directly():
    from sparsity_widgets import WaveletForest

    X, y = make_synthetic("circles", n_samples=600, random_state=0)
    settings = ProbeSettings(random_state=4, clustering=True, linear_probe=True)
    score = score_layer(X.astype(np.float32), y, settings, name="xy", kind="input")
    direct = WaveletForest(random_state=4).fit(X.astype(np.float32), y).estimate()
    # the same seeded fit and estimate on the same float32 data: equal in fact (seen); 1e-12
    # is a margin, while another selection moves tau* by a grid step (0.01) over their count
    assert score.tau_star == pytest.approx(direct.tau_star, abs=1e-12)
    assert score.alpha_star == pytest.approx(direct.alpha_star, abs=1e-12)
    assert score.selected_taus == direct.selected_taus.tolist()
    assert score.clustering is not None and set(score.clustering) >= {
        "adjusted_rand",
        "adjusted_mutual_info",
        "homogeneity",
        "completeness",
        "fowlkes_mallows",
    }
    assert 0.0 <= score.linear_probe_accuracy <= 1.0
    assert (score.width, score.scored_width, score.reduction) == (2, 2, "none")


def test_a_window_no_tau_falls_in_is_recorded_not_raised():
    X, y = make_synthetic("spiral", n_samples=300, random_state=0)
    settings = ProbeSettings(eps_low=1.5, eps_high=1.55)
    score = score_layer(X, y, settings)
    assert math.isnan(score.alpha_star) and "window" in score.error


def test_probe_settings_choose_the_builder_and_old_results_read_as_scikit_learn(monkeypatch):
    from sparsity_widgets import forest as forest_module

    assert ProbeSettings().builder == "numba"
    with pytest.raises(ValueError, match="builder must be one of 'numba', 'sklearn'"):
        ProbeSettings(builder="xgboost")
    old = ProbeSettings().to_dict()
    del old["builder"]  # written before the numba builder existed
    assert ProbeSettings.from_dict(old).builder == "sklearn"
    assert ProbeSettings.from_dict(ProbeSettings().to_dict()).builder == "numba"

    used = []
    real_fit = forest_module.WaveletForest.fit

    def spy(self, X, y):
        used.append(self.builder)
        return real_fit(self, X, y)

    monkeypatch.setattr(forest_module.WaveletForest, "fit", spy)
    X, y = make_synthetic("circles", n_samples=300, random_state=0)
    for builder in ("sklearn", "numba"):
        score_layer(X, y, ProbeSettings(builder=builder))
    assert used == ["sklearn", "numba"]


def test_probe_settings_validate_their_fields():
    with pytest.raises(ValueError, match="rule must be one of"):
        ProbeSettings(rule="median")
    with pytest.raises(ValueError, match="max_width must be an integer >= 2"):
        ProbeSettings(max_width=1)


def _toy_data(n=400):
    X, y = make_synthetic("gaussian-quantiles", n_samples=n, random_state=0)
    grid = np.linspace(0, 1, 16, dtype=np.float32)
    signal = X[:, :1].astype(np.float32) * grid + X[:, 1:].astype(np.float32) * grid[::-1]

    class Data:
        pass

    data = Data()
    data.X = signal[:, None, :]
    data.y = y.astype(np.int64)
    return data


def test_probe_model_scores_each_layer_and_round_trips_through_json(tmp_path):
    net = small_net()
    data = _toy_data()
    layers = [("input", "input"), ("0", "conv"), ("1", "conv"), ("3", "linear")]
    runs = [
        probe_model(
            net,
            data,
            layers=layers,
            seed=s,
            test_accuracy=0.5 + s / 10,
            device="cpu",
            progress=False,
            memory_gb=1e-4,  # forces one pass per layer
        )
        for s in (0, 1)
    ]
    assert [layer.name for layer in runs[0].layers] == ["input", "0", "1", "3"]
    assert [layer.kind for layer in runs[0].layers] == ["input", "conv", "conv", "linear"]
    assert [layer.width for layer in runs[0].layers] == [16, 64, 32, 6]
    result = ProbeResult(
        label="toy", model="small_net", dataset="toy", settings={"n": 400}, runs=runs
    )
    path = result.to_json(tmp_path / "result.json")
    again = ProbeResult.from_json(path)
    assert again == result
    assert json.loads(path.read_text())["schema"] == "sparsity_widgets.probe/1"
    assert again.values().shape == (2, 4)
    # means of 2 alpha* > 0 (tau* < 2), nanmean against mean: a few ulp either way, so the
    # default rtol 1e-7 is ample; a wrong axis or a dropped seed is off by far more
    np.testing.assert_allclose(again.mean(), np.mean(again.values(), axis=0))
    # 0.5 and 0.6: mean and std exact to a few eps (std's differences cancel to 0.05 from
    # 0.6, ~12 eps relative); the default rel 1e-6 is ample, the sample std would be 0.071
    assert again.accuracy() == pytest.approx((0.55, 0.05))
    assert "alpha* mean" in again.format_table()


def test_json_keeps_nan_scores_and_infinite_curve_points(tmp_path):
    layer = LayerScore(
        name="a",
        kind="conv",
        width=3,
        scored_width=3,
        reduction="none",
        tau_star=math.nan,
        alpha_star=math.nan,
        taus=[0.1, 0.2],
        log_sparsity=[math.inf, 1.0],
        selected_taus=[],
        n_wavelets=5,
        seconds=0.1,
        error="no tau in window",
    )
    result = ProbeResult("x", "m", "d", {}, [SeedRun(seed=0, layers=[layer])])
    again = ProbeResult.from_json(result.to_json(tmp_path / "r.json"))
    got = again.runs[0].layers[0]
    assert math.isnan(got.alpha_star) and got.log_sparsity == [math.inf, 1.0]
    assert got.error == "no tau in window"


def test_from_json_rejects_other_files(tmp_path):
    (tmp_path / "other.json").write_text('{"schema": "something-else"}')
    with pytest.raises(ValueError, match="not a probe result"):
        ProbeResult.from_json(tmp_path / "other.json")
    with pytest.raises(FileNotFoundError, match="sparsity-widgets probe"):
        ProbeResult.from_json(tmp_path / "missing.json")


def test_probe_model_rejects_mismatched_labels():
    data = _toy_data(50)
    data.y = data.y[:-1]
    with pytest.raises(ValueError, match=r"50 samples but data\.y has 49"):
        probe_model(small_net(), data, layers=["0"], progress=False)


class Boom(nn.Module):
    def forward(self, x):
        raise AssertionError("a layer after the last chosen one was computed")


def test_the_forward_pass_stops_after_the_last_chosen_layer(inputs):
    net = nn.Sequential(nn.Conv1d(1, 2, 3), nn.ReLU(), Boom())
    feats = extract_features(net, inputs, ["1", "0"], device="cpu", progress=False)
    assert list(feats) == ["1", "0"]
    np.testing.assert_array_equal(feats["1"], np.maximum(feats["0"], 0.0))
    with pytest.raises(AssertionError, match="was computed"):
        net(inputs)  # the model itself does reach the failing layer
