"""Collapse explorer: Lambda^j, NC1 and the class means of one layer over training.

Over a saved :class:`~sparsity_widgets.studies.collapse_result.CollapseStudyResult` (the NCC
study of the chapter "Nearest class centers and neural collapse"), four controls pick a data
set, a variant (``"vanilla"``, ``"svsl"`` or ``"both"``), a probed layer and a checkpoint epoch.
The widget shows

* left: the NCC mismatch Lambda^j on train (solid) and test (dashed) over the epochs for the
  layer, mean over seeds with a +-1 std band, one colour per variant; dotted vertical lines at
  each seed's interpolation threshold (IT), a grey line at the chosen epoch;
* middle: NC1 of the layer over the epochs (log scale), the same way;
* right: the layer's class means and 1-std within-class ellipses in the plane of the two
  leading directions of the class means (:class:`~sparsity_widgets.collapse.ClassPlane`), at
  the chosen epoch when the study kept a picture there (first seed only, a few epochs), else at
  the nearest epoch that has one, with a note saying so;
* a read-out with the numbers at the chosen layer and epoch (mean +- std over seeds, ddof = 0
  as the study's tables) and alpha* of the layer at the IT and at the end.

Nothing is computed from features here: every number is read from the result. An epoch move
redraws only the epoch markers over the saved curves (blitting) and the plane when its
picture changes; a data-set, variant or layer move redraws the curves.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..collapse.plane import ClassPlane
from ..studies.collapse_result import CollapseStudyResult
from ..studies.collapse_run import CollapseRun
from .epsilon_explorer import PngFigure

__all__ = [
    "BOTH",
    "CollapseArtists",
    "CollapseExplorer",
    "CollapseState",
    "VariantSeries",
    "common_epochs",
    "compute_collapse_state",
    "move_epoch_markers",
    "render_class_planes",
    "render_collapse_curves",
    "render_lambda",
    "render_nc1",
    "variant_choices",
]

#: The variant choice that shows every variant of a data set together.
BOTH = "both"

#: Quantities read at the chosen epoch (``CollapseRun`` curves, per layer).
LAYER_VALUES = ("lambda_train", "lambda_test", "nc1", "ncc_accuracy_test")
#: Quantities read at the chosen epoch (the network's own, one per checkpoint).
NETWORK_VALUES = ("train_accuracy", "test_accuracy")

_COLORS = {"vanilla": "#1b374d", "svsl": "#ee4f2f"}
_SPLIT_STYLE = {"train": "-", "test": "--"}
_MARKER_COLOR = "#7f7f7f"


# ---------------------------------------------------------------------- numbers
@dataclass(frozen=True)
class VariantSeries:
    """One variant's numbers for the chosen data set, layer and epoch, over its seeds.

    Attributes
    ----------
    variant : str
        ``"vanilla"`` or ``"svsl"``.
    seeds : tuple of int
        The seeds, increasing.
    it_epochs : tuple of int
        Each seed's interpolation threshold (in seed order).
    it_reached : tuple of bool
        Whether each seed classified every training sample correctly at some checkpoint.
    curves : dict of str to (ndarray, ndarray)
        ``"lambda_train"``, ``"lambda_test"``, ``"nc1"``, ``"ncc_accuracy_test"`` -> (mean,
        std) over the seeds at each epoch of :attr:`CollapseState.epochs`, each shape
        (n_epochs,).
    at_epoch : dict of str to (float, float)
        The four curves above and the network's ``"train_accuracy"`` and ``"test_accuracy"``
        at the chosen epoch: (mean, std) over the seeds.
    alpha_it, alpha_end : (float, float)
        alpha* of the layer at each seed's IT and at the end: (mean, std) over the seeds.
    plane : ClassPlane or None
        The class picture of the layer shown (None when the runs kept none).
    plane_epoch : int or None
        The epoch of :attr:`plane`: the chosen one, or the nearest with a picture (the earlier
        on a tie).
    plane_seed : int or None
        The seed whose run holds the pictures (the first seed that has any).
    plane_note : str or None
        Why the picture is not of the chosen epoch (None when it is).
    """

    variant: str
    seeds: tuple[int, ...]
    it_epochs: tuple[int, ...]
    it_reached: tuple[bool, ...]
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    at_epoch: dict[str, tuple[float, float]]
    alpha_it: tuple[float, float]
    alpha_end: tuple[float, float]
    plane: ClassPlane | None
    plane_epoch: int | None
    plane_seed: int | None
    plane_note: str | None

    def summary_html(self) -> str:
        """This variant's numbers at the chosen epoch as one HTML line."""

        def pm(key: str, fmt: str) -> str:
            mean, std = self.at_epoch[key]
            return f"{mean:{fmt}} &plusmn; {std:{fmt}}"

        its = ", ".join(str(e) for e in self.it_epochs)
        reached = sum(self.it_reached)
        return (
            f"<b>{self.variant}</b> ({len(self.seeds)} seed(s)): "
            f"<b>Lambda train {pm('lambda_train', '.4f')}, test {pm('lambda_test', '.4f')}</b>; "
            f"NC1 {pm('nc1', '.3g')}; NCC test accuracy {pm('ncc_accuracy_test', '.4f')}; "
            f"network accuracy train {pm('train_accuracy', '.4f')}, "
            f"test {pm('test_accuracy', '.4f')}; IT at epoch(s) {its} "
            f"(100 % train accuracy reached in {reached} of {len(self.seeds)}); alpha* of the "
            f"layer {self.alpha_it[0]:.3f} &plusmn; {self.alpha_it[1]:.3f} at the IT, "
            f"{self.alpha_end[0]:.3f} &plusmn; {self.alpha_end[1]:.3f} at the end"
        )


