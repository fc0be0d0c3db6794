"""Neural collapse and nearest class centers (NCC) through the layers of a PyTorch model.

:func:`probe_collapse` streams a labelled data set through the model with forward hooks and
computes, for every chosen layer, the metrics of :func:`sparsity_widgets.collapse.collapse_metrics`
(NC1, CDNV, NC2, NC3 where it applies, NC4 and the slides' NCC mismatch Lambda^j on train and
test) without ever holding a layer's features for the whole data set:

- pass 1 over the training set: every hook feeds its batch of features to the layer's
  :class:`~sparsity_widgets.collapse.ClassMoments` and drops it; the network's predictions
  (argmax of the model's output) are kept, one integer per sample;
- pass 2 over the training set: NC1 (:class:`~sparsity_widgets.collapse.NC1Accumulator`) and
  the NCC predictions against the train class means, counted against the labels and the
  network's predictions (the forward pass stops after the last chosen layer);
- one pass over the test set, if given: test predictions and the NCC with the *train* means.

Memory: O(batch x width) per layer at a time, plus O(K x width) of moments per layer and one
integer per training sample; never N x width.

NC3 (self-duality) needs the classifier W. It is computed only for a layer whose features *are*
the input of the model's last ``nn.Linear`` (same storage, same values, checked on one sample)
when that linear layer's output is the model's output (e.g. ``hidden.2`` of the ``mlp`` model,
``hidden`` of ``mnist1d-cnn``); for every other layer ``nc3`` is None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .._validation import check_int
from ..collapse import (
    ClassGeometry,
    ClassMoments,
    NC1Accumulator,
    metrics_from_passes,
)
from .collapse_result import CollapseProbe
from .features import (
    INPUT,
    _AllCollected,
    _as_inputs,
    _check_layer_names,
    _first_tensor,
    resolve_device,
)
from .run import default_layers

__all__ = ["probe_collapse"]


# ---------------------------------------------------------------------------------- inputs
def _check_split(data: Any, name: str) -> tuple[torch.Tensor, np.ndarray]:
    """Inputs (CPU float32 tensor) and labels (int64, shape (n,)) of a LabeledArrays-like."""
    if not (hasattr(data, "X") and hasattr(data, "y")):
        raise TypeError(
            f"{name} must be a LabeledArrays (or any object with X (n, ...) and y (n,)); got "
            f"{type(data).__name__}."
        )
    X = _as_inputs(data)
    y = np.asarray(data.y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{name}.y must hold one label per sample of {name}.X ({X.shape[0]}); got shape "
            f"{y.shape}."
        )
    if y.dtype.kind not in "iu":
        raise ValueError(f"{name}.y must hold integer class indices 0..K-1; got dtype {y.dtype}.")
    return X, y.astype(np.int64, copy=False)


def _check_labels(y: np.ndarray, n_classes: int, name: str) -> None:
    bad = np.flatnonzero((y < 0) | (y >= n_classes))
    if bad.size:
        raise ValueError(
            f"{name}.y must hold class indices in [0, {n_classes - 1}] (the model has "
            f"{n_classes} outputs); got {int(y[bad[0]])} at index {int(bad[0])}."
        )


def _layer_names(model: nn.Module, layers: Iterable[str | tuple[str, str]] | None) -> list[str]:
    if layers is None:
        return [name for name, _ in default_layers(model)]
    if isinstance(layers, str):
        raise TypeError(
            f"layers must be a list of layer names, not one string; got {layers!r}. Pass "
            f"[{layers!r}]."
        )
    names = [item if isinstance(item, str) else item[0] for item in layers]
    return _check_layer_names(model, names)


def _last_linear(model: nn.Module) -> tuple[str, nn.Linear] | None:
    linear = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    return linear[-1] if linear else None


def _shares_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


# ---------------------------------------------------------------------------------- streaming
class _Streamer:
    """Runs batches through the model with hooks on the chosen layers.

    For every batch, ``on_features(layer, rows, start)`` receives each chosen layer's output
    flattened to float32 rows (shape (batch, width)) as soon as the layer has run, so that only
    one layer's batch is held at a time. The caller puts the model in eval mode on ``device``
    (and restores it); :meth:`close` removes the hooks.
    """

    def __init__(self, model: nn.Module, layers: list[str], device: torch.device) -> None:
        self.model = model
        self.layers = layers
        self.device = device
        self.hooked = [name for name in layers if name != INPUT]
        self._seen: set[str] = set()
        self._callback: Callable[[str, np.ndarray, int], None] | None = None
        self._start = 0
        self._stop_early = False
        modules = dict(model.named_modules())
        self._handles = [
            modules[name].register_forward_hook(self._hook(name)) for name in self.hooked
        ]

    def _hook(self, name: str) -> Callable[..., None]:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            if name in self._seen or self._callback is None:
                return  # a module called twice contributes its first call
            self._seen.add(name)
            tensor = _first_tensor(output, name).detach()
            rows = tensor.reshape(tensor.shape[0], -1).float().cpu().numpy()
            self._callback(name, rows, self._start)
            if self._stop_early and len(self._seen) == len(self.hooked):
                raise _AllCollected

        return hook

    def run(
        self,
        X: torch.Tensor,
        batch_size: int,
        on_features: Callable[[str, np.ndarray, int], None],
        *,
        on_predictions: Callable[[np.ndarray, int], None] | None = None,
        progress: bool,
        desc: str,
    ) -> None:
        """One pass over ``X`` (n, ...): ``on_features(layer, rows, start)`` for every chosen
        layer of every batch, then ``on_predictions(argmax, start)`` (int64, shape (batch,))
        when given; without it the forward pass stops after the last chosen layer."""
        n = X.shape[0]
        self._callback = on_features
        self._stop_early = on_predictions is None
        bar = tqdm(
            range(0, n, batch_size), desc=desc, unit="batch", disable=not progress, leave=False
        )
        try:
            with torch.no_grad():
                for start in bar:
                    batch = X[start : start + batch_size].to(self.device)
                    self._start = start
                    self._seen = set()
                    if INPUT in self.layers:
                        rows = batch.reshape(batch.shape[0], -1).float().cpu().numpy()
                        on_features(INPUT, rows, start)
                    output = None
                    if self.hooked or on_predictions is not None:
                        try:
                            output = self.model(batch)
                        except _AllCollected:
                            pass
                    missing = [name for name in self.hooked if name not in self._seen]
                    if missing:
                        raise RuntimeError(
                            f"layer {missing[0]!r} was not called in the forward pass; pick a "
                            "layer that the model's forward uses."
                        )
                    if on_predictions is not None:
                        logits = _first_tensor(output, "the model's output")
                        on_predictions(logits.argmax(dim=1).cpu().numpy().astype(np.int64), start)
        finally:
            self._callback = None

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()


def _inspect(
    model: nn.Module, x: torch.Tensor, layers: list[str], device: torch.device
) -> tuple[int, str | None, set[str], torch.nn.Linear | None]:
    """One forward pass on one sample: the number of classes, the classifier (the last
    ``nn.Linear`` when its output is the model's output) and the layers feeding it."""
    outputs: dict[str, torch.Tensor] = {}
    handles = []
    modules = dict(model.named_modules())

    def keep(name: str) -> Callable[..., None]:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            outputs.setdefault(name, _first_tensor(output, name))

        return hook

    for name in layers:
        if name != INPUT:
            handles.append(modules[name].register_forward_hook(keep(name)))
    last = _last_linear(model)
    seen: dict[str, Any] = {}

    def on_classifier(_module: nn.Module, inputs: Any, output: Any) -> None:
        if "out" not in seen:  # its first call, as for the chosen layers
            seen["in"], seen["out"] = inputs[0], output

    if last is not None:
        handles.append(last[1].register_forward_hook(on_classifier))
    try:
        with torch.no_grad():
            batch = x.to(device)
            outputs[INPUT] = batch
            logits = _first_tensor(model(batch), "the model's output")
    finally:
        for handle in handles:
            handle.remove()
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError(
            "probe_collapse needs a classifier: the model's output must have shape (batch, "
            f"n_classes) with n_classes >= 2; got shape {tuple(logits.shape)}."
        )
    n_classes = int(logits.shape[1])
    if last is None or "out" not in seen or not torch.equal(seen["out"], logits):
        return n_classes, None, set(), None
    name, linear = last
    fed = seen["in"]
    feeding = {
        layer
        for layer, out in outputs.items()
        if layer in layers
        and out.numel() == fed.numel()
        and _shares_storage(out, fed)
        and torch.equal(out.reshape(-1), fed.reshape(-1))
    }
    return n_classes, name, feeding, linear


# ---------------------------------------------------------------------------------- the probe
def probe_collapse(
    model: nn.Module,
    data: Any,
    *,
    layers: Iterable[str | tuple[str, str]] | None = None,
    test_data: Any = None,
    batch_size: int = 256,
    device: str = "cpu",
    progress: bool = True,
    source: str | None = None,
    epoch: int | None = None,
) -> CollapseProbe:
    """Neural collapse and NCC mismatch of every chosen layer, streamed over batches.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier: its output (or the first tensor of a tuple output) has shape
        (batch, n_classes), n_classes >= 2; its argmax is "the network's prediction".
    data : LabeledArrays
        The training set: ``X`` of shape (n, *input_shape) and ``y`` (n,) class indices in
        ``[0, n_classes - 1]``, every class present. The class means come from it.
    layers : iterable of str or (str, kind), optional
        Dotted names (see :func:`~sparsity_widgets.probe.list_layers`; ``"input"`` for the
        input); default :func:`~sparsity_widgets.probe.default_layers`.
    test_data : LabeledArrays, optional
        Test set: Lambda and NCC accuracy on test, with the training class means.
    batch_size : int, default=256
        Samples per forward pass.
    device : {"cpu", "cuda", "auto"}, default="cpu"
    progress : bool, default=True
        Progress bars over the batches of each pass.
    source : str, optional
        Where the model came from (recorded).
    epoch : int, optional
        Its training epoch (recorded).

    Returns
    -------
    CollapseProbe
        Per layer, the :class:`~sparsity_widgets.collapse.CollapseMetrics` that
        ``collapse_metrics(H, y, n_classes=K, predictions=..., H_test=..., y_test=...,
        predictions_test=...)`` gives on the layer's features H (shape (n, width)), up to
        float64 rounding of the sums in another order; ``W`` (and so NC3) only for the layer
        feeding the classifier (see the module notes).

    Raises
    ------
    ValueError
        A wrong layer name (with the closest valid names), a model whose output is not
        (batch, n_classes), labels out of range or not integers, a class without a training
        sample, NaN or inf in a layer's features, coinciding class means.
    TypeError
        ``data`` or ``test_data`` without ``X`` and ``y``, or ``model`` not a module.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")
    names = _layer_names(model, layers)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    target = resolve_device(device)
    X, y = _check_split(data, "data")
    X_test, y_test = (None, None) if test_data is None else _check_split(test_data, "test_data")

    streamer = None
    flags = {name: m.training for name, m in model.named_modules()}
    param = next(model.parameters(), None)
    original_device = param.device if param is not None else torch.device("cpu")
    try:
        model.eval()
        model.to(target)
        n_classes, classifier, feeding, linear = _inspect(model, X[:1], names, target)
        _check_labels(y, n_classes, "data")
        if y_test is not None:
            _check_labels(y_test, n_classes, "test_data")
        W = None if linear is None else linear.weight.detach().cpu().double().numpy()

        streamer = _Streamer(model, names, target)
        # pass 1: class moments per layer, the network's train predictions
        moments = {name: ClassMoments(n_classes) for name in names}
        predictions = np.empty(X.shape[0], dtype=np.int64)

        def add_moments(name: str, rows: np.ndarray, start: int) -> None:
            moments[name].update(rows, y[start : start + rows.shape[0]])

        def keep_predictions(batch: np.ndarray, start: int) -> None:
            predictions[start : start + batch.shape[0]] = batch

        streamer.run(
            X,
            batch_size,
            add_moments,
            on_predictions=keep_predictions,
            progress=progress,
            desc="collapse pass 1",
        )
        geometry = {
            name: ClassGeometry.from_moments(moments.pop(name), name=f"data.y (layer {name!r})")
            for name in names
        }

        # pass 2: NC1 and the NCC on the training set
        nc1 = {name: NC1Accumulator(geometry[name]) for name in names}
        mismatch = dict.fromkeys(names, 0)
        correct = dict.fromkeys(names, 0)

        def second_pass(name: str, rows: np.ndarray, start: int) -> None:
            stop = start + rows.shape[0]
            ncc = nc1[name].update_and_predict(rows, y[start:stop])
            mismatch[name] += int(np.count_nonzero(ncc != predictions[start:stop]))
            correct[name] += int(np.count_nonzero(ncc == y[start:stop]))

        streamer.run(X, batch_size, second_pass, progress=progress, desc="collapse pass 2")

        # the test set: the NCC with the training means against the network's predictions
        test: dict[str, dict[str, Any]] = {name: {} for name in names}
        test_accuracy = None
        if X_test is not None:
            n_test = X_test.shape[0]
            mismatch_t = dict.fromkeys(names, 0)
            correct_t = dict.fromkeys(names, 0)
            right_t = 0
            batch_ncc: dict[str, np.ndarray] = {}  # this batch's NCC per layer, (batch,) ints

            def test_features(name: str, rows: np.ndarray, start: int) -> None:
                batch_ncc[name] = geometry[name].ncc_predict(rows, name=f"test features {name!r}")
                labels = y_test[start : start + rows.shape[0]]
                correct_t[name] += int(np.count_nonzero(batch_ncc[name] == labels))

            def test_predictions(batch: np.ndarray, start: int) -> None:
                nonlocal right_t
                right_t += int(np.count_nonzero(batch == y_test[start : start + batch.shape[0]]))
                for name in names:
                    mismatch_t[name] += int(np.count_nonzero(batch_ncc.pop(name) != batch))

            streamer.run(
                X_test,
                batch_size,
                test_features,
                on_predictions=test_predictions,
                progress=progress,
                desc="collapse test",
            )
            test_accuracy = right_t / n_test
            test = {
                name: {
                    "n_test_samples": n_test,
                    "ncc_mismatch_test": mismatch_t[name] / n_test,
                    "ncc_accuracy_test": correct_t[name] / n_test,
                }
                for name in names
            }
    finally:
        if streamer is not None:
            streamer.close()
        model.to(original_device)
        for name, module in model.named_modules():
            module.training = flags[name]

    n = X.shape[0]
    metrics = []
    for name in names:
        g = geometry[name]
        with_w = W is not None and name in feeding and W.shape[1] == g.n_features
        lam = mismatch[name] / n
        metrics.append(
            metrics_from_passes(
                g,
                nc1=nc1[name].value(),
                plane=nc1[name].plane(),
                n_samples=n,
                ncc_accuracy_train=correct[name] / n,
                ncc_mismatch_train=lam,
                W=W if with_w else None,
                **test[name],
            )
        )
    return CollapseProbe(
        layers=tuple(names),
        metrics=tuple(metrics),
        n_classes=n_classes,
        train_accuracy=float(np.count_nonzero(predictions == y)) / n,
        test_accuracy=test_accuracy,
        classifier=classifier,
        source=source,
        epoch=None if epoch is None else int(epoch),
    )
