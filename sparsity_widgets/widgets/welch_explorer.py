"""Welch-bound explorer: coherence and frame potential of random and optimised dictionaries.

Sliders choose the dimension ``d`` (input width), the number of atoms per layer ``k`` and the
depth; a dropdown chooses the structure (unstructured ``d x k``, chain, residual, dense). The
view shows the Gram matrix's sparsity pattern and, for a random and for an optimised dictionary,
the squared coherence ``mu^2`` and the deep frame potential ``F^2`` against the Welch bound of
an unstructured dictionary of the same size.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..frames.coherence import welch_bound
from ..frames.induced import dense_gram, make_architecture, random_weights

__all__ = ["STRUCTURES", "WelchExplorer", "WelchState", "compute_welch_state", "render_welch"]

STRUCTURES = ("unstructured", "chain", "residual", "dense")


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
        Gram matrix of the optimised dictionary.
    random_mu2, random_f2, optimised_mu2, optimised_f2 : float
    welch : float
        Welch bound for ``n_atoms`` unit vectors in ``R^{n_rows}``.
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


def _mu2(G: np.ndarray) -> float:
    off = ~np.eye(G.shape[0], dtype=bool)
    return float(np.abs(G[off]).max() ** 2)


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

    Returns
    -------
    WelchState
    """
    from ..frames.minimize import minimize_frame_potential

    if structure not in STRUCTURES:
        raise ValueError(f"structure must be one of {STRUCTURES}; got {structure!r}.")
    if depth < 1:
        raise ValueError(f"depth must be an integer >= 1; got {depth}.")
    widths = (d, k) if structure == "unstructured" else (d, *([k] * depth))
    arch = make_architecture("chain" if structure == "unstructured" else structure, widths)
    G0, mask, f0 = dense_gram(arch, random_weights(arch, seed))
    result = minimize_frame_potential(arch, random_state=seed, max_iter=max_iter)
    G1, _, f1 = dense_gram(arch, result.weights)
    return WelchState(
        structure=structure,
        widths=tuple(widths),
        n_rows=arch.n_rows,
        n_atoms=arch.n_atoms,
        structure_mask=mask,
        gram=G1,
        random_mu2=_mu2(G0),
        random_f2=f0,
        optimised_mu2=_mu2(G1),
        optimised_f2=f1,
        welch=welch_bound(arch.n_rows, arch.n_atoms),
    )


def render_welch(state: WelchState, fig: Any | None = None) -> Any:
    """Draw a state: Gram pattern (left) and mu^2, F^2 against the Welch bound (right).

    Parameters
    ----------
    state : WelchState
    fig : matplotlib Figure, optional
        Cleared and reused when given.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(9, 3.8))
    fig.clear()
    ax_g, ax_b = fig.subplots(1, 2)
    shown = np.where(state.structure_mask, np.abs(state.gram), np.nan)
    image = ax_g.imshow(shown, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax_g.set_title(f"|G| optimised, {state.structure} {','.join(map(str, state.widths))}")
    fig.colorbar(image, ax=ax_g, fraction=0.046)
    labels = ["mu^2 random", "F^2 random", "mu^2 optimised", "F^2 optimised"]
    values = [state.random_mu2, state.random_f2, state.optimised_mu2, state.optimised_f2]
    ax_b.bar(labels, values, color=["C0", "C1", "C0", "C1"], alpha=0.85)
    ax_b.axhline(state.welch, color="k", ls="--", label=f"Welch bound {state.welch:.4f}")
    ax_b.set_yscale("symlog", linthresh=1e-4)
    ax_b.tick_params(axis="x", rotation=30)
    ax_b.legend(loc="upper right")
    ax_b.set_title(f"dictionary {state.n_rows} x {state.n_atoms}")
    fig.tight_layout()
    return fig


@lru_cache(maxsize=512)
def _cached_state(structure: str, d: int, k: int, depth: int) -> WelchState:
    # Unstructured settings take ~10-30 ms; structured ones up to ~1 s on a busy 2-core CPU
    # (the minimisation), so every setting is computed once and revisits are instant.
    return compute_welch_state(structure, d, k, depth)


class WelchExplorer:
    """Controller: sliders for ``d``, ``k``, depth and a structure dropdown, live numbers.

    Parameters
    ----------
    d, k, depth : int
        Starting values.
    structure : str
        Starting structure.
    max_size : int
        Largest ``d`` and ``k`` the sliders offer (the view forms the dense Gram matrix).

    Attributes
    ----------
    state : WelchState
        Numbers behind the current picture.
    controls : dict of ipywidgets
        ``"d"``, ``"k"``, ``"depth"``, ``"structure"``.
    label : ipywidgets.HTML
        The numbers, as text.
    figure : matplotlib Figure
    """

    def __init__(
        self,
        d: int = 4,
        k: int = 8,
        depth: int = 2,
        structure: str = "unstructured",
        *,
        max_size: int = 24,
    ) -> None:
        import ipywidgets as W
        import matplotlib.pyplot as plt

        self.controls = {
            "d": W.IntSlider(value=d, min=1, max=max_size, description="d"),
            "k": W.IntSlider(value=k, min=2, max=max_size, description="k"),
            "depth": W.IntSlider(value=depth, min=1, max=5, description="depth"),
            "structure": W.Dropdown(options=STRUCTURES, value=structure, description="structure"),
        }
        self.label = W.HTML()
        self.output = W.Output()
        self.state: WelchState | None = None
        with plt.ioff():
            self.figure = plt.figure(figsize=(9, 3.8))
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> WelchState | None:
        """Recompute (or fetch from the cache) from the controls' values and redraw.

        A combination that cannot be built leaves the previous state and picture in place and
        says why in :attr:`label`.
        """
        c = self.controls
        try:
            self.state = _cached_state(
                c["structure"].value, c["d"].value, c["k"].value, c["depth"].value
            )
        except ValueError as exc:  # e.g. residual needs at least width-compatible layers
            self.label.value = f"<b>cannot build:</b> {exc}"
            return self.state
        s = self.state
        self.label.value = (
            f"mu^2 random {s.random_mu2:.4f}, optimised {s.optimised_mu2:.4f}; "
            f"F^2 random {s.random_f2:.4f}, optimised {s.optimised_f2:.4f}; "
            f"Welch bound {s.welch:.4f}"
        )
        render_welch(s, self.figure)
        self.output.clear_output(wait=True)
        with self.output:
            from IPython.display import display

            display(self.figure)
        return s

    def widget(self) -> Any:
        """The whole explorer as one ipywidgets box, ready to display."""
        import ipywidgets as W

        return W.VBox([W.HBox(list(self.controls.values())), self.label, self.output])
