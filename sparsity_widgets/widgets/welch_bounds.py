"""Welch and chain bounds of the deep frame potential, computed in the reader's browser.

:class:`WelchBounds` shows, for a chain, residual or dense network of input dimension ``d``,
width ``k`` and depth ``l``, the closed-form lower bounds of Murdock & Lucey (CVPR 2020): the
Welch bound for ``(d, k)``, the chain bound (eq. 17-22, minimised over the integer ``T_j``) and
the Welch bound of an unstructured dictionary of the induced shape, as curves over ``k`` and over
the depth with the current setting marked. The browser computes them for every slider value
(``browser/welch_bounds.js``); the minima that need an optimisation (the minimum deep frame
potential, ``mu^2`` of random and optimised dictionaries) are precomputed here on a grid of the
slider values and looked up, and a setting off the grid says "not precomputed".
"""

from __future__ import annotations

from collections.abc import Sequence

import traitlets as T

from .._validation import check_choice, check_int
from .browser.welch_bounds import STRUCTURES, WELCH_BOUNDS, precompute_grid
from .browser_widget import BrowserWidget

__all__ = ["WelchBounds"]


def _grid_values(name: str, values: Sequence[int], lo: int, hi: int) -> list[int]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a sequence of integers; got {values!r}.")
    out = [check_int(f"{name} entries", v, minimum=lo, maximum=hi) for v in values]
    if not out:
        raise ValueError(f"{name} must hold at least one value; got an empty sequence.")
    return out


class WelchBounds(BrowserWidget):
    """Welch and chain bounds over ``d``, ``k`` and the depth, with precomputed minima.

    Parameters
    ----------
    d, k, depth : int
        Starting setting, within the sliders: ``d`` in ``[1, d_max]``, ``k`` in ``[2, k_max]``,
        ``depth`` in ``[1, depth_max]``.
    structure : {"chain", "residual", "dense"}
    d_max, k_max, depth_max : int
        Slider ranges (the closed forms are computed for every value).
    grid_d, grid_k, grid_depth : sequence of int
        Where the minima are precomputed (one L-BFGS minimisation per network, about 0.1-0.3 s
        each for widths up to 16); the default grid holds 72 networks, about 10 s.
    max_iter : int
        L-BFGS iterations of each minimisation (the value is an upper bound on the minimum
        when it stops there; the page says which).
    seed : int
        Seed of the random dictionary and of the minimisation's start.
    title : str, optional

    Attributes
    ----------
    result : dict
        Python's answer for the current setting (what the browser shows):
        :func:`~sparsity_widgets.widgets.browser.welch_bounds.welch_bounds_shown`.
    """

    kind = WELCH_BOUNDS.kind
    structure = T.Unicode("chain").tag(sync=True)
    d = T.Int(4).tag(sync=True)
    k = T.Int(8).tag(sync=True)
    depth = T.Int(2).tag(sync=True)
    d_max = T.Int(12).tag(sync=True)
    k_max = T.Int(16).tag(sync=True)
    depth_max = T.Int(5).tag(sync=True)
    grid = T.Dict().tag(sync=True)

    def __init__(
        self,
        d: int = 4,
        k: int = 8,
        depth: int = 2,
        structure: str = "chain",
        *,
        d_max: int = 12,
        k_max: int = 16,
        depth_max: int = 5,
        grid_d: Sequence[int] = (2, 4, 8),
        grid_k: Sequence[int] = (4, 8, 12, 16),
        grid_depth: Sequence[int] = (1, 2, 3),
        max_iter: int = 100,
        seed: int = 0,
        title: str | None = None,
    ) -> None:
        check_choice("structure", structure, STRUCTURES)
        d_max = check_int("d_max", d_max, minimum=1, maximum=64)
        k_max = check_int("k_max", k_max, minimum=2, maximum=64)
        depth_max = check_int("depth_max", depth_max, minimum=1, maximum=10)
        d = check_int("d", d, minimum=1, maximum=d_max)
        k = check_int("k", k, minimum=2, maximum=k_max)
        depth = check_int("depth", depth, minimum=1, maximum=depth_max)
        max_iter = check_int("max_iter", max_iter, minimum=1)
        seed = check_int("seed", seed, minimum=0)
        grid = precompute_grid(
            _grid_values("grid_d", grid_d, 1, d_max),
            _grid_values("grid_k", grid_k, 2, k_max),
            _grid_values("grid_depth", grid_depth, 1, depth_max),
            max_iter=max_iter,
            seed=seed,
        )
        if title is None:
            title = "Welch and chain bounds of the deep frame potential"
        super().__init__(
            structure=structure,
            d=d,
            k=k,
            depth=depth,
            d_max=d_max,
            k_max=k_max,
            depth_max=depth_max,
            grid=grid,
            title=title,
        )
