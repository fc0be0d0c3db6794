"""Python twin of ``lemma_sums.js``: the sums of Lemma 3.1 for any tau and depth.

The isotropic dyadic tree ``T_I`` of ``[0, 1]^2`` (:mod:`sparsity_widgets.dyadic`) has at level
``k`` the ``2^k`` boxes of area ``2^-k``; a node's wavelet norm is ``|E_child - E_parent|``
times ``2^(-k/2)``, and the two children of a parent differ from it by the same amount. So

``N_tau(f, T_I)^tau = sum_k 2 sum_pairs |E_child - E_parent|^tau 2^(-k tau/2)``

needs per level only the non-zero values ``|E_child - E_parent|`` and how often each occurs
(:func:`level_payload`, Python, once). The browser then recomputes the level sums and the
partial sums up to any depth for any tau (:func:`lemma_sums_shown`: the same steps, in the same
order, as ``lemmaSumsShown`` of the JavaScript) and says whether the partial sums level off or
grow. :func:`level_sums` equals :func:`sparsity_widgets.dyadic.dyadic_level_sums` to rounding
(``tests/test_lemma_sums_widget.py``).

Domains (:data:`DOMAINS`): the chapter's disk of radius 0.3 (8 x 8 midpoint rule per cell, as
:func:`~sparsity_widgets.dyadic.disk_cell_means`), the half-plane ``x_1 + x_2 <= 1`` (exact,
:func:`~sparsity_widgets.dyadic.halfspace_cell_means`), and two squares of side 1/2 with exact
cell means: ``[1/3, 5/6]^2``, whose edges no grid line ever reaches, and ``[1/4, 3/4]^2``, whose
edges lie on grid lines from level 4 on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .registry import Twin, register

__all__ = [
    "DEFAULT_LEVELS",
    "DOMAINS",
    "LEMMA_SUMS",
    "RATIO_BAND",
    "domain_cell_means",
    "domain_payload",
    "lemma_sums_shown",
    "level_payload",
    "level_sums",
    "square_cell_means",
]

#: the domains by key: label, how the cell means are computed, and tau* of the lemma
DOMAINS: dict[str, dict[str, Any]] = {
    "disk": {
        "label": "disk of radius 0.3",
        "cells": "8 x 8 midpoint rule per cell (disk_cell_means)",
        "tau_star": 1.0,
    },
    "half-plane": {
        "label": "half-plane x1 + x2 <= 1",
        "cells": "exact (halfspace_cell_means)",
        "tau_star": 1.0,
    },
    "square": {
        "label": "square [1/3, 5/6]^2 (edges off the grid)",
        "cells": "exact (product of the edge overlaps)",
        "tau_star": 1.0,
    },
    "dyadic-square": {
        "label": "square [1/4, 3/4]^2 (edges on grid lines)",
        "cells": "exact (product of the edge overlaps)",
        "tau_star": 0.0,
    },
}

#: grid exponent m per domain (2^m x 2^m cells, tree depth 2m): the disk as deep as its
#: 8 x 8 midpoint rule stays cheap (a 4096^2 sample grid, 0.3 s), the exact ones to depth 22
DEFAULT_LEVELS = {"disk": 9, "half-plane": 11, "square": 11, "dyadic-square": 11}

#: a pair ratio within [1 - RATIO_BAND, 1 + RATIO_BAND] counts as a constant step per level pair
RATIO_BAND = 0.02


def square_cell_means(levels: int, low: float, high: float) -> np.ndarray:
    """Exact means of the indicator of ``[low, high]^2`` on the dyadic squares of side ``2^-m``.

    Parameters
    ----------
    levels : int
        ``m >= 1``.
    low, high : float
        ``0 <= low < high <= 1``.

    Returns
    -------
    ndarray of float64, shape (2^m, 2^m)
        ``out[i1, i2]``: the fraction of the cell ``[i1, i1 + 1] x [i2, i2 + 1] / 2^m`` inside.
    """
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"low and high must satisfy 0 <= low < high <= 1; got {low}, {high}.")
    h = 2.0**-levels
    corner = np.arange(2**levels) * h
    overlap = (np.clip(high, corner, corner + h) - np.clip(low, corner, corner + h)) / h
    return np.outer(overlap, overlap)


def domain_cell_means(domain: str, levels: int) -> np.ndarray:
    """The finest cell means of one of :data:`DOMAINS` on the ``2^m x 2^m`` grid.

    Parameters
    ----------
    domain : str
        A key of :data:`DOMAINS`.
    levels : int
        ``m`` (at most 10 for the disk, whose midpoint rule samples ``(8 * 2^m)^2`` points,
        and 12 for the others, :data:`~sparsity_widgets.dyadic.MAX_GRID_CELLS`).

    Returns
    -------
    ndarray of float64, shape (2^m, 2^m)
    """
    from ...dyadic import disk_cell_means, halfspace_cell_means

    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {list(DOMAINS)}; got {domain!r}.")
    limit = 10 if domain == "disk" else 12
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)):
        raise ValueError(f"levels must be an integer; got {type(levels).__name__}.")
    if not 1 <= levels <= limit:
        raise ValueError(f"levels for {domain!r} must lie in [1, {limit}]; got {levels}.")
    if domain == "disk":
        return disk_cell_means(int(levels), radius=0.3)
    if domain == "half-plane":
        return halfspace_cell_means(int(levels), 2)
    if domain == "square":
        return square_cell_means(int(levels), 1.0 / 3.0, 5.0 / 6.0)
    return square_cell_means(int(levels), 0.25, 0.75)


def level_payload(cell_means: Any) -> list[dict[str, list]]:
    """Per level of ``T_I``: the distinct non-zero ``|E_child - E_parent|`` and their counts.

    The grid is merged level by level from the leaves up, along the axis that made the level,
    exactly as :func:`sparsity_widgets.dyadic.dyadic_level_sums` does; each parent contributes
    one value (its two children differ from it by the same amount).

    Parameters
    ----------
    cell_means : array-like, shape (2^m, 2^m)

    Returns
    -------
    list of dict, length 2m
        Entry ``k - 1`` (level ``k``): ``values`` (increasing floats) and ``counts`` (ints, the
        number of parents with that value).
    """
    means = np.asarray(cell_means, dtype=np.float64)
    if means.ndim != 2 or means.shape[0] != means.shape[1]:
        raise ValueError(f"cell_means must be a square 2-D array; got shape {means.shape}.")
    side = means.shape[0]
    if side < 2 or side & (side - 1):
        raise ValueError(f"cell_means must have a power-of-two side >= 2; got side {side}.")
    if not np.isfinite(means).all():
        raise ValueError("cell_means must be finite.")
    n_levels = 2 * (side.bit_length() - 1)
    out: list[dict[str, list]] = [{} for _ in range(n_levels)]
    current = means
    for level in range(n_levels, 0, -1):
        axis = (level - 1) % 2
        lower = np.take(current, np.arange(0, current.shape[axis], 2), axis=axis)
        upper = np.take(current, np.arange(1, current.shape[axis], 2), axis=axis)
        diff = np.abs(0.5 * (upper - lower))
        values, counts = np.unique(diff[diff > 0.0], return_counts=True)
        out[level - 1] = {"values": values.tolist(), "counts": counts.tolist()}
        current = 0.5 * (lower + upper)
    return out


def domain_payload(domain: str, levels: int) -> dict[str, Any]:
    """What the browser needs of one domain: labels, depth and :func:`level_payload`.

    Parameters
    ----------
    domain : str
        A key of :data:`DOMAINS`.
    levels : int
        Grid exponent ``m``; the payload holds the levels ``1 .. 2m``.

    Returns
    -------
    dict
        ``key``, ``label``, ``cells``, ``tau_star``, ``grid_levels`` (m), ``depth`` (2m) and
        ``levels`` (list of ``{"values", "counts"}``).
    """
    means = domain_cell_means(domain, levels)
    return {
        "key": domain,
        **DOMAINS[domain],
        "grid_levels": int(levels),
        "depth": 2 * int(levels),
        "levels": level_payload(means),
    }


def level_sums(levels: Sequence[Mapping[str, Sequence]], tau: float, depth: int) -> list[float]:
    """``sum ||psi||^tau`` over each level ``1 .. depth``, as ``lemmaLevelSums`` computes it.

    Parameters
    ----------
    levels : sequence of mapping
        :func:`level_payload` (at least ``depth`` entries).
    tau : float
        > 0.
    depth : int

    Returns
    -------
    list of float, length depth
        Level ``k``: ``2 sum_j counts_j (values_j 2^(-k/2))^tau``, added in the stored order.
    """
    sums = []
    for level in range(1, depth + 1):
        entry = levels[level - 1]
        scale = 2.0 ** (-level / 2.0)  # |box|^(1/2) at level k
        total = 0.0
        for value, count in zip(entry["values"], entry["counts"], strict=True):
            total += count * (value * scale) ** tau
        sums.append(2.0 * total)
    return sums


def _f(x: float, digits: int) -> str:
    return f"{x:.{digits}f}"


def _number_text(x: Any) -> str:
    """A number as JavaScript's ``String`` writes it (integral floats without ".0")."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        if isinstance(x, int) or (math.isfinite(x) and x.is_integer()):
            return str(int(x))
        return repr(float(x))
    return str(x)


