"""Python twin of ``tau_window.js``: tau* for an eps window from a stored sparsity curve.

The epsilon explorer's browser-side model recomputes tau* (either rule of
:mod:`sparsity_widgets.tau_star`) for any eps window and tau range from the arrays of a
:class:`~sparsity_widgets.SparsityCurve` that Python stores in the widget's state
(:func:`curve_payload`). :func:`tau_star_window` repeats the JavaScript step by step with numpy,
so that the two can be compared number for number (``tests/test_widgets_static.py``), and it
matches :func:`sparsity_widgets.tau_star.estimate_tau_star` on the restricted curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...tau_star import PUBLIC_CODE_SWEEP, RULES, SparsityCurve
from .registry import Twin, register

__all__ = ["EPSILON_WINDOW", "WindowResult", "curve_payload", "tau_star_window", "window_shown"]


def _json_floats(values: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def curve_payload(curve: SparsityCurve) -> dict[str, Any]:
    """The arrays of a curve the browser needs, JSON-ready (NaN becomes ``None``).

    Parameters
    ----------
    curve : SparsityCurve
        A fitted forest's curve or one rebuilt from a saved score (``curve_from_arrays``).

    Returns
    -------
    dict
        ``taus``, ``log_power_sum`` and ``log_inverse_sum`` (lists of length m) and ``n_trees``.
    """
    if not isinstance(curve, SparsityCurve):
        raise ValueError(f"curve must be a SparsityCurve; got {type(curve).__name__}.")
    return {
        "taus": _json_floats(curve.taus),
        "log_power_sum": _json_floats(curve.log_power_sum),
        "log_inverse_sum": _json_floats(curve.log_inverse_sum),
        "n_trees": int(curve.n_trees),
    }


@dataclass(frozen=True)
class WindowResult:
    """What ``tauStarWindow`` of ``tau_window.js`` returns, as Python objects.

    Attributes
    ----------
    ok : bool
        False when the setting gives no estimate; ``message`` then says why.
    rule : str
    tau_star, alpha_star : float
        NaN when not ``ok``.
    taus : ndarray, shape (m,)
        The grid restricted to the tau range (empty when not ``ok``).
    angles : ndarray, shape (m,)
        Radians (paper) or degrees (public code).
    selected : ndarray of int, shape (k,)
        Indices into ``taus`` of the taus that entered the estimate, increasing.
    window : (float, float)
        Angle bounds of the window.
    message : str or None
    """

    ok: bool
    rule: str
    tau_star: float = math.nan
    alpha_star: float = math.nan
    taus: np.ndarray = field(default_factory=lambda: np.empty(0))
    angles: np.ndarray = field(default_factory=lambda: np.empty(0))
    selected: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    window: tuple[float, float] = (math.nan, math.nan)
    message: str | None = None


def _array(values: Any) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def gradient(f: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``numpy.gradient(f, x)`` for a 1-D grid written out as ``tau_window.js`` does it.

    Parameters
    ----------
    f, x : ndarray, shape (n,)
        Values and strictly increasing coordinates, n >= 3.

    Returns
    -------
    ndarray, shape (n,)
    """
    dx = np.diff(x)
    out = np.empty_like(f)
    with np.errstate(invalid="ignore", over="ignore"):
        if (dx == dx[0]).all():
            out[1:-1] = (f[2:] - f[:-2]) / (2.0 * dx[0])
        else:
            dx1, dx2 = dx[:-1], dx[1:]
            a = -dx2 / (dx1 * (dx1 + dx2))
            b = (dx2 - dx1) / (dx1 * dx2)
            c = dx1 / (dx2 * (dx1 + dx2))
            out[1:-1] = a * f[:-2] + b * f[1:-1] + c * f[2:]
        out[0] = (f[1] - f[0]) / dx[0]
        out[-1] = (f[-1] - f[-2]) / dx[-1]
    return out


def format_g(x: float) -> str:
    """Python's ``format(x, "g")`` (what ``formatG`` of the JavaScript writes)."""
    return f"{x:g}"


def _angle_range_text(angles: np.ndarray, unit: str) -> str:
    finite = angles[np.isfinite(angles)]
    if finite.size == 0:
        return "no finite angle"
    return f"the angles on the grid span [{finite.min():.4f}, {finite.max():.4f}] {unit}"