@dataclass(frozen=True)
class CollapseState:
    """Everything the explorer shows for one choice of data set, variant, layer and epoch.

    Attributes
    ----------
    dataset : str
    variant : str
        The choice: a variant name or :data:`BOTH`.
    layer : str
        The layer's name.
    layer_index : int
        Its position among the data set's probed layers.
    layers : tuple of str
        The data set's probed layers, in forward order.
    epoch : int
        The chosen checkpoint epoch.
    epochs : ndarray of int, shape (n_epochs,)
        The checkpoint epochs every run of the data set has (the slider's options).
    series : tuple of VariantSeries
        One per variant shown, in :data:`~sparsity_widgets.studies.collapse_settings.VARIANTS`
        order.
    """

    dataset: str
    variant: str
    layer: str
    layer_index: int
    layers: tuple[str, ...]
    epoch: int
    epochs: np.ndarray
    series: tuple[VariantSeries, ...]

    def summary_html(self) -> str:
        """The numbers at the chosen layer and epoch as HTML, one line per variant."""
        head = (
            f"<b>{self.dataset}</b>, layer <b>{self.layer}</b> "
            f"({self.layer_index + 1} of {len(self.layers)}), <b>epoch {self.epoch}</b> "
            f"(mean &plusmn; std over seeds)"
        )
        lines = [head, *(s.summary_html() for s in self.series)]
        lines += [f"<i>{s.variant}: {s.plane_note}</i>" for s in self.series if s.plane_note]
        return "<br>".join(lines)


def _spread(values: list[float] | np.ndarray) -> tuple[float, float]:
    array = np.asarray(values, dtype=np.float64)
    return float(array.mean()), float(array.std())


def _layer_index(layer: str | int, layers: tuple[str, ...]) -> int:
    if isinstance(layer, str):
        if layer not in layers:
            raise ValueError(f"layer must be one of {list(layers)}; got {layer!r}.")
        return layers.index(layer)
    if isinstance(layer, bool) or not isinstance(layer, int | np.integer):
        raise ValueError(
            f"layer must be a layer name of {list(layers)} or a position in "
            f"[0, {len(layers) - 1}]; got {layer!r} of type {type(layer).__name__}."
        )
    if not 0 <= int(layer) < len(layers):
        raise ValueError(
            f"layer must be a position in [0, {len(layers) - 1}] (layers {list(layers)}); "
            f"got {layer}."
        )
    return int(layer)


def common_epochs(result: CollapseStudyResult, dataset: str) -> tuple[int, ...]:
    """The checkpoint epochs every run of ``dataset`` has, increasing."""
    return result.common_epochs(dataset)


def variant_choices(result: CollapseStudyResult, dataset: str) -> tuple[str, ...]:
    """The variants of ``dataset``, then :data:`BOTH` when there are two or more."""
    variants = result.variants(dataset)
    return (*variants, BOTH) if len(variants) > 1 else variants


