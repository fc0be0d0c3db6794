"""The architectures of the papers, built by name, with the layers the paper probes.

:func:`build_model` makes any of :data:`MODELS`; :func:`probe_points` lists, for a built model,
the dotted module names (as in ``model.named_modules()``) whose outputs the Sparsity Probe
scores, in forward order. This sub-package imports torch; ``import sparsity_widgets`` does not.
"""

from __future__ import annotations

from .activations import ACTIVATIONS, Step, make_activation
from .bad import BadConvLinear
from .edge_conv import EdgeConvNet
from .fourier import MLP, FourierConvNet
from .mnist1d_cnn import MNIST1DCNN
from .registry import (
    MODELS,
    PROBE_KINDS,
    build_model,
    list_models,
    model_defaults,
    probe_points,
)
from .resnet import BasicBlock, ResNet18Small
from .vgg import VGG

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "MNIST1DCNN",
    "MODELS",
    "PROBE_KINDS",
    "VGG",
    "BadConvLinear",
    "BasicBlock",
    "EdgeConvNet",
    "FourierConvNet",
    "ResNet18Small",
    "Step",
    "build_model",
    "list_models",
    "make_activation",
    "model_defaults",
    "probe_points",
]
