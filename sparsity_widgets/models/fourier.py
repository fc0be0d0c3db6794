"""Fully connected and convolutional models, for Fourier-magnitude inputs and in general.

Sec. 4.2.5 of the paper classifies MNIST digits from the magnitudes of their 2-D Fourier
coefficients. A convolutional network fails there (neighbouring Fourier coefficients have no
spatial correlation to exploit) while a fully connected one succeeds, and the probe sees it.

- :class:`MLP` flattens its input and applies hidden ``linear -> act`` layers. It is the
  ``"fourier-fc"`` model (hidden ``(512, 256, 128)``) and the plain ``"mlp"`` model
  (hidden ``(64, 64, 64)``, for digits or 2-D synthetic points).
- :class:`FourierConvNet` is the ``"fourier-conv"`` model: a few ``conv -> norm -> act -> pool``
  blocks, a hidden linear layer and the classifier.

Module names (``model.named_modules()``)::

    MLP:             hidden.0, hidden.1, ... (linear -> act), classifier
    FourierConvNet:  blocks.0, blocks.1, ... (conv -> [norm] -> act -> pool),
                     hidden (flatten -> linear -> act), classifier
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from .._validation import check_int
from .activations import _check_in_shape, _check_int_tuple, _reshape_input, make_activation

__all__ = ["MLP", "FourierConvNet"]


class MLP(nn.Module):
    """Flatten, then hidden fully connected layers with an activation, then a classifier.

    Parameters
    ----------
    in_shape : tuple of ints
        Shape of one sample (any rank): ``(2,)`` for 2-D points, ``(1, 28, 28)`` for images.
    n_classes : int
        Number of outputs.
    hidden : tuple of ints, default (64, 64, 64)
        Widths of the hidden layers (at least one).
    activation : str, default "relu"
        Activation after every hidden layer.
    name : str, default "mlp"
        The registry name, used in error messages.
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        n_classes: int,
        *,
        hidden: Sequence[int] = (64, 64, 64),
        activation: str = "relu",
        name: str = "mlp",
    ) -> None:
        super().__init__()
        self.in_shape = _check_in_shape(name, in_shape, range(1, 5), "(2,) or (1, 28, 28)")
        n_classes = check_int("n_classes", n_classes, minimum=2)
        hidden = _check_int_tuple("hidden", hidden)
        make_activation(activation)
        self._name = name

        width = math.prod(self.in_shape)
        layers = []
        for h in hidden:
            layers.append(
                nn.Sequential(
                    OrderedDict(
                        [("linear", nn.Linear(width, h)), ("act", make_activation(activation))]
                    )
                )
            )
            width = h
        self.hidden = nn.Sequential(*layers)
        self.classifier = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch ``(n, *in_shape)`` to logits ``(n, n_classes)``."""
        x = _reshape_input(x, self.in_shape, self._name).flatten(1)
        return self.classifier(self.hidden(x))

    def probe_points(self) -> list[tuple[str, str]]:
        """Every hidden layer, in forward order."""
        return [(f"hidden.{i}", "linear") for i in range(len(self.hidden))]


class FourierConvNet(nn.Module):
    """Small CNN: ``conv3x3 -> [norm] -> act -> maxpool2`` blocks, a hidden layer, a classifier.

    Parameters
    ----------
    in_shape : tuple (channels, height, width) or (height, width)
        Shape of one sample, ``(1, 28, 28)`` for MNIST Fourier magnitudes. Height and width
        must be at least ``2 ** len(channels)``.
    n_classes : int
        Number of outputs.
    channels : tuple of ints, default (16, 32, 64)
        Channels of the conv blocks; each block halves the spatial size.
    hidden : int, default 128
        Width of the hidden linear layer.
    activation : str, default "relu"
        Activation of every block and of the hidden layer.
    batchnorm : bool, default True
        BatchNorm2d after each convolution.
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        n_classes: int,
        *,
        channels: Sequence[int] = (16, 32, 64),
        hidden: int = 128,
        activation: str = "relu",
        batchnorm: bool = True,
    ) -> None:
        super().__init__()
        shape = _check_in_shape("fourier-conv", in_shape, (2, 3), "(1, 28, 28)")
        self.in_shape = (1, *shape) if len(shape) == 2 else shape
        n_classes = check_int("n_classes", n_classes, minimum=2)
        channels = _check_int_tuple("channels", channels)
        hidden = check_int("hidden", hidden, minimum=1)
        if not isinstance(batchnorm, bool):
            raise ValueError(f"batchnorm must be True or False; got {batchnorm!r}.")
        make_activation(activation)
        in_channels, height, width = self.in_shape
        if min(height, width) < 2 ** len(channels):
            raise ValueError(
                f"fourier-conv halves the image once per entry of channels ({len(channels)} "
                f"times), so height and width must be at least {2 ** len(channels)}; got "
                f"in_shape {in_shape!r}. Use fewer channels entries."
            )

        blocks = []
        for out_channels in channels:
            layers: OrderedDict[str, nn.Module] = OrderedDict()
            layers["conv"] = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=not batchnorm)
            if batchnorm:
                layers["norm"] = nn.BatchNorm2d(out_channels)
            layers["act"] = make_activation(activation)
            layers["pool"] = nn.MaxPool2d(2, 2)
            blocks.append(nn.Sequential(layers))
            in_channels, height, width = out_channels, height // 2, width // 2
        self.blocks = nn.Sequential(*blocks)
        self.hidden = nn.Sequential(
            OrderedDict(
                [
                    ("flatten", nn.Flatten()),
                    ("linear", nn.Linear(in_channels * height * width, hidden)),
                    ("act", make_activation(activation)),
                ]
            )
        )
        self.classifier = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch ``(n, *in_shape)`` to logits ``(n, n_classes)``."""
        x = _reshape_input(x, self.in_shape, "fourier-conv")
        return self.classifier(self.hidden(self.blocks(x)))

    def probe_points(self) -> list[tuple[str, str]]:
        """Every conv block (output after the pool) and the hidden layer, in forward order."""
        points = [(f"blocks.{i}", "conv") for i in range(len(self.blocks))]
        points.append(("hidden", "linear"))
        return points
