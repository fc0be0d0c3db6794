"""Browser widgets in a blank Chromium page, without a kernel or a widget manager: the module
string is imported as anywidget imports it (a blob URL), and a view renders over a stand-in for
anywidget's model (get/set/save_changes/on/off over a plain object; ``set`` fires
``change:<key>`` when the value changes, as Backbone does)."""

from __future__ import annotations

from typing import Any

__all__ = ["import_esm", "render_with_stand_in"]

_IMPORT_JS = """async (src) => {
  const url = URL.createObjectURL(new Blob([src], {type: 'text/javascript'}));
  window.__sw = await import(url);
}"""

_RENDER_JS = """(state) => {
  const handlers = {};
  const model = {
    get: (k) => state[k],
    set: (k, v) => { const old = state[k]; state[k] = v;
                     if (old !== v) (handlers['change:' + k] || []).forEach((f) => f()); },
    save_changes: () => {},
    on: (name, f) => { (handlers[name] = handlers[name] || []).push(f); },
    off: (name, f) => { handlers[name] = (handlers[name] || []).filter((g) => g !== f); },
  };
  const el = document.createElement('div');
  document.body.appendChild(el);
  window.__sw.default.render({ model, el });
}"""


def import_esm(page: Any, source: str) -> None:
    """Import a widget's module string into the page as ``window.__sw``."""
    page.evaluate(_IMPORT_JS, source)


def render_with_stand_in(page: Any, source: str, state: dict[str, Any]) -> None:
    """Import ``source`` and render its view into the page over ``state`` (JSON-ready)."""
    import_esm(page, source)
    page.evaluate(_RENDER_JS, state)