def _verdict(sums: list[float], partial: list[float]) -> tuple[str, float, float, str]:
    """(verdict, pair ratio, tail estimate, sentence) of the partial sums up to depth K."""
    depth = len(sums)
    if depth < 4:
        return (
            "too shallow",
            math.nan,
            math.nan,
            f"depth {depth} < 4: too few levels to compare two pairs of levels.",
        )
    last = sums[depth - 2] + sums[depth - 1]
    before = sums[depth - 4] + sums[depth - 3]
    pair = f"levels {depth - 1}-{depth}"
    earlier = f"levels {depth - 3}-{depth - 2}"
    if last == 0.0:
        ratio = math.nan if before == 0.0 else 0.0
        return (
            "levels off",
            ratio,
            0.0,
            f"levels off: {pair} add nothing (the boundary runs along grid lines there).",
        )
    if before == 0.0:
        return (
            "grows",
            math.inf,
            math.nan,
            f"grows: {pair} are the first to add anything ({earlier} add nothing).",
        )
    ratio = last / before
    if ratio < 1.0 - RATIO_BAND:
        tail = last * ratio / (1.0 - ratio)
        share = 100.0 * tail / partial[depth - 1]
        return (
            "levels off",
            ratio,
            tail,
            f"levels off: {pair} add {_f(ratio, 3)} times what {earlier} added; if that "
            f"ratio held, the levels beyond {depth} would add about {_f(share, 1)}% more.",
        )
    if ratio <= 1.0 + RATIO_BAND:
        return (
            "grows slowly",
            ratio,
            math.nan,
            f"grows by about a constant step per pair of levels ({pair} add {_f(ratio, 3)} "
            f"times what {earlier} added): the borderline, N_tau^tau grows like the depth.",
        )
    return (
        "grows",
        ratio,
        math.nan,
        f"grows: {pair} add {_f(ratio, 3)} times what {earlier} added, so N_tau^tau grows "
        "geometrically with the depth.",
    )


