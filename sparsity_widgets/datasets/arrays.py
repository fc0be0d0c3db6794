"""Containers for labelled data sets: one split (:class:`LabeledArrays`) and a train/test pair
(:class:`DatasetSplits`).

Every loader in :mod:`sparsity_widgets.datasets` returns these, so downstream code (the probe,
the experiments, the command line) sees one layout whatever the source:

* ``X``: float32, C-contiguous, shape ``(n, *sample_shape)``: ``(n, 1, 40)`` for MNIST-1D,
  ``(n, 1, 8, 8)`` for scikit-learn's digits, ``(n, 1, 28, 28)`` for MNIST and Fashion-MNIST,
  ``(n, 3, 32, 32)`` for CIFAR-10, ``(n, 2)`` for the synthetic sets in the plane.
* ``y``: int64 class indices in ``0 .. n_classes - 1``, shape ``(n,)``.

Only numpy is imported here; :meth:`LabeledArrays.to_tensor_dataset` imports torch when called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["DatasetSplits", "LabeledArrays"]


@dataclass(frozen=True, eq=False, repr=False)
class LabeledArrays:
    """One split of a labelled data set: samples, integer labels and the names of the classes.

    Parameters
    ----------
    X : ndarray of float32, shape (n, *sample_shape)
        The samples; ``ndim >= 2``. Stored C-contiguous (a copy is made only when ``X`` is not).
    y : ndarray of int64, shape (n,)
        Class index of each sample, in ``0 .. len(class_names) - 1``.
    class_names : tuple of str
        Name of each class, indexed by label. A list is accepted and stored as a tuple.
    name : str
        What the split is, e.g. ``"mnist1d/train"``; used in messages and records.

    Raises
    ------
    ValueError
        When a dtype, a shape or a label is wrong, or the split has no samples. The message
        names the offending field and says what to change.

    Notes
    -----
    The container is frozen (fields cannot be reassigned) but the arrays are ordinary numpy
    arrays. Loaders hand out arrays that nobody else holds, so changing them in place affects
    only the caller's copy.
    """

    X: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]
    name: str = field(default="data")

    def __post_init__(self) -> None:
        where = f"LabeledArrays {self.name!r}"
        if not isinstance(self.name, str):
            raise ValueError(f"name must be a str; got {self.name!r}.")
        X, y = self.X, self.y
        if not isinstance(X, np.ndarray) or X.dtype != np.float32:
            got = f"dtype {X.dtype}" if isinstance(X, np.ndarray) else type(X).__name__
            raise ValueError(
                f"{where}: X must be a float32 ndarray; got {got}. Convert it with "
                "np.asarray(X, dtype=np.float32)."
            )
        if X.ndim < 2:
            raise ValueError(
                f"{where}: X must have shape (n_samples, *sample_shape) with ndim >= 2; got shape "
                f"{X.shape}. Reshape single features with X.reshape(-1, 1)."
            )
        if not isinstance(y, np.ndarray) or y.dtype != np.int64:
            got = f"dtype {y.dtype}" if isinstance(y, np.ndarray) else type(y).__name__
            raise ValueError(
                f"{where}: y must be an int64 ndarray of class indices; got {got}. Convert it "
                "with np.asarray(y, dtype=np.int64)."
            )
        if y.ndim != 1:
            raise ValueError(f"{where}: y must be 1-D with shape (n_samples,); got {y.shape}.")
        if X.shape[0] != y.shape[0]:
            raise ValueError(
                f"{where}: X and y must have one row per sample; X has {X.shape[0]} samples but "
                f"y has {y.shape[0]} labels."
            )
        if X.shape[0] == 0:
            raise ValueError(f"{where} has no samples; a split needs at least one.")
        names = self.class_names
        if isinstance(names, str) or not isinstance(names, Sequence):
            raise ValueError(
                f"{where}: class_names must be a tuple of str; got {type(names).__name__}."
            )
        names = tuple(names)
        if not names or not all(isinstance(c, str) for c in names):
            raise ValueError(
                f"{where}: class_names must be a non-empty tuple of str; got {names!r}."
            )
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= len(names):
            raise ValueError(
                f"{where}: labels must lie in 0..{len(names) - 1} (one per class name); got "
                f"labels from {low} to {high}."
            )
        object.__setattr__(self, "class_names", names)
        if not X.flags.c_contiguous:
            object.__setattr__(self, "X", np.ascontiguousarray(X))

    @property
    def n_samples(self) -> int:
        """Number of samples ``n``."""
        return int(self.X.shape[0])

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one sample, e.g. ``(1, 28, 28)``."""
        return tuple(int(s) for s in self.X.shape[1:])

    @property
    def n_classes(self) -> int:
        """Number of classes, ``len(class_names)`` (some may have no sample in this split)."""
        return len(self.class_names)

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        return (
            f"LabeledArrays(name={self.name!r}, X=float32{self.X.shape}, "
            f"y=int64{self.y.shape}, n_classes={self.n_classes})"
        )

    def subset(self, indices: Any) -> LabeledArrays:
        """The samples at ``indices``, as a new split with the same class names and name.

        Parameters
        ----------
        indices : array-like of int, shape (m,), or of bool, shape (n,)
            Positions (negative ones count from the end) or a boolean mask.

        Returns
        -------
        LabeledArrays
            With ``m`` samples (copies of the selected rows).
        """
        idx = np.asarray(indices)
        if idx.dtype == bool:
            if idx.shape != (self.n_samples,):
                raise ValueError(
                    f"a boolean mask for {self.name!r} must have shape ({self.n_samples},); got "
                    f"{idx.shape}."
                )
        elif idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise ValueError(
                f"indices must be a 1-D array of integer positions or a boolean mask; got shape "
                f"{idx.shape} and dtype {idx.dtype}."
            )
        elif idx.size and (idx.min() < -self.n_samples or idx.max() >= self.n_samples):
            raise ValueError(
                f"indices must lie in [-{self.n_samples}, {self.n_samples - 1}] for "
                f"{self.name!r}; got values from {idx.min()} to {idx.max()}."
            )
        else:
            idx = idx.astype(np.intp, copy=False)
        return LabeledArrays(
            X=np.ascontiguousarray(self.X[idx]),
            y=np.ascontiguousarray(self.y[idx]),
            class_names=self.class_names,
            name=self.name,
        )

    def flat(self) -> np.ndarray:
        """The samples as a feature matrix.

        Returns
        -------
        ndarray of float32, shape (n, prod(sample_shape))
            A view of ``X`` (``X`` is C-contiguous, so no copy is made).
        """
        return self.X.reshape(self.n_samples, -1)

    def to_tensor_dataset(self) -> Any:
        """A ``torch.utils.data.TensorDataset`` of ``(X float32, y int64)``; imports torch.

        Returns
        -------
        torch.utils.data.TensorDataset
            Its tensors share memory with ``X`` and ``y`` when those are writeable, else they
            are copies.
        """
        import torch
        from torch.utils.data import TensorDataset

        def tensor(a: np.ndarray) -> Any:
            return torch.from_numpy(a) if a.flags.writeable else torch.tensor(a)

        return TensorDataset(tensor(self.X), tensor(self.y))


