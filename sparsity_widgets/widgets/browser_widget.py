"""The base of the widgets that compute in the reader's browser (anywidget).

A :class:`BrowserWidget` stores in its synced state the arrays its JavaScript needs, carries its
front-end as one ES module (``_esm``: the files of its
:class:`~sparsity_widgets.widgets.browser.registry.Twin`, with ``view_common.js`` before the
view) and, with a kernel, recomputes every setting with the Python twin into :attr:`result`,
echoed to the page as ``python_check`` (``{"settings": ..., "shown": ...}``), where the view
shows Python's value beside its own. Without a kernel (the static book) the page computes alone.

The book serves anywidget's front-end from ``_static/`` (``book/_ext/offline_assets.py``), so
the ipywidgets HTML manager loads it with require.js instead of a CDN.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import anywidget
import traitlets as T

from .browser import esm_source
from .browser.registry import Twin, json_view, twin

__all__ = ["BrowserWidget", "module_source"]


def module_source(entry: Twin) -> str:
    """The ES module of a widget kind: its model file(s), ``view_common.js``, then its view.

    Parameters
    ----------
    entry : Twin
        ``esm_files`` lists the model file(s) first and the view file last.

    Returns
    -------
    str
    """
    *models, view = entry.esm_files
    return esm_source(*models, "view_common.js", view)


class BrowserWidget(anywidget.AnyWidget):
    """A widget whose numbers the browser recomputes, checked by Python when a kernel runs.

    Subclasses set :attr:`kind` (a registered :class:`~sparsity_widgets.widgets.browser.
    registry.Twin`), declare their synced traits and call ``super().__init__(**traits)``;
    ``_esm`` is set from the registry when the class is defined.

    Attributes
    ----------
    kind : str
        The registry's name of the widget (``data-sw-kind`` on the view's root).
    result : dict
        The twin's answer for the current setting (what the browser shows).
    """

    kind: ClassVar[str] = ""
    uid = T.Unicode("").tag(sync=True)
    title = T.Unicode("").tag(sync=True)
    python_check = T.Dict().tag(sync=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # only where the class itself names its kind: traitlets' add_traits (which anywidget
        # uses for _esm) derives a subclass per instance, whose _esm is the trait
        if cls.__dict__.get("kind"):
            cls._esm = module_source(twin(cls.kind))
        super().__init_subclass__(**kwargs)

    def __init__(self, **traits: Any) -> None:
        super().__init__(uid=uuid.uuid4().hex[:12], **traits)
        self._twin = twin(self.kind)
        self.result: dict[str, Any] = self._check()
        self.observe(self._on_setting, names=list(self._twin.controls))

    @property
    def state(self) -> dict[str, Any]:
        """The synced traits the twin reads (data and settings), as plain Python values."""
        names = self.trait_names(sync=True)
        return {n: getattr(self, n) for n in names if not n.startswith("_") and n != "python_check"}

    @property
    def settings(self) -> dict[str, Any]:
        """The traits a reader moves, with their current values."""
        return {name: getattr(self, name) for name in self._twin.controls}

    def _check(self) -> dict[str, Any]:
        shown = self._twin.compute(self.state)
        self.python_check = {"settings": self.settings, "shown": json_view(shown)}
        return shown

    def _on_setting(self, change: dict[str, Any]) -> None:
        self.result = self._check()
