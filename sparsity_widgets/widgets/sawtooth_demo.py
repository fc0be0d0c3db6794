"""Sawtooth / Besov demo: ``Lambda_j``, its exact ReLU network, and smoothness through its layers.

The slides (``The "Sawtooth" realization``, Theorem 2.2): ``Lambda_j`` has ``2^(j-1)`` teeth and
a ReLU network of width 3 and ``2j`` layers realises it exactly, yet its Besov semi-norm grows
like ``2^(j alpha)``. Through the network, the representation after block ``k`` is
``Lambda_k(x)`` and what is left to compute is ``Lambda_{j-k}``, which has ever fewer teeth: the
layers get smoother. The demo shows

* left: ``Lambda_j`` and the network's output (their largest difference is printed);
* middle: alpha* of every layer of the network, probed on samples of ``[0, 1]``;
* right: ``log2`` of the Besov semi-norm of ``Lambda_1 .. Lambda_j`` against a line of slope
  alpha.

The numbers come from :mod:`sparsity_widgets.sawtooth`. The j slider and the target choice
refit (one forest per layer, cached per setting); the rule toggle and the alpha slider do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..sawtooth import (
    SAWTOOTH_TARGETS,
    BesovGrowth,
    SawtoothLayerProbe,
    besov_growth,
    probe_sawtooth_network,
    relu_network_forward,
    sawtooth,
    sawtooth_relu_network,
)
from ..tau_star import RULES
from .epsilon_explorer import PngFigure

__all__ = [
    "SawtoothDemo",
    "SawtoothState",
    "compute_sawtooth_state",
    "render_alpha_panel",
    "render_besov_panel",
    "render_sawtooth_panel",
]

_KIND_MARKERS = {"input": "s", "relu": "o", "affine": "D"}


@dataclass(frozen=True)
class SawtoothState:
    """Everything the demo draws.

    Attributes
    ----------
    probe : SawtoothLayerProbe
    rule : str
    alpha_stars : ndarray, shape (2j + 1,)
        Per layer (input first); NaN where no tau fell in the window.
    errors : list of str or None
        Why a layer has no alpha*.
    besov : BesovGrowth
    """

    probe: SawtoothLayerProbe
    rule: str
    alpha_stars: np.ndarray
    errors: list[str | None]
    besov: BesovGrowth

    def summary_html(self) -> str:
        """The numbers as HTML."""
        p, b = self.probe, self.besov
        alphas = ", ".join(
            f"{name}: {a:.3f}" if np.isfinite(a) else f"{name}: &ndash;"
            for name, a in zip(p.layer_names, self.alpha_stars, strict=True)
        )
        slope = "" if not np.isfinite(b.slope) else f", measured slope {b.slope:.3f}"
        return (
            f"<b>j = {p.j}</b>: {p.n_teeth} teeth; ReLU network of {2 * p.j} layers (width 3) "
            f"realises Lambda_j with <b>max error {p.max_error:.1e}</b><br>"
            f"alpha* per layer ({self.rule} rule, target {p.target}, n = {p.n_samples}): "
            f"{alphas}<br>Besov semi-norm |Lambda_i| for i = 1..{p.j} grows like "
            f"2^(i alpha), alpha = {b.alpha:.2f}{slope}"
        )


def compute_sawtooth_state(
    probe: SawtoothLayerProbe, rule: str = "paper", alpha: float = 0.5
) -> SawtoothState:
    """alpha* per layer from a probe's cached curves (no refit) and the Besov growth.

    Parameters
    ----------
    probe : SawtoothLayerProbe
    rule : {"paper", "public-code"}
    alpha : float
        Besov smoothness in (0, 1) of the right panel.

    Returns
    -------
    SawtoothState
    """
    estimates = probe.estimates(rule)
    errors = [e if isinstance(e, str) else None for e in estimates]
    values = np.array([np.nan if isinstance(e, str) else e.alpha_star for e in estimates])
    return SawtoothState(
        probe=probe,
        rule=rule,
        alpha_stars=values,
        errors=errors,
        besov=besov_growth(probe.j, alpha),
    )


def render_sawtooth_panel(state: SawtoothState, fig: Any) -> Any:
    """Left panel: ``Lambda_j`` and the ReLU network's output (``fig`` is cleared first).

    Returns
    -------
    matplotlib Axes
    """
    fig.clear()
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.14, top=0.86)
    p = state.probe
    j = p.j
    x = np.linspace(0.0, 1.0, 2 ** (j + 4) + 1)
    ax.plot(x, sawtooth(x, j), color="#1b374d", lw=1.4, label=rf"$\Lambda_{{{j}}}(x)$")
    n_dots = min(4 * 2**j + 1, 97)
    dots = (np.arange(n_dots) + 0.318) / n_dots  # off the dyadic knots
    ax.plot(
        dots,
        relu_network_forward(sawtooth_relu_network(j), dots),
        ls="none",
        marker=".",
        color="#ee4f2f",
        ms=4,
        label=f"ReLU network, {2 * j} layers",
    )
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_ylim(-0.05, 1.3)
    ax.legend(loc="upper right", fontsize=8, ncols=2)
    ax.set_title(
        rf"$\Lambda_{{{j}}}$: {p.n_teeth} teeth; max |network $-\ \Lambda_{{{j}}}$| = "
        f"{p.max_error:.1e}",
        fontsize=9,
    )
    return ax


def render_alpha_panel(state: SawtoothState, fig: Any) -> Any:
    """Middle panel: alpha* of every layer (``fig`` is cleared first).

    Returns
    -------
    matplotlib Axes
    """
    fig.clear()
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.14, top=0.86)
    p = state.probe
    layers = np.arange(len(p.layer_names))
    alphas = state.alpha_stars
    ax.plot(layers, alphas, color="#2bc2cb", lw=1.2)
    names = {"input": "input x", "relu": "hidden (ReLU, width 3)", "affine": "block output"}
    for kind, marker in _KIND_MARKERS.items():
        mask = np.array([k == kind for k in p.layer_kinds]) & np.isfinite(alphas)
        ax.plot(
            layers[mask],
            alphas[mask],
            ls="none",
            marker=marker,
            color="#1b374d",
            ms=6,
            label=names[kind],
        )
    missing = ~np.isfinite(alphas)
    if missing.any():
        bottom = np.nanmin(alphas) if np.isfinite(alphas).any() else 0.0
        ax.plot(
            layers[missing],
            np.full(missing.sum(), bottom),
            ls="none",
            marker="x",
            color="#b00020",
            label="no tau in the window",
        )
    ticks = ["in"] + [str(k) for k in range(1, 2 * p.j + 1)]
    ax.set_xticks(layers, ticks, fontsize=8 if p.j < 7 else 6)
    ax.set_xlabel("layer (2 per block: ReLU, then output)")
    ax.set_ylabel("alpha*")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=7)
    ax.set_title(
        f"alpha* per layer: {state.rule} rule,\ntarget {p.target}, n = {p.n_samples}",
        fontsize=9,
    )
    return ax


def render_besov_panel(state: SawtoothState, fig: Any) -> Any:
    """Right panel: ``log2`` Besov semi-norm of ``Lambda_i`` against slope alpha.

    Returns
    -------
    matplotlib Axes
    """
    fig.clear()
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.2, right=0.97, bottom=0.14, top=0.86)
    b = state.besov
    log_norm = np.log2(b.seminorms)
    ax.plot(b.js, log_norm, "o-", color="#1b374d", ms=5, label=r"$\log_2 |\Lambda_i|_{B}$")
    ax.plot(
        b.js,
        log_norm[0] + b.alpha * (b.js - b.js[0]),
        ls="--",
        color="#fba720",
        label=f"slope alpha = {b.alpha:.2f}",
    )
    ax.set_xticks(b.js)
    ax.set_xlabel("i")
    ax.set_ylabel(r"$\log_2$ Besov semi-norm of $\Lambda_i$")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    slope = "" if not np.isfinite(b.slope) else f"measured slope {b.slope:.3f}"
    ax.set_title(
        r"$|\Lambda_i|_{B^\alpha_\tau} \sim 2^{i\alpha}$ ($p = 2$)" + f"\n{slope}",
        fontsize=9,
    )
    return ax


class SawtoothDemo:
    """Controller: j (refits), the probe's target (refits), the rule and alpha (no refit).

    Parameters
    ----------
    j : int
        Start value, ``1 <= j <= max_j``.
    max_j : int
        Largest j the slider offers.
    n_samples : int
        Samples of ``[0, 1]`` each layer is probed on.
    target : {"labels", "values"}
    rule : {"paper", "public-code"}
    alpha : float
        Besov smoothness of the right panel, in (0, 1).
    random_state : int

    Attributes
    ----------
    state : SawtoothState
    controls : dict of ipywidgets
        ``"j"``, ``"target"``, ``"rule"``, ``"alpha"``.
    label : ipywidgets.HTML
    views : dict of PngFigure
        ``"sawtooth"``, ``"alpha"`` and ``"besov"``: one picture per panel, so that a control
        redraws only the panel it changes.
    n_probes : int
        Probes run so far (one forest per layer each); revisited settings come from a cache.
    """

    def __init__(
        self,
        j: int = 4,
        *,
        max_j: int = 8,
        n_samples: int = 4000,
        target: str = "labels",
        rule: str = "paper",
        alpha: float = 0.5,
        random_state: int = 0,
    ) -> None:
        import ipywidgets as W

        if not 1 <= j <= max_j:
            raise ValueError(f"j must lie in [1, max_j={max_j}]; got {j}.")
        if target not in SAWTOOTH_TARGETS:
            raise ValueError(f"target must be one of {SAWTOOTH_TARGETS}; got {target!r}.")
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}; got {rule!r}.")
        self.n_samples = n_samples
        self.random_state = random_state
        style = {"description_width": "70px"}
        self.controls = {
            "j": W.IntSlider(
                value=j, min=1, max=max_j, description="j", style=style, continuous_update=False
            ),
            "target": W.ToggleButtons(
                options=list(SAWTOOTH_TARGETS), value=target, description="target", style=style
            ),
            "rule": W.ToggleButtons(
                options=list(RULES), value=rule, description="rule", style=style
            ),
            "alpha": W.FloatSlider(
                value=alpha,
                min=0.1,
                max=0.9,
                step=0.05,
                description="Besov α",
                style=style,
                readout_format=".2f",
                continuous_update=False,
            ),
        }
        self.label = W.HTML()
        self.views = {
            "sawtooth": PngFigure((4.4, 3.7)),
            "alpha": PngFigure((4.4, 3.7)),
            "besov": PngFigure((4.0, 3.7)),
        }
        self.state: SawtoothState | None = None
        self.n_probes = 0
        self._probes: dict[tuple[int, str], SawtoothLayerProbe] = {}
        self._widget: Any = None
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def probe(self, j: int, target: str) -> SawtoothLayerProbe:
        """The probe of one setting, run once and cached."""
        key = (int(j), target)
        if key not in self._probes:
            self._probes[key] = probe_sawtooth_network(
                key[0], self.n_samples, target=target, random_state=self.random_state
            )
            self.n_probes += 1
        return self._probes[key]

    def _on_change(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> SawtoothState:
        """Recompute from the controls (probing only a new j or target); redraw what changed."""
        c = self.controls
        before = self.state
        state = compute_sawtooth_state(
            self.probe(c["j"].value, c["target"].value), c["rule"].value, c["alpha"].value
        )
        self.state = state
        new_probe = before is None or before.probe is not state.probe
        if before is None or before.probe.j != state.probe.j:
            render_sawtooth_panel(state, self.views["sawtooth"].figure)
            self.views["sawtooth"].draw()
        if new_probe or before.rule != state.rule:
            render_alpha_panel(state, self.views["alpha"].figure)
            self.views["alpha"].draw()
        if (
            before is None
            or before.probe.j != state.probe.j
            or before.besov.alpha != state.besov.alpha
        ):
            render_besov_panel(state, self.views["besov"].figure)
            self.views["besov"].draw()
        # the read-out last: when it changes in the browser, the pictures have been sent
        self.label.value = state.summary_html()
        return state

    def widget(self) -> Any:
        """The whole demo as one ipywidgets box, ready to display (built once)."""
        import ipywidgets as W

        if self._widget is None:
            c = self.controls
            self._widget = W.VBox(
                [
                    W.HBox([c["j"], c["alpha"]]),
                    W.HBox([c["target"], c["rule"]]),
                    self.label,
                    W.HBox([view.image for view in self.views.values()]),
                ],
                layout=W.Layout(border="1px solid #ddd", padding="6px"),
            )
            self._widget.add_class("sw-sawtooth-demo")
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget()._repr_mimebundle_(**kwargs)
