"""The "bad" architecture of the paper's Sec. 4.2.2: convolutions alternating with linear layers.

"Suppose one were to create an entirely different architecture that alternates between
ConvLayers and linear layers. Every output of a linear layer is transformed into a square as an
input into the ConvLayer." Each linear layer destroys the spatial layout the next convolution
assumes, and the paper's probe shows alpha* *falling* through the layers.

Module names (``model.named_modules()``), for ``n_pairs=3``::

    blocks.0.conv     conv3x3 -> act                              output (n, channels, h, w)
    blocks.0.linear   flatten -> linear -> act -> square          output (n, 1, side, side)
    blocks.1.conv     conv3x3 -> act                              output (n, channels, side, side)
    blocks.1.linear   ...
    blocks.2.conv, blocks.2.linear
    classifier        flatten -> linear                           output (n, n_classes)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from .._validation import check_int
from .activations import _check_in_shape, _reshape_input, make_activation

__all__ = ["BadConvLinear"]


class BadConvLinear(nn.Module):
    """Alternating conv and linear blocks; every linear output is reshaped into a square image.

    Parameters
    ----------
    in_shape : tuple (channels, height, width) or (height, width)
        Shape of one sample, e.g. ``(1, 28, 28)`` for Fashion-MNIST.
    n_classes : int
        Number of outputs.
    side : int, default 16
        Each linear layer outputs ``side * side`` features, reshaped to ``(1, side, side)``.
    channels : int, default 8
        Channels of every convolution (kernel 3, padding 1: the spatial size is kept).
    n_pairs : int, default 3
        Number of (conv, linear) pairs.
    activation : str, default "relu"
        Activation after every conv and linear layer.
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        n_classes: int,
        *,
        side: int = 16,
        channels: int = 8,
        n_pairs: int = 3,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        shape = _check_in_shape("bad-conv-linear", in_shape, (2, 3), "(1, 28, 28)")
        self.in_shape = (1, *shape) if len(shape) == 2 else shape
        n_classes = check_int("n_classes", n_classes, minimum=2)
        side = check_int("side", side, minimum=2)
        channels = check_int("channels", channels, minimum=1)
        n_pairs = check_int("n_pairs", n_pairs, minimum=1)
        make_activation(activation)
        self.n_pairs = n_pairs

        in_channels, height, width = self.in_shape
        pairs = []
        for _ in range(n_pairs):
            conv = nn.Sequential(
                OrderedDict(
                    [
                        ("conv", nn.Conv2d(in_channels, channels, 3, padding=1)),
                        ("act", make_activation(activation)),
                    ]
                )
            )
            linear = nn.Sequential(
                OrderedDict(
                    [
                        ("flatten", nn.Flatten()),
                        ("linear", nn.Linear(channels * height * width, side * side)),
                        ("act", make_activation(activation)),
                        ("square", nn.Unflatten(1, (1, side, side))),
                    ]
                )
            )
            pairs.append(nn.Sequential(OrderedDict([("conv", conv), ("linear", linear)])))
            in_channels, height, width = 1, side, side
        self.blocks = nn.Sequential(*pairs)
        self.classifier = nn.Sequential(
            OrderedDict([("flatten", nn.Flatten()), ("linear", nn.Linear(side * side, n_classes))])
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch ``(n, *in_shape)`` to logits ``(n, n_classes)``."""
        x = _reshape_input(x, self.in_shape, "bad-conv-linear")
        return self.classifier(self.blocks(x))

    def probe_points(self) -> list[tuple[str, str]]:
        """Every conv block and every linear block, alternating, in forward order."""
        points = []
        for i in range(self.n_pairs):
            points += [(f"blocks.{i}.conv", "conv"), (f"blocks.{i}.linear", "linear")]
        return points
