"""The demo's noise budget: forest seed, training seed and processor, separated per layer.

Usage::

    python benchmarks/noise_budget.py [--workdir runs/demo-spread] [--train-seeds 0,1,2,3,4]
                                      [--forest-seeds 0,1,2,3,4]
                                      [--capabilities default,avx2,avx512]
                                      [--out book/results/noise-budget.json]

The models are those of ``sparsity-widgets demo`` (the 7-layer MNIST-1D CNN, 16 channels, 64
hidden units, 10 epochs, ReLU and step), one per (code path, training seed), trained and probed
by ``benchmarks/demo_spread.py`` in ``--workdir``: a run whose ``demo.json`` exists is reused,
a missing one is made there (a fresh process with ``ATEN_CPU_CAPABILITY`` set). Three sources of
spread, per layer and model, all on alpha* of the 4000 training signals (3 trees of depth 15,
paper rule):

- **forest seed**: the models trained under this process's own code path (``--workdir``'s
  ``<capability>-s<seed>`` runs, so that their features are the ones the demo probed) scored
  again with forest seeds ``--forest-seeds``; per training seed the standard deviation over
  the forest seeds, then the mean of those over the training seeds (and their largest);
- **training seed**: the standard deviation over ``--train-seeds`` at forest seed 0 (the
  demo's), under the same code path; also the standard deviation over training seeds of the
  mean over forest seeds, which no longer contains the forest's part;
- **processor**: per training seed the largest minus the smallest alpha* over the code paths
  (forest seed 0), and the largest of those over the training seeds: what demo_spread.py calls
  the processor spread of one seed.

Standard deviations are population ones (ddof = 0), as in the demo. Forest seed 0 must reproduce
the demo's own scores exactly; the script checks it and records the largest difference. It
writes ``--out`` (JSON) and the same path with ``.md`` (the table). 50 probes of 9 layers for the
defaults, besides the demo runs (reused): 96 s of CPU time, single-threaded.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_spread.py, a sibling script

from demo_spread import run_one

from sparsity_widgets._io import atomic_write_text

SCHEMA = "sparsity_widgets.noise_budget/1"


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(",") if v.strip())


def own_capability(capabilities: list[str]) -> str:
    """This process's torch CPU code path, as one of ``capabilities``."""
    import torch

    own = torch.backends.cpu.get_cpu_capability().lower()
    names = {"default": "default", "no avx": "default", "avx2": "avx2", "avx512": "avx512"}
    name = names.get(own, own)
    if name not in capabilities:
        raise SystemExit(
            f"this process runs torch's {own!r} code path, which is not among --capabilities "
            f"{capabilities}; add it, so that the forest-seed part probes models whose features "
            "the demo saw."
        )
    return name


def forest_alphas(run_folder: Path, seed_run, forest_seeds: tuple[int, ...]) -> np.ndarray:
    """alpha* per (forest seed, layer) of the checkpoint a demo run probed."""
    from sparsity_widgets.datasets import load_dataset
    from sparsity_widgets.probe import ProbeSettings, probe_model
    from sparsity_widgets.training import load_checkpoint

    checkpoint = run_folder.joinpath(*Path(seed_run.source).parts[-4:])
    model, config, _ = load_checkpoint(checkpoint)
    data = load_dataset(config.dataset, **config.dataset_options).train
    layers = [(layer.name, layer.kind) for layer in seed_run.layers]
    out = []
    for seed in forest_seeds:
        run = probe_model(
            model, data, layers=layers, settings=ProbeSettings(random_state=seed), progress=False
        )
        out.append([layer.alpha_star for layer in run.layers])
    return np.array(out)


