"""The sawtooth widget (issue 17): its Python twin against :mod:`sparsity_widgets.sawtooth`, bad
settings, and the widget's Python half. The JavaScript itself is compared with the twin on the
twin's fixed states by ``test_every_twin_matches_its_javascript`` (tests/test_widgets_static.py).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from sparsity_widgets.sawtooth import (
    _positive_dyadic_norms,
    besov_growth,
    besov_seminorm,
    count_teeth,
    sawtooth,
)
from sparsity_widgets.widgets.browser.registry import twin
from sparsity_widgets.widgets.browser.sawtooth_window import (
    SAWTOOTH,
    sawtooth_knots,
    sawtooth_seminorm,
    sawtooth_shown,
)

ALPHAS = (0.05, 0.25, 0.5, 0.75, 0.95)
#: twin vs the package: the same dyadic sum grouped by level instead of numpy's pairwise sum of
#: 2^(j + extra + 1) terms. Measured: max |twin - package| = 2.5e-14 absolute (values up to 4e4)
#: and 9e-16 relative over j = 1..12, extra_levels = 12 and the alphas above; the bound is
#: relative because the values grow like 2^(j alpha)
PACKAGE_RTOL = 1e-12


def _state(j: int, alpha: float, j_max: int = 10, extra_levels: int = 12) -> dict:
    return {"j": j, "alpha": alpha, "j_max": j_max, "extra_levels": extra_levels}


def test_package_norms_are_the_closed_form_the_browser_sums():
    """What the level-by-level sum rests on: the package's positive dyadic norms of Lambda_j are
    exactly 2^(j - l - 1) sqrt(2^-l), 2^l times on each level l = j + 1 .. j + extra."""
    for j in range(1, 9):
        for extra in (10, 12):
            expected = np.concatenate(
                [
                    np.full(2**level, 2.0 ** (j - level - 1) * math.sqrt(1.0 / 2.0**level))
                    for level in range(j + 1, j + extra + 1)
                ]
            )
            assert np.array_equal(_positive_dyadic_norms(j, j + extra), expected), (j, extra)


@pytest.mark.parametrize("extra_levels", [12, 10])
def test_twin_equals_besov_seminorm_and_growth(extra_levels):
    j_max = 10
    for alpha in ALPHAS:
        shown = sawtooth_shown(_state(j_max, alpha, j_max, extra_levels))
        growth = besov_growth(j_max, alpha, extra_levels=extra_levels)
        assert shown["ok"] and shown["growth_j"] == growth.js.tolist()
        np.testing.assert_allclose(shown["growth"], growth.seminorms, rtol=PACKAGE_RTOL, atol=0)
        # the slope: written-out least squares against np.polyfit (measured: 1.7e-15)
        assert shown["slope"] == pytest.approx(growth.slope, rel=0, abs=1e-12)
        assert shown["slope"] == pytest.approx(alpha, rel=0, abs=1e-12)  # exact dyadic scaling
        for j in (1, 4, j_max):
            value = besov_seminorm(j, alpha, extra_levels=extra_levels)
            assert sawtooth_seminorm(j, alpha, extra_levels) == pytest.approx(
                value, rel=PACKAGE_RTOL, abs=0
            )
            small = sawtooth_shown(_state(j, alpha, j_max, extra_levels))
            assert small["seminorm"] == pytest.approx(value, rel=PACKAGE_RTOL, abs=0)
            assert small["tau"] == 1.0 / (alpha + 0.5)
    assert math.isnan(sawtooth_shown(_state(1, 0.5))["slope"])  # one point has no slope


def test_twin_draws_and_counts_the_teeth_as_the_package():
    for j in range(1, 11):
        x, f = sawtooth_knots(j)
        assert x == (np.arange(2**j + 1) / 2.0**j).tolist()
        assert np.array_equal(f, sawtooth(np.array(x), j))
        shown = sawtooth_shown(_state(j, 0.5))
        assert shown["teeth"] == count_teeth(j) == 2 ** (j - 1)
        assert shown["layers"] == 2 * j
        # between the knots the polyline is Lambda_j: check it off the knots
        mid = (np.arange(2**j) + 0.3) / 2**j
        assert np.allclose(np.interp(mid, x, f), sawtooth(mid, j), rtol=0, atol=1e-12)


def test_twin_says_why_a_setting_has_no_value():
    alpha = sawtooth_shown(_state(4, 1.0))
    assert not alpha["ok"] and alpha["message"].startswith("alpha must lie in (0, 1)")
    assert "got 1." in alpha["message"]
    # the picture stays: only the semi-norm needs alpha
    assert alpha["teeth"] == 8 and len(alpha["x"]) == 17 and math.isnan(alpha["seminorm"])
    j = sawtooth_shown(_state(11, 0.5))
    message = "j must be an integer in [1, 10] (the slider's range); got 11"
    assert not j["ok"] and message in j["message"]
    assert j["x"] == [] and j["teeth"] is None
    assert "got 2.5" in sawtooth_shown(_state(2.5, 0.5))["message"]
    deep = sawtooth_shown(_state(10, 0.5, 10, 16))
    assert "j + extra_levels must be at most 24" in deep["message"]
    assert sawtooth_shown(_state(3.0, 0.5))["ok"]  # an integer written as a float in JSON
    assert "got null" in sawtooth_shown(_state(4, None))["message"]
    for case in SAWTOOTH.cases():  # every parity state is JSON and never raises
        json.dumps(case)
        sawtooth_shown(case)


def test_twin_imports_without_widget_libraries():
    code = (
        "import sys; import sparsity_widgets.widgets.browser.sawtooth_window as t; "
        "assert 'ipywidgets' not in sys.modules and 'anywidget' not in sys.modules; "
        "print(t.SAWTOOTH.kind)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "sawtooth"
    assert twin("sawtooth") is SAWTOOTH


def test_sawtooth_window_python_side():
    """The widget's Python half: small state, the kernel-side check of a move, bad input."""
    pytest.importorskip("anywidget")
    from sparsity_widgets.widgets import SawtoothWindow
    from sparsity_widgets.widgets.browser_widget import module_source

    widget = SawtoothWindow()
    assert widget.kind == "sawtooth" and SawtoothWindow._esm == module_source(SAWTOOTH)
    assert (widget.j, widget.alpha, widget.j_max, widget.extra_levels) == (4, 0.5, 10, 12)
    assert widget.result["seminorm"] == pytest.approx(besov_seminorm(4, 0.5), rel=PACKAGE_RTOL)
    widget.j = 7  # what a move in a page with a kernel does
    assert widget.python_check["settings"] == {"j": 7, "alpha": 0.5}
    assert widget.result["teeth"] == 64
    np.testing.assert_allclose(widget.result["growth"], widget.growth.seminorms, rtol=PACKAGE_RTOL)
    widget.alpha = 0.25
    assert widget.result["slope"] == pytest.approx(widget.growth.slope, abs=1e-12)
    widget.alpha = 1.5  # a value no slider gives: a message, never an exception
    assert not widget.result["ok"] and "alpha must lie in (0, 1)" in widget.result["message"]
    assert widget.python_check["shown"]["seminorm"] == "NaN"
    state = widget.get_state()
    json.dumps(state)
    assert len(json.dumps({k: v for k, v in state.items() if k != "_esm"})) < 300_000
    with pytest.raises(ValueError, match=r"j must be an integer in \[1, 10\]; got 11"):
        SawtoothWindow(j=11)
    with pytest.raises(ValueError, match=r"j_max must be an integer in \[1, 12\]; got 13"):
        SawtoothWindow(j_max=13)
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\); got 1"):
        SawtoothWindow(alpha=1.0)
    with pytest.raises(ValueError, match="extra_levels must be an integer"):
        SawtoothWindow(extra_levels=2.5)
    with pytest.raises(ValueError, match="extra_levels must be at most 23"):
        SawtoothWindow(extra_levels=24)
