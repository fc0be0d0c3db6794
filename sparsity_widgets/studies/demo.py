"""``sparsity-widgets demo``: the first thing a new user runs.

Trains the paper's 7-layer MNIST-1D CNN on the CPU, with ReLU and with the step activation
the paper calls a failure (Sec. 5.0.2), for three training seeds each, probes every layer on
the training set and prints alpha* per layer (mean ± std over the seeds) next to the test
accuracy: the probe tells the two apart from the training data alone. About 35 s on two
quiet cores; the report (JSON, Markdown, PNG) goes to the output folder, with the
trained models and their checkpoints.

Why three seeds: one seed's per-layer alpha* moved by up to 0.056 between torch's CPU code
paths (its kernels round differently, and ten epochs of training amplify it), the mean over
three seeds by at most 0.030 (README, "Output of sparsity-widgets demo";
``benchmarks/demo_spread.py``). The mean is what a reader on another machine can expect to
reproduce.
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np

from .._validation import check_int
from .mnist1d import SETTINGS, StudyResult, Variant, run_variants

__all__ = ["DEMO_SEEDS", "DEMO_VARIANTS", "format_demo", "run_demo"]

DEMO_VARIANTS = (Variant("relu", {"activation": "relu"}), Variant("step", {"activation": "step"}))
DEMO_SEEDS = (0, 1, 2)


def run_demo(
    *,
    out_dir: str | os.PathLike = "demo-output",
    epochs: int = 10,
    seeds: tuple[int, ...] = DEMO_SEEDS,
    device: str = "auto",
    n_jobs: int | None = None,
    progress: bool = True,
) -> StudyResult:
    """Train and probe the ReLU and the step MNIST-1D CNN (quick setting, a few seeds).

    Parameters
    ----------
    out_dir : path
        Report and cache folder (a second run reuses the trained models and scores).
    epochs : int, default=10
    seeds : tuple of int, default=(0, 1, 2)
        Training seeds, distinct; the report averages over them.
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

    epochs = check_int("epochs", epochs, minimum=1)
    seeds = tuple(check_int("seeds", s, minimum=0) for s in seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(
            f"seeds must be distinct non-negative integers, at least one; got {seeds}."
        )
    setting = replace(SETTINGS["quick"], epochs=epochs, epoch_checkpoints=(epochs,), seeds=seeds)
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


def _seeds_text(seeds: list[int]) -> str:
    return f"seed {seeds[0]}" if len(seeds) == 1 else "seeds " + ", ".join(map(str, seeds))


def format_demo(result: StudyResult) -> str:
    """The demo's printed report: alpha* per layer of both models and what it shows.

    Every number is a mean over the training seeds, followed by its standard deviation over
    them (population, ``ddof=0``) when there are several.
    """
    relu, step = result.results
    settings = relu.settings
    options = settings["model_options"]
    seeds = [run.seed for run in relu.runs]
    several = len(seeds) > 1

    def cell(mean: float, std: float) -> str:
        return f"{mean:.3f} ± {std:.3f}" if several else f"{mean:.3f}"

    col = 17 if several else 13
    lines = [
        f"Sparsity Probe on MNIST-1D: the paper's 7-layer CNN ({options['channels']} channels), "
        f"trained {settings['epochs']} epochs",
        f"(Adam, lr {settings['lr']:g}, batch {settings['batch_size']}, {_seeds_text(seeds)}) "
        "with ReLU and with the step activation;",
        f"probed on the {settings['n_samples']} training samples with {settings['n_trees']} "
        f"trees of depth {settings['max_depth']}, {settings['rule']} rule.",
        *([f"Each number: mean ± std over the {len(seeds)} seeds."] if several else []),
        "",
        f"{'layer':<10}{'kind':<8}{'width':>6}{'alpha* relu':>{col}}{'alpha* step':>{col}}",
    ]
    lines.append("-" * len(lines[-1]))
    a_relu, a_step = relu.mean(), step.mean()
    s_relu, s_step = relu.std(), step.std()
    for j, row in enumerate(relu.summary_rows()):
        lines.append(
            f"{row['layer']:<10}{row['kind']:<8}{row['width']:>6}"
            f"{cell(a_relu[j], s_relu[j]):>{col}}{cell(a_step[j], s_step[j]):>{col}}"
        )
    acc_relu, acc_step = relu.accuracy(), step.accuracy()
    lines.append(f"{'test accuracy':<24}{cell(*acc_relu):>{col}}{cell(*acc_step):>{col}}")
    inner = slice(1, None)  # every layer after the input
    better = int(np.sum(a_relu[inner] > a_step[inner]))
    lines += [
        "",
        f"ReLU scores above step on {better} of {a_relu[inner].size} layers after the input; "
        f"from the first to the last probed layer alpha* moves by {a_relu[-1] - a_relu[1]:+.3f} "
        f"with ReLU and {a_step[-1] - a_step[1]:+.3f} with step.",
    ]
    return "\n".join(lines)