def _lemma_text(domain: Mapping[str, Any], tau: float) -> str:
    if tau >= 2.0:
        return "the definition of N_tau stops at tau < 2."
    if domain["tau_star"] == 0.0:
        return (
            "finite for every tau in (0, 2): the edges lie on grid lines from level 4 on, so "
            "T_I is an adaptive tree for this square (Lemma 3.2)."
        )
    finite = tau > domain["tau_star"]
    return f"Lemma 3.1: N_tau < infinity iff 1 < tau < 2; at tau = {_f(tau, 2)} " + (
        "finite: the sums level off." if finite else "infinite: the sums grow without bound."
    )


def lemma_sums_shown(state: Mapping[str, Any]) -> dict[str, Any]:
    """What the Lemma 3.1 widget shows for its state (``lemmaSumsShown`` of the JavaScript).

    Parameters
    ----------
    state : mapping
        ``domains`` (list of :func:`domain_payload`), ``domain`` (a key among them), ``tau``
        (> 0) and ``depth`` (integer >= 1; beyond the domain's precomputed depth the sums stop
        there and ``note`` says so).

    Returns
    -------
    dict
        ``ok``, ``message`` (why not ``ok``, else ``None``), ``note`` (``None`` or what the page
        adds: depth beyond the precomputed one, tau >= 2), ``domain``, ``depth_used``,
        ``precomputed_depth``, ``level_sums`` and ``partial_sums`` (lists of length
        ``depth_used``: level k's sum and ``N_tau^tau`` of the tree cut at depth k),
        ``log10_n_tau`` (``log10 N_tau`` at ``depth_used``: N_tau itself reaches 1e10 at
        small tau, beyond an absolute parity bound; ``-inf`` when the sum is 0),
        ``pair_ratio``, ``tail_estimate``, ``verdict``, ``verdict_text`` and ``lemma``.
    """
    domains = state["domains"]
    keys = [d["key"] for d in domains]
    key, tau, depth = state["domain"], state["tau"], state["depth"]
    failed = {
        "ok": False,
        "message": None,
        "note": None,
        "domain": key,
        "depth_used": 0,
        "precomputed_depth": 0,
        "level_sums": [],
        "partial_sums": [],
        "log10_n_tau": math.nan,
        "pair_ratio": math.nan,
        "tail_estimate": math.nan,
        "verdict": "none",
        "verdict_text": "",
        "lemma": "",
    }
    if key not in keys:
        return {**failed, "message": f"domain must be one of {', '.join(keys)}; got '{key}'."}
    is_number = isinstance(tau, (int, float)) and not isinstance(tau, bool)
    if not (is_number and tau > 0.0):
        return {**failed, "message": f"tau must be a number > 0; got {_number_text(tau)}."}
    # JavaScript has one number type: an integral float is an integer depth there too
    integral = isinstance(depth, (int, float)) and not isinstance(depth, bool)
    if not (integral and math.isfinite(depth) and float(depth).is_integer() and depth >= 1):
        return {**failed, "message": f"depth must be an integer >= 1; got {_number_text(depth)}."}
    tau, depth = float(tau), int(depth)
    domain = domains[keys.index(key)]
    available = int(domain["depth"])
    used = min(depth, available)
    notes = []
    if depth > available:
        finer = (depth + 1) // 2
        notes.append(
            f"depth {depth} is beyond what is precomputed for the {domain['label']}: its grid of "
            f"2^{domain['grid_levels']} x 2^{domain['grid_levels']} cells gives levels 1 to "
            f"{available}, shown to depth {available} (build the widget with "
            f"levels={{'{key}': {finer}}} for more)."
        )
    if tau >= 2.0:
        notes.append(
            f"tau = {_f(tau, 2)} lies outside the definition's 0 < tau < 2: at tau = 2 the sum is "
            "the energy ||f - mean||^2, finite for every square-integrable f, so the lemma's "
            "upper bound 2 is the definition's range, not a divergence."
        )
    sums = level_sums(domain["levels"], tau, used)
    partial = []
    running = 0.0
    for value in sums:
        running += value
        partial.append(running)
    verdict, ratio, tail, text = _verdict(sums, partial)
    return {
        "ok": True,
        "message": None,
        "note": " ".join(notes) if notes else None,
        "domain": key,
        "depth_used": used,
        "precomputed_depth": available,
        "level_sums": sums,
        "partial_sums": partial,
        "log10_n_tau": math.log10(partial[-1]) / tau if partial[-1] > 0.0 else -math.inf,
        "pair_ratio": ratio,
        "tail_estimate": tail,
        "verdict": verdict,
        "verdict_text": text,
        "lemma": _lemma_text(domain, tau),
    }


