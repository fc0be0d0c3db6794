"""The sums of Lemma 3.1, computed in the reader's browser (anywidget).

:class:`LemmaSums` stores, for a few domains, the non-zero ``|E_child - E_parent|`` of every
level of the isotropic dyadic tree ``T_I`` (with their counts), and its JavaScript model
(``browser/lemma_sums.js``) adds ``||psi||^tau`` level by level for any tau and depth: the level
sums, the partial sums ``N_tau(f, T_I)^tau`` of the tree cut at each depth, and whether they
level off or grow. The same code runs in JupyterLab and Voila (with a kernel, which checks each
setting with the Python twin :func:`~sparsity_widgets.widgets.browser.lemma_sums.
lemma_sums_shown`) and in the static HTML of the book (no kernel).
"""

from __future__ import annotations

from collections.abc import Mapping

import traitlets as T

from .browser.lemma_sums import DEFAULT_LEVELS, DOMAINS, LEMMA_SUMS, domain_payload
from .browser_widget import BrowserWidget

__all__ = ["LemmaSums"]

TAU_SLIDER = (0.2, 3.0)
DEPTH_SLIDER_MAX = 24


class LemmaSums(BrowserWidget):
    """N_tau(f, T_I)^tau of Lemma 3.1 level by level, for any tau, depth and domain.

    Parameters
    ----------
    levels : mapping of str to int, optional
        Grid exponent ``m`` per domain (``2^m x 2^m`` cells, levels ``1 .. 2m`` stored); the
        keys choose the domains, in order, among ``"disk"`` (radius 0.3, ``m <= 10``),
        ``"half-plane"``, ``"square"`` (``[1/3, 5/6]^2``) and ``"dyadic-square"``
        (``[1/4, 3/4]^2``), each ``m <= 12``. Default
        :data:`~sparsity_widgets.widgets.browser.lemma_sums.DEFAULT_LEVELS` (disk to depth 18,
        the others to depth 22; 13 KB of state, 1.5 s).
    domain : str, optional
        The domain shown first (default the first of ``levels``).
    tau : float
        Start value, in [0.2, 3] (the slider's range).
    depth : int, optional
        Start depth K, in [1, 24] (default the first domain's precomputed depth).
    title : str, optional

    Attributes
    ----------
    result : dict
        Python's answer for the current setting (what the browser shows).
    """

    kind = LEMMA_SUMS.kind
    domains = T.List().tag(sync=True)
    domain = T.Unicode("disk").tag(sync=True)
    tau = T.Float(1.2).tag(sync=True)
    depth = T.Int(18).tag(sync=True)
    tau_slider_min = T.Float(TAU_SLIDER[0]).tag(sync=True)
    tau_slider_max = T.Float(TAU_SLIDER[1]).tag(sync=True)
    depth_slider_max = T.Int(DEPTH_SLIDER_MAX).tag(sync=True)

    def __init__(
        self,
        levels: Mapping[str, int] | None = None,
        *,
        domain: str | None = None,
        tau: float = 1.2,
        depth: int | None = None,
        title: str | None = None,
    ) -> None:
        levels = dict(DEFAULT_LEVELS if levels is None else levels)
        if not levels:
            raise ValueError("levels must name at least one domain; got an empty mapping.")
        for key in levels:
            if key not in DOMAINS:
                raise ValueError(f"levels: domain must be one of {list(DOMAINS)}; got {key!r}.")
        domain = next(iter(levels)) if domain is None else domain
        if domain not in levels:
            raise ValueError(f"domain must be one of {list(levels)}; got {domain!r}.")
        if isinstance(tau, bool) or not isinstance(tau, (int, float)):
            raise ValueError(f"tau must be a number in {list(TAU_SLIDER)}; got {tau!r}.")
        if not TAU_SLIDER[0] <= tau <= TAU_SLIDER[1]:
            raise ValueError(
                f"tau must lie in [{TAU_SLIDER[0]}, {TAU_SLIDER[1]}] (the slider's range); "
                f"got {tau}."
            )
        payloads = [domain_payload(key, m) for key, m in levels.items()]
        if depth is None:
            depth = payloads[list(levels).index(domain)]["depth"]
        if isinstance(depth, bool) or not isinstance(depth, int):
            raise ValueError(f"depth must be an integer; got {depth!r}.")
        if not 1 <= depth <= DEPTH_SLIDER_MAX:
            raise ValueError(
                f"depth must lie in [1, {DEPTH_SLIDER_MAX}] (the slider's range); got {depth}."
            )
        default_title = "Lemma 3.1: N_tau(f, T_I)^tau of the isotropic dyadic tree, level by level"
        super().__init__(
            domains=payloads,
            domain=domain,
            tau=float(tau),
            depth=depth,
            title=default_title if title is None else title,
        )
