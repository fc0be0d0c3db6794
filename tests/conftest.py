import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# numba compiles on first call: no per-example deadline
settings.register_profile("project", deadline=None, max_examples=40)
# CI (CI=true, as .ci/run is started): the same examples on every machine and every run, and no
# example database, so a failure is reproduced by the commit alone and never depends on what an
# earlier run on that machine happened to find
settings.register_profile(
    "ci", parent=settings.get_profile("project"), derandomize=True, database=None, print_blob=True
)
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
settings.load_profile("ci" if ON_CI else "project")


@pytest.fixture
def labelled_data():
    """500 samples, 5 features, 3 classes with some structure."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 500)
    X = rng.standard_normal((500, 5)) + y[:, None] * np.array([1.0, 0.5, 0.0, 0.0, -0.7])
    return X, y


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module (``pytestmark = pytest.mark.usefixtures(...)``): on a small
    shared machine two spinning threads can stall each other, and the subprocesses of the run
    folder tests have ``OMP_NUM_THREADS=1`` too."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def signals():
    """MNIST-1D-shaped data: 3 classes of noisy bumps at different places, shape (1, 40)."""
    from sparsity_widgets.datasets import DatasetSplits, LabeledArrays

    def split(n, seed, name):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 3, size=n)
        t = np.arange(40)
        X = np.exp(-0.5 * ((t[None, :] - (8 + 12 * y[:, None])) / 3.0) ** 2)
        X = X + 0.3 * rng.normal(size=(n, 40))
        return LabeledArrays(
            X[:, None, :].astype(np.float32), y.astype(np.int64), ("a", "b", "c"), name
        )

    return DatasetSplits("bumps", split(96, 0, "bumps/train"), split(48, 1, "bumps/test"))


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


def skip_or_fail_without(reason: str) -> None:
    """Skip a test whose tool is missing on a developer's machine; fail it under CI.

    CI exists to run every tier of the suite, so a browser that is missing there is a broken
    set-up, not a reason to pass: with ``CI=true`` the test fails with the same message.
    """
    if ON_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright import sync_api
    except ImportError:
        skip_or_fail_without(
            "BROWSER CHECK NOT RUN: playwright is not installed (pip install -e '.[all,test]')"
        )
    if not CHROMIUM.exists():
        skip_or_fail_without(
            f"BROWSER CHECK NOT RUN: {CHROMIUM} does not exist; install Debian's chromium "
            "(apt-get install -y chromium) as .ci/run does, or point SPARSITY_WIDGETS_CHROMIUM "
            "at a Chromium binary"
        )
    with sync_api.sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Exception as exc:  # pragma: no cover - depends on the machine
            skip_or_fail_without(
                f"BROWSER CHECK NOT RUN: Chromium at {CHROMIUM} cannot start: {exc}"
            )
        yield chromium
        chromium.close()
