"""The collapse window (a browser widget): its twin against the kernel explorer's numbers, its
Python side and bad input. The JavaScript is compared with the twin in
``tests/test_widgets_static.py::test_every_twin_matches_its_javascript`` and in the built book
(``tests/test_book.py::test_every_browser_widget_answers_offline``)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sparsity_widgets.studies.collapse_result import CollapseStudyResult
from sparsity_widgets.widgets.browser.collapse_window import (
    BOTH,
    collapse_payload,
    collapse_shown,
    spread,
)

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "book" / "results" / "collapse-quick" / "collapse-quick.json"


@pytest.fixture(scope="module")
def study() -> CollapseStudyResult:
    return CollapseStudyResult.from_json(STUDY)


def test_twin_equals_the_kernel_explorers_numbers(study):
    from sparsity_widgets.widgets.collapse_explorer import compute_collapse_state

    for dataset in study.datasets:
        payload = collapse_payload(study, dataset)
        epochs = payload["epochs"]
        for layer in (0, len(payload["layers"]) // 2, len(payload["layers"]) - 1):
            for e in (0, len(epochs) // 3, len(epochs) - 1):
                state = {"study": payload, "layer": layer, "epoch_index": e, "variant": BOTH}
                shown = collapse_shown(state)
                kernel = compute_collapse_state(study, dataset, BOTH, layer, epochs[e])
                assert shown["ok"] and shown["layer_name"] == kernel.layer
                for series in kernel.series:
                    mine = shown["variants"][series.variant]
                    assert mine["seeds"] == list(series.seeds)
                    for key, (mean, std) in series.at_epoch.items():
                        # numpy sums pairwise, the twin in order: equal to rounding
                        assert mine[key] == pytest.approx([mean, std], rel=1e-12, abs=1e-15)
                    assert mine["alpha_it"] == pytest.approx(list(series.alpha_it), rel=1e-12)
                    assert mine["alpha_end"] == pytest.approx(list(series.alpha_end), rel=1e-12)
                    for key in ("lambda_train", "lambda_test", "nc1"):
                        np.testing.assert_allclose(
                            mine[f"{key}_curve"], series.curves[key][0], rtol=1e-12
                        )


def test_twin_says_why_a_setting_has_no_numbers(study):
    payload = collapse_payload(study, study.datasets[0])
    base = {"study": payload, "layer": 0, "epoch_index": 0, "variant": "vanilla"}
    assert collapse_shown(base)["ok"]
    assert list(collapse_shown(base)["variants"]) == ["vanilla"]
    wrong_layer = collapse_shown({**base, "layer": 99})
    assert not wrong_layer["ok"] and wrong_layer["message"].startswith("layer must be a position")
    wrong_epoch = collapse_shown({**base, "epoch_index": -1})
    assert "epoch_index must be a position in [0, 59]" in wrong_epoch["message"]
    wrong_variant = collapse_shown({**base, "variant": "adam"})
    assert "variant must be one of ['vanilla', 'svsl', 'both']" in wrong_variant["message"]
    assert json.dumps(payload, allow_nan=False)  # the state the page stores is strict JSON


def test_spread_is_numpys_mean_and_std():
    values = [0.1, 0.25, 0.7]
    mean, std = spread(values)
    assert mean == pytest.approx(np.mean(values), rel=1e-15)
    assert std == pytest.approx(np.std(values), rel=1e-15)
    assert all(math.isnan(v) for v in spread([0.1, math.nan]))


def test_window_python_side(study):
    pytest.importorskip("anywidget")
    from sparsity_widgets.widgets import CollapseWindow

    window = CollapseWindow(study, dataset="digits", layer="pool")
    assert window.study["dataset"] == "digits" and window.variant == BOTH
    assert window.epoch_index == len(window.study["epochs"]) - 1
    assert window.result["layer_name"] == "pool"
    window.layer = 0  # a move with a kernel: Python checks it
    assert window.python_check["settings"]["layer"] == 0
    assert window.python_check["shown"]["layer_name"] == "input"
    # measured: 335 KB for digits (11 layers x 60 epochs x 3 seeds x 2 variants), 146 KB for
    # MNIST-1D (9 layers); the bound catches a payload that grows by an order, not a digit
    size = len(json.dumps(window.study))
    assert size < 500_000, size
    from_path = CollapseWindow(STUDY, variant="svsl", epoch=1)
    assert from_path.epoch_index == 0 and list(from_path.result["variants"]) == ["svsl"]
    assert CollapseWindow(study, layer=np.int64(2)).layer == 2  # a numpy position is a position
    with pytest.raises(ValueError, match="layer must be one of"):
        CollapseWindow(study, layer="conv9")
    with pytest.raises(ValueError, match=r"layer must be a name of .* or a position in \[0, 8\]"):
        CollapseWindow(study, layer=9)
    with pytest.raises(ValueError, match="or a position in"):
        CollapseWindow(study, layer=True)
    with pytest.raises(ValueError, match="epoch must be a checkpoint epoch"):
        CollapseWindow(study, epoch=1000)
    with pytest.raises(ValueError, match="variant must be one of"):
        CollapseWindow(study, variant="adam")
    with pytest.raises(ValueError, match="dataset must be one of"):
        CollapseWindow(study, dataset="cifar10")
    with pytest.raises(ValueError, match="result must be a CollapseStudyResult"):
        CollapseWindow(12)


def test_twin_imports_without_widget_libraries():
    code = (
        "import sys; import sparsity_widgets.widgets.browser.collapse_window as c; "
        "assert 'ipywidgets' not in sys.modules and 'anywidget' not in sys.modules; "
        "assert 'torch' not in sys.modules; print(c.collapse_shown.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
