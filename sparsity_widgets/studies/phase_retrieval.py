"""The paper's phase-retrieval case study (Sec. 4.2.5, Fig. 8): classes from ``|FFT|`` alone.

Ben-Shaul & Dekel train two networks on the magnitudes of the 2-D Fourier transforms of MNIST
digits (the phase is thrown away) and probe every layer: a fully connected network learns and
its alpha* rises through the layers, while a convolutional one "completely fails" (low test
accuracy, alpha* that does not rise), because neighbouring Fourier coefficients carry no
spatial correlation for convolutions to use.

:func:`define` gives the study for :func:`~sparsity_widgets.studies.networks.run_network_study`
(``sparsity-widgets study phase-retrieval``):

- ``"full"``: MNIST from ``--data-dir`` (the official IDX files), ``|fftshift(FFT)|`` of the
  images, the authors' fully connected network (``fourier-fc`` with hidden widths 1024, 1568,
  1568, 200, as their ``models/phase_net.py``) against a standard convolutional network
  (``fourier-conv``), Adam at 1e-3, batch 32, 100 epochs (the defaults of their
  ``train/train_phase_retrieval.py``; the paper gives no training length for Fig. 8).
- ``"quick"``: the same two families on scikit-learn's 8 x 8 digits (offline, 1347 training
  images), sized so that both models over three seeds, with the controlled score, take a few
  minutes of CPU time.

Each model is probed at its input, at every hidden layer and at its output (the logits), as
the authors' Fig. 8 does. :func:`fig8_rows` and :func:`plot_fig8` read a saved
:class:`~sparsity_widgets.studies.networks.NetworkStudyResult`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write, atomic_write_text
from .._validation import check_choice
from .networks import NetworkStudy, NetworkStudyResult, NetworkVariant

__all__ = [
    "FULL_FC_HIDDEN",
    "QUICK_FC_HIDDEN",
    "define",
    "fig8_markdown",
    "fig8_rows",
    "plot_fig8",
    "replay_public_bad_net",
    "write_outputs",
]

FULL_FC_HIDDEN = (1024, 1568, 1568, 200)
"""Hidden widths of the authors' ``phase_net`` (784 -> 1024 -> 2*28**2 -> 2*28**2 -> 200 -> 10)."""

QUICK_FC_HIDDEN = (256, 256, 256, 64)
"""The same four hidden layers, narrowed for 64 inputs (8 x 8 digits)."""

QUICK_CONV_CHANNELS = (16, 32, 64)
"""fourier-conv's default blocks; three halvings take 8 x 8 to 1 x 1."""

_EPOCHS = 100  # train/train_phase_retrieval.py's default
_BATCH = 32  # its default batch size; Adam, lr 1e-3, as there


def _layers(n_hidden: int, prefix: str) -> tuple[str, ...]:
    return ("input", *(f"{prefix}.{i}" for i in range(n_hidden)))


def _variants(
    dataset: str,
    dataset_options: dict[str, Any],
    fc_hidden: tuple[int, ...],
    conv_channels: tuple[int, ...],
    epochs: int,
) -> tuple[NetworkVariant, ...]:
    options = {**dataset_options, "fourier": True}
    fc = NetworkVariant(
        label="fully connected",
        model="fourier-fc",
        dataset=dataset,
        epochs=epochs,
        model_options={"hidden": list(fc_hidden)},
        dataset_options=options,
        batch_size=_BATCH,
        layers=(*_layers(len(fc_hidden), "hidden"), "classifier"),
        group="fully connected",
    )
    conv = NetworkVariant(
        label="convolutional",
        model="fourier-conv",
        dataset=dataset,
        epochs=epochs,
        model_options={"channels": list(conv_channels)},
        dataset_options=options,
        batch_size=_BATCH,
        layers=(
            *_layers(len(conv_channels), "blocks"),
            "hidden",
            "classifier",
        ),
        group="convolutional",
    )
    return fc, conv


def define(setting: str) -> NetworkStudy:
    """The phase-retrieval study in ``setting``.

    Parameters
    ----------
    setting : {"quick", "full"}

    Returns
    -------
    NetworkStudy
        Two variants, ``"fully connected"`` and ``"convolutional"``, seeds 0, 1, 2.
    """
    check_choice("setting", setting, ("quick", "full"))
    if setting == "full":
        return NetworkStudy(
            name="phase-retrieval",
            setting="full",
            data="MNIST, |FFT| of the 28 x 28 images (60000 train / 10000 test)",
            variants=_variants("mnist", {}, FULL_FC_HIDDEN, QUICK_CONV_CHANNELS, _EPOCHS),
            needs_data_dir=True,
        )
    return NetworkStudy(
        name="phase-retrieval",
        setting="quick",
        data="scikit-learn digits (8 x 8, 1347 train / 450 test), |FFT| of the images, "
        "a stand-in for MNIST",
        variants=_variants("digits", {}, QUICK_FC_HIDDEN, QUICK_CONV_CHANNELS, _EPOCHS),
    )


