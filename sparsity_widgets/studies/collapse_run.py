"""One trained network of the NCC study, summarised: Lambda, NC1 and alpha* per layer.

A :class:`CollapseRun` is what the chapter and the widget read for one (data set, variant,
seed): per probed layer and checkpoint epoch, the NCC mismatch Lambda on train and test, NC1
and the NCC test accuracy; alpha* per layer at the IT and at the end; the network's own train
and test accuracy per checkpoint; and the class-mean pictures at a few epochs. It is built from
the full :class:`~sparsity_widgets.probe.CollapseOverTraining` (kept in the study's cache) and
holds no torch object.

The IT here is :meth:`CollapseOverTraining.checkpoint_interpolation`: the first checkpoint at
which the frozen network classifies every training sample correctly (else the best one). The
history's in-epoch train accuracy, measured in training mode while the weights move, rarely
reads exactly 1.0 even after the network interpolates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._schema import Where, reject_unknown, require, require_list, require_object
from ..collapse.plane import ClassPlane

__all__ = ["CollapseRun"]

_CURVES = ("lambda_train", "lambda_test", "nc1", "ncc_accuracy_test")
_SCALARS = ("dataset", "variant", "seed", "it_epoch", "it_reached")
_ARRAYS = (
    "layers",
    "epochs",
    "train_accuracy",
    "test_accuracy",
    *_CURVES,
    "alpha_it",
    "alpha_end",
    "history_test_accuracy",
)


def _matrix(rows: Any, name: str, shape: tuple[int, int]) -> tuple[tuple[float, ...], ...]:
    array = np.asarray(rows, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (layers, epochs); got {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; got NaN or inf.")
    return tuple(tuple(float(v) for v in row) for row in array)


@dataclass(frozen=True)
class CollapseRun:
    """Lambda, NC1 and alpha* of every probed layer of one trained network over its checkpoints.

    Attributes
    ----------
    dataset, variant : str
        The data set and ``"vanilla"`` or ``"svsl"``.
    seed : int
        Training seed.
    layers : tuple of str
        Probed layers in forward order (``"input"`` first).
    epochs : tuple of int
        Checkpoint epochs, increasing.
    train_accuracy, test_accuracy : tuple of float
        The network's accuracy at each checkpoint (eval mode, every sample).
    lambda_train, lambda_test, nc1, ncc_accuracy_test : tuple of tuple of float
        Shape (n_layers, n_epochs): the NCC mismatch Lambda^j on train and test, NC1 and the
        NCC's test accuracy, at each checkpoint.
    it_epoch : int
        The interpolation threshold (see the module notes).
    it_reached : bool
        Whether the network classified every training sample correctly at some checkpoint.
    alpha_it, alpha_end : tuple of float
        alpha* of each layer at the IT and at the end (n_layers).
    history_test_accuracy : tuple of float
        Test accuracy after every epoch (1, 2, ..., the last checkpoint), from training.
    planes : dict of int to tuple of ClassPlane
        Class-mean pictures per layer at a few epochs (possibly none).
    """

    dataset: str
    variant: str
    seed: int
    layers: tuple[str, ...]
    epochs: tuple[int, ...]
    train_accuracy: tuple[float, ...]
    test_accuracy: tuple[float, ...]
    lambda_train: tuple[tuple[float, ...], ...]
    lambda_test: tuple[tuple[float, ...], ...]
    nc1: tuple[tuple[float, ...], ...]
    ncc_accuracy_test: tuple[tuple[float, ...], ...]
    it_epoch: int
    it_reached: bool
    alpha_it: tuple[float, ...]
    alpha_end: tuple[float, ...]
    history_test_accuracy: tuple[float, ...]
    planes: dict[int, tuple[ClassPlane, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        layers = tuple(str(n) for n in self.layers)
        epochs = tuple(int(e) for e in self.epochs)
        if not layers or not epochs:
            raise ValueError("layers and epochs must be non-empty.")
        if any(b <= a for a, b in itertools.pairwise(epochs)):
            raise ValueError(f"epochs must increase; got {list(epochs)}.")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "epochs", epochs)
        shape = (len(layers), len(epochs))
        for name in _CURVES:
            object.__setattr__(self, name, _matrix(getattr(self, name), name, shape))
        for name in ("train_accuracy", "test_accuracy"):
            values = tuple(float(v) for v in getattr(self, name))
            if len(values) != len(epochs):
                raise ValueError(f"{name} must hold one value per epoch ({len(epochs)}).")
            object.__setattr__(self, name, values)
        for name in ("alpha_it", "alpha_end"):
            values = tuple(float(v) for v in getattr(self, name))
            if len(values) != len(layers):
                raise ValueError(f"{name} must hold one value per layer ({len(layers)}).")
            object.__setattr__(self, name, values)
        object.__setattr__(
            self, "history_test_accuracy", tuple(float(v) for v in self.history_test_accuracy)
        )
        if len(self.history_test_accuracy) != epochs[-1]:
            raise ValueError(
                f"history_test_accuracy must hold one value per epoch 1..{epochs[-1]}; got "
                f"{len(self.history_test_accuracy)}."
            )
        if int(self.it_epoch) not in epochs:
            raise ValueError(f"it_epoch must be a checkpoint epoch; got {self.it_epoch}.")
        object.__setattr__(self, "it_epoch", int(self.it_epoch))
        planes = {int(e): tuple(p) for e, p in self.planes.items()}
        for epoch, pictures in planes.items():
            if epoch not in epochs or len(pictures) != len(layers):
                raise ValueError(
                    f"planes[{epoch}] must be a checkpoint epoch with one picture per layer; got "
                    f"{len(pictures)} pictures."
                )
        object.__setattr__(self, "planes", dict(sorted(planes.items())))

    # ------------------------------------------------------------------ views
    @property
    def end_epoch(self) -> int:
        """The last checkpoint epoch."""
        return self.epochs[-1]

    def curve(self, name: str) -> np.ndarray:
        """One of ``lambda_train``, ``lambda_test``, ``nc1``, ``ncc_accuracy_test`` as an
        array of shape (n_layers, n_epochs)."""
        if name not in _CURVES:
            raise ValueError(f"name must be one of {', '.join(_CURVES)}; got {name!r}.")
        return np.array(getattr(self, name))

    def at(self, name: str, epoch: int) -> np.ndarray:
        """A curve at one checkpoint epoch: shape (n_layers,)."""
        if epoch not in self.epochs:
            raise KeyError(f"epoch {epoch} is not a checkpoint here; epochs {list(self.epochs)}.")
        return self.curve(name)[:, self.epochs.index(epoch)]

    def accuracy_at(self, epoch: int) -> float:
        """The network's test accuracy at a checkpoint epoch."""
        return self.test_accuracy[self.epochs.index(epoch)]

    @property
    def best_epoch(self) -> int:
        """The epoch of the best test accuracy during training (the first on ties)."""
        values = self.history_test_accuracy
        return 1 + values.index(max(values))

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; ``planes`` keyed by the epoch as a string."""
        out: dict[str, Any] = {name: getattr(self, name) for name in _SCALARS + _ARRAYS}
        out = {k: ([list(r) for r in v] if k in _CURVES else v) for k, v in out.items()}
        out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in out.items()}
        out["planes"] = {
            str(epoch): [p.to_dict() for p in pictures] for epoch, pictures in self.planes.items()
        }
        return out

    @classmethod
    def from_dict(cls, data: Any, at: Where) -> CollapseRun:
        """Inverse of :meth:`to_dict`; errors name the key path under ``at``."""
        data = require_object(data, at)
        reject_unknown(data, [*_SCALARS, *_ARRAYS, "planes"], at)
        planes_data = require(data, "planes", "object", at)
        planes = {}
        for epoch in planes_data:
            here = at.key("planes")
            if not epoch.isdigit():
                raise here.error("epoch numbers as keys", repr(epoch))
            items = require_list(planes_data, epoch, "object", here)
            try:
                planes[int(epoch)] = tuple(ClassPlane(**p) for p in items)
            except (TypeError, ValueError) as exc:
                raise here.key(epoch).error(
                    "class pictures (means, covariances, between_class_share)", str(exc)
                ) from None
        values = {
            "dataset": require(data, "dataset", "string", at),
            "variant": require(data, "variant", "string", at),
            "seed": require(data, "seed", "integer", at),
            "it_epoch": require(data, "it_epoch", "integer", at),
            "it_reached": require(data, "it_reached", "boolean", at),
        }
        for key in _ARRAYS:
            values[key] = require(data, key, "array", at)
        try:
            return cls(**values, planes=planes)
        except (TypeError, ValueError) as exc:
            raise at.error("a consistent run summary", str(exc)) from None

    @classmethod
    def from_probes(
        cls,
        over: Any,
        *,
        dataset: str,
        variant: str,
        seed: int,
        alpha_it: Any,
        alpha_end: Any,
        history_test_accuracy: Any,
        picture_every: int,
        with_pictures: bool,
    ) -> CollapseRun:
        """Summarise a :class:`~sparsity_widgets.probe.CollapseOverTraining`.

        Parameters
        ----------
        over : CollapseOverTraining
        dataset, variant, seed
            Recorded.
        alpha_it, alpha_end : sequence of float
            alpha* per layer of ``over.layers`` at the IT and at the end.
        history_test_accuracy : sequence of float
            The history's test accuracy per epoch up to the last checkpoint.
        picture_every : int
            Keep the pictures of every this-many-th checkpoint, the IT's and the end's.
        with_pictures : bool
            Keep pictures at all (the study keeps them for the first seed only).
        """
        it_epoch, reached = over.checkpoint_interpolation()
        names = over.layers

        def grid(key: str) -> list[list[float]]:
            return [[getattr(p[n], key) for p in over.probes] for n in names]

        planes: dict[int, tuple[ClassPlane, ...]] = {}
        if with_pictures:
            keep = {*over.epochs[picture_every - 1 :: picture_every], it_epoch, over.end_epoch}
            for probe in over.probes:
                if probe.epoch in keep and all(probe[n].plane is not None for n in names):
                    planes[int(probe.epoch)] = tuple(probe[n].plane for n in names)
        return cls(
            dataset=dataset,
            variant=variant,
            seed=seed,
            layers=names,
            epochs=over.epochs,
            train_accuracy=[p.train_accuracy for p in over.probes],
            test_accuracy=[p.test_accuracy for p in over.probes],
            lambda_train=grid("ncc_mismatch_train"),
            lambda_test=grid("ncc_mismatch_test"),
            nc1=grid("nc1"),
            ncc_accuracy_test=grid("ncc_accuracy_test"),
            it_epoch=it_epoch,
            it_reached=reached,
            alpha_it=alpha_it,
            alpha_end=alpha_end,
            history_test_accuracy=list(history_test_accuracy)[: over.end_epoch],
            planes=planes,
        )
