"""Helpers for the browser tests: run the Streamlit app on a free port, drive it with Playwright.

Only Debian's /usr/bin/chromium is used (never `playwright install`: nothing is downloaded).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("BAOLIAN_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium keeps trying to reach the internet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`streamlit run app.py` in a child process, on 127.0.0.1 and a free port, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path, *, startup_timeout: float = 120.0):
        self.env = env
        self.log = log
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AppServer:
        last_error = ""
        for _attempt in range(3):  # another process may grab the free port between probe and bind
            self.port = free_port()
            env = {**os.environ, **self.env, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
            with open(self.log, "ab") as out:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                     "--server.headless", "true", "--server.port", str(self.port),
                     "--browser.gatherUsageStats", "false"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if self._wait_healthy():
                return self
            last_error = self.tail()
            self.stop()
        raise RuntimeError(f"the Streamlit app did not start; log {self.log}:\n{last_error}")

    def _wait_healthy(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5) as r:
                    if r.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        return False

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def wait_idle(page, timeout: float = 90_000) -> None:
    """Wait until the script run has finished and the app is connected (Streamlit's own e2e hook)."""
    page.wait_for_selector(IDLE, timeout=timeout)


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.5, what: str = "condition"):
    """Poll `predicate` (e.g. a database query) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
