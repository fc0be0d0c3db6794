"""Tree-wavelet viewer: one tree's partition of 2-D data, its wavelets and M-term approximations.

Left: the cells (leaves) of one tree fitted to the points, coloured by their wavelet norm.
Middle: the M-term approximation (the tree's mean plus its M wavelets of largest norm), with
the cells of those M wavelets outlined. Right: the error of the M-term approximation against M.

Only the controls that are about the fit refit (data set, noise, sample size, depth); the M
slider re-evaluates the approximation on a grid and redraws the middle and right panels over
a saved background.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..datasets.synthetic import make_synthetic
from ..forest import WaveletForest
from ..tree_partition import MTermGrid, TreeCells, mterm_cells, tree_cells
from .epsilon_explorer import PngFigure

__all__ = [
    "TREE_DATASETS",
    "MTermView",
    "TreeArtists",
    "TreeFit",
    "TreeWaveletViewer",
    "fit_tree_view",
    "mterm_view",
    "render_tree_view",
    "update_tree_artists",
]

#: Data sets the viewer generates, with their default noise.
TREE_DATASETS = {"spiral": 0.05, "circles": 0.05, "gaussian-quantiles": 0.0, "blocks": 0.0}
USER_POINTS = "your points"
_CLASS_COLORS = np.array(["#1b374d", "#ee4f2f", "#2bc2cb", "#fba720", "#6a3d9a", "#33a02c"])


@dataclass(frozen=True)
class TreeFit:
    """One fitted tree and everything that does not depend on M.

    Attributes
    ----------
    dataset : str
    noise : float or None
    n_samples, depth : int
    X : ndarray, shape (n, 2)
    y : ndarray of int, shape (n,)
    forest : WaveletForest
        One tree, no bootstrap.
    cells : TreeCells
    errors : ndarray, shape (n_wavelets + 1,)
        Training RMSE of the M-term approximation for every M.
    bounds : (float, float, float, float)
        ``(x_min, x_max, y_min, y_max)`` of the picture.
    grid : MTermGrid
        The picture's grid, its leaves found once.
    """

    dataset: str
    noise: float | None
    n_samples: int
    depth: int
    X: np.ndarray
    y: np.ndarray
    forest: WaveletForest
    cells: TreeCells
    errors: np.ndarray
    bounds: tuple[float, float, float, float]
    grid: MTermGrid

    @property
    def n_wavelets(self) -> int:
        """Wavelets of the tree (non-root nodes)."""
        return int(self.errors.shape[0] - 1)


@dataclass(frozen=True)
class MTermView:
    """The M-term approximation for one M.

    Attributes
    ----------
    n_terms : int
        M (at most the number of wavelets).
    kept : ndarray of int64, shape (M,)
        Global node indices of the kept wavelets.
    grid : ndarray, shape (resolution, resolution)
        What the middle panel shows: the class-1 component of f_M for two classes, else the
        class of the largest component.
    error : float
        Training RMSE of f_M.
    """

    n_terms: int
    kept: np.ndarray
    grid: np.ndarray
    error: float


def fit_tree_view(
    dataset: str = "spiral",
    *,
    n_samples: int = 1000,
    noise: float | None = None,
    depth: int = 6,
    X: Any = None,
    y: Any = None,
    random_state: int = 0,
    resolution: int = 140,
) -> TreeFit:
    """Generate (or take) 2-D points and fit one tree to them.

    Parameters
    ----------
    dataset : str
        One of :data:`TREE_DATASETS`, or ``"your points"`` with ``X`` and ``y``.
    n_samples : int
        Points to generate (ignored for your points).
    noise : float, optional
        The data set's noise (its default when omitted; ignored for your points).
    depth : int
        Maximum depth of the tree, at least 1.
    X : array-like, shape (n, 2), optional
    y : array-like of int, shape (n,), optional
        Your points and their labels.
    random_state : int
        Seed of the data and the tree.
    resolution : int
        Grid points per side of the approximation picture.

    Returns
    -------
    TreeFit
    """
    if dataset == USER_POINTS:
        if X is None or y is None:
            raise ValueError(f"dataset {USER_POINTS!r} needs X and y; got X={X!r}.")
        points = np.asarray(X, dtype=np.float64)
        labels = np.asarray(y)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"X must have shape (n, 2); got {points.shape}.")
        noise = None
    elif dataset in TREE_DATASETS:
        noise = TREE_DATASETS[dataset] if noise is None else float(noise)
        points, labels = make_synthetic(
            dataset, n_samples=n_samples, noise=noise, random_state=random_state
        )
    else:
        options = [*TREE_DATASETS, USER_POINTS]
        raise ValueError(f"dataset must be one of {options}; got {dataset!r}.")
    forest = WaveletForest(
        n_trees=1, max_depth=depth, bootstrap=False, random_state=random_state
    ).fit(points, labels)
    pad = 0.03 * (points.max(axis=0) - points.min(axis=0))
    lo, hi = points.min(axis=0) - pad, points.max(axis=0) + pad
    bounds = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
    return TreeFit(
        dataset=dataset,
        noise=noise,
        n_samples=int(points.shape[0]),
        depth=int(depth),
        X=points,
        y=labels,
        forest=forest,
        cells=tree_cells(forest, 0),
        errors=forest.mterm_curve().error,
        bounds=bounds,
        grid=MTermGrid(forest, bounds, resolution),
    )


def mterm_view(fit: TreeFit, n_terms: int) -> MTermView:
    """The M-term approximation of a fitted tree on the picture's grid (no refit).

    Parameters
    ----------
    fit : TreeFit
    n_terms : int
        M, clipped to the number of wavelets.

    Returns
    -------
    MTermView
    """
    m = int(min(max(int(n_terms), 0), fit.n_wavelets))
    values = fit.grid.values(m)
    grid = values[..., 1] if values.shape[-1] == 2 else np.argmax(values, axis=-1).astype(float)
    return MTermView(
        n_terms=m, kept=mterm_cells(fit.forest, m), grid=grid, error=float(fit.errors[m])
    )


@dataclass
class TreeArtists:
    """The artists an M move changes."""

    image: Any
    outlines: Any
    points: Any
    title: Any
    marker: Any
    error_title: Any

    @property
    def dynamic(self) -> list[Any]:
        return [self.image, self.outlines, self.points, self.title, self.marker, self.error_title]


def _rectangles(cells: TreeCells, which: np.ndarray) -> list[Any]:
    from matplotlib.patches import Rectangle

    return [
        Rectangle(cells.lower[k], *(cells.upper[k] - cells.lower[k])) for k in np.flatnonzero(which)
    ]


def _point_colors(y: np.ndarray) -> np.ndarray:
    _, codes = np.unique(y, return_inverse=True)
    return _CLASS_COLORS[codes % len(_CLASS_COLORS)]


def render_tree_view(fit: TreeFit, view: MTermView, fig: Any) -> TreeArtists:
    """Draw the three panels for a fit and an M into ``fig`` (cleared first).

    Parameters
    ----------
    fit : TreeFit
    view : MTermView
    fig : matplotlib.figure.Figure

    Returns
    -------
    TreeArtists
        What :func:`update_tree_artists` moves when only M changes.
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import LogNorm

    fig.clear()
    ax_p, ax_m, ax_e = fig.subplots(1, 3, gridspec_kw={"width_ratios": (1.0, 1.0, 0.9)})
    fig.subplots_adjust(left=0.065, right=0.98, bottom=0.13, top=0.8, wspace=0.42)
    cells = fit.cells
    x_min, x_max, y_min, y_max = fit.bounds
    colors = _point_colors(fit.y)
    noise = "" if fit.noise is None else f", noise {fit.noise:g}"
    fig.suptitle(
        f"{fit.dataset}: n = {fit.n_samples}{noise}; one tree of depth <= {fit.depth} "
        f"({cells.n_leaves} cells, {fit.n_wavelets} wavelets); norms weighted by sample fraction",
        fontsize=10,
    )

    # left: the partition, leaves coloured by their wavelet norm
    leaves = cells.is_leaf & (cells.parent >= 0)
    norms = cells.norm[leaves]
    positive = norms[norms > 0]
    low = positive.min() if positive.size else 1e-6
    high = positive.max() if positive.size else 1.0
    patches = PatchCollection(
        _rectangles(cells, leaves),
        cmap="viridis",
        norm=LogNorm(vmin=low, vmax=max(high, low * 1.0001)),
        edgecolor="white",
        linewidth=0.5,
    )
    patches.set_array(np.maximum(norms, low))
    ax_p.add_collection(patches)
    if not leaves.any():  # a tree that never split: its one cell has no wavelet
        ax_p.text(0.5, 0.5, "the tree has no split", ha="center", transform=ax_p.transAxes)
    ax_p.scatter(fit.X[:, 0], fit.X[:, 1], c=colors, s=3, lw=0, alpha=0.7)
    colorbar = fig.colorbar(patches, ax=ax_p, fraction=0.05, pad=0.02)
    colorbar.set_label("wavelet norm (log scale)", fontsize=8)
    colorbar.ax.tick_params(labelsize=7)
    ax_p.set_title("partition: cells coloured by wavelet norm", fontsize=9)

    # middle: the M-term approximation and its kept cells
    two_classes = fit.forest.n_outputs_ == 2
    image = ax_m.imshow(
        view.grid,
        origin="lower",
        extent=(x_min, x_max, y_min, y_max),
        cmap="RdBu_r" if two_classes else "tab10",
        vmin=0.0,
        vmax=1.0 if two_classes else 9.0,
        aspect="auto",
        interpolation="nearest",
    )
    outlines = PatchCollection([], facecolor="none", edgecolor="black", linewidth=0.6)
    ax_m.add_collection(outlines)
    points = ax_m.scatter(fit.X[:, 0], fit.X[:, 1], c=colors, s=2, lw=0, alpha=0.5)
    title = ax_m.set_title("", fontsize=9)
    if two_classes:
        bar = fig.colorbar(image, ax=ax_m, fraction=0.05, pad=0.02)
        bar.set_label("f_M (class-1 component)", fontsize=8)
        bar.ax.tick_params(labelsize=7)
    for ax in (ax_p, ax_m):
        ax.set_xlim(x_min, x_max)
        ax.set_ylim(y_min, y_max)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")

    # right: the error against M
    m = np.arange(1, fit.errors.shape[0])
    ax_e.plot(m, fit.errors[1:], color="#1b374d", lw=1.4, label="training RMSE")
    ax_e.axhline(fit.errors[0], color="0.6", ls=":", lw=1, label="M = 0 (tree mean)")
    ax_e.set_xscale("log")
    ax_e.set_xlabel("M (wavelets kept, largest norms first)")
    ax_e.set_ylabel("RMSE of f_M")
    ax_e.grid(alpha=0.3)
    ax_e.legend(loc="upper right", fontsize=7)
    (marker,) = ax_e.plot([], [], "o", color="#ee4f2f", ms=7)
    error_title = ax_e.set_title("", fontsize=9)
    artists = TreeArtists(image, outlines, points, title, marker, error_title)
    update_tree_artists(fit, view, artists)
    return artists


