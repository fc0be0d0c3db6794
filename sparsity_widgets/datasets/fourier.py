"""Fourier magnitudes of signals and images, for the phase-retrieval study.

The paper asks whether a network can classify MNIST from the magnitudes of the images'
Fourier transforms alone (the phase, which carries most of the spatial layout, is thrown away).
:func:`fourier_magnitudes` makes those inputs: ``|FFT|`` of every channel of every sample, with
the zero frequency moved to the centre so that neighbouring pixels are neighbouring frequencies
(convolutions then see a smooth picture).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["fourier_magnitudes"]

#: Samples transformed per block, to bound the complex128 working memory (CIFAR-10 in one go
#: would take about 2.5 GB).
_BLOCK = 2048


def fourier_magnitudes(X: Any, *, log1p: bool = False) -> np.ndarray:
    """Magnitude of the discrete Fourier transform of each channel, zero frequency centred.

    Parameters
    ----------
    X : array-like of real numbers, shape (n, C, L) or (n, C, H, W)
        Signals (a 1-D FFT over the last axis) or images (a 2-D FFT over the last two axes).
    log1p : bool, default False
        Return ``log(1 + |FFT|)`` instead, which compresses the large zero-frequency term.

    Returns
    -------
    ndarray of float32, same shape as ``X``
        ``abs(fftshift(fftn(x)))`` per sample and channel, over the transformed axes. For even
        lengths the zero frequency sits at index ``L // 2`` (``(H // 2, W // 2)`` for images).
        The transform is unnormalised (numpy's default), so the centre holds the sum of the
        channel's values.

    Raises
    ------
    ValueError
        When ``X`` is not 3-D or 4-D, holds no samples, or is not real.
    """
    if not isinstance(log1p, bool):
        raise ValueError(f"log1p must be True or False; got {log1p!r}.")
    arr = np.asarray(X)
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"X must hold real numbers; got an array of dtype {arr.dtype}.")
    if arr.ndim == 3:
        axes: tuple[int, ...] = (-1,)
    elif arr.ndim == 4:
        axes = (-2, -1)
    else:
        raise ValueError(
            "X must have shape (n, C, L) for signals or (n, C, H, W) for images; got shape "
            f"{arr.shape}. Add a channel axis with X[:, None] if it is missing."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"X has no samples; got shape {arr.shape}.")
    out = np.empty(arr.shape, dtype=np.float32)
    for start in range(0, arr.shape[0], _BLOCK):
        block = arr[start : start + _BLOCK].astype(np.float64, copy=False)
        spectrum = np.fft.fftn(block, axes=axes)
        magnitude = np.abs(np.fft.fftshift(spectrum, axes=axes))
        if log1p:
            magnitude = np.log1p(magnitude)
        out[start : start + _BLOCK] = magnitude
    return out
