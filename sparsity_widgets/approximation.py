"""M-term approximation curves and the slope estimate of Elisha & Dekel (JMLR 2016).

Keeping only the ``M`` wavelets of largest norm (plus the father wavelets) gives an
approximation ``f_M`` of the target. For a function of smoothness ``alpha`` in the forest Besov
scale, the error decays like ``M^(-alpha)``; the slope of the error against ``M`` in log-log
coordinates therefore estimates ``-alpha``. It is a second, independent reading of the same
decomposition that tau* summarises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_int

__all__ = ["MTermCurve", "MTermSlope"]


@dataclass(frozen=True)
class MTermSlope:
    """Least-squares slope of ``log error`` against ``log M``.

    Attributes
    ----------
    slope : float
        Fitted slope (negative when the error decays).
    alpha : float
        ``-slope``, the decay rate.
    intercept : float
        Fitted ``log error`` at ``M = 1``.
    m_min, m_max : int
        Range of M used in the fit.
    n_points : int
        Number of (log-spaced) M values in the fit.
    """

    slope: float
    alpha: float
    intercept: float
    m_min: int
    m_max: int
    n_points: int


@dataclass(frozen=True)
class MTermCurve:
    """Root-mean-square error of the M-term approximation for every M.

    Attributes
    ----------
    n_terms : ndarray of int64, shape (n_wavelets + 1,)
        ``M = 0, 1, ..., n_wavelets``.
    error : ndarray of float64, shape (n_wavelets + 1,)
        ``sqrt(mean_s ||target_s - f_M(x_s)||^2)`` over the evaluation samples.
    added_norms : ndarray of float64, shape (n_wavelets,)
        Norm of the wavelet added at each step (non-increasing).
    n_samples : int
        Number of evaluation samples.
    """

    n_terms: np.ndarray
    error: np.ndarray
    added_norms: np.ndarray
    n_samples: int

    def slope(
        self, m_min: int | None = None, m_max: int | None = None, n_points: int = 50
    ) -> MTermSlope:
        """Fit ``log error ~ slope * log M + intercept`` over log-spaced M in [m_min, m_max].

        Parameters
        ----------
        m_min, m_max : int, optional
            Range of M. Defaults: 1 % and 50 % of the wavelets (at least 1 and m_min + 2).
        n_points : int
            Number of log-spaced M values (duplicates after rounding are dropped), so that the
            many large M do not outweigh the few small ones.

        Returns
        -------
        MTermSlope
        """
        n_wavelets = int(self.n_terms[-1])
        if n_wavelets < 3:
            raise ValueError(f"the slope needs at least 3 wavelets; the forest has {n_wavelets}.")
        m_min = max(1, n_wavelets // 100) if m_min is None else check_int("m_min", m_min, minimum=1)
        if m_max is None:
            m_max = max(m_min + 2, n_wavelets // 2)
        m_max = min(check_int("m_max", m_max, minimum=1), n_wavelets)
        if m_max < m_min + 2:
            raise ValueError(
                f"m_max must be at least m_min + 2 and at most {n_wavelets} (the number of "
                f"wavelets); got m_min={m_min}, m_max={m_max}."
            )
        check_int("n_points", n_points, minimum=3)
        ms = np.unique(np.round(np.geomspace(m_min, m_max, n_points)).astype(np.int64))
        err = self.error[ms]
        keep = err > 0
        if keep.sum() < 3:
            raise ValueError(
                f"the error is zero for almost all M in [{m_min}, {m_max}]: the approximation is "
                "exact there, so there is no decay to fit. Choose a smaller m_max."
            )
        slope, intercept = np.polyfit(np.log(ms[keep]), np.log(err[keep]), 1)
        return MTermSlope(
            float(slope), float(-slope), float(intercept), m_min, m_max, int(keep.sum())
        )
