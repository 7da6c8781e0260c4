"""Restarting and refusing to start (PROTOCOL.md §1.1, GAME.md §10): a database keeps its tournament; startup
problems a person can fix end in one line on stderr, without a traceback, and a non-zero exit code."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from avex.client import Client

from .harness import CONFORMANCE_TOML, free_port, run_serve, start_server


def _one_line_failure(result: subprocess.CompletedProcess[str], code: int | None = 2) -> str:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode != 0
    if code is not None:
        assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("avex: "), lines
    return lines[0]


def _other_tournament(tmp_path: Path) -> Path:
    other = tmp_path / "other.toml"
    other.write_text(CONFORMANCE_TOML.read_text().replace("balance = 50.0", "balance = 51.0"))
    return other


@pytest.fixture
def used_db(tmp_path: Path) -> str:
    """A database that holds the conformance tournament and one command (seq 1)."""
    return str(tmp_path / "held.db")


async def test_a_database_keeps_its_tournament_across_restarts(tmp_path: Path, used_db: str) -> None:
    server = start_server(used_db, CONFORMANCE_TOML, log_dir=tmp_path)
    try:
        async with Client.connect(server.url, token="TK-A", ping_interval=None) as a:
            await a.order("keep-1", "SELL", "LIMIT", "GUACA", 2, limit_price="19.99")
            ack = await a.expect("ORDER_ACK")
            assert ack["seq"] == 1
    finally:
        # SIGTERM: a graceful stop that ends with exit code 0
        assert server.stop() == 0

    # without --tournament the stored one is used, with its state
    server = start_server(used_db, None, log_dir=tmp_path)
    try:
        assert server.health() == {"status": "ok", "seq": 1}
        async with Client.connect(server.url, token="TK-A", ping_interval=None) as a:
            ok = a.login_ok
            assert ok is not None and ok["team"] == "TeamA" and ok["seq"] == 1
            assert ok["inventory"] == {"GUACA": 20, "FOSFO": 10, "PITA": 0, "SEBO": 0}
            await a.request_all_orders()
            orders = (await a.expect("ALL_ORDERS"))["orders"]
            assert [(o["clOrdID"], o["remainingQty"]) for o in orders] == [("keep-1", 2)]
        assert "WARNING: this is the built-in demo tournament" not in server.log()
    finally:
        server.stop()

    # the same file again is accepted, also when only comments differ; a SIGTERM closes clients with 1001
    same = tmp_path / "same.toml"
    same.write_text("# a comment\n" + CONFORMANCE_TOML.read_text())
    server = start_server(used_db, same, log_dir=tmp_path)
    try:
        assert server.health() == {"status": "ok", "seq": 1}
        async with Client.connect(server.url, token="TK-B", ping_interval=None) as b:
            await asyncio.to_thread(server.stop)
            await b.wait_closed(5)
            assert b.close_code == 1001
    finally:
        server.stop()


def test_a_different_tournament_file_is_refused_with_one_line_and_exit_code_2(
    tmp_path: Path, used_db: str,
) -> None:
    start_server(used_db, CONFORMANCE_TOML, log_dir=tmp_path).stop()
    result = run_serve(used_db, free_port(), "--tournament", str(_other_tournament(tmp_path)),
                       "--log-level", "warning")
    line = _one_line_failure(result, 2)
    assert "differs from the tournament stored in" in line, line
    assert "listening" not in result.stdout


def test_refusal_is_one_line_at_the_default_log_level(tmp_path: Path, used_db: str) -> None:
    start_server(used_db, CONFORMANCE_TOML, log_dir=tmp_path).stop()
    result = run_serve(used_db, free_port(), "--tournament", str(_other_tournament(tmp_path)))
    _one_line_failure(result, 2)


@pytest.mark.parametrize("what", ["missing", "directory", "invalid TOML", "not UTF-8", "unknown key", "unreadable"])
def test_an_unusable_tournament_file_is_one_line_and_a_non_zero_exit(tmp_path: Path, what: str) -> None:
    path = tmp_path / "t.toml"
    if what == "directory":
        path.mkdir()
    elif what == "invalid TOML":
        path.write_text("[market\n")
    elif what == "not UTF-8":
        path.write_bytes(b"\xff\xfe[market]\x00\x81")
    elif what == "unknown key":
        path.write_text(CONFORMANCE_TOML.read_text().replace("[market]", "[market]\nbogus = 1"))
    elif what == "unreadable":
        path.write_text(CONFORMANCE_TOML.read_text())
        path.chmod(0)
        if os.access(path, os.R_OK):
            pytest.skip("running as root: a mode-000 file is still readable")
    db = tmp_path / "never.db"
    result = run_serve(str(db), free_port(), "--tournament", str(path), "--log-level", "warning")
    line = _one_line_failure(result, None)
    assert str(path) in line, line
    assert not db.exists(), "a bad tournament file must not create the database"


def test_a_busy_port_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_serve(str(tmp_path / "a.db"), port, "--tournament", str(CONFORMANCE_TOML),
                           "--log-level", "warning")
        line = _one_line_failure(result, None)
        assert f"127.0.0.1:{port}" in line, line
        # and the raw-TCP port likewise
        result = run_serve(str(tmp_path / "a.db"), free_port(), "--tcp-port", str(port), "--log-level", "warning")
        line = _one_line_failure(result, None)
        assert f"127.0.0.1:{port}" in line, line


def test_a_busy_port_does_not_announce_listening(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_serve(str(tmp_path / "a.db"), busy.getsockname()[1], "--tournament", str(CONFORMANCE_TOML),
                           "--log-level", "warning")
    assert result.returncode != 0
    assert "listening" not in result.stdout, result.stdout


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":  # exited, not yet reaped by init
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find child processes")
@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_the_sqlite_commit_process_never_outlives_the_server(tmp_path: Path, how: str) -> None:
    server = start_server(str(tmp_path / "c.db"), CONFORMANCE_TOML)
    try:
        (child,) = _children(server.proc.pid)
        with open(f"/proc/{child}/cmdline", "rb") as fh:
            assert b"commit_child.py" in fh.read()
    finally:
        if how == "SIGKILL":
            server.proc.kill()
            server.proc.wait(10)
        else:
            assert server.stop() == 0
    assert _gone(child, 10), f"the commit process {child} still runs after the server's {how}"
