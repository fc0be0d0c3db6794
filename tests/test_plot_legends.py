"""alpha* per layer figures: legends never cover data, axis labels say what was aggregated.

Every figure is drawn with the Agg backend; each legend's box (in display pixels) is compared with
every drawn data point: the points of each line (markers and curve vertices), the vertices of
the spread bands and of line collections (error bars), and scatter offsets. A point outside the
axes is not drawn and is not checked.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import Collection, PathCollection
from matplotlib.legend import Legend

from sparsity_widgets.probe.plots import plot_alpha_per_layer
from sparsity_widgets.probe.result import LayerScore, ProbeResult, SeedRun
from sparsity_widgets.studies.mnist1d import StudyResult

BOOK = Path(__file__).resolve().parent.parent / "book" / "results" / "mnist1d-quick"
KINDS = ["input", "conv", "conv", "pool", "conv", "conv", "residual", "conv", "linear"]


def make_result(label: str, alphas: np.ndarray, seeds=None, accuracy=0.9) -> ProbeResult:
    """A ProbeResult with alpha* given per (seed, layer)."""
    alphas = np.atleast_2d(alphas)
    seeds = range(alphas.shape[0]) if seeds is None else seeds
    runs = []
    for seed, row in zip(seeds, alphas, strict=True):
        layers = [
            LayerScore(
                name="input" if j == 0 else f"layer.{j}",
                kind=KINDS[j % len(KINDS)],
                width=10,
                scored_width=10,
                reduction="none",
                tau_star=1 / (a + 0.5),
                alpha_star=float(a),
                taus=[0.5, 1.0],
                log_sparsity=[2.0, 1.0],
                selected_taus=[1.0],
                n_wavelets=10,
                seconds=0.1,
            )
            for j, a in enumerate(row)
        ]
        runs.append(SeedRun(seed=seed, layers=layers, test_accuracy=accuracy))
    return ProbeResult(label, "toy", "toy", {}, runs)


def zigzag(n_seeds: int, n_layers: int = 9, shift: float = 0.0) -> np.ndarray:
    """alpha* that touches every corner of the axes: high, low, high, ... over the layers."""
    base = np.where(np.arange(n_layers) % 2 == 0, 0.3, 0.1) + shift
    spread = np.linspace(-0.01, 0.01, n_seeds)[:, None] if n_seeds > 1 else 0.0
    return base[None, :] + spread


def legends_of(fig) -> list[Legend]:
    found = list(fig.legends)
    for ax in fig.axes:
        found += [a for a in ax.get_children() if isinstance(a, Legend)]
    return found


def data_points(ax) -> np.ndarray:
    """Display coordinates of every drawn data point of ``ax``, shape (n, 2)."""
    chunks = []
    for line in ax.lines:
        xy = np.asarray(line.get_xydata(), dtype=float).reshape(-1, 2)
        chunks.append(line.get_transform().transform(xy[np.isfinite(xy).all(axis=1)]))
    for coll in ax.collections:
        if not isinstance(coll, Collection):
            continue
        if isinstance(coll, PathCollection) and len(coll.get_offsets()):  # scatter
            offsets = np.asarray(coll.get_offsets(), dtype=float)
            chunks.append(coll.get_offset_transform().transform(offsets))
        else:  # fill_between bands, error bars (LineCollection)
            for path in coll.get_paths():
                chunks.append(coll.get_transform().transform(path.vertices))
    points = np.vstack(chunks) if chunks else np.empty((0, 2))
    points = points[np.isfinite(points).all(axis=1)]
    box = ax.bbox
    inside = (
        (points[:, 0] >= box.x0)
        & (points[:, 0] <= box.x1)
        & (points[:, 1] >= box.y0)
        & (points[:, 1] <= box.y1)
    )
    return points[inside]


def assert_legends_clear(fig) -> None:
    """No data point lies in any legend box; legends lie in the figure, apart from each other."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = legends_of(fig)
    assert legends, "the figure has no legend"
    boxes = [legend.get_window_extent(renderer) for legend in legends]
    for ax in fig.axes:
        points = data_points(ax)
        assert len(points), "no data points found"
        for legend, box in zip(legends, boxes, strict=True):
            covered = (
                (points[:, 0] > box.x0)
                & (points[:, 0] < box.x1)
                & (points[:, 1] > box.y0)
                & (points[:, 1] < box.y1)
            )
            title = legend.get_title().get_text() or legend.texts[0].get_text()
            assert not covered.any(), (
                f"legend {title!r} at {box} covers {int(covered.sum())} data point(s), "
                f"e.g. {points[covered][0]}"
            )
    page = fig.bbox
    for box in boxes:
        assert page.x0 - 0.5 <= box.x0 and box.x1 <= page.x1 + 0.5, f"legend {box} cut off"
        assert page.y0 - 0.5 <= box.y0 and box.y1 <= page.y1 + 0.5, f"legend {box} cut off"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), f"legends {a} and {b} overlap"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def activations() -> StudyResult:
    return StudyResult.from_json(BOOK / "activations.json")


