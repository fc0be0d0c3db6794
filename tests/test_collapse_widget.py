"""The collapse explorer, driven without a browser, over a small hand-built NCC study result.

The result holds two data sets: "toy" (layers input, a, b; epochs 1-6; vanilla with seeds 0, 1,
2 and SVSL with seeds 0, 1; class pictures for seed 0 only) and "other" (layers input, h; one
variant; seed 1 has a checkpoint more than seed 0; no pictures). Every number the widget shows
is checked against the runs' own values, combined here by hand with the statistics module.
"""

from __future__ import annotations

import json
import statistics

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from matplotlib.figure import Figure

from sparsity_widgets.collapse.plane import ClassPlane
from sparsity_widgets.studies.collapse_result import CollapseStudyResult
from sparsity_widgets.studies.collapse_run import CollapseRun
from sparsity_widgets.widgets import CollapseExplorer, compute_collapse_state
from sparsity_widgets.widgets.collapse_explorer import (
    common_epochs,
    render_class_planes,
    render_collapse_curves,
)

LAYERS = ("input", "a", "b")
K = 4
# seed 0's pictures: vanilla at epochs 2, 4, 6; SVSL only at the end
PICTURE_EPOCHS = {"vanilla": (2, 4, 6), "svsl": (6,)}
# mean +- std of 2-3 floats in [0, 1] by two routes (statistics vs numpy): they agree to a few
# ulp (measured: at most 1 ulp on this data); 1e-12 relative leaves room, and any other seed's
# or epoch's value differs by > 1e-3
REL = 1e-12


def plane(epoch: int, layer: int, seed: int) -> ClassPlane:
    """A picture whose first coordinate encodes (epoch, layer), so that tests can tell it."""
    rng = np.random.default_rng([epoch, layer, seed])
    means = rng.normal(size=(K, 2))
    means[0, 0] = 100 * epoch + layer
    scales = rng.uniform(0.1, 1.0, size=(K, 2))
    return ClassPlane(
        means=means,
        covariances=np.stack([np.diag(s) for s in scales]),
        between_class_share=0.8,
    )


def make_run(
    seed: int,
    variant: str = "vanilla",
    *,
    dataset: str = "toy",
    layers: tuple[str, ...] = LAYERS,
    epochs: tuple[int, ...] = (1, 2, 3, 4, 5, 6),
    it_epoch: int = 2,
) -> CollapseRun:
    """A run with random curves (seeded by data set, variant and seed)."""
    rng = np.random.default_rng([seed, len(variant), len(dataset)])
    shape = (len(layers), len(epochs))
    planes = {}
    if seed == 0 and dataset == "toy":
        planes = {
            e: tuple(plane(e, j, seed) for j in range(len(layers))) for e in PICTURE_EPOCHS[variant]
        }
    return CollapseRun(
        dataset=dataset,
        variant=variant,
        seed=seed,
        layers=layers,
        epochs=epochs,
        train_accuracy=rng.uniform(0.8, 1.0, len(epochs)),
        test_accuracy=rng.uniform(0.6, 0.9, len(epochs)),
        lambda_train=rng.uniform(0.0, 0.3, shape),
        lambda_test=rng.uniform(0.1, 0.5, shape),
        nc1=np.exp(rng.normal(0.0, 1.0, shape)),
        ncc_accuracy_test=rng.uniform(0.5, 0.9, shape),
        it_epoch=it_epoch,
        it_reached=seed != 2,
        alpha_it=rng.uniform(0.0, 1.0, len(layers)),
        alpha_end=rng.uniform(0.0, 1.0, len(layers)),
        history_test_accuracy=rng.uniform(0.6, 0.9, epochs[-1]),
        planes=planes,
    )


@pytest.fixture(scope="module")
def result() -> CollapseStudyResult:
    runs = [
        make_run(0, it_epoch=2),
        make_run(1, it_epoch=3),
        make_run(2, it_epoch=2),
        make_run(0, "svsl", it_epoch=3),
        make_run(1, "svsl", it_epoch=3),
        make_run(0, dataset="other", layers=("input", "h"), epochs=(1, 2, 3), it_epoch=3),
        make_run(1, dataset="other", layers=("input", "h"), epochs=(1, 2, 3, 4), it_epoch=2),
    ]
    return CollapseStudyResult("custom", runs)


