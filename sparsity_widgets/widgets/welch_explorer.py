"""Welch-bound explorer: coherence and frame potential of random and optimised dictionaries.

Sliders choose the dimension ``d`` (input width), the number of atoms per layer ``k`` and the
depth; a dropdown chooses the structure (unstructured ``d x k``, chain, residual, dense). The
view shows the Gram matrix's sparsity pattern and, for a random and for an optimised dictionary,
the squared coherence ``mu^2`` and the deep frame potential ``F^2`` against the Welch bound of
an unstructured dictionary of the same size.

Responsiveness: the random dictionary of a setting takes a few milliseconds, the minimisation
of its frame potential up to about a second. A move therefore shows the random dictionary at
once (its Gram pattern, its ``mu^2`` and ``F^2``, the Welch bound, "optimising...") and the
minimisation runs in a background thread; its result replaces the picture when it arrives, if
the controls still show that setting. Every optimised setting is cached, so revisits are
instant. The figure keeps its artists and fixed axes; a move changes the artists' data and
redraws only them over a saved background (blitting), with Agg into an ``ipywidgets.Image``
(:class:`~.epsilon_explorer.PngFigure`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._validation import check_choice, check_int
from ..frames.coherence import welch_bound
from ..frames.induced import Architecture, dense_gram, make_architecture, random_weights

__all__ = [
    "MAX_DEPTH",
    "STRUCTURES",
    "WelchArtists",
    "WelchExplorer",
    "WelchState",
    "compute_welch_state",
    "random_welch_state",
    "render_welch",
    "update_welch_artists",
]

STRUCTURES = ("unstructured", "chain", "residual", "dense")
MAX_DEPTH = 5
"""Deepest setting the depth slider offers."""


@dataclass(frozen=True)
class WelchState:
    """Everything the view draws.

    Attributes
    ----------
    structure : str
    widths : tuple of int
    n_rows, n_atoms : int
        Shape of the induced dictionary.
    structure_mask : ndarray of bool, shape (n_atoms, n_atoms)
        Structurally nonzero Gram entries.
    gram : ndarray of float64, shape (n_atoms, n_atoms)
        Gram matrix of the optimised dictionary (of the random one while ``optimised`` is
        False).
    random_mu2, random_f2, optimised_mu2, optimised_f2 : float
        The optimised values are NaN while ``optimised`` is False.
    welch : float
        Welch bound for ``n_atoms`` unit vectors in ``R^{n_rows}``.
    optimised : bool
        Whether the minimisation is done.
    """

    structure: str
    widths: tuple[int, ...]
    n_rows: int
    n_atoms: int
    structure_mask: np.ndarray
    gram: np.ndarray
    random_mu2: float
    random_f2: float
    optimised_mu2: float
    optimised_f2: float
    welch: float
    optimised: bool = True

    def summary(self) -> str:
        """The numbers as one line of text."""
        optimised = f"optimised {self.optimised_mu2:.4f}" if self.optimised else "optimising..."
        f2 = f"optimised {self.optimised_f2:.4f}" if self.optimised else "optimising..."
        return (
            f"mu^2 random {self.random_mu2:.4f}, {optimised}; "
            f"F^2 random {self.random_f2:.4f}, {f2}; Welch bound {self.welch:.4f}"
        )


def _mu2(G: np.ndarray) -> float:
    off = ~np.eye(G.shape[0], dtype=bool)
    return float(np.abs(G[off]).max() ** 2)


def _architecture(structure: str, d: int, k: int, depth: int) -> tuple[Architecture, tuple]:
    if structure not in STRUCTURES:
        raise ValueError(f"structure must be one of {STRUCTURES}; got {structure!r}.")
    if depth < 1:
        raise ValueError(f"depth must be an integer >= 1; got {depth}.")
    widths = (d, k) if structure == "unstructured" else (d, *([k] * depth))
    arch = make_architecture("chain" if structure == "unstructured" else structure, widths)
    return arch, tuple(widths)


def random_welch_state(
    structure: str, d: int, k: int, depth: int = 2, *, seed: int = 0
) -> WelchState:
    """The random dictionary of a setting, before any minimisation (milliseconds).

    Parameters
    ----------
    structure, d, k, depth, seed
        As in :func:`compute_welch_state`.

    Returns
    -------
    WelchState
        ``optimised`` False, the optimised numbers NaN, ``gram`` the random dictionary's.
    """
    arch, widths = _architecture(structure, d, k, depth)
    G0, mask, f0 = dense_gram(arch, random_weights(arch, seed))
    return WelchState(
        structure=structure,
        widths=widths,
        n_rows=arch.n_rows,
        n_atoms=arch.n_atoms,
        structure_mask=mask,
        gram=G0,
        random_mu2=_mu2(G0),
        random_f2=f0,
        optimised_mu2=float("nan"),
        optimised_f2=float("nan"),
        welch=welch_bound(arch.n_rows, arch.n_atoms),
        optimised=False,
    )


def compute_welch_state(
    structure: str, d: int, k: int, depth: int = 2, *, seed: int = 0, max_iter: int = 100
) -> WelchState:
    """Random and optimised dictionaries of one structure, and their numbers.

    Parameters
    ----------
    structure : {"unstructured", "chain", "residual", "dense"}
        ``unstructured`` is a single ``d x k`` dictionary (a one-layer chain).
    d : int
        Input dimension ``k_0``.
    k : int
        Width of every layer.
    depth : int
        Number of layers (ignored when unstructured).
    seed : int
        Seed of the random dictionary and of the minimisation's start.
    max_iter : int
        Iterations of the minimisation.

    Returns
    -------
    WelchState
    """
    from ..frames.minimize import minimize_frame_potential

    start = random_welch_state(structure, d, k, depth, seed=seed)
    arch, _ = _architecture(structure, d, k, depth)
    result = minimize_frame_potential(arch, random_state=seed, max_iter=max_iter)
    G1, _, f1 = dense_gram(arch, result.weights)
    return replace(start, gram=G1, optimised_mu2=_mu2(G1), optimised_f2=f1, optimised=True)


# ---------------------------------------------------------------------- drawing
@dataclass
class WelchArtists:
    """The artists :func:`update_welch_artists` changes in place.

    Both axes are fixed (the Gram image always fills the unit square, the bars live on a fixed
    ``[0, 1.05]`` scale: ``mu^2``, ``F^2`` and the Welch bound are at most 1), so a move only
    redraws :attr:`dynamic` over a saved background.
    """

    gram_axes: Any
    bar_axes: Any
    image: Any
    bars: list[Any]
    welch_line: Any
    gram_title: Any
    bar_title: Any

    @property
    def dynamic(self) -> list[Any]:
        """The artists that change from one setting to the next."""
        return [self.image, *self.bars, self.welch_line, self.gram_title, self.bar_title]


_BAR_LABELS = ("mu^2 random", "F^2 random", "mu^2 optimised", "F^2 optimised")


def render_welch(state: WelchState, fig: Any | None = None) -> WelchArtists:
    """Draw a state from scratch: Gram pattern (left), mu^2 and F^2 against the Welch bound.

    Parameters
    ----------
    state : WelchState
    fig : matplotlib Figure, optional
        Cleared and reused when given; a new one otherwise.

    Returns
    -------
    WelchArtists
        For :func:`update_welch_artists`; ``artists.gram_axes.figure`` is the figure.
    """
    if fig is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(9, 3.8))
    fig.clear()
    # fixed margins instead of tight_layout, so that updates never re-run a layout
    fig.subplots_adjust(left=0.03, right=0.98, bottom=0.27, top=0.88, wspace=0.25)
    ax_g, ax_b = fig.subplots(1, 2)
    image = ax_g.imshow(
        np.zeros((1, 1)),
        cmap="viridis",
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(0.0, 1.0, 1.0, 0.0),  # any n x n matrix fills the same square
    )
    ax_g.set_xticks([])
    ax_g.set_yticks([])
    ax_g.set_xlabel("atoms (blank: structurally zero)", fontsize=8)
    fig.colorbar(image, ax=ax_g, fraction=0.046)
    bars = list(ax_b.bar(_BAR_LABELS, [1.0] * 4, color=["C0", "C1", "C0", "C1"], alpha=0.85))
    welch_line = ax_b.axhline(1.0, color="k", ls="--", label="Welch bound")
    ax_b.set_yscale("symlog", linthresh=1e-4)
    ax_b.set_ylim(0.0, 1.05)
    ax_b.tick_params(axis="x", rotation=30)
    ax_b.legend(loc="upper right", fontsize=8)
    artists = WelchArtists(
        gram_axes=ax_g,
        bar_axes=ax_b,
        image=image,
        bars=bars,
        welch_line=welch_line,
        gram_title=ax_g.set_title("", fontsize=9),
        bar_title=ax_b.set_title("", fontsize=9),
    )
    update_welch_artists(state, artists)
    return artists


def update_welch_artists(state: WelchState, artists: WelchArtists) -> None:
    """Show ``state`` by changing the artists' data (no new artists, no axis change).

    Parameters
    ----------
    state : WelchState
    artists : WelchArtists
        From :func:`render_welch`.
    """
    shown = np.where(state.structure_mask, np.abs(state.gram), np.nan)
    artists.image.set_data(shown)
    which = "optimised" if state.optimised else "random (optimising...)"
    artists.gram_title.set_text(
        f"|G| {which}, {state.structure} {','.join(map(str, state.widths))}"
    )
    values = [state.random_mu2, state.random_f2, state.optimised_mu2, state.optimised_f2]
    for bar, value in zip(artists.bars, values, strict=True):
        bar.set_height(value if np.isfinite(value) else 0.0)
    artists.welch_line.set_ydata([state.welch, state.welch])
    artists.bar_title.set_text(
        f"dictionary {state.n_rows} x {state.n_atoms}, Welch bound {state.welch:.4f}"
    )


# ---------------------------------------------------------------------- cache
_CACHE_SIZE = 512
_cache: OrderedDict[tuple[str, int, int, int], WelchState] = OrderedDict()
_cache_lock = threading.Lock()


def _peek_state(key: tuple[str, int, int, int]) -> WelchState | None:
    with _cache_lock:
        state = _cache.get(key)
        if state is not None:
            _cache.move_to_end(key)
        return state


def _cached_state(structure: str, d: int, k: int, depth: int) -> WelchState:
    """The optimised state of a setting, computed once per process."""
    key = (structure, d, k, depth)
    state = _peek_state(key)
    if state is None:
        state = compute_welch_state(structure, d, k, depth)
        with _cache_lock:
            _cache[key] = state
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return state


# ---------------------------------------------------------------------- controller
class WelchExplorer:
    """Controller: sliders for ``d``, ``k``, depth and a structure dropdown, live numbers.

    Parameters
    ----------
    d, k, depth : int
        Starting values, within the sliders' ranges: ``d`` in ``[1, max_size]``, ``k`` in
        ``[2, max_size]``, ``depth`` in ``[1, MAX_DEPTH]`` (5). A value outside raises a
        ValueError rather than being clamped to the slider's end.
    structure : str
        Starting structure, one of :data:`STRUCTURES`.
    max_size : int
        Largest ``d`` and ``k`` the sliders offer, at least 2 (the view forms the dense Gram
        matrix).
    background : bool, default=True
        Minimise in a background thread and show the random dictionary meanwhile. False
        minimises before returning from each move (what the tests and static pages use).
        The starting setting is always optimised before the constructor returns.

    Attributes
    ----------
    state : WelchState
        Numbers behind the current picture.
    controls : dict of ipywidgets
        ``"d"``, ``"k"``, ``"depth"``, ``"structure"``.
    label : ipywidgets.HTML
        The numbers, as text.
    view : PngFigure
        The picture; ``figure`` is its matplotlib Figure.
    """

    def __init__(
        self,
        d: int = 4,
        k: int = 8,
        depth: int = 2,
        structure: str = "unstructured",
        *,
        max_size: int = 24,
        background: bool = True,
    ) -> None:
        import ipywidgets as W

        from .epsilon_explorer import PngFigure

        # ipywidgets sliders clamp a value outside their range without a word: check first
        max_size = check_int("max_size", max_size, minimum=2)
        d = check_int("d", d, minimum=1, maximum=max_size)
        k = check_int("k", k, minimum=2, maximum=max_size)
        depth = check_int("depth", depth, minimum=1, maximum=MAX_DEPTH)
        check_choice("structure", structure, STRUCTURES)
        self.controls = {
            "d": W.IntSlider(value=d, min=1, max=max_size, description="d"),
            "k": W.IntSlider(value=k, min=2, max=max_size, description="k"),
            "depth": W.IntSlider(value=depth, min=1, max=MAX_DEPTH, description="depth"),
            "structure": W.Dropdown(options=STRUCTURES, value=structure, description="structure"),
        }
        self.label = W.HTML()
        self.view = PngFigure((9.0, 3.8))
        self.figure = self.view.figure
        self.background = background
        self.state: WelchState | None = None
        self._artists: WelchArtists | None = None
        self._draw_lock = threading.RLock()
        self._executor: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self._widget: Any = None
        self._show(_cached_state(*self._key()))
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    def _key(self) -> tuple[str, int, int, int]:
        c = self.controls
        return (c["structure"].value, c["d"].value, c["k"].value, c["depth"].value)

    def _on_change(self, change: dict[str, Any]) -> None:
        self.update()

    def _show(self, state: WelchState) -> None:
        with self._draw_lock:
            self.state = state
            if self._artists is None:
                self._artists = render_welch(state, self.figure)
                self.view.draw(self._artists.dynamic)
            else:
                update_welch_artists(state, self._artists)
                self.view.blit()
            self.label.value = state.summary()

    def _cannot_build(self, exc: Exception) -> None:
        with self._draw_lock:
            self.label.value = f"<b>cannot build:</b> {exc}"

    def update(self) -> WelchState | None:
        """Show the current setting: cached, or its random dictionary while it is optimised.

        A combination that cannot be built leaves the previous state and picture in place and
        says why in :attr:`label`.

        Returns
        -------
        WelchState or None
            What is shown now (``optimised`` False while the minimisation runs).
        """
        key = self._key()
        state = _peek_state(key)
        if state is None and not self.background:
            try:
                state = _cached_state(*key)
            except ValueError as exc:  # e.g. widths the structure cannot take
                self._cannot_build(exc)
                return self.state
        if state is not None:
            self._show(state)
            return state
        try:
            self._show(random_welch_state(*key))
        except ValueError as exc:
            self._cannot_build(exc)
            return self.state
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="welch")
        self._pending = self._executor.submit(self._optimise_and_show, key)
        return self.state

    def _optimise_and_show(self, key: tuple[str, int, int, int]) -> WelchState | None:
        """Runs in the worker thread: minimise, cache, and show if the setting is current."""
        try:
            state = _cached_state(*key)
        except Exception as exc:  # shown to the user in the label, not swallowed
            self._cannot_build(exc)
            return None
        if self._key() == key:  # else the user moved on; the result stays in the cache
            self._show(state)
        return state

    def wait(self, timeout: float | None = 60.0) -> WelchState | None:
        """Block until the last minimisation has been shown (for notebooks run top to bottom).

        Parameters
        ----------
        timeout : float or None
            Seconds to wait at most.

        Returns
        -------
        WelchState or None
            The state shown afterwards.
        """
        if self._pending is not None:
            self._pending.result(timeout=timeout)  # returns once the worker has drawn
        return self.state

    def widget(self) -> Any:
        """The whole explorer as one ipywidgets box, ready to display (built once)."""
        import ipywidgets as W

        if self._widget is None:
            self._widget = W.VBox(
                [W.HBox(list(self.controls.values())), self.label, self.view.image],
                layout=W.Layout(border="1px solid #ddd", padding="6px"),
            )
            self._widget.add_class("sw-welch-explorer")
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget()._repr_mimebundle_(**kwargs)
