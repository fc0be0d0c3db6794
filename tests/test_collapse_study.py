"""The NCC study: its claims from hand-made runs, a tiny real run that resumes, the CLI."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from sparsity_widgets.studies.collapse_result import CollapseStudyResult
from sparsity_widgets.studies.collapse_run import CollapseRun

LAYERS = ("input", "a", "b")
EPOCHS = (1, 2, 3, 4)


def make_run(
    seed: int,
    variant: str = "vanilla",
    *,
    lam_end=(0.3, 0.2, 0.1),
    lam_it=None,
    it_epoch: int = 2,
    dataset: str = "toy",
    alpha_end=(0.1, 0.2, 0.3),
) -> CollapseRun:
    """A run whose Lambda on train and test is ``lam_it`` at ``it_epoch`` and ``lam_end`` at
    the last epoch (and 0.5 elsewhere)."""
    lam_it = lam_it or tuple(v + 0.05 for v in lam_end)
    curve = np.full((len(LAYERS), len(EPOCHS)), 0.5)
    curve[:, EPOCHS.index(it_epoch)] = lam_it
    curve[:, -1] = lam_end
    return CollapseRun(
        dataset=dataset,
        variant=variant,
        seed=seed,
        layers=LAYERS,
        epochs=EPOCHS,
        train_accuracy=(0.5, 1.0, 1.0, 1.0),
        test_accuracy=(0.5, 0.8, 0.85, 0.9),
        lambda_train=curve,
        lambda_test=curve,
        nc1=np.ones_like(curve),
        ncc_accuracy_test=np.full_like(curve, 0.7),
        it_epoch=it_epoch,
        it_reached=True,
        alpha_it=(0.1, 0.1, 0.1),
        alpha_end=alpha_end,
        history_test_accuracy=(0.5, 0.8, 0.95, 0.9),
    )


# ------------------------------------------------------------------------- claims by hand
def test_layer_ordering_counts_pairs_and_seeds():
    runs = [make_run(0), make_run(1, lam_end=(0.3, 0.35, 0.1))]  # seed 1: input < a
    result = CollapseStudyResult("custom", runs)
    order = result.layer_ordering("toy", "vanilla", "test")
    first, second = order["pairs"]
    assert (first["upper"], first["lower"], first["holds"], first["seeds"]) == ("input", "a", 1, 2)
    assert first["difference"]["mean"] == pytest.approx((0.1 - 0.05) / 2)
    assert first["difference"]["std"] == pytest.approx(0.075)
    assert second["holds"] == 2
    assert (order["holds"], order["total"]) == (3, 4)


def test_ncc_improvement_uses_each_seeds_it():
    runs = [
        make_run(0, it_epoch=2, lam_it=(0.4, 0.3, 0.2)),
        make_run(1, it_epoch=3, lam_it=(0.4, 0.1, 0.05)),  # layers a, b got worse after IT
    ]
    better = CollapseStudyResult("custom", runs).ncc_improvement("toy", "vanilla", "train")
    assert better["it_epochs"] == [2, 3]
    holds = [row["holds"] for row in better["layers"]]
    assert holds == [2, 1, 1]
    assert better["layers"][1]["difference"]["mean"] == pytest.approx(
        ((0.3 - 0.2) + (0.1 - 0.2)) / 2
    )
    assert (better["holds"], better["total"]) == (4, 6)


def test_accuracy_table_and_best_after_it():
    runs = [make_run(0), make_run(1, it_epoch=3), make_run(0, "svsl")]
    rows = CollapseStudyResult("custom", runs).accuracy_table()
    vanilla = rows[0]
    assert (vanilla["variant"], vanilla["seeds"]) == ("vanilla", 2)
    assert vanilla["at_it"]["mean"] == pytest.approx((0.8 + 0.85) / 2)
    assert vanilla["at_end"]["mean"] == pytest.approx(0.9)
    assert vanilla["best"]["mean"] == pytest.approx(0.95)
    # the best epoch is 3: after an IT at 2, not after an IT at 3
    assert vanilla["best_after_it"] == 1
    assert rows[1]["variant"] == "svsl"


def test_alpha_and_lambda_agreement():
    runs = [make_run(0, alpha_end=(0.1, 0.2, 0.3))]  # Lambda falls as alpha* rises
    together = CollapseStudyResult("custom", runs).alpha_and_lambda("toy", "vanilla")
    assert together["spearman"] == pytest.approx(1.0)
    runs = [make_run(0, alpha_end=(0.3, 0.2, 0.1))]
    assert CollapseStudyResult("custom", runs).alpha_and_lambda("toy", "vanilla")[
        "spearman"
    ] == pytest.approx(-1.0)
    runs = [make_run(0, alpha_end=(0.2, 0.2, 0.2))]
    assert (
        CollapseStudyResult("custom", runs).alpha_and_lambda("toy", "vanilla")["spearman"] is None
    )


def test_markdown_shows_the_tallies():
    result = CollapseStudyResult("custom", [make_run(0), make_run(1), make_run(0, "svsl")])
    text = result.markdown()
    assert "| toy | vanilla | 2.0 | 80.00 ± 0.00 | 90.00 ± 0.00 | 95.00 ± 0.00 | 2 of 2 |" in text
    assert "| toy | vanilla | test | 4 of 4 | 6 of 6 | 1.00 |" in text


# ------------------------------------------------------------------------- JSON
def test_result_round_trips_and_refuses_edited_claims(tmp_path):
    result = CollapseStudyResult("custom", [make_run(0), make_run(1), make_run(0, "svsl")])
    files = result.save(tmp_path)
    assert [f.name for f in files][:2] == ["collapse-custom.json", "collapse-custom.md"]
    back = CollapseStudyResult.from_json(tmp_path / "collapse-custom.json")
    assert back == result
    data = json.loads((tmp_path / "collapse-custom.json").read_text())
    data["claims"]["datasets"]["toy"]["vanilla"]["layer_ordering"]["test"]["holds"] = 0
    with pytest.raises(ValueError, match=r"claims.*recomputed from the runs"):
        CollapseStudyResult.from_dict(data, source="edited.json")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda r: r.update(lambda_test=r["lambda_test"][:-1]), r"lambda_test must have shape"),
        (lambda r: r.update(it_epoch=7), "it_epoch must be a checkpoint epoch"),
        (lambda r: r.update(seed="zero"), r"runs\[0\]\.seed"),
        (lambda r: r["planes"].update(x=[]), "epoch numbers as keys; found .x."),
    ],
)
def test_damaged_run_is_a_clear_error(edit, message):
    data = CollapseStudyResult("custom", [make_run(0)]).to_dict()
    edit(data["runs"][0])
    with pytest.raises(ValueError, match=message):
        CollapseStudyResult.from_dict(data, source="damaged.json")


def test_duplicate_runs_are_refused():
    with pytest.raises(ValueError, match="twice"):
        CollapseStudyResult("custom", [make_run(0), make_run(0)])


# ------------------------------------------------------------------------- a tiny real run
torch = pytest.importorskip("torch")

from sparsity_widgets.grid import GridError  # noqa: E402
from sparsity_widgets.probe import ProbeSettings  # noqa: E402
from sparsity_widgets.studies import collapse_study  # noqa: E402
from sparsity_widgets.studies.collapse_settings import (  # noqa: E402
    SETTINGS,
    CollapseSetting,
    collapse_setting,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = CollapseSetting(
    name="tiny",
    tasks=(
        replace(
            SETTINGS["quick"].tasks[0],
            model_options={"channels": 4, "hidden": 16},
            epochs=3,
            dataset_options={"n_train": 300, "n_test": 200},
        ),
    ),
    seeds=(0,),
    picture_every=2,
)
FOREST = ProbeSettings(n_trees=1, max_depth=6)


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    out = tmp_path_factory.mktemp("ncc")
    return out, collapse_study.run_collapse_study(
        TINY, out_dir=out, probe_settings=FOREST, device="cpu", progress=False
    )


def test_tiny_study_writes_its_files_and_reads_back(tiny_study):
    out, result = tiny_study
    assert {f.name for f in out.iterdir()} >= {
        "collapse-tiny.json",
        "collapse-tiny.md",
        "collapse-tiny.png",
        "cells",
        "runs",
    }
    assert CollapseStudyResult.from_json(out / "collapse-tiny.json") == result
    assert [(r.variant, r.seed) for r in result.runs] == [("vanilla", 0), ("svsl", 0)]
    run = result.runs[0]
    assert run.layers[0] == "input" and run.layers[-1] == "hidden"
    assert run.epochs == (1, 2, 3)
    assert set(run.planes) == {2, 3} | {run.it_epoch}  # every 2nd, the IT and the end
    assert all(len(p) == len(run.layers) for p in run.planes.values())
    # the input's Lambda at the IT compares the raw inputs' NCC with the network's predictions
    assert 0 <= run.at("lambda_test", run.it_epoch)[0] <= 1


def test_cells_hold_the_checkpoints_metrics_and_the_it_rule(tiny_study):
    out, result = tiny_study
    from sparsity_widgets.probe import CollapseOverTraining

    cells = [json.loads(f.read_text()) for f in sorted((out / "cells").glob("*.json"))]
    (cell,) = [c for c in cells if c["parameters"]["variant"] == "vanilla"]
    assert cell["function"] == "sparsity_widgets.studies.collapse_study:collapse_cell"
    assert cell["parameters"]["seed"] == 0 and cell["parameters"]["train_threads"] == 1
    data = cell["result"]
    over = CollapseOverTraining.from_dict(data["over"])
    accuracy = [p.train_accuracy for p in over.probes]
    want = next((e for e, a in zip(over.epochs, accuracy, strict=True) if a == 1.0), None)
    if want is None:
        want = over.epochs[int(np.argmax(accuracy))]
    assert result.runs[0].it_epoch == want
    np.testing.assert_array_equal(
        result.runs[0].curve("lambda_train")[1],
        [p[over.layers[1]].ncc_mismatch_train for p in over.probes],
    )


def test_rerun_reuses_every_cell(tiny_study, monkeypatch):
    out, result = tiny_study

    def no_training(*args, **kwargs):
        raise AssertionError("a finished cell was computed again")

    monkeypatch.setattr(collapse_study, "_run_cell", no_training)
    again = collapse_study.run_collapse_study(
        TINY, out_dir=out, probe_settings=FOREST, device="cpu", progress=False
    )
    assert again == result


def test_interrupted_study_computes_only_the_missing_cells(tmp_path, monkeypatch):
    real = collapse_study._run_cell
    calls = []

    def fail_on_svsl(task, variant, seed, *args, **kwargs):
        calls.append(variant)
        if variant == "svsl" and len(calls) == 2:
            raise ValueError("stopped")
        return real(task, variant, seed, *args, **kwargs)

    monkeypatch.setattr(collapse_study, "_run_cell", fail_on_svsl)
    with pytest.raises(GridError, match=r"1 of 2 grid cell\(s\) failed(.|\n)*svsl(.|\n)*stopped"):
        collapse_study.run_collapse_study(
            TINY, out_dir=tmp_path, probe_settings=FOREST, device="cpu", progress=False
        )
    assert len(list((tmp_path / "cells").glob("*[0-9a-f].json"))) == 1
    assert len(list((tmp_path / "cells").glob("*.error.json"))) == 1
    collapse_study.run_collapse_study(
        TINY, out_dir=tmp_path, probe_settings=FOREST, device="cpu", progress=False
    )
    assert calls == ["vanilla", "svsl", "svsl"]


@pytest.mark.slow
def test_the_study_gives_the_same_json_on_loky(tiny_study, tmp_path):
    """Two loky workers (one thread each) against the sequential run in this process: equal
    summaries, since every cell trains with the grid's TRAIN_THREADS torch threads."""
    out, result = tiny_study
    other = collapse_study.run_collapse_study(
        TINY,
        out_dir=tmp_path,
        probe_settings=FOREST,
        device="cpu",
        progress=False,
        backend="loky",
        workers=2,
    )
    assert other == result
    assert (tmp_path / "collapse-tiny.json").read_text() == (out / "collapse-tiny.json").read_text()


