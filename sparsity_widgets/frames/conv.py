"""One-dimensional convolutional dictionaries (Figure 3): Gram from local filter interactions.

A convolutional layer with ``c_in`` input channels, ``c_out`` output channels and filters of
size ``f`` on a signal of ``n`` positions (circular boundary) induces a dictionary of shape
``(c_in n, c_out n)``: atom ``(o, p)`` is filter ``h[:, o, :]`` placed at position ``p``,
``B[(i, (p + u) mod n), (o, p)] = h[i, o, u]``. Ordered channel-major it is block-Toeplitz
(block-circulant here), and its Gram matrix only depends on the shift between two atoms:

``G[(o, p), (o', p + s)] = K~_s[o, o']``, with
``K_s[o, o'] = sum_i sum_u h[i, o, u + s] h[i, o', u]``

for the ``2 f - 1`` shifts ``|s| < f`` (wrapped modulo ``n``), normalised by the atom norms
``sqrt(K_0[o, o])``. So ``||G||_F^2 = n sum_s ||K~_s||_F^2`` costs ``O(c_in c_out^2 f^2)``
instead of the ``O(c_in c_out^2 n^3)`` of the dense product.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int

__all__ = ["conv_dense_dictionary", "conv_frame_potential", "conv_local_gram"]


def _check_filters(h: Any, n: int) -> tuple[np.ndarray, int]:
    arr = np.asarray(h, dtype=np.float64)
    if arr.ndim != 3:
        raise ValueError(
            f"filters must have shape (c_in, c_out, filter_size); got shape {arr.shape}."
        )
    n = check_int("n", n, minimum=1)
    if arr.shape[2] > n:
        raise ValueError(
            f"n (spatial size) must be >= the filter size {arr.shape[2]}; got n = {n}."
        )
    if np.any(np.sum(arr * arr, axis=(0, 2)) == 0):
        raise ValueError("filters: every output channel needs a nonzero filter.")
    return arr, n


def conv_local_gram(h: Any, n: int) -> dict[int, np.ndarray]:
    """Normalised local filter interactions ``K~_r`` for each shift residue ``r`` modulo ``n``.

    Parameters
    ----------
    h : array-like, shape (c_in, c_out, f)
        Filters.
    n : int
        Spatial size, ``n >= f``.

    Returns
    -------
    dict
        ``r -> K~_r`` of shape ``(c_out, c_out)``, for the residues of ``-(f-1), ..., f-1``;
        ``G[(o, p), (o', (p + r) mod n)] = K~_r[o, o']``.
    """
    h, n = _check_filters(h, n)
    f = h.shape[2]
    norms = np.sqrt(np.einsum("iou,iou->o", h, h))
    out: dict[int, np.ndarray] = {}
    for s in range(-(f - 1), f):
        # K_s[o, o'] = sum_i sum_u h[i, o, u + s] h[i, o', u], over u with 0 <= u, u + s < f
        lo, hi = max(0, -s), min(f, f - s)
        K = np.einsum("iau,ibu->ab", h[:, :, lo + s : hi + s], h[:, :, lo:hi])
        r = s % n
        out[r] = out.get(r, 0.0) + K / np.outer(norms, norms)
    return out


def conv_frame_potential(h: Any, n: int, *, return_parts: bool = False) -> Any:
    """Averaged frame potential ``(||G||_F^2 - Tr G) / N(G)`` of a convolutional dictionary.

    ``N(G) = n (m c_out^2 - c_out)`` with ``m = min(2 f - 1, n)`` shift residues.

    Returns
    -------
    float, or (value, numerator, N(G)) when ``return_parts``
    """
    local = conv_local_gram(h, n)
    c_out = np.asarray(h).shape[1]
    numerator = n * sum(float(np.sum(K * K)) for K in local.values()) - n * c_out
    n_nonzero = n * (len(local) * c_out**2 - c_out)
    if n_nonzero == 0:
        raise ValueError(
            "filters: no two atoms overlap (c_out = 1 and filter size 1), so N(G) = 0 and the "
            "frame potential is undefined; use c_out >= 2 or a filter size >= 2."
        )
    value = numerator / n_nonzero
    return (value, numerator, n_nonzero) if return_parts else value


def conv_dense_dictionary(h: Any, n: int) -> np.ndarray:
    """Dense reference: the ``(c_in n, c_out n)`` dictionary, rows ``(i, q)``, columns ``(o, p)``.

    Returns
    -------
    ndarray of float64, shape (c_in * n, c_out * n)
    """
    h, n = _check_filters(h, n)
    c_in, c_out, f = h.shape
    B = np.zeros((c_in, n, c_out, n))
    for p in range(n):
        for u in range(f):
            B[:, (p + u) % n, :, p] += h[:, :, u]
    return B.reshape(c_in * n, c_out * n)
