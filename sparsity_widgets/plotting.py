"""Figure 4 of the paper: N_tau, the derivative angles, the window and the selected taus.

Needs matplotlib (``pip install sparsity_widgets[plot]``); imported only when called.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tau_star import TauStarEstimate

__all__ = ["plot_tau_estimate"]


def plot_tau_estimate(estimate: TauStarEstimate, axes: Any = None, title: str | None = None) -> Any:
    """Draw the two panels of Figure 4 for one estimate.

    Parameters
    ----------
    estimate : TauStarEstimate
    axes : sequence of two matplotlib Axes, optional
        Created in a new figure when omitted.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    else:
        fig = axes[0].figure
    ax_n, ax_a = axes
    taus = estimate.taus
    finite = np.isfinite(estimate.log_sparsity)
    ax_n.plot(taus[finite], estimate.log_sparsity[finite], color="#1b374d")
    ax_n.scatter(
        estimate.selected_taus,
        estimate.log_sparsity[estimate.selected],
        color="#ee4f2f",
        s=12,
        zorder=3,
        label="selected taus",
    )
    ax_n.axvline(estimate.tau_star, color="#ee4f2f", ls="--", lw=1)
    # log N_tau explodes as tau -> 0; frame the range from tau = 0.25 on, where the window lies
    visible = finite & (taus >= min(0.25, taus[-3]))
    if visible.any():
        low_y, high_y = estimate.log_sparsity[visible].min(), estimate.log_sparsity[visible].max()
        pad = 0.05 * max(high_y - low_y, 1e-12)
        ax_n.set_ylim(low_y - pad, high_y + pad)
    ax_n.set_xlabel(r"$\tau$")
    ax_n.set_ylabel(r"$\log N_\tau$")
    ax_n.legend(loc="upper right", fontsize=8)

    unit = "rad" if estimate.angle_unit == "rad" else "deg"
    ax_a.plot(taus, estimate.angles, color="#2bc2cb", label=r"angle $\theta(\tau)$")
    low, high = estimate.window
    ax_a.axhspan(low, high, color="#fba720", alpha=0.25, label="window")
    ax_a.scatter(
        estimate.selected_taus, estimate.angles[estimate.selected], color="#ee4f2f", s=12, zorder=3
    )
    ax_a.axvline(estimate.tau_star, color="#ee4f2f", ls="--", lw=1, label=r"$\tau^*$")
    ax_a.set_xlabel(r"$\tau$")
    ax_a.set_ylabel(f"angle of the derivative [{unit}]")
    ax_a.legend(loc="lower right", fontsize=8)
    heading = (
        f"rule {estimate.rule}: tau* = {estimate.tau_star:.3f}, alpha* = {estimate.alpha_star:.3f}"
    )
    fig.suptitle(heading if title is None else f"{title}\n{heading}", fontsize=10)
    return fig