def markdown(budget: dict) -> str:
    """The table: per layer, for each model, the three spreads."""
    labels = list(budget["models"])
    head = (
        "| layer | width | "
        + " | ".join(
            f"{label}: forest seed | {label}: training seed | {label}: processor"
            for label in labels
        )
        + " |"
    )
    lines = [
        f"Noise budget of `sparsity-widgets demo` (alpha* per layer; training seeds "
        f"{budget['train_seeds']}, forest seeds {budget['forest_seeds']}, code paths "
        f"{budget['capabilities']}; forest and training seed under "
        f"{budget['reference_capability']}).",
        "forest seed: std over forest seeds, mean over training seeds; training seed: std over "
        "training seeds at forest seed 0; processor: largest max - min over the code paths of one "
        "training seed (forest seed 0).",
        "",
        head,
        "|---|---|" + "---|" * (3 * len(labels)),
    ]
    for j, layer in enumerate(budget["layers"]):
        cells = []
        for label in labels:
            spread = budget["models"][label]["per_layer"]
            cells += [
                f"{spread['forest_std'][j]:.3f}",
                f"{spread['train_std'][j]:.3f}",
                f"{spread['processor_range'][j]:.3f}",
            ]
        lines.append(f"| {layer} | {budget['widths'][j]} | " + " | ".join(cells) + " |")
    for label in labels:
        acc = budget["models"][label]["test_accuracy"]
        lines.append(
            f"\n{label}: test accuracy {acc['mean']:.3f}, std over training seeds "
            f"{acc['train_std']:.3f}, processor range {acc['processor_range']:.3f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("runs/demo-spread"))
    parser.add_argument("--train-seeds", type=_ints, default=(0, 1, 2, 3, 4))
    parser.add_argument("--forest-seeds", type=_ints, default=(0, 1, 2, 3, 4))
    parser.add_argument("--capabilities", default="default,avx2,avx512")
    parser.add_argument("--out", type=Path, default=Path("book/results/noise-budget.json"))
    args = parser.parse_args()
    caps = [c.strip() for c in args.capabilities.split(",") if c.strip()]
    if 0 not in args.forest_seeds:
        raise SystemExit("--forest-seeds must include 0, the demo's forest seed")
    start = time.perf_counter()
    reference = own_capability(caps)
    runs = {(cap, s): run_one(args.workdir, cap, s) for cap in caps for s in args.train_seeds}
    demo_seconds = time.perf_counter() - start
    first = runs[reference, args.train_seeds[0]].results[0]
    layers = first.layer_names
    widths = [layer.width for layer in first.runs[0].layers]
    f0 = args.forest_seeds.index(0)
    models, largest_check = {}, 0.0
    for v, variant in enumerate(runs[reference, args.train_seeds[0]].results):
        # alpha[cap] : (train seeds, layers) at forest seed 0, from the demo runs
        alpha = {
            cap: np.vstack([runs[cap, s].results[v].mean() for s in args.train_seeds])
            for cap in caps
        }
        # forest[t] : (forest seeds, layers) under the reference code path
        forest = np.stack(
            [
                forest_alphas(
                    args.workdir / f"{reference}-s{s}",
                    runs[reference, s].results[v].runs[0],
                    args.forest_seeds,
                )
                for s in args.train_seeds
            ]
        )
        largest_check = max(largest_check, float(np.max(np.abs(forest[:, f0] - alpha[reference]))))
        stack = np.stack([alpha[cap] for cap in caps])  # (caps, train seeds, layers)
        accuracy = np.array(
            [
                [runs[cap, s].results[v].runs[0].test_accuracy for s in args.train_seeds]
                for cap in caps
            ]
        )
        per_seed_forest_std = forest.std(axis=1)  # (train seeds, layers)
        models[variant.label] = {
            "per_layer": {
                "forest_std": per_seed_forest_std.mean(axis=0).tolist(),
                "forest_std_max": per_seed_forest_std.max(axis=0).tolist(),
                "train_std": alpha[reference].std(axis=0).tolist(),
                "train_std_of_forest_mean": forest.mean(axis=1).std(axis=0).tolist(),
                "processor_range": (stack.max(axis=0) - stack.min(axis=0)).max(axis=0).tolist(),
            },
            "alpha_forest": forest.tolist(),
            "alpha_by_capability": {cap: alpha[cap].tolist() for cap in caps},
            "test_accuracy": {
                "mean": float(accuracy.mean()),
                "train_std": float(accuracy[caps.index(reference)].std()),
                "processor_range": float((accuracy.max(axis=0) - accuracy.min(axis=0)).max()),
            },
        }
    budget = {
        "schema": SCHEMA,
        "train_seeds": list(args.train_seeds),
        "forest_seeds": list(args.forest_seeds),
        "capabilities": caps,
        "reference_capability": reference,
        "layers": layers,
        "widths": widths,
        "models": models,
        "forest_seed0_max_difference_from_demo": largest_check,
        "what_was_run": (
            f"demo runs reused from or made in {args.workdir} ({len(runs)} one-seed runs of "
            f"`sparsity-widgets demo`, one per code path and training seed); the "
            f"{reference} models re-probed with forest seeds {list(args.forest_seeds)} "
            f"in this process"
        ),
        "seconds": {"demo_runs": demo_seconds, "total": time.perf_counter() - start},
    }
    if largest_check != 0.0:
        print(f"warning: forest seed 0 differs from the demo's scores by up to {largest_check:.3g}")
    atomic_write_text(args.out, json.dumps(budget, indent=1) + "\n")
    table = markdown(budget)
    atomic_write_text(args.out.with_suffix(".md"), table + "\n")
    print(table)
    print(f"\nwrote {args.out} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
