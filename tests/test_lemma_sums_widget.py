"""The Lemma 3.1 sums widget (issue 17): twin vs sparsity_widgets.dyadic, the state, the class.

The JavaScript itself is compared with the twin by the generic parity test
(``tests/test_widgets_static.py::test_every_twin_matches_its_javascript``, the twin's cases).
About 3 s.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from widget_pages import render_with_stand_in

from sparsity_widgets.dyadic import dyadic_level_sums
from sparsity_widgets.widgets.browser.lemma_sums import (
    DEFAULT_LEVELS,
    LEMMA_SUMS,
    domain_cell_means,
    domain_payload,
    lemma_sums_shown,
    level_payload,
    level_sums,
    square_cell_means,
)
from sparsity_widgets.widgets.browser.registry import twin

TAUS = [0.2, 0.5, 0.9, 1.0, 1.05, 1.3, 1.9, 1.99]
#: measured: max |twin - dyadic_level_sums| / max(|value|, 1) = 4e-14 over the default grids
#: (the twin adds each distinct value times its count, the package every pair: another order)
REL = 1e-12


@pytest.fixture(scope="module")
def grids() -> dict[str, np.ndarray]:
    return {key: domain_cell_means(key, m) for key, m in DEFAULT_LEVELS.items()}


def test_twin_equals_dyadic_level_sums(grids):
    for key, means in grids.items():
        payload = level_payload(means)
        expected = dyadic_level_sums(means, TAUS)
        for j, tau in enumerate(TAUS):
            got = np.array(level_sums(payload, tau, len(payload)))
            scale = np.maximum(np.abs(expected[:, j]), 1.0)
            assert np.max(np.abs(got - expected[:, j]) / scale) <= REL, (key, tau)
            # and what the page shows: the partial sums are the cumulative level sums
            shown = lemma_sums_shown(
                {"domains": [domain_payload(key, 3)], "domain": key, "tau": tau, "depth": 6}
            )
            np.testing.assert_allclose(
                shown["partial_sums"],
                np.cumsum(dyadic_level_sums(domain_cell_means(key, 3), [tau])[:, 0]),
                rtol=REL,
                atol=0,
            )


def test_square_cell_means_are_exact():
    means = square_cell_means(3, 0.25, 0.75)
    assert means.sum() * 2.0**-6 == pytest.approx(0.25, abs=1e-15)
    assert set(np.unique(means)) == {0.0, 1.0}  # dyadic edges: no cell is cut
    off = square_cell_means(4, 1 / 3, 5 / 6)
    assert off.sum() * 2.0**-8 == pytest.approx(0.25, abs=1e-14)
    with pytest.raises(ValueError, match="low and high"):
        square_cell_means(3, 0.5, 0.5)


def test_verdicts_follow_the_lemma():
    domains = [domain_payload(key, m) for key, m in DEFAULT_LEVELS.items()]

    def shown(key, tau, depth=None):
        depth = {d["key"]: d["depth"] for d in domains}[key] if depth is None else depth
        return lemma_sums_shown({"domains": domains, "domain": key, "tau": tau, "depth": depth})

    for key in ("disk", "half-plane", "square"):
        assert shown(key, 0.6)["verdict"] == "grows"
        assert shown(key, 1.0)["verdict"] == "grows slowly"
        assert shown(key, 1.3)["verdict"] == "levels off"
    # the half-plane and the off-grid square are self-similar: the pair ratio is 2^(1 - tau)
    for key in ("half-plane", "square"):
        for tau in (0.5, 1.3, 1.9):
            assert shown(key, tau)["pair_ratio"] == pytest.approx(2 ** (1 - tau), rel=1e-3)
    flat = shown("dyadic-square", 0.3)
    assert flat["verdict"] == "levels off" and math.isnan(flat["pair_ratio"])
    assert "grid lines" in flat["verdict_text"] and "every tau" in flat["lemma"]
    assert "infinite" in shown("disk", 0.9)["lemma"] and "finite" in shown("disk", 1.5)["lemma"]


def test_beyond_the_precomputed_depth_the_page_says_so():
    domains = [domain_payload("disk", 4)]
    out = lemma_sums_shown({"domains": domains, "domain": "disk", "tau": 1.2, "depth": 11})
    assert out["ok"] and out["depth_used"] == 8 and len(out["level_sums"]) == 8
    assert "beyond what is precomputed" in out["note"] and "levels={'disk': 6}" in out["note"]
    high = lemma_sums_shown({"domains": domains, "domain": "disk", "tau": 2.5, "depth": 8})
    assert high["ok"] and "outside the definition" in high["note"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"domain": "torus"}, "domain must be one of disk; got 'torus'."),
        ({"tau": 0.0}, "tau must be a number > 0; got 0."),
        ({"tau": -1.5}, "tau must be a number > 0; got -1.5."),
        ({"depth": 0}, "depth must be an integer >= 1; got 0."),
        ({"depth": 2.5}, "depth must be an integer >= 1; got 2.5."),
    ],
)
def test_bad_settings_give_a_message(change, message):
    state = {"domains": [domain_payload("disk", 3)], "domain": "disk", "tau": 1.2, "depth": 4}
    out = lemma_sums_shown({**state, **change})
    assert not out["ok"] and out["message"] == message and out["level_sums"] == []


def test_registered_and_cases_small():
    assert twin("lemma-sums") is LEMMA_SUMS
    cases = list(LEMMA_SUMS.cases())
    assert 5 <= len(cases) <= 30
    assert max(len(json.dumps(c)) for c in cases) < 8_000


def test_bad_precompute_arguments():
    with pytest.raises(ValueError, match="domain must be one of"):
        domain_cell_means("torus", 3)
    with pytest.raises(ValueError, match=r"levels for 'disk' must lie in \[1, 10\]"):
        domain_cell_means("disk", 11)
    with pytest.raises(ValueError, match="power-of-two"):
        level_payload(np.zeros((3, 3)))


# ---------------------------------------------------------------------- the widget class
def test_widget_state_and_kernel_check():
    pytest.importorskip("anywidget")
    from sparsity_widgets.widgets import LemmaSums

    widget = LemmaSums()
    assert widget.kind == "lemma-sums" and widget.depth == 18 and widget.domain == "disk"
    size = len(json.dumps(widget.domains)) / 1e3  # the stored arrays
    assert size < 300, size  # measured: about 13 KB
    assert widget.result == lemma_sums_shown(widget.state)
    widget.tau = 0.7
    assert widget.python_check["settings"]["tau"] == 0.7
    assert widget.result["verdict"] == "grows"
    widget.domain = "dyadic-square"
    assert widget.python_check["settings"]["domain"] == "dyadic-square"
    assert widget.result["verdict"] == "levels off"
    widget.depth = 24
    assert "beyond what is precomputed" in widget.result["note"]
    assert "lemmaSumsShown" in widget._esm and "view_common.js" in widget._esm


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levels": {"torus": 3}}, "levels: domain must be one of"),
        ({"levels": {}}, "at least one domain"),
        ({"levels": {"disk": 11}}, r"levels for 'disk' must lie in \[1, 10\]"),
        ({"levels": {"disk": 3}, "domain": "square"}, "domain must be one of"),
        ({"levels": {"disk": 3}, "tau": 5.0}, r"tau must lie in \[0.2, 3.0\]"),
        ({"levels": {"disk": 3}, "tau": "1"}, "tau must be a number"),
        ({"levels": {"disk": 3}, "depth": 30}, r"depth must lie in \[1, 24\]"),
        ({"levels": {"disk": 3}, "depth": 2.0}, "depth must be an integer"),
    ],
)
def test_widget_rejects_bad_arguments(kwargs, message):
    pytest.importorskip("anywidget")
    from sparsity_widgets.widgets import LemmaSums

    with pytest.raises(ValueError, match=message):
        LemmaSums(**kwargs)


def test_view_moves_and_says_when_the_depth_is_not_precomputed(browser, tmp_path):
    """The view without a kernel (a stand-in model): moving the controls updates the shown
    values, which equal the twin's; depth 24 on the disk says it is not precomputed."""
    pytest.importorskip("anywidget")
    from pathlib import Path

    from sparsity_widgets.widgets import LemmaSums
    from sparsity_widgets.widgets.browser.registry import compare_shown, json_view

    widget = LemmaSums()
    state = json.loads(
        json.dumps({k: json_view(v) for k, v in widget.state.items() if k != "layout"})
    )
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto("about:blank")
        render_with_stand_in(page, widget._esm, state)
        root = page.locator("[data-sw-kind='lemma-sums']")

        def shown() -> dict:
            return json.loads(root.get_attribute("data-sw-shown"))

        def settings() -> dict:
            return json.loads(root.get_attribute("data-sw-settings"))

        assert shown()["verdict"] == "levels off"  # tau = 1.2, disk, depth 18
        page.locator("[data-sw-control='tau']").fill("0.7")
        assert settings()["tau"] == 0.7 and shown()["verdict"] == "grows"
        page.locator("[data-sw-control='depth']").fill("24")
        note = page.locator(".sw-note").inner_text()
        assert "beyond what is precomputed" in note and shown()["depth_used"] == 18
        page.locator("[data-sw-option='half-plane']").click()
        assert settings() == {"domain": "half-plane", "tau": 0.7, "depth": 24}
        assert compare_shown(shown(), lemma_sums_shown({**state, **settings()})) == []
        shots = Path(__file__).resolve().parents[1] / "_build" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "lemma-sums-view.png"), full_page=True)
        assert errors == []
    finally:
        page.close()