# ------------------------------------------------------------------ probe: alpha-per-layer.png
@pytest.mark.parametrize("n_seeds", [1, 3])
def test_probe_figure_legends_leave_every_corner_free(n_seeds):
    result = make_result("mnist1d-cnn activation=relu", zigzag(n_seeds))
    ax = plot_alpha_per_layer(result, title="toy on toy")  # as `sparsity-widgets probe` draws
    assert_legends_clear(ax.figure)


def test_probe_figure_of_a_real_result(activations):
    relu = activations.results[0]
    ax = plot_alpha_per_layer(relu, title=f"{relu.label} on {relu.dataset}")
    assert_legends_clear(ax.figure)
    assert ax.get_ylabel() == "α* (mean ± std over 3 seeds)"


# ------------------------------------------------------------------ studies and the demo
def test_study_figure_legends_clear(activations):
    ax = activations.plot()  # what StudyResult.save writes as <study>.png
    assert_legends_clear(ax.figure)
    assert ax.get_ylabel() == "α* (mean ± std over 3 seeds)"


def test_demo_figure_with_one_seed(activations):
    relu, step = activations.results[0], activations.results[-1]
    one = [dataclasses.replace(r, runs=r.runs[:1]) for r in (relu, step)]
    demo = StudyResult(study="demo", setting="quick", results=one)
    ax = demo.plot()  # demo.png
    assert_legends_clear(ax.figure)
    assert ax.get_ylabel() == "α* (seed 0)"
    assert "±" not in ax.get_ylabel()


def test_labels_name_seed_counts_that_differ():
    one = make_result("a", zigzag(1), seeds=[4])
    three = make_result("b", zigzag(3, shift=0.05))
    ax = plot_alpha_per_layer([one, three])
    assert ax.get_ylabel() == "α* (mean ± std over 1-3 seeds)"
    labels = [t.get_text() for t in legends_of(ax.figure)[0].texts]
    assert any("1 seed" in t for t in labels) and any("3 seeds" in t for t in labels)
    two_single = [make_result("a", zigzag(1), seeds=[0]), make_result("b", zigzag(1), seeds=[1])]
    ax = plot_alpha_per_layer(two_single)
    assert ax.get_ylabel() == "α* (one seed per curve)"
    ax = plot_alpha_per_layer(make_result("a", zigzag(2)), key="tau_star")
    assert ax.get_ylabel() == "τ* (mean ± std over 2 seeds)"


# ------------------------------------------------------------------ axes given by the caller
def test_axes_without_a_layout_engine_keep_legends_inside_and_clear():
    fig, ax = plt.subplots(figsize=(8, 4))  # no layout engine: no room outside the axes
    results = [make_result(f"variant {i}", zigzag(3, shift=0.02 * i)) for i in range(5)]
    plot_alpha_per_layer(results, ax, title="five curves")
    assert_legends_clear(fig)


def test_layer_picker_curve_legends_clear(activations):
    from sparsity_widgets.widgets.layer_picker import render_result

    fig = plt.figure(figsize=(9, 4.5))
    render_result(activations.results[0], fig)
    assert_legends_clear(fig)


def test_umap_legend_beside_the_picture():
    from sparsity_widgets.probe.plots import plot_layer_umap

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 400)
    points = rng.normal(size=(400, 2)) * 0.6 + labels[:, None]
    score = make_result("a", zigzag(1)).runs[0].layers[1]
    score = dataclasses.replace(
        score,
        alpha_star=float("nan"),
        umap={"indices": list(range(400)), "embedding": points.tolist(), "labels": labels.tolist()},
    )
    ax = plot_layer_umap(score)  # as `sparsity-widgets probe --umap` draws each panel
    assert_legends_clear(ax.figure)
    assert ax.get_title() == "layer.1: no α* (the estimate failed)"
