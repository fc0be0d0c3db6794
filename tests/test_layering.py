"""The layers of the code point one way: the numerics never pull in torch or widgets."""

import json
import subprocess
import sys

import pytest

HEAVY = ["torch", "ipywidgets", "matplotlib"]


@pytest.mark.parametrize(
    "module",
    ["sparsity_widgets._numerics", "sparsity_widgets", "sparsity_widgets.cli"],
)
def test_core_imports_leave_heavy_packages_out(module):
    code = (
        f"import json, sys, {module}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(proc.stdout) == []


def test_numerics_do_not_import_sklearn():
    code = "import sys, sparsity_widgets._numerics; print('sklearn' in sys.modules)"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert proc.stdout.strip() == "False"


def test_heavy_packages_are_importable_so_the_check_means_something():
    """The checks above are only meaningful where these packages are installed."""
    import importlib.util

    missing = [m for m in HEAVY if importlib.util.find_spec(m) is None]
    assert missing == [], f"install the test environment with the [all] extra; missing {missing}"