@dataclass(frozen=True, eq=False, repr=False)
class DatasetSplits:
    """A training and a test split of one data set, and a record of how they were made.

    Parameters
    ----------
    name : str
        The data set, e.g. ``"mnist"`` or ``"mnist-fourier"``.
    train, test : LabeledArrays
        Same sample shape and class names.
    info : dict
        How the splits were made (generator seed, sizes, data folder, subsample seed, Fourier
        flag, ...): enough to make them again. Plain JSON-friendly values.
    """

    name: str
    train: LabeledArrays
    test: LabeledArrays
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for part in ("train", "test"):
            value = getattr(self, part)
            if not isinstance(value, LabeledArrays):
                raise ValueError(
                    f"DatasetSplits {self.name!r}: {part} must be a LabeledArrays; got "
                    f"{type(value).__name__}."
                )
        if self.train.sample_shape != self.test.sample_shape:
            raise ValueError(
                f"DatasetSplits {self.name!r}: train and test samples must have one shape; got "
                f"{self.train.sample_shape} and {self.test.sample_shape}."
            )
        if self.train.class_names != self.test.class_names:
            raise ValueError(
                f"DatasetSplits {self.name!r}: train and test must share class_names; got "
                f"{self.train.class_names} and {self.test.class_names}."
            )
        if not isinstance(self.info, dict):
            raise ValueError(f"info must be a dict; got {type(self.info).__name__}.")

    @property
    def class_names(self) -> tuple[str, ...]:
        """The class names shared by both splits."""
        return self.train.class_names

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one sample, shared by both splits."""
        return self.train.sample_shape

    def __repr__(self) -> str:
        return (
            f"DatasetSplits(name={self.name!r}, train={self.train.n_samples}, "
            f"test={self.test.n_samples}, sample_shape={self.sample_shape}, "
            f"n_classes={self.train.n_classes})"
        )
