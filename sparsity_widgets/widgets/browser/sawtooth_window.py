"""Python twin of ``sawtooth_window.js``: the sawtooth ``Lambda_j`` and its Besov growth.

The sawtooth widget's browser-side model draws ``Lambda_j`` (the hat composed ``j`` times) at its
knots, counts its teeth and computes the package's Besov semi-norm
(:func:`sparsity_widgets.sawtooth.besov_seminorm`: ``N_tau`` of the complete dyadic tree down to
level ``j + extra_levels``, ``1/tau = alpha + 1/2``) for ``Lambda_1 .. Lambda_j`` and the slope
of its ``log2`` (:func:`~sparsity_widgets.sawtooth.besov_growth`).

The dyadic sum runs level by level: the package's non-zero norms of ``Lambda_j`` are exactly
``2^(j - l - 1) sqrt(2^-l)``, ``2^l`` times on each level ``l = j + 1 .. j + extra_levels``
(the book's Exercise 8.1; ``tests/test_sawtooth_widget.py`` checks it against the package's
norms), so ``2^(j + extra_levels + 1)`` terms become ``extra_levels`` and every ``j`` of the
slider is cheap: nothing has to be precomputed. :func:`sawtooth_shown` repeats the JavaScript
step by step, with scalar floats, so that the two agree to rounding (``Twin.cases``).
"""

from __future__ import annotations

import json
import math
import numbers
from typing import Any

from .registry import Twin, register

__all__ = [
    "SAWTOOTH",
    "SAWTOOTH_MAX_DEPTH",
    "sawtooth_knots",
    "sawtooth_seminorm",
    "sawtooth_shown",
    "sawtooth_slope",
    "sawtooth_teeth",
]

#: the largest depth of the package's tree (besov_seminorm refuses more: 2^24 intervals)
SAWTOOTH_MAX_DEPTH = 24

# np.isclose(value, 1.0) of count_teeth: |value - 1| <= atol + rtol * |1|
_TOOTH_TOL = 1e-8 + 1e-5 * abs(1.0)


def _pow2(k: int) -> float:
    """``2^k`` exactly, by doublings or halvings (``sawPow2``)."""
    out = 1.0
    for _ in range(k):
        out *= 2.0
    for _ in range(-k):
        out *= 0.5
    return out


