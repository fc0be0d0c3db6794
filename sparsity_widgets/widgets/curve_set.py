"""A picker over a set of stored sparsity curves that computes in the reader's browser.

:class:`CurveSet` holds several sparsity curves, each a *member* with a label, a position on
an axis and optional extras (test accuracy, a layer's controlled score): the layers of a saved
probe result, or the label-noise levels of a synthetic check. For any eps window and either
rule the page re-estimates tau* and alpha* of every member (``browser/curve_set.js`` over
``browser/tau_window.js``), plots alpha* against the position, and draws the picked member's
``log N_tau`` with its selected taus. Only the stored members can be picked; the page says so.

With a kernel, Python checks every move with the twin
(:func:`~sparsity_widgets.widgets.browser.curve_set.curve_set_shown`), as for every
:class:`~sparsity_widgets.widgets.browser_widget.BrowserWidget`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import traitlets as T

from ..tau_star import SparsityCurve, curve_from_arrays
from .browser.curve_set import CURVE_SET, curve_set_estimates
from .browser.tau_window import WindowResult, curve_payload
from .browser_widget import BrowserWidget
from .epsilon_explorer import EPS_SLIDER_MAX, window_start

__all__ = ["CurveSet"]


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _thin(payload: dict[str, Any], tau_step: int) -> dict[str, Any]:
    """Every ``tau_step``-th grid point of a curve payload (the stored values, not recomputed)."""
    if tau_step == 1:
        return payload
    keys = ("taus", "log_power_sum", "log_inverse_sum")
    return {**payload, **{k: payload[k][::tau_step] for k in keys}}


def _as_curve(item: Any, name: str) -> SparsityCurve:
    if isinstance(item, SparsityCurve):
        return item
    if hasattr(item, "sparsity_curve") and hasattr(item, "n_wavelets_"):
        return item.sparsity_curve()
    raise ValueError(
        f"{name} must be a SparsityCurve or a fitted WaveletForest; got {type(item).__name__}."
    )


class CurveSet(BrowserWidget):
    """Pick one of several stored sparsity curves; alpha* of all of them for any eps window.

    Build it with :meth:`from_curves` (curves or fitted forests at given positions),
    :meth:`from_probe_result` (the layers of one seed of a probe result) or :meth:`from_saved`
    (the same from a saved JSON file of the book's results).

    Parameters
    ----------
    members : list of dict
        ``{"label": str, "position": float, "curve": curve_payload, "extras": dict}`` each.
    axis_label : str
        What the positions are (``"layer"``, ``"label noise p"``).
    pick : int
        The member shown first (index).
    rule : {"paper", "public-code"}
    eps_low, eps_high : float, optional
        Start values in the rule's unit (its defaults when omitted).
    title : str
    note : str
        A line under the controls (what the members are; whether curves were thinned).
    label_ticks : bool
        Write each member's label under the x axis (layers) instead of numeric ticks.

    Attributes
    ----------
    result : dict
        Python's answer for the current setting (what the browser shows).
    """

    kind = CURVE_SET.kind
    members = T.List().tag(sync=True)
    axis_label = T.Unicode("").tag(sync=True)
    note = T.Unicode("").tag(sync=True)
    label_ticks = T.Bool(False).tag(sync=True)
    pick = T.Int(0).tag(sync=True)
    rule = T.Unicode("paper").tag(sync=True)
    eps_low = T.Float(0.1).tag(sync=True)
    eps_high = T.Float(0.4).tag(sync=True)
    eps_slider_max = T.Dict(dict(EPS_SLIDER_MAX)).tag(sync=True)

    def __init__(
        self,
        members: list[dict[str, Any]],
        axis_label: str,
        *,
        pick: int = 0,
        rule: str = "paper",
        eps_low: float | None = None,
        eps_high: float | None = None,
        title: str = "",
        note: str = "",
        label_ticks: bool = False,
    ) -> None:
        if not isinstance(members, list) or not members:
            raise ValueError(f"members must be a non-empty list of member dicts; got {members!r}.")
        for i, m in enumerate(members):
            if not isinstance(m, Mapping) or set(m) != {"label", "position", "curve", "extras"}:
                raise ValueError(
                    f"members[{i}] must be a dict with keys label, position, curve, extras; "
                    f"got {m!r:.80}."
                )
        low, high = window_start(rule, eps_low, eps_high)
        if isinstance(pick, bool) or not isinstance(pick, int | np.integer):
            raise ValueError(f"pick must be an int; got {pick!r}.")
        if not 0 <= pick < len(members):
            raise ValueError(f"pick must be a member index in [0, {len(members) - 1}]; got {pick}.")
        super().__init__(
            members=members,
            axis_label=str(axis_label),
            note=note,
            label_ticks=bool(label_ticks),
            pick=int(pick),
            rule=rule,
            eps_low=low,
            eps_high=high,
            title=title,
        )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_curves(
        cls,
        labels: Sequence[str],
        curves: Sequence[Any],
        positions: Sequence[float],
        axis_label: str,
        *,
        extras: Sequence[Mapping[str, Any]] | None = None,
        tau_step: int = 1,
        note: str = "",
        **options: Any,
    ) -> CurveSet:
        """A picker over given curves (or fitted forests) at given positions.

        Parameters
        ----------
        labels : sequence of str, length n
        curves : sequence of SparsityCurve or fitted WaveletForest, length n
        positions : sequence of float, length n
            Where each member sits on the x axis (finite).
        axis_label : str
        extras : sequence of dict, length n, optional
            Numbers shown beside the picked member (None for a missing value).
        tau_step : int
            Keep every ``tau_step``-th tau of each curve (1: all). The page says when curves
            were thinned.
        note : str
            A line under the controls; the thinning is appended to it.
        **options
            ``pick``, ``rule``, ``eps_low``, ``eps_high``, ``title``, ``label_ticks``.

        Returns
        -------
        CurveSet
        """
        labels, curves, positions = list(labels), list(curves), list(positions)
        n = len(labels)
        if n == 0:
            raise ValueError("labels must name at least one member; got an empty sequence.")
        extras = [{} for _ in range(n)] if extras is None else list(extras)
        for name, values in (("curves", curves), ("positions", positions), ("extras", extras)):
            if len(values) != n:
                raise ValueError(f"{name} must have one entry per label ({n}); got {len(values)}.")
        if isinstance(tau_step, bool) or not isinstance(tau_step, int) or tau_step < 1:
            raise ValueError(f"tau_step must be a positive int; got {tau_step!r}.")
        members = []
        for i in range(n):
            position = positions[i]
            if not isinstance(position, int | float | np.number) or not math.isfinite(position):
                raise ValueError(f"positions[{i}] must be a finite number; got {position!r}.")
            curve = _thin(curve_payload(_as_curve(curves[i], f"curves[{i}]")), tau_step)
            if len(curve["taus"]) < 3:
                raise ValueError(
                    f"tau_step={tau_step} leaves {len(curve['taus'])} taus of curves[{i}]; "
                    "at least 3 are needed."
                )
            members.append(
                {
                    "label": str(labels[i]),
                    "position": float(position),
                    "curve": curve,
                    "extras": {str(k): _number(v) for k, v in dict(extras[i]).items()},
                }
            )
        if tau_step > 1:
            sizes = sorted({len(m["curve"]["taus"]) for m in members})
            thinned = (
                f"curves thinned: every {tau_step}th tau kept "
                f"({'/'.join(map(str, sizes))} points per curve)"
            )
            note = f"{note}; {thinned}" if note else thinned
        return cls(members, axis_label, note=note, **options)

    @classmethod
    def from_probe_result(
        cls,
        result: Any,
        seed: int | None = None,
        *,
        tau_step: int = 1,
        title: str | None = None,
        **options: Any,
    ) -> CurveSet:
        """A layer picker over one seed of a probe result.

        Parameters
        ----------
        result : ProbeResult or path
            A result, or the path of a ``result.json`` (:meth:`ProbeResult.to_json`).
        seed : int, optional
            The run whose curves are shown (default the first run's).
        tau_step : int
            As for :meth:`from_curves`.
        title : str, optional
            Default: the result's label, the seed and the settings that make alpha* comparable.
        **options
            ``pick`` (default the last layer), ``rule`` (default the result's), ``eps_low``,
            ``eps_high``.

        Returns
        -------
        CurveSet
            Members: the layers in probe order at positions 0, 1, ...; extras: the saved
            alpha* (at the probe's own window), the layer's width and, when the probe computed
            one, its controlled score.
        """
        from ..probe.result import ProbeResult

        if isinstance(result, str | os.PathLike):
            result = ProbeResult.from_json(result)
        if not isinstance(result, ProbeResult):
            raise ValueError(
                "result must be a ProbeResult or the path of a result.json; got "
                f"{type(result).__name__}."
            )
        if not result.runs or not result.layer_names:
            raise ValueError("result must hold at least one run with at least one layer.")
        seeds = [run.seed for run in result.runs]
        if seed is not None and seed not in seeds:
            raise ValueError(f"seed must be one of the result's seeds {seeds}; got {seed!r}.")
        run = result.runs[0 if seed is None else seeds.index(seed)]
        trees = result.settings.get("n_trees")
        if trees is None:
            raise ValueError(
                "the result's settings do not record 'n_trees' (the number of trees J in "
                "N_tau); it cannot be re-estimated."
            )
        curves, extras = [], []
        for layer in run.layers:
            curves.append(
                curve_from_arrays(
                    layer.taus,
                    layer.log_sparsity,
                    int(trees),
                    layer.log_inverse_sum,
                    layer.n_wavelets,
                )
            )
            extra = {"saved alpha*": layer.alpha_star, "width": layer.width}
            if layer.baseline is not None:
                extra[f"controlled ({layer.baseline['kind']})"] = layer.baseline["score"]
            extras.append(extra)
        names = result.layer_names
        options.setdefault("pick", len(names) - 1)
        options.setdefault("rule", result.settings.get("rule") or "paper")
        s = result.settings
        if title is None:
            title = f"{result.label}: seed {run.seed} of {seeds}; "
            if s.get("n_samples") is not None:
                title += f"n = {s['n_samples']}, "
            title += f"{trees} trees"
            if run.test_accuracy is not None:
                title += f"; test accuracy {run.test_accuracy:.3f}"
        note = (
            f"{len(names)} layers of one trained model (seed {run.seed}); 'saved alpha*' is the "
            "probe's estimate at its own window, the plot re-estimates every layer for yours."
        )
        return cls.from_curves(
            names,
            curves,
            list(range(len(names))),
            "layer",
            extras=extras,
            tau_step=tau_step,
            note=note,
            title=title,
            label_ticks=True,
            **options,
        )

    @classmethod
    def from_saved(
        cls,
        path: str | os.PathLike,
        variant: str | int | None = None,
        seed: int | None = None,
        **options: Any,
    ) -> CurveSet:
        """A layer picker over a saved JSON file of the book's results, in one line.

        Parameters
        ----------
        path : path-like
            A probe result (``ProbeResult.to_json``, e.g. ``results/controlled-quick/relu.json``)
            or a study file holding several (``{"results": [...]}``, e.g.
            ``results/vgg-depth-quick/vgg-depth.json``).
        variant : str or int, optional
            For a study file: the result's label (``"VGG-16"``) or position; required when the
            file holds more than one.
        seed : int, optional
            As for :meth:`from_probe_result`.
        **options
            Passed on to :meth:`from_probe_result`.

        Returns
        -------
        CurveSet
        """
        from ..probe.result import ProbeResult

        path = Path(path)
        if not path.is_file():
            raise ValueError(f"path must be a saved result file; {str(path)!r} does not exist.")
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "runs" in data:
            if variant is not None:
                raise ValueError(
                    f"variant must be None for a single probe result ({path.name}); "
                    f"got {variant!r}."
                )
            return cls.from_probe_result(ProbeResult.from_dict(data, source=path), seed, **options)
        entries = data.get("results") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not entries:
            raise ValueError(
                f"path must hold a probe result or a study's 'results' list; {path.name} holds "
                "neither."
            )
        labels = [entry.get("label") for entry in entries]
        if variant is None:
            if len(entries) > 1:
                raise ValueError(f"variant must name one of {labels} ({path.name}); got None.")
            index = 0
        elif isinstance(variant, str):
            if variant not in labels:
                raise ValueError(f"variant must be one of {labels}; got {variant!r}.")
            index = labels.index(variant)
        elif isinstance(variant, int) and not isinstance(variant, bool):
            if not 0 <= variant < len(entries):
                raise ValueError(
                    f"variant must be a position in [0, {len(entries) - 1}]; got {variant}."
                )
            index = variant
        else:
            raise ValueError(f"variant must be a label (str) or a position (int); got {variant!r}.")
        result = ProbeResult.from_dict(entries[index], source=path)
        return cls.from_probe_result(result, seed, **options)

    # ------------------------------------------------------------------ results
    @property
    def estimates(self) -> list[WindowResult]:
        """Every member's full result for the current window (from the Python twin)."""
        return curve_set_estimates(self.state)

    @property
    def labels(self) -> list[str]:
        """The members' labels, in order."""
        return [m["label"] for m in self.members]
