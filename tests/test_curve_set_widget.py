"""The curve-set picker (issue 17): its twin against the package's estimates, its Python side,
bad input, and its view in Chromium (a move of each control shows Python's numbers).

The JavaScript model itself is compared with the twin by the generic parity test
(``tests/test_widgets_static.py::test_every_twin_matches_its_javascript``, ``curve_set.py``'s
cases). About 10 s.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from widget_pages import render_with_stand_in

from sparsity_widgets import WaveletForest
from sparsity_widgets.datasets import make_synthetic
from sparsity_widgets.probe.result import ProbeResult
from sparsity_widgets.tau_star import DEFAULT_EPSILONS, estimate_tau_star
from sparsity_widgets.widgets.browser.curve_set import curve_set_shown

pytest.importorskip("anywidget")

from sparsity_widgets.widgets.curve_set import CurveSet

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "book" / "results"
#: saved files with layer curves (a probe result, or a study's list of them) and a variant each
SAVED = [
    ("controlled-quick/relu.json", None),
    ("mnist1d-quick/activations.json", "relu"),
    ("good-bad-quick/good-bad.json", "conv/linear alternating (bad)"),
    ("vgg-depth-quick/vgg-depth.json", "VGG-19"),
    ("phase-retrieval-quick/phase-retrieval.json", 0),
]


@pytest.fixture(scope="module")
def noise_forests() -> list[WaveletForest]:
    X, y = make_synthetic("spiral", n_samples=1000, random_state=0)
    u = np.random.default_rng(0).random(y.shape[0])
    return [
        WaveletForest(random_state=0).fit(X, np.where(u < p, 1 - y, y)) for p in (0.0, 0.2, 0.5)
    ]


def test_twin_gives_the_saved_alpha_of_every_layer_and_seed():
    """At the probe's own window the re-estimate is the saved one (measured: equal to 1e-16)."""
    n_layers = 0
    for name, variant in SAVED:
        for seed in (0, 1, 2):
            widget = CurveSet.from_saved(RESULTS / name, variant=variant, seed=seed)
            assert widget.rule == "paper"
            assert (widget.eps_low, widget.eps_high) == DEFAULT_EPSILONS["paper"]
            saved = [m["extras"]["saved alpha*"] for m in widget.members]
            np.testing.assert_allclose(widget.result["alpha_stars"], saved, rtol=0, atol=1e-12)
            assert widget.result["missing"] == []
            n_layers += len(saved)
    assert n_layers > 100


def test_twin_matches_estimate_tau_star(noise_forests):
    curves = [f.sparsity_curve() for f in noise_forests]
    widget = CurveSet.from_curves(["p=0", "p=0.2", "p=0.5"], noise_forests, [0, 0.2, 0.5], "p")
    for rule, windows in (
        ("paper", ((0.1, 0.4), (0.05, 0.3), (0.3, 1.0))),
        ("public-code", ((0.1, 0.4), (1.0, 3.0))),
    ):
        for lo, hi in windows:
            widget.rule, widget.eps_low, widget.eps_high = rule, lo, hi
            for curve, alpha, estimate in zip(
                curves, widget.result["alpha_stars"], widget.estimates, strict=True
            ):
                expected = estimate_tau_star(curve, rule, lo, hi)
                assert alpha == pytest.approx(expected.alpha_star, rel=0, abs=1e-12)
                assert np.array_equal(estimate.selected, np.flatnonzero(expected.selected))


def test_python_check_follows_every_control(noise_forests):
    widget = CurveSet.from_curves(["a", "b", "c"], noise_forests, [0, 0.2, 0.5], "p", pick=0)
    first = widget.python_check["shown"]["alpha_star"]
    widget.pick = 2
    assert widget.python_check["settings"]["pick"] == 2
    assert widget.python_check["shown"]["label"] == "c"
    assert widget.python_check["shown"]["alpha_star"] != first
    widget.eps_low = 1.4  # an empty window for every member: all gaps, a message
    shown = widget.python_check["shown"]
    assert shown["missing"] == [0, 1, 2] and not shown["ok"]
    assert shown["alpha_stars"] == ["NaN"] * 3
    assert "eps_low must be smaller" in shown["message"]
    assert widget.result == curve_set_shown(widget.state)


def test_thinning_is_said_on_the_page(noise_forests):
    full = CurveSet.from_curves(["a"], noise_forests[:1], [0], "p")
    thin = CurveSet.from_curves(["a"], noise_forests[:1], [0], "p", tau_step=4, note="one")
    n = len(full.members[0]["curve"]["taus"])
    assert len(thin.members[0]["curve"]["taus"]) == len(range(0, n, 4))
    assert thin.note.startswith("one; curves thinned: every 4th tau kept")
    assert full.note == ""
    # the stored values are kept, not recomputed
    assert (
        thin.members[0]["curve"]["log_power_sum"] == full.members[0]["curve"]["log_power_sum"][::4]
    )


