"""The runner of the image-network studies (sparsity_widgets.studies.networks): variants and
studies are checked, a tiny study trains, probes, saves and reads back, a rerun computes only
the missing cells, and two loky workers write the JSON the sequential run writes."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from sparsity_widgets._schema import SavedResultError
from sparsity_widgets.studies.networks import (
    NETWORK_STUDIES,
    NetworkStudy,
    NetworkStudyResult,
    NetworkVariant,
    define_network_study,
)

torch = pytest.importorskip("torch")

from sparsity_widgets.probe import ProbeSettings  # noqa: E402
from sparsity_widgets.studies import networks  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = NetworkStudy(
    name="tiny",
    setting="custom",
    data="scikit-learn digits, 300 training samples",
    variants=(
        NetworkVariant(
            "narrow MLP",
            "mlp",
            "digits",
            epochs=2,
            model_options={"hidden": [8]},
            dataset_options={"n_train": 300, "n_test": 100},
            group="a",
        ),
        NetworkVariant(
            "wide MLP at epoch 1",
            "mlp",
            "digits",
            epochs=2,
            probe_epoch=1,
            model_options={"hidden": [16, 8]},
            dataset_options={"n_train": 300, "n_test": 100},
            layers=("hidden.0",),
            group="b",
        ),
    ),
    seeds=(0, 1),
    probe_options={"clustering": True},
)
FOREST = ProbeSettings(n_trees=1, max_depth=5)


def _without_timings(data: dict) -> dict:
    """A saved study without the measured seconds of each layer's probe."""
    for result in data["results"]:
        for run in result["runs"]:
            for layer in run["layers"]:
                layer.pop("seconds")
    return data


def test_variants_and_studies_refuse_bad_definitions():
    with pytest.raises(ValueError, match="must not hold 'root'; the data folder is passed"):
        NetworkVariant("x", "mlp", "digits", epochs=1, dataset_options={"root": "/data"})
    with pytest.raises(ValueError, match="probe_epoch of variant 'x' must be between 1 and"):
        NetworkVariant("x", "mlp", "digits", epochs=2, probe_epoch=3)
    with pytest.raises(ValueError, match="variant labels of study 'tiny' must differ"):
        replace(TINY, variants=(TINY.variants[0], TINY.variants[0]))
    with pytest.raises(ValueError, match="at least one seed"):
        replace(TINY, seeds=())
    with pytest.raises(ValueError, match="study must be one of 'good-bad'"):
        define_network_study("good-and-bad")
    with pytest.raises(ValueError, match="setting must be one of 'quick', 'full'"):
        define_network_study("good-bad", "medium")


@pytest.mark.parametrize("name", list(NETWORK_STUDIES))
def test_every_study_is_defined_in_both_settings(name):
    quick, full = define_network_study(name, "quick"), define_network_study(name, "full")
    assert (quick.name, quick.setting, full.setting) == (name, "quick", "full")
    assert not quick.needs_data_dir and full.needs_data_dir
    with pytest.raises(ValueError, match=f"data_dir must name the folder .* study '{name}'"):
        networks.run_network_study(name, setting="full", out_dir="unused", progress=False)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("networks")
    result = networks.run_network_study(
        TINY, out_dir=out, probe_settings=FOREST, device="cpu", progress=False
    )
    return out, result


def test_a_tiny_study_trains_probes_and_saves(tiny_run):
    out, result = tiny_run
    assert {p.name for p in out.iterdir()} >= {"tiny.json", "tiny.md", "tiny.png", "cells", "runs"}
    assert [r.label for r in result.results] == ["narrow MLP", "wide MLP at epoch 1"]
    narrow, wide = result.results
    assert narrow.layer_names == ["input", "hidden.0"] and wide.layer_names == ["hidden.0"]
    assert [run.seed for run in narrow.runs] == [0, 1]
    assert [run.epoch for run in wide.runs] == [1, 1]
    assert all(0 <= run.test_accuracy <= 1 for r in result.results for run in r.runs)
    layer = narrow.runs[0].layers[1]
    assert set(layer.clustering) >= {"adjusted_rand", "fowlkes_mallows"}  # probe_options
    assert narrow.settings["n_trees"] == 1 and narrow.settings["clustering"] is True
    assert result.variants[1]["group"] == "b" and result.variants[1]["probe_epoch"] == 1
    assert len(list((out / "cells").glob("*.json"))) == 4
    assert len(list((out / "runs").iterdir())) == 4  # one training run per (variant, seed)
    assert NetworkStudyResult.from_json(out / "tiny.json") == result
    table = (out / "tiny.md").read_text()
    assert table.startswith("tiny, custom setting: scikit-learn digits, 300 training samples")
    assert "**wide MLP at epoch 1** (test accuracy" in table


def test_a_rerun_computes_only_the_missing_cells(tiny_run, monkeypatch):
    out, result = tiny_run
    calls = []
    real = networks.train_and_probe_network

    def counting(config, epoch, *args, **kwargs):
        calls.append((config["model_options"]["hidden"], config["seed"]))
        return real(config, epoch, *args, **kwargs)

    monkeypatch.setattr(networks, "train_and_probe_network", counting)
    # the grid resolves the cell's function by name, at run time: the patch is seen
    again = networks.run_network_study(
        TINY, out_dir=out, probe_settings=FOREST, device="cpu", progress=False
    )
    assert calls == [] and again == result
    cells = sorted((out / "cells").glob("*.json"))
    lost = next(p for p in cells if json.loads(p.read_text())["parameters"]["config"]["seed"] == 1)
    hidden = json.loads(lost.read_text())["parameters"]["config"]["model_options"]["hidden"]
    lost.unlink()
    again = networks.run_network_study(
        TINY, out_dir=out, probe_settings=FOREST, device="cpu", progress=False
    )
    assert calls == [(hidden, 1)]  # only the lost cell, from its saved training run
    assert _without_timings(again.to_dict()) == _without_timings(result.to_dict())


def test_two_loky_workers_write_the_same_json(tiny_run, tmp_path):
    out, _ = tiny_run
    networks.run_network_study(
        TINY,
        out_dir=tmp_path,
        probe_settings=FOREST,
        device="cpu",
        progress=False,
        backend="loky",
        workers=2,
    )

    saved = [json.loads((folder / "tiny.json").read_text()) for folder in (tmp_path, out)]
    assert _without_timings(saved[0]) == _without_timings(saved[1])


def test_a_damaged_result_names_the_file_and_the_key(tiny_run, tmp_path):
    out, result = tiny_run
    data = result.to_dict()
    data["variants"] = data["variants"][:1]
    with pytest.raises(SavedResultError, match=r"variants: expected one entry per result \(2\)"):
        NetworkStudyResult.from_dict(data, source="x.json")
    data = result.to_dict()
    data["results"][0]["runs"][0]["layers"][0]["alpha_star"] = "high"
    with pytest.raises(SavedResultError, match=r"results\[0\]\.runs\[0\]\.layers\[0\]"):
        NetworkStudyResult.from_dict(data)
    path = tmp_path / "tiny.json"
    path.write_text((out / "tiny.json").read_text()[:100])
    with pytest.raises(SavedResultError, match=r"tiny\.json.*invalid JSON.*study again"):
        NetworkStudyResult.from_json(path)
    with pytest.raises(KeyError, match="label must be one of"):
        result.result("medium MLP")
