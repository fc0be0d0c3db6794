"""The sawtooth and its Besov growth, computed in the reader's browser (anywidget).

:class:`SawtoothWindow` has two sliders: ``j`` (how many hats are composed into ``Lambda_j``)
and ``alpha`` (the Besov smoothness, ``1/tau = alpha + 1/2``). Its JavaScript model
(``browser/sawtooth_window.js``) draws ``Lambda_j``, counts its teeth, and computes the
package's dyadic ``N_tau`` (:func:`~sparsity_widgets.sawtooth.besov_seminorm`) of
``Lambda_1 .. Lambda_j`` and the slope of its ``log2`` (the slides: ``alpha``), level by level
in closed form, so that every setting of the sliders is computed on the page: nothing is
precomputed and the state holds four numbers. With a kernel, Python recomputes each setting with
the twin (:func:`~sparsity_widgets.widgets.browser.sawtooth_window.sawtooth_shown`) and the view
shows its value beside the page's (:class:`~sparsity_widgets.widgets.browser_widget.
BrowserWidget`).

It replaces :class:`~sparsity_widgets.widgets.SawtoothDemo` in the book; the demo (which also
probes the ReLU network's layers, a kernel-side computation) stays in the widget gallery.
"""

from __future__ import annotations

import traitlets as T

from .._validation import check_int, check_real
from ..sawtooth import BesovGrowth, besov_growth
from .browser.sawtooth_window import SAWTOOTH, SAWTOOTH_MAX_DEPTH
from .browser_widget import BrowserWidget

__all__ = ["SawtoothWindow"]


class SawtoothWindow(BrowserWidget):
    """``Lambda_j`` and its Besov semi-norm growth for any ``j`` and ``alpha``, kernel or not.

    Parameters
    ----------
    j : int
        Start value of the j slider, ``1 <= j <= j_max``.
    alpha : float
        Start value of the alpha slider, in ``(0, 1)`` (the slider runs over 0.05 .. 0.95).
    j_max : int
        Largest j the slider offers, ``1 <= j_max`` and ``j_max + extra_levels <= 24``
        (``Lambda_j`` is drawn at its ``2^j + 1`` knots).
    extra_levels : int
        Depth of the dyadic tree below level j, as for
        :func:`~sparsity_widgets.sawtooth.besov_seminorm` (whose default is 12).
    title : str, optional
        Shown above the sliders.

    Attributes
    ----------
    result : dict
        Python's answer for the current setting (what the browser shows).
    """

    kind = SAWTOOTH.kind
    j = T.Int(4).tag(sync=True)
    alpha = T.Float(0.5).tag(sync=True)
    j_max = T.Int(10).tag(sync=True)
    extra_levels = T.Int(12).tag(sync=True)

    def __init__(
        self,
        j: int = 4,
        alpha: float = 0.5,
        *,
        j_max: int = 10,
        extra_levels: int = 12,
        title: str | None = None,
    ) -> None:
        extra_levels = check_int("extra_levels", extra_levels, minimum=1)
        if extra_levels >= SAWTOOTH_MAX_DEPTH:
            raise ValueError(
                f"extra_levels must be at most {SAWTOOTH_MAX_DEPTH - 1} (so that j = 1 fits in "
                f"a tree of depth {SAWTOOTH_MAX_DEPTH}); got {extra_levels}."
            )
        j_max = check_int("j_max", j_max, minimum=1, maximum=SAWTOOTH_MAX_DEPTH - extra_levels)
        j = check_int("j", j, minimum=1, maximum=j_max)
        alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
        if title is None:
            title = f"the sawtooth Lambda_j and its Besov semi-norm (tree depth j + {extra_levels})"
        super().__init__(
            j=j, alpha=float(alpha), j_max=j_max, extra_levels=extra_levels, title=title
        )

    @property
    def growth(self) -> BesovGrowth:
        """The package's :func:`~sparsity_widgets.sawtooth.besov_growth` of the current setting
        (what the page's growth curve and slope reproduce)."""
        return besov_growth(self.j, self.alpha, extra_levels=self.extra_levels)
