"""The tree window (issue 17): its Python twin against the package, its widget.

The twin (``sparsity_widgets/widgets/browser/tree_window.py``) must give, at every M, the class
``WaveletForest.predict(X, n_terms=M)`` gives at the stored points (hence the same accuracy),
the package's order of the wavelets and its boxes; the generic parity test
(``tests/test_widgets_static.py``) runs its JavaScript on the twin's cases.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from sparsity_widgets import WaveletForest
from sparsity_widgets.datasets import make_synthetic
from sparsity_widgets.tree_partition import mterm_cells, tree_cells
from sparsity_widgets.widgets.browser.tree_window import (
    leaf_values,
    pixel_range,
    tree_payload,
    tree_shown,
)


@pytest.fixture(scope="module")
def fitted():
    X, y = make_synthetic("spiral", n_samples=1000, random_state=0)
    forest = WaveletForest(n_trees=1, max_depth=6, bootstrap=False, random_state=0).fit(X, y)
    tree, points = tree_payload(forest, X, y, max_points=600, random_state=0)
    rng = np.random.default_rng(0)
    keep = np.sort(rng.choice(X.shape[0], size=600, replace=False))
    return forest, X[keep], y[keep], tree, points


def _state(tree, points, m, grid=48):
    return {"tree": tree, "points": points, "grid": grid, "m": m}


def test_points_and_order_are_the_packages(fitted):
    forest, Xk, yk, tree, points = fitted
    assert points["leaf"] == (forest.apply(Xk)[:, 0]).tolist()
    assert points["label"] == np.searchsorted(forest.classes_, yk).tolist()
    assert tree["order"] == mterm_cells(forest, 10**6).tolist()
    curve = forest.mterm_curve()
    n = len(tree["order"])
    assert n == curve.n_terms[-1]
    for m in (1, 2, n // 2, n):
        assert tree_shown(_state(tree, points, m))["mth_norm"] == curve.added_norms[m - 1]
    # the boxes are tree_cells' rectangles in the normalised square
    cells = tree_cells(forest, 0)
    box = np.array(tree["box"])
    lo = np.asarray(tree["feature_min"]) + box[:, [0, 2]] * np.asarray(tree["feature_scale"])
    hi = np.asarray(tree["feature_min"]) + box[:, [1, 3]] * np.asarray(tree["feature_scale"])
    np.testing.assert_array_equal(lo, cells.lower)
    np.testing.assert_array_equal(hi, cells.upper)


def test_accuracy_at_every_m_is_the_packages(fitted):
    """At the stored points the twin's leaf values are predict(X, n_terms=M)'s bit for bit
    (same sums in the same order), so the classes and the accuracy are equal at every M; at
    M = all wavelets the accuracy is the tree's own prediction accuracy."""
    forest, Xk, yk, tree, points = fitted
    n = len(tree["order"])
    labels = np.searchsorted(forest.classes_, yk)
    for m in range(n + 1):
        values = leaf_values(tree, m)
        predicted = forest.predict(Xk, n_terms=m)
        ours = np.array([values[leaf] for leaf in points["leaf"]])
        np.testing.assert_array_equal(ours, predicted)
        accuracy = float(np.mean(predicted.argmax(axis=1) == labels))
        assert tree_shown(_state(tree, points, m))["accuracy"] == pytest.approx(accuracy, abs=1e-15)
    full = float(np.mean(forest.predict(Xk).argmax(axis=1) == labels))
    assert tree_shown(_state(tree, points, n))["accuracy"] == pytest.approx(full, abs=1e-15)


