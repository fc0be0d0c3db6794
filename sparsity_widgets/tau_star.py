"""tau-sparsity N_tau (eq. 3.7) and the transition index tau* with two estimation rules.

Two rules estimate tau* from the same curve and generally give different numbers:

``"paper"`` (default; Sec. 3.3 of Ben-Shaul & Dekel)
    Differentiate ``N_tau`` numerically on the grid (``numpy.gradient``), take angles
    ``theta = arctan(dN/dtau)`` in **radians**, keep the taus whose angle lies in
    ``[-pi/2 + eps_low, -pi/2 + eps_high]`` and average them. Defaults 0.1 and 0.4.

``"public-code"`` (the authors' public implementation)
    Replace the derivative by the scale-invariant expression
    ``D(tau) = -(1/J) (sum n^tau)^(1/tau - 1) * sum n^(tau - 1)`` (unchanged when every norm is
    multiplied by a constant), take angles in **degrees**, and for each of 100 epsilons swept
    over ``[eps_low, eps_high)`` pick the *largest* tau with ``|theta + 90| <= epsilon``; alpha*
    is the mean of ``1/tau - 1/2`` over the sweep and tau* = 1 / (alpha* + 1/2). Defaults 0.1
    and 0.4, here in degrees. Zero norms are left out of ``sum n^(tau - 1)``, where they would be
    infinite for tau < 1 (they contribute nothing to N_tau).

Both start from a :class:`SparsityCurve`, so re-estimating with other epsilons costs a window
selection, never a refit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ._numerics import log_sum_powers
from ._validation import check_choice, check_int, check_real

__all__ = [
    "DEFAULT_EPSILONS",
    "RULES",
    "SparsityCurve",
    "TauStarEstimate",
    "curve_from_arrays",
    "default_tau_grid",
    "estimate_tau_star",
    "sparsity_curve",
    "tau_sparsity",
]

RULES = ("paper", "public-code")
#: Default (eps_low, eps_high) per rule: radians for the paper's rule, degrees for the code's.
DEFAULT_EPSILONS = {"paper": (0.1, 0.4), "public-code": (0.1, 0.4)}
#: Number of epsilons the public-code rule sweeps over [eps_low, eps_high).
PUBLIC_CODE_SWEEP = 100


def default_tau_grid() -> np.ndarray:
    """The default grid of tau: ``0.001, 0.011, ..., 1.991`` (200 points, step 0.01).

    It is the grid of the authors' public code, used by both rules so that they differ only in
    the rule.

    Returns
    -------
    ndarray of float64, shape (200,)
    """
    return np.round(1e-3 + 0.01 * np.arange(200), 12)


def _check_taus(taus: Any) -> np.ndarray:
    arr = np.asarray(taus, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] < 3:
        raise ValueError(f"taus must be a 1-D grid of at least 3 values; got shape {arr.shape}.")
    if not np.isfinite(arr).all() or arr.min() <= 0.0 or arr.max() >= 2.0:
        raise ValueError(
            f"taus must lie strictly inside (0, 2); got values from {arr.min():g} to {arr.max():g}."
        )
    if not (np.diff(arr) > 0).all():
        raise ValueError("taus must be strictly increasing; sort the grid and drop duplicates.")
    return arr


def _check_norms(norms: Any) -> np.ndarray:
    arr = np.asarray(norms, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"norms must be a 1-D array of wavelet norms; got shape {arr.shape}.")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError("norms must be finite and non-negative.")
    if not (arr > 0).any():
        raise ValueError(
            "norms has no positive entry: every wavelet is zero, so the target is constant on "
            "the data and N_tau carries no information. Check the labels."
        )
    return arr


@dataclass(frozen=True)
class SparsityCurve:
    """``log N_tau`` of a forest on a grid of tau, plus what the public-code rule needs.

    Attributes
    ----------
    taus : ndarray, shape (m,)
        The grid, strictly increasing inside (0, 2).
    log_power_sum : ndarray, shape (m,)
        ``log(sum n^tau)`` over the non-root wavelet norms.
    positive_norms : ndarray, shape (k,)
        The norms that are not zero (zeros add nothing to ``sum n^tau``).
    n_trees : int
        J, the number of trees.
    n_wavelets : int
        Number of non-root wavelets (zero norms included).
    """

    taus: np.ndarray
    log_power_sum: np.ndarray
    positive_norms: np.ndarray
    n_trees: int
    n_wavelets: int

    @cached_property
    def log_inverse_sum(self) -> np.ndarray:
        """``log(sum n^(tau - 1))`` over the positive norms, shape (m,); the public-code rule
        needs it, so it is computed on first use only."""
        return log_sum_powers(self.positive_norms, self.taus - 1.0)

    @property
    def log_sparsity(self) -> np.ndarray:
        """``log N_tau = (1/tau) log(sum n^tau) - log J`` (eq. 3.7), shape (m,)."""
        return self.log_power_sum / self.taus - math.log(self.n_trees)

    @property
    def sparsity(self) -> np.ndarray:
        """N_tau itself, shape (m,); ``inf`` where it exceeds double precision."""
        with np.errstate(over="ignore"):
            return np.exp(self.log_sparsity)


def sparsity_curve(norms: Any, n_trees: int, taus: Any = None) -> SparsityCurve:
    """Compute the tau-sparsity curve of a forest from its non-root wavelet norms.

    Parameters
    ----------
    norms : array-like, shape (n_wavelets,)
        Wavelet norms of every non-root node of every tree (roots excluded).
    n_trees : int
        Number of trees J in eq. (3.7).
    taus : array-like, shape (m,), optional
        Grid inside (0, 2); :func:`default_tau_grid` when omitted.

    Returns
    -------
    SparsityCurve
    """
    norms = _check_norms(norms)
    n_trees = check_int("n_trees", n_trees, minimum=1)
    taus = _check_taus(default_tau_grid() if taus is None else taus)
    positive = norms[norms > 0]
    log_power_sum = log_sum_powers(positive, taus)
    return SparsityCurve(taus, log_power_sum, positive, n_trees, int(norms.shape[0]))


def curve_from_arrays(
    taus: Any,
    log_sparsity: Any,
    n_trees: int,
    log_inverse_sum: Any = None,
    n_wavelets: int = 0,
) -> SparsityCurve:
    """Rebuild a :class:`SparsityCurve` from saved arrays, without the wavelet norms.

    A probe's :class:`~sparsity_widgets.probe.LayerScore` keeps ``taus``, ``log_sparsity`` and
    ``log_inverse_sum`` but not the norms; this is all either rule needs. It also restricts a
    curve to a sub-range of its grid (pass the sliced arrays).

    Parameters
    ----------
    taus : array-like, shape (m,)
        Strictly increasing grid inside (0, 2), at least 3 values.
    log_sparsity : array-like, shape (m,)
        ``log N_tau``; ``+inf`` where N_tau overflowed.
    n_trees : int
        J, the number of trees the curve was computed with (``settings["n_trees"]`` of a
        probe result).
    log_inverse_sum : array-like, shape (m,), optional
        ``log(sum n^(tau - 1))``, needed by the public-code rule only. When omitted it is NaN,
        and the public-code rule then finds no finite angle and says so.
    n_wavelets : int, default=0
        Number of non-root wavelets, when known (informative only).

    Returns
    -------
    SparsityCurve
        With an empty ``positive_norms``: the norms are not known.
    """
    taus = _check_taus(taus)
    n_trees = check_int("n_trees", n_trees, minimum=1)
    n_wavelets = check_int("n_wavelets", n_wavelets, minimum=0)
    log_sparsity = np.asarray(log_sparsity, dtype=np.float64)
    if log_sparsity.shape != taus.shape or np.isnan(log_sparsity).any():
        raise ValueError(
            f"log_sparsity must be a NaN-free array of the grid's shape {taus.shape}; got "
            f"shape {log_sparsity.shape}."
        )
    if log_inverse_sum is None:
        inverse = np.full(taus.shape, np.nan)
    else:
        inverse = np.asarray(log_inverse_sum, dtype=np.float64)
        if inverse.shape != taus.shape:
            raise ValueError(
                f"log_inverse_sum must have the grid's shape {taus.shape}; got {inverse.shape}."
            )
    curve = SparsityCurve(
        taus=taus,
        log_power_sum=taus * (log_sparsity + math.log(n_trees)),
        positive_norms=np.empty(0),
        n_trees=n_trees,
        n_wavelets=n_wavelets,
    )
    # seed the cached property: the norms it would be computed from are not available
    curve.__dict__["log_inverse_sum"] = inverse
    return curve


def tau_sparsity(norms: Any, taus: Any, n_trees: int = 1) -> np.ndarray:
    """N_tau of eq. (3.7): ``(1/J) (sum_i n_i^tau)^(1/tau)`` for every tau.

    Parameters
    ----------
    norms : array-like, shape (n_wavelets,)
        Non-root wavelet norms of all trees.
    taus : array-like, shape (m,)
        Values of tau in (0, 2), increasing.
    n_trees : int
        J.

    Returns
    -------
    ndarray, shape (m,)
        ``inf`` where the value exceeds double precision.
    """
    return sparsity_curve(norms, n_trees, taus).sparsity


@dataclass(frozen=True)
class TauStarEstimate:
    """Everything Figure 4 of the paper draws, plus the estimate.

    Attributes
    ----------
    rule : str
        ``"paper"`` or ``"public-code"``.
    tau_star, alpha_star : float
        The transition index and ``alpha* = 1/tau* - 1/2``.
    eps_low, eps_high : float
        The window parameters, in ``angle_unit``.
    angle_unit : str
        ``"rad"`` (paper) or ``"deg"`` (public code).
    taus : ndarray, shape (m,)
    log_sparsity : ndarray, shape (m,)
        ``log N_tau``.
    derivative : ndarray, shape (m,)
        What the angles are taken of: ``dN/dtau`` (paper) or the scale-invariant expression
        (public code); ``-inf`` where it overflows.
    angles : ndarray, shape (m,)
        ``arctan(derivative)`` in ``angle_unit``.
    selected : ndarray of bool, shape (m,)
        Taus that entered the estimate.
    window : tuple of float
        (low, high) angle bounds of the window, in ``angle_unit`` (for the public-code rule the
        widest window of the sweep).
    sweep_epsilons, sweep_taus : ndarray or None
        Public-code rule only: each epsilon of the sweep and the tau it picked.
    """

    rule: str
    tau_star: float
    alpha_star: float
    eps_low: float
    eps_high: float
    angle_unit: str
    taus: np.ndarray
    log_sparsity: np.ndarray
    derivative: np.ndarray
    angles: np.ndarray
    selected: np.ndarray
    window: tuple[float, float]
    sweep_epsilons: np.ndarray | None = field(default=None)
    sweep_taus: np.ndarray | None = field(default=None)

    @property
    def sparsity(self) -> np.ndarray:
        """N_tau on the grid, shape (m,)."""
        with np.errstate(over="ignore"):
            return np.exp(self.log_sparsity)

    @property
    def selected_taus(self) -> np.ndarray:
        """The taus that entered the estimate, shape (k,)."""
        return self.taus[self.selected]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; non-finite floats become None."""

        def clean(value: Any) -> Any:
            if isinstance(value, np.ndarray):
                return [clean(v) for v in value.tolist()]
            if isinstance(value, float | np.floating):
                return float(value) if math.isfinite(value) else None
            if isinstance(value, tuple | list):
                return [clean(v) for v in value]
            return value

        return {
            "rule": self.rule,
            "tau_star": clean(self.tau_star),
            "alpha_star": clean(self.alpha_star),
            "eps_low": self.eps_low,
            "eps_high": self.eps_high,
            "angle_unit": self.angle_unit,
            "window": clean(self.window),
            "taus": clean(self.taus),
            "log_sparsity": clean(self.log_sparsity),
            "derivative": clean(self.derivative),
            "angles": clean(self.angles),
            "selected_taus": clean(self.selected_taus),
            "sweep_epsilons": None if self.sweep_epsilons is None else clean(self.sweep_epsilons),
            "sweep_taus": None if self.sweep_taus is None else clean(self.sweep_taus),
        }


