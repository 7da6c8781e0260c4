"""Fixtures of the browser tests: a real ``avex serve`` (demo tournament, fresh SQLite database, free port,
restartable on the same port and database) and Debian's Chromium driven by Playwright. Every page opened
through ``open_page`` fails its test on a JavaScript console error or an uncaught page error."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

NO_CHROMIUM = (None if CHROMIUM.exists() else
               f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium); "
               "Playwright never downloads a browser")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AvexServer:
    """``avex serve`` on a fixed port and database; ``stop`` sends SIGTERM, ``start`` runs it again."""

    db: Path
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def health(self) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as r:
                return dict(json.loads(r.read()))
        except (OSError, ValueError, urllib.error.URLError):
            return None

    def start(self, timeout: float = 30.0) -> None:
        cmd = [sys.executable, "-m", "avex.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
               "--db", str(self.db), "--login-failures-per-minute", "0", "--log-level", "warning"]
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=str(ROOT),
                                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"avex serve exited with {self.proc.returncode}:\n{self.log()}")
            if self.health() is not None:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"avex serve did not answer /healthz in {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 15.0) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture(scope="module")
def avex_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AvexServer]:
    """The built-in demo tournament on a fresh database, without the failed-login throttle."""
    work = tmp_path_factory.mktemp("avex")
    srv = AvexServer(db=work / "avex.db", port=free_port(), log_path=work / "server.log")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def sync_pw() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def chromium(sync_pw: Playwright) -> Iterator[Browser]:
    if NO_CHROMIUM:
        pytest.skip(NO_CHROMIUM)
    b = sync_pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@dataclass
class PageProbe:
    """A page with everything it logged and every WebSocket frame it sent."""

    page: Page
    errors: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    # Console errors matching one of these are expected (the browser's own "connection refused" lines
    # while the server is down); anything else fails the test.
    tolerated: list[re.Pattern[str]] = field(default_factory=list)

    def frames(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.sent if f.get("type") == kind]

    def unexpected_errors(self, since: int = 0) -> list[str]:
        return [e for e in self.errors[since:] if not any(p.search(e) for p in self.tolerated)]


def _watch(probe: PageProbe) -> None:
    page = probe.page

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            probe.errors.append(f"console.error: {msg.text} ({msg.location.get('url', '')})")

    def on_page_error(err: Error) -> None:
        probe.errors.append(f"page error: {err}")

    def on_socket(ws: Any) -> None:
        def on_sent(payload: str | bytes) -> None:
            try:
                frame = json.loads(payload)
            except (TypeError, ValueError):
                return
            if isinstance(frame, dict):
                probe.sent.append(frame)

        ws.on("framesent", on_sent)

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("websocket", on_socket)


OpenPage = Callable[..., PageProbe]


@pytest.fixture(scope="module")
def probes() -> list[PageProbe]:
    """Every page opened in this module (checked for JavaScript errors after each test)."""
    return []


@pytest.fixture(scope="module")
def open_page(chromium: Browser, avex_server: AvexServer, probes: list[PageProbe]) -> Iterator[OpenPage]:
    """``open_page(token=None, context=None, width=1400, height=1000)``: a page on the trader UI in a new
    browser context (or the given one), logged in when a token is given."""
    contexts: list[Any] = []

    def open_(token: str | None = None, context: Any = None, width: int = 1400, height: int = 1000) -> PageProbe:
        if context is None:
            context = chromium.new_context(viewport={"width": width, "height": height})
            contexts.append(context)
        probe = PageProbe(context.new_page())
        _watch(probe)
        probes.append(probe)
        probe.page.set_default_timeout(10_000)
        probe.page.goto(avex_server.base_url + "/")
        if token is not None:
            probe.page.fill("#token-input", token)
            probe.page.click("#login-button")
            probe.page.wait_for_selector("#conn[data-state='online']")
        return probe

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
