"""VGG-13/16/19 for 32x32 images, the CIFAR-10 variant of the paper's Sec. 4.2.1.

Stacks of 3x3 convolutions with BatchNorm and the activation, five 2x2 max-pools, and a linear
classifier on the 512 features left at 1x1 (more when the input is larger than 32x32). The
paper probes the output of every max-pool and of every convolution.

Module names (``model.named_modules()``), for VGG-13::

    features.conv1_1, features.conv1_2, features.pool1,
    features.conv2_1, features.conv2_2, features.pool2, ... features.pool5
    classifier                  flatten -> linear

Each ``features.convS_I`` is ``conv -> norm -> act`` and outputs the post-activation map.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from .._validation import check_choice, check_int
from .activations import _check_in_shape, _check_width, _reshape_input, make_activation

__all__ = ["VGG", "VGG_CONFIGS"]

# Number of 3x3 convolutions in each of the five stages, and their channels.
VGG_CONFIGS: dict[str, tuple[int, ...]] = {
    "vgg13": (2, 2, 2, 2, 2),
    "vgg16": (2, 2, 3, 3, 3),
    "vgg19": (2, 2, 4, 4, 4),
}
STAGE_CHANNELS = (64, 128, 256, 512, 512)
N_POOLS = 5


class VGG(nn.Module):
    """VGG with BatchNorm for small images.

    Parameters
    ----------
    depth : {"vgg13", "vgg16", "vgg19"}
        The configuration.
    in_shape : tuple (channels, height, width) or (height, width)
        Shape of one sample, e.g. ``(3, 32, 32)``; height and width must be at least 32
        (five 2x2 pools).
    n_classes : int
        Number of outputs.
    width : float, default 1.0
        Multiplier of every channel count (``0.125`` gives 8, 16, 32, 64, 64: fast tests).
    activation : str, default "relu"
        Activation after every BatchNorm.
    """

    def __init__(
        self,
        depth: str,
        in_shape: Sequence[int],
        n_classes: int,
        *,
        width: float = 1.0,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        check_choice("depth", depth, tuple(VGG_CONFIGS))
        shape = _check_in_shape(depth, in_shape, (2, 3), "(3, 32, 32) for CIFAR-10")
        self.in_shape = (1, *shape) if len(shape) == 2 else shape
        in_channels, height, width_px = self.in_shape
        if height < 2**N_POOLS or width_px < 2**N_POOLS:
            raise ValueError(
                f"{depth} halves the image {N_POOLS} times, so height and width must be at least "
                f"{2**N_POOLS}; got in_shape {in_shape!r}. Pad or resize the images to 32x32."
            )
        n_classes = check_int("n_classes", n_classes, minimum=2)
        width = _check_width(width)
        make_activation(activation)
        self.depth = depth

        layers: OrderedDict[str, nn.Module] = OrderedDict()
        channels = in_channels
        for stage, (n_convs, base) in enumerate(
            zip(VGG_CONFIGS[depth], STAGE_CHANNELS, strict=True), 1
        ):
            out_channels = max(1, round(base * width))
            for i in range(1, n_convs + 1):
                layers[f"conv{stage}_{i}"] = nn.Sequential(
                    OrderedDict(
                        [
                            ("conv", nn.Conv2d(channels, out_channels, 3, padding=1, bias=False)),
                            ("norm", nn.BatchNorm2d(out_channels)),
                            ("act", make_activation(activation)),
                        ]
                    )
                )
                channels = out_channels
            layers[f"pool{stage}"] = nn.MaxPool2d(2, 2)
            height, width_px = height // 2, width_px // 2
        self.features = nn.Sequential(layers)
        self.classifier = nn.Sequential(
            OrderedDict(
                [
                    ("flatten", nn.Flatten()),
                    ("linear", nn.Linear(channels * height * width_px, n_classes)),
                ]
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch ``(n, *in_shape)`` to logits ``(n, n_classes)``."""
        return self.classifier(self.features(_reshape_input(x, self.in_shape, self.depth)))

    def probe_points(self) -> list[tuple[str, str]]:
        """Every conv block (kind ``"conv"``) and every max-pool (``"pool"``), in order.

        The paper's Figure 5 omits the first 5 of these layers; all are listed here, and the
        caller may skip the first ones.
        """
        return [
            (f"features.{name}", "pool" if name.startswith("pool") else "conv")
            for name in self.features._modules
        ]