def by_hand(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.pstdev(values)


# ---------------------------------------------------------------------- numbers
def test_state_numbers_are_the_runs_means_over_seeds(result):
    state = compute_collapse_state(result, "toy", "both", "a", 4)
    assert (state.layer, state.layer_index, state.epoch) == ("a", 1, 4)
    assert state.layers == LAYERS and state.epochs.tolist() == [1, 2, 3, 4, 5, 6]
    assert [s.variant for s in state.series] == ["vanilla", "svsl"]
    for s in state.series:
        runs = result.group("toy", s.variant)
        assert s.seeds == tuple(r.seed for r in runs)
        for name in ("lambda_train", "lambda_test", "nc1", "ncc_accuracy_test"):
            mean, std = by_hand([getattr(r, name)[1][3] for r in runs])  # layer a, epoch 4
            assert s.at_epoch[name] == pytest.approx((mean, std), rel=REL)
            curve = [by_hand([getattr(r, name)[1][e] for r in runs]) for e in range(6)]
            np.testing.assert_allclose(np.transpose(s.curves[name]), curve, rtol=REL)
        for name in ("train_accuracy", "test_accuracy"):
            expected = by_hand([getattr(r, name)[3] for r in runs])
            assert s.at_epoch[name] == pytest.approx(expected, rel=REL)
        assert s.alpha_it == pytest.approx(by_hand([r.alpha_it[1] for r in runs]), rel=REL)
        assert s.alpha_end == pytest.approx(by_hand([r.alpha_end[1] for r in runs]), rel=REL)
    vanilla, svsl = state.series
    assert vanilla.it_epochs == (2, 3, 2) and svsl.it_epochs == (3, 3)
    assert vanilla.it_reached == (True, True, False)
    # a layer by position is the same layer; one variant shows one series
    again = compute_collapse_state(result, "toy", "svsl", 1, 4)
    assert [s.variant for s in again.series] == ["svsl"]
    assert again.series[0].at_epoch == svsl.at_epoch
    # the read-out shows those numbers
    html = state.summary_html()
    mean, std = vanilla.at_epoch["lambda_test"]
    assert f"test {mean:.4f} &plusmn; {std:.4f}" in html
    assert "IT at epoch(s) 2, 3, 2" in html and "reached in 2 of 3" in html
    assert f"{svsl.alpha_end[0]:.3f} &plusmn; {svsl.alpha_end[1]:.3f} at the end" in html


def test_epochs_are_those_every_run_of_the_data_set_has(result):
    assert common_epochs(result, "other") == (1, 2, 3)  # seed 1 has epoch 4, seed 0 not
    state = compute_collapse_state(result, "other", "vanilla", "h", 3)
    assert state.epochs.tolist() == [1, 2, 3]
    # the single variant of "other": no "both" choice
    with pytest.raises(ValueError, match=r"variant must be one of \['vanilla'\] for 'other'"):
        compute_collapse_state(result, "other", "both", "h", 3)
    with pytest.raises(ValueError, match=r"one of \[1, 2, 3\]; got 4"):
        compute_collapse_state(result, "other", "vanilla", "h", 4)


def test_plane_at_the_epoch_or_the_nearest_with_a_note(result):
    state = compute_collapse_state(result, "toy", "both", "b", 4)
    vanilla, svsl = state.series
    assert vanilla.plane is result.group("toy", "vanilla")[0].planes[4][2]
    assert (vanilla.plane_epoch, vanilla.plane_seed, vanilla.plane_note) == (4, 0, None)
    assert vanilla.plane.means[0][0] == 100 * 4 + 2
    # SVSL has a picture at the end only
    assert svsl.plane_epoch == 6 and svsl.plane.means[0][0] == 100 * 6 + 2
    assert "no class-mean picture at epoch 4" in svsl.plane_note
    assert "showing epoch 6, the nearest" in svsl.plane_note
    assert "svsl: no class-mean picture at epoch 4" in state.summary_html()
    # vanilla at 5: pictures at 4 and 6 are as near; the earlier is shown
    tie = compute_collapse_state(result, "toy", "vanilla", "b", 5).series[0]
    assert tie.plane_epoch == 4 and "epochs 2, 4, 6" in tie.plane_note
    assert compute_collapse_state(result, "toy", "vanilla", "b", 1).series[0].plane_epoch == 2
    none = compute_collapse_state(result, "other", "vanilla", 0, 2).series[0]
    assert none.plane is None and none.plane_epoch is None
    assert none.plane_note == "no class-mean pictures were saved for these runs"


# ---------------------------------------------------------------------- drawing
def test_render_functions_draw_one_line_per_variant_and_split(result):
    state = compute_collapse_state(result, "toy", "both", "a", 4)
    fig = Figure()
    artists = render_collapse_curves(state, fig)
    lam, nc1 = artists.lambda_axes, artists.nc1_axes
    curves = [line for line in lam.lines if line.get_label() in _curve_labels(state)]
    assert [c.get_label() for c in curves] == [
        "vanilla train",
        "vanilla test",
        "svsl train",
        "svsl test",
    ]
    np.testing.assert_array_equal(curves[3].get_ydata(), state.series[1].curves["lambda_test"][0])
    # dotted IT lines: vanilla at 2 and 3, SVSL at 3; one marker at the chosen epoch
    dotted = sorted(line.get_xdata()[0] for line in lam.lines if line.get_linestyle() == ":")
    assert dotted == [2, 3, 3]
    assert len(lam.lines) == 4 + 3 + 1
    assert [m.get_xdata()[0] for m in artists.markers] == [4, 4]
    assert nc1.get_yscale() == "log" and len(nc1.lines) == 2 + 3 + 1
    np.testing.assert_array_equal(nc1.lines[0].get_ydata(), state.series[0].curves["nc1"][0])
    one = compute_collapse_state(result, "toy", "svsl", "a", 4)
    artists = render_collapse_curves(one, fig)
    assert len(artists.lambda_axes.lines) == 2 + 1 + 1 and len(fig.axes) == 2

    axes = render_class_planes(state, fig)
    assert len(axes) == 2 and len(fig.axes) == 2
    for ax, s in zip(axes, state.series, strict=True):
        assert len(ax.patches) == K and len(ax.lines) == K  # an ellipse and a point per class
        np.testing.assert_array_equal(ax.lines[0].get_xydata()[0], s.plane.means_array[0])
        assert f"epoch {s.plane_epoch}" in ax.get_title()
    assert "(nearest to 4)" in axes[1].get_title() and "nearest" not in axes[0].get_title()
    empty = compute_collapse_state(result, "other", "vanilla", "h", 2)
    (ax,) = render_class_planes(empty, fig)
    assert not ax.patches and "no class-mean pictures" in ax.texts[0].get_text()


def _curve_labels(state):
    return {f"{s.variant} {split}" for s in state.series for split in ("train", "test")}


# ---------------------------------------------------------------------- controller
def test_explorer_follows_each_control_and_redraws_only_what_changed(result):
    ex = CollapseExplorer(result)
    curves, planes = ex.views["curves"], ex.views["plane"]
    assert (ex.state.dataset, ex.state.variant, ex.state.layer, ex.state.epoch) == (
        "toy",
        "both",
        "b",
        6,
    )
    assert curves.png.startswith(b"\x89PNG") and planes.png.startswith(b"\x89PNG")
    assert (curves.n_full_draws, planes.n_full_draws) == (1, 1)

    ex.controls["epoch"].value = 5
    assert ex.state.epoch == 5 and "<b>epoch 5</b>" in ex.label.value
    expected = compute_collapse_state(result, "toy", "both", "b", 5)
    assert ex.state.series[0].at_epoch == expected.series[0].at_epoch
    # an epoch move blits the markers; the vanilla picture moved from 6 to 4: plane redrawn
    assert (curves.n_full_draws, curves.n_blits, planes.n_full_draws) == (1, 1, 2)
    assert [m.get_xdata()[0] for m in ex._artists.markers] == [5, 5]
    ex.controls["epoch"].value = 4  # the same pictures (vanilla 4, SVSL 6): no plane redraw
    assert (curves.n_full_draws, curves.n_blits, planes.n_full_draws) == (1, 2, 2)

    before = ex.label.value
    ex.controls["variant"].value = "svsl"
    assert [s.variant for s in ex.state.series] == ["svsl"]
    assert "<b>svsl</b>" in ex.label.value and "<b>vanilla</b>" not in ex.label.value
    assert ex.label.value != before and curves.n_full_draws == 2

    ex.controls["layer"].value = 0
    assert ex.state.layer == "input" and "layer <b>input</b> (1 of 3)" in ex.label.value
    mean = ex.state.series[0].at_epoch["nc1"][0]
    runs = result.group("toy", "svsl")
    assert mean == pytest.approx(statistics.fmean(r.nc1[0][3] for r in runs), rel=REL)
    assert curves.n_full_draws == 3

    # another data set: its variants, layers (position clipped) and epochs (nearest kept)
    ex.controls["layer"].value = 2
    ex.controls["dataset"].value = "other"
    c = ex.controls
    assert list(c["variant"].options) == ["vanilla"] and c["variant"].value == "vanilla"
    assert [label for label, _ in c["layer"].options] == ["input", "h"]
    assert ex.state.layer == "h" and ex.state.epoch == 3
    assert "<b>other</b>" in ex.label.value and "no class-mean pictures" in ex.label.value
    ex.controls["dataset"].value = "toy"  # vanilla is valid there: kept
    assert (ex.state.variant, ex.state.layer, ex.state.epoch) == ("vanilla", "a", 3)

    box = ex.widget()
    assert box is ex.widget() and len(box.children) == 5
    assert "sw-collapse-explorer" in box._dom_classes


def test_explorer_starts_where_asked_and_reads_json(result, tmp_path):
    path = tmp_path / "collapse-custom.json"
    path.write_text(json.dumps(result.to_dict()))
    ex = CollapseExplorer.from_json(path, dataset="toy", variant="vanilla", layer="a", epoch=2)
    assert (ex.state.variant, ex.state.layer, ex.state.epoch) == ("vanilla", "a", 2)
    assert ex.state.series[0].at_epoch == (
        compute_collapse_state(result, "toy", "vanilla", "a", 2).series[0].at_epoch
    )
    assert CollapseExplorer(str(path)).state.layer == "b"


def test_bad_input_names_the_valid_choices(result):
    state = compute_collapse_state
    with pytest.raises(ValueError, match=r"dataset must be one of \['toy', 'other'\]; got 'toyy'"):
        state(result, "toyy", "both", 0, 1)
    with pytest.raises(ValueError, match=r"\['vanilla', 'svsl', 'both'\] for 'toy'; got 'sgd'"):
        state(result, "toy", "sgd", 0, 1)
    with pytest.raises(ValueError, match=r"layer must be one of \['input', 'a', 'b'\]; got 'c'"):
        state(result, "toy", "both", "c", 1)
    with pytest.raises(ValueError, match=r"layer must be a position in \[0, 2\].*got 3"):
        state(result, "toy", "both", 3, 1)
    with pytest.raises(ValueError, match="got True of type bool"):
        state(result, "toy", "both", True, 1)
    with pytest.raises(ValueError, match=r"one of \[1, 2, 3, 4, 5, 6\]; got 7"):
        state(result, "toy", "both", 0, 7)
    with pytest.raises(ValueError, match="result must be a CollapseStudyResult; got dict"):
        state({}, "toy", "both", 0, 1)
    with pytest.raises(ValueError, match="result must be a CollapseStudyResult or the path"):
        CollapseExplorer(42)
    with pytest.raises(ValueError, match=r"dataset must be one of \['toy', 'other'\]"):
        CollapseExplorer(result, dataset="mnist")
    with pytest.raises(ValueError, match=r"one of \[1, 2, 3\]; got 6"):
        CollapseExplorer(result, dataset="other", epoch=6)
    with pytest.raises(ValueError, match=r"layer must be one of \['input', 'h'\]"):
        CollapseExplorer(result, dataset="other", layer="b")
