"""End-to-end benchmark: a real `avex serve` (SQLite, durable commits) under 50 WebSocket clients.

Phases, each against the same server and database:

1. throughput — 10 teams × 5 connections, each with ``WINDOW`` LIMIT orders in flight (pipelined), about half of
   them crossing: ACKed orders/s, fills/s and order-to-ACK latency percentiles;
2. latency — the same connections at an offered load of ``PACED_RATE`` orders/s (open loop): p99 order-to-ACK;
3. baseline — a bare ``websockets`` echo server (one small reply per frame) under the same clients and frames:
   messages/s, and the ratio avex orders/s ÷ echo messages/s.

The server, the echo server and the load generator are three processes (``e2e_load``, ``e2e_echo``), so the
generator's CPU is not the server's; on a small machine they still share the cores, which the results say.
All traffic goes to 127.0.0.1; temp files and child processes are removed on the way out, bounded in time.

The latency phase's offered rate is 2,000 orders/s; the environment variable ``AVEX_BENCH_PACED_RATE`` changes
it for exploring (the recorded target is at 2,000).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from avex.bench.e2e_load import PRODUCTS

N_TEAMS = 10
PER_TEAM = 5  # connections per team: 50 in all
WINDOW = 20  # orders in flight per connection in the throughput phase
PACED_RATE = float(os.environ.get("AVEX_BENCH_PACED_RATE", "2000"))  # orders/s offered in the latency phase
DEFAULT_DURATION = 20.0
QUICK_DURATION = 7.0
HOST = "127.0.0.1"

# Targets of the issue (2-core machine); printed next to the numbers, they do not change the exit code.
TARGET_ORDERS = 6000.0
TARGET_RATIO = 0.1
TARGET_P99_MS = 10.0

# Only local requests: an environment proxy must never see the benchmark's traffic.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def tournament_toml(tokens: list[str]) -> str:
    """10 rich teams and an admin on the built-in catalogue, every limit that would throttle the load off."""
    inventory = ", ".join(f"{code} = 100000000" for code in PRODUCTS)
    lines = [
        "# avex bench e2e: temporary tournament (limits off; built-in products and species)",
        "[market]",
        "ticker_interval_s = 0",
        "offer_ttl_s = 0",
        "orders_per_minute = 0",
        "messages_per_second = 0",
        "max_open_orders_per_team = 0",
        f"max_connections_per_team = {PER_TEAM + 1}",
        "[production]",
        "cooldown_s = 0",
    ]
    for i, token in enumerate(tokens):
        lines += [
            "[[teams]]",
            f'name = "bench-{i:02d}"',
            f'token = "{token}"',
            "balance = 100000000.0",
            f"inventory = {{ {inventory} }}",
        ]
    lines += ["[[teams]]", 'name = "admin"', 'token = "TK-BENCH-ADMIN"', "balance = 0.0"]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with _http.open(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def wait_healthy(proc: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"avex serve exited with code {proc.returncode}")
        with contextlib.suppress(OSError):
            status, _ = _get(f"http://{HOST}:{port}/healthz", 1.0)
            if status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"avex serve not healthy after {timeout:.0f} s")


def wait_listening(proc: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    """The echo server is ready once its port accepts a TCP connection."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"echo server exited with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1.0):
            return
        time.sleep(0.05)
    raise RuntimeError(f"echo server not listening after {timeout:.0f} s")


def stop(proc: subprocess.Popen[Any] | None, grace: float = 10.0) -> str:
    """SIGTERM, then SIGKILL after ``grace`` seconds: our own children only, by their pid. Says how it ended."""
    if proc is None:
        return "not running"
    if proc.poll() is not None:
        return f"had already exited with code {proc.returncode}"
    started = time.monotonic()
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        return f"KILLED after {grace:g} s without exiting on SIGTERM"
    return f"stopped {time.monotonic() - started:.1f} s after SIGTERM, exit code {proc.returncode}"


