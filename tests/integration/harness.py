"""Running a real ``avex serve`` for the integration tests, and comparing frames with PROTOCOL.md listings.

``start_server`` launches ``python -m avex.cli serve`` on free ports, waits for ``/healthz`` and returns a
``ServerProcess`` (stop with SIGTERM, or SIGKILL for crash tests). ``expand`` turns a listing of PROTOCOL.md
§8 (JSON with ``{G,F,P,S}`` inventory shorthands and ``{ERROR,`` for ``{"type":"ERROR",``) into a dict;
``strip_times`` removes the fields the listings omit.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE_TOML = ROOT / "examples" / "conformance.toml"
PG_URL = os.environ.get("AVEX_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
STARTUP_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    db: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    tcp_port: int | None = None
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def tcp_url(self) -> str:
        assert self.tcp_port is not None
        return f"tcp://127.0.0.1:{self.tcp_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def health(self) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                return json.loads(r.read())
        except (OSError, ValueError, urllib.error.URLError):
            return None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (graceful shutdown) and wait; SIGKILL if it does not stop in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return int(self.proc.returncode)

    def kill(self) -> None:
        """SIGKILL: the crash of the crash tests."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


def serve_command(db: str, port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "avex.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db,
            *args]


def start_server(
    db: str,
    tournament: str | Path | None = None,
    *,
    login_failures: int = 0,
    tcp: bool = False,
    extra: Sequence[str] = (),
    log_dir: Path | None = None,
    port: int | None = None,
) -> ServerProcess:
    """Start ``avex serve`` (on ``port``, else a free one) and wait until ``/healthz`` answers; raises with the
    server's log if it exits."""
    port = port or free_port()
    args = ["--login-failures-per-minute", str(login_failures), "--log-level", "warning", *extra]
    if tournament is not None:
        args += ["--tournament", str(tournament)]
    tcp_port = None
    if tcp:
        tcp_port = free_port()
        args += ["--tcp-port", str(tcp_port)]
    log_path = Path(log_dir or tempfile.gettempdir()) / f"avex-{port}-{uuid.uuid4().hex[:6]}.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(serve_command(db, port, *args), stdout=out, stderr=subprocess.STDOUT,
                                cwd=str(ROOT), env={**os.environ, "PYTHONUNBUFFERED": "1"})
    server = ServerProcess(db, port, proc, log_path, tcp_port, args)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"avex serve exited with {proc.returncode}:\n{server.log()}")
        if server.health() is not None:
            return server
        time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"avex serve did not answer /healthz within {STARTUP_TIMEOUT_S} s:\n{server.log()}")


def run_serve(db: str, port: int, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run ``avex serve`` expecting it to stop by itself (startup errors); SIGTERM after ``timeout``."""
    proc = subprocess.Popen(serve_command(db, port, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=str(ROOT))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


# --- PostgreSQL: a fresh schema per use ------------------------------------------------------------------------

def pg_unreachable_reason() -> str | None:
    """None if PostgreSQL answers at PG_URL, else why not (for pytest.skip)."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL is unreachable at {PG_URL}: {first}"
    return None


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """A database URL whose connections use a new, empty schema of database ``test``; dropped afterwards."""
    import psycopg

    name = f"avex_it_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, connect_timeout=3, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={name}')}"
    finally:
        with psycopg.connect(PG_URL, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


# --- frames as PROTOCOL.md §8 writes them ----------------------------------------------------------------------

OMITTED = ("serverTime", "timestamp", "time", "createdAt", "updatedAt", "expiresAt")
"""Fields the §8 listings leave out (FILL's ``teamName`` too, checked separately)."""
CATALOGUE = ("GUACA", "FOSFO", "PITA", "SEBO")
TIME_FIELD = {"ERROR": "timestamp", "PONG": "timestamp", "OFFER": "timestamp", "SDK_EMULATOR_ACK": "timestamp",
              "ECHO": "time"}
_MS_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
_SHORT_INVENTORY = re.compile(r"\{(-?\d+),(-?\d+),(-?\d+),(-?\d+)\}")


def expand(listing: str, products: Sequence[str] = CATALOGUE) -> dict[str, Any]:
    """One frame of a §8 listing as a dict: ``{20,10,0,0}`` → the inventory map, ``{ERROR,`` → an ERROR,
    numbers with a fraction as Decimal (exact comparison with what the client decodes)."""
    text = listing.replace("{ERROR,", '{"type":"ERROR",')
    text = _SHORT_INVENTORY.sub(
        lambda m: "{" + ",".join(f'"{p}":{v}' for p, v in zip(products, m.groups())) + "}", text,
    )
    return json.loads(text, parse_float=Decimal)


def strip_times(value: Any) -> Any:
    """A copy without the fields the listings omit, at every depth."""
    if isinstance(value, dict):
        return {k: strip_times(v) for k, v in value.items() if k not in OMITTED}
    if isinstance(value, list):
        return [strip_times(v) for v in value]
    return value


def check_time_field(frame: dict[str, Any]) -> None:
    """Every server message carries its time field (§5): ``serverTime``, or ``timestamp``/``time`` for the
    types that use those, as RFC 3339 UTC with milliseconds (§2.2)."""
    name = TIME_FIELD.get(frame.get("type", ""), "serverTime")
    stamp = frame.get(name)
    assert isinstance(stamp, str) and _MS_UTC.match(stamp), f"{frame.get('type')}: bad or missing {name}: {frame}"


def same_frame(got: dict[str, Any], expected: dict[str, Any] | str, team: str | None = None) -> None:
    """Assert that ``got`` is the listed frame: equal once the omitted fields are removed; a FILL's
    ``teamName`` must name the receiving ``team``; the time field must be present and well formed."""
    want = expand(expected) if isinstance(expected, str) else expected
    check_time_field(got)
    actual = strip_times(got)
    if actual.get("type") == "FILL" and "teamName" not in want:
        owner = actual.pop("teamName", None)
        assert team is None or owner == team, f"FILL teamName {owner!r}, expected {team!r}: {got}"
    assert actual == strip_times(want), f"\n got: {actual}\nwant: {strip_times(want)}"


def tournament_toml(
    teams: Sequence[tuple[str, str, int | str, dict[str, int]]],
    *,
    products: Sequence[tuple[str, str]] = (("GUACA", "15.30"), ("FOSFO", "12.50")),
    market: dict[str, Any] | None = None,
) -> str:
    """A small tournament file: ``teams`` as (name, token, balance, inventory); teams have no species, so
    nobody can produce."""
    lines = ["[market]"]
    for key, value in {"ticker_interval_s": 0, **(market or {})}.items():
        lines.append(f"{key} = {json.dumps(value)}")
    for code, price in products:
        lines += ["[[products]]", f'code = "{code}"', f"reference_price = {price}"]
    lines += ["[[species]]", 'name = "Unused"', f'basic = "{products[0][0]}"']  # required with [[products]]
    for name, token, balance, inventory in teams:
        inv = ", ".join(f"{k} = {v}" for k, v in inventory.items())
        lines += ["[[teams]]", f'name = "{name}"', f'token = "{token}"', f"balance = {balance}",
                  f"inventory = {{ {inv} }}"]
    lines += ["[[teams]]", 'name = "admin"', 'token = "TK-ADMIN"', "balance = 0"]
    return "\n".join(lines) + "\n"
