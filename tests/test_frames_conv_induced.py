"""Convolutional chain, residual and dense networks: block-wise Gram against the dense one."""

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sparsity_widgets.frames.conv import conv_frame_potential
from sparsity_widgets.frames.conv_induced import (
    ConvArchitecture,
    ConvEdge,
    conv_deep_frame_potential,
    conv_dense_gram,
    conv_dense_induced_dictionary,
    make_conv_architecture,
    random_conv_weights,
)
from sparsity_widgets.frames.induced import deep_frame_potential, make_architecture


def assert_matches_dense(arch, weights):
    """Block-wise F^2 and its parts equal the dense Gram's, up to the rounding of two sums.

    Both sides compute the off-diagonal energy as a difference, ||G||_F^2 (diagonal included)
    minus the diagonal's share, summing at most len(G)^2 products of numbers <= 1 in modulus
    (the columns are normalised), each entry itself an inner product over n_rows terms. Each
    side is then exact to (len(G) + n_rows) * eps * ||G||_F^2 (a generous form of the bound
    for recursive summation, (n - 1) eps sum |terms|, with the pairwise and blocked sums of
    NumPy well inside it; the n_rows term dominates on tiny nets, where len(G) alone was
    reached to 0.55 over 3000 random nets). The tolerance is that absolute error,
    not a relative one: when the off-diagonal entries are small against the unit diagonal,
    the difference cancels and its relative error grows (hypothesis found channels (2, 1),
    grids (6,) -> (3,), one stride-2 filter of size 6: every off-diagonal entry 0.01, F^2
    exact to 2.3e-12 relative, 2.3e-16 absolute).
    """
    value, numerator, n_nonzero = conv_deep_frame_potential(arch, weights, return_parts=True)
    G, structure, dense_value = conv_dense_gram(arch, weights)
    off = ~np.eye(len(G), dtype=bool)
    assert n_nonzero == int(np.count_nonzero(structure & off))
    dense_numerator = np.sum(G * G) - np.trace(G)
    atol = 4 * (len(G) + arch.n_rows) * np.finfo(float).eps * float(np.sum(G * G))
    assert abs(numerator - dense_numerator) <= atol
    assert abs(value - dense_value) <= atol / n_nonzero
    # F^2 is the mean of the squared structurally nonzero off-diagonal entries, so mu^2 >= F^2
    # (equal when all of them are equal, as in the example above)
    assert np.max(np.abs(G[off])) ** 2 >= value - atol / n_nonzero