def metrics_snapshot(port: int) -> dict[str, float]:
    """Sums and counts of the driver's batch histograms (GET /metrics), to diff around a phase."""
    out: dict[str, float] = {}
    with contextlib.suppress(OSError):
        status, text = _get(f"http://{HOST}:{port}/metrics", 5.0)
        if status == 200:
            for name in ("avex_batch_size_sum", "avex_batch_size_count", "avex_batch_seconds_sum",
                         "avex_commands_applied_total", "avex_outbox_drops_total", "avex_command_seconds_sum",
                         "avex_command_seconds_count", "avex_loop_lag_seconds_sum", "avex_loop_lag_seconds_count"):
                m = re.search(rf"^{name} ([0-9.e+-]+)$", text, re.MULTILINE)
                if m:
                    out[name] = float(m.group(1))
            m = re.search(r'^avex_command_seconds_bucket\{le="0.01"\} ([0-9.e+-]+)$', text, re.MULTILINE)
            if m:
                out["avex_command_seconds_le_10ms"] = float(m.group(1))
    return out


def run_load(job: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """One phase in the load-generator process; its last stdout line is the JSON result."""
    limit = job["warmup"] + job["duration"] + job["drain_timeout"] + 60
    proc = subprocess.Popen(
        [sys.executable, "-m", "avex.bench.e2e_load", json.dumps(job)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        stop(proc, 2)
        raise RuntimeError(f"load generator did not finish within {limit:.0f} s") from None
    if proc.returncode != 0 or not out.strip():
        raise RuntimeError(f"load generator failed (exit {proc.returncode}): {err.strip()[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def _lat(d: dict[str, float]) -> str:
    if not d:
        return "no samples"
    return (f"p50 {d['p50']:.1f} ms, p99 {d['p99']:.1f} ms, p99.9 {d['p999']:.1f} ms, max {d['max']:.1f} ms "
            f"({int(d['n'])} samples)")


def _cpu(r: dict[str, Any]) -> str:
    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{100 * v:.0f}%"

    return (f"CPU (of one core): server {pct(r.get('server_cpu'))}, load generator {pct(r.get('client_cpu'))}, "
            f"other processes {pct(r.get('other_cpu'))}")


def _batches(before: dict[str, float], after: dict[str, float]) -> str:
    n = after.get("avex_batch_size_count", 0) - before.get("avex_batch_size_count", 0)
    if n <= 0:
        return "driver batches: n/a"
    items = after.get("avex_batch_size_sum", 0) - before.get("avex_batch_size_sum", 0)
    secs = after.get("avex_batch_seconds_sum", 0) - before.get("avex_batch_seconds_sum", 0)
    cmds = after.get("avex_command_seconds_count", 0) - before.get("avex_command_seconds_count", 0)
    inside = ""
    if cmds > 0:
        mean = (after.get("avex_command_seconds_sum", 0) - before.get("avex_command_seconds_sum", 0)) / cmds
        fast = after.get("avex_command_seconds_le_10ms", 0) - before.get("avex_command_seconds_le_10ms", 0)
        inside = f"; inside the server, receipt to release: mean {1000 * mean:.2f} ms, {100 * fast / cmds:.1f}% ≤ 10 ms"
    lags = after.get("avex_loop_lag_seconds_count", 0) - before.get("avex_loop_lag_seconds_count", 0)
    if lags > 0:
        lag = (after.get("avex_loop_lag_seconds_sum", 0) - before.get("avex_loop_lag_seconds_sum", 0)) / lags
        inside += f"; event-loop lag mean {1000 * lag:.2f} ms"
    return (f"driver batches: {n:.0f} (avg {items / n:.1f} items, avg apply+commit {1000 * secs / n:.2f} ms; "
            f"from the server's /metrics, the whole phase){inside}")


def _anomalies(r: dict[str, Any]) -> list[str]:
    out = []
    if r["unanswered"]:
        out.append(f"{r['unanswered']} orders never answered")
    if r["closed"]:
        out.append(f"connections closed by the server: {', '.join(r['closed'][:5])}")
    if r["errors"]:
        out.append(f"ERRORs: {r['errors']}")
    return out


def _paced(url: str, server: subprocess.Popen[bytes], base: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """The latency phase: orders at ``PACED_RATE`` in total, whatever the answers do."""
    return run_load({**base, "url": url, "mode": "paced", "echo": False, "tag": "L", "rate": PACED_RATE,
                     "server_pid": server.pid}, env)


def _latency_detail(lat: dict[str, Any], per_phase: float, before: dict[str, float],
                    after: dict[str, float]) -> list[str]:
    return [
        f"latency ({PACED_RATE:,.0f} orders/s offered, open loop): {lat['acked'] / per_phase:,.0f} orders/s "
        f"ACKed, {lat['fills'] / per_phase:,.0f} fills/s",
        f"latency order-to-ACK (from the actual send; orders sent in the window): {_lat(lat['lat'])}",
        f"latency order-to-ACK (from the scheduled send, no coordinated omission): {_lat(lat['lat_sched'])}",
        f"latency {_cpu(lat)}; {_batches(before, after)}",
    ]


def _latency_only(
    url: str, port: int, server: subprocess.Popen[bytes], base: dict[str, Any], env: dict[str, str],
    per_phase: float, load_before: float, results: str | None,
) -> int:
    m1 = metrics_snapshot(port)
    lat = _paced(url, server, base, env)
    m2 = metrics_snapshot(port)
    p99 = lat["lat"].get("p99", float("nan"))
    detail = [
        f"setup: `avex serve` subprocess on a fresh SQLite database (synchronous FULL), {N_TEAMS} teams × "
        f"{PER_TEAM} WebSocket connections from one load-generator process; {per_phase:g} s after "
        f"{base['warmup']:g} s warm-up; only the paced phase (no throughput phase before it, no echo baseline); "
        f"load average {load_before:.2f} before the run",
        *_latency_detail(lat, per_phase, m1, m2),
        *(f"anomaly: {a}" for a in _anomalies(lat)),
    ]
    line = f"e2e latency only: {PACED_RATE:.0f} orders/s offered, p99 ack {p99:.1f} ms"
    for d in detail:
        print(d)
    if results:
        from avex.bench.results import record

        record(results, f"end-to-end latency only ({per_phase:g} s)", [*detail, f"result: `{line}`"])
    print(line)
    return 0


def main(quick: bool, duration: float | None, results: str | None, latency_only: bool = False) -> int:
    """The three phases; with ``latency_only`` just the paced phase, on a fresh database (for exploring:
    the full run measures latency after the throughput phase has filled the database)."""
    per_phase = duration if duration is not None else (QUICK_DURATION if quick else DEFAULT_DURATION)
    warmup = min(2.0, max(0.5, per_phase * 0.1))
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    tmp = Path(tempfile.mkdtemp(prefix="avex-e2e-"))
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    tokens = [f"TK-BENCH-{i:02d}" for i in range(N_TEAMS)]
    server: subprocess.Popen[bytes] | None = None
    echo: subprocess.Popen[bytes] | None = None
    base = {"tokens": tokens, "per_team": PER_TEAM, "warmup": warmup, "duration": per_phase,
            "drain_timeout": 15.0, "window": WINDOW}
    try:
        toml = tmp / "tournament.toml"
        toml.write_text(tournament_toml(tokens))
        port = free_port()
        log = (tmp / "server.log").open("wb")
        started = time.monotonic()
        server = subprocess.Popen(
            [sys.executable, "-m", "avex.cli", "serve", "--host", HOST, "--port", str(port),
             "--db", str(tmp / "bench.db"), "--tournament", str(toml), "--login-failures-per-minute", "0",
             "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
        log.close()
        wait_healthy(server, port, 60)
        print(f"avex serve on {HOST}:{port} (pid {server.pid}, SQLite {tmp / 'bench.db'}) up in "
              f"{time.monotonic() - started:.1f} s; {per_phase:g} s per phase after {warmup:g} s warm-up", flush=True)
        url = f"ws://{HOST}:{port}/ws"

        if latency_only:
            return _latency_only(url, port, server, base, env, per_phase, load_before, results)

        m0 = metrics_snapshot(port)
        thr = run_load({**base, "url": url, "mode": "window", "echo": False, "tag": "T",
                        "server_pid": server.pid}, env)
        m1 = metrics_snapshot(port)
        orders_s = thr["acked"] / per_phase
        fills_s = thr["fills"] / per_phase
        print(f"throughput: {orders_s:,.0f} orders/s ACKed, {thr['rejected'] / per_phase:,.0f}/s rejected, "
              f"{fills_s:,.0f} fills/s; order-to-ACK {_lat(thr['lat'])}", flush=True)

        lat = _paced(url, server, base, env)
        m2 = metrics_snapshot(port)
        p99 = lat["lat"].get("p99", float("nan"))
        print(f"latency at {PACED_RATE:,.0f} orders/s offered: {lat['acked'] / per_phase:,.0f} orders/s ACKed; "
              f"order-to-ACK {_lat(lat['lat'])}", flush=True)
        server_stop = stop(server)
        server = None

        echo_port = free_port()
        echo = subprocess.Popen([sys.executable, "-m", "avex.bench.e2e_echo", str(echo_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        wait_listening(echo, echo_port, 30)
        ech = run_load({**base, "url": f"ws://{HOST}:{echo_port}/", "mode": "window", "echo": True, "tag": "E",
                        "server_pid": echo.pid}, env)
        stop(echo)
        echo = None
        echo_s = ech["acked"] / per_phase
        ratio = orders_s / echo_s if echo_s else 0.0
        print(f"echo baseline: {echo_s:,.0f} messages/s; reply {_lat(ech['lat'])}", flush=True)

        detail = [
            f"setup: `avex serve` subprocess, SQLite with synchronous FULL (durable), {N_TEAMS} teams × {PER_TEAM} "
            f"WebSocket connections from one load-generator process (`websockets` client, uvloop); "
            f"{per_phase:g} s per phase after {warmup:g} s warm-up; "
            f"on {os.cpu_count()} cores the server and the load generator share the machine "
            f"(load average {load_before:.2f} before the run)",
            "stream: LIMIT orders on the 9 default products, ~half crossing, no self-trades, qty 1-5; "
            "ACK = ORDER_ACK PENDING (or the rejecting ERROR) on the sending connection",
            f"throughput ({WINDOW} in flight per connection): {orders_s:,.0f} orders/s ACKed, "
            f"{thr['rejected'] / per_phase:,.0f}/s rejected, {fills_s:,.0f} fills/s "
            f"({thr['fills'] / max(1, thr['acked']):.2f} fills per order), {thr['frames_in'] / per_phase:,.0f} "
            f"frames/s received by the clients",
            f"throughput order-to-ACK: {_lat(thr['lat'])}",
            f"throughput {_cpu(thr)}; {_batches(m0, m1)}",
            *_latency_detail(lat, per_phase, m1, m2),
            f"echo baseline (bare `websockets` server, one reply per frame, {WINDOW} in flight per connection): "
            f"{echo_s:,.0f} messages/s; reply {_lat(ech['lat'])}; {_cpu(ech)}",
            f"ratio avex orders/s ÷ echo messages/s: {ratio:.3f}",
            f"avex serve {server_stop}",
            "targets: {} ≥ {:,.0f} orders/s, {} ≥ {}x echo, {} p99 < {:g} ms at {:,.0f} orders/s".format(
                "met" if orders_s >= TARGET_ORDERS else "MISSED", TARGET_ORDERS,
                "met" if ratio >= TARGET_RATIO else "MISSED", TARGET_RATIO,
                "met" if p99 < TARGET_P99_MS else "MISSED", TARGET_P99_MS, PACED_RATE),
        ]
        problems = [f"throughput: {a}" for a in _anomalies(thr)] + [f"latency: {a}" for a in _anomalies(lat)]
        problems += [f"echo: {a}" for a in _anomalies(ech)]
        if "KILLED" in server_stop:
            problems.append(f"avex serve {server_stop}")
        detail += [f"anomaly: {p}" for p in problems]
        for name, r in (("throughput", thr), ("latency", lat), ("echo", ech)):
            if (r.get("client_cpu") or 0) > 0.9:
                detail.append(f"note: the load generator was CPU-bound in the {name} phase: its rate is a lower "
                              "bound of what the server could do")
        line = f"e2e: {orders_s:.0f} orders/s, p99 ack {p99:.1f} ms, {ratio:.2f}x echo"
        for d in detail[2:]:
            print(d)
        if results:
            from avex.bench.results import record

            record(results, f"end-to-end benchmark ({per_phase:g} s per phase)", [*detail, f"result: `{line}`"])
        print(line)
        return 0
    except (RuntimeError, OSError, ValueError) as exc:
        log_text = ""
        with contextlib.suppress(OSError):
            log_text = (tmp / "server.log").read_text(errors="replace")[-2000:]
        print(f"avex bench e2e: {exc}", file=sys.stderr)
        if log_text:
            print(f"server log (tail):\n{log_text}", file=sys.stderr)
        return 1
    finally:
        stop(server)
        stop(echo)
        shutil.rmtree(tmp, ignore_errors=True)