def _plane(
    runs: list[CollapseRun], layer_index: int, epoch: int
) -> tuple[ClassPlane | None, int | None, int | None, str | None]:
    """The picture of the layer at ``epoch`` from the first run that holds pictures, or at the
    nearest picture epoch (the earlier on a tie), with a note when it is not ``epoch``."""
    holder = next((r for r in runs if r.planes), None)
    if holder is None:
        return None, None, None, "no class-mean pictures were saved for these runs"
    saved = tuple(holder.planes)
    nearest = min(saved, key=lambda e: (abs(e - epoch), e))
    note = None
    if nearest != epoch:
        note = (
            f"no class-mean picture at epoch {epoch} (seed {holder.seed} has them at epochs "
            f"{', '.join(str(e) for e in saved)}); showing epoch {nearest}, the nearest"
        )
    return holder.planes[nearest][layer_index], nearest, holder.seed, note


def _series(
    result: CollapseStudyResult,
    dataset: str,
    variant: str,
    layer_index: int,
    epochs: tuple[int, ...],
    epoch: int,
) -> VariantSeries:
    runs = result.group(dataset, variant)
    curves = {}
    for name in LAYER_VALUES:
        _, mean, std = result.curve_over_seeds(dataset, variant, name, epochs)
        curves[name] = (mean[layer_index], std[layer_index])
    at = {name: _spread([r.at(name, epoch)[layer_index] for r in runs]) for name in LAYER_VALUES}
    for name in NETWORK_VALUES:
        at[name] = _spread([getattr(r, name)[r.epochs.index(epoch)] for r in runs])
    plane, plane_epoch, plane_seed, note = _plane(runs, layer_index, epoch)
    return VariantSeries(
        variant=variant,
        seeds=tuple(r.seed for r in runs),
        it_epochs=tuple(r.it_epoch for r in runs),
        it_reached=tuple(r.it_reached for r in runs),
        curves=curves,
        at_epoch={k: (float(m), float(s)) for k, (m, s) in at.items()},
        alpha_it=tuple(float(v) for v in _spread([r.alpha_it[layer_index] for r in runs])),
        alpha_end=tuple(float(v) for v in _spread([r.alpha_end[layer_index] for r in runs])),
        plane=plane,
        plane_epoch=plane_epoch,
        plane_seed=plane_seed,
        plane_note=note,
    )


def compute_collapse_state(
    result: CollapseStudyResult,
    dataset: str,
    variant: str,
    layer: str | int,
    epoch: int,
) -> CollapseState:
    """Read one layer's Lambda, NC1 and class picture at one epoch from a study result.

    Parameters
    ----------
    result : CollapseStudyResult
    dataset : str
        One of ``result.datasets``.
    variant : str
        One of ``result.variants(dataset)``, or :data:`BOTH` (when the data set has two).
    layer : str or int
        A name of ``result.layers(dataset)`` or its position.
    epoch : int
        A checkpoint epoch every run of the data set has (:func:`common_epochs`).

    Returns
    -------
    CollapseState

    Raises
    ------
    ValueError
        An unknown data set, variant, layer or epoch, naming the valid ones.
    """
    if not isinstance(result, CollapseStudyResult):
        raise ValueError(f"result must be a CollapseStudyResult; got {type(result).__name__}.")
    if dataset not in result.datasets:
        raise ValueError(f"dataset must be one of {list(result.datasets)}; got {dataset!r}.")
    choices = variant_choices(result, dataset)
    if variant not in choices:
        raise ValueError(
            f"variant must be one of {list(choices)} for {dataset!r}; got {variant!r}."
        )
    layers = result.layers(dataset)
    index = _layer_index(layer, layers)
    epochs = common_epochs(result, dataset)
    if isinstance(epoch, bool) or not isinstance(epoch, int | np.integer) or epoch not in epochs:
        raise ValueError(
            f"epoch must be a checkpoint epoch of every {dataset!r} run, one of {list(epochs)}; "
            f"got {epoch!r}."
        )
    epoch = int(epoch)
    shown = result.variants(dataset) if variant == BOTH else (variant,)
    series = tuple(_series(result, dataset, v, index, epochs, epoch) for v in shown)
    return CollapseState(
        dataset=dataset,
        variant=variant,
        layer=layers[index],
        layer_index=index,
        layers=layers,
        epoch=epoch,
        epochs=np.array(epochs),
        series=series,
    )


