"""What the nearest-class-center study trains: data sets, models, SVSL layers, sizes.

The slides' study (lecture slides, "Nearest Class Center in Intermediate Layers" and "NCC with
SVSL") trains ResNets on MNIST, Fashion-MNIST, CIFAR-10/100 and STL-10 for 350 epochs, with and
without the SVSL loss, and reads the NCC mismatch Lambda^j of every ResNet block at the
interpolation threshold (IT) and at the end. The slides give neither gamma (the first SVSL
layer), the weights alpha_j, the optimizer nor the batch size; our choices are below and in the
chapter "Nearest class centers and neural collapse".

Settings
--------
``quick`` (2 CPU cores: 20 minutes on an idle machine, 36 with other jobs on the cores):
MNIST-1D with the paper's 7-layer CNN (16 channels,
as the quick MNIST-1D studies) and scikit-learn's 8 x 8 digits with a narrow ResNet-18
(channels 8-64), 60 epochs each, 3 seeds, vanilla and SVSL. Neither needs a download.

``full`` (a GPU): the slides' image sets read from ``--data-dir`` (MNIST, Fashion-MNIST,
CIFAR-10, STL-10 in their official binary formats, see :mod:`sparsity_widgets.datasets`),
ResNet-18 at its usual widths (64-512), 350 epochs, a checkpoint every 10.

SVSL layers: from gamma = the middle of the network on (the last four conv blocks and the
hidden layer of the CNN; ResNet stages 3 and 4), every weight alpha_j = 0.01. SVSL measures the
within-class spread in absolute units, so a network can lower it by shrinking a layer's scale
(the BatchNorm weights of the SVSL layers shrink under it); with alpha_j = 0.1 the class means of
a layer of the MNIST-1D CNN coincided exactly within 3 epochs (seed 0), so Lambda and NC1 are
undefined there. With 0.01 the CNN trained on a pilot seed (100, not a study seed) to a test
accuracy of 0.970 after 60 epochs, about a point below the study's vanilla networks. The
slides give no weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .._validation import check_choice

__all__ = ["SETTINGS", "VARIANTS", "CollapseSetting", "CollapseTask", "collapse_setting"]

VARIANTS = ("vanilla", "svsl")
"""The two trainings compared: cross-entropy alone, and cross-entropy + SVSL."""


@dataclass(frozen=True)
class CollapseTask:
    """One data set and the model trained on it.

    Attributes
    ----------
    dataset : str
        A name of :data:`sparsity_widgets.datasets.DATASETS`.
    model : str
        A name of :data:`sparsity_widgets.models.MODELS`.
    model_options : dict
        Keyword options of the model.
    svsl_layers : tuple of str
        The layers the SVSL variant adds the loss on (from gamma on).
    svsl_weight : float
        alpha_j, the same for every SVSL layer.
    epochs, batch_size, lr, checkpoint_every : int, int, float, int
        Training; every checkpoint is probed for Lambda and NC1.
    needs_data_dir : bool
        True for image sets read from ``--data-dir``.
    dataset_options : dict
        Further options of :func:`~sparsity_widgets.datasets.load_dataset` (e.g. ``n_train``).
    """

    dataset: str
    model: str
    model_options: dict[str, Any]
    svsl_layers: tuple[str, ...]
    svsl_weight: float
    epochs: int
    batch_size: int = 64
    lr: float = 1e-3
    checkpoint_every: int = 1
    needs_data_dir: bool = False
    dataset_options: dict[str, Any] = field(default_factory=dict)

    def train_config(self, variant: str, seed: int, *, device: str, data_dir: Any) -> Any:
        """The :class:`~sparsity_widgets.training.TrainConfig` of one (variant, seed)."""
        from ..training import TrainConfig

        check_choice("variant", variant, VARIANTS)
        svsl = None
        if variant == "svsl":
            svsl = {
                "layers": list(self.svsl_layers),
                "weights": [self.svsl_weight] * len(self.svsl_layers),
                "detach_means": False,
            }
        options = dict(self.dataset_options)
        if self.needs_data_dir:
            options["root"] = str(data_dir)
        return TrainConfig(
            model=self.model,
            model_options=dict(self.model_options),
            dataset=self.dataset,
            dataset_options=options,
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            seed=seed,
            device=device,
            checkpoint_every=self.checkpoint_every,
            svsl=svsl,
        )


@dataclass(frozen=True)
class CollapseSetting:
    """The tasks, seeds and probe sizes of one run of the study.

    Attributes
    ----------
    tasks : tuple of CollapseTask
    seeds : tuple of int
    n_alpha_samples : int or None
        alpha* is scored on a seeded subset of at most this many training samples (all when
        None); Lambda and NC1 always use every sample.
    picture_every : int
        The class-mean pictures (:class:`~sparsity_widgets.collapse.ClassPlane`) of the first
        seed are kept at every this-many-th checkpoint, at the IT and at the end.
    """

    tasks: tuple[CollapseTask, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    n_alpha_samples: int | None = None
    picture_every: int = 5
    name: str = field(default="custom")


_CNN_SVSL = ("blocks.3", "blocks.4", "blocks.5", "blocks.6", "hidden")
_RESNET_SVSL = ("layer3.0", "layer3.1", "layer4.0", "layer4.1")

SETTINGS = {
    "quick": CollapseSetting(
        name="quick",
        tasks=(
            CollapseTask(
                dataset="mnist1d",
                model="mnist1d-cnn",
                model_options={
                    "channels": 16,
                    "hidden": 64,
                    "strides": (1, 1, 1, 2, 1, 1, 1),
                    "batchnorm_layers": 7,
                },
                svsl_layers=_CNN_SVSL,
                svsl_weight=0.01,
                epochs=60,
            ),
            CollapseTask(
                dataset="digits",
                model="resnet18-small",
                model_options={"channels": (8, 16, 32, 64)},
                svsl_layers=_RESNET_SVSL,
                svsl_weight=0.01,
                epochs=60,
            ),
        ),
    ),
    "full": CollapseSetting(
        name="full",
        tasks=tuple(
            CollapseTask(
                dataset=name,
                model="resnet18-small",
                model_options={"channels": (64, 128, 256, 512)},
                svsl_layers=_RESNET_SVSL,
                svsl_weight=0.01,
                epochs=350,
                batch_size=128,
                checkpoint_every=10,
                needs_data_dir=True,
            )
            for name in ("mnist", "fashion-mnist", "cifar10", "stl10")
        ),
        n_alpha_samples=10_000,
        picture_every=5,
    ),
}


def collapse_setting(setting: str | CollapseSetting, seeds: Any = None) -> CollapseSetting:
    """A named setting (``"quick"``, ``"full"``) or a custom one, with ``seeds`` overridden."""
    if isinstance(setting, str):
        setting = SETTINGS[check_choice("setting", setting, tuple(SETTINGS))]
    elif not isinstance(setting, CollapseSetting):
        raise TypeError(
            f"setting must be 'quick', 'full' or a CollapseSetting; got {type(setting).__name__}."
        )
    if seeds is not None:
        seeds = tuple(int(s) for s in seeds)
        if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct non-negative integers; got {seeds}.")
        setting = replace(setting, seeds=seeds)
    return setting
