"""Data sets that are generated locally: nothing here downloads anything."""

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
    "SYNTHETIC_DATASETS",
    "make_blocks",
    "make_circles",
    "make_gaussian_quantiles",
    "make_smooth_domain",
    "make_spiral",
    "make_synthetic",
]