def _format_g(x: Any) -> str:
    """What ``sawFormatG`` writes: ``format(x, "g")`` for numbers, JSON for anything else."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return json.dumps(x)
    return f"{float(x):g}"


def _is_int(x: Any) -> bool:
    """``Number.isInteger(x)``: an int or a float with no fraction (never a bool)."""
    if isinstance(x, bool):
        return False
    if isinstance(x, numbers.Integral):
        return True
    return isinstance(x, float) and math.isfinite(x) and x.is_integer()


def _hat(x: float) -> float:
    return 1.0 - abs(2.0 * x - 1.0) if 0 <= x <= 1 else 0.0


def sawtooth_knots(j: int) -> tuple[list[float], list[float]]:
    """``Lambda_j`` at its knots ``k 2^-j``, ``k = 0 .. 2^j``, by composing the hat ``j`` times.

    Parameters
    ----------
    j : int
        ``j >= 1``.

    Returns
    -------
    x, f : list of float, length ``2^j + 1``
        The knots and the values there (0 and 1 alternately; the polyline is ``Lambda_j``).
    """
    n = _pow2(j)
    x, f = [], []
    for k in range(int(n) + 1):
        xk = k / n
        v = xk
        for _ in range(j):
            v = _hat(v)
        x.append(xk)
        f.append(v)
    return x, f


def sawtooth_teeth(values: list[float]) -> int:
    """Teeth of ``Lambda_j``: the knots where it equals 1 (as ``count_teeth`` counts them).

    Parameters
    ----------
    values : list of float
        ``Lambda_j`` at its knots (:func:`sawtooth_knots`).

    Returns
    -------
    int
    """
    return sum(1 for v in values if abs(v - 1.0) <= _TOOTH_TOL)


def sawtooth_seminorm(j: int, alpha: float, extra_levels: int) -> float:
    """``|Lambda_j|_{B^alpha_tau}`` as :func:`~sparsity_widgets.sawtooth.besov_seminorm` with
    ``p = 2``, summed level by level (``sawtoothSeminorm``).

    Parameters
    ----------
    j : int
        ``j >= 1``.
    alpha : float
        In ``(0, 1)``; ``1/tau = alpha + 1/2``.
    extra_levels : int
        Tree depth below level ``j``.

    Returns
    -------
    float
    """
    tau = 1.0 / (alpha + 1.0 / 2.0)
    norms, counts = [], []
    for level in range(j + 1, j + extra_levels + 1):
        size = 1.0 / _pow2(level)
        norms.append(_pow2(j - level - 1) * math.sqrt(size))
        counts.append(_pow2(level))
    largest = -math.inf
    for v in norms:
        largest = max(largest, v)
    total = 0.0
    for norm, count in zip(norms, counts, strict=True):
        total += count * math.pow(norm / largest, tau)
    log_sum = math.log(total) + tau * math.log(largest)
    return math.exp(log_sum / tau)


def sawtooth_slope(x: list[float], y: list[float]) -> float:
    """Least-squares slope of ``y`` against ``x`` (``np.polyfit(x, y, 1)[0]``, written out).

    Parameters
    ----------
    x, y : list of float, length n

    Returns
    -------
    float
        NaN for ``n < 2``.
    """
    n = len(x)
    if n < 2:
        return math.nan
    mx, my = 0.0, 0.0
    for i in range(n):
        mx += x[i]
        my += y[i]
    mx /= n
    my /= n
    sxy, sxx = 0.0, 0.0
    for i in range(n):
        sxy += (x[i] - mx) * (y[i] - my)
        sxx += (x[i] - mx) * (x[i] - mx)
    return sxy / sxx


def _j_problem(j: Any, j_max: Any, extra_levels: Any) -> str | None:
    if not (_is_int(j_max) and j_max >= 1):
        return f"j_max must be an integer >= 1; got {_format_g(j_max)}."
    if not (_is_int(extra_levels) and extra_levels >= 1):
        return f"extra_levels must be an integer >= 1; got {_format_g(extra_levels)}."
    j_max, extra_levels = int(j_max), int(extra_levels)
    if not (_is_int(j) and 1 <= j <= j_max):
        return f"j must be an integer in [1, {j_max}] (the slider's range); got {_format_g(j)}."
    j = int(j)
    if j + extra_levels > SAWTOOTH_MAX_DEPTH:
        return (
            f"j + extra_levels must be at most {SAWTOOTH_MAX_DEPTH} (2^{SAWTOOTH_MAX_DEPTH} "
            f"intervals, as besov_seminorm allows); got {j + extra_levels} (j={j}, "
            f"extra_levels={extra_levels})."
        )
    return None


def sawtooth_shown(state: dict[str, Any]) -> dict[str, Any]:
    """What the sawtooth widget shows for its state (``sawtoothShown`` of the JavaScript).

    Parameters
    ----------
    state : dict
        ``j`` (int), ``alpha`` (float), ``j_max`` (the slider's largest j) and
        ``extra_levels`` (tree depth below level j).

    Returns
    -------
    dict
        ``ok``, ``message`` (None when ok), ``tau``, ``teeth`` and ``layers`` (None when j is
        bad), ``x`` and ``f`` (the knots of ``Lambda_j``, shape (2^j + 1,)), ``seminorm``,
        ``constant`` (``seminorm / 2^(j alpha)``), ``growth_j`` (1 .. j), ``growth`` (the
        semi-norms of ``Lambda_1 .. Lambda_j``), ``log2_growth`` and ``slope`` (least squares
        of ``log2 growth`` against ``growth_j``; NaN for j = 1). Numbers are NaN and lists
        empty where the setting gives nothing.
    """
    j, alpha = state["j"], state["alpha"]
    extra_levels = state["extra_levels"]
    out: dict[str, Any] = {
        "ok": False,
        "message": None,
        "tau": math.nan,
        "teeth": None,
        "layers": None,
        "x": [],
        "f": [],
        "seminorm": math.nan,
        "constant": math.nan,
        "growth_j": [],
        "growth": [],
        "log2_growth": [],
        "slope": math.nan,
    }
    problem = _j_problem(j, state["j_max"], extra_levels)
    if problem is not None:
        out["message"] = problem
        return out
    j, extra_levels = int(j), int(extra_levels)
    out["x"], out["f"] = sawtooth_knots(j)
    out["teeth"] = sawtooth_teeth(out["f"])
    out["layers"] = 2 * j
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0.0 < alpha < 1.0:
        out["message"] = (
            "alpha must lie in (0, 1) (the wavelets of piecewise constants see no smoothness of "
            f"order 1 or more); got {_format_g(alpha)}."
        )
        return out
    alpha = float(alpha)
    out["tau"] = 1.0 / (alpha + 1.0 / 2.0)
    for i in range(1, j + 1):
        value = sawtooth_seminorm(i, alpha, extra_levels)
        out["growth_j"].append(i)
        out["growth"].append(value)
        out["log2_growth"].append(math.log2(value))
    out["seminorm"] = out["growth"][j - 1]
    out["constant"] = out["seminorm"] / math.pow(2.0, j * alpha)
    out["slope"] = sawtooth_slope(out["growth_j"], out["log2_growth"])
    out["ok"] = True
    return out


def _sawtooth_cases() -> list[dict[str, Any]]:
    """Fixed states for the parity test: the slider's corners, the book's setting and errors."""
    base = {"j": 4, "alpha": 0.5, "j_max": 10, "extra_levels": 12}
    cases = [
        {**base, "j": j, "alpha": alpha} for j in (1, 2, 5, 10) for alpha in (0.05, 0.25, 0.5, 0.95)
    ]
    cases += [
        {**base, "j": 12, "j_max": 12, "alpha": 0.75},  # the deepest tree (level 24)
        {**base, "j": 3, "alpha": 0.3, "extra_levels": 10},  # besov_growth's default depth
        {**base, "alpha": 0.15000000000000002},  # a slider step's rounding
        {**base, "alpha": 1.0},  # alpha out of (0, 1): the picture, no semi-norm
        {**base, "alpha": 0.0},
        {**base, "alpha": -0.25},
        {**base, "alpha": None},
        {**base, "j": 0},  # j out of the slider's range
        {**base, "j": 11},
        {**base, "j": 2.5},
        {**base, "j": 3.0},  # an integer that JSON wrote as a float
        {**base, "j": 10, "extra_levels": 16},  # deeper than besov_seminorm allows
        {**base, "j_max": 0},
        {**base, "extra_levels": 0},
    ]
    return cases


#: the sawtooth and its Besov growth (:class:`~sparsity_widgets.widgets.SawtoothWindow`)
SAWTOOTH = register(
    Twin(
        kind="sawtooth",
        esm_files=("format.js", "sawtooth_window.js", "sawtooth_window_view.js"),
        js_function="sawtoothShown",
        compute=sawtooth_shown,
        controls=("j", "alpha"),
        cases=_sawtooth_cases,
    )
)
