"""Convolutional dictionaries: local filter interactions against the dense construction."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparsity_widgets.frames.conv import (
    conv_dense_dictionary,
    conv_frame_potential,
    conv_local_gram,
)


@given(
    c_in=st.integers(1, 3),
    c_out=st.integers(1, 4),
    f=st.integers(1, 4),
    extra=st.integers(0, 6),
    seed=st.integers(0, 1000),
)
def test_conv_gram_equals_dense(c_in, c_out, f, extra, seed):
    n = f + extra
    if c_out == 1 and f == 1:
        f, n = 2, max(n, 2)  # atoms that never overlap have no frame potential (tested below)
    h = np.random.default_rng(seed).standard_normal((c_in, c_out, f))
    B = conv_dense_dictionary(h, n)
    Bn = B / np.linalg.norm(B, axis=0)
    G = Bn.T @ Bn
    G4 = G.reshape(c_out, n, c_out, n)
    local = conv_local_gram(h, n)
    # entries are inner products of unit columns, <= c_in f = 12 terms each: within ~12 eps
    # of each other; absolute, the entries may be ~0
    for r, K in local.items():
        for p in range(n):
            np.testing.assert_allclose(G4[:, p, :, (p + r) % n], K, atol=1e-12)
    value, numerator, n_nonzero = conv_frame_potential(h, n, return_parts=True)
    # n sum ||K||^2 - n c_out against ||G||_F^2 - Tr G: differences of sums that cancel when
    # the filters barely overlap, so an absolute bound, 4 (atoms + rows) eps ||G||_F^2 (sums
    # of squares, entries that are inner products over the rows), not a relative tolerance
    atol = 4 * sum(B.shape) * np.finfo(float).eps * float(np.sum(G * G))
    assert abs(numerator - (np.sum(G * G) - np.trace(G))) <= atol
    struct = (np.abs(B) > 0).astype(int)
    # structural count from the mask of B (random filters have no exact zeros)
    off = ~np.eye(G.shape[0], dtype=bool)
    assert n_nonzero == int(np.count_nonzero(((struct.T @ struct) > 0) & off))
    assert abs(value - numerator / n_nonzero) < 1e-15  # the very division the code does: exact


def test_figure_3_sizes():
    """Two input channels, five output channels, filter size three, eight positions."""
    h = np.random.default_rng(0).standard_normal((2, 5, 3))
    B = conv_dense_dictionary(h, 8)
    assert B.shape == (16, 40)
    assert sorted(conv_local_gram(h, 8)) == [0, 1, 2, 6, 7]
    _, _, n_nonzero = conv_frame_potential(h, 8, return_parts=True)
    assert n_nonzero == 8 * (5 * 25 - 5)


def test_bad_conv_input():
    with pytest.raises(ValueError, match=r"filters must have shape \(c_in, c_out, filter_size\)"):
        conv_local_gram(np.ones((2, 3)), 4)
    with pytest.raises(ValueError, match="n \\(spatial size\\) must be >= the filter size 3"):
        conv_local_gram(np.ones((1, 2, 3)), 2)
    with pytest.raises(ValueError, match="n must be an integer >= 1; got 0"):
        conv_local_gram(np.ones((1, 2, 1)), 0)
    with pytest.raises(ValueError, match="no two atoms overlap"):
        conv_frame_potential(np.ones((2, 1, 1)), 5)
    with pytest.raises(ValueError, match="nonzero filter"):
        conv_local_gram(np.zeros((1, 2, 1)), 3)
