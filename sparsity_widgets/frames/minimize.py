"""Minimum deep frame potential of an architecture, by gradient descent over its weights (torch).

The minimum depends only on the architecture (Sec. 4.2): the weights are the free variables,
seeded Gaussian at the start, optimised with L-BFGS in float64 (much faster than plain gradient
descent or Adam on these smooth, small problems), best of a few restarts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_int, check_real
from .conv_induced import ConvArchitecture, conv_deep_frame_potential, random_conv_weights
from .induced import Architecture, deep_frame_potential, random_weights

__all__ = ["MinimizationResult", "minimize_frame_potential", "resolve_device"]


@dataclass(frozen=True)
class MinimizationResult:
    """Outcome of :func:`minimize_frame_potential`.

    Attributes
    ----------
    value : float
        Smallest deep frame potential reached.
    initial_value : float
        Potential of the seeded starting weights.
    n_steps : int
        L-BFGS iterations of the best restart.
    converged : bool
        True when the best restart stopped on its tolerance, before ``max_iter`` iterations
        and ``3 max_iter`` evaluations.
    history : ndarray of float64, shape (n_evaluations + 1,)
        Potential at every function evaluation of the best restart, then the final value.
    weights : list of ndarray of float64
        The minimising weights, shapes ``architecture.weight_shapes``.
    seconds : float
    device : str
    """

    value: float
    initial_value: float
    n_steps: int
    converged: bool
    history: np.ndarray = field(repr=False)
    weights: list[np.ndarray] = field(repr=False)
    seconds: float
    device: str


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when available else ``"cpu"``; other names pass through checked."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device must be 'auto', 'cpu' or an available GPU; got {device!r}.")
    try:
        torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:i]'; got {device!r}.") from None
    return device


def _objective(architecture: Architecture | ConvArchitecture) -> tuple[Any, Any]:
    """The potential and the seeded initial weights for a fully-connected or conv network."""
    if isinstance(architecture, ConvArchitecture):
        return conv_deep_frame_potential, random_conv_weights
    if isinstance(architecture, Architecture):
        return deep_frame_potential, random_weights
    raise ValueError(
        "architecture must be an Architecture (make_architecture) or a ConvArchitecture "
        f"(make_conv_architecture); got {type(architecture).__name__}."
    )


def minimize_frame_potential(
    architecture: Architecture | ConvArchitecture,
    *,
    max_iter: int = 500,
    n_restarts: int = 1,
    tol: float = 1e-12,
    random_state: int = 0,
    device: str = "cpu",
    num_threads: int | None = 1,
    progress: bool = False,
    potential: Callable[[Any, list[Any]], Any] | None = None,
) -> MinimizationResult:
    """Minimise the deep frame potential of ``architecture`` over its weights (L-BFGS).

    Each restart starts from seeded Gaussian weights (seed ``random_state + restart``) and runs
    L-BFGS with a strong-Wolfe line search in float64; the best restart is returned. The
    potential has degenerate infima (some column norms may run to infinity), so ``converged``
    reports whether the optimiser stopped on its tolerances before ``max_iter``.

    Parameters
    ----------
    architecture : Architecture or ConvArchitecture
        A fully-connected network (:func:`.make_architecture`) or a convolutional one
        (:func:`.make_conv_architecture`).
    max_iter : int
        Upper limit on L-BFGS iterations per restart.
    n_restarts : int
        Independent starts; the minimum over them is reported.
    tol : float
        Stop when the change of the potential between iterations falls below ``tol``.
    random_state : int
        Seed of the first start (the result is deterministic for a seed on a device).
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"``.
    num_threads : int or None
        torch CPU threads while minimising (restored afterwards). One thread is fastest for the
        small blocks of typical networks, often by an order of magnitude or more on a busy machine
        (``benchmarks/frames_speed.py``); None leaves torch's setting alone.
    progress : bool
        Show a tqdm bar over the restarts.
    potential : callable, optional
        ``potential(architecture, weights)`` to minimise instead of the deep frame potential of
        the induced dictionary, e.g. :func:`.forward_reading.forward_frame_potential`; it must
        return a differentiable 0-d tensor for torch weights.

    Returns
    -------
    MinimizationResult
    """
    import torch

    max_iter = check_int("max_iter", max_iter, minimum=1)
    n_restarts = check_int("n_restarts", n_restarts, minimum=1)
    tol = check_real("tol", tol, low=0.0)
    device = resolve_device(device)
    _objective(architecture)
    if not architecture.param_edges:
        raise ValueError("architecture has no parameter edge: nothing to minimise.")
    previous_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(check_int("num_threads", num_threads, minimum=1))
    try:
        return _minimize(
            architecture, max_iter, n_restarts, tol, random_state, device, progress, potential
        )
    finally:
        torch.set_num_threads(previous_threads)


def _minimize(
    architecture: Architecture | ConvArchitecture,
    max_iter: int,
    n_restarts: int,
    tol: float,
    random_state: int,
    device: str,
    progress: bool,
    objective: Callable[[Any, list[Any]], Any] | None,
) -> MinimizationResult:
    import torch
    from tqdm.auto import tqdm

    potential, initial_weights = _objective(architecture)
    potential = objective or potential
    start = time.perf_counter()
    best: dict[str, Any] = {"value": float("inf")}
    max_eval = 3 * max_iter
    for restart in tqdm(range(n_restarts), desc="F^2", disable=not progress, leave=False):
        init = initial_weights(architecture, random_state + restart)
        weights = [
            torch.tensor(w, dtype=torch.float64, device=device, requires_grad=True) for w in init
        ]
        history: list[float] = []
        optimizer = torch.optim.LBFGS(
            weights,
            lr=1.0,
            max_iter=max_iter,
            max_eval=max_eval,
            history_size=20,
            line_search_fn="strong_wolfe",
            tolerance_grad=1e-14,
            tolerance_change=tol,
        )

        def closure(
            weights: list[Any] = weights, history: list[float] = history, optimizer: Any = optimizer
        ) -> Any:
            optimizer.zero_grad()
            loss = potential(architecture, weights)
            loss.backward()
            history.append(float(loss.detach()))
            return loss

        optimizer.step(closure)
        state = optimizer.state[weights[0]]
        n_iter = int(state.get("n_iter", 0))
        # stopped on its tolerances, not on the iteration or evaluation budget
        converged = n_iter < max_iter and int(state.get("func_evals", 0)) < max_eval
        with torch.no_grad():
            value = float(potential(architecture, weights))
        if value < best["value"]:
            best = {
                "value": value,
                "initial": history[0],
                "n_iter": n_iter,
                "converged": converged,
                "history": np.asarray([*history, value]),
                "weights": [w.detach().cpu().numpy() for w in weights],
            }
    return MinimizationResult(
        value=best["value"],
        initial_value=best["initial"],
        n_steps=best["n_iter"],
        converged=best["converged"],
        history=best["history"],
        weights=best["weights"],
        seconds=time.perf_counter() - start,
        device=device,
    )
