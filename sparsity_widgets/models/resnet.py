"""A small ResNet-18 (the paper's Sec. 4.2.2 "Resnet18 variant, with smaller channel sizes").

The ResNet-18 layout, four stages of two basic blocks, with a 3x3 stem and no initial
max-pool (the CIFAR-style stem suits 28x28 and 32x32 images), narrower channels and any number
of input channels. The paper measures alpha* "at the end of every residual connection, and in
edge layers": the stem, the output of every block (after the addition and the activation) and
the global pool.

Module names (``model.named_modules()``)::

    stem                         conv -> norm -> act
    layer1.0, layer1.1, ... layer4.1     BasicBlock, output after ``act(residual + shortcut)``
    pool                         global average pool, output (n, channels[-1], 1, 1)
    classifier                   flatten -> linear
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from .._validation import check_int
from .activations import _check_in_shape, _check_int_tuple, _reshape_input, make_activation

__all__ = ["BasicBlock", "ResNet18Small"]

BLOCKS_PER_STAGE = 2
N_STAGES = 4


class BasicBlock(nn.Module):
    """Two 3x3 conv + BatchNorm layers with an identity (or 1x1 projection) shortcut.

    ``forward(x) = act_out(norm2(conv2(act1(norm1(conv1(x))))) + shortcut(x))``; the output,
    shape ``(n, out_channels, h / stride, w / stride)``, is what the probe reads.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, activation: str) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(out_channels)
        self.act1 = make_activation(activation)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.shortcut: nn.Module = nn.Sequential(
                OrderedDict(
                    [
                        (
                            "conv",
                            nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                        ),
                        ("norm", nn.BatchNorm2d(out_channels)),
                    ]
                )
            )
        else:
            self.shortcut = nn.Identity()
        self.act_out = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act1(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        return self.act_out(out + self.shortcut(x))


class ResNet18Small(nn.Module):
    """ResNet-18 layout with narrow channels for small (grayscale) images.

    Parameters
    ----------
    in_shape : tuple (channels, height, width) or (height, width)
        Shape of one sample, e.g. ``(1, 28, 28)`` for Fashion-MNIST; ``(h, w)`` means grayscale.
    n_classes : int
        Number of outputs.
    channels : tuple of 4 ints, default (16, 32, 64, 128)
        Channels of the four stages (the stem has ``channels[0]``). Stages 2-4 halve the
        spatial size.
    activation : str, default "relu"
        Activation inside the blocks and after each addition.
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        n_classes: int,
        *,
        channels: Sequence[int] = (16, 32, 64, 128),
        activation: str = "relu",
    ) -> None:
        super().__init__()
        shape = _check_in_shape("resnet18-small", in_shape, (2, 3), "(1, 28, 28)")
        self.in_shape = (1, *shape) if len(shape) == 2 else shape
        n_classes = check_int("n_classes", n_classes, minimum=2)
        channels = _check_int_tuple("channels", channels, length=N_STAGES)
        make_activation(activation)

        self.stem = nn.Sequential(
            OrderedDict(
                [
                    ("conv", nn.Conv2d(self.in_shape[0], channels[0], 3, padding=1, bias=False)),
                    ("norm", nn.BatchNorm2d(channels[0])),
                    ("act", make_activation(activation)),
                ]
            )
        )
        previous = channels[0]
        for stage, out_channels in enumerate(channels, 1):
            blocks = []
            for b in range(BLOCKS_PER_STAGE):
                stride = 2 if stage > 1 and b == 0 else 1
                blocks.append(BasicBlock(previous, out_channels, stride, activation))
                previous = out_channels
            self.add_module(f"layer{stage}", nn.Sequential(*blocks))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            OrderedDict([("flatten", nn.Flatten()), ("linear", nn.Linear(previous, n_classes))])
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch ``(n, *in_shape)`` to logits ``(n, n_classes)``."""
        x = self.stem(_reshape_input(x, self.in_shape, "resnet18-small"))
        for stage in range(1, N_STAGES + 1):
            x = getattr(self, f"layer{stage}")(x)
        return self.classifier(self.pool(x))

    def probe_points(self) -> list[tuple[str, str]]:
        """The stem, the end of every residual block and the global pool, in forward order."""
        points = [("stem", "conv")]
        for stage in range(1, N_STAGES + 1):
            points += [(f"layer{stage}.{b}", "residual") for b in range(BLOCKS_PER_STAGE)]
        points.append(("pool", "pool"))
        return points
