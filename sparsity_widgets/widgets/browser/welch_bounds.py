"""Python twin of ``welch_bounds.js``: Welch and chain bounds of the deep frame potential.

The Welch-bounds widget (:class:`~sparsity_widgets.widgets.WelchBounds`) shows, for a chain,
residual or dense network of input dimension ``d``, width ``k`` and depth ``l`` (widths
``(d, k, ..., k)``), the closed-form bounds of Murdock & Lucey (CVPR 2020) as curves over ``k``
and over the depth: the Welch bound for ``(d, k)`` (:func:`sparsity_widgets.frames.welch_bound`),
the chain lower bound (:func:`sparsity_widgets.frames.chain_lower_bound`) and the Welch bound of
an unstructured dictionary of the induced dictionary's shape. The browser computes them for any
setting; the minima that need an optimisation (the minimum deep frame potential, the squared
coherence of random and optimised dictionaries) come from a grid that Python precomputes
(:func:`precompute_grid`), and a setting off the grid says "not precomputed".

:func:`welch_bounds_shown` repeats the JavaScript step by step with plain floats (the same
order of operations), so the two agree number for number (``tests/test_widgets_static.py``); the
unit tests also compare it with the package's functions (``tests/test_welch_bounds_widget.py``).
Nothing here imports torch at module level (:func:`precompute_grid` imports the minimiser).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from .registry import Twin, register

__all__ = [
    "STRUCTURES",
    "WELCH_BOUNDS",
    "chain_bound",
    "check_setting",
    "counts",
    "edges",
    "grid_key",
    "lookup",
    "precompute_grid",
    "welch",
    "welch_bounds_shown",
    "widths_of",
]

#: the structures of the slider (a depth-1 network of any structure is one ``d x k`` dictionary)
STRUCTURES = ("chain", "residual", "dense")


def welch(d: int, k: int) -> float:
    """Welch bound ``max(0, (k - d) / (d (k - 1)))`` (``wbWelch``).

    Parameters
    ----------
    d, k : int
        Dimension and number of unit vectors.

    Returns
    -------
    float
    """
    return max(0.0, (k - d) / (d * (k - 1)))


def edges(structure: str, depth: int) -> list[tuple[int, int, bool]]:
    """The edges ``(source, target, is_param)`` of ``make_architecture(structure, widths)``.

    Parameters
    ----------
    structure : {"chain", "residual", "dense"}
    depth : int
        Number of layers ``l >= 1``.

    Returns
    -------
    list of (int, int, bool)
        In the order of :func:`sparsity_widgets.frames.make_architecture`.
    """
    if structure == "dense":
        return [(s, t, True) for t in range(1, depth + 1) for s in range(t)]
    out = [(j - 1, j, True) for j in range(1, depth + 1)]
    if structure == "residual":
        out += [(j - 1, j + 1, False) for j in range(2, depth, 2)]
    return out


def counts(widths: list[int], edge_list: list[tuple[int, int, bool]]) -> dict[str, int]:
    """Rows, atoms and ``N(G)`` of the induced dictionary (``wbCounts``).

    Parameters
    ----------
    widths : list of int, length l + 1
    edge_list : list of (int, int, bool)
        From :func:`edges`.

    Returns
    -------
    dict
        ``rows``, ``atoms``, ``nonzero`` (as ``Architecture.n_rows``, ``n_atoms``,
        ``n_structural_nonzeros``).
    """
    depth = len(widths) - 1
    rows = sum(widths[s] for s, _, _ in edge_list)
    atoms = sum(widths[1:])
    nonzero = 0
    for t in range(1, depth + 1):
        if any(target == t and param for _, target, param in edge_list):
            nonzero += widths[t] * (widths[t] - 1)
    for s, t, param in edge_list:
        if s >= 1:
            nonzero += 2 * (widths[s] * widths[t] if param else widths[s])
    return {"rows": rows, "atoms": atoms, "nonzero": nonzero}


def chain_bound(widths: list[int]) -> dict[str, Any]:
    """The chain lower bound by dynamic programming over the integer ``T_j`` (``wbChainBound``).

    Parameters
    ----------
    widths : list of int, length l + 1
        ``(k_0, ..., k_l)``.

    Returns
    -------
    dict
        ``frame_potential`` (the bound on ``F^2``), ``gram`` (on ``||G||_F^2``), ``counts``
        (the minimising ``T_1, ..., T_{l-1}``) and ``nonzero`` (``N(G)``).
    """
    k = widths
    depth = len(k) - 1
    c = counts(k, edges("chain", depth))
    found: list[int] = []
    if depth == 1:
        gram = (k[1] * k[1]) / k[0]
    else:
        value = [float((k[1] - T) ** 2) / k[0] for T in range(k[1] + 1)]
        back = []
        for j in range(2, depth):
            nxt, arg = [], []
            for cur in range(k[j] + 1):
                best, where = math.inf, 0
                for prev in range(k[j - 1] + 1):
                    total = value[prev] + float((k[j] - cur + prev) ** 2) / k[j - 1]
                    if total < best:
                        best, where = total, prev
                nxt.append(best)
                arg.append(where)
            back.append(arg)
            value = nxt
        best_index, best_value = 0, math.inf
        for prev in range(k[depth - 1] + 1):
            final = value[prev] + float((k[depth] + prev) ** 2) / k[depth - 1]
            if final < best_value:
                best_value, best_index = final, prev
        gram = best_value
        path = [best_index]
        for arg in reversed(back):
            path.append(arg[path[-1]])
        found = list(reversed(path))
    gram = max(gram, float(c["atoms"]))  # ||G||^2 >= Tr G
    return {
        "frame_potential": (gram - c["atoms"]) / c["nonzero"],
        "gram": gram,
        "counts": found,
        "nonzero": c["nonzero"],
    }


def _text(value: Any) -> str:
    """A value as JavaScript's ``String()`` writes it (``wbText``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def check_setting(state: Mapping[str, Any]) -> str | None:
    """Why a setting cannot be computed (``wbCheck``), or None.

    Parameters
    ----------
    state : mapping
        ``structure``, ``d``, ``k``, ``depth`` and the slider limits ``d_max``, ``k_max``,
        ``depth_max``.

    Returns
    -------
    str or None
    """
    structure = state["structure"]
    if structure not in STRUCTURES:
        return f"structure must be one of {', '.join(STRUCTURES)}; got {_text(structure)}."
    for name, lo, hi in (
        ("d", 1, state["d_max"]),
        ("k", 2, state["k_max"]),
        ("depth", 1, state["depth_max"]),
    ):
        v = state[name]
        if not _is_integer(v) or v < lo or v > hi:
            return (
                f"{name} must be an integer in [{lo}, {hi}] (the slider's range); got {_text(v)}."
            )
    return None