def test_state_of_the_largest_saved_result_stays_small():
    widget = CurveSet.from_saved(RESULTS / "vgg-depth-quick/vgg-depth.json", variant="VGG-19")
    size = len(json.dumps(widget.members))
    assert size < 300_000, size  # measured: 146 KB for 16 layers of 200 taus


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: CurveSet.from_curves([], [], [], "p"), "labels must name at least one"),
        (lambda f: CurveSet.from_curves(["a", "b"], f[:1], [0, 1], "p"), "curves must have one"),
        (lambda f: CurveSet.from_curves(["a"], f[:1], [0, 1], "p"), "positions must have one"),
        (lambda f: CurveSet.from_curves(["a"], [3.0], [0], "p"), r"curves\[0\] must be a Spars"),
        (lambda f: CurveSet.from_curves(["a"], f[:1], [np.nan], "p"), r"positions\[0\] must be"),
        (lambda f: CurveSet.from_curves(["a"], f[:1], [0], "p", tau_step=0), "tau_step must be"),
        (lambda f: CurveSet.from_curves(["a"], f[:1], [0], "p", tau_step=500), "at least 3"),
        (lambda f: CurveSet.from_curves(["a"], f[:1], [0], "p", pick=1), "pick must be a member"),
        (lambda f: CurveSet.from_curves(["a"], f[:1], [0], "p", rule="x"), "rule must be one of"),
        (lambda f: CurveSet.from_curves(["a"], f[:1], [0], "p", eps_high=2.0), "eps_high must lie"),
        (lambda f: CurveSet([], "p"), "members must be a non-empty list"),
        (lambda f: CurveSet([{"label": "a"}], "p"), r"members\[0\] must be a dict"),
        (lambda f: CurveSet.from_probe_result(3), "result must be a ProbeResult"),
        (
            lambda f: CurveSet.from_saved(RESULTS / "controlled-quick/relu.json", seed=7),
            r"seed must be one of the result's seeds \[0, 1, 2\]; got 7",
        ),
        (
            lambda f: CurveSet.from_saved(RESULTS / "controlled-quick/relu.json", variant="x"),
            "variant must be None for a single probe result",
        ),
        (
            lambda f: CurveSet.from_saved(RESULTS / "vgg-depth-quick/vgg-depth.json"),
            r"variant must name one of \['VGG-13'",
        ),
        (
            lambda f: CurveSet.from_saved(RESULTS / "vgg-depth-quick/vgg-depth.json", variant=9),
            r"variant must be a position in \[0, 3\]; got 9",
        ),
        (lambda f: CurveSet.from_saved(RESULTS / "missing.json"), "does not exist"),
        (lambda f: CurveSet.from_saved(RESULTS / "table1.json"), "holds neither"),
    ],
)
def test_bad_input_names_parameter_and_expectation(noise_forests, call, message):
    with pytest.raises(ValueError, match=message):
        call(noise_forests)


def test_probe_result_layers_and_extras():
    path = RESULTS / "controlled-quick/relu.json"
    result = ProbeResult.from_json(path)
    widget = CurveSet.from_probe_result(result, seed=2)
    assert widget.labels == result.layer_names
    assert widget.pick == len(result.layer_names) - 1 and widget.label_ticks
    assert [m["position"] for m in widget.members] == list(range(len(result.layer_names)))
    layer = result.runs[2].layers[0]
    assert widget.members[0]["extras"] == {
        "saved alpha*": layer.alpha_star,
        "width": layer.width,
        "controlled (rotation-permuted)": layer.baseline["score"],
    }
    assert "seed 2 of [0, 1, 2]" in widget.title


def test_view_moves_show_pythons_numbers(browser, noise_forests):
    from sparsity_widgets.widgets.browser.registry import compare_shown

    widget = CurveSet.from_curves(
        ["p = 0", "p = 0.2", "p = 0.5"],
        noise_forests,
        [0.0, 0.2, 0.5],
        "label noise p",
        note="only the three precomputed levels",
    )
    state = json.loads(json.dumps({k: v for k, v in widget.state.items() if k != "layout"}))
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto("about:blank")
        render_with_stand_in(page, widget._esm, state)
        root = page.locator("[data-sw-kind='curve-set']")

        def check(expect_ok: bool = True) -> dict:
            settings = json.loads(root.get_attribute("data-sw-settings"))
            shown = json.loads(root.get_attribute("data-sw-shown"))
            assert compare_shown(shown, curve_set_shown({**state, **settings})) == []
            assert shown["ok"] is expect_ok
            return shown

        first = check()
        page.locator("[data-sw-control='pick']").fill("2")
        moved = check()
        assert moved["label"] == "p = 0.5" and moved["alpha_star"] != first["alpha_star"]
        assert "p = 0.5: tau* =" in page.locator(".sw-result").inner_text()
        page.locator("[data-sw-control='eps_low']").fill("1.2")  # above eps_high: no estimate
        check(expect_ok=False)
        assert "no estimate" in page.locator(".sw-result").inner_text()
        assert "3 of 3 member(s) have no estimate" in page.locator(".sw-gaps").inner_text()
        page.locator("[data-sw-control='eps_low']").fill("0.1")
        page.locator("[data-sw-option='public-code']").click()
        assert check()["alpha_star"] > moved["alpha_star"]  # the code rule's larger alpha*
        page.screenshot(path=str(ROOT / "_build" / "screenshots" / "curve-set-view.png"))
        assert "only the three precomputed levels" in page.locator(".sw-note").inner_text()
        assert page.locator(".sw-picked").count() == 1
        assert errors == []
    finally:
        page.close()