@st.composite
def conv_networks(draw):
    """Random small conv nets: strides 1-2, filters up to the source grid, random skips."""
    ndim = draw(st.integers(1, 2))
    depth = draw(st.integers(1, 4))
    channels = [draw(st.integers(1, 3)) for _ in range(depth + 1)]
    scale = [1]
    for _ in range(depth):
        scale.append(scale[-1] * draw(st.sampled_from([1, 1, 2])))
    base = draw(st.integers(2, 3))  # every layer has >= 2 atoms
    grids = [tuple([base * scale[-1] // s] * ndim) for s in scale]
    edges = []
    for t in range(1, depth + 1):
        sources = {t - 1} | {s for s in range(t - 1) if draw(st.booleans())}
        for s in sorted(sources):
            stride = grids[s][0] // grids[t][0]
            same = stride == 1 and channels[s] == channels[t]
            if same and draw(st.booleans()):  # s = t - 1 too: layers with only shortcuts in
                edges.append(ConvEdge(s, t, "identity"))
                continue
            f = tuple(draw(st.integers(1, n)) for n in grids[s])
            edges.append(ConvEdge(s, t, "param", f, stride))
    arch = ConvArchitecture(tuple(channels), tuple(grids), tuple(edges))
    return arch, draw(st.integers(0, 10_000))


@given(conv_networks())
@example(  # every off-diagonal entry equal, so mu^2 = F^2: failed a 1e-12 relative check
    (ConvArchitecture((2, 1), ((6,), (3,)), (ConvEdge(0, 1, "param", (6,), 2),)), 294)
)
def test_blockwise_conv_gram_equals_the_dense_construction(case):
    arch, seed = case
    if arch.n_structural_nonzeros == 0:
        return  # no two atoms overlap: F^2 is undefined (single-pixel filters, one channel)
    assert_matches_dense(arch, random_conv_weights(arch, seed))


@pytest.mark.parametrize("family", ["chain", "residual", "dense"])
@pytest.mark.parametrize("shape", [(2, 8), (1, 4, 8), (2, 8, 8)])
def test_paper_families_match_the_dense_construction(family, shape):
    filter_size = 3 if min(shape[1:]) >= 6 else 2
    arch = make_conv_architecture(
        family, input_shape=shape, width=2, blocks=2, groups=2, filter_size=filter_size
    )
    assert_matches_dense(arch, random_conv_weights(arch, 0))


def test_wrapped_shifts_are_summed():
    """A 3-tap stride-2 filter from 4 to 2 positions: shifts -1 and +1 are the same residue."""
    arch = ConvArchitecture((2, 3), ((4,), (2,)), (ConvEdge(0, 1, filter_size=3, stride=2),))
    weights = random_conv_weights(arch, 1)
    assert_matches_dense(arch, weights)
    assert arch.n_structural_nonzeros == 2 * (2 * 3 * 3 - 3)  # residues {0, 1}, full blocks


def test_one_layer_is_figure_3():
    arch = ConvArchitecture((2, 5), ((8,), (8,)), (ConvEdge(0, 1, filter_size=3),))
    h = np.random.default_rng(0).standard_normal((2, 5, 3))
    ours = conv_deep_frame_potential(arch, [h], return_parts=True)
    figure3 = conv_frame_potential(h, 8, return_parts=True)
    # no cancellation here (numerator 71 against a diagonal of 40): the rounding bound of
    # test_block_energies_are_the_dense_blocks is 8e-14 relative, 1e-12 leaves room
    np.testing.assert_allclose(ours[:2], figure3[:2], rtol=1e-12)
    assert ours[2] == figure3[2]


@pytest.mark.parametrize("family", ["chain", "residual", "dense"])
def test_single_pixel_networks_are_the_fully_connected_ones(family):
    fc = make_architecture(family, (5, 4, 4, 4, 4))
    conv = ConvArchitecture(
        fc.widths,
        ((1,),) * len(fc.widths),
        tuple(ConvEdge(e.source, e.target, e.kind, 1) for e in fc.edges),
    )
    weights = [np.random.default_rng(i).standard_normal(s) for i, s in enumerate(fc.weight_shapes)]
    ours = conv_deep_frame_potential(conv, [w[..., None] for w in weights], return_parts=True)
    # as above: that rounding bound is <= 2.4e-13 relative for all three
    np.testing.assert_allclose(
        ours[:2], deep_frame_potential(fc, weights, return_parts=True)[:2], rtol=1e-12
    )
    assert conv.n_structural_nonzeros == fc.n_structural_nonzeros


def test_torch_gives_the_numpy_value_and_a_gradient():
    torch = pytest.importorskip("torch")
    arch = make_conv_architecture("residual", input_shape=(3, 8, 8), width=4, blocks=1, groups=2)
    weights = random_conv_weights(arch, 3)
    tensors = [torch.tensor(w, requires_grad=True) for w in weights]
    value = conv_deep_frame_potential(arch, tensors)
    value.backward()
    # torch's kernels against NumPy's: the absolute bound of the torch property test below,
    # 2.1e-14 here (the fixed 1e-14 it replaces was below it)
    expected, numerator, n_nonzero = conv_deep_frame_potential(arch, weights, return_parts=True)
    size = arch.n_atoms + arch.n_rows
    atol = 4 * size * np.finfo(float).eps * (numerator + arch.n_atoms) / n_nonzero
    assert abs(float(value.detach()) - expected) <= atol
    assert all(torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0 for t in tensors)


def test_cifar_resnet_sizes():
    """The tensorpack-style ResNet: stem, 3 groups of 2 blocks, 2 transitions."""
    arch = make_conv_architecture("residual", input_shape=(3, 32, 32), width=16, blocks=2)
    assert arch.n_layers == 1 + 3 * 4 + 2
    assert arch.channels[-1] == 64 and arch.grids[-1] == (8, 8)
    assert sum(e.kind == "identity" for e in arch.edges) == 6
    per_group = [16, 32, 64]
    expected = 3 * 16 * 9 + sum(4 * c * c * 9 for c in per_group) + 9 * (16 * 32 + 32 * 64)
    assert arch.n_parameters == expected
    chain = make_conv_architecture("chain", input_shape=(3, 32, 32), width=16, blocks=2)
    assert chain.n_parameters == arch.n_parameters
    assert not any(e.kind == "identity" for e in chain.edges)
    # the dense Gram matrix would have n_atoms^2 ~ 2e10 entries; the block-wise one is cheap
    assert arch.n_atoms == 16 * 1024 * 5 + 32 * 256 * 5 + 64 * 64 * 5


def test_dense_family_reads_every_earlier_layer_of_its_group():
    arch = make_conv_architecture("dense", input_shape=(1, 16), width=3, blocks=3, groups=2)
    # stem (6 channels), 3 layers, transition, 3 layers
    assert arch.channels == (1, 6, 3, 3, 3, 15, 3, 3, 3)
    into = {t: sorted(e.source for e in arch.edges if e.target == t) for t in range(1, 9)}
    assert into[4] == [1, 2, 3] and into[5] == [1, 2, 3, 4] and into[8] == [5, 6, 7]
    assert all(e.stride == 2 and e.filter_size == (2,) for e in arch.edges if e.target == 5)
    assert arch.outputs == (5, 6, 7, 8)


def test_dense_dictionary_has_the_documented_layout():
    arch = ConvArchitecture((1, 2), ((4,), (2,)), (ConvEdge(0, 1, filter_size=2, stride=2),))
    h = np.arange(1.0, 5.0).reshape(1, 2, 2)
    B, mask = conv_dense_induced_dictionary(arch, [h])
    # column (o, p) holds h[:, o, u] at source position 2 p + u
    expected = np.array([[1, 0, 3, 0], [2, 0, 4, 0], [0, 1, 0, 3], [0, 2, 0, 4]], float)
    np.testing.assert_array_equal(B, expected)
    assert mask.sum() == 8


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"arch": "resnet"}, "arch must be one of"),
        ({"width": 0}, "width must be an integer >= 1"),
        ({"blocks": -1}, "blocks must be an integer >= 1"),
        ({"input_shape": (3, 30, 30)}, "divisible by 4"),
        ({"input_shape": (3, 8, 8), "groups": 3}, "at least filter_size"),
        ({"input_shape": (3,)}, r"\(channels, \*grid\)"),
        ({"input_shape": (3, 0, 8)}, "input_shape must be a tuple of positive integers"),
    ],
)
def test_bad_conv_architectures_give_clear_errors(kwargs, match):
    options = {"arch": "residual", "input_shape": (3, 32, 32)} | kwargs
    arch = options.pop("arch")
    with pytest.raises(ValueError, match=match):
        make_conv_architecture(arch, **options)


