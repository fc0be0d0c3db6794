"""The Welch-bounds widget (issue 17): its Python twin against the package's bounds, bad input,
and the kernel side. The JavaScript itself is compared with the twin by the generic parity test
(``tests/test_widgets_static.py::test_every_twin_matches_its_javascript``, via ``cases()``)."""

from __future__ import annotations

import json

import pytest
from widget_pages import render_with_stand_in

from sparsity_widgets.frames import chain_lower_bound, make_architecture, welch_bound
from sparsity_widgets.widgets.browser.registry import twin
from sparsity_widgets.widgets.browser.welch_bounds import (
    STRUCTURES,
    chain_bound,
    counts,
    edges,
    precompute_grid,
    welch,
    welch_bounds_shown,
    widths_of,
)

LIMITS = {"d_max": 12, "k_max": 16, "depth_max": 5}


def _state(structure="chain", d=4, k=8, depth=2, grid=None):
    grid = grid or {"d": [4], "k": [8], "depth": [2], "max_iter": 1, "seed": 0, "entries": {}}
    return {"structure": structure, "d": d, "k": k, "depth": depth, "grid": grid, **LIMITS}


def test_twin_equals_the_package_bounds():
    # measured: every value identical (difference 0.0); 1e-12 is the brief's bound
    worst = 0.0
    for d in range(1, 13):
        for k in range(2, 17):
            worst = max(worst, abs(welch(d, k) - welch_bound(d, k)))
            for depth in range(1, 6):
                widths = widths_of(d, k, depth)
                ours = chain_bound(widths)
                theirs = chain_lower_bound(widths)
                worst = max(worst, abs(ours["frame_potential"] - theirs.frame_potential))
                worst = max(worst, abs(ours["gram"] - theirs.gram_norm) / theirs.gram_norm)
                assert tuple(ours["counts"]) == theirs.counts, widths
                assert ours["nonzero"] == theirs.n_structural_nonzeros
    assert worst <= 1e-12


@pytest.mark.parametrize("structure", STRUCTURES)
def test_counts_equal_the_architecture(structure):
    for depth in range(1, 6):
        for d, k in ((1, 2), (4, 8), (12, 16), (7, 3)):
            widths = widths_of(d, k, depth)
            arch = make_architecture(structure, widths)
            c = counts(widths, edges(structure, depth))
            assert (c["rows"], c["atoms"], c["nonzero"]) == (
                arch.n_rows, arch.n_atoms, arch.n_structural_nonzeros
            )  # fmt: skip
            want = [(e.source, e.target, e.kind == "param") for e in arch.edges]
            assert edges(structure, depth) == want


def test_shown_curves_mark_the_setting_and_say_not_precomputed():
    shown = welch_bounds_shown(_state("chain", 4, 8, 2))
    assert shown["ok"] and shown["is_chain"] and not shown["precomputed"]
    i = shown["k_values"].index(8)
    assert shown["welch_over_k"][i] == shown["welch"] == welch_bound(4, 8)
    assert shown["chain_over_depth"][1] == shown["chain_bound"]
    assert shown["lookup_message"].startswith("not precomputed")
    assert shown["min_f2"] != shown["min_f2"]  # NaN
    assert not welch_bounds_shown(_state("residual", 4, 8, 3))["is_chain"]
    assert welch_bounds_shown(_state("residual", 4, 8, 2))["is_chain"]  # no shortcut yet


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"d": 0}, "d must be an integer in [1, 12]"),
        ({"k": 17}, "k must be an integer in [2, 16]"),
        ({"depth": 2.5}, "got 2.5"),
        ({"structure": "conv"}, "structure must be one of chain, residual, dense"),
    ],
)
def test_bad_settings_give_a_message(change, words):
    shown = welch_bounds_shown({**_state(), **change})
    assert not shown["ok"] and words in shown["message"]


def test_grid_lookup_and_minima_above_the_chain_bound(one_torch_thread):
    grid = precompute_grid([3], [6], [1, 2], max_iter=30)
    assert json.loads(json.dumps(grid)) == grid
    for structure in STRUCTURES:
        for depth in (1, 2):
            shown = welch_bounds_shown(_state(structure, 3, 6, depth, grid))
            assert shown["precomputed"] and shown["lookup_message"] is None
            # a minimum found is never below a valid lower bound (to rounding)
            if shown["is_chain"]:
                assert shown["min_f2"] >= shown["chain_bound"] - 1e-12
            assert shown["optimised_mu2"] >= shown["min_f2"] - 1e-12
    # depth 1 of every structure is the same 3 x 6 dictionary, minimised once
    assert grid["entries"]["chain/3/6/1"] is grid["entries"]["dense/3/6/1"]


def test_widget_checks_moves_in_python(one_torch_thread):
    pytest.importorskip("anywidget")
    from sparsity_widgets.widgets import WelchBounds

    w = WelchBounds(d=3, k=6, depth=2, grid_d=[3], grid_k=[6], grid_depth=[1, 2], max_iter=20)
    assert w.result["precomputed"]
    assert len(json.dumps(w.grid)) < 300_000
    w.k = 7
    assert not w.result["precomputed"]
    assert w.python_check["settings"]["k"] == 7
    assert w.python_check["shown"]["welch"] == welch_bound(3, 7)
    w.structure = "dense"
    assert w.result["n_rows"] == make_architecture("dense", (3, 7, 7)).n_rows
    assert "welch_bounds.js" in w._esm and twin("welch-bounds").kind == w.kind


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"d": 0}, "d must be an integer in [1, 12]"),
        ({"k": 20}, "k must be an integer in [2, 16]"),
        ({"structure": "conv"}, "structure must be one of"),
        ({"grid_k": [1]}, "grid_k entries must be an integer in [2, 16]"),
        ({"grid_d": []}, "grid_d must hold at least one value"),
    ],
)
def test_widget_rejects_bad_arguments(kwargs, words):
    pytest.importorskip("anywidget")
    from sparsity_widgets.widgets import WelchBounds

    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        WelchBounds(**kwargs)


def test_view_draws_and_says_not_precomputed(browser, tmp_path):
    from sparsity_widgets.widgets.browser_widget import module_source

    grid = {"d": [4], "k": [8], "depth": [2], "max_iter": 100, "seed": 0,
            "entries": {"chain/4/8/2": [0.0266, 0.2, 0.5, 0.05, False]}}  # fmt: skip
    state = {**_state(grid=grid), "uid": "wb", "title": "t", "python_check": {}}
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto("about:blank")
        render_with_stand_in(page, module_source(twin("welch-bounds")), state)
        root = page.locator("[data-sw-kind='welch-bounds']")
        assert "min F^2 found" in page.locator(".sw-minima").inner_text()
        assert page.locator(".sw-panel-k .sw-min").count() == 1
        page.locator("input[data-sw-control='k']").fill("9")
        shown = json.loads(root.get_attribute("data-sw-shown"))
        assert shown["welch"] == welch_bound(4, 9)
        assert "not precomputed" in page.locator(".sw-minima").inner_text()
        page.locator("button[data-sw-option='dense']").click()
        assert json.loads(root.get_attribute("data-sw-settings"))["structure"] == "dense"
        page.screenshot(path=str(tmp_path / "welch-bounds.png"))
        page.screenshot(path="/tmp/welch-bounds.png")
        assert errors == []
    finally:
        page.close()
