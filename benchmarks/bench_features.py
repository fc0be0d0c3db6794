"""Benchmark: layer features of a VGG-16 conv layer over 10 000 CIFAR-sized images.

Usage::

    python benchmarks/bench_features.py [--images 10000] [--layer features.conv3_3]
                                        [--repeats 3] [--out benchmarks/results/features.json]

Implementations
---------------
``ours``
    ``sparsity_widgets.probe.extract_features(model, X, [layer], batch_size=256)``: hooks on the
    chosen layer only, rows written into one preallocated float32 array, the forward pass
    stopped after the chosen layer.
``reference``
    The plain way: a forward hook appends every batch's output tensor to a list, the whole
    model runs, then ``torch.cat`` and ``reshape`` give the matrix (two copies at the end).

Both run on the same randomly initialised VGG-16 (``width=1``, 3 x 32 x 32 inputs) and the
same inputs; the features must be equal. Every (implementation, repeat) runs in a fresh
subprocess; its peak memory is the whole process's maximum RSS (inputs and model included).
The inputs take 123 MB (10 000 x 3 x 32 x 32 float32); ``features.conv3_3`` has 256 x 8 x 8
= 16 384 features, 655 MB for 10 000 images. Medians over the repeats; ratios reference/ours.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _inputs(n: int, seed: int) -> Any:
    import torch

    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, 32, 32, generator=generator)


def _model() -> Any:
    import torch

    from sparsity_widgets.models import build_model

    torch.manual_seed(0)
    return build_model("vgg16", in_shape=(3, 32, 32), n_classes=10).eval()


def _reference(model: Any, X: Any, layer: str, batch_size: int) -> Any:
    import torch

    chunks = []
    module = dict(model.named_modules())[layer]
    handle = module.register_forward_hook(lambda _m, _i, out: chunks.append(out.detach()))
    try:
        with torch.no_grad():
            for start in range(0, X.shape[0], batch_size):
                model(X[start : start + batch_size])
    finally:
        handle.remove()
    return torch.cat(chunks).reshape(X.shape[0], -1).numpy()


def worker(impl: str, n: int, layer: str, batch_size: int, out: str) -> None:
    import numpy as np
    import torch

    from sparsity_widgets.probe import extract_features

    model = _model()
    X = _inputs(n, seed=1)
    # warm-up on a few images (first-call allocations, thread pools)
    extract_features(model, X[:8], [layer], device="cpu", progress=False)
    _reference(model, X[:8], layer, batch_size)
    before = _peak_mb()
    start = time.perf_counter()
    if impl == "ours":
        F = extract_features(
            model, X, [layer], batch_size=batch_size, device="cpu", progress=False
        )[layer]
    else:
        F = _reference(model, X, layer, batch_size)
    seconds = time.perf_counter() - start
    check = extract_features(model, X[:64], [layer], device="cpu", progress=False)[layer]
    record = {
        "impl": impl,
        "n_images": n,
        "layer": layer,
        "width": int(F.shape[1]),
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "peak_before_mb": before,
        "feature_mb": F.nbytes / 1e6,
        "first_rows_equal": bool(np.array_equal(F[:64], check)),
        "threads": torch.get_num_threads(),
    }
    Path(out).write_text(json.dumps(record))


def run(images: int, layer: str, repeats: int, batch_size: int) -> dict[str, Any]:
    """Run every (implementation, repeat) in a fresh process; return runs and medians."""
    runs = []
    for repeat in range(repeats):
        for impl in ("ours", "reference"):
            out = HERE / "results" / f".features-{impl}-{repeat}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            cmd = [
                sys.executable,
                __file__,
                "--_worker",
                impl,
                "--images",
                str(images),
                "--layer",
                layer,
                "--batch-size",
                str(batch_size),
                "--_out",
                str(out),
            ]
            subprocess.run(cmd, check=True)
            runs.append(json.loads(out.read_text()))
            out.unlink()
            print(
                f"  {impl:<9} run {repeat + 1}: {runs[-1]['seconds']:.1f} s, "
                f"peak {runs[-1]['peak_mb']:.0f} MB",
                flush=True,
            )
    summary = {}
    for impl in ("ours", "reference"):
        mine = [r for r in runs if r["impl"] == impl]
        summary[impl] = {
            "seconds": statistics.median(r["seconds"] for r in mine),
            "peak_mb": statistics.median(r["peak_mb"] for r in mine),
        }
    summary["ratio"] = {
        key: summary["reference"][key] / summary["ours"][key] for key in ("seconds", "peak_mb")
    }
    summary["equal"] = all(r["first_rows_equal"] for r in runs)
    return {
        "runs": runs,
        "summary": summary,
        "images": images,
        "layer": layer,
        "width": runs[0]["width"],
        "repeats": repeats,
    }


def render(result: dict[str, Any]) -> str:
    """A Markdown table of the medians and the ratios."""
    s = result["summary"]
    head = (
        f"Feature extraction: VGG-16 `{result['layer']}` ({result['width']} features) over "
        f"{result['images']} images of 3 x 32 x 32; medians of {result['repeats']} runs"
    )
    lines = [
        head,
        "",
        "| impl | time (s) | peak RSS (MB) |",
        "|---|---|---|",
        f"| ours | {s['ours']['seconds']:.1f} | {s['ours']['peak_mb']:.0f} |",
        f"| reference | {s['reference']['seconds']:.1f} | {s['reference']['peak_mb']:.0f} |",
        f"| reference/ours | {s['ratio']['seconds']:.2f}x | {s['ratio']['peak_mb']:.2f}x |",
        "",
        f"features equal: {'yes' if s['equal'] else 'NO'}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--layer", default="features.conv3_3")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--out", default=str(HERE / "results" / "features.json"))
    parser.add_argument("--_worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--_out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._worker:
        worker(args._worker, args.images, args.layer, args.batch_size, args._out)
        return 0
    result = run(args.images, args.layer, args.repeats, args.batch_size)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(args.out).with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, args.out)
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