# ---------------------------------------------------------------------- view
@dataclass
class CollapseArtists:
    """The curve panels and their epoch markers (the only artists an epoch move redraws)."""

    lambda_axes: Any
    nc1_axes: Any
    markers: list[Any]


def _it_lines(state: CollapseState, axes: Any) -> None:
    """Dotted vertical lines at each variant's distinct IT epochs, in the variant's colour."""
    for s in state.series:
        for k, it in enumerate(sorted(set(s.it_epochs))):
            axes.axvline(
                it,
                color=_COLORS[s.variant],
                ls=":",
                lw=1.1,
                label=f"IT ({s.variant})" if k == 0 else None,
            )


def _marker(state: CollapseState, axes: Any) -> Any:
    return axes.axvline(state.epoch, color=_MARKER_COLOR, lw=1.6, alpha=0.8, zorder=5)


def _finish_panel(
    state: CollapseState, axes: Any, *, ylabel: str, title: str, grid_which: str = "major"
) -> Any:
    """IT lines, axes labels, legend and grid of a curve panel; returns the epoch marker."""
    _it_lines(state, axes)
    x = state.epochs
    if x.size > 1:
        axes.set_xlim(x[0], x[-1])
    axes.set_xlabel("epoch")
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7, loc="best", framealpha=0.7)
    axes.grid(alpha=0.3, which=grid_which)
    return _marker(state, axes)


def render_lambda(state: CollapseState, axes: Any) -> Any:
    """Panel (1): Lambda^j on train and test over the epochs for the chosen layer.

    One solid (train) and one dashed (test) line per variant shown, means over seeds with
    +-1 std bands; dotted lines at the ITs; a grey line at the chosen epoch.

    Parameters
    ----------
    state : CollapseState
    axes : matplotlib Axes

    Returns
    -------
    matplotlib Line2D
        The chosen-epoch marker.
    """
    x = state.epochs
    for s in state.series:
        for split, style in _SPLIT_STYLE.items():
            mean, std = s.curves[f"lambda_{split}"]
            axes.plot(
                x, mean, style, color=_COLORS[s.variant], lw=1.5, label=f"{s.variant} {split}"
            )
            low = np.clip(mean - std, 0.0, None)  # Lambda is a fraction: no band below 0
            axes.fill_between(x, low, mean + std, color=_COLORS[s.variant], alpha=0.12, lw=0)
    axes.set_yscale("symlog", linthresh=1e-3)
    axes.set_ylim(bottom=0.0)
    return _finish_panel(
        state,
        axes,
        ylabel="Lambda (NCC mismatch)",
        title=f"{state.dataset}, layer {state.layer}: Lambda on train and test",
    )


def render_nc1(state: CollapseState, axes: Any) -> Any:
    """Panel (2): NC1 over the epochs for the chosen layer (log scale).

    One line per variant shown (mean over seeds, +-1 std band), dotted lines at the ITs and a
    grey line at the chosen epoch.

    Parameters
    ----------
    state : CollapseState
    axes : matplotlib Axes

    Returns
    -------
    matplotlib Line2D
        The chosen-epoch marker.
    """
    x = state.epochs
    for s in state.series:
        mean, std = s.curves["nc1"]
        axes.plot(x, mean, "-", color=_COLORS[s.variant], lw=1.5, label=s.variant)
        low = np.where(mean - std > 0, mean - std, mean)  # a log axis shows no band below 0
        axes.fill_between(x, low, mean + std, color=_COLORS[s.variant], alpha=0.12, lw=0)
    axes.set_yscale("log")
    return _finish_panel(
        state,
        axes,
        ylabel="NC1 (variability collapse)",
        title=f"layer {state.layer}: NC1 = tr(Sigma_W Sigma_B^+) / K",
        grid_which="both",
    )


def render_collapse_curves(state: CollapseState, fig: Any) -> CollapseArtists:
    """Panels (1) and (2) side by side (``fig`` is cleared first).

    Returns
    -------
    CollapseArtists
    """
    fig.clear()
    ax_lambda, ax_nc1 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.9, wspace=0.3)
    markers = [render_lambda(state, ax_lambda), render_nc1(state, ax_nc1)]
    return CollapseArtists(ax_lambda, ax_nc1, markers)