def widths_of(d: int, k: int, depth: int) -> list[int]:
    """``[d, k, ..., k]`` with ``depth`` copies of ``k``."""
    return [d] + [k] * depth


def grid_key(structure: str, d: int, k: int, depth: int) -> str:
    """The key of a grid entry, ``"structure/d/k/depth"``."""
    return f"{structure}/{d}/{k}/{depth}"


def lookup(grid: Mapping[str, Any], structure: str, d: int, k: int, depth: int) -> dict[str, Any]:
    """The precomputed minima of a setting (``wbLookup``).

    Returns
    -------
    dict
        ``found``, ``entry`` (``[min_f2, optimised_mu2, random_mu2, random_f2, converged]`` or
        None) and ``message`` (None when found).
    """
    entry = grid["entries"].get(grid_key(structure, d, k, depth))
    if entry is not None:
        return {"found": True, "entry": entry, "message": None}

    def values(key: str) -> str:
        return "{" + ", ".join(str(v) for v in grid[key]) + "}"

    return {
        "found": False,
        "entry": None,
        "message": (
            f"not precomputed: the minima were computed for d in {values('d')}, k in "
            f"{values('k')} and depth in {values('depth')}; move the sliders to one of those "
            "values (the closed-form bounds are exact everywhere)"
        ),
    }


def _num(v: Any) -> float:
    return math.nan if v is None else float(v)


