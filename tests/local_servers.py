"""Local servers for the browser tests (Voila, JupyterLab, ``python -m http.server``): a free
loopback port, waiting until one answers, and stopping it with everything it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

__all__ = ["free_port", "stop_process_group", "wait_for_server"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process_group(proc: subprocess.Popen) -> None:
    """Stop a server started with ``start_new_session=True`` and the kernels it started (its
    own process group), by id: SIGTERM, then SIGKILL after 20 s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def _tail(log: Path | None) -> str:
    return f":\n{log.read_text()[-3000:]}" if log is not None else ""


def wait_for_server(
    url: str, proc: subprocess.Popen, seconds: float = 30.0, log: Path | None = None
) -> None:
    """Poll ``url + "api"`` until the server answers (any HTTP status), bounded by ``seconds``;
    fail the test if it exits or stays silent, with the tail of ``log`` when given. Not the root:
    a GET there makes Voila execute the notebook."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the server for {url} exited with {proc.returncode}{_tail(log)}")
        try:
            with urllib.request.urlopen(url + "api", timeout=5):
                return
        except urllib.error.HTTPError:  # any HTTP answer means the server is up
            return
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer in {seconds:.0f} s{_tail(log)}")
            time.sleep(0.25)  # polling the port, bounded by the deadline above
