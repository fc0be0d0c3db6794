"""The Jupyter Book builds with no warnings and renders offline in a real browser.

``test_book_builds_without_warnings`` runs ``jupyter-book build . -W -n --keep-going`` into a
temporary folder (it executes every chapter and notebook in the quick setting, and installs the
book's JavaScript from ``book/package-lock.json`` with ``npm ci`` when needed). The browser tests
open the built pages in headless Debian Chromium through Playwright with every non-file request
blocked, and check that MathJax typeset the equations and the ipywidgets snapshot rendered. Their
screenshots go to ``_build/screenshots/``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "_build" / "screenshots"
#: the chapter with equations and the page with a widget
MATH_PAGE = "book/ch04_tau_sparsity.html"
WIDGET_PAGE = "notebooks/ch05_epsilon_explorer.html"


@pytest.fixture(scope="module")
def built_book(tmp_path_factory) -> Path:
    exe = Path(sys.executable).with_name("jupyter-book")
    exe = str(exe) if exe.exists() else shutil.which("jupyter-book")
    if exe is None:
        pytest.fail("jupyter-book is not installed: install the [book] extra (or [all,test])")
    out = tmp_path_factory.mktemp("book")
    start = time.perf_counter()
    proc = subprocess.run(
        [
            exe,
            "build",
            str(ROOT),
            "-W",
            "-n",
            "--keep-going",
            "--path-output",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    elapsed = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    warnings = [
        line for line in log.splitlines() if "WARNING" in line and "IPKernelApp" not in line
    ]
    assert proc.returncode == 0 and not warnings, (
        f"jupyter-book build failed (rc={proc.returncode}, {elapsed:.0f} s):\n"
        + "\n".join(warnings[:30])
        + "\n"
        + log[-4000:]
    )
    print(f"book built in {elapsed:.0f} s")
    return out / "_build" / "html"


def test_book_builds_without_warnings(built_book):
    html = built_book / "index.html"
    assert html.is_file()
    for page in (MATH_PAGE, WIDGET_PAGE):
        assert (built_book / page).is_file(), f"{page} missing from the build"


def test_built_pages_load_nothing_from_the_network(built_book):
    for page in [MATH_PAGE, WIDGET_PAGE, "book/intro.html"]:
        text = (built_book / page).read_text(encoding="utf-8")
        sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', text)
        remote = [s for s in sources if s.startswith(("http:", "https:", "//"))]
        assert remote == [], f"{page} loads {remote}"
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (built_book / "_static" / "html-manager" / "embed-amd.js").is_file()
    assert (built_book / "_static" / "requirejs" / "require.js").is_file()
    assert (built_book / "_static" / "anywidget" / "index.js").is_file()
    assert (built_book / "_static" / "widgets-require-config.js").is_file()


def _open(browser, built_book: Path, page_path: str, console: bool = False):
    """Open a built page with every non-file request aborted; ``errors`` collects page errors,
    missing local files and, with ``console``, console errors."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # a local file that is missing (the HTML manager's fonts once were) fails the page too
    page.on(
        "requestfailed",
        lambda r: errors.append(f"missing: {r.url}") if r.url.startswith("file:") else None,
    )
    if console:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((built_book / page_path).as_uri(), wait_until="load")
    return page, blocked, errors


def _wait_for_math(page) -> None:
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
        " && document.querySelectorAll('mjx-container').length > 0",
        timeout=60_000,
    )
    page.evaluate("() => MathJax.startup.promise")


def _untypeset_tex(page) -> list[str]:
    """Visible text of the page (article and navigation) that still looks like TeX source."""
    # live innerText honours CSS: hide the typeset math and the code, keep what a reader sees
    text = page.evaluate(
        "() => { const s = document.createElement('style');"
        " s.textContent = 'mjx-container, pre, code { display: none !important; }';"
        " document.head.appendChild(s); const t = document.body.innerText; s.remove();"
        " return t; }"
    )
    return re.findall(r"\$[^$\n]{1,40}\$|\\\(|\\\[|\\begin\{|\\tau|\\Omega", text)


def test_index_page_typesets_math(browser, built_book):
    page, blocked, errors = _open(browser, built_book, "index.html")
    page.wait_for_url(re.compile(r".*intro\.html$"), timeout=30_000)
    _wait_for_math(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "index.png"))
    assert page.locator("mjx-container").count() >= 2
    assert _untypeset_tex(page) == []
    assert blocked == [], f"the page tried to reach the network: {blocked}"
    assert errors == []
    page.close()