def welch_bounds_shown(state: Mapping[str, Any]) -> dict[str, Any]:
    """What the Welch-bounds widget shows for its state (``welchBoundsShown``).

    Parameters
    ----------
    state : mapping
        ``structure``, ``d``, ``k``, ``depth``, ``d_max``, ``k_max``, ``depth_max`` and ``grid``
        (from :func:`precompute_grid`).

    Returns
    -------
    dict
        ``ok`` and ``message``; the widths; ``welch`` (for ``(d, k)``), ``welch_induced`` (for
        the induced dictionary's shape ``n_rows x n_atoms``), ``n_nonzero``; ``is_chain``,
        ``chain_bound``, ``chain_gram``, ``chain_counts``; the precomputed minima (NaN and
        ``lookup_message`` when off the grid); the curves over ``k`` (``k_values`` = 2..k_max)
        and over the depth (``depth_values`` = 1..depth_max).
    """
    nan = math.nan
    problem = check_setting(state)
    if problem is not None:
        return {
            "ok": False, "message": problem, "widths": [], "welch": nan, "welch_induced": nan,
            "n_rows": None, "n_atoms": None, "n_nonzero": None, "is_chain": False,
            "chain_bound": nan, "chain_gram": nan, "chain_counts": [], "precomputed": False,
            "lookup_message": None, "min_f2": nan, "optimised_mu2": nan, "random_mu2": nan,
            "random_f2": nan, "converged": None, "k_values": [], "welch_over_k": [],
            "chain_over_k": [], "induced_over_k": [], "min_f2_over_k": [], "depth_values": [],
            "chain_over_depth": [], "induced_over_depth": [], "min_f2_over_depth": [],
        }  # fmt: skip
    structure = state["structure"]
    d, k, depth = int(state["d"]), int(state["k"]), int(state["depth"])
    grid = state["grid"]
    widths = widths_of(d, k, depth)
    edge_list = edges(structure, depth)
    c = counts(widths, edge_list)
    chain = chain_bound(widths)
    found = lookup(grid, structure, d, k, depth)
    e = found["entry"]

    def induced(kk: int, ll: int) -> float:
        cc = counts(widths_of(d, kk, ll), edges(structure, ll))
        return welch(cc["rows"], cc["atoms"])

    def min_at(kk: int, ll: int) -> float:
        hit = grid["entries"].get(grid_key(structure, d, kk, ll))
        return nan if hit is None else _num(hit[0])

    k_values = list(range(2, int(state["k_max"]) + 1))
    depth_values = list(range(1, int(state["depth_max"]) + 1))
    return {
        "ok": True,
        "message": None,
        "widths": widths,
        "welch": welch(d, k),
        "welch_induced": welch(c["rows"], c["atoms"]),
        "n_rows": c["rows"],
        "n_atoms": c["atoms"],
        "n_nonzero": c["nonzero"],
        "is_chain": len(edge_list) == depth,
        "chain_bound": chain["frame_potential"],
        "chain_gram": chain["gram"],
        "chain_counts": chain["counts"],
        "precomputed": found["found"],
        "lookup_message": found["message"],
        "min_f2": _num(e[0]) if e else nan,
        "optimised_mu2": _num(e[1]) if e else nan,
        "random_mu2": _num(e[2]) if e else nan,
        "random_f2": _num(e[3]) if e else nan,
        "converged": bool(e[4]) if e else None,
        "k_values": k_values,
        "welch_over_k": [welch(d, kk) for kk in k_values],
        "chain_over_k": [
            chain_bound(widths_of(d, kk, depth))["frame_potential"] for kk in k_values
        ],
        "induced_over_k": [induced(kk, depth) for kk in k_values],
        "min_f2_over_k": [min_at(kk, depth) for kk in k_values],
        "depth_values": depth_values,
        "chain_over_depth": [
            chain_bound(widths_of(d, k, ll))["frame_potential"] for ll in depth_values
        ],
        "induced_over_depth": [induced(k, ll) for ll in depth_values],
        "min_f2_over_depth": [min_at(k, ll) for ll in depth_values],
    }