def _check_window(rule: str, eps_low: Any, eps_high: Any) -> tuple[float, float]:
    default_low, default_high = DEFAULT_EPSILONS[rule]
    limit = math.pi if rule == "paper" else 180.0
    unit = "radians" if rule == "paper" else "degrees"
    low = check_real("eps_low", default_low if eps_low is None else eps_low, low=0.0, high=limit)
    high = check_real(
        "eps_high", default_high if eps_high is None else eps_high, low=0.0, high=limit
    )
    if not low < high:
        raise ValueError(
            f"eps_low must be smaller than eps_high (both in {unit} for rule {rule!r}); got "
            f"eps_low={low:g}, eps_high={high:g}."
        )
    return low, high


def _angle_range_text(angles: np.ndarray, unit: str) -> str:
    finite = angles[np.isfinite(angles)]
    if finite.size == 0:
        return "no finite angle"
    return f"the angles on the grid span [{finite.min():.4f}, {finite.max():.4f}] {unit}"


def _paper_rule(curve: SparsityCurve, eps_low: float, eps_high: float) -> TauStarEstimate:
    with np.errstate(over="ignore", invalid="ignore"):
        sparsity = np.exp(curve.log_sparsity)
        derivative = np.gradient(sparsity, curve.taus)
    # N_tau is non-increasing: where both neighbours overflowed, the slope is -infinite
    derivative = np.where(np.isnan(derivative), -np.inf, derivative)
    angles = np.arctan(derivative)
    low, high = -math.pi / 2 + eps_low, -math.pi / 2 + eps_high
    selected = (angles >= low) & (angles <= high)
    if not selected.any():
        raise ValueError(
            f"no tau falls in the window: the paper rule keeps angles in [-pi/2 + eps_low, "
            f"-pi/2 + eps_high] = [{low:.4f}, {high:.4f}] rad (eps_low={eps_low:g}, "
            f"eps_high={eps_high:g}), but {_angle_range_text(angles, 'rad')}. Widen the window "
            "or use a finer tau grid."
        )
    tau_star = float(curve.taus[selected].mean())
    return TauStarEstimate(
        rule="paper",
        tau_star=tau_star,
        alpha_star=1.0 / tau_star - 0.5,
        eps_low=eps_low,
        eps_high=eps_high,
        angle_unit="rad",
        taus=curve.taus,
        log_sparsity=curve.log_sparsity,
        derivative=derivative,
        angles=angles,
        selected=selected,
        window=(low, high),
    )


