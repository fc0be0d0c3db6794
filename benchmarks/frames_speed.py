"""Deep frame potential: block-wise evaluation vs the dense reference, and torch thread count.

Run ``python benchmarks/frames_speed.py``. The tables are measured in the same run on the same
weights; the block-wise value must equal the dense one (checked, to 1e-10). The convolutional
table adds the CIFAR-10 networks of the paper, whose dense Gram matrix no machine holds: there
only the block-wise forward and backward pass (torch, float64, one thread) is timed.
"""

from __future__ import annotations

import time

import numpy as np

from sparsity_widgets.frames.conv_induced import (
    conv_deep_frame_potential,
    conv_dense_gram,
    make_conv_architecture,
    random_conv_weights,
)
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


def conv_blockwise_vs_dense() -> None:
    import torch

    print(
        f"\n{'conv network':<34}{'atoms':>8}{'Gram entries':>14}{'NumPy s':>10}"
        f"{'dense s':>9}{'speed-up':>10}{'torch fwd+bwd s':>17}"
    )
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    cases = [
        ("residual", (1, 40), 8, 2),
        ("dense", (1, 40), 4, 4),
        ("residual", (3, 16, 16), 4, 1),
        ("residual", (3, 32, 32), 16, 2),
        ("dense", (3, 32, 32), 12, 12),
        ("residual", (3, 32, 32), 32, 10),
    ]
    for arch, shape, width, blocks in cases:
        a = make_conv_architecture(arch, input_shape=shape, width=width, blocks=blocks)
        w = random_conv_weights(a, 0)
        fast = conv_deep_frame_potential(a, w)
        t_fast = _best_of(lambda a=a, w=w: conv_deep_frame_potential(a, w))
        entries = a.n_atoms**2
        if entries <= 10**8:  # 800 MB of float64: the dense reference still fits
            slow = conv_dense_gram(a, w)[2]
            assert abs(fast - slow) < 1e-10, (fast, slow)
            t_slow = _best_of(lambda a=a, w=w: conv_dense_gram(a, w), repeats=1)
            dense = f"{t_slow:>9.2f}{t_slow / t_fast:>10.0f}"
        else:
            dense = f"{'-':>9}{'-':>10}"
        tensors = [torch.tensor(x, requires_grad=True) for x in w]

        def step(a=a, tensors=tensors) -> None:
            conv_deep_frame_potential(a, tensors).backward()

        label = f"{arch} {'x'.join(map(str, shape))} w{width} b{blocks}"
        print(
            f"{label:<34}{a.n_atoms:>8}{entries:>14.1e}{t_fast:>10.4f}{dense}"
            f"{_best_of(step):>17.3f}"
        )
    torch.set_num_threads(before)


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
    conv_blockwise_vs_dense()
    threads()
