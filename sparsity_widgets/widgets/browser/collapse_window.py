"""Python twin of ``collapse_window.js``: a collapse study's numbers at one layer and epoch.

The collapse window stores, for one data set of a
:class:`~sparsity_widgets.studies.collapse_result.CollapseStudyResult`, every seed's Lambda^j on
train and test, NC1 and the NCC test accuracy of every probed layer at every common checkpoint,
the network's accuracies and alpha* at the IT and at the end (:func:`collapse_payload`). The
browser picks a layer, an epoch and a variant and computes the means and standard deviations over
the seeds (ddof = 0, as the study's tables) and the mean curves over the epochs;
:func:`collapse_shown` does the same steps in the same order, so the two agree to rounding, and
its numbers equal :func:`~sparsity_widgets.widgets.collapse_explorer.compute_collapse_state`'s
(``tests/test_collapse_window_widget.py``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .registry import Twin, register

__all__ = ["BOTH", "COLLAPSE_WINDOW", "collapse_payload", "collapse_shown"]

#: the variant choice that shows every variant of the data set together
BOTH = "both"
#: per layer, read at the chosen epoch and drawn over the epochs
LAYER_VALUES = ("lambda_train", "lambda_test", "nc1", "ncc_accuracy_test")
#: the network's own, one per checkpoint
NETWORK_VALUES = ("train_accuracy", "test_accuracy")


def _floats(values: Any) -> Any:
    """Nested lists of floats, NaN and infinities as ``None`` (JSON has neither)."""
    if isinstance(values, (list, tuple, np.ndarray)):
        return [_floats(v) for v in values]
    value = float(values)
    return value if math.isfinite(value) else None


def collapse_payload(result: Any, dataset: str) -> dict[str, Any]:
    """What the browser needs of one data set of a collapse study, JSON-ready.

    Parameters
    ----------
    result : CollapseStudyResult
    dataset : str
        One of ``result.datasets``.

    Returns
    -------
    dict
        ``dataset``, ``epochs`` (common checkpoint epochs, length E), ``layers`` (names, length
        L) and ``variants``: one dict per variant with ``name``, ``seeds``, ``it_epochs``,
        ``it_reached``, ``values`` ({quantity: per seed (E, L) nested lists}), ``network``
        ({accuracy: per seed length-E lists}), ``alpha_it`` and ``alpha_end`` (per seed,
        length L).
    """
    if dataset not in result.datasets:
        raise ValueError(f"dataset must be one of {list(result.datasets)}; got {dataset!r}.")
    epochs = tuple(int(e) for e in result.common_epochs(dataset))
    variants = []
    for name in result.variants(dataset):
        runs = result.group(dataset, name)
        variants.append(
            {
                "name": name,
                "seeds": [int(r.seed) for r in runs],
                "it_epochs": [int(r.it_epoch) for r in runs],
                "it_reached": [bool(r.it_reached) for r in runs],
                "values": {
                    q: [[_floats(r.at(q, e)) for e in epochs] for r in runs] for q in LAYER_VALUES
                },
                "network": {
                    q: [[_floats(getattr(r, q)[r.epochs.index(e)]) for e in epochs] for r in runs]
                    for q in NETWORK_VALUES
                },
                "alpha_it": [_floats(r.alpha_it) for r in runs],
                "alpha_end": [_floats(r.alpha_end) for r in runs],
            }
        )
    return {
        "dataset": dataset,
        "epochs": list(epochs),
        "layers": list(result.layers(dataset)),
        "variants": variants,
    }


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def spread(values: list[float]) -> tuple[float, float]:
    """Mean and standard deviation (ddof = 0), summed in order as ``collapseSpread`` does.

    Parameters
    ----------
    values : list of float
        One value per seed.

    Returns
    -------
    (float, float)
    """
    total = 0.0
    for v in values:
        total += v
    mean = total / len(values)
    square = 0.0
    for v in values:
        square += (v - mean) * (v - mean)
    return mean, math.sqrt(square / len(values))


def _variant_numbers(variant: dict[str, Any], layer: int, e: int, n_epochs: int) -> dict:
    out: dict[str, Any] = {"seeds": list(variant["seeds"]), "it_epochs": list(variant["it_epochs"])}
    for q in LAYER_VALUES:
        per_seed = variant["values"][q]
        out[q] = list(spread([_num(run[e][layer]) for run in per_seed]))
        out[f"{q}_curve"] = [
            spread([_num(run[k][layer]) for run in per_seed])[0] for k in range(n_epochs)
        ]
    for q in NETWORK_VALUES:
        out[q] = list(spread([_num(run[e]) for run in variant["network"][q]]))
    for q in ("alpha_it", "alpha_end"):
        out[q] = list(spread([_num(run[layer]) for run in variant[q]]))
    return out


def collapse_shown(state: dict[str, Any]) -> dict[str, Any]:
    """What the collapse window shows for its state (``collapseWindowShown`` of the JavaScript).

    Parameters
    ----------
    state : dict
        ``study`` (a :func:`collapse_payload`), ``layer`` (a position), ``epoch_index`` (a
        position in ``study["epochs"]``) and ``variant`` (a name or ``"both"``).

    Returns
    -------
    dict
        ``ok``, ``message`` (why there are no numbers; ``None`` when there are), ``layer_name``,
        ``epoch`` and ``variants``: {name: {quantity: [mean, std] over the seeds at the epoch,
        ``<quantity>_curve``: the mean at every epoch, ``seeds``, ``it_epochs``}}.
    """
    study = state["study"]
    layers, epochs = study["layers"], study["epochs"]
    names = [v["name"] for v in study["variants"]]
    layer, e, variant = state["layer"], state["epoch_index"], state["variant"]
    problem = None
    if not (isinstance(layer, int) and 0 <= layer < len(layers)):
        problem = f"layer must be a position in [0, {len(layers) - 1}]; got {layer}."
    elif not (isinstance(e, int) and 0 <= e < len(epochs)):
        problem = f"epoch_index must be a position in [0, {len(epochs) - 1}]; got {e}."
    elif variant not in [*names, BOTH]:
        problem = f"variant must be one of {[*names, BOTH]}; got {variant!r}."
    if problem is not None:
        return {"ok": False, "message": problem, "layer_name": None, "epoch": None, "variants": {}}
    shown = names if variant == BOTH else [variant]
    return {
        "ok": True,
        "message": None,
        "layer_name": layers[layer],
        "epoch": epochs[e],
        "variants": {
            v["name"]: _variant_numbers(v, layer, e, len(epochs))
            for v in study["variants"]
            if v["name"] in shown
        },
    }


def _collapse_cases() -> list[dict[str, Any]]:
    """Fixed states: a small synthetic study (2 variants, 3 seeds, 4 epochs, 3 layers), every
    variant choice, the edges of both positions, a NaN value and positions out of range."""
    rng = np.random.default_rng(0)
    epochs, n_layers = [1, 2, 5, 10], 3

    def variant(name: str) -> dict[str, Any]:
        values = {q: rng.uniform(0, 1, (3, len(epochs), n_layers)).tolist() for q in LAYER_VALUES}
        values["nc1"][1][2][0] = None  # a layer whose class means coincided at one epoch
        return {
            "name": name,
            "seeds": [0, 1, 2],
            "it_epochs": [5, 5, 10],
            "it_reached": [True, True, False],
            "values": values,
            "network": {q: rng.uniform(0, 1, (3, len(epochs))).tolist() for q in NETWORK_VALUES},
            "alpha_it": rng.uniform(0, 1, (3, n_layers)).tolist(),
            "alpha_end": rng.uniform(0, 1, (3, n_layers)).tolist(),
        }

    study = {
        "dataset": "toy",
        "epochs": epochs,
        "layers": ["input", "conv", "hidden"],
        "variants": [variant("vanilla"), variant("svsl")],
    }
    settings = [
        (0, 0, "vanilla"),
        (2, 3, "svsl"),
        (1, 2, BOTH),
        (0, 2, BOTH),  # the NaN: its mean and std are NaN, the page says so
        (3, 0, "vanilla"),
        (0, 4, BOTH),
        (0, 0, "adam"),
    ]
    return [
        {"study": study, "layer": layer, "epoch_index": e, "variant": v} for layer, e, v in settings
    ]


#: the collapse window (:class:`~sparsity_widgets.widgets.CollapseWindow`)
COLLAPSE_WINDOW = register(
    Twin(
        kind="collapse-window",
        esm_files=("collapse_window.js", "collapse_window_view.js"),
        js_function="collapseWindowShown",
        compute=collapse_shown,
        controls=("layer", "epoch_index", "variant"),
        cases=_collapse_cases,
    )
)
