"""``sparsity-widgets demo``: the first thing a new user runs.

Trains the paper's 7-layer MNIST-1D CNN twice on the CPU, once with ReLU and once with the
step activation the paper calls a failure (Sec. 5.0.2), probes every layer on the training
set and prints alpha* per layer next to the test accuracy: the probe tells the two apart from
the training data alone. A few minutes on two cores; the report (JSON, Markdown, PNG) goes
to the output folder, with the trained models and their checkpoints.
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np

from .mnist1d import SETTINGS, StudyResult, Variant, run_variants

__all__ = ["DEMO_VARIANTS", "format_demo", "run_demo"]

DEMO_VARIANTS = (Variant("relu", {"activation": "relu"}), Variant("step", {"activation": "step"}))


def run_demo(
    *,
    out_dir: str | os.PathLike = "demo-output",
    epochs: int = 10,
    seed: int = 0,
    device: str = "auto",
    n_jobs: int | None = None,
    progress: bool = True,
) -> StudyResult:
    """Train and probe the ReLU and the step MNIST-1D CNN (quick setting, one seed).

    Parameters
    ----------
    out_dir : path
        Report and cache folder (a second run reuses the trained models and scores).
    epochs : int, default=10
    seed : int, default=0
    device : str, default="auto"
    n_jobs : int or None
        Parallel tree fits.
    progress : bool, default=True

    Returns
    -------
    StudyResult
        Named ``"demo"``; its files are ``demo.json``, ``demo.md`` and ``demo.png``.
    """
    from ..probe import ProbeSettings

    setting = replace(SETTINGS["quick"], epochs=epochs, epoch_checkpoints=(epochs,), seeds=(seed,))
    return run_variants(
        "demo",
        list(DEMO_VARIANTS),
        setting,
        setting_name="quick",
        out_dir=out_dir,
        probe_settings=ProbeSettings(n_jobs=n_jobs),
        device=device,
        progress=progress,
    )


def format_demo(result: StudyResult) -> str:
    """The demo's printed report: alpha* per layer of both models and what it shows."""
    relu, step = result.results
    settings = relu.settings
    options = settings["model_options"]
    lines = [
        f"Sparsity Probe on MNIST-1D: the paper's 7-layer CNN ({options['channels']} channels), "
        f"trained {settings['epochs']} epochs",
        f"(Adam, lr {settings['lr']:g}, batch {settings['batch_size']}, seed "
        f"{relu.runs[0].seed}) with ReLU and with the step activation;",
        f"probed on the {settings['n_samples']} training samples with {settings['n_trees']} "
        f"trees of depth {settings['max_depth']}, {settings['rule']} rule.",
        "",
        f"{'layer':<10}{'kind':<8}{'width':>6}{'alpha* relu':>13}{'alpha* step':>13}",
    ]
    lines.append("-" * len(lines[-1]))
    a_relu, a_step = relu.mean(), step.mean()
    for j, row in enumerate(relu.summary_rows()):
        lines.append(
            f"{row['layer']:<10}{row['kind']:<8}{row['width']:>6}{a_relu[j]:>13.3f}{a_step[j]:>13.3f}"
        )
    acc_relu, acc_step = relu.accuracy()[0], step.accuracy()[0]
    lines.append(f"{'test accuracy':<24}{acc_relu:>13.3f}{acc_step:>13.3f}")
    inner = slice(1, None)  # every layer after the input
    better = int(np.sum(a_relu[inner] > a_step[inner]))
    lines += [
        "",
        f"ReLU scores above step on {better} of {a_relu[inner].size} layers after the input; "
        f"from the first to the last probed layer alpha* moves by {a_relu[-1] - a_relu[1]:+.3f} "
        f"with ReLU and {a_step[-1] - a_step[1]:+.3f} with step.",
    ]
    return "\n".join(lines)