def precompute_grid(
    d_values: Iterable[int],
    k_values: Iterable[int],
    depth_values: Iterable[int],
    *,
    structures: Iterable[str] = STRUCTURES,
    max_iter: int = 100,
    seed: int = 0,
) -> dict[str, Any]:
    """Minimise the deep frame potential on a grid of settings (what the page looks up).

    For every structure, ``d``, ``k`` and depth: the minimum ``F^2`` reached by
    :func:`~sparsity_widgets.frames.minimize_frame_potential` (one start, seed ``seed``, at
    most ``max_iter`` L-BFGS iterations: an upper bound on the minimum when not converged), the
    squared coherence ``mu^2`` of the optimised dictionary and ``mu^2`` and ``F^2`` of the
    seeded random dictionary. Settings with the same network (depth 1 of every structure, a
    residual network of depth 2 and the chain) are minimised once. About 0.1-0.3 s per network
    of widths up to 16 on one CPU thread.

    Parameters
    ----------
    d_values, k_values, depth_values : iterable of int
    structures : iterable of str
    max_iter : int
    seed : int

    Returns
    -------
    dict
        ``d``, ``k``, ``depth`` (sorted lists), ``max_iter``, ``seed`` and ``entries``: key
        :func:`grid_key` -> ``[min_f2, optimised_mu2, random_mu2, random_f2, converged]``.
    """
    import numpy as np

    from ...frames.induced import dense_gram, make_architecture, random_weights
    from ...frames.minimize import minimize_frame_potential

    def mu2(G: np.ndarray) -> float:
        off = ~np.eye(G.shape[0], dtype=bool)
        return float(np.abs(G[off]).max() ** 2)

    ds, ks, ls = sorted(set(d_values)), sorted(set(k_values)), sorted(set(depth_values))
    done: dict[tuple[Any, ...], list[Any]] = {}
    entries: dict[str, list[Any]] = {}
    for structure in structures:
        for d in ds:
            for k in ks:
                for depth in ls:
                    network = tuple(edges(structure, depth)), d, k
                    if network not in done:
                        arch = make_architecture(structure, widths_of(d, k, depth))
                        G0, _, f0 = dense_gram(arch, random_weights(arch, seed))
                        res = minimize_frame_potential(arch, max_iter=max_iter, random_state=seed)
                        G1, _, f1 = dense_gram(arch, res.weights)
                        done[network] = [float(f1), mu2(G1), mu2(G0), float(f0), res.converged]
                    entries[grid_key(structure, d, k, depth)] = done[network]
    return {"d": ds, "k": ks, "depth": ls, "max_iter": max_iter, "seed": seed, "entries": entries}


def _small_grid() -> dict[str, Any]:
    """A hand-made grid for the parity cases (no minimisation: the lookup is what is tested)."""
    entries = {
        grid_key(s, d, k, ll): [0.01 * d + 0.001 * k + 1e-4 * ll, 0.2, 0.5, 0.05, ll < 2]
        for s in STRUCTURES
        for d in (2, 4)
        for k in (4, 8)
        for ll in (1, 2, 3)
    }
    return {"d": [2, 4], "k": [4, 8], "depth": [1, 2, 3], "max_iter": 100, "seed": 0,
            "entries": entries}  # fmt: skip


def _cases() -> list[dict[str, Any]]:
    """Fixed states for the parity test: every structure, on and off the grid, edges, errors."""
    grid = _small_grid()
    limits = {"d_max": 12, "k_max": 16, "depth_max": 5}
    settings = [
        ("chain", 4, 8, 2),
        ("chain", 2, 4, 1),
        ("chain", 8, 16, 5),
        ("chain", 1, 2, 1),
        ("chain", 12, 2, 3),
        ("residual", 4, 8, 3),
        ("residual", 4, 8, 2),
        ("residual", 3, 7, 5),
        ("dense", 2, 8, 3),
        ("dense", 5, 9, 4),
        ("dense", 12, 16, 5),
        ("chain", 0, 8, 2),
        ("chain", 4, 17, 2),
        ("residual", 4, 8, 0),
        ("dense", 4, 2.5, 2),
        ("conv", 4, 8, 2),
    ]
    return [
        {"structure": s, "d": d, "k": k, "depth": ll, "grid": grid, **limits}
        for s, d, k, ll in settings
    ]


#: the Welch-bounds widget (:class:`~sparsity_widgets.widgets.WelchBounds`)
WELCH_BOUNDS = register(
    Twin(
        kind="welch-bounds",
        esm_files=("welch_bounds.js", "welch_bounds_view.js"),
        js_function="welchBoundsShown",
        compute=welch_bounds_shown,
        controls=("structure", "d", "k", "depth"),
        cases=_cases,
    )
)
