"""What a training run is: its configuration and the history it records.

Both are plain data that round-trip through JSON (``config.json`` and ``history.json`` in the
run's folder), so a run can be resumed, compared and reported without unpickling anything.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any

from .._schema import Where, reject_unknown, require_list, require_object
from .._validation import check_choice, check_int, check_real

__all__ = ["DEVICES", "OPTIMIZERS", "SVSLConfig", "TrainConfig", "TrainingHistory", "jsonable"]

OPTIMIZERS = ("adam", "sgd")
DEVICES = ("auto", "cpu", "cuda")
SGD_MOMENTUM = 0.9


def jsonable(value: Any) -> Any:
    """Return ``value`` with tuples turned into lists (recursively), as JSON would store it."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _check_options(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError(
            f"{name} must be a dict with string keys (e.g. {{}}); got {value!r} of type "
            f"{type(value).__name__}."
        )
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must hold JSON values only (numbers, strings, booleans, lists, dicts) so "
            f"that it can be saved in config.json; got {value!r} ({exc})."
        ) from None
    return jsonable(value)


_SVSL_KEYS = ("layers", "weights", "detach_means")
_SVSL_EXAMPLE = (
    "e.g. {'layers': ['hidden.0', 'hidden.1'], 'weights': [0.01, 0.1], 'detach_means': False}"
)


