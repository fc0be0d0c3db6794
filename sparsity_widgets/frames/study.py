"""Model-selection study: minimum deep frame potential vs parameter count vs validation error.

For a grid of fully-connected chain, residual and dense networks, compute each architecture's
minimum deep frame potential (no data), train it briefly on scikit-learn's digits (64 features,
10 classes, shipped with scikit-learn: nothing is downloaded) and record the validation error;
then report Pearson and Spearman correlations.

Run ``python -m sparsity_widgets.frames.study --setting quick`` (CPU, a few minutes) or
``--setting full --device auto`` (a larger grid, meant for a GPU). Results are written
atomically to ``--out`` as JSON; every network is a cell of a grid (:mod:`sparsity_widgets.grid`),
kept in ``cells/`` next to it so that a stopped run resumes, and ``--backend loky|dask`` runs
several at once.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_text
from .._validation import check_choice
from .induced import Architecture, make_architecture

__all__ = [
    "SETTINGS",
    "StudySetting",
    "build_network",
    "fc_network",
    "main",
    "run_study",
    "summarize",
]


@dataclass(frozen=True)
class StudySetting:
    """Sizes of one setting of the study.

    Attributes
    ----------
    depths : tuple of int
        Numbers of hidden layers.
    widths : tuple of int
        Hidden widths (every hidden layer of a network has the same width).
    archs : tuple of str
    restarts, max_iter : int
        Frame-potential minimisation: random starts and L-BFGS iterations per start.
    epochs, batch_size : int
        Training of each network (Adam, lr 1e-3).
    seeds : tuple of int
        Training seeds; the validation error is averaged over them.
    """

    depths: tuple[int, ...]
    widths: tuple[int, ...]
    archs: tuple[str, ...] = ("chain", "residual", "dense")
    restarts: int = 1
    max_iter: int = 150
    epochs: int = 30
    batch_size: int = 64
    seeds: tuple[int, ...] = (0,)


SETTINGS = {
    "quick": StudySetting(depths=(3, 5), widths=(80, 128), max_iter=300),
    "full": StudySetting(
        depths=(3, 5, 7, 9),
        widths=(80, 128, 256, 512),
        restarts=3,
        max_iter=1000,
        epochs=100,
        seeds=(0, 1, 2),
    ),
}


def build_network(architecture: Architecture, n_classes: int) -> Any:
    """A torch module computing ``w_t = relu(sum_s A_ts^T w_s)`` over the architecture's edges.

    Parameter edges are ``nn.Linear(k_s, k_t)`` (with bias), identity edges add ``w_s``; a
    linear head maps the last layer to ``n_classes`` logits.

    Returns
    -------
    torch.nn.Module
        Input ``(batch, k_0)``, output ``(batch, n_classes)``.
    """
    import torch
    from torch import nn

    class EdgeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.edges = architecture.edges
            self.linears = nn.ModuleDict(
                {
                    f"{e.source}_{e.target}": nn.Linear(
                        architecture.widths[e.source], architecture.widths[e.target]
                    )
                    for e in architecture.param_edges
                }
            )
            self.head = nn.Linear(architecture.widths[-1], n_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = [x]
            for t in range(1, architecture.n_layers + 1):
                pre = 0.0
                for e in self.edges:
                    if e.target != t:
                        continue
                    if e.kind == "param":
                        pre = pre + self.linears[f"{e.source}_{e.target}"](h[e.source])
                    else:
                        pre = pre + h[e.source]
                h.append(torch.relu(pre))
            return self.head(h[-1])

    return EdgeNet()


def _digits(seed: int = 0) -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
    mean, std = X_tr.mean(0), X_tr.std(0) + 1e-6
    return (X_tr - mean) / std, (X_va - mean) / std, y_tr, y_va


def _train(architecture: Architecture, data: tuple, setting: StudySetting, seed: int, device: str):
    import torch

    torch.manual_seed(seed)
    X_tr, X_va, y_tr, y_va = (torch.as_tensor(a) for a in data)
    X_tr, X_va = X_tr.float().to(device), X_va.float().to(device)
    y_tr, y_va = y_tr.long().to(device), y_va.long().to(device)
    model = build_network(architecture, int(y_tr.max()) + 1).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(setting.epochs):
        order = torch.randperm(len(X_tr), generator=gen).to(device)
        for i in range(0, len(X_tr), setting.batch_size):
            idx = order[i : i + setting.batch_size]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(X_tr[idx]), y_tr[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        return float((model(X_va).argmax(1) != y_va).float().mean())


def run_study(
    setting: str | StudySetting = "quick",
    *,
    device: str = "cpu",
    progress: bool = True,
    out_dir: str | Path | None = None,
    backend: str = "sequential",
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    gpus: int = 0,
) -> dict[str, Any]:
    """Minimise, train and correlate over the grid of a setting.

    Every network is a cell of a grid (:func:`sparsity_widgets.grid.run_grid`): minimised and
    trained with one torch thread (small matrices: much faster on a shared CPU), so the rows do
    not depend on where the cells run.

    Parameters
    ----------
    setting : {"quick", "full"} or StudySetting
    device : str, default="cpu"
    progress : bool, default=True
    out_dir : path, optional
        Keep each finished network in ``out_dir/cells/`` and reuse it on a rerun (default: a
        temporary folder, nothing kept).
    backend, workers, scheduler, threads, gpus
        Where the networks run (see :func:`sparsity_widgets.grid.run_grid`); default one after
        another here.

    Returns
    -------
    dict
        ``rows`` (one per network: arch, widths, n_parameters, min_frame_potential, converged,
        val_error) and ``correlations`` (see :func:`summarize`).
    """
    import tempfile

    import torch

    from ..grid import Cell, check_backend, run_grid
    from .minimize import resolve_device

    check_backend(backend, workers, scheduler, threads)
    name = setting if isinstance(setting, str) else "custom"
    if isinstance(setting, str):
        setting = SETTINGS[check_choice("setting", setting, tuple(SETTINGS))]
    device = resolve_device(device)
    described = json.loads(json.dumps(asdict(setting)))
    cells = [
        Cell(
            fc_network,
            {"arch": a, "depth": d, "width": w, "setting": described},
            {"device": device},
        )
        for a in setting.archs
        for d in setting.depths
        for w in setting.widths
    ]
    start = time.perf_counter()
    grid = {"backend": backend, "workers": workers, "scheduler": scheduler, "threads": threads}
    with tempfile.TemporaryDirectory() as scratch:
        rows = run_grid(
            cells,
            scratch if out_dir is None else out_dir,
            gpus=gpus,
            progress=progress,
            desc="networks",
            **grid,
        )
    return {
        "setting": name,
        "dataset": "sklearn digits (1797 x 64, 70/30 stratified split, seed 0)",
        "device": device,
        "torch": torch.__version__,
        "seconds": round(time.perf_counter() - start, 1),
        "rows": rows,
        "correlations": summarize(rows),
    }


def fc_network(
    arch: str, depth: int, width: int, setting: dict[str, Any], *, device: str = "cpu"
) -> dict[str, Any]:
    """One grid cell of the study: minimise one network's frame potential and train it over
    the seeds, with one torch thread; its row.

    Parameters
    ----------
    arch : str
    depth, width : int
        Hidden layers and their width.
    setting : dict
        The :class:`StudySetting` as ``asdict`` and JSON give it.
    device : str
        A resolved device (``"cpu"``, ``"cuda"``, ``"cuda:K"``).

    Returns
    -------
    dict
        arch, depth, width, widths, n_parameters, min_frame_potential, converged, val_error.
    """
    import torch

    from .minimize import minimize_frame_potential

    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in setting.items()}
    study = StudySetting(**fields)
    data = _digits(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matrices: one thread is much faster on a shared CPU
    try:
        architecture = make_architecture(arch, (data[0].shape[1], *([width] * depth)))
        fp = minimize_frame_potential(
            architecture, n_restarts=study.restarts, max_iter=study.max_iter, device=device
        )
        errors = [_train(architecture, data, study, s, device) for s in study.seeds]
    finally:
        torch.set_num_threads(threads)
    return {
        "arch": arch,
        "depth": depth,
        "width": width,
        "widths": list(architecture.widths),
        "n_parameters": architecture.n_parameters,
        "min_frame_potential": fp.value,
        "converged": fp.converged,
        "val_error": float(np.mean(errors)),
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Pearson and Spearman correlations between the study's columns.

    Returns
    -------
    dict
        ``{pearson,spearman}_{fp_error,params_error,fp_params}`` over all rows, with the
        frame potential and parameter count on a log scale for Pearson.
    """
    from scipy.stats import pearsonr, spearmanr

    fp = np.log10(np.maximum([r["min_frame_potential"] for r in rows], 1e-12))
    params = np.log10([r["n_parameters"] for r in rows])
    err = np.asarray([r["val_error"] for r in rows])
    out = {}
    for key, (a, b) in {
        "fp_error": (fp, err),
        "params_error": (params, err),
        "fp_params": (fp, params),
    }.items():
        out[f"pearson_{key}"] = float(pearsonr(a, b)[0])
        out[f"spearman_{key}"] = float(spearmanr(a, b)[0])
    return out


