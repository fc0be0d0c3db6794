"""Data sets by name, in one layout (:class:`LabeledArrays`, :class:`DatasetSplits`).

Generated locally: the synthetic 2-D sets and MNIST-1D; shipped with scikit-learn: digits; read
from a data folder the user names: MNIST, Fashion-MNIST, CIFAR-10 and STL-10 (downloaded there
only when asked). Importing this package pulls in numpy and scikit-learn only: torch, torchvision
and mnist1d are imported by the functions that need them.
"""

from .arrays import DatasetSplits, LabeledArrays
from .fourier import fourier_magnitudes
from .images import IMAGE_DATASETS, image_split_files, load_image_split, read_image_split
from .latent import make_latent_classes
from .mnist1d import MNIST1D_NUM_SAMPLES, MNIST1D_SEED, load_mnist1d
from .registry import DATASETS, load_dataset
from .stl10 import STL10_FOLDER, load_stl10_split, read_stl10_split, stl10_files
from .synthetic import (
    SYNTHETIC_DATASETS,
    make_blocks,
    make_circles,
    make_gaussian_quantiles,
    make_smooth_domain,
    make_spiral,
    make_synthetic,
)

__all__ = [
    "DATASETS",
    "IMAGE_DATASETS",
    "MNIST1D_NUM_SAMPLES",
    "MNIST1D_SEED",
    "STL10_FOLDER",
    "SYNTHETIC_DATASETS",
    "DatasetSplits",
    "LabeledArrays",
    "fourier_magnitudes",
    "image_split_files",
    "load_dataset",
    "load_image_split",
    "load_mnist1d",
    "load_stl10_split",
    "make_blocks",
    "make_circles",
    "make_gaussian_quantiles",
    "make_latent_classes",
    "make_smooth_domain",
    "make_spiral",
    "make_synthetic",
    "read_image_split",
    "read_stl10_split",
    "stl10_files",
]