@dataclass(frozen=True)
class SVSLConfig:
    """The Stochastic Variability-Simplification Loss added to the cross-entropy.

    For a batch B, SVSL(i) = sum_j alpha_j ||g^j(x_i) - mu^j_{c,B}||^2 over the chosen layers j
    (the slides' layers from gamma on), with mu^j_{c,B} the mean of layer j's outputs over the
    samples of x_i's class c in B; the batch mean of SVSL(i) is added to the loss (see
    :func:`sparsity_widgets.training.svsl.svsl_loss`).

    Parameters
    ----------
    layers : tuple of str
        Dotted module names (as :func:`sparsity_widgets.probe.list_layers` lists them), at
        least one, distinct; checked against the model when training starts.
    weights : tuple of float
        alpha_j > 0, one per layer, in the order of ``layers``.
    detach_means : bool, default False
        Treat the batch class means as constants in the gradient (the slides do not say). In
        exact arithmetic the gradient is the same either way (the mean minimises the sum of
        squares); detaching saves the backward pass through the means, results differ by
        round-off.
    """

    layers: tuple[str, ...]
    weights: tuple[float, ...]
    detach_means: bool = False

    def __post_init__(self) -> None:
        layers, weights = self.layers, self.weights
        if (
            isinstance(layers, str)
            or not isinstance(layers, (list, tuple))
            or not layers
            or not all(isinstance(n, str) and n for n in layers)
        ):
            raise ValueError(
                "svsl.layers must be a non-empty list of layer names (non-empty strings, "
                f"{_SVSL_EXAMPLE}); got {layers!r}."
            )
        repeated = sorted({n for n in layers if list(layers).count(n) > 1})
        if repeated:
            raise ValueError(
                f"svsl.layers must name distinct layers; got {list(layers)!r}, which repeats "
                f"{', '.join(repr(n) for n in repeated)}."
            )
        if isinstance(weights, str) or not isinstance(weights, (list, tuple)):
            raise ValueError(
                f"svsl.weights must be a list of positive numbers, one per layer; got {weights!r}."
            )
        if len(weights) != len(layers):
            raise ValueError(
                f"svsl.weights must hold one weight per layer of svsl.layers ({len(layers)}); "
                f"got {len(weights)} weight(s) {list(weights)!r}."
            )
        checked = tuple(
            check_real(f"svsl.weights[{i}] (layer {n!r})", w, low=0.0, low_open=True)
            for i, (n, w) in enumerate(zip(layers, weights, strict=True))
        )
        if not isinstance(self.detach_means, bool):
            raise ValueError(
                f"svsl.detach_means must be True or False; got {self.detach_means!r} of type "
                f"{type(self.detach_means).__name__}."
            )
        object.__setattr__(self, "layers", tuple(layers))
        object.__setattr__(self, "weights", checked)

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"layers": [...], "weights": [...], "detach_means": bool}``."""
        return jsonable(dataclasses.asdict(self))


def _check_svsl(value: Any) -> SVSLConfig | None:
    """``None``, an :class:`SVSLConfig`, or its :meth:`~SVSLConfig.to_dict` form, as a config."""
    if value is None or isinstance(value, SVSLConfig):
        return value
    if not isinstance(value, dict):
        raise ValueError(
            f"svsl must be None, an SVSLConfig or a dict ({_SVSL_EXAMPLE}); got {value!r} of "
            f"type {type(value).__name__}."
        )
    if sorted(value) != sorted(_SVSL_KEYS):
        raise ValueError(
            f"svsl must have exactly the keys {list(_SVSL_KEYS)}; got the keys {sorted(value)!r}."
        )
    return SVSLConfig(**value)


@dataclass
class TrainConfig:
    """Everything that determines a training run.

    Parameters
    ----------
    model : str
        A name from :data:`sparsity_widgets.models.MODELS`.
    model_options : dict
        Keyword options for :func:`~sparsity_widgets.models.build_model`. Stored as JSON
        would store them (tuples become lists), so a config equals its reloaded copy.
    dataset : str
        The :func:`~sparsity_widgets.datasets.load_dataset` name (recorded even when the data
        are passed to :func:`~sparsity_widgets.training.train` directly).
    dataset_options : dict
        Keyword options for ``load_dataset``, e.g. ``{"n_train": 1000}``.
    epochs : int, default 20
        Number of passes over the training set (>= 1).
    batch_size : int, default 64
    lr : float, default 1e-3
        Learning rate (> 0).
    optimizer : {"adam", "sgd"}, default "adam"
        ``"sgd"`` uses momentum 0.9.
    weight_decay : float, default 0.0
    seed : int, default 0
        Seeds the initialisation and the shuffling.
    device : {"auto", "cpu", "cuda"}, default "auto"
        ``"auto"`` trains on the GPU when torch sees one, else on the CPU.
    checkpoint_every : int, default 1
        Save a checkpoint every this many epochs; the last epoch is always saved.
    svsl : SVSLConfig or dict, optional
        Add the SVSL term on these layers to the loss (a dict is turned into an
        :class:`SVSLConfig`). ``None`` (the default) trains with the cross-entropy alone and is
        left out of :meth:`to_dict`, so configurations from before this option keep their
        ``config.json`` and their identity.

    Notes
    -----
    A run folder can be resumed only with an equal configuration, except for ``epochs``,
    ``checkpoint_every`` and ``device``, which do not change the trajectory (raising
    ``epochs`` extends a finished run exactly as if it had been asked for from the start).
    """

    model: str
    model_options: dict = field(default_factory=dict)
    dataset: str = ""
    dataset_options: dict = field(default_factory=dict)
    epochs: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"
    checkpoint_every: int = 1
    svsl: SVSLConfig | None = None

    def __post_init__(self) -> None:
        from ..models import MODELS  # torch-facing layer; imported lazily

        check_choice("model", self.model, MODELS)
        self.model_options = _check_options("model_options", self.model_options)
        if not isinstance(self.dataset, str):
            raise ValueError(
                f"dataset must be a dataset name (str); got {self.dataset!r} of type "
                f"{type(self.dataset).__name__}."
            )
        self.dataset_options = _check_options("dataset_options", self.dataset_options)
        self.epochs = check_int("epochs", self.epochs, minimum=1)
        self.batch_size = check_int("batch_size", self.batch_size, minimum=1)
        self.lr = check_real("lr", self.lr, low=0.0, low_open=True)
        self.optimizer = check_choice("optimizer", self.optimizer, OPTIMIZERS)
        self.weight_decay = check_real("weight_decay", self.weight_decay, low=0.0)
        self.seed = check_int("seed", self.seed, minimum=0)
        self.device = check_choice("device", self.device, DEVICES)
        self.checkpoint_every = check_int("checkpoint_every", self.checkpoint_every, minimum=1)
        self.svsl = _check_svsl(self.svsl)

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as JSON-ready data (tuples become lists).

        ``svsl`` is left out when it is ``None``, as configurations from before it had no such
        field (their ``config.json`` and the hashes of it stay the same).
        """
        data = jsonable(dataclasses.asdict(self))
        if data[_OPTIONAL_FIELD] is None:
            del data[_OPTIONAL_FIELD]
        return data

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: str | os.PathLike | None = None
    ) -> TrainConfig:
        """Rebuild a configuration from :meth:`to_dict` output (e.g. a loaded config.json).

        Parameters
        ----------
        data : dict
            Every field, as :meth:`to_dict` writes them: a saved configuration missing one is
            refused rather than completed with today's default (which could differ from the
            value the run was trained with). The exception is ``svsl``, which
            :meth:`to_dict` leaves out when it is ``None``.
        source : path-like, optional
            The file (``config.json``, a checkpoint) ``data`` came from, named in errors.

        Returns
        -------
        TrainConfig

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the file, the field, what was expected and what was found.
        """
        at = Where.of(
            "training config",
            source,
            "The file is damaged or was not written by this package; start the run afresh "
            "in a new folder.",
        )
        data = require_object(data, at)
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise at.error(f"only the fields {names}", f"unknown TrainConfig field(s) {unknown}")
        missing = [n for n in names if n not in data and n != _OPTIONAL_FIELD]
        if missing:
            raise at.error(f"every field of {names}", f"no field(s) {missing}")
        try:
            return cls(**data)
        except ValueError as exc:  # a value check of __post_init__ names the field
            raise at.wrap(exc) from None

    def differences(self, other: TrainConfig) -> dict[str, tuple[Any, Any]]:
        """Return ``{field: (self's value, other's value)}`` for the fields that differ."""
        mine, theirs = self.to_dict(), other.to_dict()
        keys = [*mine, *(k for k in theirs if k not in mine)]  # svsl may be absent from one
        return {k: (mine.get(k), theirs.get(k)) for k in keys if mine.get(k) != theirs.get(k)}


