"""Build the paper's models by name, and list the layers the paper probes in each.

>>> model = build_model("mnist1d-cnn", in_shape=(1, 40), n_classes=10, activation="gelu")
>>> probe_points(model)[:2]
[('blocks.0', 'conv'), ('blocks.1', 'conv')]
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from torch import nn

from .bad import BadConvLinear
from .edge_conv import edge_conv_net
from .fourier import MLP, FourierConvNet
from .mnist1d_cnn import DEFAULT_STRIDES, MNIST1DCNN, N_CONV_LAYERS
from .resnet import ResNet18Small
from .vgg import VGG

__all__ = [
    "MODELS",
    "PROBE_KINDS",
    "build_model",
    "list_models",
    "model_defaults",
    "probe_points",
]

PROBE_KINDS = ("conv", "pool", "linear", "residual", "activation")


def _mnist1d_cnn(
    in_shape: Sequence[int],
    n_classes: int,
    *,
    channels: int = 32,
    hidden: int = 128,
    activation: str = "relu",
    strides: Sequence[int] = DEFAULT_STRIDES,
    batchnorm_layers: int = N_CONV_LAYERS,
) -> nn.Module:
    return MNIST1DCNN(
        in_shape,
        n_classes,
        channels=channels,
        hidden=hidden,
        activation=activation,
        strides=strides,
        batchnorm_layers=batchnorm_layers,
    )


def _vgg(depth: str) -> Callable[..., nn.Module]:
    def build(
        in_shape: Sequence[int], n_classes: int, *, width: float = 1.0, activation: str = "relu"
    ) -> nn.Module:
        return VGG(depth, in_shape, n_classes, width=width, activation=activation)

    return build


def _resnet18_small(
    in_shape: Sequence[int],
    n_classes: int,
    *,
    channels: Sequence[int] = (16, 32, 64, 128),
    activation: str = "relu",
) -> nn.Module:
    return ResNet18Small(in_shape, n_classes, channels=channels, activation=activation)


def _bad_conv_linear(
    in_shape: Sequence[int],
    n_classes: int,
    *,
    side: int = 16,
    channels: int = 8,
    n_pairs: int = 3,
    activation: str = "relu",
) -> nn.Module:
    return BadConvLinear(
        in_shape, n_classes, side=side, channels=channels, n_pairs=n_pairs, activation=activation
    )


def _fourier_fc(
    in_shape: Sequence[int],
    n_classes: int,
    *,
    hidden: Sequence[int] = (512, 256, 128),
    activation: str = "relu",
) -> nn.Module:
    return MLP(in_shape, n_classes, hidden=hidden, activation=activation, name="fourier-fc")


def _fourier_conv(
    in_shape: Sequence[int],
    n_classes: int,
    *,
    channels: Sequence[int] = (16, 32, 64),
    hidden: int = 128,
    activation: str = "relu",
    batchnorm: bool = True,
) -> nn.Module:
    return FourierConvNet(
        in_shape,
        n_classes,
        channels=channels,
        hidden=hidden,
        activation=activation,
        batchnorm=batchnorm,
    )


def _mlp(
    in_shape: Sequence[int],
    n_classes: int,
    *,
    hidden: Sequence[int] = (64, 64, 64),
    activation: str = "relu",
) -> nn.Module:
    return MLP(in_shape, n_classes, hidden=hidden, activation=activation, name="mlp")


_BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "mnist1d-cnn": _mnist1d_cnn,
    "vgg13": _vgg("vgg13"),
    "vgg16": _vgg("vgg16"),
    "vgg19": _vgg("vgg19"),
    "resnet18-small": _resnet18_small,
    "bad-conv-linear": _bad_conv_linear,
    "fourier-fc": _fourier_fc,
    "fourier-conv": _fourier_conv,
    "mlp": _mlp,
    "edge-conv-net": edge_conv_net,
}

MODELS: tuple[str, ...] = tuple(_BUILDERS)


def _check_model_name(name: Any) -> str:
    if isinstance(name, str) and name in _BUILDERS:
        return name
    listed = ", ".join(repr(m) for m in MODELS)
    hint = ""
    if isinstance(name, str):
        close = difflib.get_close_matches(name.lower(), MODELS, n=1, cutoff=0.0)
        if close:
            hint = f" Did you mean {close[0]!r}?"
    raise ValueError(f"model must be one of {listed}; got {name!r}.{hint}")


def model_defaults(name: str) -> dict[str, Any]:
    """Return the options of model ``name`` with their default values.

    Parameters
    ----------
    name : str
        One of :data:`MODELS`.

    Returns
    -------
    dict
        ``{option: default}``, in the order of the model's signature.
    """
    signature = inspect.signature(_BUILDERS[_check_model_name(name)])
    return {
        p.name: p.default
        for p in signature.parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def build_model(
    name: str, *, in_shape: tuple[int, ...], n_classes: int, **options: Any
) -> nn.Module:
    """Build one of the paper's models, freshly initialised from torch's global generator.

    Parameters
    ----------
    name : str
        One of :data:`MODELS`: ``"mnist1d-cnn"``, ``"vgg13"``, ``"vgg16"``, ``"vgg19"``,
        ``"resnet18-small"``, ``"bad-conv-linear"``, ``"fourier-fc"``, ``"fourier-conv"``,
        ``"mlp"``, ``"edge-conv-net"`` (the chain/residual/dense conv nets of the
        frame-potential study).
    in_shape : tuple of ints
        Shape of one sample, without the batch axis: ``(1, 40)`` for MNIST-1D,
        ``(1, 28, 28)``, ``(3, 32, 32)``, ``(1, 8, 8)``, ``(2,)`` for 2-D points.
    n_classes : int
        Number of outputs (logits).
    **options
        Model options, see :func:`model_defaults`; e.g. ``activation="step"``,
        ``strides=(1, 1, 1, 5, 1, 1, 1)``, ``width=0.25``.

    Returns
    -------
    nn.Module
        The model, in training mode, with a ``probe_points()`` method. Its forward maps
        ``(n, *in_shape)`` to ``(n, n_classes)``. Call ``torch.manual_seed`` first for a
        reproducible initialisation.

    Raises
    ------
    ValueError
        Unknown model (the message lists :data:`MODELS` and the closest name), unknown option
        (the message lists the valid ones) or an invalid option value.
    """
    name = _check_model_name(name)
    defaults = model_defaults(name)
    unknown = [key for key in options if key not in defaults]
    if unknown:
        valid = ", ".join(f"{k}={v!r}" for k, v in defaults.items())
        raise ValueError(
            f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"for model {name!r}; valid options (with defaults) are: {valid}."
        )
    return _BUILDERS[name](in_shape, n_classes, **options)


def list_models() -> list[str]:
    """Return the names :func:`build_model` accepts."""
    return list(MODELS)


def probe_points(model: nn.Module) -> list[tuple[str, str]]:
    """Return the layers the paper probes in ``model``, in forward order.

    Parameters
    ----------
    model : nn.Module
        A model from :func:`build_model` (any module with a ``probe_points()`` method).

    Returns
    -------
    list of (str, str)
        ``(dotted module name as in model.named_modules(), kind)``; kind is one of
        :data:`PROBE_KINDS`. Each module's *output* is the representation to probe.

    Raises
    ------
    TypeError
        When ``model`` has no ``probe_points()`` method.
    """
    method = getattr(model, "probe_points", None)
    if not callable(method):
        raise TypeError(
            f"probe_points needs a model built by sparsity_widgets.models.build_model (or any "
            f"module with a probe_points() method); got {type(model).__name__}, which has none. "
            "For other models choose the layers yourself by their names in "
            "model.named_modules()."
        )
    return [(str(n), str(k)) for n, k in method()]