def move_epoch_markers(state: CollapseState, artists: CollapseArtists) -> None:
    """Move the chosen-epoch lines of :func:`render_collapse_curves` to ``state.epoch``."""
    for line in artists.markers:
        line.set_xdata([state.epoch, state.epoch])


def render_class_planes(state: CollapseState, fig: Any) -> list[Any]:
    """Panel (3): the layer's class means and 1-std ellipses, one plane per variant shown.

    Uses :func:`~sparsity_widgets.studies.collapse_plots.plot_class_plane`; a variant without
    pictures gets a note instead (``fig`` is cleared first).

    Returns
    -------
    list of matplotlib Axes
        One per variant shown.
    """
    from ..studies.collapse_plots import plot_class_plane

    fig.clear()
    axes = list(np.atleast_1d(fig.subplots(1, len(state.series))))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.12, top=0.84, wspace=0.3)
    for ax, s in zip(axes, state.series, strict=True):
        if s.plane is None:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.text(
                0.5,
                0.5,
                s.plane_note,
                ha="center",
                va="center",
                fontsize=8,
                wrap=True,
                transform=ax.transAxes,
                color="#555555",
            )
            ax.set_title(f"{s.variant}: no class picture", fontsize=9)
            continue
        plot_class_plane(s.plane, ax)
        where = f"epoch {s.plane_epoch}"
        if s.plane_epoch != state.epoch:
            where += f" (nearest to {state.epoch})"
        ax.set_title(
            f"{s.variant}, layer {state.layer}, {where}, seed {s.plane_seed}\n"
            f"class means, 1-std ellipses ({100 * s.plane.between_class_share:.0f}% of "
            "Sigma_B)",
            fontsize=8,
        )
    return axes


# ---------------------------------------------------------------------- controller
def _load(result: CollapseStudyResult | str | os.PathLike) -> CollapseStudyResult:
    if isinstance(result, CollapseStudyResult):
        return result
    if isinstance(result, str | os.PathLike):
        return CollapseStudyResult.from_json(result)
    raise ValueError(
        "result must be a CollapseStudyResult or the path of a collapse-<setting>.json; got "
        f"{type(result).__name__}."
    )


