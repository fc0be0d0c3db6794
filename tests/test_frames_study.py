"""The model-selection study on a tiny grid; the layering of the frames package."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sparsity_widgets.frames.induced import make_architecture


@pytest.mark.parametrize(
    "module",
    [
        "sparsity_widgets.frames",
        "sparsity_widgets.frames.coherence",
        "sparsity_widgets.frames.induced",
        "sparsity_widgets.frames.bounds",
        "sparsity_widgets.frames.conv",
        "sparsity_widgets.frames.conv_induced",
        "sparsity_widgets.frames.cli",
        "sparsity_widgets.widgets",
    ],
)
def test_frames_numerics_leave_torch_and_widgets_out(module):
    heavy = ("torch", "ipywidgets", "matplotlib")
    code = f"import sys, {module}; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_network_follows_the_architecture():
    torch = pytest.importorskip("torch")
    from sparsity_widgets.frames.study import build_network

    arch = make_architecture("residual", (6, 5, 5, 5))
    net = build_network(arch, 3)
    weights = sum(m.weight.numel() for m in net.linears.values())
    assert weights == arch.n_parameters
    assert net(torch.zeros(2, 6)).shape == (2, 3)


def test_tiny_study_runs_and_writes_json(tmp_path, capsys):
    pytest.importorskip("torch")
    from sparsity_widgets.frames import study

    tiny = study.StudySetting(depths=(3,), widths=(66,), max_iter=5, epochs=1)
    study.SETTINGS["tiny-test"] = tiny
    try:
        out = tmp_path / "study.json"
        assert study.main(["--setting", "tiny-test", "--out", str(out)]) == 0
    finally:
        del study.SETTINGS["tiny-test"]
    result = json.loads(out.read_text())
    assert [r["arch"] for r in result["rows"]] == ["chain", "residual", "dense"]
    assert result["rows"][0]["n_parameters"] == 64 * 66 + 2 * 66 * 66
    assert all(0.0 <= r["val_error"] <= 1.0 for r in result["rows"])
    assert all(np.isfinite(v) for v in result["correlations"].values())
    assert "Spearman" in capsys.readouterr().out


def test_summarize_matches_scipy():
    from scipy.stats import spearmanr

    from sparsity_widgets.frames.study import summarize

    rows = [
        {"min_frame_potential": f, "n_parameters": p, "val_error": e}
        for f, p, e in [(1e-3, 100, 0.3), (1e-4, 400, 0.2), (1e-5, 300, 0.25), (1e-6, 900, 0.1)]
    ]
    c = summarize(rows)
    # a rank correlation of 4 points takes values k / 10: default rel 1e-6 tells any two apart
    assert c["spearman_fp_error"] == pytest.approx(
        spearmanr([-3, -4, -5, -6], [0.3, 0.2, 0.25, 0.1])[0]
    )


def test_study_rejects_unknown_setting():
    pytest.importorskip("torch")
    from sparsity_widgets.frames.study import run_study

    with pytest.raises(ValueError, match="setting must be one of"):
        run_study("huge", progress=False)
