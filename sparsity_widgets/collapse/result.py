"""The collapse and nearest-class-center metrics of one layer, with a JSON round trip."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from typing import Any

from .._schema import Where, optional, reject_unknown, require, require_object, require_schema
from .plane import ClassPlane

__all__ = ["SCHEMA", "CollapseMetrics"]

SCHEMA = "sparsity_widgets.collapse/1"
"""Value of the ``schema`` key that :meth:`CollapseMetrics.to_dict` writes."""

_HINT = (
    "The data is damaged or was not written by CollapseMetrics.to_dict; compute the metrics "
    "again with collapse_metrics(H, y, ...)."
)


@dataclass(frozen=True)
class CollapseMetrics:
    """Neural-collapse and NCC statistics of one layer (see :func:`collapse_metrics`).

    Attributes
    ----------
    n_samples, n_features, n_classes : int
        N, D and K of the training features.
    rank : int
        Rank of the centred class means kept for M^+ (K - 1 unless they are degenerate or
        D < K - 1).
    nc1 : float
        tr(Sigma_W Sigma_B^+) / K.
    cdnv : float
        Class-distance normalized variance averaged over class pairs (``inf`` when two class
        means coincide).
    etf_error, equinorm_cv, equiangularity : float
        NC2: distance of the normalised Gram of the centred means from the simplex ETF; CV of
        their norms; standard deviation of their pairwise cosines.
    ncc_accuracy_train : float
        Fraction of training samples whose nearest class center is their label.
    nc3 : float or None
        Self-duality ``||W/||W|| - M/||M|| ||_F``; None without ``W``.
    nc4 : float or None
        Fraction of training samples on which the classifier and the NCC agree
        (``1 - ncc_mismatch_train``); None without train predictions.
    ncc_mismatch_train : float or None
        Lambda on train: fraction where the network's prediction differs from the NCC.
    n_test_samples : int or None
        Rows of ``H_test``; None without test features.
    ncc_mismatch_test : float or None
        Lambda on test (NCC means from the training features); None without test predictions.
    ncc_accuracy_test : float or None
        NCC accuracy on test; None without ``y_test``.
    plane : ClassPlane or None
        The class means and within-class covariances in the plane of the two leading
        directions of the class means (a picture of the collapse); None in files written
        before it existed.
    """

    n_samples: int
    n_features: int
    n_classes: int
    rank: int
    nc1: float
    cdnv: float
    etf_error: float
    equinorm_cv: float
    equiangularity: float
    ncc_accuracy_train: float
    nc3: float | None = None
    nc4: float | None = None
    ncc_mismatch_train: float | None = None
    n_test_samples: int | None = None
    ncc_mismatch_test: float | None = None
    ncc_accuracy_test: float | None = None
    plane: ClassPlane | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with a ``schema`` key; an infinite ``cdnv`` is written as null."""
        data: dict[str, Any] = {
            "schema": SCHEMA,
            **{f.name: getattr(self, f.name) for f in fields(self) if f.name != "plane"},
        }
        if math.isinf(self.cdnv):
            data["cdnv"] = None
        if self.plane is not None:
            data["plane"] = self.plane.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Any, *, source: str | os.PathLike | None = None) -> CollapseMetrics:
        """Inverse of :meth:`to_dict`, checking every field.

        Parameters
        ----------
        data : dict
            As :meth:`to_dict` writes it: ``schema`` and every field; the optional metrics may
            be null (None), a null ``cdnv`` stands for ``inf``, and ``plane`` may be absent.
        source : path-like, optional
            The file ``data`` came from, named in error messages.

        Returns
        -------
        CollapseMetrics

        Raises
        ------
        SavedResultError
            A ``ValueError`` naming the key, what was expected there and what was found.
        """
        at = Where.of("collapse metrics", source, _HINT)
        data = require_object(data, at)
        reject_unknown(data, ["schema", *(f.name for f in fields(cls))], at)
        require_schema(data, SCHEMA, at)
        n_samples = _count(data, "n_samples", at, minimum=1)
        n_features = _count(data, "n_features", at, minimum=1)
        n_classes = _count(data, "n_classes", at, minimum=2)
        rank = _count(data, "rank", at, minimum=1)
        if rank > min(n_classes - 1, n_features):
            raise at.key("rank").error(
                f"at most min(n_classes - 1, n_features) = {min(n_classes - 1, n_features)}",
                f"the number {rank}",
            )
        n_test = data.get("n_test_samples")
        n_test = None if n_test is None else _count(data, "n_test_samples", at, minimum=1)
        cdnv = require(data, "cdnv", "number", at, nullable=True)
        return cls(
            n_samples=n_samples,
            n_features=n_features,
            n_classes=n_classes,
            rank=rank,
            nc1=_bounded(data, "nc1", at),
            cdnv=math.inf if cdnv is None else _bounded(data, "cdnv", at),
            etf_error=_bounded(data, "etf_error", at, high=2.0),
            equinorm_cv=_bounded(data, "equinorm_cv", at),
            equiangularity=_bounded(data, "equiangularity", at, high=1.0),
            ncc_accuracy_train=_bounded(data, "ncc_accuracy_train", at, high=1.0),
            nc3=_bounded(data, "nc3", at, high=2.0, nullable=True),
            nc4=_bounded(data, "nc4", at, high=1.0, nullable=True),
            ncc_mismatch_train=_bounded(data, "ncc_mismatch_train", at, high=1.0, nullable=True),
            n_test_samples=n_test,
            ncc_mismatch_test=_bounded(data, "ncc_mismatch_test", at, high=1.0, nullable=True),
            ncc_accuracy_test=_bounded(data, "ncc_accuracy_test", at, high=1.0, nullable=True),
            plane=_plane(data, n_classes, at),
        )


def _plane(data: dict[str, Any], n_classes: int, at: Where) -> ClassPlane | None:
    value = data.get("plane")
    if value is None:
        return None
    here = at.key("plane")
    value = require_object(value, here)
    reject_unknown(value, ["means", "covariances", "between_class_share"], here)
    means = require(value, "means", "array", here)
    covariances = require(value, "covariances", "array", here)
    share = require(value, "between_class_share", "number", here)
    if len(means) != n_classes or len(covariances) != n_classes:
        raise here.error(
            f"means and covariances with one entry per class (n_classes = {n_classes})",
            f"{len(means)} means and {len(covariances)} covariances",
        )
    try:
        return ClassPlane(means=means, covariances=covariances, between_class_share=share)
    except ValueError as exc:
        raise here.error(
            "means (K, 2), covariances (K, 2, 2), a share in [0, 1]", str(exc)
        ) from None


def _count(data: dict[str, Any], key: str, at: Where, *, minimum: int) -> int:
    value = require(data, key, "integer", at)
    if value < minimum:
        raise at.key(key).error(f"an integer >= {minimum}", f"the number {value}")
    return value


def _bounded(
    data: dict[str, Any], key: str, at: Where, *, high: float | None = None, nullable: bool = False
) -> Any:
    """A finite number in [0, high] (``high`` None: no upper bound); None when nullable and null.

    The upper bounds allow 1e-12 of rounding (a norm of a difference of unit vectors).
    """
    value = optional(data, key, "number", at) if nullable else require(data, key, "number", at)
    if value is None:
        if key not in data:
            raise at.key(key).error("a number or null", "no such key")
        return None
    if value < 0 or (high is not None and value > high + 1e-12):
        interval = f"[0, {high:g}]" if high is not None else "[0, inf)"
        raise at.key(key).error(f"a number in {interval}", f"the number {value!r}")
    return value
