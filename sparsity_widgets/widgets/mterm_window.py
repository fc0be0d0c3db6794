"""The M-term approximation explorer that computes in the reader's browser (anywidget).

:class:`MTermWindow` stores an :class:`~sparsity_widgets.approximation.MTermCurve`'s arrays in its
state (the RMS error for every M and the sorted wavelet norms; big curves subsampled to about
2000 log-spaced M) and carries a JavaScript model (``browser/mterm_window.js``) that recomputes,
for any M and fit range, the error at M, the tail energy of the norms past M and the
Elisha-Dekel slope of ``log error`` against ``log M``, beside alpha* from tau*. The same code
runs in JupyterLab and Voila (with a kernel, which checks every move with the Python twin) and in
the static HTML of the book (no kernel).
"""

from __future__ import annotations

from typing import Any

import traitlets as T

from ..approximation import MTermCurve
from .browser.mterm_window import (
    MAX_POINTS,
    MTERM_WINDOW,
    SlopeResult,
    default_range,
    mterm_payload,
    mterm_slope,
    nearest_index,
)
from .browser_widget import BrowserWidget

__all__ = ["MTermWindow"]


def _check_m(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}]; got {value!r}.")
    return int(value)


class MTermWindow(BrowserWidget):
    """M-term explorer with a browser-side model: error, tail and slope for any M and range.

    Parameters
    ----------
    source : WaveletForest or MTermCurve
        A fitted forest (its training-set curve and its alpha* are taken) or a curve.
    n_trees : int, optional
        J, required with an MTermCurve (the forest's prediction weighs each wavelet by 1/J).
    alpha_star : float, optional
        alpha* to show beside the fitted alpha; for a forest, its paper-rule estimate when
        omitted.
    m : int, optional
        Start value of M (default: a tenth of the wavelets).
    m_min, m_max : int, optional
        Start fit range (default: MTermCurve.slope's, 1 % and 50 % of the wavelets).
    max_points : int
        Keep at most this many values of M (log-spaced) when the curve is longer.
    title : str, optional

    Attributes
    ----------
    result : dict
        Python's answer for the current setting (what the browser shows):
        :func:`~sparsity_widgets.widgets.browser.mterm_window.mterm_shown`.
    fit : SlopeResult
        The current range's slope, from the Python twin.
    """

    kind = MTERM_WINDOW.kind
    curve = T.Dict().tag(sync=True)
    m = T.Int(0).tag(sync=True)
    m_min = T.Int(1).tag(sync=True)
    m_max = T.Int(3).tag(sync=True)

    def __init__(
        self,
        source: Any,
        *,
        n_trees: int | None = None,
        alpha_star: float | None = None,
        m: int | None = None,
        m_min: int | None = None,
        m_max: int | None = None,
        max_points: int = MAX_POINTS,
        title: str | None = None,
    ) -> None:
        from ..forest import WaveletForest

        note = None
        if isinstance(source, WaveletForest):
            curve = source.mterm_curve()
            if n_trees is not None and n_trees != source.nodes_.n_trees:
                raise ValueError(
                    f"n_trees must be omitted or equal the forest's {source.nodes_.n_trees} "
                    f"trees; got {n_trees!r}."
                )
            n_trees = source.nodes_.n_trees
            if alpha_star is None:
                try:
                    alpha_star = source.estimate().alpha_star
                except ValueError as exc:
                    note = str(exc)
            label = f"M-term approximation of a forest of {n_trees} trees"
        elif isinstance(source, MTermCurve):
            curve = source
            if n_trees is None:
                raise ValueError(
                    "n_trees is required with an MTermCurve: the forest's J (its prediction "
                    "weighs each wavelet by 1/J); got None."
                )
            label = "M-term approximation"
        else:
            raise ValueError(
                f"source must be a fitted WaveletForest or an MTermCurve; got "
                f"{type(source).__name__}."
            )
        payload = mterm_payload(curve, n_trees, alpha_star, note, max_points)
        n = payload["n_wavelets"]
        lo, hi = default_range(n)
        if m is None:  # a tenth of the wavelets, at a stored M
            m = payload["m"][nearest_index(payload["m"], max(1, n // 10))]
        else:
            m = _check_m("m", m, 0, n)
        m_min = lo if m_min is None else _check_m("m_min", m_min, 1, n)
        m_max = min(hi, n) if m_max is None else _check_m("m_max", m_max, 1, n)
        if m_max < m_min:
            raise ValueError(f"m_max must be >= m_min; got m_min={m_min}, m_max={m_max}.")
        super().__init__(
            curve=payload,
            title=f"{label} ({n} wavelets, {payload['n_samples']} samples)"
            if title is None
            else title,
            m=m,
            m_min=m_min,
            m_max=m_max,
        )

    @property
    def fit(self) -> SlopeResult:
        """The current range's slope, from the Python twin."""
        return mterm_slope(self.curve, self.m_min, self.m_max)
