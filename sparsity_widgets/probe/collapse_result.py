"""The result of :func:`~sparsity_widgets.probe.probe_collapse`: per-layer collapse metrics.

:class:`CollapseProbe` holds one :class:`~sparsity_widgets.collapse.CollapseMetrics` per probed
layer with the network's accuracies, a validated JSON round trip and a printable table. No
torch here: a saved result loads with the core install.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from .._schema import (
    Where,
    optional,
    reject_unknown,
    require,
    require_list,
    require_object,
    require_schema,
)
from ..collapse import CollapseMetrics

__all__ = ["SCHEMA", "CollapseProbe"]

SCHEMA = "sparsity_widgets.probe_collapse/1"
"""Value of the ``schema`` key that :meth:`CollapseProbe.to_dict` writes."""

_HINT = (
    "The data is damaged or was not written by CollapseProbe.to_dict; run probe_collapse "
    "(or sparsity-widgets collapse) again."
)


# ---------------------------------------------------------------------------------- result
@dataclass(frozen=True)
class CollapseProbe:
    """Collapse and NCC metrics of the chosen layers of one model, in forward order.

    Attributes
    ----------
    layers : tuple of str
        Dotted layer names (``"input"`` for the input), in the order requested.
    metrics : tuple of CollapseMetrics
        One per layer, same order.
    n_classes : int
        K, the width of the model's output.
    train_accuracy : float
        Accuracy of the network's predictions on the training samples used.
    test_accuracy : float or None
        The same on the test samples; None without test data.
    classifier : str or None
        Dotted name of the last ``nn.Linear`` when its output is the model's output (its
        weights gave NC3 for the layer that feeds it); None otherwise.
    source : str or None
        Where the model came from (a checkpoint path).
    epoch : int or None
        Its training epoch.
    """

    layers: tuple[str, ...]
    metrics: tuple[CollapseMetrics, ...]
    n_classes: int
    train_accuracy: float
    test_accuracy: float | None = None
    classifier: str | None = None
    source: str | None = None
    epoch: int | None = None

    def __post_init__(self) -> None:
        if len(self.layers) != len(self.metrics):
            raise ValueError(
                f"layers and metrics must have one item per layer; got {len(self.layers)} "
                f"layer name(s) and {len(self.metrics)} metrics."
            )

    def __getitem__(self, layer: str) -> CollapseMetrics:
        """The metrics of one layer by name."""
        try:
            return self.metrics[self.layers.index(layer)]
        except ValueError:
            raise KeyError(
                f"layer {layer!r} was not probed; the layers are {list(self.layers)}."
            ) from None

    def as_dict(self) -> dict[str, CollapseMetrics]:
        """``{layer: CollapseMetrics}`` in layer order."""
        return dict(zip(self.layers, self.metrics, strict=True))

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with a ``schema`` key (see :meth:`from_dict`)."""
        return {
            "schema": SCHEMA,
            "n_classes": self.n_classes,
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "classifier": self.classifier,
            "source": self.source,
            "epoch": self.epoch,
            "layers": [
                {"layer": name, "metrics": m.to_dict()}
                for name, m in zip(self.layers, self.metrics, strict=True)
            ],
        }

    @classmethod
    def from_dict(cls, data: Any, *, source: str | os.PathLike | None = None) -> CollapseProbe:
        """Inverse of :meth:`to_dict`, checking every field.

        Parameters
        ----------
        data : dict
            As :meth:`to_dict` writes it.
        source : path-like, optional
            The file ``data`` came from, named in error messages.

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the key, what was expected there and what was found.
        """
        at = Where.of("collapse probe", source, _HINT)
        data = require_object(data, at)
        keys = ["schema", "n_classes", "train_accuracy", "test_accuracy", "classifier"]
        reject_unknown(data, [*keys, "source", "epoch", "layers"], at)
        require_schema(data, SCHEMA, at)
        n_classes = require(data, "n_classes", "integer", at)
        if n_classes < 2:
            raise at.key("n_classes").error("an integer >= 2", f"the number {n_classes}")
        accuracies = {}
        for key in ("train_accuracy", "test_accuracy"):
            value = require(data, key, "number", at, nullable=key == "test_accuracy")
            if value is not None and not 0.0 <= value <= 1.0:
                raise at.key(key).error("a number in [0, 1]", f"the number {value!r}")
            accuracies[key] = value
        items = require_list(data, "layers", "object", at)
        if not items:
            raise at.key("layers").error("at least one layer", "an empty list")
        layers, metrics = [], []
        for i, item in enumerate(items):
            here = at.key("layers").item(i)
            reject_unknown(item, ["layer", "metrics"], here)
            layers.append(require(item, "layer", "string", here))
            if "metrics" not in item:
                raise here.key("metrics").error("an object", "no such key")
            metrics.append(CollapseMetrics.from_dict(item["metrics"], source=source))
        epoch = optional(data, "epoch", "integer", at)
        return cls(
            layers=tuple(layers),
            metrics=tuple(metrics),
            n_classes=n_classes,
            train_accuracy=accuracies["train_accuracy"],
            test_accuracy=accuracies["test_accuracy"],
            classifier=optional(data, "classifier", "string", at),
            source=optional(data, "source", "string", at),
            epoch=epoch,
        )

    # ------------------------------------------------------------------ table
    def format_table(self) -> str:
        """A plain-text table, one row per layer.

        Columns: width D, NC1, CDNV, ETF error (NC2), NC3 (``-`` where not computed), the NCC
        mismatch Lambda on train and test, and the NCC accuracy on train and test.
        """

        def num(value: float | None, spec: str) -> str:
            if value is None:
                return "-"
            if math.isinf(value):
                return "inf"
            return format(value, spec)

        width = max(5, *(len(name) for name in self.layers))
        header = (
            f"{'layer':<{width}}{'D':>7}{'NC1':>11}{'CDNV':>11}{'ETF err':>9}{'NC3':>8}"
            f"{'Lambda tr':>11}{'Lambda te':>11}{'NCC acc tr':>12}{'NCC acc te':>12}"
        )
        lines = [header, "-" * len(header)]
        for name, m in zip(self.layers, self.metrics, strict=True):
            lines.append(
                f"{name:<{width}}{m.n_features:>7}{num(m.nc1, '.4g'):>11}"
                f"{num(m.cdnv, '.4g'):>11}{num(m.etf_error, '.4f'):>9}{num(m.nc3, '.4f'):>8}"
                f"{num(m.ncc_mismatch_train, '.4f'):>11}{num(m.ncc_mismatch_test, '.4f'):>11}"
                f"{num(m.ncc_accuracy_train, '.4f'):>12}{num(m.ncc_accuracy_test, '.4f'):>12}"
            )
        first = self.metrics[0]
        test = "" if first.n_test_samples is None else f", {first.n_test_samples} test"
        accuracy = f"network accuracy: train {self.train_accuracy:.4f}"
        if self.test_accuracy is not None:
            accuracy += f", test {self.test_accuracy:.4f}"
        lines.append(
            f"{first.n_samples} train samples{test}, K = {self.n_classes} classes; {accuracy}. "
            "Lambda = fraction where the network's prediction differs from the nearest train "
            "class mean."
        )
        return "\n".join(lines)
