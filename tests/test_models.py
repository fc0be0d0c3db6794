"""The paper's models: shapes, options, probe points, activations and errors."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from sparsity_widgets.models import (  # noqa: E402
    ACTIVATIONS,
    MODELS,
    PROBE_KINDS,
    build_model,
    list_models,
    make_activation,
    model_defaults,
    probe_points,
)
from sparsity_widgets.models.mnist1d_cnn import conv1d_output_length  # noqa: E402

# (model, in_shape, small options) for every registered model
CASES = [
    ("mnist1d-cnn", (1, 40), {"channels": 8, "hidden": 16}),
    ("vgg13", (3, 32, 32), {"width": 0.0625}),
    ("vgg16", (3, 32, 32), {"width": 0.0625}),
    ("vgg19", (3, 32, 32), {"width": 0.0625}),
    ("resnet18-small", (1, 28, 28), {"channels": (4, 4, 8, 8)}),
    ("bad-conv-linear", (1, 28, 28), {"side": 8, "channels": 2}),
    ("fourier-fc", (1, 28, 28), {"hidden": (32, 16)}),
    ("fourier-conv", (1, 28, 28), {"channels": (4, 8), "hidden": 16}),
    ("mlp", (2,), {}),
    ("edge-conv-net", (3, 16, 16), {"width": 2, "blocks": 1, "groups": 2}),
]


def test_every_model_has_a_case():
    assert sorted(MODELS) == sorted(name for name, _, _ in CASES)
    assert list_models() == list(MODELS)


def _recorded_order(model, x):
    """Run ``model(x)`` and return the names of all modules in the order their forward ends."""
    order, handles = [], []
    for name, module in model.named_modules():
        if name:
            handles.append(
                module.register_forward_hook(lambda m, i, o, name=name: order.append(name))
            )
    try:
        model(x)
    finally:
        for h in handles:
            h.remove()
    return order


@pytest.mark.parametrize(("name", "in_shape", "options"), CASES)
def test_output_shape_and_probe_points_in_forward_order(name, in_shape, options):
    torch.manual_seed(0)
    model = build_model(name, in_shape=in_shape, n_classes=7, **options)
    x = torch.randn(3, *in_shape)
    assert model(x).shape == (3, 7)

    points = probe_points(model)
    assert points, "every model must name layers to probe"
    names = [n for n, _ in points]
    modules = dict(model.named_modules())
    assert all(n in modules for n in names)
    assert all(kind in PROBE_KINDS for _, kind in points)
    assert len(set(names)) == len(names)
    order = _recorded_order(model, x)
    # each probe point runs exactly once, and they finish in the listed order
    assert all(order.count(n) == 1 for n in names)
    assert sorted(names, key=order.index) == names
    # the classifier output is never probed
    assert "classifier" not in names


@pytest.mark.parametrize(
    ("name", "in_shape", "options"),
    [
        ("mnist1d-cnn", (40,), {"channels": 4}),
        ("mnist1d-cnn", (3, 17), {"channels": 4, "hidden": 5}),
        ("vgg13", (1, 32, 32), {"width": 0.05}),
        ("vgg16", (3, 40, 48), {"width": 0.05}),
        ("resnet18-small", (3, 32, 32), {"channels": (2, 3, 4, 5)}),
        ("resnet18-small", (8, 8), {"channels": (2, 2, 2, 2)}),
        ("bad-conv-linear", (2, 10, 12), {"side": 5, "channels": 1, "n_pairs": 4}),
        ("fourier-conv", (28, 28), {"channels": (2, 2, 2, 2), "batchnorm": False}),
        ("mlp", (1, 8, 8), {"hidden": (5,), "activation": "sigmoid"}),
        ("edge-conv-net", (1, 40), {"arch": "dense", "width": 2, "blocks": 2}),
        ("edge-conv-net", (2, 8, 8, 8), {"arch": "chain", "width": 2, "groups": 2}),
    ],
)
def test_other_shapes_and_options(name, in_shape, options):
    model = build_model(name, in_shape=in_shape, n_classes=3, **options)
    assert model(torch.randn(2, *in_shape)).shape == (2, 3)


def test_vgg_probe_points_match_the_standard_configs():
    for name, n_convs in [("vgg13", 10), ("vgg16", 13), ("vgg19", 16)]:
        kinds = [k for _, k in probe_points(build_model(name, in_shape=(3, 32, 32), n_classes=10))]
        assert kinds.count("conv") == n_convs
        assert kinds.count("pool") == 5
        assert kinds[-1] == "pool"


def test_vgg_full_width_has_the_standard_channels():
    model = build_model("vgg16", in_shape=(3, 32, 32), n_classes=10)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64] * 2 + [128] * 2 + [256] * 3 + [512] * 6
    assert model.classifier.linear.in_features == 512


def test_resnet_residual_blocks_output_after_the_addition_and_activation():
    torch.manual_seed(0)
    model = build_model("resnet18-small", in_shape=(1, 16, 16), n_classes=4).eval()
    block = model.layer2[0]
    captured = {}
    block.register_forward_hook(lambda m, i, o: captured.update(inp=i[0], out=o))
    model(torch.randn(2, 1, 16, 16))
    x = captured["inp"]
    residual = block.norm2(block.conv2(block.act1(block.norm1(block.conv1(x)))))
    expected = torch.relu(residual + block.shortcut(x))
    # the same float32 ops recomputed (conv kernels may pick other algorithms): torch's float32
    # defaults, rtol 1.3e-6 and atol 1e-5, a few ulp of the O(1) activations
    torch.testing.assert_close(captured["out"], expected)
    assert (captured["out"] >= 0).all()
    assert captured["out"].shape == (2, 32, 8, 8)


def test_bad_model_reshapes_every_linear_output_into_a_square():
    model = build_model("bad-conv-linear", in_shape=(1, 28, 28), n_classes=10, side=6)
    shapes = {}
    for name, _ in probe_points(model):
        dict(model.named_modules())[name].register_forward_hook(
            lambda m, i, o, name=name: shapes.update({name: tuple(o.shape)})
        )
    model(torch.randn(2, 1, 28, 28))
    assert shapes["blocks.0.conv"] == (2, 8, 28, 28)
    assert shapes["blocks.0.linear"] == (2, 1, 6, 6)
    assert shapes["blocks.1.conv"] == (2, 8, 6, 6)
    assert shapes["blocks.2.linear"] == (2, 1, 6, 6)


def _block_lengths(model, length=40):
    lengths = {}
    for i in range(7):
        model.blocks[i].register_forward_hook(
            lambda m, inp, out, i=i: lengths.update({i: out.shape[-1]})
        )
    model(torch.randn(2, 1, length))
    return [lengths[i] for i in range(7)]


def test_mnist1d_default_stride_is_two_at_the_fourth_layer():
    model = build_model("mnist1d-cnn", in_shape=(1, 40), n_classes=10, channels=4)
    assert model_defaults("mnist1d-cnn")["strides"] == (1, 1, 1, 2, 1, 1, 1)
    assert _block_lengths(model) == [40, 40, 40, 20, 20, 20, 20]


def test_mnist1d_stride_five_at_the_fourth_layer_shortens_blocks_3_on():
    strides = (1, 1, 1, 5, 1, 1, 1)
    model = build_model("mnist1d-cnn", in_shape=(1, 40), n_classes=10, channels=4, strides=strides)
    # floor((40 + 2 - 3) / 5) + 1 = 8
    assert conv1d_output_length(40, 5) == 8
    assert _block_lengths(model) == [40, 40, 40, 8, 8, 8, 8]
    assert model.hidden.linear.in_features == 4 * 8
    assert model(torch.randn(5, 1, 40)).shape == (5, 10)


@pytest.mark.parametrize("k", [0, 2, 4, 6, 7])
def test_batchnorm_on_exactly_the_first_k_blocks(k):
    model = build_model("mnist1d-cnn", in_shape=(1, 40), n_classes=10, batchnorm_layers=k)
    has_bn = [any(isinstance(m, nn.BatchNorm1d) for m in block.modules()) for block in model.blocks]
    assert has_bn == [True] * k + [False] * (7 - k)
    assert sum(isinstance(m, nn.BatchNorm1d) for m in model.modules()) == k
    # a conv followed by BatchNorm needs no bias
    assert [block.conv.bias is None for block in model.blocks] == has_bn


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mnist1d_activation_is_used_in_every_block(activation):
    model = build_model("mnist1d-cnn", in_shape=(1, 40), n_classes=10, activation=activation)
    expected = type(make_activation(activation))
    assert all(isinstance(block.act, expected) for block in model.blocks)
    assert isinstance(model.hidden.act, expected)


def test_activation_values():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
    expected = {
        "relu": [0.0, 0.0, 0.0, 0.5, 2.0],
        "leaky-relu": [-0.02, -0.005, 0.0, 0.5, 2.0],
        "sigmoid": [
            1 / (1 + torch.exp(torch.tensor(v)).item()) for v in [2.0, 0.5, 0.0, -0.5, -2.0]
        ],
        "step": [0.0, 0.0, 0.0, 1.0, 1.0],
        # exact GELU: x * Phi(x)
        "gelu": [(v * 0.5 * (1 + torch.erf(torch.tensor(v / 2**0.5)))).item() for v in x.tolist()],
    }
    assert set(expected) == set(ACTIVATIONS)
    for name, values in expected.items():
        out = make_activation(name)(x)
        # float32 against values rounded once from float64: a few ulp (torch's float32 defaults)
        torch.testing.assert_close(out, torch.tensor(values), msg=name)
        assert out.dtype == x.dtype


def test_activations_are_fresh_modules():
    assert make_activation("relu") is not make_activation("relu")


def test_step_passes_zero_gradient_upstream():
    torch.manual_seed(0)
    first = nn.Linear(4, 3)
    step = make_activation("step")
    last = nn.Linear(3, 2)
    x = torch.randn(8, 4, requires_grad=True)
    loss = last(step(first(x))).pow(2).sum()
    loss.backward()
    assert torch.equal(first.weight.grad, torch.zeros_like(first.weight))
    assert torch.equal(first.bias.grad, torch.zeros_like(first.bias))
    assert torch.equal(x.grad, torch.zeros_like(x))
    assert last.weight.grad.abs().sum() > 0  # layers after the step still learn


def test_step_model_trains_only_after_the_last_step():
    torch.manual_seed(0)
    model = build_model("mlp", in_shape=(2,), n_classes=2, hidden=(8, 8), activation="step")
    model(torch.randn(16, 2)).sum().backward()
    assert model.hidden[0].linear.weight.grad.abs().sum() == 0
    assert model.hidden[1].linear.weight.grad.abs().sum() == 0
    assert model.classifier.weight.grad.abs().sum() > 0


def test_parameter_counts_and_init_are_deterministic():
    def build():
        torch.manual_seed(123)
        return build_model("mnist1d-cnn", in_shape=(1, 40), n_classes=10)

    a, b = build(), build()
    count = sum(p.numel() for p in a.parameters())
    assert count == sum(p.numel() for p in b.parameters())
    # 7 convs (bias-free with BN) + 7 BatchNorms + hidden 32*20 -> 128 + classifier 128 -> 10
    assert count == (32 * 1 * 3) + 6 * (32 * 32 * 3) + 7 * 64 + (640 * 128 + 128) + (1280 + 10)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_models_have_readable_module_names():
    model = build_model("mnist1d-cnn", in_shape=(1, 40), n_classes=10)
    names = {n for n, _ in model.named_modules()}
    assert {f"blocks.{i}" for i in range(7)} | {"hidden", "classifier"} <= names
    assert {"blocks.0.conv", "blocks.0.norm", "blocks.0.act"} <= names


# --- errors ---------------------------------------------------------------------------------


def test_unknown_model_lists_models_and_the_closest_match():
    with pytest.raises(ValueError, match=r"model must be one of .*'vgg16'.*Did you mean 'vgg16'"):
        build_model("VGG-16", in_shape=(3, 32, 32), n_classes=10)
    with pytest.raises(ValueError, match="Did you mean 'mnist1d-cnn'"):
        build_model("mnist1d_cnn", in_shape=(1, 40), n_classes=10)


def test_unknown_option_names_it_and_the_valid_ones():
    with pytest.raises(
        ValueError, match=r"unknown option 'stride4' for model 'mnist1d-cnn'.*strides="
    ):
        build_model("mnist1d-cnn", in_shape=(1, 40), n_classes=10, stride4=5)
    with pytest.raises(ValueError, match=r"unknown options 'a', 'b'.*width=1.0"):
        build_model("vgg13", in_shape=(3, 32, 32), n_classes=10, a=1, b=2)


def test_unknown_activation():
    with pytest.raises(ValueError, match=r"activation must be one of 'relu'.*got 'tanh'"):
        make_activation("tanh")
    with pytest.raises(ValueError, match="activation must be one of"):
        build_model("mlp", in_shape=(2,), n_classes=2, activation="swish")


@pytest.mark.parametrize(
    ("name", "in_shape", "options", "match"),
    [
        ("mnist1d-cnn", (1, 40), {"strides": (1, 2)}, r"strides must have exactly 7 entries"),
        ("mnist1d-cnn", (1, 40), {"strides": (1, 1, 1, 0, 1, 1, 1)}, r"strides\[3\] must be"),
        ("mnist1d-cnn", (1, 40), {"batchnorm_layers": 8}, r"batchnorm_layers must lie in \[0, 7\]"),
        ("mnist1d-cnn", (1, 40), {"channels": 0}, r"channels must be an integer >= 1"),
        ("mnist1d-cnn", (1, 1, 40), {}, r"in_shape for 'mnist1d-cnn' must be a tuple of 1 or 2"),
        ("vgg13", (3, 16, 16), {}, r"height and width must be at least 32"),
        ("vgg13", (3, 32, 32), {"width": 0}, r"width must be a positive real number"),
        ("resnet18-small", (1, 28, 28), {"channels": (8, 8)}, r"channels must have exactly 4"),
        ("fourier-conv", (1, 4, 4), {}, r"at least 8"),
        ("mlp", (2,), {"hidden": ()}, r"hidden must have at least one entry"),
        ("mlp", "2", {}, r"in_shape for 'mlp' must be a tuple"),
    ],
)
def test_bad_option_values(name, in_shape, options, match):
    with pytest.raises(ValueError, match=match):
        build_model(name, in_shape=in_shape, n_classes=10, **options)


def test_bad_n_classes():
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        build_model("mlp", in_shape=(2,), n_classes=1)


def test_wrong_input_size_gives_a_clear_error():
    model = build_model("mnist1d-cnn", in_shape=(1, 40), n_classes=10)
    with pytest.raises(
        ValueError, match=r"expects batches of shape \(n, 1, 40\).*got .*\(4, 1, 39\)"
    ):
        model(torch.randn(4, 1, 39))


def test_probe_points_of_a_foreign_model_is_a_type_error():
    with pytest.raises(TypeError, match=r"probe_points needs a model built by .*Sequential"):
        probe_points(nn.Sequential(nn.Linear(2, 2)))


def test_probe_points_listed_exactly():
    mnist = build_model("mnist1d-cnn", in_shape=(1, 40), n_classes=10)
    assert probe_points(mnist) == [(f"blocks.{i}", "conv") for i in range(7)] + [
        ("hidden", "linear")
    ]
    resnet = build_model("resnet18-small", in_shape=(1, 28, 28), n_classes=10)
    assert probe_points(resnet) == (
        [("stem", "conv")]
        + [(f"layer{s}.{b}", "residual") for s in range(1, 5) for b in range(2)]
        + [("pool", "pool")]
    )
    bad = build_model("bad-conv-linear", in_shape=(1, 28, 28), n_classes=10, n_pairs=2)
    assert probe_points(bad) == [
        ("blocks.0.conv", "conv"),
        ("blocks.0.linear", "linear"),
        ("blocks.1.conv", "conv"),
        ("blocks.1.linear", "linear"),
    ]
