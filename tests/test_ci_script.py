"""CI installs the system tools that are missing and nothing else (``.ci/system-packages``).

The script runs under ``bash`` with a ``PATH`` holding only stand-ins written here: an
``apt-get`` that records its arguments, and ``node``/``npm`` when the case has them. The
browser is looked up at ``SPARSITY_WIDGETS_CHROMIUM``, pointed into the temporary folder.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "system-packages"
BASH = shutil.which("bash")


def _stub(folder: Path, name: str, body: str = "exit 0") -> None:
    path = folder / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


@pytest.mark.parametrize(
    ("present", "has_chromium", "installed"),
    [
        (("node", "npm"), False, ["chromium"]),  # the project's image: Node.js with its own npm
        ((), False, ["chromium", "nodejs", "npm"]),  # no Node.js at all
        (("node",), True, ["npm"]),  # a Node.js without npm
        (("node", "npm"), True, None),  # nothing missing: apt is not called
    ],
)
def test_installs_exactly_what_is_missing(tmp_path, present, has_chromium, installed):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    _stub(bin_dir, "apt-get", f'echo "$*" >> "{log}"')
    _stub(bin_dir, "id", "echo 0")  # root, as CI is
    for tool in present:
        _stub(bin_dir, tool)
    chromium = tmp_path / "chromium"
    if has_chromium:
        _stub(tmp_path, "chromium")
    env = {"PATH": str(bin_dir), "SPARSITY_WIDGETS_CHROMIUM": str(chromium)}
    proc = subprocess.run(
        [BASH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stderr
    calls = log.read_text().splitlines() if log.exists() else []
    if installed is None:
        assert calls == []
        assert "nothing missing" in proc.stdout
    else:
        assert calls[0].strip() == "update -qq"
        assert calls[1] == "install -y --no-install-recommends " + " ".join(installed)
        assert len(calls) == 2


def test_ci_runs_the_system_package_step_before_the_tests():
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    command = next(line for line in lines if "pytest" in line and "pip" in line)
    assert command.startswith(".ci/system-packages && ")
    assert not any("apt-get" in line for line in lines)  # one place decides what apt installs


@pytest.mark.parametrize(("ci", "rc"), [("true", 1), ("", 0)])
def test_without_root_it_names_what_is_missing(tmp_path, ci, rc):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("node", "npm"):
        _stub(bin_dir, tool)
    _stub(bin_dir, "apt-get", "exit 99")  # must not be called
    _stub(bin_dir, "id", 'echo 1000')  # not root
    env = {"PATH": str(bin_dir), "SPARSITY_WIDGETS_CHROMIUM": str(tmp_path / "none"), "CI": ci}
    proc = subprocess.run(
        [BASH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == rc
    assert "missing chromium; as root: apt-get install -y chromium" in proc.stderr


@pytest.mark.parametrize(("ci", "outcome", "rc"), [("true", "1 error", 1), ("", "1 skipped", 0)])
def test_a_missing_browser_fails_under_ci_and_skips_elsewhere(tmp_path, ci, outcome, rc):
    """The browser fixture, asked for by the widget test before its Voila server starts."""
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(SPARSITY_WIDGETS_CHROMIUM=str(tmp_path / "no-chromium"), CI=ci)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_widgets_browser.py::test_gallery_stays_local",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == rc, proc.stdout + proc.stderr
    assert outcome in proc.stdout
    assert "BROWSER CHECK NOT RUN" in proc.stdout
