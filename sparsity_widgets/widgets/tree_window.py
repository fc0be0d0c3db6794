"""One tree's M-term approximation on 2-D points, computed in the reader's browser (anywidget).

The browser-side counterpart of the kernel-only
:class:`~sparsity_widgets.widgets.tree_viewer.TreeWaveletViewer`: :class:`TreeWindow` fits one
tree (:func:`~sparsity_widgets.widgets.tree_viewer.fit_tree_view`: no bootstrap, depth ``d``)
and stores its nodes (boxes in the normalised square, parents, wavelet vectors and norms, the
order of the wavelets by norm) and a subsample of the points in its state. Its JavaScript model
(``browser/tree_window.js``) recomputes, for any M, the class the M-term tree predicts on a
pixel grid, the cells of the M largest wavelets, the accuracy at the stored points and the norm
of the M-th wavelet. The same code runs in JupyterLab and Voila (with a kernel, which checks
every move with the Python twin) and in the static HTML of the book (no kernel).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import traitlets as T

from .browser.tree_window import MAX_POINTS, TREE_WINDOW, tree_payload
from .browser_widget import BrowserWidget

__all__ = ["TreeWindow"]

#: the state's size bound (JSON), with room to spare for the traits around it
MAX_STATE_BYTES = 150_000


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    if not ok or value < low or (high is not None and value > high):
        span = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {span}; got {value!r}.")
    return int(value)


class TreeWindow(BrowserWidget):
    """One tree on 2-D points, its wavelets and the M-term approximation, for any M.

    Parameters
    ----------
    dataset : str
        One of :data:`~sparsity_widgets.widgets.tree_viewer.TREE_DATASETS`; ignored when ``X``
        and ``y`` are given.
    X : array-like, shape (n, 2), optional
    y : array-like of int, shape (n,), optional
        Your own points and labels.
    n_samples : int
        Points to generate (ignored for your points).
    noise : float, optional
        The data set's noise (its default when omitted).
    depth : int
        Maximum depth of the tree, 1 to 9 (the state holds every node).
    m : int, optional
        Start value of M (default: a tenth of the wavelets, at least 1 when there is one).
    grid : int
        Pixels per side of the picture, 4 to 128.
    max_points : int
        Training points kept for the scatter and the accuracy (a random subsample).
    random_state : int
        Seed of the data, the tree and the subsample.
    title : str, optional

    Attributes
    ----------
    fit : TreeFit
        The fitted tree and its data (kernel side only).
    result : dict
        Python's answer for the current M (what the browser shows):
        :func:`~sparsity_widgets.widgets.browser.tree_window.tree_shown`.
    """

    kind = TREE_WINDOW.kind
    tree = T.Dict().tag(sync=True)
    points = T.Dict().tag(sync=True)
    grid = T.Int(48).tag(sync=True)
    m = T.Int(0).tag(sync=True)

    def __init__(
        self,
        dataset: str = "spiral",
        *,
        X: Any = None,
        y: Any = None,
        n_samples: int = 1000,
        noise: float | None = None,
        depth: int = 6,
        m: int | None = None,
        grid: int = 48,
        max_points: int = MAX_POINTS,
        random_state: int = 0,
        title: str | None = None,
    ) -> None:
        from .tree_viewer import USER_POINTS, fit_tree_view

        depth = _check_int("depth", depth, 1, 9)
        grid = _check_int("grid", grid, 4, 128)
        max_points = _check_int("max_points", max_points, 1, 2000)
        if (X is None) != (y is None):
            raise ValueError("pass both X and y (your points), or neither; got only one.")
        if X is not None:
            dataset = USER_POINTS
        else:
            n_samples = _check_int("n_samples", n_samples, 10)
        self.fit = fit_tree_view(
            dataset,
            n_samples=n_samples,
            noise=noise,
            depth=depth,
            X=X,
            y=y,
            random_state=random_state,
            resolution=2,  # the kernel viewer's picture; the browser draws its own
        )
        tree, points = tree_payload(
            self.fit.forest,
            self.fit.X,
            self.fit.y,
            max_points=max_points,
            random_state=random_state,
        )
        n = len(tree["order"])
        m = (min(max(1, n // 10), n)) if m is None else _check_int("m", m, 0, n)
        size = len(json.dumps(tree)) + len(json.dumps(points))
        if size > MAX_STATE_BYTES:
            raise ValueError(
                f"the tree and points take {size // 1000} KB; the widget keeps at most "
                f"{MAX_STATE_BYTES // 1000} KB: lower depth (got {depth}) or max_points "
                f"(got {max_points})."
            )
        if title is None:
            noise_text = "" if self.fit.noise is None else f", noise {self.fit.noise:g}"
            title = (
                f"{self.fit.dataset}: n = {self.fit.n_samples}{noise_text}; one tree of depth "
                f"<= {depth} ({self.fit.cells.n_leaves} cells, {n} wavelets)"
            )
        super().__init__(tree=tree, points=points, grid=grid, m=m, title=title)
