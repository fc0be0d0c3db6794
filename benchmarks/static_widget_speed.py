"""Benchmark: how fast the browser widgets answer a slider move in the static book.

Usage::

    python benchmarks/static_widget_speed.py [--moves 20] [--book _build/html]
                                             [--out benchmarks/results/static_widget_speed.json]

``--book`` is a built book (``jupyter-book build .`` writes ``_build/html``): every page whose
saved widget state holds a browser widget (an anywidget registered in
:mod:`sparsity_widgets.widgets.browser.registry`) is measured. Without it the benchmark builds
the one-page test book of ``tests/test_widgets_static.py`` (the epsilon window only; about 20 s)
into a temporary folder. Pages are opened from ``file://`` in Debian's Chromium (Playwright;
``SPARSITY_WIDGETS_CHROMIUM`` overrides ``/usr/bin/chromium``) with every request outside
``file://`` aborted, as a reader with no network would see them.

For every widget and every slider among its controls, ``--moves`` moves spread over the slider's
range set the input's value and fire its ``input`` event, as a drag does. Two times are taken
inside the page:

``handler``
    From the event until the widget's handler returned: the browser-side model and the DOM/SVG
    update.
``to next frame``
    From the event until the next animation frame has run (``requestAnimationFrame`` then a
    task): what a reader waits for the new numbers to be painted, frame pacing included.

Every move is checked against the widget's Python twin (``compare_shown`` to 1e-9). The issue's
target is a median <= 50 ms per move, for every slider.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

TARGET_MS = 50.0

MOVE_JS = """async ([uid, key, value]) => {
  const root = document.querySelector(`[data-sw-uid="${uid}"]`);
  const input = root.querySelector(`input[data-sw-control="${key}"]`);
  input.value = String(value);
  const t0 = performance.now();
  input.dispatchEvent(new Event('input', {bubbles: true}));
  const t1 = performance.now();
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const t2 = performance.now();
  return {handler: t1 - t0, frame: t2 - t0, settings: root.dataset.swSettings,
          shown: root.dataset.swShown};
}"""

SLIDERS_JS = """(uid) => [...document.querySelector(`[data-sw-uid="${uid}"]`)
  .querySelectorAll('input[type=range][data-sw-control]')]
  .map((e) => [e.dataset.swControl, Number(e.min), Number(e.max), Number(e.step || 1)])"""


def build_book(folder: Path) -> Path:
    """Build the one-page test book into ``folder`` and return its HTML folder."""
    from test_widgets_static import _install_project_assets, _write_book

    _install_project_assets()
    book = _write_book(folder / "book")
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run(
        [str(jb), "build", str(book), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        log = proc.stdout[-3000:] + proc.stderr[-3000:]
        raise SystemExit(f"the test book did not build:\n{log}")
    return book / "_build" / "html"


def _targets(lo: float, hi: float, step: float, moves: int) -> list[float]:
    """``moves`` slider values over [lo, hi] on the slider's steps, each different from the one
    before (an integer slider with fewer positions than moves cycles through them)."""
    values = [lo + round((hi - lo) * (i + 0.5) / moves / step) * step for i in range(moves)]
    positions = sorted({min(max(v, lo), hi) for v in values} | {lo, hi})
    return [positions[i % len(positions)] for i in range(moves)]


def measure_page(browser, html: Path, page_path: str, moves: int) -> list[dict[str, object]]:
    """Every slider of every browser widget on one page: times (ms) and the twin's check."""
    from test_book import SAVED_WIDGETS_JS

    from sparsity_widgets.widgets.browser.registry import compare_shown, twin

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.route(
        "**/*",
        lambda r: (
            r.continue_() if r.request.url.startswith(("file://", "data:", "blob:")) else r.abort()
        ),
    )
    page.goto((html / page_path).as_uri(), wait_until="load")
    found = page.evaluate(SAVED_WIDGETS_JS)
    rows = []
    for uid in found["shown"]:
        root = page.locator(f'[data-sw-uid="{uid}"]').first
        root.wait_for(state="attached", timeout=60_000)
        entry = twin(root.get_attribute("data-sw-kind"))
        for key, lo, hi, step in page.evaluate(SLIDERS_JS, uid):
            values = _targets(lo, hi, step, moves)
            warm_up = hi if values[0] != hi else lo  # a move to another value, not counted
            page.evaluate(MOVE_JS, [uid, key, warm_up])
            answers = [page.evaluate(MOVE_JS, [uid, key, v]) for v in values]
            for value, answer in zip(values, answers, strict=True):
                settings = json.loads(answer["settings"])
                problems = compare_shown(
                    json.loads(answer["shown"]),
                    entry.compute({**found["saved"][uid], **settings}),
                )
                if problems:
                    raise SystemExit(f"{page_path} {entry.kind} {key}={value}: {problems}")
            handler = [a["handler"] for a in answers]
            frame = [a["frame"] for a in answers]
            rows.append(
                {
                    "page": page_path,
                    "kind": entry.kind,
                    "control": key,
                    "moves": len(values),
                    "median_handler_ms": statistics.median(handler),
                    "median_frame_ms": statistics.median(frame),
                    "max_frame_ms": max(frame),
                }
            )
    page.close()
    return rows


def measure(html: Path, moves: int) -> list[dict[str, object]]:
    """Every page of a built book with a browser widget (see the module docstring)."""
    from playwright.sync_api import sync_playwright
    from test_book import _pages_with_browser_widgets

    pages = _pages_with_browser_widgets(html)
    if not pages:
        raise SystemExit(f"--book {html} holds no page with a browser widget")
    chromium = os.environ.get("SPARSITY_WIDGETS_CHROMIUM", "/usr/bin/chromium")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    rows: list[dict[str, object]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args)
        for page_path in pages:
            rows.extend(measure_page(browser, html, page_path, moves))
        browser.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=20, help="moves per slider (default 20)")
    parser.add_argument("--book", type=Path, help="a built book's HTML folder (_build/html)")
    parser.add_argument("--out", type=Path, help="write the times as JSON here")
    args = parser.parse_args(argv)
    if args.moves < 1:
        parser.error(f"--moves must be a positive integer; got {args.moves}.")
    with tempfile.TemporaryDirectory() as tmp:
        html = args.book.resolve() if args.book is not None else build_book(Path(tmp))
        if not (html / "index.html").is_file():
            parser.error(f"--book must be a built book's HTML folder; got {html} (no index.html).")
        rows = measure(html, args.moves)
    print(f"{'page':45s} {'widget':16s} {'slider':10s} {'handler':>8s} {'frame':>8s}  (median ms)")
    for row in rows:
        print(
            f"{row['page']:45s} {row['kind']:16s} {row['control']:10s} "
            f"{row['median_handler_ms']:8.2f} {row['median_frame_ms']:8.2f}"
        )
    worst = max(float(r["median_frame_ms"]) for r in rows)
    print(
        f"{len(rows)} sliders, {args.moves} moves each, every move equal to the Python twin; "
        f"slowest median to the next frame {worst:.1f} ms (target <= {TARGET_MS:.0f} ms)"
    )
    if args.out is not None:
        from sparsity_widgets._io import atomic_write_text

        report = {"moves": args.moves, "target_ms": TARGET_MS, "sliders": rows}
        atomic_write_text(args.out, json.dumps(report, indent=1) + "\n")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
