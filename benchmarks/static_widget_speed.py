"""Benchmark: how fast the epsilon window answers a slider move in the static book page.

Usage::

    python benchmarks/static_widget_speed.py [--moves 20] [--page PATH]
                                             [--out benchmarks/results/static_widget_speed.json]

Without ``--page`` it builds the one-page test book of ``tests/test_widgets_static.py``
(``tests/fixtures/static_book`` with the project's offline assets; about 20 s, the notebook runs
once) into a temporary folder. The page is opened from ``file://`` in Debian's Chromium
(Playwright; ``SPARSITY_WIDGETS_CHROMIUM`` overrides ``/usr/bin/chromium``) with every request
outside ``file://`` aborted, as a reader with no network would see it.

A move sets the ``eps_low`` range input to the next of ``--moves`` values in [0.05, 0.30] and
fires its ``input`` event, as a drag does. Two times are taken inside the page:

``handler``
    From the event until the widget's handler returned: the browser-side model (tau* of both
    the window and the figure's data) and the DOM/SVG update.
``to next frame``
    From the event until the next animation frame has run (``requestAnimationFrame`` then a
    task): what a reader waits for the new numbers to be painted, frame pacing included.

Every move is checked against the Python twin (the shown tau* equals
``tau_star_window``'s to 1e-9). The issue's target is a median <= 50 ms per move.
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

MOVE_JS = """async ([value]) => {
  const input = document.querySelector('.sw-epsilon-window input.sw-eps-low');
  const result = document.querySelector('.sw-epsilon-window .sw-result');
  input.value = String(value);
  const t0 = performance.now();
  input.dispatchEvent(new Event('input', {bubbles: true}));
  const t1 = performance.now();
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const t2 = performance.now();
  return {handler: t1 - t0, frame: t2 - t0, tau: result.dataset.tauStar, text: result.innerText};
}"""


def build_page(folder: Path) -> Path:
    """Build the test book into ``folder`` and return its page."""
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
    return book / "_build" / "html" / "epsilon_window.html"


def measure(page_path: Path, moves: int) -> dict[str, object]:
    """Open the page offline, make ``moves`` eps_low moves, return the times (ms)."""
    import numpy as np
    from playwright.sync_api import sync_playwright

    from sparsity_widgets.widgets.browser.tau_window import tau_star_window

    chromium = os.environ.get("SPARSITY_WIDGETS_CHROMIUM", "/usr/bin/chromium")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    values = [round(float(v), 2) for v in np.linspace(0.05, 0.30, moves)]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url.startswith(("file://", "data:", "blob:"))
                else r.abort()
            ),
        )
        page.goto(page_path.as_uri(), wait_until="load")
        page.locator(".sw-epsilon-window .sw-result").first.wait_for(timeout=30_000)
        page.evaluate(MOVE_JS, [0.31])  # warm-up move, not counted
        answers = [page.evaluate(MOVE_JS, [v]) for v in values]
        # the curve the page holds, read back from the widget state script (what Python stored)
        state = page.evaluate(
            "() => JSON.parse(document.querySelector("
            "'script[type=\"application/vnd.jupyter.widget-state+json\"]').textContent)"
        )
        browser.close()
    payload = next(
        m["state"]["curve"]
        for m in state["state"].values()
        if m.get("model_module") == "anywidget" and "curve" in m.get("state", {})
    )
    for value, answer in zip(values, answers, strict=True):
        twin = tau_star_window(payload, "paper", value, 0.4)
        shown = float(answer["tau"]) if answer["tau"] else float("nan")
        if not (twin.ok and abs(shown - twin.tau_star) <= 1e-9):
            raise SystemExit(f"eps_low={value}: the page shows {answer['text']!r}, Python {twin}")
    handler = [a["handler"] for a in answers]
    frame = [a["frame"] for a in answers]
    return {
        "moves": moves,
        "eps_low": values,
        "handler_ms": handler,
        "frame_ms": frame,
        "median_handler_ms": statistics.median(handler),
        "median_frame_ms": statistics.median(frame),
        "target_ms": TARGET_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=20, help="slider moves to time (default 20)")
    parser.add_argument("--page", type=Path, help="a built page with the epsilon window")
    parser.add_argument("--out", type=Path, help="write the times as JSON here")
    args = parser.parse_args(argv)
    if args.moves < 1:
        parser.error(f"--moves must be a positive integer; got {args.moves}.")
    with tempfile.TemporaryDirectory() as tmp:
        page = args.page if args.page is not None else build_page(Path(tmp))
        if not page.is_file():
            parser.error(f"--page must be a built HTML page; got {page}, which does not exist.")
        result = measure(page, args.moves)
    print(
        f"{result['moves']} eps_low moves in the static page (file://, no network): median "
        f"{result['median_handler_ms']:.2f} ms in the handler, "
        f"{result['median_frame_ms']:.2f} ms to the next frame (target <= {TARGET_MS:.0f} ms)"
    )
    if args.out is not None:
        from sparsity_widgets._io import atomic_write_text

        atomic_write_text(args.out, json.dumps(result, indent=1) + "\n")
    return 0 if result["median_frame_ms"] <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