def _restrict(taus: np.ndarray, tau_min: float, tau_max: float) -> np.ndarray:
    keep = np.flatnonzero((taus >= tau_min - 1e-9) & (taus <= tau_max + 1e-9))
    if keep.size < 3:
        raise ValueError(
            f"the tau range [{tau_min:.3f}, {tau_max:.3f}] holds {keep.size} grid "
            f"point(s); it needs at least 3 (the grid runs from {taus[0]:.3f} to "
            f"{taus[-1]:.3f}). Widen the range."
        )
    return keep


def _paper(
    taus: np.ndarray, log_sparsity: np.ndarray, eps_low: float, eps_high: float
) -> WindowResult:
    with np.errstate(over="ignore"):
        sparsity = np.exp(log_sparsity)
    derivative = gradient(sparsity, taus)
    derivative = np.where(np.isnan(derivative), -np.inf, derivative)
    angles = np.arctan(derivative)
    low, high = -math.pi / 2 + eps_low, -math.pi / 2 + eps_high
    selected = np.flatnonzero((angles >= low) & (angles <= high))
    if selected.size == 0:
        raise ValueError(
            f"no tau falls in the window: the paper rule keeps angles in [-pi/2 + eps_low, "
            f"-pi/2 + eps_high] = [{low:.4f}, {high:.4f}] rad (eps_low={format_g(eps_low)}, "
            f"eps_high={format_g(eps_high)}), but {_angle_range_text(angles, 'rad')}. Widen the "
            "window or use a finer tau grid."
        )
    tau_star = float(taus[selected].sum() / selected.size)
    return WindowResult(
        True, "paper", tau_star, 1.0 / tau_star - 0.5, taus, angles, selected, (low, high)
    )


def _public_code(
    taus: np.ndarray,
    log_power_sum: np.ndarray,
    log_inverse_sum: np.ndarray,
    n_trees: int,
    eps_low: float,
    eps_high: float,
) -> WindowResult:
    log_magnitude = (1.0 / taus - 1.0) * log_power_sum + log_inverse_sum - math.log(n_trees)
    with np.errstate(over="ignore"):
        angles = np.arctan(-np.exp(log_magnitude)) * (180.0 / math.pi)
    distance = np.abs(angles + 90.0)
    picked = np.empty(PUBLIC_CODE_SWEEP, dtype=np.int64)
    for k in range(PUBLIC_CODE_SWEEP):
        eps = eps_low + (eps_high - eps_low) * k / PUBLIC_CODE_SWEEP
        inside = np.flatnonzero(distance <= eps)
        if inside.size == 0:
            raise ValueError(
                f"no tau falls in the window: the public-code rule needs |angle + 90| <= "
                f"{format_g(eps)} degrees (eps_low={format_g(eps_low)}, "
                f"eps_high={format_g(eps_high)}), but {_angle_range_text(angles, 'degrees')}. "
                "Raise eps_low or extend the grid towards tau = 0."
            )
        picked[k] = inside[-1]
    alpha_star = float((1.0 / taus[picked] - 0.5).sum() / PUBLIC_CODE_SWEEP)
    return WindowResult(
        True,
        "public-code",
        1.0 / (alpha_star + 0.5),
        alpha_star,
        taus,
        angles,
        np.unique(picked),
        (-90.0 - eps_high, -90.0 + eps_high),
    )


