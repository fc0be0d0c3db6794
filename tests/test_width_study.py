"""The width-reduction study (quick setting) and the latent-class generator it uses."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from sparsity_widgets.datasets import make_latent_classes
from sparsity_widgets.studies.width_reduction import (
    REDUCTION_METHODS,
    WIDTH_SETTINGS,
    WidthStudyResult,
)


def test_latent_classes_are_seeded_float32_and_separable_in_few_directions():
    X, y = make_latent_classes(2000, 64, n_classes=4, latent_dim=3, random_state=5)
    again, y_again = make_latent_classes(2000, 64, n_classes=4, latent_dim=3, random_state=5)
    assert X.dtype == np.float32 and X.shape == (2000, 64) and set(np.unique(y)) == {0, 1, 2, 3}
    np.testing.assert_array_equal(X, again)
    np.testing.assert_array_equal(y, y_again)
    # the class means span at most latent_dim directions: the 4th singular value is noise
    means = np.array([X[y == c].mean(axis=0) for c in range(4)])
    s = np.linalg.svd(means - means.mean(axis=0), compute_uv=False)
    assert s[2] > 10 * s[3]
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        make_latent_classes(10, 5, n_classes=1)


@pytest.fixture(scope="module")
def quick_study(tmp_path_factory):
    from sparsity_widgets.cli import main

    out = tmp_path_factory.mktemp("width")
    assert main(["study", "width-reduction", "--setting", "quick", "--out", str(out)]) == 0
    return out, WidthStudyResult.from_dict(json.loads((out / "width-reduction.json").read_text()))


def test_quick_study_scores_every_method_at_every_usable_width(quick_study):
    _, result = quick_study
    setting = WIDTH_SETTINGS["quick"]
    layers = {(r["source"], r["layer"]) for r in result.rows}
    assert {source for source, _ in layers} == {"mnist1d-cnn", "digits-mlp", "latent-synthetic"}
    for source, layer in layers:
        full = result.full_width(source, layer)
        assert full["width_out"] == full["width_in"] and len(full["alpha"]) == setting.n_seeds
        usable = [w for w in setting.widths if w < min(full["width_in"], full["n_samples"])]
        rows = [r for r in result.rows if (r["source"], r["layer"]) == (source, layer)]
        assert len(rows) == 1 + len(usable) * len(REDUCTION_METHODS)
        for row in rows:
            assert np.all(np.isfinite(row["alpha"])) and row["seconds"] >= 0
            # the mean of the same few floats, maybe summed in another order: default rel 1e-6
            assert row["alpha_mean"] == pytest.approx(np.mean(row["alpha"]))
    summary = result.summary()
    assert {s["method"] for s in summary} == {
        "svd (5 iter)",
        "svd (2 iter)",
        "svd (1 iter)",
        "pca-gram",
        "gaussian",
        "sparse",
    }
    assert all(s["median_abs_shift"] >= 0 for s in summary)
    table = result.markdown_table()
    assert table.count("\n") == len(result.rows) + 1 and "(full)" in table


def test_quick_study_reuses_its_trained_models(quick_study):
    out, _ = quick_study
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert len(runs) == 2  # the CNN and the MLP, cached for the next run
    from sparsity_widgets.studies import run_width_study

    again = run_width_study("quick", out_dir=out, progress=False)
    assert sorted(p.name for p in (out / "runs").iterdir()) == runs
    assert (
        again.info["mnist1d-cnn test accuracy"] == quick_study[1].info["mnist1d-cnn test accuracy"]
    )


def test_unknown_setting_is_refused():
    from sparsity_widgets.studies import run_width_study

    with pytest.raises(ValueError, match="setting must be one of 'full', 'quick'"):
        run_width_study("huge")


def test_saved_study_supports_the_default_reduction():
    """The docs choose the sparse projection from book/results/width-reduction.json: keep true."""
    from pathlib import Path

    from sparsity_widgets.probe import REDUCTIONS, ProbeSettings

    path = Path(__file__).resolve().parent.parent / "book" / "results" / "width-reduction.json"
    result = WidthStudyResult.from_dict(json.loads(path.read_text()))
    assert REDUCTIONS[0] == "sparse" == ProbeSettings().reduction
    by_width: dict[int, dict[str, dict]] = {}
    for s in result.summary():
        by_width.setdefault(s["width_out"], {})[s["method"]] = s
    assert sorted(by_width) == [256, 512, 1024, 2500]
    for width, methods in by_width.items():
        rotations = [m for name, m in methods.items() if name.startswith(("svd", "pca"))]
        sparse = methods["sparse"]
        assert sparse["median_seconds"] * 10 < methods["svd (5 iter)"]["median_seconds"]
        if width >= 512:  # "3 to 17 times less" in the docs
            ratios = [m["median_abs_shift"] / sparse["median_abs_shift"] for m in rotations]
            assert min(ratios) > 2.9


@pytest.mark.slow
def test_quick_study_on_loky_gives_the_same_rows_and_reuses_its_cells(quick_study, tmp_path):
    """Each scored layer is a grid cell: two loky workers give the sequential run's alpha*
    (timings aside: cells running at once share the cores), and a rerun scores nothing."""
    import shutil

    from sparsity_widgets.studies import run_width_study
    from sparsity_widgets.studies.width_reduction import _layers

    out, result = quick_study
    assert len(list((out / "cells").glob("*.json"))) == len(_layers(WIDTH_SETTINGS["quick"]))
    shutil.copytree(out / "runs", tmp_path / "runs")  # the trained models, not the cells
    other = run_width_study("quick", out_dir=tmp_path, progress=False, backend="loky", workers=2)
    assert other.info["timing"] == {"backend": "loky", "workers": 2, "threads": None}

    def without_seconds(rows):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]

    assert without_seconds(other.rows) == without_seconds(result.rows)
    again = run_width_study("quick", out_dir=tmp_path, progress=False, backend="loky", workers=2)
    assert again.rows == other.rows  # read back from cells/, timings included
