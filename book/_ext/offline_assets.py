"""Serve MathJax, require.js and the ipywidgets HTML manager from the book's ``_static/``.

The built book must work with no network, so nothing it loads may come from a CDN. This Sphinx
extension, run by ``jupyter-book build``:

1. installs the pinned JavaScript packages of ``book/package.json`` / ``book/package-lock.json``
   with ``npm ci`` when ``book/node_modules`` is missing or older than the lock file;
2. copies the files the pages load into ``book/_offline_static/`` (MathJax's ``es5`` tree,
   ``require.js``, ``embed-amd.js`` with its fonts, and anywidget's front-end
   ``anywidget/index.js``, an AMD module) and appends that folder to ``html_static_path``, so
   Sphinx copies it to ``_static/`` in the output;
3. adds ``mathjax2-shim.js`` (after MathJax): ipywidgets' HTML manager calls MathJax 2's
   ``MathJax.Hub.Queue``, which MathJax 3 lacks;
4. adds ``widgets-require-config.js`` (listed in ``nb_ipywidgets_js`` between require.js and
   embed-amd.js), which points require.js at ``_static/anywidget/index.js``: the HTML manager
   asks require.js for a widget's module before its CDN, so the widgets of
   :mod:`sparsity_widgets.widgets` that compute in the browser load with no network;
5. loads MathJax on every page (chapter titles with math sit in every page's sidebar);
6. checks that ``mathjax_path`` and every key of ``nb_ipywidgets_js`` in ``_config.yml`` name a
   local file under ``_static/`` (not an ``http(s)://`` URL) that this step provides.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

__all__ = ["ASSETS", "install_assets", "setup"]

BOOK = Path(__file__).resolve().parents[1]
NODE_MODULES = BOOK / "node_modules"
OUT = BOOK / "_offline_static"
SHIM = "mathjax2-shim.js"
#: require.js configuration for the widget front-ends (see the module docstring, item 4)
REQUIRE_CONFIG = "widgets-require-config.js"
#: destination under _static/ -> (source under node_modules, file patterns or None for a tree)
ASSETS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "mathjax": ("mathjax/es5", None),
    "requirejs": ("requirejs", ("require.js",)),
    "html-manager": (
        "@jupyter-widgets/html-manager/dist",
        ("embed-amd.js", "*.woff", "*.woff2", "*.ttf", "*.eot", "*.svg"),
    ),
    "anywidget": ("anywidget/dist", ("index.js",)),
}


def _npm_ci() -> None:
    lock = BOOK / "package-lock.json"
    stamp = NODE_MODULES / ".package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise ExtensionError(
            "the book serves MathJax and the ipywidgets embed script from _static/ and installs "
            "them with npm from book/package-lock.json, but `npm` is not on PATH; install "
            "Node.js (e.g. `apt-get install -y npm`) and build again."
        )
    proc = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=BOOK,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ExtensionError(f"`npm ci` in {BOOK} failed:\n{proc.stderr[-2000:]}")


def install_assets() -> Path:
    """Install the npm packages if needed and copy the served files to ``book/_offline_static``.

    Returns
    -------
    Path
        The folder appended to ``html_static_path``.
    """
    _npm_ci()
    for dest, (source, patterns) in ASSETS.items():
        src = NODE_MODULES / source
        target = OUT / dest
        if not src.is_dir():
            raise ExtensionError(f"{src} is missing after `npm ci`; check book/package.json.")
        if target.exists():
            shutil.rmtree(target)
        if patterns is None:
            shutil.copytree(src, target)
            continue
        target.mkdir(parents=True)
        for pattern in patterns:
            for path in src.glob(pattern):
                shutil.copy2(path, target / path.name)
    for name in (SHIM, REQUIRE_CONFIG):
        shutil.copy2(Path(__file__).with_name(name), OUT / name)
    return OUT


def _check_local(name: str, path: str) -> None:
    if "://" in path or path.startswith("//"):
        raise ExtensionError(f"{name} must be a file under _static/ for offline use; got {path!r}.")
    if not (OUT / path).is_file():
        raise ExtensionError(f"{name} = {path!r} is not provided by book/_ext/offline_assets.py.")


def _config_inited(app: Sphinx, config: Config) -> None:
    out = install_assets()
    config.html_static_path = [*config.html_static_path, str(out)]
    _check_local("mathjax_path", config.mathjax_path)
    for path in getattr(config, "nb_ipywidgets_js", {}) or {}:
        _check_local("nb_ipywidgets_js", path)


def _dedupe_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Drop repeated inline scripts: sphinx-thebe registers its ``const THEBE_JS_URL = ...``
    script once per ``env-before-read-docs`` event, and a page declaring the same ``const``
    twice throws a SyntaxError in the browser."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    unique = []
    for script in scripts:
        # the two copies differ only in filename None vs "" (inline scripts)
        attributes = getattr(script, "attributes", {}) or {}
        key = (getattr(script, "filename", None) or "", repr(sorted(attributes.items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    scripts[:] = unique  # in place: later handlers append to the same list


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("config-inited", _config_inited, priority=900)
    # MathJax on every page: chapter titles with math appear in every page's navigation, and a
    # page without equations of its own would otherwise show them as raw TeX
    app.set_html_assets_policy("always")
    # MathJax is added with the default priority 500 and defer; this runs right after it
    app.add_js_file(SHIM, defer="defer", priority=501)
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
