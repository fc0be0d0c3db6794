"""The forward reading of skip connections (eq. 7-10): block placement and values."""

import numpy as np
import pytest

from sparsity_widgets.frames.conv_induced import (
    ConvArchitecture,
    ConvEdge,
    conv_dense_induced_dictionary,
    make_conv_architecture,
    random_conv_weights,
)
from sparsity_widgets.frames.forward_reading import (
    forward_dense_dictionary,
    forward_frame_potential,
)
from sparsity_widgets.frames.induced import make_architecture, random_weights


def test_chain_rows_hold_identity_and_transposed_weights():
    arch = make_architecture("chain", (3, 4, 5, 6))
    w = random_weights(arch, 0)
    B, mask = forward_dense_dictionary(arch, w)
    assert B.shape == (3 + 5 + 6, 4 + 5 + 6)  # data term, then one row block per layer >= 2
    np.testing.assert_array_equal(B[:3, :4], w[0])
    np.testing.assert_array_equal(B[3:8, 4:9], np.eye(5))
    np.testing.assert_array_equal(B[3:8, :4], -w[1].T)
    np.testing.assert_array_equal(B[8:, 9:], np.eye(6))
    np.testing.assert_array_equal(B[8:, 4:9], -w[2].T)
    assert mask.sum() == 12 + 5 + 20 + 6 + 30


def test_a_shortcut_adds_a_block_but_no_rows():
    chain = make_architecture("chain", (3, 4, 4, 4))
    residual = make_architecture("residual", (3, 4, 4, 4))
    w = random_weights(chain, 0)
    Bc, _ = forward_dense_dictionary(chain, w)
    Br, _ = forward_dense_dictionary(residual, w)
    assert Br.shape == Bc.shape
    # layer 3's row block holds -I under layer 1 (the shortcut 1 -> 3)
    np.testing.assert_array_equal(Br[7:, :4], -np.eye(4))
    np.testing.assert_array_equal(np.delete(Br - Bc, np.s_[7:], axis=0), 0.0)


def test_conv_blocks_are_the_transposed_generative_blocks():
    arch = make_conv_architecture("chain", input_shape=(2, 8), width=2, blocks=1, groups=2)
    w = random_conv_weights(arch, 1)
    Bf, _ = forward_dense_dictionary(arch, w)
    Bg, _ = conv_dense_induced_dictionary(arch, w)
    units = [arch.channels[t] * arch.positions(t) for t in range(arch.n_layers + 1)]
    col = np.concatenate([[0], np.cumsum(units[1:])])
    # the edge 1 -> 2: generative rows of layer 1's units, forward rows of layer 2's
    g_rows = slice(units[0], units[0] + units[1])
    generative = Bg[g_rows, col[1] : col[2]]
    forward = Bf[units[0] : units[0] + units[2], col[0] : col[1]]
    np.testing.assert_array_equal(forward, -generative.T)


def test_torch_value_and_single_pixel_conv_agree():
    torch = pytest.importorskip("torch")
    fc = make_architecture("dense", (3, 4, 4, 4))
    w = random_weights(fc, 2)
    conv = ConvArchitecture(
        fc.widths,
        ((1,),) * 4,
        tuple(ConvEdge(e.source, e.target, e.kind, 1) for e in fc.edges),
    )
    value = forward_frame_potential(fc, w)
    # other codes (block-wise, torch's matmul) round differently: the absolute bound
    # 4 (n + m) eps ||G||_F^2 / N(G) of test_blockwise_potential_equals_dense is 3.5e-15 here
    assert abs(forward_frame_potential(conv, [x[..., None] for x in w]) - value) < 1e-14
    tensors = [torch.tensor(x, requires_grad=True) for x in w]
    t_value = forward_frame_potential(fc, tensors)
    t_value.backward()
    assert abs(float(t_value.detach()) - value) < 1e-14
    # input edges into later layers only move data to the right-hand side: no block, no gradient
    used = [e.source >= 1 or e.target == 1 for e in fc.param_edges]
    assert [t.grad is not None for t in tensors] == used


def test_minimising_the_forward_reading_is_seeded():
    pytest.importorskip("torch")
    from sparsity_widgets.frames.minimize import minimize_frame_potential

    arch = make_architecture("residual", (3, 4, 4, 4))
    runs = [
        minimize_frame_potential(arch, max_iter=20, potential=forward_frame_potential)
        for _ in range(2)
    ]
    assert runs[0].value == runs[1].value < runs[0].initial_value
    # torch against NumPy: F^2 = 0.10, its rounding bound (as above) 4.6e-15, i.e. 4.5e-14 rel
    assert runs[0].initial_value == pytest.approx(
        forward_frame_potential(arch, random_weights(arch, 0)), rel=1e-12
    )


def test_first_layer_without_filters_is_refused():
    arch = ConvArchitecture(
        (2, 2, 2), ((4,), (4,), (4,)), (ConvEdge(0, 1, "identity"), ConvEdge(1, 2))
    )
    with pytest.raises(ValueError, match="first layer needs filters"):
        forward_dense_dictionary(arch, random_conv_weights(arch, 0))