def update_tree_artists(fit: TreeFit, view: MTermView, artists: TreeArtists) -> None:
    """Show another M of the same fit: the image, the kept cells, the error marker, titles."""
    artists.image.set_data(view.grid)
    kept = np.isin(fit.cells.nodes, view.kept)
    artists.outlines.set_paths(_rectangles(fit.cells, kept))
    artists.title.set_text(f"f_M with M = {view.n_terms}; outlined: kept cells")
    artists.marker.set_data([max(view.n_terms, 1)], [view.error])
    artists.error_title.set_text(f"RMSE {view.error:.4f} at M = {view.n_terms}")


class TreeWaveletViewer:
    """Controller: a tree on 2-D data; sliders for M (no refit) and noise, size, depth (refit).

    Parameters
    ----------
    dataset : str
        One of :data:`TREE_DATASETS`; ``"your points"`` when ``X`` and ``y`` are given.
    X : array-like, shape (n, 2), optional
    y : array-like, shape (n,), optional
        Your own points and labels; they join the data-set choices.
    n_samples, depth : int
    noise : float, optional
    n_terms : int
        Start value of M.
    random_state : int

    Attributes
    ----------
    fit : TreeFit
    mterm : MTermView
    controls : dict of ipywidgets
        ``"dataset"``, ``"noise"``, ``"n_samples"``, ``"depth"`` (refit) and ``"n_terms"``.
    label : ipywidgets.HTML
    view : PngFigure
    n_fits : int
        Trees fitted so far.
    """

    def __init__(
        self,
        dataset: str = "spiral",
        *,
        X: Any = None,
        y: Any = None,
        n_samples: int = 1000,
        depth: int = 6,
        noise: float | None = None,
        n_terms: int = 10,
        random_state: int = 0,
    ) -> None:
        import ipywidgets as W

        self._user = None if X is None else (X, y)
        if X is not None:
            dataset = USER_POINTS
        options = [*TREE_DATASETS] + ([USER_POINTS] if X is not None else [])
        if dataset not in options:
            raise ValueError(f"dataset must be one of {options}; got {dataset!r}.")
        self.random_state = random_state
        style = {"description_width": "90px"}
        start_noise = TREE_DATASETS.get(dataset, 0.0) if noise is None else noise
        self.controls: dict[str, Any] = {
            "dataset": W.Dropdown(options=options, value=dataset, description="data", style=style),
            "noise": W.FloatSlider(
                value=start_noise,
                min=0.0,
                max=0.3,
                step=0.01,
                description="noise",
                style=style,
                continuous_update=False,
            ),
            "n_samples": W.IntSlider(
                value=n_samples,
                min=100,
                max=5000,
                step=100,
                description="samples",
                style=style,
                continuous_update=False,
            ),
            "depth": W.IntSlider(
                value=depth,
                min=1,
                max=12,
                description="depth",
                style=style,
                continuous_update=False,
            ),
            "n_terms": W.IntSlider(
                value=0,
                min=0,
                max=1,
                description="M terms",
                style=style,
                layout=W.Layout(width="520px"),
            ),
        }
        self._start_terms = n_terms
        self.label = W.HTML()
        self.view = PngFigure((13.0, 4.3))
        self.n_fits = 0
        self._busy = False
        self._artists: TreeArtists | None = None
        self._widget: Any = None
        for name in ("noise", "n_samples", "depth"):
            self.controls[name].observe(self._on_fit_change, names="value")
        self.controls["dataset"].observe(self._on_dataset, names="value")
        self.controls["n_terms"].observe(self._on_m_change, names="value")
        self.refit()

    # ------------------------------------------------------------------ callbacks
    def _on_dataset(self, change: dict[str, Any]) -> None:
        dataset = change["new"]
        self._busy = True
        try:
            if dataset in TREE_DATASETS:
                self.controls["noise"].value = TREE_DATASETS[dataset]
        finally:
            self._busy = False
        self.refit()

    def _on_fit_change(self, change: dict[str, Any]) -> None:
        if not self._busy:
            self.refit()

    def _on_m_change(self, change: dict[str, Any]) -> None:
        if not self._busy:
            self.show_terms()

    def refit(self) -> TreeFit:
        """Fit a tree to the controls' data and depth, and redraw everything."""
        c = self.controls
        dataset = c["dataset"].value
        user = dataset == USER_POINTS
        c["noise"].disabled = user
        c["n_samples"].disabled = user
        X, y = self._user if user else (None, None)
        self.fit = fit_tree_view(
            dataset,
            n_samples=c["n_samples"].value,
            noise=None if user else c["noise"].value,
            depth=c["depth"].value,
            X=X,
            y=y,
            random_state=self.random_state,
        )
        self.n_fits += 1
        slider = c["n_terms"]
        self._busy = True
        try:
            slider.max = max(self.fit.n_wavelets, 1)
            wanted = slider.value if self._start_terms is None else self._start_terms
            slider.value = min(wanted, self.fit.n_wavelets)
            self._start_terms = None
        finally:
            self._busy = False
        self.mterm = mterm_view(self.fit, slider.value)
        self._artists = render_tree_view(self.fit, self.mterm, self.view.figure)
        self.view.draw(self._artists.dynamic)
        self._write_label()
        return self.fit

    def show_terms(self) -> MTermView:
        """Show the M the slider holds: no refit, the approximation panels only."""
        self.mterm = mterm_view(self.fit, self.controls["n_terms"].value)
        assert self._artists is not None
        update_tree_artists(self.fit, self.mterm, self._artists)
        self.view.blit()
        self._write_label()
        return self.mterm

    def _write_label(self) -> None:
        f, v = self.fit, self.mterm
        self.label.value = (
            f"<b>M = {v.n_terms}</b> of {f.n_wavelets} wavelets: "
            f"<b>RMSE {v.error:.4f}</b> (M = 0: {f.errors[0]:.4f}, all: {f.errors[-1]:.4f}) "
            f"&middot; {f.cells.n_leaves} cells, {f.n_samples} points"
        )

    def widget(self) -> Any:
        """The whole viewer as one ipywidgets box, ready to display (built once)."""
        import ipywidgets as W

        if self._widget is None:
            c = self.controls
            self._widget = W.VBox(
                [
                    W.HBox([c["dataset"], c["noise"]]),
                    W.HBox([c["n_samples"], c["depth"]]),
                    c["n_terms"],
                    self.label,
                    self.view.image,
                ],
                layout=W.Layout(border="1px solid #ddd", padding="6px"),
            )
            self._widget.add_class("sw-tree-viewer")
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget()._repr_mimebundle_(**kwargs)
