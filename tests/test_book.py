"""The Jupyter Book builds with no warnings and renders offline in a real browser.

``test_book_builds_without_warnings`` runs ``jupyter-book build . -W -n --keep-going`` into a
temporary folder (it executes every chapter and notebook in the quick setting, and installs the
book's JavaScript from ``book/package-lock.json`` with ``npm ci`` when needed). The browser tests
open the built pages in headless Debian Chromium through Playwright with every non-file request
blocked, and check that MathJax typeset the equations and the ipywidgets snapshot rendered. Their
screenshots go to ``_build/screenshots/``.
"""

from __future__ import annotations

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


def _open(browser, built_book: Path, page_path: str):
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
