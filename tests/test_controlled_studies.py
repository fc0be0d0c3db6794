"""The five MNIST-1D studies rescored with the controlled score (book/results/mnist1d-controlled).

ch09's section "The five studies under the controlled score" makes statements about these files;
each is checked here on the saved JSON, so that a rerun that changes them fails loudly instead of
leaving the chapter wrong. The files were written by
``sparsity-widgets study all --setting quick --baseline rotation-permuted --baseline-width 640``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from sparsity_widgets.studies import STUDIES, StudyResult

ROOT = Path(__file__).resolve().parents[1]
SAVED = ROOT / "book" / "results" / "mnist1d-controlled"
CHAPTER = (ROOT / "book" / "ch09_probing_networks.md").read_text(encoding="utf-8")
CONV = [f"blocks.{i}" for i in range(7)]


@pytest.fixture(scope="module")
def studies() -> dict[str, StudyResult]:
    return {
        name: StudyResult.from_dict(json.loads((SAVED / f"{name}.json").read_text()))
        for name in STUDIES
    }


def distinct_models(studies):
    """Each probed model once: the base model (ReLU, batch 64, stride 2, BatchNorm on all seven
    layers, epoch 20) appears in every study, trained in the same way, with the same scores."""
    models = {}
    for result in studies.values():
        for variant in result.results:
            key = tuple(np.round(variant.values("alpha_star").ravel(), 12))
            models[key] = variant
    return list(models.values())


def controlled(variant, layer: str) -> float:
    return float(variant.mean("baseline.score")[variant.layer_names.index(layer)])


def test_every_model_has_the_control_the_command_asked_for(studies):
    for result in studies.values():
        assert result.setting == "quick"
        for variant in result.results:
            assert variant.settings["baseline"] == "rotation-permuted"
            assert variant.settings["baseline_width"] == 640
            assert [run.seed for run in variant.runs] == [0, 1, 2]
            for run in variant.runs:
                assert all(layer.baseline["repeats"] == 5 for layer in run.layers)
    assert len(distinct_models(studies)) == 15
    assert "15 distinct models" in CHAPTER


def test_hidden_layer_orders_four_studies_as_the_accuracy(studies):
    def rho(variants, score):
        return spearmanr([score(v) for v in variants], [v.accuracy()[0] for v in variants])[0]

    def ctl_hidden(variant):
        return controlled(variant, "hidden")

    def raw_hidden(variant):
        return float(variant.mean()[-1])

    for name in ("batch-size", "stride", "batchnorm", "epochs"):
        assert rho(studies[name].results, ctl_hidden) == pytest.approx(1.0), name
    assert rho(studies["activations"].results, ctl_hidden) < 1.0
    # raw alpha*: in the accuracy's order for BatchNorm and epochs only
    for name in ("batchnorm", "epochs"):
        assert rho(studies[name].results, raw_hidden) == pytest.approx(1.0), name
    for name in ("batch-size", "stride"):
        assert rho(studies[name].results, raw_hidden) < 1.0, name
    stride2, stride5 = studies["stride"].results
    assert raw_hidden(stride5) >= raw_hidden(stride2)
    b64, b128, _ = studies["batch-size"].results
    assert raw_hidden(b128) > raw_hidden(b64)


def test_step_scores_above_sigmoid_with_every_seed(studies):
    by_label = {v.label: v for v in studies["activations"].results}
    step, sigmoid = by_label["step"], by_label["sigmoid"]
    assert step.accuracy()[0] < sigmoid.accuracy()[0] < 0.25
    step_seeds = step.values("baseline.score")[:, -1]
    sigmoid_seeds = sigmoid.values("baseline.score")[:, -1]
    assert (step_seeds > sigmoid_seeds).all()


def test_conv_blocks_below_null_and_hidden_reaches_it_only_when_accurate(studies):
    for variant in distinct_models(studies):
        assert max(controlled(variant, layer) for layer in CONV) < 0.0, variant.label
        hidden, accuracy = controlled(variant, "hidden"), variant.accuracy()[0]
        if accuracy > 0.93:
            assert hidden > -0.001, variant.label
        else:
            assert accuracy < 0.92 and hidden <= -0.012, variant.label


def test_last_block_above_first_everywhere_most_for_the_step_network(studies):
    rises = {}
    for variant in distinct_models(studies):
        rises[variant.label] = controlled(variant, "blocks.6") - controlled(variant, "blocks.0")
    assert all(0.0 < rise < 0.065 for rise in rises.values()), rises
    assert max(rises, key=rises.get) == "step"
    assert rises["epoch 1"] > 0.01
    assert np.isclose(min(rises.values()), rises["sigmoid"])


def test_retrained_models_differ_from_the_first_run_as_the_chapter_says(studies):
    """The rescoring retrained with one torch thread; the chapter quotes how far that moved them."""
    acc_gap, alpha_gap = 0.0, 0.0
    for name, result in studies.items():
        first = StudyResult.from_dict(
            json.loads((ROOT / "book" / "results" / "mnist1d-quick" / f"{name}.json").read_text())
        )
        for old, new in zip(first.results, result.results, strict=True):
            assert old.label == new.label
            acc_gap = max(acc_gap, abs(old.accuracy()[0] - new.accuracy()[0]))
            alpha_gap = max(alpha_gap, float(np.abs(old.values() - new.values()).max()))
    assert f"{acc_gap:.3f}" == "0.010" and "by\nup to 0.010" in CHAPTER
    assert f"{alpha_gap:.3f}" == "0.054" and "up to 0.054" in CHAPTER