def tau_star_window(
    payload: dict[str, Any],
    rule: str,
    eps_low: float,
    eps_high: float,
    tau_min: float | None = None,
    tau_max: float | None = None,
) -> WindowResult:
    """tau* for one setting of the explorer, exactly as the browser computes it.

    Parameters
    ----------
    payload : dict
        From :func:`curve_payload` (or the same keys read back from JSON).
    rule : {"paper", "public-code"}
    eps_low, eps_high : float
        Window parameters in the rule's unit (radians for the paper, degrees for the code).
    tau_min, tau_max : float, optional
        Restrict the grid (inclusive to 1e-9); the whole grid when omitted.

    Returns
    -------
    WindowResult
        ``ok`` False with the message of :mod:`sparsity_widgets.tau_star` when the range holds
        fewer than 3 taus, the public-code rule lacks ``log_inverse_sum``, the window is
        malformed or no tau falls in it. An unknown ``rule`` raises (a programming error).
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}; got {rule!r}.")
    all_taus = _array(payload["taus"])
    lo = all_taus[0] if tau_min is None else float(tau_min)
    hi = all_taus[-1] if tau_max is None else float(tau_max)
    unit = "radians" if rule == "paper" else "degrees"
    limit = math.pi if rule == "paper" else 180.0
    try:
        keep = _restrict(all_taus, lo, hi)
        taus = all_taus[keep]
        log_power_sum = _array(payload["log_power_sum"])[keep]
        log_inverse_sum = _array(payload["log_inverse_sum"])[keep]
        if rule == "public-code" and not np.isfinite(log_inverse_sum).any():
            raise ValueError(
                "the public-code rule needs log(sum n^(tau - 1)), which this saved score does "
                "not hold (it was probed before log_inverse_sum was recorded); use the paper "
                "rule or probe the layer again."
            )
        for name, value in (("eps_low", eps_low), ("eps_high", eps_high)):
            if not 0.0 <= value <= limit:
                raise ValueError(
                    f"{name} must lie in [0, {format_g(limit)}]; got {format_g(value)}."
                )
        if not eps_low < eps_high:
            raise ValueError(
                f"eps_low must be smaller than eps_high (both in {unit} for rule {rule!r}); "
                f"got eps_low={format_g(eps_low)}, eps_high={format_g(eps_high)}."
            )
        log_sparsity = log_power_sum / taus - math.log(payload["n_trees"])
        if rule == "paper":
            return _paper(taus, log_sparsity, float(eps_low), float(eps_high))
        return _public_code(
            taus, log_power_sum, log_inverse_sum, payload["n_trees"], eps_low, eps_high
        )
    except ValueError as exc:
        return WindowResult(False, rule, message=str(exc))


def window_shown(state: dict[str, Any]) -> dict[str, Any]:
    """What the epsilon window shows for its state (``epsilonWindowShown`` of the JavaScript).

    Parameters
    ----------
    state : dict
        ``curve`` (a :func:`curve_payload`), ``rule``, ``eps_low``, ``eps_high``, ``tau_min``,
        ``tau_max``.

    Returns
    -------
    dict
        ``ok``, ``tau_star``, ``alpha_star`` (NaN without an estimate), ``selected`` (indices
        into the restricted grid) and ``message`` (``None`` with an estimate).
    """
    result = tau_star_window(
        state["curve"],
        state["rule"],
        state["eps_low"],
        state["eps_high"],
        state["tau_min"],
        state["tau_max"],
    )
    return {
        "ok": result.ok,
        "tau_star": result.tau_star,
        "alpha_star": result.alpha_star,
        "selected": [int(i) for i in result.selected],
        "message": result.message,
    }


def _window_cases() -> list[dict[str, Any]]:
    """Fixed states for the parity test: a forest's curve, both rules, edges and errors."""
    from ...datasets import make_synthetic
    from ...forest import WaveletForest

    X, y = make_synthetic("spiral", n_samples=1000, random_state=0)
    payload = curve_payload(WaveletForest(random_state=0).fit(X, y).sparsity_curve())
    cases = []
    for rule, windows in (
        ("paper", ((0.1, 0.4), (0.05, 0.3), (1.4, 1.5), (0.4, 0.1))),
        ("public-code", ((0.1, 0.4), (0.5, 3.0), (0.0, 0.01))),
    ):
        spans = ((0.0, 2.0), (0.3, 1.2), (0.5, 0.9), (1.0, 1.01))[: len(windows)]
        for (lo, hi), (t0, t1) in zip(windows, spans, strict=True):
            cases.append(
                {
                    "curve": payload,
                    "rule": rule,
                    "eps_low": lo,
                    "eps_high": hi,
                    "tau_min": t0,
                    "tau_max": t1,
                }
            )
    return cases


#: the epsilon window (:class:`~sparsity_widgets.widgets.EpsilonWindow`)
EPSILON_WINDOW = register(
    Twin(
        kind="epsilon-window",
        esm_files=("format.js", "tau_window.js", "epsilon_window_view.js"),
        js_function="epsilonWindowShown",
        compute=window_shown,
        controls=("rule", "eps_low", "eps_high", "tau_min", "tau_max"),
        cases=_window_cases,
    )
)
