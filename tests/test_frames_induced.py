"""Induced dictionaries: block-wise Gram and potential against the dense construction."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparsity_widgets.frames.coherence import averaged_frame_potential
from sparsity_widgets.frames.induced import (
    Architecture,
    Edge,
    block_gram,
    deep_frame_potential,
    dense_gram,
    dense_induced_dictionary,
    make_architecture,
    random_weights,
)

ARCHS = ["chain", "residual", "dense"]


@st.composite
def networks(draw):
    arch = draw(st.sampled_from(ARCHS))
    depth = draw(st.integers(1, 5))
    k0 = draw(st.integers(1, 6))
    if arch == "residual":
        w = draw(st.integers(1, 6))
        widths = (k0, *([w] * depth))
    else:
        widths = (k0, *draw(st.lists(st.integers(1, 6), min_size=depth, max_size=depth)))
    if sum(widths[1:]) < 2:
        widths = (*widths, 2)
    scales = draw(st.lists(st.floats(0.05, 20.0), min_size=20, max_size=20))
    return arch, widths, draw(st.integers(0, 1000)), scales


@given(networks())
def test_blockwise_potential_equals_dense(net):
    arch, widths, seed, scales = net
    architecture = make_architecture(arch, widths)
    weights = [w * s for w, s in zip(random_weights(architecture, seed), scales, strict=False)]
    G, structure, reference = dense_gram(architecture, weights)
    value, numerator, n_nonzero = deep_frame_potential(architecture, weights, return_parts=True)
    off = ~np.eye(G.shape[0], dtype=bool)
    assert n_nonzero == int(np.count_nonzero(structure & off))
    # the numerator is ||G||_F^2 - Tr G, a difference of sums that cancels when the
    # off-diagonal entries are small: an absolute bound 4 (n_atoms + n_rows) eps ||G||_F^2
    # (sums of squares, entries that are n_rows-term inner products), not a relative one
    atol = 4 * (len(G) + architecture.n_rows) * np.finfo(float).eps * float(np.sum(G * G))
    assert abs(value - reference) <= atol / n_nonzero
    assert abs(numerator - (np.sum(G * G) - np.trace(G))) <= atol
    # F^2 <= mu^2 always (equal when all structural entries are equal, e.g. two atoms)
    assert value <= np.abs(G[off]).max() ** 2 + atol / n_nonzero
    # no entry outside the structure
    assert np.all(G[~structure] == 0.0)


@given(networks())
def test_gram_blocks_equal_dense_blocks(net):
    arch, widths, seed, _ = net
    architecture = make_architecture(arch, widths)
    weights = random_weights(architecture, seed)
    G, _, _ = dense_gram(architecture, weights)
    start = np.concatenate([[0], np.cumsum(widths[1:])])
    blocks = block_gram(architecture, weights)
    for (a, b), block in blocks.items():
        dense_block = G[start[a - 1] : start[a], start[b - 1] : start[b]]
        # inner products of unit columns with <= n_rows (< 100) terms: each entry within
        # n_rows eps ~ 2e-14 of the other's; absolute, the entries may be ~0
        np.testing.assert_allclose(block, dense_block, atol=1e-12)
    # every nonzero block of G is one of those returned
    for a in range(1, len(widths)):
        for b in range(a, len(widths)):
            if (a, b) not in blocks:
                assert not np.any(G[start[a - 1] : start[a], start[b - 1] : start[b]])


def test_chain_blocks_match_eq_14_to_16():
    widths = (3, 4, 5, 2)
    architecture = make_architecture("chain", widths)
    B1, B2, B3 = random_weights(architecture, 1)
    G = block_gram(architecture, [B1, B2, B3])
    c1, c2, c3 = (np.linalg.norm(B, axis=0) for B in (B1, B2, B3))
    n1, n2 = 1 / np.sqrt(c1**2 + 1), 1 / np.sqrt(c2**2 + 1)
    # closed forms against the block code, <= 5 terms an entry: default rtol 1e-7 is ample
    np.testing.assert_allclose(G[(1, 1)], n1[:, None] * (B1.T @ B1 + np.eye(4)) * n1)  # eq. 14
    np.testing.assert_allclose(G[(1, 2)], -n1[:, None] * B2 * n2)  # eq. 15
    np.testing.assert_allclose(G[(2, 3)], -n2[:, None] * B3 / c3)  # eq. 15, last layer: C_l
    np.testing.assert_allclose(G[(3, 3)], (B3 / c3).T @ (B3 / c3))  # eq. 16, normalised
    assert set(G) == {(1, 1), (1, 2), (2, 2), (2, 3), (3, 3)}


def test_chain_dictionary_is_eq_6():
    architecture = make_architecture("chain", (2, 3, 4))
    B1, B2 = random_weights(architecture, 0)
    B, _ = dense_induced_dictionary(architecture, [B1, B2])
    expected = np.block([[B1, np.zeros((2, 4))], [-np.eye(3), B2]])
    np.testing.assert_array_equal(B, expected)


def test_single_layer_is_the_unstructured_potential():
    architecture = make_architecture("chain", (4, 9))
    (B,) = random_weights(architecture, 3)
    # the same quantity by two codes; F^2 = 0.21 here, no cancellation: default rel 1e-6
    assert deep_frame_potential(architecture, [B]) == pytest.approx(averaged_frame_potential(B))


def test_residual_structure_and_counts():
    architecture = make_architecture("residual", (5, 4, 4, 4, 4, 4))
    kinds = [(e.source, e.target, e.kind) for e in architecture.edges]
    assert (1, 3, "identity") in kinds and (3, 5, "identity") in kinds
    assert len([k for k in kinds if k[2] == "identity"]) == 2
    chain = make_architecture("chain", (5, 4, 4, 4, 4, 4))
    assert architecture.n_parameters == chain.n_parameters == 5 * 4 + 4 * 16
    # each shortcut adds a k-row block and 2k diagonal Gram entries
    assert architecture.n_rows == chain.n_rows + 8
    assert architecture.n_structural_nonzeros == chain.n_structural_nonzeros + 2 * 2 * 4


def test_parameter_counts():
    assert make_architecture("chain", (64, 32, 16)).n_parameters == 64 * 32 + 32 * 16
    dense = make_architecture("dense", (10, 4, 3))
    assert dense.n_parameters == 10 * 4 + 10 * 3 + 4 * 3
    assert dense.n_atoms == 7
    assert dense.n_rows == 10 + 10 + 4


def test_torch_and_numpy_agree():
    torch = pytest.importorskip("torch")
    architecture = make_architecture("dense", (3, 4, 4, 5))
    weights = random_weights(architecture, 7)
    value = deep_frame_potential(architecture, [torch.tensor(w) for w in weights])
    # the rounding bound of test_blockwise_potential_equals_dense is 3.7e-15 here
    assert float(value) == pytest.approx(deep_frame_potential(architecture, weights), abs=1e-14)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: make_architecture("chain", []), "widths must list the input dimension"),
        (lambda: make_architecture("chain", (4,)), r"at least one layer width.*got \[4\]"),
        (lambda: make_architecture("chain", (4, 0, 3)), r"widths\[1\] = 0"),
        (lambda: make_architecture("chain", (4, -2)), r"widths\[1\] = -2"),
        (lambda: make_architecture("chain", "4,x"), "comma-separated positive integers"),
        (lambda: make_architecture("chain", (4, 2.5)), r"widths\[1\] = 2.5"),
        (lambda: make_architecture("chain", (4, 1)), "at least two atoms"),
        (lambda: make_architecture("convnet", (4, 4)), "arch must be one of"),
        (lambda: make_architecture("residual", (4, 3, 5, 4)), "needs equal widths"),
        (
            lambda: Architecture((2, 3), (Edge(0, 1, "identity"),)),
            "identity edge 0 -> 1 needs equal widths",
        ),
        (lambda: Architecture((2, 3, 3), (Edge(0, 1),)), "layer 2 has no incoming edge"),
        (lambda: Architecture((2, 3), (Edge(1, 1),)), "0 <= source < target"),
        (
            lambda: deep_frame_potential(make_architecture("chain", (2, 3)), [np.ones((3, 2))]),
            r"weights\[0\] must have shape \(2, 3\)",
        ),
    ],
)
def test_bad_architectures(call, match):
    with pytest.raises(ValueError, match=match):
        call()