_OPTIONAL_FIELD = "svsl"  # left out of TrainConfig.to_dict when None


@dataclass
class TrainingHistory:
    """Per-epoch records of a run (all lists have one entry per completed epoch).

    Attributes
    ----------
    epochs : list of int
        1-based epoch numbers.
    train_loss : list of float
        Mean cross-entropy over the epoch's training batches (training mode).
    train_accuracy : list of float
        Fraction of training samples classified correctly during the epoch (training mode).
    test_accuracy : list of float
        Test accuracy after the epoch (evaluation mode).
    seconds : list of float
        Wall-clock time of the epoch, evaluation included.
    """

    epochs: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def append(
        self,
        epoch: int,
        train_loss: float,
        train_accuracy: float,
        test_accuracy: float,
        seconds: float,
    ) -> None:
        """Record one epoch."""
        self.epochs.append(int(epoch))
        self.train_loss.append(float(train_loss))
        self.train_accuracy.append(float(train_accuracy))
        self.test_accuracy.append(float(test_accuracy))
        self.seconds.append(float(seconds))

    def __len__(self) -> int:
        return len(self.epochs)

    def to_dict(self) -> dict[str, list]:
        """Return the history as JSON-ready lists."""
        return {f.name: list(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: str | os.PathLike | None = None
    ) -> TrainingHistory:
        """Rebuild a history from :meth:`to_dict` output.

        Parameters
        ----------
        data : dict
            Every field, each a list with one entry per completed epoch: ``epochs`` holds
            integers, the others numbers (NaN allowed: a diverged loss is recorded as such).
        source : path-like, optional
            The file (``history.json``, a checkpoint) ``data`` came from, named in errors.

        Returns
        -------
        TrainingHistory

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the file, the key, what was expected and what was found.
        """
        at = Where.of(
            "training history",
            source,
            "The file is damaged or was not written by this package; start the run afresh "
            "in a new folder.",
        )
        data = require_object(data, at)
        names = [f.name for f in dataclasses.fields(cls)]
        reject_unknown(data, names, at)
        lists = {
            n: require_list(data, n, "integer" if n == "epochs" else "real", at) for n in names
        }
        length = len(lists["epochs"])
        for n in names:
            if len(lists[n]) != length:
                raise at.key(n).error(
                    f"{length} item(s), one per epoch as in 'epochs'",
                    f"a list of {len(lists[n])} item(s)",
                )
        return cls(**lists)