def _public_code_rule(curve: SparsityCurve, eps_low: float, eps_high: float) -> TauStarEstimate:
    taus = curve.taus
    # log of (1/J) (sum n^tau)^(1/tau - 1) * sum n^(tau - 1)
    log_magnitude = (
        (1.0 / taus - 1.0) * curve.log_power_sum + curve.log_inverse_sum - math.log(curve.n_trees)
    )
    with np.errstate(over="ignore"):
        derivative = -np.exp(log_magnitude)
    angles = np.degrees(np.arctan(derivative))
    distance = np.abs(angles + 90.0)
    epsilons = eps_low + (eps_high - eps_low) * np.arange(PUBLIC_CODE_SWEEP) / PUBLIC_CODE_SWEEP
    picked = np.empty(PUBLIC_CODE_SWEEP, dtype=np.int64)
    for k, eps in enumerate(epsilons):
        inside = np.flatnonzero(distance <= eps)
        if inside.size == 0:
            raise ValueError(
                f"no tau falls in the window: the public-code rule needs |angle + 90| <= "
                f"{eps:g} degrees (eps_low={eps_low:g}, eps_high={eps_high:g}), but "
                f"{_angle_range_text(angles, 'degrees')}. Raise eps_low or extend the grid "
                "towards tau = 0."
            )
        picked[k] = inside[-1]
    sweep_taus = taus[picked]
    alpha_star = float(np.mean(1.0 / sweep_taus - 0.5))
    selected = np.zeros(taus.shape[0], dtype=bool)
    selected[picked] = True
    return TauStarEstimate(
        rule="public-code",
        tau_star=1.0 / (alpha_star + 0.5),
        alpha_star=alpha_star,
        eps_low=eps_low,
        eps_high=eps_high,
        angle_unit="deg",
        taus=taus,
        log_sparsity=curve.log_sparsity,
        derivative=derivative,
        angles=angles,
        selected=selected,
        window=(-90.0 - eps_high, -90.0 + eps_high),
        sweep_epsilons=epsilons,
        sweep_taus=sweep_taus,
    )


def estimate_tau_star(
    curve: SparsityCurve,
    rule: str = "paper",
    eps_low: float | None = None,
    eps_high: float | None = None,
) -> TauStarEstimate:
    """Estimate the transition index tau* and alpha* from a sparsity curve.

    Parameters
    ----------
    curve : SparsityCurve
        From :func:`sparsity_curve` or :meth:`WaveletForest.sparsity_curve`.
    rule : {"paper", "public-code"}
        Which estimator (see the module docstring).
    eps_low, eps_high : float, optional
        Window parameters; radians for ``"paper"``, degrees for ``"public-code"``. Default
        0.1 and 0.4 for both.

    Returns
    -------
    TauStarEstimate

    Raises
    ------
    ValueError
        If the window is malformed or no tau of the grid falls in it; the message states the
        window and the range of angles the grid produced.
    """
    if not isinstance(curve, SparsityCurve):
        raise ValueError(
            f"curve must be a SparsityCurve (see sparsity_curve); got {type(curve).__name__}."
        )
    check_choice("rule", rule, RULES)
    low, high = _check_window(rule, eps_low, eps_high)
    if rule == "paper":
        return _paper_rule(curve, low, high)
    return _public_code_rule(curve, low, high)
