"""The 7-layer 1-D convolutional network of the paper's MNIST-1D experiments (Sec. 4.2.4, 5).

Seven convolutions (kernel 3, padding 1), each followed by an optional BatchNorm and the
activation, then two linear layers: a hidden one (with the activation) and the classifier.
Every knob the paper turns is an option: the activation (Sec. 5.0.2), the stride of each layer
(Sec. 5.0.3 raises the stride of the 4th layer from 2 to 5) and on how many of the first layers
BatchNorm is applied (Sec. 5.0.4). The batch size (Sec. 5.0.1) belongs to the training config.

Module names (``model.named_modules()``)::

    blocks.0 ... blocks.6    conv -> [norm] -> act       output (n, channels, length_i)
    hidden                   flatten -> linear -> act    output (n, hidden)
    classifier               linear                      output (n, n_classes)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from .._validation import check_int
from .activations import (
    _check_in_shape,
    _check_int_tuple,
    _reshape_input,
    make_activation,
)

__all__ = ["DEFAULT_STRIDES", "MNIST1DCNN", "N_CONV_LAYERS", "conv1d_output_length"]

N_CONV_LAYERS = 7
# The paper's base network has stride 2 at its 4th convolution ("from 2 to 5").
DEFAULT_STRIDES = (1, 1, 1, 2, 1, 1, 1)
KERNEL_SIZE = 3
PADDING = 1


def conv1d_output_length(length: int, stride: int) -> int:
    """Length after a kernel-3, padding-1 convolution: ``floor((length - 1) / stride) + 1``."""
    return (length + 2 * PADDING - KERNEL_SIZE) // stride + 1


class MNIST1DCNN(nn.Module):
    """Seven 1-D conv blocks, a hidden linear layer and a linear classifier.

    Parameters
    ----------
    in_shape : tuple (channels, length) or (length,)
        Shape of one sample; ``(1, 40)`` for MNIST-1D. ``(length,)`` means one channel.
    n_classes : int
        Number of outputs of the classifier.
    channels : int, default 32
        Channels of every convolution.
    hidden : int, default 128
        Width of the hidden linear layer.
    activation : str, default "relu"
        One of :data:`~sparsity_widgets.models.ACTIVATIONS`, used after every conv and the
        hidden layer.
    strides : tuple of 7 ints, default (1, 1, 1, 2, 1, 1, 1)
        Stride of each convolution.
    batchnorm_layers : int, default 7
        BatchNorm1d on the first ``batchnorm_layers`` convolutions (0 = none, 7 = all).
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        n_classes: int,
        *,
        channels: int = 32,
        hidden: int = 128,
        activation: str = "relu",
        strides: Sequence[int] = DEFAULT_STRIDES,
        batchnorm_layers: int = N_CONV_LAYERS,
    ) -> None:
        super().__init__()
        shape = _check_in_shape("mnist1d-cnn", in_shape, (1, 2), "(1, 40) for MNIST-1D")
        self.in_shape = (1, *shape) if len(shape) == 1 else shape
        n_classes = check_int("n_classes", n_classes, minimum=2)
        channels = check_int("channels", channels, minimum=1)
        hidden = check_int("hidden", hidden, minimum=1)
        strides = _check_int_tuple("strides", strides, length=N_CONV_LAYERS)
        batchnorm_layers = check_int("batchnorm_layers", batchnorm_layers, minimum=0)
        if batchnorm_layers > N_CONV_LAYERS:
            raise ValueError(
                f"batchnorm_layers must lie in [0, {N_CONV_LAYERS}] (BatchNorm on the first k "
                f"conv layers); got {batchnorm_layers}."
            )
        make_activation(activation)  # validates the name before building anything
        self.strides = strides
        self.batchnorm_layers = batchnorm_layers

        in_channels, length = self.in_shape
        lengths = []
        blocks = []
        for i, stride in enumerate(strides):
            layers: OrderedDict[str, nn.Module] = OrderedDict()
            use_bn = i < batchnorm_layers
            layers["conv"] = nn.Conv1d(
                in_channels if i == 0 else channels,
                channels,
                KERNEL_SIZE,
                stride=stride,
                padding=PADDING,
                bias=not use_bn,
            )
            if use_bn:
                layers["norm"] = nn.BatchNorm1d(channels)
            layers["act"] = make_activation(activation)
            blocks.append(nn.Sequential(layers))
            length = conv1d_output_length(length, stride)
            lengths.append(length)
        self.lengths = tuple(lengths)
        self.blocks = nn.Sequential(*blocks)
        self.hidden = nn.Sequential(
            OrderedDict(
                [
                    ("flatten", nn.Flatten()),
                    ("linear", nn.Linear(channels * length, hidden)),
                    ("act", make_activation(activation)),
                ]
            )
        )
        self.classifier = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch ``(n, *in_shape)`` to logits ``(n, n_classes)``."""
        x = _reshape_input(x, self.in_shape, "mnist1d-cnn")
        return self.classifier(self.hidden(self.blocks(x)))

    def probe_points(self) -> list[tuple[str, str]]:
        """The seven conv blocks and the hidden layer (not the classifier), in forward order."""
        points = [(f"blocks.{i}", "conv") for i in range(N_CONV_LAYERS)]
        points.append(("hidden", "linear"))
        return points
