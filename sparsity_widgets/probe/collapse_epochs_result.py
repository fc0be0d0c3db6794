"""Collapse over training: :class:`CollapseProbe` per checkpoint and the interpolation threshold.

:class:`CollapseOverTraining` is what
:func:`~sparsity_widgets.probe.collapse_epochs.probe_collapse_checkpoints` returns: one
:class:`~sparsity_widgets.probe.CollapseProbe` per checkpoint of one run, the run's train
accuracy per epoch, and from it the interpolation threshold (IT, see :func:`interpolation_epoch`)
and the end of training. :meth:`CollapseOverTraining.claims` compares the NCC mismatch Lambda at
the IT and at the end as the slides' two claims state them, as plain data (no tolerance). No
torch here: a saved result loads with the core install.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass
from typing import Any

from .._schema import (
    Where,
    reject_unknown,
    require,
    require_list,
    require_object,
    require_schema,
)
from .collapse_result import CollapseProbe

__all__ = ["SCHEMA", "CollapseOverTraining", "interpolation_epoch"]

SCHEMA = "sparsity_widgets.probe_collapse_epochs/1"
"""Value of the ``schema`` key that :meth:`CollapseOverTraining.to_dict` writes."""

_HINT = (
    "The data is damaged or was not written by CollapseOverTraining.to_dict; run "
    "probe_collapse_checkpoints (or sparsity-widgets collapse --run RUN) again."
)


def interpolation_epoch(history: Any) -> tuple[int, bool]:
    """The interpolation threshold of a run: first epoch at 100 % train accuracy, else the best.

    Parameters
    ----------
    history : TrainingHistory or any object with ``epochs`` and ``train_accuracy``
        Equal-length, non-empty sequences (epoch numbers, accuracies in [0, 1]).

    Returns
    -------
    epoch : int
        The first epoch whose train accuracy is exactly 1.0; when there is none, the epoch of
        the maximal train accuracy (the first one on ties).
    reached : bool
        True when the train accuracy reached 1.0 (the first rule applied), False when the
        maximum was taken instead.

    Raises
    ------
    ValueError
        Empty or unequal-length sequences, or an accuracy that is not a number in [0, 1].
    """
    epochs = list(getattr(history, "epochs", None) or [])
    accuracy = list(getattr(history, "train_accuracy", None) or [])
    if not epochs or len(epochs) != len(accuracy):
        raise ValueError(
            "history must hold at least one epoch and one train accuracy per epoch; got "
            f"{len(epochs)} epoch(s) and {len(accuracy)} train accuracies."
        )
    for epoch, value in zip(epochs, accuracy, strict=True):
        if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
            raise ValueError(
                f"history.train_accuracy must hold numbers in [0, 1]; got {value!r} at epoch "
                f"{epoch}."
            )
    for epoch, value in zip(epochs, accuracy, strict=True):
        if value == 1.0:
            return int(epoch), True
    best = max(accuracy)
    return int(epochs[accuracy.index(best)]), False


@dataclass(frozen=True)
class _History:
    epochs: tuple[int, ...]
    train_accuracy: tuple[float, ...]


def _num(value: float | None, spec: str) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "inf"
    return format(value, spec)


# ---------------------------------------------------------------------------------- result
@dataclass(frozen=True)
class CollapseOverTraining:
    """Collapse metrics of the same layers at several checkpoints of one training run.

    Attributes
    ----------
    probes : tuple of CollapseProbe
        One per checkpoint, by increasing epoch (each with its ``epoch`` set); same layers.
    history_epochs : tuple of int
        The run's epochs, from the history saved in the last checkpoint (which covers every
        epoch up to it).
    history_train_accuracy : tuple of float
        The train accuracy recorded for each of those epochs (during the epoch, in training
        mode, as :class:`~sparsity_widgets.training.TrainingHistory` records it).

    Notes
    -----
    Derived: :attr:`epochs`, :attr:`end_epoch` (the last checkpoint), :attr:`interpolation_epoch`
    and :attr:`interpolation_reached` (:func:`interpolation_epoch` on the history), and
    :attr:`it_checkpoint_epoch`: the IT epoch itself when it is among the checkpoints, else the
    closest checkpoint epoch *after* it (there always is one, as the last checkpoint ends the
    history). Metrics "at the IT" are those of that checkpoint.
    """

    probes: tuple[CollapseProbe, ...]
    history_epochs: tuple[int, ...]
    history_train_accuracy: tuple[float, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "probes", tuple(self.probes))
        object.__setattr__(self, "history_epochs", tuple(int(e) for e in self.history_epochs))
        object.__setattr__(
            self, "history_train_accuracy", tuple(float(a) for a in self.history_train_accuracy)
        )
        if not self.probes:
            raise ValueError("probes must hold at least one CollapseProbe; got none.")
        epochs = [p.epoch for p in self.probes]
        if any(e is None for e in epochs):
            raise ValueError(
                f"every probe must record its epoch; got epochs {epochs} (None = missing)."
            )
        if any(b <= a for a, b in itertools.pairwise(epochs)):
            raise ValueError(f"probes must have strictly increasing epochs; got {epochs}.")
        first = self.probes[0].layers
        for p in self.probes[1:]:
            if p.layers != first:
                raise ValueError(
                    f"every probe must cover the same layers; epoch {self.probes[0].epoch} has "
                    f"{list(first)}, epoch {p.epoch} has {list(p.layers)}."
                )
        interpolation_epoch(self._history())  # checks lengths and values
        if self.history_epochs[-1] != epochs[-1]:
            raise ValueError(
                "history_epochs must end at the last checkpoint's epoch "
                f"{epochs[-1]}; got {self.history_epochs[-1]}."
            )
        missing = [e for e in epochs if e not in self.history_epochs]
        if missing:
            raise ValueError(
                f"every checkpoint epoch must be in history_epochs; {missing} are not."
            )

    def _history(self) -> _History:
        return _History(self.history_epochs, self.history_train_accuracy)

    # ------------------------------------------------------------------ derived
    @property
    def epochs(self) -> tuple[int, ...]:
        """The checkpoint epochs, increasing."""
        return tuple(int(p.epoch) for p in self.probes)  # type: ignore[arg-type]

    @property
    def layers(self) -> tuple[str, ...]:
        """The probed layers, in forward order."""
        return self.probes[0].layers

    @property
    def end_epoch(self) -> int:
        """The epoch of the last checkpoint (the end of training as far as probed)."""
        return self.epochs[-1]

    @property
    def interpolation_epoch(self) -> int:
        """The IT epoch (see :func:`interpolation_epoch`)."""
        return interpolation_epoch(self._history())[0]

    @property
    def interpolation_reached(self) -> bool:
        """True when train accuracy reached 1.0; False when the IT is its maximum instead."""
        return interpolation_epoch(self._history())[1]

    @property
    def it_checkpoint_epoch(self) -> int:
        """The IT epoch if checkpointed, else the first checkpoint epoch after it."""
        it = self.interpolation_epoch
        return next(e for e in self.epochs if e >= it)

    def checkpoint_interpolation(self) -> tuple[int, bool]:
        """The IT from the checkpoints' own train accuracy (eval mode, whole probed set).

        The history's train accuracy is measured during each epoch, in training mode and while
        the weights move, so a network that classifies every training sample correctly at
        the end of an epoch may never record exactly 1.0 there. The probes measure it once
        per checkpoint with the frozen network; :func:`interpolation_epoch` applied to those
        values gives the first checkpoint at 100 %, else the best one.

        Returns
        -------
        epoch : int
            A checkpoint epoch.
        reached : bool
            True when some checkpoint classifies every probed training sample correctly.
        """
        return interpolation_epoch(
            _History(self.epochs, tuple(float(p.train_accuracy) for p in self.probes))
        )

    def at_epoch(self, epoch: int) -> CollapseProbe:
        """The probe of the checkpoint at ``epoch``."""
        try:
            return self.probes[self.epochs.index(epoch)]
        except ValueError:
            raise KeyError(
                f"epoch {epoch} has no checkpoint here; the epochs are {list(self.epochs)}."
            ) from None

    # ------------------------------------------------------------------ claims
    def claims(self, it_epoch: int | None = None) -> dict[str, Any]:
        """Lambda at the IT and at the end per layer, and the slides' two claims as plain data.

        Parameters
        ----------
        it_epoch : int, optional
            The checkpoint epoch that counts as the IT; default :attr:`it_checkpoint_epoch`
            (from the history). :meth:`checkpoint_interpolation` gives the other rule.

        Returns
        -------
        dict
            JSON-ready:

            - ``interpolation_epoch``, ``interpolation_reached`` (from the history),
              ``it_checkpoint_epoch`` (the ``it_epoch`` used), ``end_epoch``;
            - ``layers``: per probed layer, ``lambda_train_it``, ``lambda_test_it``,
              ``lambda_train_end``, ``lambda_test_end``, ``nc1_it``, ``nc1_end`` (test values
              None without test data);
            - ``layer_ordering``: per split (``train``, ``test``), at the end, for each pair of
              consecutive probed layers j, j+1: ``upper`` (layer j), ``lower`` (layer j+1),
              their Lambdas, ``difference`` = Lambda^j - Lambda^{j+1} and ``holds``
              (difference >= 0); the split's ``holds`` is True when every pair holds (None for
              a split without values, or with fewer than two layers);
            - ``ncc_improvement``: per split, for each layer: ``lambda_it``, ``lambda_end``,
              ``difference`` = Lambda(IT) - Lambda(end) and ``holds`` (difference >= 0); the
              split's ``holds`` is True when every layer holds.

            Comparisons are exact (no tolerance); the differences show how far each is.
        """
        if it_epoch is None:
            it_epoch = self.it_checkpoint_epoch
        it_probe = self.at_epoch(it_epoch)
        end_probe = self.probes[-1]
        names = list(self.layers)

        def lam(probe: CollapseProbe, name: str, split: str) -> float | None:
            return getattr(probe[name], f"ncc_mismatch_{split}")

        rows = [
            {
                "layer": name,
                "lambda_train_it": lam(it_probe, name, "train"),
                "lambda_test_it": lam(it_probe, name, "test"),
                "lambda_train_end": lam(end_probe, name, "train"),
                "lambda_test_end": lam(end_probe, name, "test"),
                "nc1_it": it_probe[name].nc1,
                "nc1_end": end_probe[name].nc1,
            }
            for name in names
        ]

        def summary(items: list[dict[str, Any]]) -> dict[str, Any]:
            if not items:
                return {"holds": None, "items": []}
            return {"holds": all(item["holds"] for item in items), "items": items}

        ordering: dict[str, Any] = {}
        improvement: dict[str, Any] = {}
        for split in ("train", "test"):
            pairs = []
            for upper, lower in itertools.pairwise(names):
                a, b = lam(end_probe, upper, split), lam(end_probe, lower, split)
                if a is None or b is None:
                    pairs = []
                    break
                pairs.append(
                    {
                        "upper": upper,
                        "lower": lower,
                        "lambda_upper": a,
                        "lambda_lower": b,
                        "difference": a - b,
                        "holds": a >= b,
                    }
                )
            ordering[split] = summary(pairs)
            per_layer = []
            for name in names:
                a, b = lam(it_probe, name, split), lam(end_probe, name, split)
                if a is None or b is None:
                    per_layer = []
                    break
                per_layer.append(
                    {
                        "layer": name,
                        "lambda_it": a,
                        "lambda_end": b,
                        "difference": a - b,
                        "holds": a >= b,
                    }
                )
            improvement[split] = summary(per_layer)
        return {
            "interpolation_epoch": self.interpolation_epoch,
            "interpolation_reached": self.interpolation_reached,
            "it_checkpoint_epoch": it_epoch,
            "end_epoch": self.end_epoch,
            "layers": rows,
            "layer_ordering": ordering,
            "ncc_improvement": improvement,
        }

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with a ``schema`` key (see :meth:`from_dict`).

        ``epochs``, ``end_epoch``, ``interpolation_epoch``, ``interpolation_reached`` and
        ``it_checkpoint_epoch`` are written for readers and checked against the rest on
        reading.
        """
        return {
            "schema": SCHEMA,
            "epochs": list(self.epochs),
            "end_epoch": self.end_epoch,
            "interpolation_epoch": self.interpolation_epoch,
            "interpolation_reached": self.interpolation_reached,
            "it_checkpoint_epoch": self.it_checkpoint_epoch,
            "history_epochs": list(self.history_epochs),
            "history_train_accuracy": list(self.history_train_accuracy),
            "probes": [p.to_dict() for p in self.probes],
        }

    @classmethod
    def from_dict(
        cls, data: Any, *, source: str | os.PathLike | None = None
    ) -> CollapseOverTraining:
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
        at = Where.of("collapse over training", source, _HINT)
        data = require_object(data, at)
        derived = [
            "epochs",
            "end_epoch",
            "interpolation_epoch",
            "interpolation_reached",
            "it_checkpoint_epoch",
        ]
        keys = ["schema", *derived, "history_epochs", "history_train_accuracy", "probes"]
        reject_unknown(data, keys, at)
        require_schema(data, SCHEMA, at)
        history_epochs = require_list(data, "history_epochs", "integer", at)
        accuracy = require_list(
            data,
            "history_train_accuracy",
            "number",
            at,
            length=len(history_epochs),
            length_of="history_epochs",
        )
        items = require_list(data, "probes", "object", at)
        if not items:
            raise at.key("probes").error("at least one probe", "an empty list")
        probes = [CollapseProbe.from_dict(item, source=source) for item in items]
        try:
            result = cls(tuple(probes), tuple(history_epochs), tuple(accuracy))
        except ValueError as exc:
            raise at.wrap(exc) from None
        written = {
            "epochs": require_list(data, "epochs", "integer", at),
            "end_epoch": require(data, "end_epoch", "integer", at),
            "interpolation_epoch": require(data, "interpolation_epoch", "integer", at),
            "interpolation_reached": require(data, "interpolation_reached", "boolean", at),
            "it_checkpoint_epoch": require(data, "it_checkpoint_epoch", "integer", at),
        }
        recomputed = result.to_dict()
        for key, value in written.items():
            if value != recomputed[key]:
                raise at.key(key).error(
                    f"{recomputed[key]!r}, as the probes and the history give it", repr(value)
                )
        return result

    # ------------------------------------------------------------------ table
    def format_table(self) -> str:
        """A compact plain-text table: per layer, Lambda and NC1 at the IT and at the end.

        Followed by the two claims (layer ordering at the end, NCC improvement beyond the
        IT) per split, with the smallest difference found.
        """
        claims = self.claims()
        width = max(5, *(len(name) for name in self.layers))
        header = (
            f"{'layer':<{width}}{'Lam tr IT':>11}{'Lam te IT':>11}{'Lam tr end':>12}"
            f"{'Lam te end':>12}{'NC1 IT':>11}{'NC1 end':>11}"
        )
        lines = [header, "-" * len(header)]
        for row in claims["layers"]:
            lines.append(
                f"{row['layer']:<{width}}{_num(row['lambda_train_it'], '.4f'):>11}"
                f"{_num(row['lambda_test_it'], '.4f'):>11}"
                f"{_num(row['lambda_train_end'], '.4f'):>12}"
                f"{_num(row['lambda_test_end'], '.4f'):>12}"
                f"{_num(row['nc1_it'], '.4g'):>11}{_num(row['nc1_end'], '.4g'):>11}"
            )
        it = claims["interpolation_epoch"]
        rule = (
            "first epoch at 100 % train accuracy"
            if claims["interpolation_reached"]
            else ("train accuracy never reached 100 %; epoch of its maximum")
        )
        at_ckpt = claims["it_checkpoint_epoch"]
        where = "" if at_ckpt == it else f"; metrics from the next checkpoint, epoch {at_ckpt}"
        lines.append(
            f"IT = epoch {it} ({rule}{where}); end = epoch {claims['end_epoch']}; "
            f"checkpoints {list(self.epochs)}."
        )
        for title, key in (
            ("layer ordering at the end (Lambda^j >= Lambda^j+1)", "layer_ordering"),
            ("NCC improvement beyond IT (Lambda(IT) >= Lambda(end))", "ncc_improvement"),
        ):
            parts = []
            for split in ("train", "test"):
                s = claims[key][split]
                if s["holds"] is None:
                    parts.append(f"{split} -")
                    continue
                worst = min(item["difference"] for item in s["items"])
                verdict = "holds" if s["holds"] else "fails"
                parts.append(f"{split} {verdict} (min diff {worst:+.4f})")
            lines.append(f"{title}: " + ", ".join(parts))
        return "\n".join(lines)
