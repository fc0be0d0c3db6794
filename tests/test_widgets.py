"""The widgets of issue 5, driven without a browser: controls in, numbers and artists out.

Every widget is built on small data (a few hundred to 1 500 samples), its controls are set from
Python as a browser would set them, and the test checks what it computed against the package's
own functions and what it drew (titles, artists, cells). Moves that are not about a fit must
never fit: the tests make ``WaveletForest.fit`` raise and move them anyway.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from sparsity_widgets import WaveletForest, estimate_tau_star
from sparsity_widgets.datasets import make_synthetic
from sparsity_widgets.forest import WaveletForest as ForestClass
from sparsity_widgets.probe.result import LayerScore, ProbeResult, SeedRun
from sparsity_widgets.probe.score import ProbeSettings, score_layer
from sparsity_widgets.sawtooth import (
    probe_sawtooth_network,
    relu_network_forward,
    relu_network_layers,
    sawtooth,
    sawtooth_relu_network,
)
from sparsity_widgets.tau_star import curve_from_arrays
from sparsity_widgets.tree_partition import MTermGrid, mterm_cells, mterm_on_grid, tree_cells
from sparsity_widgets.widgets import (
    EpsilonExplorer,
    LayerPicker,
    SawtoothDemo,
    TreeWaveletViewer,
    compute_epsilon_state,
)


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def forest() -> WaveletForest:
    X, y = make_synthetic("circles", n_samples=1500, random_state=0)
    return WaveletForest(random_state=0).fit(X, y)


def _features(seed: int) -> list[tuple[str, str, np.ndarray]]:
    """Three 'layers' of a fake model: the input, a random lift, a squashed lift."""
    X, _ = make_synthetic("spiral", n_samples=600, random_state=1)
    rng = np.random.default_rng(seed)
    lift = X @ rng.normal(size=(2, 6))
    return [("input", "input", X), ("fc1", "linear", lift), ("act1", "activation", np.tanh(lift))]


@pytest.fixture(scope="module")
def probe_result() -> ProbeResult:
    """Two seeds, three layers, scored for real (no torch), with clustering and one UMAP."""
    from sparsity_widgets.separability import clustering_indices

    _, y = make_synthetic("spiral", n_samples=600, random_state=1)
    settings = ProbeSettings(max_depth=10)
    runs = []
    for seed in (3, 7):
        layers = []
        for name, kind, f in _features(seed):
            layers.append(score_layer(f, y, settings, name=name, kind=kind))
            # what ProbeSettings(clustering=True) records, with one k-means start (fast)
            layers[-1].clustering = clustering_indices(f, y, n_init=1).to_dict()
        runs.append(SeedRun(seed=seed, layers=layers, test_accuracy=0.5 + 0.1 * seed / 7))
    rng = np.random.default_rng(0)
    runs[0].layers[1].umap = {
        "indices": list(range(50)),
        "embedding": rng.normal(size=(50, 2)).round(4).tolist(),
        "labels": rng.integers(0, 2, 50).tolist(),
    }
    return ProbeResult(
        label="fake net",
        model="fake",
        dataset="spiral",
        settings={**settings.to_dict(), "n_samples": 600},
        runs=runs,
    )


@pytest.fixture
def no_fits(monkeypatch):
    """Make every further WaveletForest.fit raise."""

    def refuse(self, X, y):
        raise AssertionError("a widget refitted a forest where it must not")

    def arm():
        monkeypatch.setattr(ForestClass, "fit", refuse)

    return arm


# ---------------------------------------------------------------------- tau_star addition
def test_curve_from_arrays_reproduces_both_rules(forest):
    curve = forest.sparsity_curve()
    rebuilt = curve_from_arrays(
        curve.taus, curve.log_sparsity, curve.n_trees, curve.log_inverse_sum, curve.n_wavelets
    )
    # tau* is a mean of selected grid points: the same selection gives the same mean up to the
    # order of the adds, another moves it by >= 0.01 / 200 = 5e-5 relative (so too below)
    for rule in ("paper", "public-code"):
        a, b = estimate_tau_star(curve, rule), estimate_tau_star(rebuilt, rule)
        assert b.tau_star == pytest.approx(a.tau_star, rel=1e-12)
        np.testing.assert_array_equal(a.selected, b.selected)
    assert rebuilt.positive_norms.size == 0 and rebuilt.n_wavelets == curve.n_wavelets


def test_curve_from_arrays_rejects_bad_input(forest):
    curve = forest.sparsity_curve()
    with pytest.raises(ValueError, match=r"log_sparsity must be a NaN-free array .* \(200,\)"):
        curve_from_arrays(curve.taus, curve.log_sparsity[:5], 3)
    with pytest.raises(ValueError, match=r"log_inverse_sum must have the grid's shape"):
        curve_from_arrays(curve.taus, curve.log_sparsity, 3, log_inverse_sum=[1.0, 2.0])
    with pytest.raises(ValueError, match="n_trees must be an integer >= 1; got 0"):
        curve_from_arrays(curve.taus, curve.log_sparsity, 0)
    without = curve_from_arrays(curve.taus, curve.log_sparsity, 3)
    assert np.isnan(without.log_inverse_sum).all()
    with pytest.raises(ValueError, match="no finite angle"):
        estimate_tau_star(without, "public-code")


# ---------------------------------------------------------------------- epsilon explorer
def test_epsilon_explorer_matches_estimate_tau_star(forest):
    ex = EpsilonExplorer(forest)
    curve = forest.sparsity_curve()
    expected = estimate_tau_star(curve, "paper", 0.1, 0.4)
    assert ex.state.estimate.tau_star == expected.tau_star
    assert f"tau* = {expected.tau_star:.3f}" in ex.label.value
    assert f"alpha* = {expected.alpha_star:.3f}" in ex.label.value

    draws = ex.view.n_full_draws
    ex.controls["eps_low"].value = 0.2
    expected = estimate_tau_star(curve, "paper", 0.2, 0.4)
    assert ex.state.estimate.alpha_star == expected.alpha_star
    # an epsilon move redraws only what it changes, over the saved background
    assert ex.view.n_full_draws == draws and ex.view.n_blits >= 1
    ax_n, ax_a = ex.view.figure.axes
    assert ax_n.get_xlabel() == r"$\tau$" and ax_n.get_ylabel() == r"$\log N_\tau$"
    assert ax_a.get_ylabel() == "angle of the derivative [rad]"
    assert ax_n.collections[0].get_offsets().shape == (expected.selected.sum(), 2)
    np.testing.assert_allclose(
        ax_a.collections[0].get_offsets()[:, 0], expected.selected_taus, rtol=0, atol=0
    )
    # the artists hold the estimate's own floats: exact (default rel 1e-6 is slack)
    assert ax_a.patches[0].get_y() == pytest.approx(expected.window[0])
    assert ax_a.lines[1].get_xdata()[0] == pytest.approx(expected.tau_star)
    assert f"tau* = {expected.tau_star:.3f}" in ex.view.figure.texts[-1].get_text()
    assert ex.view.png.startswith(b"\x89PNG")

    ex.controls["rule"].value = "public-code"
    expected = estimate_tau_star(curve, "public-code", 0.2, 0.4)
    assert ex.state.estimate.tau_star == expected.tau_star
    assert ex.view.n_full_draws == draws + 1  # the angles (and their unit) changed
    assert ex.controls["eps_low"].description == "eps_low [deg]"
    assert ex.view.figure.axes[1].get_ylabel() == "angle of the derivative [deg]"
    assert "public-code rule" in ex.label.value


def test_epsilon_explorer_shows_bad_values_as_a_message(forest):
    ex = EpsilonExplorer(forest)
    ex.controls["eps_low"].value = 0.5
    ex.controls["eps_high"].value = 0.3
    assert ex.state.estimate is None
    assert "no estimate" in ex.label.value
    assert "eps_low must be smaller than eps_high" in ex.label.value
    assert "eps_low=0.5, eps_high=0.3" in ex.label.value
    assert "no tau* for this setting" in ex.view.figure._suptitle.get_text()
    # a window no angle reaches: the angles stay below -pi/2 + 1.45 on this forest
    ex.controls["eps_high"].value = 1.5
    ex.controls["eps_low"].value = 1.45
    assert ex.state.estimate is None and "no tau falls in the window" in ex.label.value
    # a tau range with fewer than 3 grid points
    ex.controls["eps_low"].value = 0.1
    ex.controls["eps_high"].value = 0.4
    assert ex.state.estimate is not None
    ex.controls["tau_range"].value = (1.0, 1.01)
    assert ex.state.estimate is None and "holds 1 grid point(s)" in ex.label.value
    ex.controls["tau_range"].value = (0.5, 1.8)
    # the grid is 1e-3 + 0.01 k rounded to 12 decimals: 1e-9 absorbs that rounding, not a step
    assert ex.state.estimate is not None and ex.state.estimate.taus.min() >= 0.5 - 1e-9


def test_epsilon_explorer_tau_range_restricts_the_grid(forest):
    ex = EpsilonExplorer(forest)
    ex.controls["tau_range"].value = (0.8, 1.6)
    curve = forest.sparsity_curve()
    keep = (curve.taus >= 0.8 - 1e-9) & (curve.taus <= 1.6 + 1e-9)  # as above: 12-decimal grid
    sub = curve_from_arrays(curve.taus[keep], curve.log_sparsity[keep], curve.n_trees)
    expected = estimate_tau_star(sub, "paper")
    assert ex.state.curve.taus.size == keep.sum()
    assert ex.state.estimate.tau_star == pytest.approx(expected.tau_star, rel=1e-12)
    # the state function alone: same answer, and an unknown rule is a programming error
    state = compute_epsilon_state(curve, "paper", 0.1, 0.4, (0.8, 1.6))
    assert state.estimate.tau_star == ex.state.estimate.tau_star
    with pytest.raises(ValueError, match="rule must be one of"):
        compute_epsilon_state(curve, "papr")


def test_epsilon_explorer_never_refits(forest, no_fits, monkeypatch):
    ex = EpsilonExplorer(forest)
    no_fits()

    def no_new_curve(self, taus=None):
        raise AssertionError("the explorer recomputed the forest's curve")

    monkeypatch.setattr(ForestClass, "sparsity_curve", no_new_curve)
    for low, high in [(0.05, 0.3), (0.2, 0.6), (0.15, 0.45)]:
        ex.controls["eps_low"].value = low
        ex.controls["eps_high"].value = high
        assert ex.state.estimate is not None
    ex.controls["rule"].value = "public-code"
    ex.controls["tau_range"].value = (0.3, 1.9)
    ex.controls["eps_low"].value = 0.3
    assert ex.state.estimate is not None and ex.state.rule == "public-code"


def test_epsilon_explorer_over_a_probe_result(probe_result, tmp_path):
    path = probe_result.to_json(tmp_path / "result.json")
    result = ProbeResult.from_json(path)
    ex = EpsilonExplorer(result, layer="fc1", seed=7)
    stored = result.runs[1].layers[1]
    # means of selected grid points (see test_curve_from_arrays_reproduces_both_rules)
    assert ex.state.estimate.tau_star == pytest.approx(stored.tau_star, rel=1e-9)
    assert "layer fc1, seed 7" in ex.view.figure._suptitle.get_text()
    ex.controls["seed"].value = 0
    assert ex.state.estimate.tau_star == pytest.approx(result.runs[0].layers[1].tau_star, rel=1e-9)
    ex.controls["layer"].value = 2
    assert "layer act1, seed 3" in ex.view.figure._suptitle.get_text()
    # the public-code rule from the JSON alone equals the rule on the forest's own curve
    _, y = make_synthetic("spiral", n_samples=600, random_state=1)
    features = _features(3)[2][2]
    refit = WaveletForest(max_depth=10, random_state=0).fit(features, y)
    ex.controls["rule"].value = "public-code"
    expected = refit.estimate("public-code", 0.1, 0.4)
    assert ex.state.estimate.tau_star == pytest.approx(expected.tau_star, rel=1e-9)


def test_epsilon_explorer_over_a_layer_score(probe_result):
    score = probe_result.runs[0].layers[0]
    with pytest.raises(ValueError, match="n_trees must be given with a LayerScore"):
        EpsilonExplorer(score)
    ex = EpsilonExplorer(score, n_trees=3)
    assert "layer" not in ex.controls
    assert ex.state.estimate.tau_star == pytest.approx(score.tau_star, rel=1e-9)
    old = LayerScore.from_dict({**score.to_dict(), "log_inverse_sum": None})
    ex = EpsilonExplorer(old, n_trees=3, rule="public-code")
    assert ex.state.estimate is None and "log_inverse_sum" in ex.label.value
    with pytest.raises(ValueError, match=r"eps_high must lie in \[0, 1.5\] rad .* got 2"):
        EpsilonExplorer(score, n_trees=3, eps_high=2)
    with pytest.raises(ValueError, match="source must be a fitted WaveletForest"):
        EpsilonExplorer([1, 2, 3])
    with pytest.raises(ValueError, match=r"layer must be one of \['input', 'fc1', 'act1'\]"):
        EpsilonExplorer(probe_result, layer="fc9")


# ---------------------------------------------------------------------- layer picker
def test_layer_picker_follows_dropdown_and_strip(probe_result, tmp_path):
    path = probe_result.to_json(tmp_path / "result.json")
    picker = LayerPicker(path)  # from result.json
    assert picker.state.name == "input" and len(picker.layer_buttons) == 3
    alpha = probe_result.values()[:, 0]
    assert f"alpha* = {alpha.mean():.3f}" in picker.label.value
    ax = picker.curve_view.figure.axes[0]
    assert "alpha* per layer" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["input", "fc1", "act1"]

    picker.layer_buttons[1].click()  # the strip under the curve
    assert picker.controls["layer"].value == 1 and picker.state.name == "fc1"
    assert picker.layer_buttons[1].button_style == "warning"
    assert picker.layer_buttons[0].button_style == ""
    # the highlight moved; the curve was drawn once and is blitted since
    assert picker.curve_view.n_full_draws == 1 and picker.curve_view.n_blits == 1
    band = picker._curve.band
    assert band.get_x() == pytest.approx(0.5)  # layer index 1 - 0.5: exact
    ax_curves, ax_umap = picker.layer_view.figure.axes[:2]
    assert len([ln for ln in ax_curves.lines if ln.get_linestyle() == "-"]) == 2  # one per seed
    assert "layer fc1" in ax_curves.get_title()
    assert ax_umap.collections[0].get_offsets().shape == (50, 2)  # seed 3 has a picture
    assert ax_umap.get_xlabel() == "UMAP 1"

    picker.controls["seed"].value = 1  # seed 7 has none
    texts = " ".join(t.get_text() for t in picker.layer_view.figure.axes[1].texts)
    assert "no UMAP picture" in texts.replace("\n", " ")

    picker.controls["layer"].value = 2  # the dropdown
    assert picker.state.name == "act1"
    table = picker.table.value
    clustering = probe_result.runs[0].layers[2].clustering
    assert f"{clustering['adjusted_rand']:.3f}" in table and "seed 7" in table


def test_layer_picker_notes_missing_clustering_and_rejects_bad_input(probe_result):
    bare = ProbeResult.from_dict(json.loads(json.dumps(probe_result.to_dict())))
    for run in bare.runs:
        for layer in run.layers:
            layer.clustering = None
    picker = LayerPicker(bare, layer="act1", seed=7)
    assert "no clustering indices" in picker.table.value
    assert picker.state.seeds[picker.state.seed_index] == 7
    with pytest.raises(ValueError, match=r"layer must be one of \['input', 'fc1', 'act1'\]"):
        LayerPicker(bare, layer="conv1")
    with pytest.raises(ValueError, match=r"seed must be one of the result's seeds \[3, 7\]"):
        LayerPicker(bare, seed=5)
    with pytest.raises(ValueError, match="result must be a ProbeResult or the path"):
        LayerPicker(42)
    with pytest.raises(FileNotFoundError, match="no probe result at"):
        LayerPicker("/nonexistent/result.json")


# ---------------------------------------------------------------------- tree viewer
def test_tree_cells_tile_the_bounding_box():
    X, y = make_synthetic("blocks", n_samples=800, random_state=2)
    forest = WaveletForest(n_trees=2, max_depth=6, bootstrap=False, random_state=0).fit(X, y)
    for tree in (0, 1):
        cells = tree_cells(forest, tree)
        leaves = cells.is_leaf
        # areas are products of differences of thresholds, summed over <= 64 leaves: ~64 eps
        # relative (default rel 1e-6); the bounds are copies of X's extremes; 1e-12 absolute
        # only admits points on a cell's edge, thresholds and X lying in [0, 1]-sized ranges
        assert cells.area[leaves].sum() == pytest.approx(cells.area[0])
        np.testing.assert_allclose(cells.lower[0], X.min(axis=0))
        np.testing.assert_allclose(cells.upper[0], X.max(axis=0))
        # every training point lies in the cell of the leaf it reaches
        leaf = forest.apply(X)[:, tree] - cells.nodes[0]
        inside = (X >= cells.lower[leaf] - 1e-12) & (X <= cells.upper[leaf] + 1e-12)
        assert inside.all()
    grid = MTermGrid(forest, (0.0, 1.0, 0.0, 1.0), 30)
    for m in (0, 5, None):
        # sums of <= 7 wavelet terms of size <= 1 per tree, in another order: ~1e-15 absolute
        np.testing.assert_allclose(
            grid.values(m), mterm_on_grid(forest, m, (0.0, 1.0, 0.0, 1.0), 30), atol=1e-12
        )
    np.testing.assert_array_equal(mterm_cells(forest, 4), forest._wavelet_order()[:4])
    X3 = np.random.default_rng(0).random((50, 3))
    three = WaveletForest(n_trees=1, max_depth=3).fit(X3, (X3[:, 0] > 0.5).astype(int))
    with pytest.raises(ValueError, match="fitted on 2 features; got 3"):
        tree_cells(three)
    with pytest.raises(ValueError, match=r"tree must be in \[0, 1\]; got 2"):
        tree_cells(forest, 2)


def test_tree_viewer_m_slider_never_refits(no_fits):
    viewer = TreeWaveletViewer("spiral", n_samples=600, depth=5, n_terms=3)
    fit = viewer.fit
    assert viewer.n_fits == 1 and viewer.mterm.n_terms == 3
    ax_p, ax_m, ax_e = viewer.view.figure.axes[:3]  # then the two colorbars
    assert len(ax_p.collections[0].get_paths()) == fit.cells.n_leaves
    assert ax_m.get_xlabel() == "x1" and ax_m.get_ylabel() == "x2"
    assert ax_e.get_xlabel().startswith("M (wavelets kept")
    no_fits()
    errors = {}
    for m in (0, 3, fit.n_wavelets // 2, fit.n_wavelets):
        viewer.controls["n_terms"].value = m
        errors[m] = viewer.mterm.error
        # the same M-term curve (default rel 1e-6: any other M differs by far more)
        assert viewer.mterm.error == pytest.approx(fit.forest.mterm_curve().error[m])
        # the outlined cells are the M kept wavelets, all in this one tree
        assert len(viewer._artists.outlines.get_paths()) == m
        assert f"M = {m}" in viewer.label.value and f"RMSE {errors[m]:.4f}" in viewer.label.value
    values = list(errors.values())
    assert all(a > b for a, b in itertools.pairwise(values)), errors
    assert viewer.n_fits == 1 and viewer.view.n_full_draws == 1
    # the picture of f_M is the forest's own M-term prediction
    m = fit.n_wavelets // 2
    viewer.controls["n_terms"].value = m
    x_min, x_max, y_min, y_max = fit.bounds
    corner = fit.forest.predict(np.array([[x_min, y_min], [x_max, y_max]]), n_terms=m)
    # the forest's own prediction at the grid's corners: round-off only (default rel 1e-6)
    assert viewer.mterm.grid[0, 0] == pytest.approx(corner[0, 1])
    assert viewer.mterm.grid[-1, -1] == pytest.approx(corner[1, 1])


def test_tree_viewer_fit_controls_refit():
    viewer = TreeWaveletViewer("circles", n_samples=500, depth=3, n_terms=100)
    shallow = viewer.fit.n_wavelets
    assert viewer.mterm.n_terms == shallow  # M is clipped to the wavelets there are
    viewer.controls["depth"].value = 7
    assert viewer.n_fits == 2 and viewer.fit.n_wavelets > shallow
    assert viewer.controls["n_terms"].max == viewer.fit.n_wavelets
    viewer.controls["n_samples"].value = 800
    assert viewer.n_fits == 3 and viewer.fit.X.shape == (800, 2)
    viewer.controls["dataset"].value = "gaussian-quantiles"
    assert viewer.n_fits == 4 and viewer.fit.dataset == "gaussian-quantiles"
    assert viewer.controls["noise"].value == 0.0
    assert "gaussian-quantiles: n = 800" in viewer.view.figure._suptitle.get_text()


def test_tree_viewer_takes_user_points():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    viewer = TreeWaveletViewer(X=X, y=y, depth=4)
    assert viewer.fit.dataset == "your points"
    assert viewer.controls["noise"].disabled and viewer.controls["n_samples"].disabled
    np.testing.assert_array_equal(viewer.fit.X, X)
    with pytest.raises(ValueError, match=r"dataset must be one of \['spiral'"):
        TreeWaveletViewer("moons")


# ---------------------------------------------------------------------- sawtooth demo
def test_sawtooth_network_layers_realise_lambda_exactly():
    for j in (1, 3, 6):
        network = sawtooth_relu_network(j)
        x = np.concatenate(
            [np.linspace(0, 1, 2 ** (j + 5) + 1), np.random.default_rng(j).random(999)]
        )
        outputs = relu_network_layers(network, x)
        # each hat doubles its input's error: <= 2^(j + 2) eps ~ 6e-14 at j = 6 (see
        # test_sawtooth.py); absolute, Lambda_k is 0 at its knots
        assert len(outputs) == 2 * j and [o.shape[1] for o in outputs[:2]] == [3, 1]
        assert np.max(np.abs(outputs[-1][:, 0] - sawtooth(x, j))) <= 1e-12
        # the output of block k is Lambda_k
        for k in range(1, j + 1):
            assert np.max(np.abs(outputs[2 * k - 1][:, 0] - sawtooth(x, k))) <= 1e-12
        np.testing.assert_array_equal(relu_network_forward(network, x), outputs[-1][:, 0])


def test_sawtooth_demo_numbers_and_caching():
    demo = SawtoothDemo(j=3, n_samples=800)
    state = demo.state
    probe = state.probe
    assert probe.n_teeth == 4 and probe.max_error <= 1e-12  # 2^(j + 2) eps, as above
    assert probe.layer_names == ["input", *[f"layer {k}" for k in range(1, 7)]]
    assert probe.widths == [1, 3, 1, 3, 1, 3, 1]
    np.testing.assert_array_equal(state.alpha_stars, probe.alpha_stars("paper"))
    assert state.alpha_stars[-1] > state.alpha_stars[0]  # smoother at the output
    # log2 of the semi-norms lies exactly on a line of slope alpha up to round-off (see
    # test_besov_seminorm_grows_like_2_pow_j_alpha; measured 0 and 2e-16)
    assert state.besov.slope == pytest.approx(0.5, rel=0, abs=1e-9)
    ax_s = demo.views["sawtooth"].figure.axes[0]
    assert "4 teeth" in ax_s.get_title() and ax_s.get_xlabel() == "x"
    ax_a = demo.views["alpha"].figure.axes[0]
    assert ax_a.get_ylabel() == "alpha*" and "paper rule" in ax_a.get_title()
    assert [t.get_text() for t in ax_a.get_xticklabels()] == ["in", "1", "2", "3", "4", "5", "6"]
    assert "max error" in demo.label.value

    draws = {k: v.n_full_draws for k, v in demo.views.items()}
    demo.controls["rule"].value = "public-code"
    demo.controls["alpha"].value = 0.3
    assert demo.n_probes == 1  # neither refits
    assert demo.state.besov.slope == pytest.approx(0.3, rel=0, abs=1e-9)
    np.testing.assert_array_equal(demo.state.alpha_stars, probe.alpha_stars("public-code"))
    assert demo.views["sawtooth"].n_full_draws == draws["sawtooth"]  # untouched panel
    assert "public-code rule" in demo.views["alpha"].figure.axes[0].get_title()

    demo.controls["j"].value = 2
    assert demo.n_probes == 2 and demo.state.probe.n_teeth == 2
    demo.controls["j"].value = 3
    assert demo.n_probes == 2 and demo.state.probe is probe  # cached


def test_probe_sawtooth_network_validates():
    with pytest.raises(ValueError, match="target must be one of 'labels', 'values'; got 'vals'"):
        probe_sawtooth_network(2, 100, target="vals")
    with pytest.raises(ValueError, match="j must be at most 20"):
        probe_sawtooth_network(21)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 16; got 8"):
        probe_sawtooth_network(2, 8)
    values = probe_sawtooth_network(2, 300, target="values")
    assert values.target == "values" and len(values.curves) == 5
    with pytest.raises(ValueError, match=r"j must lie in \[1, max_j=8\]; got 9"):
        SawtoothDemo(j=9)


def test_new_numerics_leave_plotting_and_torch_out():
    code = (
        "import json, sys, sparsity_widgets.tree_partition, sparsity_widgets.sawtooth\n"
        "print(json.dumps([m for m in ('torch', 'ipywidgets', 'matplotlib') if m in sys.modules]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(proc.stdout) == []