def test_settings_and_bad_input():
    quick = collapse_setting("quick")
    assert [t.dataset for t in quick.tasks] == ["mnist1d", "digits"]
    assert quick.seeds == (0, 1, 2)
    assert collapse_setting("quick", seeds=[4]).seeds == (4,)
    with pytest.raises(ValueError, match="setting must be one of"):
        collapse_setting("medium")
    with pytest.raises(ValueError, match="distinct non-negative"):
        collapse_setting("quick", seeds=[1, 1])
    with pytest.raises(
        ValueError, match=r"reads mnist, fashion-mnist, cifar10, stl10 from --data-dir"
    ):
        collapse_study.run_collapse_study("full", out_dir="unused", progress=False)


def test_cli_runs_the_study(tmp_path, monkeypatch, capsys):
    from sparsity_widgets.cli import main

    seen = {}

    def fake(setting, **kwargs):
        seen.update(kwargs, setting=setting)
        return CollapseStudyResult("quick", [make_run(0)])

    monkeypatch.setattr(collapse_study, "run_collapse_study", fake)
    main(["study", "collapse", "--seeds", "0,1", "--out", str(tmp_path)])
    assert seen["setting"] == "quick" and seen["seeds"] == (0, 1)
    assert "| toy | vanilla |" in capsys.readouterr().out
    assert main(["study", "stride", "--data-dir", str(tmp_path), "--out", str(tmp_path / "x")])
    assert "--data-dir applies to the studies collapse, good-bad" in capsys.readouterr().err