@pytest.mark.parametrize(
    ("channels", "grids", "edges", "match"),
    [
        ((2, 2), ((8,), (8,)), (ConvEdge(0, 1, filter_size=9),), "must not exceed the source"),
        ((2, 2), ((8,), (4,)), (ConvEdge(0, 1),), r"stride \(1\) times the target"),
        ((2, 2), ((8,), (8,)), (ConvEdge(1, 1),), "must satisfy 0 <= source < target"),
        ((2, 2), ((8,), (8,)), (ConvEdge(0, 1), ConvEdge(0, 1)), "appears twice"),
        ((2, 2, 2), ((8,), (8,), (8,)), (ConvEdge(0, 1),), "layer 2 has no incoming edge"),
        (
            (2, 2, 3),
            ((8,), (8,), (8,)),
            (ConvEdge(0, 1), ConvEdge(1, 2), ConvEdge(0, 2, "identity")),
            "identity edge 0 -> 2 needs stride 1 and equal channels",
        ),
        ((2, 2), ((8,), (8, 8)), (ConvEdge(0, 1),), "same number of dimensions"),
        ((2, 2), ((8,), (8,)), (ConvEdge(0, 1, filter_size=(3, 3)),), "filter_size needs 1"),
        ((2, 0), ((8,), (8,)), (ConvEdge(0, 1),), "channels must be positive"),
        ((), (), (), "channels must list"),
        ((1, 1), ((1,), (1,)), (ConvEdge(0, 1, filter_size=1),), "at least two atoms"),
    ],
)
def test_bad_conv_networks_give_clear_errors(channels, grids, edges, match):
    with pytest.raises(ValueError, match=match):
        ConvArchitecture(channels, grids, edges)


def test_networks_without_overlapping_atoms_are_refused():
    arch = ConvArchitecture((1, 1), ((4,), (4,)), (ConvEdge(0, 1, filter_size=1),))
    with pytest.raises(ValueError, match=r"N\(G\) = 0"):
        conv_deep_frame_potential(arch, random_conv_weights(arch, 0))


def test_wrong_weights_are_named():
    arch = make_conv_architecture("chain", input_shape=(1, 8), width=2, blocks=1, groups=1)
    weights = random_conv_weights(arch, 0)
    with pytest.raises(ValueError, match="one filter tensor per parameter edge"):
        conv_deep_frame_potential(arch, weights[:-1])
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(1, 2, 3\)"):
        conv_deep_frame_potential(arch, [np.zeros((2, 1, 3)), *weights[1:]])


