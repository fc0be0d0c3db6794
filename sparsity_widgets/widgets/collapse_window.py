"""The collapse explorer that computes in the reader's browser (anywidget).

:class:`CollapseWindow` stores one data set of a saved collapse study (every seed's Lambda^j,
NC1 and NCC accuracy of every layer at every common checkpoint; 146 KB for the quick study's
MNIST-1D, 335 KB for its digits) and its JavaScript (``browser/collapse_window.js``) picks a
layer, an epoch and a variant and computes the means and spreads over the seeds and the curves
through training, with or without a kernel. The class pictures of the kernel explorer
(:class:`~sparsity_widgets.widgets.CollapseExplorer`) are not carried: they need a kernel.
"""

from __future__ import annotations

from typing import Any

import traitlets as T

from ..studies.collapse_result import CollapseStudyResult
from ._choices import position_of
from .browser.collapse_window import BOTH, COLLAPSE_WINDOW, collapse_payload
from .browser_widget import BrowserWidget

__all__ = ["CollapseWindow"]


class CollapseWindow(BrowserWidget):
    """Lambda^j, NC1 and alpha* of one layer at one epoch, over seeds, in the browser.

    Parameters
    ----------
    result : CollapseStudyResult or path
        A saved collapse study (``sparsity-widgets study collapse``), or its JSON file.
    dataset : str, optional
        One of ``result.datasets`` (default the first).
    layer : str or int, optional
        A layer name or position (default the last layer).
    epoch : int, optional
        A common checkpoint epoch (default the last).
    variant : str
        A variant of the data set or ``"both"`` (default ``"both"`` when there are two).
    title : str, optional

    Attributes
    ----------
    result : dict
        Python's answer for the current setting:
        :func:`~sparsity_widgets.widgets.browser.collapse_window.collapse_shown`.
    """

    kind = COLLAPSE_WINDOW.kind
    study = T.Dict().tag(sync=True)
    layer = T.Int(0).tag(sync=True)
    epoch_index = T.Int(0).tag(sync=True)
    variant = T.Unicode(BOTH).tag(sync=True)

    def __init__(
        self,
        result: Any,
        *,
        dataset: str | None = None,
        layer: str | int | None = None,
        epoch: int | None = None,
        variant: str | None = None,
        title: str | None = None,
    ) -> None:
        if not isinstance(result, CollapseStudyResult):
            try:
                result = CollapseStudyResult.from_json(result)
            except (TypeError, OSError) as exc:
                raise ValueError(
                    "result must be a CollapseStudyResult or the path of its JSON file "
                    f"(sparsity-widgets study collapse); got {result!r} ({exc})."
                ) from exc
        dataset = result.datasets[0] if dataset is None else dataset
        study = collapse_payload(result, dataset)
        layers, epochs = study["layers"], study["epochs"]
        index = position_of(layer, layers)
        if epoch is None:
            epoch = epochs[-1]
        if epoch not in epochs:
            raise ValueError(
                f"epoch must be a checkpoint epoch of every {dataset!r} run, one of {epochs}; "
                f"got {epoch!r}."
            )
        names = [v["name"] for v in study["variants"]]
        choices = [*names, BOTH] if len(names) > 1 else names
        variant = choices[-1] if variant is None else variant
        if variant not in choices:
            raise ValueError(f"variant must be one of {choices}; got {variant!r}.")
        super().__init__(
            study=study,
            layer=index,
            epoch_index=epochs.index(epoch),
            variant=variant,
            title=f"collapse study: {dataset}" if title is None else title,
        )