def test_chapter_equations_are_typeset(browser, built_book):
    page, blocked, errors = _open(browser, built_book, MATH_PAGE)
    _wait_for_math(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#lemma-3-1").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "ch04_lemma.png"))
    assert page.locator("mjx-container").count() > 50
    assert page.locator("mjx-container[display='true']").count() > 5
    assert _untypeset_tex(page) == []
    # the lemma is numbered and the solution of an exercise is hidden until opened
    assert (
        "Lemma 1" in page.locator("#lemma-3-1").first.inner_text()
        or page.locator(".proof.lemma").count() >= 2
    )
    # exercise solutions are dropdowns, closed until the reader opens them
    solution = page.locator(".solution.dropdown").first
    assert solution.count() == 1
    body = solution.locator("pre").first
    assert not body.is_visible()
    solution.locator(".toggle-button").first.click()
    body.wait_for(state="visible", timeout=10_000)
    assert blocked == [] and errors == []
    page.close()


def test_widget_snapshot_renders(browser, built_book):
    """The epsilon explorer computes tau* in the reader's browser: no kernel, no network."""
    page, blocked, errors = _open(browser, built_book, WIDGET_PAGE)
    box = page.locator(".sw-epsilon-window").first
    box.wait_for(state="visible", timeout=60_000)
    result = box.locator(".sw-result")
    assert "eps = [0.10, 0.40] rad" in result.inner_text()
    box.locator("input.sw-eps-low").fill("0.2")
    from sparsity_widgets import WaveletForest
    from sparsity_widgets.datasets import make_synthetic

    X, y = make_synthetic("spiral", n_samples=4000, random_state=0)
    expected = WaveletForest(random_state=0).fit(X, y).estimate("paper", 0.2, 0.4)
    assert f"tau* = {expected.tau_star:.3f}" in result.inner_text()
    shown = float(result.get_attribute("data-tau-star"))
    assert shown == pytest.approx(expected.tau_star, abs=1e-9)
    box.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ch05_widget.png"))
    _wait_for_math(page)
    assert _untypeset_tex(page) == []
    assert blocked == [], f"the page tried to reach the network: {blocked}"
    assert errors == []
    page.close()


def test_every_page_typesets_math(browser, built_book):
    """No chapter or notebook page is left with raw TeX (e.g. in link texts or widget labels)."""
    pages = sorted(
        str(p.relative_to(built_book))
        for folder in ("book", "notebooks")
        for p in (built_book / folder).glob("*.html")
    )
    assert len(pages) >= 10, pages
    problems = {}
    for page_path in pages:
        page, blocked, errors = _open(browser, built_book, page_path)
        has_math = page.locator(".math, .MathJax, mjx-container").count() > 0
        if has_math:
            _wait_for_math(page)
        left = _untypeset_tex(page)
        if left or blocked or errors:
            problems[page_path] = {"tex": left[:5], "blocked": blocked[:5], "errors": errors[:5]}
        page.close()
    assert problems == {}, problems


# ---------------------------------------------------------------------- every browser widget
#: the browser widgets' saved states on a page: {uid: state} for every model with a uid, and the
#: uids of the models the page displays (one widget-view script each)
SAVED_WIDGETS_JS = """() => {
  const tag = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  const models = tag ? JSON.parse(tag.textContent).state : {};
  const saved = {};
  for (const [id, m] of Object.entries(models)) {
    if (m.state && m.state.uid) saved[m.state.uid] = {id, state: m.state};
  }
  const shown = [];
  const views = 'script[type="application/vnd.jupyter.widget-view+json"]';
  for (const v of document.querySelectorAll(views)) {
    const id = JSON.parse(v.textContent).model_id;
    for (const [uid, m] of Object.entries(saved)) if (m.id === id) shown.push(uid);
  }
  return {saved: Object.fromEntries(Object.entries(saved).map(([u, m]) => [u, m.state])), shown};
}"""
#: where a slider is tried, as fractions of its range, until the shown values change
SLIDER_FRACTIONS = (0.3, 0.7, 0.5, 0.1, 0.9, 0.0, 1.0)


def _pages_with_browser_widgets(built_book: Path) -> list[str]:
    """Pages whose saved widget state holds an anywidget (the browser widgets' front-end)."""
    pages = []
    for html in sorted(built_book.glob("**/*.html")):
        if "_static" in html.parts:
            continue
        text = html.read_text(encoding="utf-8")
        if "application/vnd.jupyter.widget-state+json" in text and '"_anywidget_id"' in text:
            pages.append(str(html.relative_to(built_book)))
    return pages


def _slider_targets(control) -> list[float]:
    defaults = (("min", "0"), ("max", "100"), ("step", "1"))  # the HTML defaults
    lo, hi, step = (float(control.get_attribute(a) or d) for a, d in defaults)
    now = float(control.input_value())
    targets = []
    for fraction in SLIDER_FRACTIONS:
        value = lo + round(fraction * (hi - lo) / step) * step
        value = min(max(value, lo), hi)
        if abs(value - now) > step / 2 and value not in targets:
            targets.append(value)
    return targets


def _moves(root, key: str):
    """Each way to move the control of ``key``: yields a callable that makes one move."""
    controls = root.locator(f'[data-sw-control="{key}"]')
    assert controls.count() > 0, f"no control for {key!r} (data-sw-control)"
    first = controls.first
    tag = first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if tag == "input:range":
        for value in _slider_targets(first):
            yield lambda v=value: first.fill(repr(float(v)))
    elif tag.startswith("select"):
        now = first.input_value()
        for value in first.locator("option").evaluate_all("os => os.map(o => o.value)"):
            if value != now:
                yield lambda v=value: first.select_option(v)
    else:  # a group of buttons, one per option
        for i in range(controls.count()):
            button = controls.nth(i)
            if button.get_attribute("aria-pressed") != "true":
                yield button.click


def _controls_of(page, uid: str) -> tuple[str, ...]:
    """The control traits of the widget ``uid`` on the page (its kind's, from the registry)."""
    from sparsity_widgets.widgets.browser.registry import twin

    root = page.locator(f'[data-sw-uid="{uid}"]').first
    root.wait_for(state="attached", timeout=60_000)
    return twin(root.get_attribute("data-sw-kind")).controls


def test_every_browser_widget_answers_offline(browser, built_book):
    """Every page of the book with a widget that computes in the browser, opened from disk with
    the network cut: each control of each widget is moved; the shown values change and equal
    the Python twin's for the new setting (to 1e-9); no console error, no failed request.
    Screenshots: ``_build/screenshots/book-widget-<page>-<n>.png``."""
    from sparsity_widgets.widgets.browser.registry import compare_shown, twin

    pages = _pages_with_browser_widgets(built_book)
    assert WIDGET_PAGE in pages, pages
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    checked: dict[str, int] = {}
    for page_path in pages:
        page, blocked, errors = _open(browser, built_book, page_path, console=True)
        found = page.evaluate(SAVED_WIDGETS_JS)
        shown_uids = found["shown"]
        assert shown_uids, f"{page_path}: no browser widget is displayed"
        for n, uid in enumerate(shown_uids):
            for k, key in enumerate(_controls_of(page, uid)):
                if k:  # each control from the saved setting: the others cannot mask it
                    page.reload(wait_until="load")
                root = page.locator(f'[data-sw-uid="{uid}"]').first
                root.wait_for(state="attached", timeout=60_000)
                root.scroll_into_view_if_needed()
                entry = twin(root.get_attribute("data-sw-kind"))
                saved = found["saved"][uid]
                where = f"{page_path} widget {n} ({entry.kind})"
                changed = False
                for move in _moves(root, key):
                    before = root.get_attribute("data-sw-shown")
                    move()
                    settings = json.loads(root.get_attribute("data-sw-settings"))
                    shown = json.loads(root.get_attribute("data-sw-shown"))
                    python = entry.compute({**saved, **settings})
                    problems = compare_shown(shown, python, 1e-9)
                    assert problems == [], (where, key, settings, problems)
                    if root.get_attribute("data-sw-shown") != before:
                        changed = True
                        break
                assert changed, f"{where}: no move of {key!r} changed what the page shows"
            root.screenshot(path=str(SCREENSHOTS / f"book-widget-{Path(page_path).stem}-{n}.png"))
            checked[page_path] = checked.get(page_path, 0) + 1
        assert blocked == [], f"{page_path} tried to reach the network: {blocked}"
        assert errors == [], f"{page_path}: {errors}"
        page.close()
    print("browser widgets checked:", checked)
