import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# numba compiles on first call: no per-example deadline
settings.register_profile("project", deadline=None, max_examples=40)
settings.load_profile("project")


@pytest.fixture
def labelled_data():
    """500 samples, 5 features, 3 classes with some structure."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 500)
    X = rng.standard_normal((500, 5)) + y[:, None] * np.array([1.0, 0.5, 0.0, 0.0, -0.7])
    return X, y


# Debian's chromium, driven by Playwright (which cannot download browsers here); used by the
# book test and the widget browser test
CHROMIUM = Path(os.environ.get("SPARSITY_WIDGETS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM.exists():
        pytest.skip(
            f"BROWSER CHECK SKIPPED: {CHROMIUM} does not exist; install Debian's chromium "
            "(apt-get install -y chromium) as .ci/run does"
        )
    with sync_api.sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Exception as exc:  # pragma: no cover - depends on the machine
            pytest.skip(f"BROWSER CHECK SKIPPED: Chromium at {CHROMIUM} cannot start: {exc}")
        yield chromium
        chromium.close()