def test_random_weights_are_seeded_and_scaled():
    arch = make_conv_architecture("chain", input_shape=(4, 16), width=64, blocks=1, groups=1)
    a, b = random_conv_weights(arch, 5), random_conv_weights(arch, 5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    # variance 1 / (c_source * prod f): each output channel's filter energy is about one
    energy = np.sum(a[1] ** 2, axis=(0, 2))
    # a mean of 64 energies of 192 weights each: standard error sqrt(2 / 192 / 64) = 0.013
    assert abs(np.mean(energy) - 1.0) < 0.1
    assert math.prod(a[1].shape) == 64 * 64 * 3


@pytest.mark.parametrize("loop_min_work", [0, 10**12])
@given(case=conv_networks())
def test_torch_paths_equal_the_numpy_value(case, loop_min_work):
    """Both torch kernels (one product per shift, one contraction for all) on random nets."""
    torch = pytest.importorskip("torch")
    from sparsity_widgets.frames import conv_induced

    arch, seed = case
    if arch.n_structural_nonzeros == 0:
        return
    weights = random_conv_weights(arch, seed)
    expected, numerator, n_nonzero = conv_deep_frame_potential(arch, weights, return_parts=True)
    # absolute, as in assert_matches_dense (F^2 is a difference of sums and may cancel), with
    # the rows too: Gram entries are inner products of n_rows terms, which dominate on tiny
    # nets (||G||_F^2 = numerator + Tr G, Tr G = n_atoms; measured <= 0.34 of this bound)
    size = arch.n_atoms + arch.n_rows
    atol = 4 * size * np.finfo(float).eps * (numerator + arch.n_atoms) / n_nonzero
    saved = conv_induced.LOOP_MIN_WORK
    conv_induced.LOOP_MIN_WORK = loop_min_work
    try:
        value = conv_deep_frame_potential(arch, [torch.tensor(w) for w in weights])
    finally:
        conv_induced.LOOP_MIN_WORK = saved
    assert abs(float(value) - expected) <= atol


@given(conv_networks())
def test_block_energies_are_the_dense_blocks(case):
    from sparsity_widgets.frames.conv_induced import gram_block_energies

    arch, seed = case
    if arch.n_structural_nonzeros == 0:
        return
    weights = random_conv_weights(arch, seed)
    G, _, _ = conv_dense_gram(arch, weights)
    G2 = G * G
    np.fill_diagonal(G2, 0.0)
    sizes = [arch.channels[t] * arch.positions(t) for t in range(1, arch.n_layers + 1)]
    start = np.concatenate([[0], np.cumsum(sizes)])
    energies = gram_block_energies(arch, weights)
    # a diagonal block's energy is a difference (block total minus its diagonal): an absolute
    # bound on every block, 4 (n_atoms + n_rows) eps ||G||_F^2 (sums of squares, and entries
    # that are n_rows-term inner products; measured <= 0.18 of it over 3000 nets, while
    # n_atoms alone, as in assert_matches_dense, was reached to 0.55 on channels (2, 1))
    atol = 4 * (len(G) + arch.n_rows) * np.finfo(float).eps * float(np.sum(G * G))
    for a in range(1, arch.n_layers + 1):
        for b in range(a, arch.n_layers + 1):
            dense = G2[start[a - 1] : start[a], start[b - 1] : start[b]].sum()
            assert abs(energies.get((a, b), 0.0) - dense) <= atol


def test_residual_conv_minimum_sits_in_the_shortcut_blocks():
    """The chapter's finding on a small three-level network: shortcuts hold what is left."""
    pytest.importorskip("torch")
    from sparsity_widgets.frames.conv_induced import gram_block_energies
    from sparsity_widgets.frames.minimize import minimize_frame_potential

    minima = {}
    for family in ("chain", "residual"):
        arch = make_conv_architecture(family, input_shape=(1, 16), width=2, blocks=2, groups=3)
        result = minimize_frame_potential(arch, max_iter=300)
        minima[family] = result
    arch = make_conv_architecture("residual", input_shape=(1, 16), width=2, blocks=2, groups=3)
    residual = minima["residual"]
    assert residual.converged
    energies = gram_block_energies(arch, residual.weights)
    shortcuts = {(e.source, e.target) for e in arch.edges if e.kind == "identity"}
    in_shortcuts = sum(2 * v for ab, v in energies.items() if ab in shortcuts)
    assert in_shortcuts / arch.n_structural_nonzeros > 0.99 * residual.value
    # the chain's value after the same budget is an upper bound on its minimum, and lies below
    assert minima["chain"].value < residual.value
