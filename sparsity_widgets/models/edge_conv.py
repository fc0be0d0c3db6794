"""The convolutional network a :class:`~sparsity_widgets.frames.ConvArchitecture` describes.

Layer ``t`` computes ``w_t = relu(BN(sum_param conv_ts(w_s)) + sum_identity w_s)`` over its
incoming edges. Each convolution pads its input circularly by ``f - 1`` at the end of every
spatial dimension and applies the filters with the edge's stride and no bias, so output
position ``p`` reads source positions ``(stride p + u) mod n``: exactly the atoms of the
induced dictionary (:mod:`sparsity_widgets.frames.conv_induced`), whose filters are this
module's weights with the first two axes swapped. Batch normalisation rescales channels, which
the frame potential's column normalisation ignores. The head averages every output layer over
its positions, concatenates and maps to the classes with one linear layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..frames.conv_induced import ConvArchitecture, ConvEdge, make_conv_architecture

__all__ = ["EdgeConvNet", "edge_conv_net"]

_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_BATCHNORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


class CircularConv(nn.Module):
    """One parameter edge: circular padding by ``f - 1`` at the end, then a strided convolution.

    Input ``(batch, c_s, *grid_s)``, output ``(batch, c_t, *grid_s / stride)``.
    """

    def __init__(self, c_in: int, c_out: int, edge: ConvEdge, ndim: int) -> None:
        super().__init__()
        self.conv = _CONV[ndim](c_in, c_out, edge.filter_size, stride=edge.stride, bias=False)
        # F.pad lists the last dimension first: (left, right) pairs
        self.pad = tuple(v for f in reversed(edge.filter_size) for v in (0, f - 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if any(self.pad):
            x = F.pad(x, self.pad, mode="circular")
        return self.conv(x)


class EdgeLayer(nn.Module):
    """Layer ``t``: its incoming convolutions, one batch norm, identity shortcuts, ReLU."""

    def __init__(self, architecture: ConvArchitecture, target: int) -> None:
        super().__init__()
        a = architecture
        edges = [e for e in a.edges if e.target == target]
        self.sources = [e.source for e in edges if e.kind == "param"]
        self.shortcuts = [e.source for e in edges if e.kind == "identity"]
        self.convs = nn.ModuleList(
            CircularConv(a.channels[e.source], a.channels[target], e, a.ndim)
            for e in edges
            if e.kind == "param"
        )
        self.norm = _BATCHNORM[a.ndim](a.channels[target]) if self.convs else None

    def forward(self, previous: list[torch.Tensor]) -> torch.Tensor:
        total: Any = 0.0
        for source, conv in zip(self.sources, self.convs, strict=True):
            total = total + conv(previous[source])
        if self.norm is not None:
            total = self.norm(total)
        for source in self.shortcuts:
            total = total + previous[source]
        return torch.relu(total)


class EdgeConvNet(nn.Module):
    """A chain, residual or dense convolutional network given by its edges.

    Parameters
    ----------
    architecture : ConvArchitecture
    n_classes : int

    Notes
    -----
    Input ``(batch, c_0, *grid_0)``, output ``(batch, n_classes)``. ``conv_weights()`` lists
    the filters in the architecture's weight order and layout ``(c_source, c_target, *f)``.
    """

    def __init__(self, architecture: ConvArchitecture, n_classes: int) -> None:
        super().__init__()
        self.architecture = architecture
        self.layers = nn.ModuleList(
            EdgeLayer(architecture, t) for t in range(1, architecture.n_layers + 1)
        )
        features = sum(architecture.channels[t] for t in architecture.outputs)
        self.head = nn.Linear(features, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [x]
        for layer in self.layers:
            outputs.append(layer(outputs))
        pooled = [outputs[t].flatten(2).mean(2) for t in self.architecture.outputs]
        return self.head(torch.cat(pooled, dim=1))

    def conv_weights(self) -> list[torch.Tensor]:
        """Filters of every parameter edge, in ``architecture.param_edges`` order.

        Returns
        -------
        list of Tensor, shapes ``architecture.weight_shapes``
        """
        by_edge = {}
        for t, layer in enumerate(self.layers, start=1):
            for source, conv in zip(layer.sources, layer.convs, strict=True):
                by_edge[(source, t)] = conv.conv.weight.transpose(0, 1)
        return [by_edge[(e.source, e.target)] for e in self.architecture.param_edges]

    def probe_points(self) -> list[tuple[str, str]]:
        """Every layer's output, in forward order."""
        kinds = {
            t: "residual" if layer.shortcuts else "conv"
            for t, layer in enumerate(self.layers, start=1)
        }
        return [(f"layers.{t - 1}", kinds[t]) for t in range(1, self.architecture.n_layers + 1)]


def edge_conv_net(
    in_shape: Sequence[int],
    n_classes: int,
    *,
    arch: str = "residual",
    width: int = 16,
    blocks: int = 2,
    groups: int = 3,
    filter_size: int = 3,
) -> EdgeConvNet:
    """The network of :func:`~sparsity_widgets.frames.make_conv_architecture` for ``in_shape``."""
    architecture = make_conv_architecture(
        arch,
        input_shape=tuple(in_shape),
        width=width,
        blocks=blocks,
        groups=groups,
        filter_size=filter_size,
    )
    return EdgeConvNet(architecture, n_classes)