class CollapseExplorer:
    """Controller: data set, variant, layer and epoch over a saved NCC study.

    Parameters
    ----------
    result : CollapseStudyResult or path
        A result, or the path of the ``collapse-<setting>.json`` that
        :meth:`CollapseStudyResult.save` writes.
    dataset : str, optional
        Default the first data set.
    variant : str, optional
        ``"vanilla"``, ``"svsl"`` or ``"both"``; default both (the only one when the data set
        has one).
    layer : str or int, optional
        Name or position; default the last probed layer.
    epoch : int, optional
        A checkpoint epoch; default the last.

    Attributes
    ----------
    result : CollapseStudyResult
    state : CollapseState
    controls : dict of ipywidgets
        ``"dataset"`` (Dropdown), ``"variant"`` (ToggleButtons), ``"layer"`` (Dropdown of
        positions labelled by name) and ``"epoch"`` (SelectionSlider over the checkpoint
        epochs).
    label : ipywidgets.HTML
        The numbers at the chosen layer and epoch.
    views : dict of PngFigure
        ``"curves"`` (Lambda and NC1) and ``"plane"`` (the class picture): an epoch move blits
        the curves' epoch markers and redraws the plane only when its picture changes.
    """

    def __init__(
        self,
        result: CollapseStudyResult | str | os.PathLike,
        *,
        dataset: str | None = None,
        variant: str | None = None,
        layer: str | int | None = None,
        epoch: int | None = None,
    ) -> None:
        import ipywidgets as W

        self.result = _load(result)
        dataset = self.result.datasets[0] if dataset is None else dataset
        if dataset not in self.result.datasets:
            raise ValueError(
                f"dataset must be one of {list(self.result.datasets)}; got {dataset!r}."
            )
        choices = variant_choices(self.result, dataset)
        variant = choices[-1] if variant is None else variant
        layers = self.result.layers(dataset)
        index = len(layers) - 1 if layer is None else _layer_index(layer, layers)
        epochs = common_epochs(self.result, dataset)
        epoch = epochs[-1] if epoch is None else epoch
        # validates variant and epoch with the messages of the pure function
        first = compute_collapse_state(self.result, dataset, variant, index, epoch)
        style = {"description_width": "60px"}
        self.controls = {
            "dataset": W.Dropdown(
                options=list(self.result.datasets),
                value=dataset,
                description="data set",
                style=style,
            ),
            "variant": W.ToggleButtons(
                options=list(choices), value=variant, description="variant", style=style
            ),
            "layer": W.Dropdown(
                options=[(n, i) for i, n in enumerate(layers)],
                value=index,
                description="layer",
                style=style,
            ),
            "epoch": W.SelectionSlider(
                options=[(str(e), e) for e in epochs],
                value=first.epoch,
                description="epoch",
                style=style,
                continuous_update=False,
            ),
        }
        self.label = W.HTML()
        self.views = {"curves": PngFigure((9.0, 3.4)), "plane": PngFigure((7.2, 3.8))}
        self.state: CollapseState | None = None
        self._artists: CollapseArtists | None = None
        self._syncing = False
        self._widget: Any = None
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    @classmethod
    def from_json(cls, path: str | os.PathLike, **kwargs: Any) -> CollapseExplorer:
        """An explorer over ``collapse-<setting>.json``; ``kwargs`` as for the constructor."""
        return cls(CollapseStudyResult.from_json(path), **kwargs)

    @contextmanager
    def _held(self) -> Any:
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    def _sync_dataset(self, dataset: str) -> None:
        """Give the variant, layer and epoch controls the new data set's options, keeping
        the variant, the layer position (clipped) and the nearest epoch."""
        c = self.controls
        choices = variant_choices(self.result, dataset)
        layers = self.result.layers(dataset)
        epochs = common_epochs(self.result, dataset)
        variant = c["variant"].value if c["variant"].value in choices else choices[-1]
        index = min(c["layer"].value, len(layers) - 1)
        epoch = min(epochs, key=lambda e: (abs(e - c["epoch"].value), e))
        with self._held():
            c["variant"].options = list(choices)
            c["variant"].value = variant
            c["layer"].options = [(n, i) for i, n in enumerate(layers)]
            c["layer"].value = index
            c["epoch"].options = [(str(e), e) for e in epochs]
            c["epoch"].value = epoch

    def _on_change(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        if change["owner"] is self.controls["dataset"]:
            self._sync_dataset(change["new"])
        self.update()

    def update(self) -> CollapseState:
        """Show what the controls hold; redraw only the panels that changed."""
        c = self.controls
        before = self.state
        state = compute_collapse_state(
            self.result, c["dataset"].value, c["variant"].value, c["layer"].value, c["epoch"].value
        )
        self.state = state
        curves = self.views["curves"]
        same_curves = before is not None and (
            (before.dataset, before.variant, before.layer_index)
            == (state.dataset, state.variant, state.layer_index)
        )
        if not same_curves:
            self._artists = render_collapse_curves(state, curves.figure)
            curves.draw(self._artists.markers)
        elif before.epoch != state.epoch:
            move_epoch_markers(state, self._artists)
            curves.blit()
        pictures = [(s.variant, s.plane_epoch) for s in state.series]
        if not same_curves or pictures != [(s.variant, s.plane_epoch) for s in before.series]:
            render_class_planes(state, self.views["plane"].figure)
            self.views["plane"].draw()
        # the read-out last: when it changes in the browser, the pictures have been sent
        self.label.value = state.summary_html()
        return state

    def widget(self) -> Any:
        """The whole explorer as one ipywidgets box, ready to display (built once)."""
        import ipywidgets as W

        if self._widget is None:
            c = self.controls
            self._widget = W.VBox(
                [
                    W.HBox([c["dataset"], c["variant"]]),
                    W.HBox([c["layer"], c["epoch"]]),
                    self.label,
                    self.views["curves"].image,
                    self.views["plane"].image,
                ],
                layout=W.Layout(border="1px solid #ddd", padding="6px"),
            )
            self._widget.add_class("sw-collapse-explorer")
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget()._repr_mimebundle_(**kwargs)
