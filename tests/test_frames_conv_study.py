"""The conv nets the study trains are the dictionaries it scores; the study runs and resumes."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sparsity_widgets.frames import conv_study  # noqa: E402
from sparsity_widgets.frames.conv_induced import conv_dense_induced_dictionary  # noqa: E402
from sparsity_widgets.models import build_model, probe_points  # noqa: E402


@pytest.mark.parametrize("family", ["chain", "residual", "dense"])
@pytest.mark.parametrize("shape", [(2, 8), (2, 8, 8)])
def test_each_convolution_applies_its_block_of_the_induced_dictionary(family, shape):
    torch.manual_seed(0)
    net = build_model(
        "edge-conv-net", in_shape=shape, n_classes=3, arch=family, width=2, blocks=1, groups=2
    ).double()
    net.eval()
    arch = net.architecture
    weights = [w.detach().numpy() for w in net.conv_weights()]
    assert sum(w.size for w in weights) == arch.n_parameters
    assert sum(p.numel() for n, p in net.named_parameters() if "conv" in n) == arch.n_parameters
    B, _ = conv_dense_induced_dictionary(arch, weights)
    sizes = [arch.channels[t] * arch.positions(t) for t in range(1, arch.n_layers + 1)]
    col = np.concatenate([[0], np.cumsum(sizes)])
    x = torch.randn(4, *shape, dtype=torch.float64)
    outputs = [x]
    with torch.no_grad():
        for layer in net.layers:
            outputs.append(layer(outputs))
        assert net(x).shape == (4, 3)
    row = 0
    for e in arch.edges:
        height = arch.channels[e.source] * arch.positions(e.source)
        if e.kind == "param":
            layer = net.layers[e.target - 1]
            conv = layer.convs[layer.sources.index(e.source)]
            with torch.no_grad():
                got = conv(outputs[e.source]).reshape(4, -1).numpy()
            block = B[row : row + height, col[e.target - 1] : col[e.target]]
            expected = outputs[e.source].reshape(4, -1).numpy() @ block
            # sums of <= 54 products with sum |x h| <= 2.9 here, in two orders (torch's conv,
            # BLAS): within 54 eps 2.9 ~ 3.5e-14; absolute, outputs may be ~0
            np.testing.assert_allclose(got, expected, atol=1e-12)
        row += height


def test_probe_points_name_every_layer():
    net = build_model(
        "edge-conv-net", in_shape=(1, 16), n_classes=2, arch="residual", width=2, blocks=1, groups=2
    )
    points = probe_points(net)
    names = dict(net.named_modules())
    assert len(points) == net.architecture.n_layers
    assert all(name in names for name, _ in points)
    assert [k for _, k in points].count("residual") == 2


TINY = conv_study.ConvStudySetting(
    dataset="mnist1d",
    residual_grid=((1, 2),),
    dense_grid=((1, 2),),
    max_iter=3,
    epochs=1,
    n_train=200,
)


def test_tiny_conv_study_writes_rows_and_resumes(tmp_path, monkeypatch):
    result = conv_study.run_conv_study(TINY, out_dir=tmp_path, progress=False)
    saved = json.loads((tmp_path / "conv-study.json").read_text())
    assert saved["complete"] and [r["arch"] for r in saved["rows"]] == [
        "chain",
        "residual",
        "dense",
    ]
    chain, residual, _ = saved["rows"]
    assert chain["n_parameters"] == residual["n_parameters"]
    assert all(0.0 <= r["val_error"] <= 1.0 and r["min_frame_potential"] > 0 for r in saved["rows"])
    assert set(result["correlations"]) >= {"spearman_fp_error", "pearson_params_error"}
    assert "Spearman" in conv_study.format_conv_table(result)
    # a second call with the same setting reuses every row: nothing is minimised or trained
    monkeypatch.setattr(
        "sparsity_widgets.frames.minimize.minimize_frame_potential",
        lambda *a, **k: pytest.fail("minimised again"),
    )
    again = conv_study.run_conv_study(TINY, out_dir=tmp_path, progress=False)
    assert again["rows"] == saved["rows"]


def test_cifar_path_runs_on_files_in_the_cifar_layout(tmp_path):
    from test_datasets_real import make_cifar_set

    make_cifar_set(tmp_path / "data")
    setting = conv_study.ConvStudySetting(
        dataset="cifar10", residual_grid=((1, 2),), dense_grid=((1, 2),), max_iter=2, epochs=1
    )
    result = conv_study.run_conv_study(
        setting, out_dir=tmp_path / "out", data_dir=str(tmp_path / "data"), progress=False
    )
    assert result["complete"]
    assert result["dataset"].startswith("cifar10")
    residual = result["rows"][1]
    assert residual["n_layers"] == 1 + 3 * 2 + 2  # stem, 3 groups of one block, 2 transitions
    fig = conv_study.plot_conv_study(result)
    assert len(fig.axes) == 2


def test_cifar_without_a_data_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="data_dir is required for CIFAR-10"):
        conv_study.run_conv_study("full", out_dir=tmp_path, progress=False)


def test_cli_conv_mode(capsys):
    from sparsity_widgets.cli import main

    argv = [
        "frame-potential",
        "--arch",
        "residual",
        "--input-shape",
        "1,16",
        "--width",
        "2",
        "--blocks",
        "1",
        "--groups",
        "2",
        "--max-iter",
        "3",
        "--json",
    ]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["lower_bound"] is None and report["n_layers"] == 6
    assert report["channels"] == [1, 2, 2, 2, 4, 4, 4]
    assert report["min_frame_potential"] <= report["initial_frame_potential"]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--widths", "3,4", "--input-shape", "1,16"], "give exactly one of widths"),
        ([], "give exactly one of widths"),
        (["--input-shape", "1,15", "--groups", "2"], "divisible by 2"),
        (["--input-shape", "a,b"], "input_shape must be comma-separated"),
    ],
)
def test_cli_conv_errors(capsys, argv, match):
    from sparsity_widgets.cli import main

    assert main(["frame-potential", *argv]) == 2
    assert match in capsys.readouterr().err


def test_the_chapter_shows_the_saved_quick_study():
    """The table in the chapter is the saved result of the quick setting, line for line."""
    from dataclasses import asdict
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    result = json.loads((root / "book" / "results" / "frames-conv-quick.json").read_text())
    assert result["complete"] and result["setting_name"] == "quick"
    expected = json.loads(json.dumps(asdict(conv_study.CONV_SETTINGS["quick"])))
    assert result["setting"] == expected
    chapter = (root / "book" / "frame_potential.md").read_text()
    for line in conv_study.format_conv_table(result).splitlines():
        assert line in chapter
