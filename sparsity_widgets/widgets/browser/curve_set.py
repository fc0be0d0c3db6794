"""Python twin of ``curve_set.js``: tau* and alpha* of every member of a set of stored curves.

The curve-set picker (:class:`~sparsity_widgets.widgets.CurveSet`) holds several sparsity
curves, each a *member* with a label and a position on an axis (the layers of a probe result,
the label-noise levels of a synthetic check). For the current eps window and rule its browser
model re-estimates every member with ``tauStarWindow`` of ``tau_window.js``; this twin does the
same with :func:`~sparsity_widgets.widgets.browser.tau_window.tau_star_window`, member by
member, so that the two can be compared number for number (``tests/test_widgets_static.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .registry import Twin, register
from .tau_window import WindowResult, curve_payload, tau_star_window

__all__ = ["CURVE_SET", "curve_set_estimates", "curve_set_shown", "pick_error"]


def curve_set_estimates(state: Mapping[str, Any]) -> list[WindowResult]:
    """One estimate per member, on its whole tau grid (``curveSetEstimates`` of the JS).

    Parameters
    ----------
    state : mapping
        ``members`` (list of ``{"label", "position", "curve", "extras"}``, ``curve`` a
        :func:`~sparsity_widgets.widgets.browser.tau_window.curve_payload`), ``rule``,
        ``eps_low``, ``eps_high``.

    Returns
    -------
    list of WindowResult
        ``ok`` False (with the message) for a member with no estimate.
    """
    return [
        tau_star_window(m["curve"], state["rule"], state["eps_low"], state["eps_high"])
        for m in state["members"]
    ]


def pick_error(state: Mapping[str, Any]) -> str | None:
    """Why ``state["pick"]`` names no member, or None when it does (``curveSetPickError``)."""
    n = len(state["members"])
    p = state["pick"]
    valid = (
        isinstance(p, int | float)
        and not isinstance(p, bool)
        and math.isfinite(p)
        and float(p).is_integer()
        and 0 <= p < n
    )
    if not valid:
        return f"pick must be a member index in [0, {n - 1}]; got {p}."
    return None


def curve_set_shown(state: Mapping[str, Any]) -> dict[str, Any]:
    """What the curve-set picker shows for its state (``curveSetShown`` of the JavaScript).

    Parameters
    ----------
    state : mapping
        As for :func:`curve_set_estimates`, plus ``pick`` (a member index).

    Returns
    -------
    dict
        ``alpha_stars`` and ``tau_stars`` (per member, NaN where there is no estimate),
        ``missing`` (indices of those members), and for the picked member ``pick``, ``label``,
        ``position``, ``ok``, ``tau_star``, ``alpha_star``, ``selected`` (indices into its tau
        grid) and ``message`` (None with an estimate; the reason otherwise, or why ``pick``
        names no member).
    """
    results = curve_set_estimates(state)
    error = pick_error(state)
    picked = results[int(state["pick"])] if error is None else None
    member = state["members"][int(state["pick"])] if error is None else None
    return {
        "alpha_stars": [r.alpha_star for r in results],
        "tau_stars": [r.tau_star for r in results],
        "missing": [i for i, r in enumerate(results) if not r.ok],
        "pick": state["pick"],
        "label": member["label"] if member is not None else None,
        "position": member["position"] if member is not None else math.nan,
        "ok": picked.ok if picked is not None else False,
        "tau_star": picked.tau_star if picked is not None else math.nan,
        "alpha_star": picked.alpha_star if picked is not None else math.nan,
        "selected": [int(i) for i in picked.selected] if picked is not None else [],
        "message": (picked.message if picked is not None else error),
    }


def _cases() -> list[dict[str, Any]]:
    """Fixed states for the parity test: label-noise forests, a curve without the public-code
    sums, empty windows, both rules and picks out of range (about 15 KB each)."""
    from ...datasets import make_synthetic
    from ...forest import WaveletForest
    from ...tau_star import curve_from_arrays

    X, y = make_synthetic("spiral", n_samples=800, random_state=0)
    u = np.random.default_rng(0).random(y.shape[0])
    taus = np.arange(1, 64) / 32  # 63 points: small states, an exactly uniform grid
    members = []
    for k, p in enumerate((0.0, 0.1, 0.3, 0.5)):
        forest = WaveletForest(random_state=0).fit(X, np.where(u < p, 1 - y, y))
        curve = forest.sparsity_curve(taus if k != 2 else np.linspace(0.05, 1.95, 50))
        members.append(
            {"label": f"p = {p:g}", "position": p, "curve": curve_payload(curve), "extras": {}}
        )
    # a saved score from before log_inverse_sum was recorded: a gap under the public-code rule
    last = forest.sparsity_curve(taus)
    members.append(
        {
            "label": "no inverse sums",
            "position": 0.7,
            "curve": curve_payload(curve_from_arrays(last.taus, last.log_sparsity, 3)),
            "extras": {"test accuracy": None},
        }
    )
    cases = []
    for rule, windows in (
        ("paper", ((0.1, 0.4), (0.05, 0.3), (1.4, 1.5), (0.4, 0.1), (0.0, 1.5))),
        ("public-code", ((0.1, 0.4), (0.5, 3.0), (0.0, 0.01), (2.0, 5.0))),
    ):
        for k, (lo, hi) in enumerate(windows):
            cases.append(
                {
                    "members": members,
                    "axis_label": "label noise p",
                    "pick": k % len(members),
                    "rule": rule,
                    "eps_low": lo,
                    "eps_high": hi,
                }
            )
    for pick in (-1, len(members), 1.5):
        cases.append({**cases[0], "pick": pick})
    cases.append({**cases[0], "members": members[:1], "pick": 0})
    return cases


#: the curve-set picker (:class:`~sparsity_widgets.widgets.CurveSet`)
CURVE_SET = register(
    Twin(
        kind="curve-set",
        esm_files=("format.js", "tau_window.js", "curve_set.js", "curve_set_view.js"),
        js_function="curveSetShown",
        compute=curve_set_shown,
        controls=("pick", "rule", "eps_low", "eps_high"),
        cases=_cases,
    )
)
