"""Controlled scores of a layer (sparsity_widgets.probe.baseline): the known-truth test, the
probe's settings, the JSON, the plot, the widget and the command line."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import pdist

from sparsity_widgets.probe.baseline import (
    BASELINES,
    ControlledAlpha,
    controlled_alpha,
    haar_frame,
    haar_rotation,
)
from sparsity_widgets.probe.result import LayerScore, ProbeResult, SavedResultError, SeedRun
from sparsity_widgets.probe.score import ProbeSettings, score_layer

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------- the known truth
# One 2-D set, two classes split by a smooth curve, mapped into 2..512 columns by maps that add
# no information: the identity (the set's own axes), random orthogonal maps (a rotation at
# width 2, isometric embeddings above) and random Gaussian maps (near-isometries up to scale
# at width >= 16; a 2 x 2 Gaussian map is a general linear map, which changes the geometry,
# so it is left out).
N, REPEATS, COMMON_WIDTH = 2000, 5, 32
MAPS = (("axes", 2), ("orthogonal", 2), ("orthogonal", 16), ("orthogonal", 512))
MAPS += (("gaussian", 16), ("gaussian", 512))


def curve_set(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in the unit square; class 1 right of x1 = 0.5 + 0.15 sin(2 pi x2)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(N, 2))
    y = (X[:, 0] > 0.5 + 0.15 * np.sin(2 * np.pi * X[:, 1])).astype(np.int64)
    return X, y


def mapped(X: np.ndarray, how: str, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(1000 + seed)
    if how == "axes":
        return X
    if how == "gaussian":
        return X @ rng.standard_normal((2, width))
    return X @ haar_rotation(width, rng)[:2]


def known_truth_table(seed: int) -> dict[str, np.ndarray]:
    """Every score of the curve set under every map, shape (len(MAPS),) per score."""
    X, y = curve_set(seed)
    table: dict[str, list[float]] = {
        "raw": [],
        "rotation (own width)": [],
        "permuted-labels": [],
        "rotation (common width)": [],
        "rotation-permuted (common width)": [],
    }
    common = {"repeats": REPEATS, "random_state": seed, "n_jobs": 1}
    for how, width in MAPS:
        Z = mapped(X, how, width, seed)
        both = controlled_alpha(Z, y, kind="rotation-permuted", width=COMMON_WIDTH, **common)
        raw = both.raw
        table["raw"].append(raw)
        # the same draws: rotation-permuted's rotated copies are those of "rotation"
        table["rotation (common width)"].append(float(np.mean(both.rotated)))
        table["rotation-permuted (common width)"].append(both.score)
        for kind, label in (("rotation", "rotation (own width)"), ("permuted-labels",) * 2):
            table[label].append(controlled_alpha(Z, y, kind=kind, raw_alpha=raw, **common).score)
    return {key: np.array(values) for key, values in table.items()}


@pytest.fixture(scope="module")
def known_truth() -> dict[str, np.ndarray]:
    return known_truth_table(0)


def spread(values: np.ndarray) -> float:
    return float(values.max() - values.min())


# The tolerances below come from known_truth_table(seed) for seeds 0-7 (this configuration;
# the test runs seed 0); "range" is max - min over the six maps.


def test_raw_alpha_moves_with_the_basis_and_the_width(known_truth):
    # Measured: range of raw alpha* 0.066-0.084 (seed 0: 0.077); lowest in the set's own axes
    # (0.34-0.35), highest at 512 columns (0.40-0.42): raw[orthogonal 512] - raw[axes]
    # 0.054-0.073.
    raw = known_truth["raw"]
    assert spread(raw) > 0.05
    assert raw[MAPS.index(("orthogonal", 512))] - raw[0] > 0.04


def test_only_a_common_width_makes_the_level_flat(known_truth):
    # Measured: range of the rotation score at the common width 0.002-0.018 (seed 0: 0.002),
    # of rotation-permuted at the common width 0.008-0.031 (seed 0: 0.028).
    assert spread(known_truth["rotation (common width)"]) < 0.025
    assert spread(known_truth["rotation-permuted (common width)"]) < 0.04


def test_rotation_at_own_width_and_the_label_null_keep_the_width_effect(known_truth):
    # Measured: range of the rotation score at each map's own width 0.052-0.072 (2 columns
    # score below 16 or 512), of permuted-labels 0.053-0.099 (raw alpha*'s effects minus a
    # null that stays at 0.20-0.22 over the maps).
    assert spread(known_truth["rotation (own width)"]) > 0.04
    assert spread(known_truth["permuted-labels"]) > 0.04


# ---------------------------------------------------------------------- the numerics
def test_haar_rotation_is_orthogonal_seeded_and_uniform():
    q = haar_rotation(7, np.random.default_rng(3))
    np.testing.assert_allclose(q.T @ q, np.eye(7), atol=1e-12)
    np.testing.assert_array_equal(q, haar_rotation(7, np.random.default_rng(3)))
    embed = haar_frame(3, 8, np.random.default_rng(1))  # orthonormal rows: an isometry
    project = haar_frame(8, 3, np.random.default_rng(1))  # orthonormal columns
    assert embed.shape == (3, 8) and project.shape == (8, 3)
    np.testing.assert_allclose(embed @ embed.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(project.T @ project, np.eye(3), atol=1e-12)
    X = np.random.default_rng(2).standard_normal((20, 3))
    np.testing.assert_allclose(pdist(X @ embed), pdist(X), rtol=1e-10)
    # Haar at width 2: the first column's angle is uniform on [0, 2 pi). Without the sign fix
    # (numpy's QR alone) the same 500 draws give a Kolmogorov-Smirnov p-value below 1e-20.
    rng = np.random.default_rng(0)
    angles = [np.arctan2(*haar_rotation(2, rng)[::-1, 0]) % (2 * np.pi) for _ in range(500)]
    assert stats.kstest(np.array(angles) / (2 * np.pi), "uniform").pvalue > 1e-3


def test_the_numerics_leave_torch_and_plotting_out():
    code = (
        "import sys, sparsity_widgets.probe.baseline, sparsity_widgets.probe.score; "
        "print(sorted(m for m in ('torch', 'matplotlib', 'ipywidgets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_repeats_are_nested_and_kinds_share_their_draws():
    X, y = curve_set(1)
    X = X[:600] @ haar_rotation(2, np.random.default_rng(0))
    y = y[:600]
    short = controlled_alpha(X, y, kind="rotation", repeats=2, n_jobs=1)
    longer = controlled_alpha(X, y, kind="rotation", repeats=3, n_jobs=1)
    both = controlled_alpha(X, y, kind="rotation-permuted", repeats=2, n_jobs=1)
    null = controlled_alpha(X, y, kind="permuted-labels", repeats=2, n_jobs=1)
    assert longer.rotated[:2] == short.rotated
    assert both.rotated == short.rotated and both.raw == short.raw == null.raw
    np.testing.assert_allclose(both.values, np.array(both.rotated) - np.array(both.null))
    np.testing.assert_allclose(null.values, null.raw - np.array(null.null))
    assert short.score == pytest.approx(np.mean(short.rotated))
    assert short.spread == pytest.approx(np.std(short.rotated))
    assert short.null is None and null.rotated is None
    assert short.width == 2 and both.width == 2 and null.width == 2
    wide = controlled_alpha(X, y, kind="rotation", repeats=1, width=5, n_jobs=1)
    assert wide.width == 5
    # permuted labels carry no structure: the null sits below the true labels' alpha*
    assert max(null.null) < null.raw
    assert controlled_alpha(X, y, kind="rotation", repeats=1, raw_alpha=0.5).raw == 0.5


def test_bad_input_names_the_parameter():
    X, y = curve_set(0)
    with pytest.raises(ValueError, match=r"kind must be one of 'rotation'.*got 'rotate'"):
        controlled_alpha(X, y, kind="rotate")
    with pytest.raises(ValueError, match=r"repeats must be an integer >= 1; got 0"):
        controlled_alpha(X, y, kind="rotation", repeats=0)
    with pytest.raises(ValueError, match=r"width must be an integer >= 1; got 0"):
        controlled_alpha(X, y, kind="rotation", width=0)
    with pytest.raises(ValueError, match="width is used only by the kinds that rotate"):
        controlled_alpha(X, y, kind="permuted-labels", width=8)
    with pytest.raises(ValueError, match=r"random_state must be an integer >= 0; got -1"):
        controlled_alpha(X, y, kind="rotation", random_state=-1)
    with pytest.raises(ValueError, match=r"X must be 2-D"):
        controlled_alpha(X[:, 0], y, kind="rotation")
    with pytest.raises(ValueError, match=r"y must have shape \(n_samples,\) = \(2000,\)"):
        controlled_alpha(X, y[:10], kind="rotation")
    with pytest.raises(ValueError, match=r"baseline must be one of .*got 'rotations'"):
        ProbeSettings(baseline="rotations")
    with pytest.raises(ValueError, match=r"baseline_repeats must be an integer >= 1; got 0"):
        ProbeSettings(baseline="rotation", baseline_repeats=0)
    with pytest.raises(ValueError, match=r"baseline_width must be an integer >= 1; got 0"):
        ProbeSettings(baseline="rotation", baseline_width=0)
    with pytest.raises(ValueError, match="used only with a baseline; got baseline=None"):
        ProbeSettings(baseline_repeats=3)
    with pytest.raises(ValueError, match="baseline_width is used only by the baselines that"):
        ProbeSettings(baseline="permuted-labels", baseline_width=64)


# ---------------------------------------------------------------------- the probe and its JSON
TODAY_SETTINGS = {  # ProbeSettings().to_dict() before the baseline fields existed
    "n_trees": 3,
    "max_depth": 15,
    "max_features": None,
    "norm_weight": "samples",
    "rule": "paper",
    "eps_low": None,
    "eps_high": None,
    "max_width": 2500,
    "reduction": "sparse",
    "clustering": False,
    "linear_probe": False,
    "umap_samples": 0,
    "random_state": 0,
    "n_jobs": None,
    "builder": "numba",
}
TODAY_LAYER_KEYS = [  # LayerScore.to_dict() keys before the baseline field existed
    "name",
    "kind",
    "width",
    "scored_width",
    "reduction",
    "tau_star",
    "alpha_star",
    "taus",
    "log_sparsity",
    "selected_taus",
    "n_wavelets",
    "seconds",
    "log_inverse_sum",
    "clustering",
    "linear_probe_accuracy",
    "umap",
    "error",
]


def _layer_features(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    X, y = curve_set(seed)
    X, y = X[:800], y[:800]
    return np.tanh(X @ np.random.default_rng(seed).standard_normal((2, 12))), y


def test_no_baseline_leaves_settings_and_scores_as_they_were():
    assert ProbeSettings().to_dict() == TODAY_SETTINGS
    assert ProbeSettings.from_dict(TODAY_SETTINGS) == ProbeSettings()
    X, y = _layer_features()
    plain = score_layer(X, y, ProbeSettings(max_depth=10))
    assert plain.baseline is None and list(plain.to_dict()) == TODAY_LAYER_KEYS
    settings = ProbeSettings(max_depth=10, baseline="rotation-permuted", baseline_repeats=2)
    controlled = score_layer(X, y, settings)
    # the control runs after the raw score and leaves it bit for bit as it was
    raw_part = {k: v for k, v in controlled.to_dict().items() if k not in ("baseline", "seconds")}
    assert raw_part == {k: v for k, v in plain.to_dict().items() if k != "seconds"}
    record = controlled.baseline
    assert record["kind"] == "rotation-permuted" and record["repeats"] == 2
    assert record["width"] == 12 and len(record["rotated"]) == len(record["null"]) == 2
    again = controlled_alpha(X, y, kind="rotation-permuted", repeats=2, max_depth=10)
    assert record["score"] == pytest.approx(again.score) and again.raw == plain.alpha_star
    assert settings.to_dict() == {
        **TODAY_SETTINGS,
        "max_depth": 10,
        "baseline": "rotation-permuted",
        "baseline_repeats": 2,
        "baseline_width": None,
    }
    assert ProbeSettings.from_dict(settings.to_dict()) == settings


def _result(with_baseline: bool) -> ProbeResult:
    X, y = _layer_features()
    settings = ProbeSettings(max_depth=8)
    if with_baseline:
        settings = ProbeSettings(
            max_depth=8, baseline="rotation-permuted", baseline_repeats=2, baseline_width=16
        )
    runs = []
    for seed in (0, 1):
        layers = [
            score_layer(X[:, :2], y, settings, name="input", kind="input"),
            score_layer(X + 0.01 * seed, y, settings, name="fc", kind="linear"),
        ]
        runs.append(SeedRun(seed=seed, layers=layers, test_accuracy=0.9))
    return ProbeResult("toy", "toy", "curve", settings.to_dict(), runs)


@pytest.fixture(scope="module")
def controlled_result() -> ProbeResult:
    return _result(True)


@pytest.fixture(scope="module")
def plain_result() -> ProbeResult:
    return _result(False)


def test_json_round_trip_with_and_without_the_field(controlled_result, plain_result, tmp_path):
    controlled_result = ProbeResult.from_dict(controlled_result.to_dict())  # a copy
    controlled_result.runs[1].layers[0].baseline["rotated"][0] = None  # a failed estimate
    for result in (controlled_result, plain_result):
        path = result.to_json(tmp_path / "result.json")
        back = ProbeResult.from_json(path)
        assert back == result and back.to_dict() == result.to_dict()
        text = path.read_text()
        assert ('"baseline"' in text) == (result is controlled_result)
    assert controlled_result.baseline == {"kind": "rotation-permuted", "repeats": 2, "width": 16}
    assert plain_result.baseline is None
    scores = controlled_result.values("baseline.score")
    assert scores.shape == (2, 2) and np.isfinite(scores).all()
    assert np.isnan(plain_result.values("baseline.score")).all()
    table = controlled_result.format_table()
    assert "controlled: rotation-permuted, 2 repeat(s)" in table and "controlled" in table
    assert "controlled" not in plain_result.format_table()


def test_old_result_files_load_without_the_field():
    # a study result written before the field existed, read as it is in the repository
    study = json.loads((ROOT / "book/results/mnist1d-quick/activations.json").read_text())
    old = study["results"][0]
    result = ProbeResult.from_dict(old)
    assert all(layer.baseline is None for run in result.runs for layer in run.layers)
    assert result.to_dict() == old  # read and written back, nothing added
    assert result.baseline is None
    known = {k: v for k, v in old["settings"].items() if k in TODAY_SETTINGS}
    assert ProbeSettings.from_dict(known).baseline is None


def test_damaged_baseline_records_are_named(controlled_result):
    good = controlled_result.to_dict()
    cases = [
        (("kind",), "rotate", r"baseline\.kind: expected one of 'rotation'"),
        (("rotated",), [0.1], r"baseline\.rotated: expected 2 item\(s\), as many as repeats"),
        (("null",), None, r"baseline\.null: expected a list of 2 alpha\* for kind"),
        (("score",), "x", r"baseline\.score: expected a finite number or null"),
        (("extra",), 1, r"baseline"),
    ]
    for (key,), value, message in cases:
        data = json.loads(json.dumps(good))
        data["runs"][0]["layers"][1]["baseline"][key] = value
        with pytest.raises(SavedResultError, match=r"runs\[0\]\.layers\[1\]\." + message):
            ProbeResult.from_dict(data)
    # LayerScore alone reads the same record
    layer = LayerScore.from_dict(good["runs"][0]["layers"][0])
    assert layer.baseline == controlled_result.runs[0].layers[0].baseline


def test_controlled_alpha_to_dict_writes_nan_as_null():
    record = ControlledAlpha("rotation", 2, 4, 0, 0.3, math.nan, math.nan, (math.nan, 0.2), None)
    assert record.to_dict() == {
        "kind": "rotation",
        "repeats": 2,
        "width": 4,
        "random_state": 0,
        "score": None,
        "spread": None,
        "rotated": [None, 0.2],
        "null": None,
    }
    assert set(BASELINES) == {"rotation", "permuted-labels", "rotation-permuted"}


# ---------------------------------------------------------------------- the plot and the widget
def _labelled_curves(ax) -> list:
    return [line for line in ax.lines if not line.get_label().startswith("_")]


def test_plot_draws_raw_and_controlled_curves(controlled_result, plain_result):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sparsity_widgets.probe.plots import plot_alpha_per_layer

    ax = plot_alpha_per_layer([controlled_result, plain_result])
    curves = _labelled_curves(ax)
    assert [c.get_label() for c in curves] == [
        "toy (test acc 0.900 ± 0.000): raw α*",
        "controlled α* (rotation-permuted, 2 repeats, width 16)",
        "toy (test acc 0.900 ± 0.000)",
    ]
    assert [c.get_linestyle() for c in curves] == ["-", "--", "-"]
    np.testing.assert_allclose(curves[1].get_ydata(), controlled_result.mean("baseline.score"))
    assert ax.get_ylabel() == "raw and controlled α* (mean ± std over 2 seeds)"
    plt.close(ax.figure)
    ax = plot_alpha_per_layer(controlled_result, controlled=False)
    assert len(_labelled_curves(ax)) == 1
    plt.close(ax.figure)
    with pytest.raises(ValueError, match=r"controlled=True needs a controlled score.*'toy'"):
        plot_alpha_per_layer(plain_result, controlled=True)
    with pytest.raises(ValueError, match="controlled must be one of"):
        plot_alpha_per_layer(plain_result, controlled="yes")


def test_layer_picker_shows_the_controlled_score(controlled_result, plain_result, tmp_path):
    pytest.importorskip("ipywidgets")
    from sparsity_widgets.widgets import LayerPicker

    picker = LayerPicker(controlled_result.to_json(tmp_path / "result.json"), layer="fc")
    scores = controlled_result.values("baseline.score")[:, 1]
    label = picker.label.value
    assert "controlled alpha* (rotation-permuted, 2 repeat(s), width 16)" in label
    assert f"{scores.mean():.3f} &plusmn; {scores.std():.3f}</b> over 2 seed(s)" in label
    np.testing.assert_array_equal(picker.state.controlled, scores)
    assert len(_labelled_curves(picker.curve_view.figure.axes[0])) == 2
    bare = LayerPicker(plain_result)
    assert bare.state.controlled is None and "controlled" not in bare.label.value
    assert len(_labelled_curves(bare.curve_view.figure.axes[0])) == 1


# ---------------------------------------------------------------------- the command line
def test_probe_command_line_options(tmp_path, capsys):
    pytest.importorskip("torch")
    from sparsity_widgets.cli import _build_parser, main
    from sparsity_widgets.studies.cli import _probe_settings

    parser = _build_parser()
    options = ["--baseline", "rotation-permuted", "--baseline-repeats", "2"]
    options += ["--baseline-width", "64"]
    args = parser.parse_args(["probe", "--model", "mlp", *options, "--out", str(tmp_path / "a")])
    settings = _probe_settings(args)
    assert (settings.baseline, settings.baseline_repeats, settings.baseline_width) == (
        "rotation-permuted",
        2,
        64,
    )
    args = parser.parse_args(["probe", "--model", "mlp", "--out", str(tmp_path / "b")])
    assert _probe_settings(args) == ProbeSettings(n_jobs=args.n_jobs)
    # a lone --baseline-repeats fails at once, before any training
    argv = ["probe", "--model", "mnist1d-cnn", "--baseline-repeats", "2"]
    assert main([*argv, "--out", str(tmp_path / "c")]) == 2
    assert "--baseline-repeats needs --baseline KIND" in capsys.readouterr().err
    assert not (tmp_path / "c" / "runs").exists()
    with pytest.raises(SystemExit):
        parser.parse_args(["probe", "--baseline", "rotations"])
    assert "invalid choice: 'rotations'" in capsys.readouterr().err