def _check_result(result: Any) -> NetworkStudyResult:
    if not isinstance(result, NetworkStudyResult) or result.study != "phase-retrieval":
        raise ValueError(
            "result must be the NetworkStudyResult of study 'phase-retrieval' (read it with "
            f"NetworkStudyResult.from_json); got {type(result).__name__}"
            + (f" of study {result.study!r}" if isinstance(result, NetworkStudyResult) else "")
            + "."
        )
    labels = [r.label for r in result.results]
    for label in ("fully connected", "convolutional"):
        if label not in labels:
            raise ValueError(f"result must hold the variant {label!r}; got variants {labels}.")
    return result


def fig8_rows(result: NetworkStudyResult) -> list[dict[str, Any]]:
    """One row per variant: the numbers the paper's Fig. 8 and its text compare.

    Parameters
    ----------
    result : NetworkStudyResult
        Of ``phase-retrieval``.

    Returns
    -------
    list of dict
        Keys ``label``, ``test_accuracy`` and ``test_accuracy_std`` (over seeds),
        ``alpha_input``, ``alpha_last_hidden``, ``alpha_output`` (mean over seeds of raw alpha*
        at the input, at the last layer before the classifier and at the logits),
        ``rise`` (last hidden minus input), ``monotone`` (the fraction of seeds whose alpha*
        never falls by more than 0.01 from one layer to the next), and, when the study was
        probed with a controlled score, ``controlled_input`` and ``controlled_last_hidden``
        (else None).
    """
    result = _check_result(result)
    rows = []
    for r in result.results:
        acc = r.accuracy()
        alpha = r.values()
        mean = r.mean()
        steps = np.diff(alpha, axis=1)
        monotone = float(np.mean(np.all(steps >= -0.01, axis=1)))
        controlled = r.mean("baseline.score") if r.baseline is not None else None
        rows.append(
            {
                "label": r.label,
                "test_accuracy": None if acc is None else acc[0],
                "test_accuracy_std": None if acc is None else acc[1],
                "alpha_input": float(mean[0]),
                "alpha_last_hidden": float(mean[-2]),
                "alpha_output": float(mean[-1]),
                "rise": float(mean[-2] - mean[0]),
                "monotone": monotone,
                "controlled_input": None if controlled is None else float(controlled[0]),
                "controlled_last_hidden": None if controlled is None else float(controlled[-2]),
            }
        )
    return rows


def fig8_markdown(result: NetworkStudyResult) -> str:
    """:func:`fig8_rows` as a Markdown table under the line naming the data and setting."""
    rows = fig8_rows(result)

    def fmt(value: float | None, spec: str = ".3f") -> str:
        return "n/a" if value is None else format(value, spec)

    lines = [
        f"phase-retrieval, {result.setting} setting: {result.data}",
        "",
        "| model | test accuracy | alpha* input | alpha* last hidden | alpha* logits | "
        "rise (last hidden - input) | controlled input | controlled last hidden |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        acc = (
            "n/a"
            if row["test_accuracy"] is None
            else f"{row['test_accuracy']:.3f} ± {row['test_accuracy_std']:.3f}"
        )
        lines.append(
            f"| {row['label']} | {acc} | {fmt(row['alpha_input'])} | "
            f"{fmt(row['alpha_last_hidden'])} | {fmt(row['alpha_output'])} | "
            f"{fmt(row['rise'], '+.3f')} | {fmt(row['controlled_input'], '+.3f')} | "
            f"{fmt(row['controlled_last_hidden'], '+.3f')} |"
        )
    return "\n".join(lines) + "\n"


def plot_fig8(result: NetworkStudyResult, axes: Any = None) -> Any:
    """The paper's Fig. 8 redrawn: alpha* per layer of both models, side by side.

    Parameters
    ----------
    result : NetworkStudyResult
        Of ``phase-retrieval``.
    axes : sequence of two matplotlib Axes, optional
        Left: the fully connected model, right: the convolutional one. Default: a new figure.

    Returns
    -------
    ndarray of Axes, shape (2,)
        Raw alpha* (mean ± std band over seeds), and the controlled score dashed (with its
        null, 0, as a thin line) when the study has one; each title names the model and its
        mean test accuracy, the figure's title the data and setting.
    """
    from ..probe.plots import plot_alpha_per_layer

    result = _check_result(result)
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained", sharey=True)
    axes = np.asarray(axes).ravel()
    if axes.shape != (2,):
        raise ValueError(f"axes must hold 2 Axes; got {axes.shape[0]}.")
    for ax, label in zip(axes, ("fully connected", "convolutional"), strict=True):
        r = result.result(label)
        plot_alpha_per_layer(r, ax, legend="inside")
        acc = r.accuracy()
        ax.set_title(label + ("" if acc is None else f" (test accuracy {acc[0]:.3f})"), fontsize=9)
        ax.set_xticks(range(len(r.layer_names)), r.layer_names, rotation=30, fontsize=7)
        if r.baseline is not None:  # the controlled score's null
            ax.axhline(0.0, color="k", lw=0.6)
    axes[1].set_ylabel("")
    axes[0].figure.suptitle(
        f"phase-retrieval ({result.setting} setting): {result.data}", fontsize=9
    )
    return axes