def format_table(result: dict[str, Any]) -> str:
    """The study's rows and correlations as a plain-text table."""
    lines = [
        f"{'arch':<9}{'depth':>6}{'width':>6}{'weights':>9}{'min F^2':>12}{'val err':>9}",
    ]
    for r in result["rows"]:
        lines.append(
            f"{r['arch']:<9}{r['depth']:>6}{r['width']:>6}{r['n_parameters']:>9}"
            f"{r['min_frame_potential']:>12.3e}{r['val_error']:>9.3f}"
        )
    lines += correlation_lines(result["correlations"], "val error")
    return "\n".join(lines)


def correlation_lines(correlations: dict[str, float], error: str) -> list[str]:
    """The two correlation lines under a study's table (``error`` names the error column)."""
    c = correlations
    return [
        f"log10 min F^2 vs {error}: Pearson {c['pearson_fp_error']:.2f}, "
        f"Spearman {c['spearman_fp_error']:.2f}",
        f"log10 weights vs {error}: Pearson {c['pearson_params_error']:.2f}, "
        f"Spearman {c['spearman_params_error']:.2f}",
    ]


def main(argv: list[str] | None = None) -> int:
    """``python -m sparsity_widgets.frames.study [--setting quick|full] [--device auto]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=tuple(SETTINGS), default="quick")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("frames-output/study.json"),
        help="the result (JSON); finished networks are kept in cells/ next to it",
    )
    from ..grid.cli_args import add_grid_arguments, grid_options

    add_grid_arguments(parser, "networks")
    args = parser.parse_args(argv)
    try:
        grid = grid_options(args)
    except ValueError as exc:
        parser.error(str(exc))
    result = run_study(args.setting, device=args.device, out_dir=args.out.parent, **grid)
    atomic_write_text(args.out, json.dumps(result, indent=2))
    print(format_table(result))
    print(f"{result['seconds']} s; wrote {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
