"""Log-domain power sums ``log(sum_i x_i ** e)`` over a grid of exponents.

N_tau overflows double precision for small tau (``(sum n^tau)^(1/tau)`` with tens of thousands
of wavelets), so every sparsity quantity is carried as a logarithm until the end.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["log_sum_powers"]


@numba.njit(cache=True, parallel=True)
def _log_sum_powers_jit(log_values, exponents, out):
    n = log_values.shape[0]
    if n == 0:
        out[:] = -np.inf
        return
    # the largest term e * log(v) comes from the largest log(v) when e >= 0, else the smallest
    high = log_values.max()
    low = log_values.min()
    for k in numba.prange(exponents.shape[0]):
        e = exponents[k]
        top = e * high if e >= 0.0 else e * low
        acc = 0.0
        for i in range(n):
            acc += np.exp(e * log_values[i] - top)
        out[k] = top + np.log(acc)


def log_sum_powers(values: np.ndarray, exponents: np.ndarray) -> np.ndarray:
    """``log(sum_i values_i ** e)`` for every exponent ``e``, computed stably.

    Parameters
    ----------
    values : ndarray of float64, shape (n,)
        Strictly positive values (zeros must be removed by the caller: ``0 ** e`` is 0 for
        ``e > 0`` and undefined or infinite otherwise).
    exponents : ndarray of float64, shape (m,)

    Returns
    -------
    ndarray of float64, shape (m,)
        ``-inf`` where the sum is empty.
    """
    log_values = np.log(np.ascontiguousarray(values, dtype=np.float64))
    out = np.empty(exponents.shape[0], dtype=np.float64)
    _log_sum_powers_jit(log_values, np.ascontiguousarray(exponents, dtype=np.float64), out)
    return out