def write_outputs(result: NetworkStudyResult, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``fig8.md`` (:func:`fig8_markdown`) and ``fig8.png`` (:func:`plot_fig8`) into
    ``out_dir``, next to the study's own files.

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    files = [atomic_write_text(out_dir / "fig8.md", fig8_markdown(result))]
    axes = plot_fig8(result)
    fig = axes[0].figure
    files.append(atomic_write(out_dir / "fig8.png", lambda t: fig.savefig(t, dpi=120)))
    plt.close(fig)
    return files


def replay_public_bad_net(
    data: Any,
    *,
    seeds: tuple[int, ...] = (0, 1, 2),
    epochs: int = 100,
    pixel_scale: float = 255.0,
    batch_size: int = 32,
    lr: float = 1e-3,
) -> np.ndarray:
    """Test accuracy per epoch of what the authors' public ``phase_net_bad`` computes.

    Its forward pass discards its convolutions and applies one linear layer to the flattened
    magnitudes ``|fftn(image)|`` of the raw pixels (0-255, zero frequency in the corner, no
    normalisation); it is trained with Adam and cross-entropy in shuffled batches. This replays
    that computation on ``data`` (nothing of their code is used).

    Parameters
    ----------
    data : LabeledSplits
        Images, e.g. ``load_dataset("digits")`` (not ``fourier=True``): ``train.X`` and
        ``test.X`` of shape (n, 1, H, W) with pixels in [0, 1].
    seeds : tuple of int, default (0, 1, 2)
        Torch seeds (initialisation and batch order), one run each.
    epochs : int, default 100
    pixel_scale : float, default 255.0
        Pixels are multiplied by it before the transform (255 gives the authors' 0-255 range).
    batch_size : int, default 32
    lr : float, default 1e-3

    Returns
    -------
    ndarray, shape (len(seeds), epochs)
        Test accuracy after each epoch. Torch runs on one thread meanwhile (restored after), so
        that the result does not depend on the machine's thread count.
    """
    import torch

    from .._validation import check_int

    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if not seeds:
        raise ValueError("seeds must hold at least one seed; got none.")
    splits = []
    for split in (data.train, data.test):
        X = np.asarray(split.X, dtype=np.float64)
        if X.ndim != 4:
            raise ValueError(
                f"data must hold images of shape (n, C, H, W); got samples of shape {X.shape}."
            )
        spectrum = np.abs(np.fft.fftn(X * pixel_scale, axes=(-2, -1)))
        splits.append(
            (
                torch.tensor(spectrum.reshape(len(X), -1), dtype=torch.float32),
                torch.as_tensor(np.asarray(split.y), dtype=torch.long),
            )
        )
    (X_train, y_train), (X_test, y_test) = splits
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    accuracy = np.empty((len(seeds), epochs))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the trajectory depends on the reduction order; one thread fixes it
    try:
        _replay(
            linear_data=(X_train, y_train, X_test, y_test),
            n_classes=n_classes,
            seeds=seeds,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            out=accuracy,
        )
    finally:
        torch.set_num_threads(threads)
    return accuracy


def _replay(
    *,
    linear_data: tuple[Any, Any, Any, Any],
    n_classes: int,
    seeds: tuple[int, ...],
    epochs: int,
    batch_size: int,
    lr: float,
    out: np.ndarray,
) -> None:
    import torch

    X_train, y_train, X_test, y_test = linear_data
    for i, seed in enumerate(seeds):
        torch.manual_seed(seed)
        linear = torch.nn.Linear(X_train.shape[1], n_classes)
        optimizer = torch.optim.Adam(linear.parameters(), lr=lr)
        for epoch in range(epochs):
            order = torch.randperm(len(X_train))
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                optimizer.zero_grad()
                loss = torch.nn.functional.cross_entropy(linear(X_train[batch]), y_train[batch])
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                predicted = linear(X_test).argmax(dim=1)
            out[i, epoch] = float((predicted == y_test).float().mean())
