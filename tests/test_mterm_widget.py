"""The M-term explorer (issue 17): its Python twin against the package, its widget, its page.

The twin (``sparsity_widgets/widgets/browser/mterm_window.py``) must give MTermCurve.slope's
slope on the same points, the tail energy of the sorted norms and the measured error; the
generic parity test (``tests/test_widgets_static.py``) runs its JavaScript on the twin's cases.
Here also: one view test in Chromium (the page's shown values and the slider's log positions).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from widget_pages import render_with_stand_in

from sparsity_widgets import WaveletForest
from sparsity_widgets.approximation import MTermCurve
from sparsity_widgets.datasets import make_synthetic
from sparsity_widgets.widgets.browser.mterm_window import (
    FIT_POINTS,
    _synthetic_curve,
    default_range,
    fit_points,
    mterm_payload,
    mterm_shown,
    mterm_slope,
    stored_m,
    tail_energy,
)

#: twin (closed-form least squares) vs np.polyfit (SVD) over the ranges below: measured max
#: |slope difference| 4.3e-14, |intercept difference| 2.2e-13 (the three-point ranges near the
#: end are the worst conditioned); the bound asked for is 1e-12
SLOPE_TOL = 1e-12


@pytest.fixture(scope="module")
def forest() -> WaveletForest:
    X, y = make_synthetic("spiral", n_samples=1500, random_state=0)
    return WaveletForest(random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def curve(forest) -> MTermCurve:
    return forest.mterm_curve()


def _ranges(n: int) -> list[tuple[int, int]]:
    ends = sorted({1, 2, 3, 5, 10, 17, 40, n // 3, n // 2, n - 2, n})
    return [(a, b) for a in ends for b in ends if b >= a + 2 and b <= n]


def test_fit_points_are_the_packages(curve):
    n = int(curve.n_terms[-1])
    for a, b in [*_ranges(n), (1, 10**6), (7, 123_457), (999, 1001)]:
        expected = np.unique(np.round(np.geomspace(a, b, FIT_POINTS)).astype(np.int64))
        assert fit_points(a, b) == expected.tolist(), (a, b)


def test_slope_equals_mterm_curve_slope(curve):
    payload = mterm_payload(curve, 3)
    assert not payload["subsampled"]
    n = payload["n_wavelets"]
    worst = 0.0
    for a, b in [*_ranges(n), (None, None)]:
        expected = curve.slope(a, b)
        lo, hi = (expected.m_min, expected.m_max)
        twin = mterm_slope(payload, lo, hi)
        assert twin.ok, (a, b, twin.message)
        assert len(twin.points) == expected.n_points
        assert (twin.m_min, twin.m_max) == (expected.m_min, expected.m_max)
        for got, want in [
            (twin.slope, expected.slope),
            (twin.alpha, expected.alpha),
            (twin.intercept, expected.intercept),
        ]:
            worst = max(worst, abs(got - want))
    assert worst <= SLOPE_TOL, worst


def test_slope_messages_are_the_packages(curve):
    payload = mterm_payload(curve, 3)
    n = payload["n_wavelets"]
    for a, b in [(4, 5), (n - 1, n + 50)]:
        with pytest.raises(ValueError) as exc:
            curve.slope(a, b)
        twin = mterm_slope(payload, a, b)
        assert not twin.ok and twin.message == str(exc.value)
    exact = _synthetic_curve(40, 0.7, 2, zero_from=30)
    with pytest.raises(ValueError) as exc:
        exact.slope(28, 31)
    assert mterm_slope(mterm_payload(exact, 1), 28, 31).message == str(exc.value)
    tiny = _synthetic_curve(2, 0.5, 3)
    with pytest.raises(ValueError) as exc:
        tiny.slope()
    assert mterm_slope(mterm_payload(tiny, 1), 1, 2).message == str(exc.value)
    assert "m_min must be an integer >= 1; got 0." == mterm_slope(payload, 0, 9).message


def test_error_and_tail_at_every_m(curve):
    payload = mterm_payload(curve, 3)
    norms = curve.added_norms
    tail = tail_energy(payload)
    expected = np.array([np.sqrt(np.sum(norms[m:] ** 2)) / 3 for m in range(norms.size + 1)])
    # measured max relative difference 3.9e-16 (summation order)
    np.testing.assert_allclose(tail, expected, rtol=1e-12, atol=0)
    for m in (0, 1, 5, payload["n_wavelets"]):
        shown = mterm_shown({"curve": payload, "m": m, "m_min": 1, "m_max": 9})
        assert shown["error_at_m"] == curve.error[m]
        assert shown["tail_at_m"] == tail[m]
        assert shown["m_note"] is None
    assert np.isnan(mterm_shown({"curve": payload, "m": 0, "m_min": 1, "m_max": 9})["norm_at_m"])


def test_one_tree_without_bootstrap_starts_at_the_tail():
    """For one tree fitted on the evaluation samples the M = 0 error is the whole tail (the
    wavelets of a level are orthogonal to the father wavelet); later the two part."""
    X, y = make_synthetic("spiral", n_samples=1500, random_state=0)
    tree = WaveletForest(n_trees=1, bootstrap=False, random_state=0).fit(X, y)
    payload = mterm_payload(tree.mterm_curve(), 1)
    tail = tail_energy(payload)
    assert tail[0] == pytest.approx(payload["error"][0], rel=1e-12)
    assert abs(tail[10] - payload["error"][10]) > 1e-3


def test_subsampled_payload_keeps_what_matters():
    big = _synthetic_curve(20_000, 0.4, 1)
    payload = mterm_payload(big, 2)
    ms = np.array(payload["m"])
    assert payload["subsampled"] and ms.size <= 2000
    assert ms[0] == 0 and ms[1] == 1 and ms[-1] == 20_000 and np.all(np.diff(ms) > 0)
    assert set(fit_points(*default_range(20_000))) <= set(ms.tolist())
    assert payload["error"] == big.error[ms].tolist()
    assert payload["norms"] == big.added_norms[ms[1:] - 1].tolist()
    # the tail is exact at every stored M (blocks of skipped squared norms)
    full = np.array([np.sqrt(np.sum(big.added_norms[m:] ** 2)) / 2 for m in ms])
    np.testing.assert_allclose(tail_energy(payload), full, rtol=1e-12, atol=1e-300)
    # the default range's slope is the package's: its points are all stored
    expected = big.slope()
    twin = mterm_slope(payload, expected.m_min, expected.m_max)
    assert abs(twin.slope - expected.slope) <= SLOPE_TOL
    assert len(json.dumps(payload)) < 150_000
    # a range between two stored M says so
    short = mterm_slope(payload, 15_000, 15_100)
    assert not short.ok and "stored value(s) of M; the fit needs at least 3" in short.message
    shown = mterm_shown({"curve": payload, "m": 12_345, "m_min": 1, "m_max": 9})
    assert shown["m"] in ms and "is not stored" in shown["m_note"]


def test_payload_rejects_bad_input(curve):
    with pytest.raises(ValueError, match="curve must be an MTermCurve; got list"):
        mterm_payload([1.0], 3)
    with pytest.raises(ValueError, match="n_trees must be an integer >= 1; got 0"):
        mterm_payload(curve, 0)
    with pytest.raises(ValueError, match="max_points must be an integer >= 100; got 5"):
        stored_m(1000, 5)
    assert mterm_payload(curve, 3, alpha_star=float("nan"))["alpha_star"] is None


def test_twin_imports_without_widget_libraries():
    code = (
        "import sys; import sparsity_widgets.widgets.browser.mterm_window as t; "
        "assert 'ipywidgets' not in sys.modules and 'anywidget' not in sys.modules; "
        "print(t.mterm_shown.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_mterm_window_python_side(forest, curve):
    pytest.importorskip("anywidget")
    from sparsity_widgets.widgets import MTermWindow

    widget = MTermWindow(forest)
    n = widget.curve["n_wavelets"]
    assert (widget.m_min, widget.m_max) == default_range(n)
    assert widget.curve["alpha_star"] == forest.estimate().alpha_star
    assert widget.python_check["shown"]["alpha"] == pytest.approx(curve.slope().alpha, abs=1e-12)
    widget.m = 7  # what a move in a page with a kernel does
    assert widget.result["error_at_m"] == curve.error[7]
    assert widget.python_check["settings"]["m"] == 7
    widget.m_min, widget.m_max = 5, 40
    assert widget.fit.slope == pytest.approx(curve.slope(5, 40).slope, abs=1e-12)
    assert widget.result["slope"] == widget.fit.slope
    widget.m_max = 6
    assert not widget.result["fit_ok"] and "m_max must be at least" in widget.result["fit_message"]
    assert widget.python_check["shown"]["slope"] == "NaN"
    json.dumps(widget.get_state())
    from_curve = MTermWindow(curve, n_trees=3, alpha_star=0.25, m=3)
    assert from_curve.curve["alpha_star"] == 0.25 and from_curve.m == 3
    with pytest.raises(ValueError, match="n_trees is required with an MTermCurve"):
        MTermWindow(curve)
    with pytest.raises(ValueError, match="source must be a fitted WaveletForest or an MTermCurve"):
        MTermWindow([1, 2])
    with pytest.raises(ValueError, match=rf"m must be an integer in \[0, {n}\]; got -1"):
        MTermWindow(forest, m=-1)
    with pytest.raises(ValueError, match="m_max must be >= m_min"):
        MTermWindow(forest, m_min=9, m_max=4)
    with pytest.raises(ValueError, match="n_trees must be omitted or equal"):
        MTermWindow(forest, n_trees=5)


def test_view_shows_the_twin(browser, curve):
    """The view in Chromium with a stand-in model: the published values equal the twin's, a
    move of the M slider (index positions) sets M to a stored value, no console error."""
    pytest.importorskip("anywidget")
    from sparsity_widgets.widgets.browser.registry import compare_shown
    from sparsity_widgets.widgets.mterm_window import MTermWindow

    widget = MTermWindow(_synthetic_curve(5000, 0.4, 1), n_trees=2, max_points=300, m=1)
    keys = ("curve", "m", "m_min", "m_max", "uid", "title")
    state = {k: getattr(widget, k) for k in keys}
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("about:blank")
        render_with_stand_in(page, MTermWindow._esm, state)
        root = page.locator('[data-sw-kind="mterm-window"]')
        shown = json.loads(root.get_attribute("data-sw-shown"))
        assert compare_shown(shown, mterm_shown(state)) == []
        slider = page.locator('[data-sw-control="m"]')
        middle = int(slider.get_attribute("max")) // 2
        slider.fill(str(middle))  # log-spaced positions (linear ones would give about 2500)
        settings = json.loads(root.get_attribute("data-sw-settings"))
        assert settings["m"] in widget.curve["m"] and 20 < settings["m"] < 1000, settings
        moved = json.loads(root.get_attribute("data-sw-shown"))
        assert compare_shown(moved, mterm_shown({**state, **settings})) == []
        assert moved["error_at_m"] != shown["error_at_m"]
        assert "subsampled" in page.locator(".sw-note").text_content()
        assert page.locator(".sw-fit-line").count() == 1
        assert errors == []
    finally:
        page.close()