def _lemma_cases() -> list[dict[str, Any]]:
    """Fixed states for the parity test: every domain (small grids), tau across the threshold,
    shallow and beyond-precomputed depths, tau >= 2, and the errors."""
    small = {"disk": 5, "half-plane": 5, "square": 6, "dyadic-square": 4}
    domains = [domain_payload(key, m) for key, m in small.items()]
    settings = [
        (key, tau, depth)
        for key in small
        for tau, depth in ((0.2, 10), (0.95, 10), (1.0, 9), (1.3, 12), (1.9, 3), (2.6, 20))
    ]
    # the dyadic square: levels 3-4 the first to add anything, then nothing after them; errors
    settings += [("dyadic-square", 0.7, 4), ("dyadic-square", 0.7, 6)]
    settings += [("disk", 0.0, 4), ("torus", 1.2, 4), ("disk", 1.2, 0), ("disk", 1.2, 2.5)]
    cases = [{"domains": domains, "domain": k, "tau": t, "depth": d} for k, t, d in settings]
    return cases


#: the Lemma 3.1 sums (:class:`~sparsity_widgets.widgets.LemmaSums`)
LEMMA_SUMS = register(
    Twin(
        kind="lemma-sums",
        esm_files=("lemma_sums.js", "lemma_sums_view.js"),
        js_function="lemmaSumsShown",
        compute=lemma_sums_shown,
        controls=("domain", "tau", "depth"),
        cases=_lemma_cases,
    )
)
