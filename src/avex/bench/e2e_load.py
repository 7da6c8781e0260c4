"""The load generator of the end-to-end benchmark: one process, many WebSocket connections.

Run as ``python -m avex.bench.e2e_load '<json job>'``; it prints one JSON line with the measurements. It is a
separate process so that its CPU is not the server's (on a 2-core machine the two still share the cores).

Modes:

* ``window`` — closed loop: each connection keeps ``window`` orders in flight and sends the next one as soon
  as one is answered (ORDER_ACK PENDING, or the ERROR carrying its clOrdID).
* ``paced`` — open loop: orders leave at ``rate`` per second in total, round-robin over the connections,
  whatever the answers do.
* ``echo`` (with ``window``) — the same frames against the bare echo server, whose one reply per frame is
  matched in FIFO order.

The order stream never self-trades: for each (team, product) the team only ever buys or only ever sells, and
five buying and five selling teams meet in every book. Half the orders cross (BUY above / SELL below the mid),
half rest near the mid, so about half of them trade.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import resource
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import msgspec
from websockets.exceptions import ConnectionClosed

from avex.bench.rawws import RawWebSocket, connect

# The default catalogue (GAME.md §11.1) and its reference prices in cents: the mids of the stream.
PRODUCTS = ("GUACA", "SEBO", "PALTA-OIL", "FOSFO", "NUCREM", "CASCAR-ALLOY", "PITA", "GTRON", "H-GUACA")
MIDS = (1530, 1890, 2500, 1250, 3240, 6780, 875, 8925, 4560)

_decode = msgspec.json.decode


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def order_frame(team: int, conn: int, k: int, prefix: str) -> str:
    """The k-th order of a connection: no self-trades, half crossing, sides roughly alternating."""
    p = (k + conn) % len(PRODUCTS)
    buy = (team + p) % 2 == 0
    crossing = ((k // len(PRODUCTS)) + conn) % 2 == 0
    mid = MIDS[p]
    offset = 10 if crossing else -(1 + k % 5)  # crossing orders sweep the resting ones (1-5 cents away)
    price = mid + offset if buy else mid - offset
    return (
        f'{{"type":"ORDER","clOrdID":"{prefix}{k}","side":"{"BUY" if buy else "SELL"}","mode":"LIMIT",'
        f'"product":"{PRODUCTS[p]}","qty":{1 + k % 5},"limitPrice":{_money(price)}}}'
    )


@dataclass
class Conn:
    index: int
    team: int
    token: str
    prefix: str
    ws: RawWebSocket | None = None
    k: int = 0  # next order number
    pending: dict[str, Any] = field(default_factory=dict)  # clOrdID -> send time (paced: with the schedule)
    fifo: deque[float] = field(default_factory=deque)  # send times (echo)
    closed: str | None = None


class Stats:
    def __init__(self) -> None:
        self.t_start = 0.0  # measurement window
        self.t_end = 0.0
        self.acked = 0  # answered in the window by ORDER_ACK PENDING (avex) or any reply (echo)
        self.rejected = 0  # answered in the window by an ERROR with the clOrdID
        self.fills = 0  # FILL frames for this connection's own orders, in the window (each fill counts twice)
        self.lat: list[float] = []  # seconds from send to answer, answers in the window
        self.lat_sched: list[float] = []  # paced mode: from the scheduled send time (no coordinated omission)
        self.sent = 0
        self.errors: dict[str, int] = {}
        self.frames_in = 0
        self.by_type: dict[str, int] = {}  # frames received per type (all connections, whole run)

    def count(self, text: str) -> None:
        # Server frames start with {"type":"…" (compact JSON, type first): no decoding needed to tally them.
        kind = text[9 : text.find('"', 9)] if text.startswith('{"type":"') else "?"
        self.by_type[kind] = self.by_type.get(kind, 0) + 1


async def open_conn(url: str, c: Conn, echo: bool) -> None:
    c.ws = await connect(url)
    await c.ws.send(json.dumps({"type": "LOGIN", "token": c.token}))
    while True:
        reply = _decode(await c.ws.recv())
        kind = reply.get("type")
        if echo or kind == "LOGIN_OK":
            return
        if kind == "ERROR":
            raise RuntimeError(f"login failed for connection {c.index}: {reply}")


async def reader_window(c: Conn, st: Stats, job: dict[str, Any], stop: asyncio.Event, done: asyncio.Event) -> None:
    """Closed loop on one connection: every answer to one of our orders releases the next order."""
    ws = c.ws
    assert ws is not None
    echo = job["echo"]
    pending, fifo, prefix = c.pending, c.fifo, c.prefix
    team, idx = c.team, c.index
    perf = time.perf_counter
    lat = st.lat
    try:
        while True:
            text = await ws.recv()
            now = ws.last_arrival
            st.frames_in += 1
            if not echo:
                st.count(text)
            answered = False
            if echo:
                t = fifo.popleft()
                answered = True
                if st.t_start <= now < st.t_end:
                    st.acked += 1
                    lat.append(now - t)
            else:
                # Team-scope frames (ORDER_ACK, FILL, updates) reach all five connections of the team: only
                # the answers to this connection's own clOrdIDs count here.
                if text.startswith('{"type":"BALANCE_UPDATE"') or text.startswith('{"type":"INVENTORY_UPDATE"'):
                    continue
                msg = _decode(text)
                kind = msg.get("type")
                cl = msg.get("clOrdID")
                if kind == "ORDER_ACK":
                    if msg.get("status") == "PENDING":
                        t = pending.pop(cl, None)
                        if t is not None:
                            answered = True
                            if st.t_start <= now < st.t_end:
                                st.acked += 1
                                lat.append(now - t)
                elif kind == "FILL":
                    if cl is not None and cl.startswith(prefix) and st.t_start <= now < st.t_end:
                        st.fills += 1
                elif kind == "ERROR":
                    code = msg.get("code", "?")
                    st.errors[code] = st.errors.get(code, 0) + 1
                    t = pending.pop(cl, None) if cl is not None else None
                    if t is not None:
                        answered = True
                        if st.t_start <= now < st.t_end:
                            st.rejected += 1
                            lat.append(now - t)
            if answered:
                if not stop.is_set():
                    frame = order_frame(team, idx, c.k, prefix)
                    if echo:
                        fifo.append(perf())
                    else:
                        pending[f"{prefix}{c.k}"] = perf()
                    c.k += 1
                    st.sent += 1
                    await ws.send(frame)
                elif not pending and not fifo:
                    done.set()
                    return
    except ConnectionClosed as exc:
        c.closed = f"code {exc.rcvd.code if exc.rcvd else 'none'} {exc.rcvd.reason if exc.rcvd else ''}".strip()
        done.set()


async def reader_paced(c: Conn, st: Stats) -> None:
    """Open loop: answers are only timed; the pacer sends."""
    ws = c.ws
    assert ws is not None
    pending, prefix = c.pending, c.prefix
    try:
        while True:
            text = await ws.recv()
            now = ws.last_arrival
            st.frames_in += 1
            st.count(text)
            if text.startswith('{"type":"BALANCE_UPDATE"') or text.startswith('{"type":"INVENTORY_UPDATE"'):
                continue
            msg = _decode(text)
            kind = msg.get("type")
            cl = msg.get("clOrdID")
            if (kind == "ORDER_ACK" and msg.get("status") == "PENDING") or kind == "ERROR":
                if kind == "ERROR":
                    code = msg.get("code", "?")
                    st.errors[code] = st.errors.get(code, 0) + 1
                entry = pending.pop(cl, None) if cl is not None else None
                if entry is not None:
                    sent_at, scheduled = entry
                    if st.t_start <= now < st.t_end:  # the rate: answers in the window
                        if kind == "ERROR":
                            st.rejected += 1
                        else:
                            st.acked += 1
                    # Latency of every order scheduled in the window, even if answered after it (during the
                    # drain): an overloaded server must not look fast because its backlog is cut off.
                    if st.t_start <= scheduled < st.t_end:
                        st.lat.append(now - sent_at)
                        st.lat_sched.append(now - scheduled)
            elif kind == "FILL" and cl is not None and cl.startswith(prefix) and st.t_start <= now < st.t_end:
                st.fills += 1
    except ConnectionClosed as exc:
        c.closed = f"code {exc.rcvd.code if exc.rcvd else 'none'} {exc.rcvd.reason if exc.rcvd else ''}".strip()


def _cpu_of(pid: int | None) -> float | None:
    """CPU seconds (user + system, all threads) of another process, from /proc (Linux only)."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as fh:
            parts = fh.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _machine_cpu() -> float | None:
    """Busy CPU seconds of the whole machine (all cores), from /proc/stat: with the server's and ours it
    tells how much other processes took during the window (the machine may be shared)."""
    try:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal ...: idle and iowait are not busy
        return (sum(f[:8]) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _self_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def run(job: dict[str, Any]) -> dict[str, Any]:
    tokens: list[str] = job["tokens"]
    per_team: int = job["per_team"]
    echo: bool = job["echo"]
    tag: str = job["tag"]  # makes clOrdIDs unique per team across the runs on one database
    conns = [
        Conn(i, i // per_team, tokens[i // per_team], f"{tag}{i}-") for i in range(len(tokens) * per_team)
    ]
    await asyncio.gather(*(open_conn(job["url"], c, echo) for c in conns))
    gc.collect()
    gc.freeze()
    gc.disable()  # the run allocates only short-lived acyclic objects; collections would be latency noise

    st = Stats()
    perf = time.perf_counter
    t0 = perf()
    st.t_start = t0 + job["warmup"]
    st.t_end = st.t_start + job["duration"]
    cpu_marks: dict[str, tuple[float, float | None, float | None]] = {}

    async def mark_cpu() -> None:
        await asyncio.sleep(max(0.0, st.t_start - perf()))
        cpu_marks["start"] = (_self_cpu(), _cpu_of(job.get("server_pid")), _machine_cpu())
        await asyncio.sleep(max(0.0, st.t_end - perf()))
        cpu_marks["end"] = (_self_cpu(), _cpu_of(job.get("server_pid")), _machine_cpu())

    marker = asyncio.create_task(mark_cpu())
    stop = asyncio.Event()
    drain_timeout = job.get("drain_timeout", 15.0)
    if job["mode"] == "window":
        dones = [asyncio.Event() for _ in conns]
        readers = [asyncio.create_task(reader_window(c, st, job, stop, d)) for c, d in zip(conns, dones, strict=True)]
        for c in conns:  # the initial window; then each answer sends the next order
            assert c.ws is not None
            for _ in range(job["window"]):
                frame = order_frame(c.team, c.index, c.k, c.prefix)
                if echo:
                    c.fifo.append(perf())
                else:
                    c.pending[f"{c.prefix}{c.k}"] = perf()
                c.k += 1
                st.sent += 1
                await c.ws.send(frame)
        await asyncio.sleep(max(0.0, st.t_end - perf()))
        stop.set()
        await marker
        with_timeout = asyncio.gather(*(d.wait() for d in dones))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(with_timeout, drain_timeout)
    else:
        readers = [asyncio.create_task(reader_paced(c, st)) for c in conns]
        rate = float(job["rate"])
        n = len(conns)
        sent = 0
        while True:
            now = perf()
            if now >= st.t_end:
                break
            due = int((now - t0) * rate)
            while sent < due:
                c = conns[sent % n]
                scheduled = t0 + sent / rate
                if c.ws is not None and c.closed is None:
                    c.pending[f"{c.prefix}{c.k}"] = (perf(), scheduled)
                    frame = order_frame(c.team, c.index, c.k, c.prefix)
                    c.k += 1
                    st.sent += 1
                    with contextlib.suppress(ConnectionClosed):
                        await c.ws.send(frame)
                sent += 1
            # Sleep to the next due order, at least 1 ms: uvloop's timers have millisecond resolution, and a
            # shorter sleep returns at once, which would turn the pacer into a busy loop taking the CPU.
            await asyncio.sleep(max(0.001, t0 + sent / rate - perf()))
        await marker
        deadline = perf() + drain_timeout
        while perf() < deadline and any(c.pending for c in conns if c.closed is None):
            await asyncio.sleep(0.01)
    unanswered = sum(len(c.pending) + len(c.fifo) for c in conns)
    for r in readers:
        r.cancel()
    await asyncio.gather(*(c.ws.close() for c in conns if c.ws is not None), return_exceptions=True)
    gc.enable()
    start, end = cpu_marks.get("start"), cpu_marks.get("end")
    client_cpu = server_cpu = other_cpu = None
    if start and end:
        client_cpu = (end[0] - start[0]) / job["duration"]
        if start[1] is not None and end[1] is not None:
            server_cpu = (end[1] - start[1]) / job["duration"]
        if start[2] is not None and end[2] is not None and server_cpu is not None:
            other_cpu = max(0.0, (end[2] - start[2]) / job["duration"] - client_cpu - server_cpu)
    return {
        "duration": job["duration"],
        "connections": len(conns),
        "acked": st.acked,
        "rejected": st.rejected,
        "fills": st.fills // 2,
        "sent": st.sent,
        "frames_in": st.frames_in,
        "by_type": st.by_type,
        "unanswered": unanswered,
        "errors": st.errors,
        "closed": [f"{c.index}: {c.closed}" for c in conns if c.closed],
        "lat": percentiles(st.lat),
        "lat_sched": percentiles(st.lat_sched),
        "client_cpu": client_cpu,
        "server_cpu": server_cpu,
        "other_cpu": other_cpu,
    }


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    v = sorted(values)
    n = len(v)

    def at(q: float) -> float:
        return v[min(n - 1, int(q * n))] * 1000.0

    return {"p50": at(0.50), "p99": at(0.99), "p999": at(0.999), "max": v[-1] * 1000.0, "n": n}


def main() -> int:
    job = json.loads(sys.argv[1])
    try:
        import uvloop

        result = uvloop.run(run(job))
    except ImportError:  # uvloop is optional; plain asyncio only makes the generator slower
        result = asyncio.run(run(job))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
