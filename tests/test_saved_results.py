"""Saved results are validated on reading: errors name the file, the key, what was expected.

Damaged files are made from a good one: a key removed, a value of the wrong type, the text cut
short. Nothing missing may load as NaN; the files committed under book/results still load.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from sparsity_widgets._schema import SavedResultError
from sparsity_widgets.probe.result import LayerScore, ProbeResult, SeedRun
from sparsity_widgets.studies.mnist1d import StudyResult
from sparsity_widgets.studies.width_reduction import WidthStudyResult

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book" / "results"


def layer(name: str, alpha: float = 0.2, **changes) -> LayerScore:
    fields = {
        "name": name,
        "kind": "conv",
        "width": 8,
        "scored_width": 8,
        "reduction": "none",
        "tau_star": 1 / (alpha + 0.5),
        "alpha_star": alpha,
        "taus": [0.5, 1.0, 1.5],
        "log_sparsity": [math.inf, 2.0, 1.0],
        "selected_taus": [1.0],
        "n_wavelets": 7,
        "seconds": 0.25,
        "log_inverse_sum": [3.0, 2.0, 1.0],
    }
    return LayerScore(**(fields | changes))


@pytest.fixture
def result() -> ProbeResult:
    runs = [
        SeedRun(
            seed=seed,
            layers=[layer(n, 0.1 * (j + 1) + 0.01 * seed) for j, n in enumerate("abcd")],
            test_accuracy=0.9,
            epoch=3,
        )
        for seed in (0, 1)
    ]
    return ProbeResult("toy", "mlp", "toy", {"n_trees": 3, "eps": (0.1, 0.2)}, runs)


def save(tmp_path: Path, data, name: str = "result.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def where(path: Path, key: str) -> str:
    """A pattern that requires the file and the key path, in this order."""
    return re.escape(str(path)) + r" at " + re.escape(key) + r"(?![\w.\[])"


# ------------------------------------------------------------------ the cases of the issue
def test_a_result_without_label(result, tmp_path):
    data = result.to_dict()
    del data["label"]
    path = save(tmp_path, data)
    with pytest.raises(ValueError, match=where(path, "label") + r": expected a string; found no"):
        ProbeResult.from_json(path)


def test_a_layer_without_name(result, tmp_path):
    data = result.to_dict()
    del data["runs"][1]["layers"][2]["name"]
    path = save(tmp_path, data)
    with pytest.raises(SavedResultError, match=where(path, "runs[1].layers[2].name")):
        ProbeResult.from_json(path)


def test_a_truncated_file(result, tmp_path):
    path = result.to_json(tmp_path / "result.json")
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match=re.escape(str(path)) + r".*truncated or damaged"):
        ProbeResult.from_json(path)
    path.write_text("")
    with pytest.raises(ValueError, match=re.escape(str(path)) + r".*empty file"):
        ProbeResult.from_json(path)
    path.write_bytes(b'{"label": "\xff"}')
    with pytest.raises(ValueError, match=re.escape(str(path)) + r".*not UTF-8"):
        ProbeResult.from_json(path)


def test_a_missing_alpha_star_is_an_error_not_nan(result, tmp_path):
    data = result.to_dict()
    del data["runs"][0]["layers"][3]["alpha_star"]
    path = save(tmp_path, data)
    with pytest.raises(ValueError, match=where(path, "runs[0].layers[3].alpha_star")):
        ProbeResult.from_json(path)


def test_a_null_alpha_star_needs_the_reason(result, tmp_path):
    data = result.to_dict()
    data["runs"][0]["layers"][1]["alpha_star"] = None
    path = save(tmp_path, data)
    with pytest.raises(ValueError, match=where(path, "runs[0].layers[1].alpha_star") + ".*'error'"):
        ProbeResult.from_json(path)
    # a failed estimate is saved as null with the reason, and loads as NaN
    data["runs"][0]["layers"][1].update(tau_star=None, error="no tau fell in the window")
    again = ProbeResult.from_json(save(tmp_path, data))
    assert math.isnan(again.runs[0].layers[1].alpha_star)
    assert again.runs[0].layers[1].error == "no tau fell in the window"


# ------------------------------------------------------------------ types, lengths, keys
@pytest.mark.parametrize(
    ("damage", "key", "message"),
    [
        (lambda d: d.update(schema="other/1"), "schema", "not a probe result"),
        (lambda d: d.pop("runs"), "runs", "expected a list"),
        (lambda d: d.update(settings=[1]), "settings", "expected an object"),
        (lambda d: d.update(extra=1), "", r"unknown key\(s\) \['extra'\]"),
        (lambda d: d["runs"][0].update(seed="0"), "runs[0].seed", "the string '0'"),
        (lambda d: d["runs"][0].update(layers=[]), "runs[0].layers", "an empty list"),
        (lambda d: d["runs"][1].update(test_accuracy="high"), "runs[1].test_accuracy", "number"),
        (lambda d: d["runs"][0]["layers"][0].update(width=True), "runs[0].layers[0].width", "true"),
        (lambda d: d["runs"][0]["layers"][0].update(width=8.5), "runs[0].layers[0].width", "8.5"),
        (
            lambda d: d["runs"][0]["layers"][0].update(log_sparsity=[1.0]),
            "runs[0].layers[0].log_sparsity",
            "3 item",
        ),
        (
            lambda d: d["runs"][0]["layers"][0].update(taus=[0.5, "x", 1.5]),
            "runs[0].layers[0].taus[1]",
            "finite number",
        ),
        (
            lambda d: d["runs"][0]["layers"][2].update(colour="red"),
            "runs[0].layers[2]",
            r"unknown key\(s\) \['colour'\]",
        ),
        (
            lambda d: d["runs"][0]["layers"][2].update(clustering={"ari": "x"}),
            "runs[0].layers[2].clustering.ari",
            "number or null",
        ),
        (
            lambda d: d["runs"][0]["layers"][2].update(
                umap={"indices": [0, 1], "embedding": [[0.0, 1.0], [2.0]], "labels": [0, 1]}
            ),
            "runs[0].layers[2].umap.embedding[1]",
            "2 item",
        ),
    ],
)
def test_damaged_fields_name_the_key(result, tmp_path, damage, key, message):
    data = result.to_dict()
    damage(data)
    path = save(tmp_path, data)
    pattern = re.escape(str(path)) + (f" at {re.escape(key)}" if key else "") + ".*" + message
    with pytest.raises(SavedResultError, match=pattern):
        ProbeResult.from_json(path)


def test_errors_without_a_file_still_name_the_key(result):
    data = result.to_dict()
    data["runs"][0]["layers"][0]["kind"] = 3
    with pytest.raises(ValueError, match=r"invalid probe result at runs\[0\]\.layers\[0\]\.kind"):
        ProbeResult.from_dict(data)
    with pytest.raises(ValueError, match=r"invalid probe result \(top level\): expected an obj"):
        ProbeResult.from_dict([])


# ------------------------------------------------------------------ what stays optional
def test_round_trip_and_optional_fields(result, tmp_path):
    again = ProbeResult.from_json(result.to_json(tmp_path / "result.json"))
    assert again == result
    assert again.runs[0].layers[0].log_sparsity[0] == math.inf  # null in the file
    data = result.to_dict()
    data["runs"][0]["layers"][0]["log_inverse_sum"] = None  # written before the field existed
    del data["runs"][0]["layers"][1]["log_inverse_sum"]
    for key in ("clustering", "linear_probe_accuracy", "umap", "error"):
        data["runs"][1]["layers"][0].pop(key)
    for key in ("test_accuracy", "train_accuracy", "source", "epoch"):
        data["runs"][1].pop(key)
    loaded = ProbeResult.from_json(save(tmp_path, data))
    assert loaded.runs[0].layers[0].log_inverse_sum is None
    assert loaded.runs[1].test_accuracy is None and loaded.runs[1].layers[0].error is None


def test_a_study_probe_cache_file_names_itself(result, tmp_path):
    path = save(tmp_path, result.runs[0].to_dict(), "abc-epoch20-def.json")
    assert SeedRun.from_json(path) == result.runs[0]
    path.write_text(path.read_text()[:-40])
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*truncated"):
        SeedRun.from_json(path)


# ------------------------------------------------------------------ studies
def test_a_damaged_study_names_file_and_key(result, tmp_path):
    study = StudyResult(study="tiny", setting="quick", results=[result, result])
    path = save(tmp_path, study.to_dict(), "tiny.json")
    assert StudyResult.from_json(path) == study
    data = study.to_dict()
    del data["results"][1]["runs"][0]["layers"][2]["alpha_star"]
    path = save(tmp_path, data, "tiny.json")
    with pytest.raises(
        ValueError, match=where(path, "results[1].runs[0].layers[2].alpha_star") + ".*study again"
    ):
        StudyResult.from_json(path)
    with pytest.raises(ValueError, match=r"invalid MNIST-1D study at study: expected a string"):
        StudyResult.from_dict({"study": None, "setting": "quick", "results": []})


def test_the_committed_results_still_load():
    for path in sorted((BOOK / "mnist1d-quick").glob("*.json")):
        study = StudyResult.from_json(path)
        assert study.results and StudyResult.from_dict(study.to_dict()) == study
        assert study.study == path.stem
    width = WidthStudyResult.from_json(BOOK / "width-reduction.json")
    assert width.rows and width.full_width(width.rows[0]["source"], width.rows[0]["layer"])
    assert json.loads((BOOK / "frames-conv-quick.json").read_text())["rows"]


def test_a_damaged_width_study(tmp_path):
    data = json.loads((BOOK / "width-reduction.json").read_text())
    del data["rows"][4]["alpha_mean"]
    path = save(tmp_path, data, "width-reduction.json")
    with pytest.raises(ValueError, match=where(path, "rows[4].alpha_mean")):
        WidthStudyResult.from_json(path)
    data["schema"] = "sparsity_widgets.probe/1"
    with pytest.raises(ValueError, match="not a width study"):
        WidthStudyResult.from_dict(data)


# ------------------------------------------------------------------ training files
def test_a_damaged_training_config_and_history(tmp_path):
    pytest.importorskip("torch")
    from sparsity_widgets.training import TrainConfig, TrainingHistory

    config = TrainConfig(model="mlp", dataset="digits", epochs=2)
    data = config.to_dict()
    assert TrainConfig.from_dict(json.loads(json.dumps(data))) == config
    path = tmp_path / "config.json"
    short = {k: v for k, v in data.items() if k != "lr"}
    with pytest.raises(ValueError, match=re.escape(str(path)) + r".*no field\(s\) \['lr'\]"):
        TrainConfig.from_dict(short, source=path)
    with pytest.raises(
        ValueError, match=re.escape(str(path)) + r".*epochs must be an integer >= 1; got 0"
    ):
        TrainConfig.from_dict({**data, "epochs": 0}, source=path)

    history = TrainingHistory()
    history.append(1, 0.5, 0.8, 0.7, 1.0)
    history.append(2, math.nan, 0.9, 0.8, 1.0)  # a diverged loss is kept as NaN
    again = TrainingHistory.from_dict(json.loads(json.dumps(history.to_dict())))
    assert again.epochs == [1, 2] and math.isnan(again.train_loss[1])
    bad = history.to_dict() | {"seconds": [1.0]}
    path = tmp_path / "history.json"
    with pytest.raises(ValueError, match=where(path, "seconds") + ": expected 2 item"):
        TrainingHistory.from_dict(bad, source=path)
    with pytest.raises(ValueError, match=where(path, "epochs[0]") + ": expected an integer"):
        TrainingHistory.from_dict(history.to_dict() | {"epochs": [1.0, 2]}, source=path)