def test_pixels_are_the_packages_prediction_at_their_centres(fitted):
    """Pixel classes against argmax of predict at the pixel centres (mapped to the data's
    coordinates). Measured: no pixel differs at any M for this tree (a centre within float32
    rounding of a threshold could)."""
    forest, _, _, tree, points = fitted
    grid = 48
    centres = (np.arange(grid) + 0.5) / grid
    u, v = np.meshgrid(centres, centres)  # row i = y centre i
    unit = np.column_stack([u.ravel(), v.ravel()])
    data = np.asarray(tree["feature_min"]) + unit * np.asarray(tree["feature_scale"])
    n = len(tree["order"])
    for m in (0, 1, 5, n // 2, n):
        shown = tree_shown(_state(tree, points, m, grid))
        expected = forest.predict(data, n_terms=m).argmax(axis=1)
        assert shown["pixel_class"] == expected.tolist(), m


def test_pixel_range_is_the_pixel_test():
    for grid in (1, 4, 7, 48):
        centres = (np.arange(grid) + 0.5) / grid
        for lo, hi in [(0.0, 1.0), (0.375, 1.0), (0.0, 0.375), (0.1, 0.11), (0.5, 0.5), (0.2, 0.9)]:
            inside = np.flatnonzero((centres > lo) & (centres <= hi))
            a, b = pixel_range(lo, hi, grid)
            assert list(range(a, b + 1)) == inside.tolist(), (grid, lo, hi)


def test_notes_and_edges(fitted):
    _, _, _, tree, points = fitted
    n = len(tree["order"])
    over = tree_shown(_state(tree, points, n + 3))
    assert over["m"] == n and f"from 0 to {n}; got {n + 3}; showing M = {n}." in over["m_note"]
    assert tree_shown(_state(tree, points, 2.5))["m"] == 2
    assert tree_shown(_state(tree, points, "x"))["m_note"].endswith("showing M = 0.")
    zero = tree_shown(_state(tree, points, 0))
    assert np.isnan(zero["mth_norm"]) and zero["m_note"] is None
    assert len(set(zero["pixel_class"])) == 1  # the root's class everywhere


def test_payload_rejects_bad_input(fitted):
    forest, Xk, yk, _, _ = fitted
    with pytest.raises(ValueError, match="forest must be a fitted WaveletForest"):
        tree_payload(object(), Xk, yk)
    three = WaveletForest(n_trees=3, max_depth=3, random_state=0).fit(Xk, yk)
    with pytest.raises(ValueError, match="forest must have exactly 1 tree; got 3"):
        tree_payload(three, Xk, yk)
    with pytest.raises(ValueError, match="max_points must be an integer >= 1; got 0"):
        tree_payload(forest, Xk, yk, max_points=0)
    deep = WaveletForest(n_trees=1, max_depth=30, bootstrap=False, random_state=0)
    rng = np.random.default_rng(0)
    X, y = rng.uniform(size=(3000, 2)), rng.integers(0, 2, 3000)  # labels without structure
    with pytest.raises(ValueError, match="stores at most 1023"):
        tree_payload(deep.fit(X, y), X, y)


def test_twin_imports_without_widget_libraries():
    code = (
        "import sys; import sparsity_widgets.widgets.browser.tree_window as t; "
        "assert 'ipywidgets' not in sys.modules and 'anywidget' not in sys.modules; "
        "print(t.tree_shown.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_tree_window_python_side():
    pytest.importorskip("anywidget")
    from sparsity_widgets.widgets import TreeWindow

    widget = TreeWindow("spiral", n_samples=1000, depth=6)
    n = widget.result["n_wavelets"]
    assert widget.m == max(1, n // 10)
    assert len(json.dumps({"tree": widget.tree, "points": widget.points})) < 150_000
    assert len(widget.points["label"]) == 600
    widget.m = n  # what a move in a page with a kernel does
    assert widget.python_check["settings"] == {"m": n}
    forest = widget.fit.forest
    X, y = widget.fit.X, widget.fit.y
    keep = np.sort(np.random.default_rng(0).choice(X.shape[0], size=600, replace=False))
    full = float(np.mean(forest.predict(X[keep]).argmax(axis=1) == y[keep]))
    assert widget.result["accuracy"] == pytest.approx(full, abs=1e-15)
    assert widget.python_check["shown"]["accuracy"] == widget.result["accuracy"]
    widget.m = 0
    assert widget.python_check["shown"]["mth_norm"] == "NaN"
    json.dumps(widget.get_state())
    X, y = make_synthetic("circles", n_samples=300, random_state=1)
    mine = TreeWindow(X=X, y=y, depth=3, m=0, grid=16, max_points=100)
    assert mine.fit.dataset == "your points" and len(mine.result["pixel_class"]) == 256
    with pytest.raises(ValueError, match=r"depth must be an integer in \[1, 9\]; got 12"):
        TreeWindow(depth=12)
    with pytest.raises(ValueError, match=r"grid must be an integer in \[4, 128\]; got 2"):
        TreeWindow(grid=2)
    with pytest.raises(ValueError, match=rf"m must be an integer in \[0, {n}\]; got -1"):
        TreeWindow(m=-1)
    with pytest.raises(ValueError, match="pass both X and y"):
        TreeWindow(X=X)
    with pytest.raises(ValueError, match="dataset must be one of"):
        TreeWindow("moons")
