"""Python twin of ``mterm_window.js``: the M-term error, tail energy and slope from a stored curve.

The M-term explorer's browser-side model reads the arrays of an
:class:`~sparsity_widgets.approximation.MTermCurve` that Python stores in the widget's state
(:func:`mterm_payload`: the RMS error for every stored M, the sorted wavelet norms) and
recomputes, for any M and fit range: the error at M, the tail energy of the norms past M and the
least-squares slope of ``log error`` against ``log M`` of Elisha & Dekel
(:meth:`MTermCurve.slope <sparsity_widgets.approximation.MTermCurve.slope>`). The functions
here repeat the JavaScript step by step with numpy, so that the two can be compared number for
number (``tests/test_widgets_static.py``), and :func:`mterm_slope` equals
``MTermCurve.slope`` on the same points (``tests/test_mterm_widget.py``).

Big curves are subsampled: at most ``max_points`` values of M are stored, log-spaced, always
with M = 0, 1, the last, and the 50 points of the default slope fit; the skipped wavelets'
squared norms are kept in blocks, so the tail energy stays exact at every stored M.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...approximation import MTermCurve
from .registry import Twin, register

__all__ = [
    "FIT_POINTS",
    "MAX_POINTS",
    "MTERM_WINDOW",
    "SlopeResult",
    "fit_points",
    "mterm_payload",
    "mterm_shown",
    "mterm_slope",
    "nearest_index",
    "tail_energy",
]

#: number of log-spaced M values of MTermCurve.slope (its default ``n_points``)
FIT_POINTS = 50
#: default bound on the number of stored M values
MAX_POINTS = 2000


def _round_half_even(x: float) -> int:
    return int(np.round(x))


def fit_points(m_min: int, m_max: int, n: int = FIT_POINTS) -> list[int]:
    """``np.unique(np.round(np.geomspace(m_min, m_max, n)).astype(int))`` written out as the
    JavaScript computes it (log10 of the ends, linspace, power of 10, the ends put back).

    Parameters
    ----------
    m_min, m_max : int
        Ends, 1 <= m_min < m_max.
    n : int
        Number of log-spaced values (>= 2).

    Returns
    -------
    list of int
        Increasing, without duplicates.
    """
    log_start = math.log10(m_min)
    log_stop = math.log10(m_max)
    step = (log_stop - log_start) / (n - 1)
    values = []
    for i in range(n):
        y = i * step
        y += log_start
        if i == n - 1:
            y = log_stop
        values.append(10.0**y)
    values[0] = float(m_min)
    values[-1] = float(m_max)
    return sorted({_round_half_even(v) for v in values})


def nearest_index(ms: Any, m: float) -> int:
    """Index of the stored M nearest to ``m`` (the lower one on a tie); exact when stored.

    Parameters
    ----------
    ms : sequence of int, shape (k,)
        Stored values of M, increasing.
    m : float

    Returns
    -------
    int
    """
    lo, hi = 0, len(ms) - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if ms[mid] < m:
            lo = mid + 1
        else:
            hi = mid
    if lo > 0 and m - ms[lo - 1] <= ms[lo] - m:
        return lo - 1
    return lo


def tail_energy(curve: Mapping[str, Any]) -> np.ndarray:
    """``sqrt(sum_{j > M} ||psi_j||^2) / J`` at every stored M, summed from the smallest norm up.

    The error the M-term forest would have if its wavelets (each weighted ``1/J`` in the
    forest's prediction) were orthogonal; they are not, across trees nor within one tree (a
    child's wavelet is not orthogonal to its parent's), so it is a comparison, not the error.

    Parameters
    ----------
    curve : mapping
        A :func:`mterm_payload`.

    Returns
    -------
    ndarray of float64, shape (k,)
    """
    norms = np.asarray(curve["norms"], dtype=np.float64)
    skipped = curve.get("skipped_energy") or []
    energy = norms * norms
    if len(skipped):
        energy = energy + np.asarray(skipped, dtype=np.float64)
    suffix = np.zeros(norms.shape[0] + 1)
    # cumulative sums are sequential: the same order as the JavaScript loop
    suffix[:-1] = np.cumsum(energy[::-1])[::-1]
    return np.sqrt(suffix) / curve["n_trees"]


@dataclass(frozen=True)
class SlopeResult:
    """What ``mtermSlope`` of ``mterm_window.js`` returns, as Python objects.

    Attributes
    ----------
    ok : bool
        False when the range gives no slope; ``message`` then says why.
    slope, alpha, intercept : float
        NaN when not ``ok``.
    m_min, m_max : int
        The range (``m_max`` capped at the number of wavelets).
    points : list of int
        The stored M values in the fit (error > 0).
    message : str or None
    """

    ok: bool
    m_min: int
    m_max: int
    slope: float = math.nan
    alpha: float = math.nan
    intercept: float = math.nan
    points: list[int] = field(default_factory=list)
    message: str | None = None


def mterm_slope(curve: Mapping[str, Any], m_min: int, m_max: int) -> SlopeResult:
    """The Elisha-Dekel slope over ``[m_min, m_max]``, exactly as the browser computes it.

    The checks and messages of :meth:`MTermCurve.slope
    <sparsity_widgets.approximation.MTermCurve.slope>`, its 50 log-spaced M (each taken at the
    nearest stored M: the same M when the curve is not subsampled), and the least-squares line
    in closed form (means, then centred sums) where the package calls ``np.polyfit``.

    Parameters
    ----------
    curve : mapping
        A :func:`mterm_payload`.
    m_min, m_max : int

    Returns
    -------
    SlopeResult
    """
    n = int(curve["n_wavelets"])

    def fail(message: str) -> SlopeResult:
        return SlopeResult(False, m_min, m_max, message=message)

    if n < 3:
        return fail(f"the slope needs at least 3 wavelets; the forest has {n}.")
    for name, value in (("m_min", m_min), ("m_max", m_max)):
        if isinstance(value, bool) or not float(value).is_integer() or value < 1:
            return fail(f"{name} must be an integer >= 1; got {value}.")
    m_min, m_max = int(m_min), int(m_max)
    top = min(m_max, n)
    if top < m_min + 2:
        return fail(
            f"m_max must be at least m_min + 2 and at most {n} (the number of wavelets); got "
            f"m_min={m_min}, m_max={top}."
        )
    # the stored M in [m_min, top]: all of them unless the curve is subsampled
    ms = curve["m"]
    error = curve["error"]
    first = nearest_index(ms, m_min) + (1 if ms[nearest_index(ms, m_min)] < m_min else 0)
    last = nearest_index(ms, top) - (1 if ms[nearest_index(ms, top)] > top else 0)
    if last - first + 1 < 3:
        return fail(
            f"the range [{m_min}, {top}] holds {max(last - first + 1, 0)} stored value(s) of M; "
            f"the fit needs at least 3 (the curve keeps {len(ms)} of {n + 1} values of M, "
            "log-spaced). Widen the range."
        )
    indices = sorted({min(max(nearest_index(ms, m), first), last) for m in fit_points(m_min, top)})
    points, xs, ys = [], [], []
    for i in indices:
        err = float(error[i])
        if err > 0:
            points.append(int(ms[i]))
            xs.append(math.log(ms[i]))
            ys.append(math.log(err))
    if len(points) < 3:
        return fail(
            f"the error is zero for almost all M in [{m_min}, {top}]: the approximation is exact "
            "there, so there is no decay to fit. Choose a smaller m_max."
        )
    sx = 0.0
    sy = 0.0
    for x, y in zip(xs, ys, strict=True):
        sx += x
        sy += y
    mx = sx / len(xs)
    my = sy / len(ys)
    sxx = 0.0
    sxy = 0.0
    for x, y in zip(xs, ys, strict=True):
        dx = x - mx
        sxx += dx * dx
        sxy += dx * (y - my)
    slope = sxy / sxx
    return SlopeResult(True, m_min, top, slope, -slope, my - slope * mx, points)


def mterm_shown(state: Mapping[str, Any]) -> dict[str, Any]:
    """What the M-term window shows for its state (``mtermWindowShown`` of the JavaScript).

    Parameters
    ----------
    state : mapping
        ``curve`` (a :func:`mterm_payload`), ``m``, ``m_min``, ``m_max``.

    Returns
    -------
    dict
        ``m`` (the stored M shown), ``m_note`` (why it differs from the asked M, else None),
        ``error_at_m``, ``tail_at_m``, ``norm_at_m`` (NaN at M = 0), ``fit_ok``, ``slope``,
        ``alpha``, ``intercept`` (NaN without a fit), ``fit_points``, ``fit_message`` and
        ``alpha_star`` (NaN when not stored).
    """
    curve = state["curve"]
    ms = curve["m"]
    k = nearest_index(ms, state["m"])
    stored = ms[k] == state["m"]
    tail = tail_energy(curve)
    fit = mterm_slope(curve, state["m_min"], state["m_max"])
    alpha_star = curve.get("alpha_star")
    note = None
    if not stored:
        if curve["subsampled"]:
            where = (
                f"the curve keeps {len(ms)} of {curve['n_wavelets'] + 1} values of M, log-spaced"
            )
        else:
            where = f"M is a whole number from 0 to {curve['n_wavelets']}"
        note = f"M = {state['m']} is not stored ({where}); showing the nearest stored M = {ms[k]}."
    return {
        "m": int(ms[k]),
        "m_note": note,
        "error_at_m": float(curve["error"][k]),
        "tail_at_m": float(tail[k]),
        "norm_at_m": math.nan if k == 0 else float(curve["norms"][k - 1]),
        "fit_ok": fit.ok,
        "slope": fit.slope,
        "alpha": fit.alpha,
        "intercept": fit.intercept,
        "fit_points": list(fit.points),
        "fit_message": fit.message,
        "alpha_star": math.nan if alpha_star is None else float(alpha_star),
    }


def default_range(n_wavelets: int) -> tuple[int, int]:
    """MTermCurve.slope's default ``(m_min, m_max)``: 1 % and 50 % of the wavelets."""
    m_min = max(1, n_wavelets // 100)
    return m_min, max(m_min + 2, n_wavelets // 2)


def stored_m(n_wavelets: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """The values of M a payload keeps: all of them, or about ``max_points`` log-spaced.

    Parameters
    ----------
    n_wavelets : int
    max_points : int
        At least 100.

    Returns
    -------
    ndarray of int64, shape (k,)
        Increasing, with 0, 1 and ``n_wavelets`` (and, when subsampled, the points of the
        default slope fit), ``k <= max_points``.
    """
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 100:
        raise ValueError(f"max_points must be an integer >= 100; got {max_points!r}.")
    if n_wavelets + 1 <= max_points:
        return np.arange(n_wavelets + 1, dtype=np.int64)
    grid = np.round(np.geomspace(1, n_wavelets, max_points - 1 - FIT_POINTS)).astype(np.int64)
    parts = [np.zeros(1, dtype=np.int64), grid]
    if n_wavelets >= 3:
        parts.append(np.asarray(fit_points(*default_range(n_wavelets)), dtype=np.int64))
    return np.unique(np.concatenate(parts))


def mterm_payload(
    curve: MTermCurve,
    n_trees: int,
    alpha_star: float | None = None,
    alpha_star_note: str | None = None,
    max_points: int = MAX_POINTS,
) -> dict[str, Any]:
    """The arrays of an M-term curve the browser needs, JSON-ready.

    Parameters
    ----------
    curve : MTermCurve
        From :meth:`WaveletForest.mterm_curve <sparsity_widgets.WaveletForest.mterm_curve>`.
    n_trees : int
        J of the forest: its prediction weighs each wavelet by ``1/J`` (the tail energy uses it).
    alpha_star : float, optional
        alpha* = 1/tau* - 1/2 of the same forest, shown beside the fitted alpha.
    alpha_star_note : str, optional
        Why alpha* is missing (e.g. the estimator's message).
    max_points : int
        Keep at most this many values of M (log-spaced; see :func:`stored_m`).

    Returns
    -------
    dict
        ``m`` (k ints), ``error`` (k floats), ``norms`` (k - 1 floats: the norm of the M-th
        wavelet for each stored M >= 1; all of ``added_norms`` when not subsampled),
        ``skipped_energy`` (k - 1 floats: the squared norms of the wavelets between two stored
        M; empty when not subsampled), ``n_wavelets``, ``n_trees``, ``n_samples``,
        ``subsampled``, ``alpha_star`` (float or None) and ``alpha_star_note``.
    """
    if not isinstance(curve, MTermCurve):
        raise ValueError(f"curve must be an MTermCurve; got {type(curve).__name__}.")
    if isinstance(n_trees, bool) or not isinstance(n_trees, (int, np.integer)) or n_trees < 1:
        raise ValueError(f"n_trees must be an integer >= 1; got {n_trees!r}.")
    n = int(curve.n_terms[-1])
    ms = stored_m(n, max_points)
    norms = np.asarray(curve.added_norms, dtype=np.float64)
    subsampled = ms.shape[0] < n + 1
    skipped: list[float] = []
    if subsampled:
        squares = norms * norms
        # wavelet number i (1-based) is norms[i - 1]; between stored M a < b lie a + 1 .. b - 1
        skipped = [float(np.sum(squares[a : b - 1])) for a, b in itertools.pairwise(ms)]
    if alpha_star is not None and not math.isfinite(float(alpha_star)):
        alpha_star = None
    return {
        "m": [int(m) for m in ms],
        "error": [float(e) for e in curve.error[ms]],
        "norms": [float(v) for v in norms[ms[1:] - 1]],
        "skipped_energy": skipped,
        "n_wavelets": n,
        "n_trees": int(n_trees),
        "n_samples": int(curve.n_samples),
        "subsampled": bool(subsampled),
        "alpha_star": None if alpha_star is None else float(alpha_star),
        "alpha_star_note": alpha_star_note,
    }


def _synthetic_curve(n: int, rate: float, seed: int, zero_from: int | None = None) -> MTermCurve:
    """A made-up curve of n wavelets: norms ~ m^-(rate + 1/2), error ~ M^-rate with noise."""
    rng = np.random.default_rng(seed)
    m = np.arange(1, n + 1)
    norms = np.sort(m ** -(rate + 0.5) * np.exp(0.1 * rng.standard_normal(n)))[::-1]
    error = np.concatenate([[1.0], 0.9 * m**-rate * np.exp(0.02 * rng.standard_normal(n))])
    if zero_from is not None:
        error[zero_from:] = 0.0
    return MTermCurve(np.arange(n + 1, dtype=np.int64), error, norms, 500)


def _mterm_cases() -> list[dict[str, Any]]:
    """Fixed states for the parity test: a forest's curve, a subsampled one, edges and errors."""
    from ...datasets import make_synthetic
    from ...forest import WaveletForest

    X, y = make_synthetic("spiral", n_samples=600, random_state=0)
    forest = WaveletForest(random_state=0).fit(X, y)
    small = mterm_payload(forest.mterm_curve(), 3, alpha_star=0.3)
    n = small["n_wavelets"]
    big = mterm_payload(_synthetic_curve(6000, 0.4, 1), 2, max_points=150)
    exact = mterm_payload(_synthetic_curve(40, 0.7, 2, zero_from=30), 1)
    tiny = mterm_payload(_synthetic_curve(2, 0.5, 3), 1, alpha_star_note="no tau* (test)")
    lo, hi = default_range(n)
    settings = [
        (small, 0, lo, hi),
        (small, 1, 1, 3),
        (small, 7, 1, n),
        (small, n, lo, hi),
        (small, n // 2, 5, 10 * n),  # m_max past the end: capped
        (small, 3, 4, 5),  # too short a range
        (small, 3, 0, 5),  # m_min < 1
        (small, 3.5, 2, 40),  # between two stored M
        (big, 0, *default_range(6000)),
        (big, 1, 1, 6000),
        (big, 1234, 10, 3000),  # not stored: nearest
        (big, 6000, 2000, 2100),
        (big, 2, 3, 4),
        (exact, 10, 1, 40),
        (exact, 35, 25, 40),  # error zero past M = 30
        (exact, 40, 28, 31),
        (tiny, 1, 1, 2),
    ]
    return [{"curve": c, "m": m, "m_min": a, "m_max": b} for c, m, a, b in settings]


MTERM_WINDOW = register(
    Twin(
        kind="mterm-window",
        esm_files=("mterm_window.js", "mterm_window_view.js"),
        js_function="mtermWindowShown",
        compute=mterm_shown,
        controls=("m", "m_min", "m_max"),
        cases=_mterm_cases,
    )
)
