"""Deep frame potential: block-wise evaluation vs the dense reference, and torch thread count.

Run ``python benchmarks/frames_speed.py``. Both tables are measured in the same run on the
same weights; the block-wise value must equal the dense one (checked, to 1e-10).
"""

from __future__ import annotations

import time

import numpy as np

from sparsity_widgets.frames.induced import (
    deep_frame_potential,
    dense_gram,
    make_architecture,
    random_weights,
)


def _best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def blockwise_vs_dense() -> None:
    print(f"{'architecture':<28}{'atoms':>7}{'block-wise s':>14}{'dense s':>10}{'speed-up':>10}")
    for arch, widths in [
        ("chain", (64, 128, 128, 128, 128)),
        ("residual", (64, *([256] * 6))),
        ("chain", (256, *([512] * 6))),
        ("dense", (64, *([128] * 6))),
    ]:
        a = make_architecture(arch, widths)
        w = random_weights(a, 0)
        fast = deep_frame_potential(a, w)
        slow = dense_gram(a, w)[2]
        assert abs(fast - slow) < 1e-10, (fast, slow)
        t_fast = _best_of(lambda a=a, w=w: deep_frame_potential(a, w))
        t_slow = _best_of(lambda a=a, w=w: dense_gram(a, w), repeats=1)
        label = f"{arch} {widths[0]}x{len(widths) - 1}x{widths[1]}"
        print(f"{label:<28}{a.n_atoms:>7}{t_fast:>14.4f}{t_slow:>10.3f}{t_slow / t_fast:>10.1f}")


def threads() -> None:
    import torch

    a = make_architecture("chain", (64, 96, 96, 96))
    w = [torch.tensor(x, requires_grad=True) for x in random_weights(a, 0)]
    before = torch.get_num_threads()
    print(f"\nforward+backward of F^2, chain 64,96,96,96 (torch default {before} threads)")
    for n in sorted({before, 1}, reverse=True):
        torch.set_num_threads(n)

        def step(w=w) -> None:
            for _ in range(20):
                deep_frame_potential(a, w).backward()

        print(f"  {n} thread(s): {_best_of(step) / 20 * 1e3:.2f} ms per evaluation")
    torch.set_num_threads(before)


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    blockwise_vs_dense()
    threads()
