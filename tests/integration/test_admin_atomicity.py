"""A tournament reset and a scheduled close are atomic with trading (PROTOCOL.md §4.12–4.13, GAME.md §8):
several clients trade as fast as the server answers while the admin resets, or while ``endsAt`` passes.
Afterwards every order open at that command was cancelled by it (RESET / MARKET_CLOSED), nothing traded in
or after it that should not have, and the ledger still sums to every balance."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from avex.client import Client, ClientClosed
from avex.domain.timeutil import parse_rfc3339

from .harness import ServerProcess
from .test_admin_support import ADMIN, PUSHES, TOKENS, ask, connect, http_get, ledger_consistent, start_referee, until

pytestmark = pytest.mark.slow

IN_FLIGHT = 8


class Trader:
    """One team's connection sending random crossing LIMIT orders, at most IN_FLIGHT unanswered, and
    keeping every frame it receives (in arrival order)."""

    def __init__(self, client: Client, team: str, seed: int) -> None:
        self.client = client
        self.team = team
        self.rng = random.Random(seed)
        self.frames: list[dict[str, Any]] = []
        self.waiting: set[str] = set()
        self.room = asyncio.Event()
        self.room.set()
        self.sent = 0
        self.stop = asyncio.Event()

    async def read(self) -> None:
        try:
            while True:
                msg = await self.client.recv()
                self.frames.append(msg)
                cl = msg.get("clOrdID")
                kind = msg.get("type")
                if cl in self.waiting and (kind == "ERROR" or (kind == "ORDER_ACK" and msg["status"] == "PENDING")):
                    self.waiting.discard(cl)
                    if len(self.waiting) < IN_FLIGHT:
                        self.room.set()
        except ClientClosed:
            return

    async def trade(self) -> None:
        while not self.stop.is_set():
            await self.room.wait()
            cl = f"{self.team}-{self.sent}"
            self.sent += 1
            self.waiting.add(cl)
            if len(self.waiting) >= IN_FLIGHT:
                self.room.clear()
            side = self.rng.choice(("BUY", "SELL"))
            price = Decimal(self.rng.randrange(1400, 1601, 5)) / 100
            product = self.rng.choice(("GUACA", "FOSFO"))
            await self.client.order(cl, side, "LIMIT", product, self.rng.randint(1, 5), price, message=cl)

    async def settle(self, timeout: float = 15.0) -> None:
        """Every order sent has its answer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.waiting and loop.time() < deadline:
            await asyncio.sleep(0.02)
        assert not self.waiting, f"{self.team}: {len(self.waiting)} orders never answered"


async def _traders(server: ServerProcess) -> tuple[list[Trader], list[asyncio.Task[None]]]:
    traders = [Trader(await connect(server, TOKENS[t]), t, seed) for seed, t in enumerate(TOKENS)]
    tasks = [asyncio.create_task(t.read()) for t in traders] + [asyncio.create_task(t.trade()) for t in traders]
    return traders, tasks


async def _stop(traders: list[Trader], tasks: list[asyncio.Task[None]]) -> None:
    for t in traders:
        t.stop.set()
        t.room.set()
    for t in traders:
        await t.settle()
    await asyncio.sleep(0.5)  # pushes and late frames
    for t in traders:
        await t.client.close()
    await asyncio.gather(*tasks, return_exceptions=True)


def open_orders_before(frames: list[dict[str, Any]], seq: int) -> set[str]:
    """The team's orders still open after every command < ``seq``, from its own frames."""
    open_: set[str] = set()
    for msg in sorted((m for m in frames if isinstance(m.get("seq"), int) and m["seq"] < seq),
                      key=lambda m: m["seq"]):
        kind = msg.get("type")
        if kind == "ORDER_ACK" and msg["status"] == "PENDING":
            open_.add(msg["clOrdID"])
        elif (kind == "ORDER_ACK" and msg["status"] == "CANCELLED") or (kind == "FILL" and msg["remainingQty"] == 0):
            open_.discard(msg["clOrdID"])
    return open_


def cancelled_at(frames: list[dict[str, Any]], seq: int, reason: str) -> set[str]:
    got = [m for m in frames if m.get("type") == "ORDER_ACK" and m.get("seq") == seq]
    assert all(m["status"] == "CANCELLED" and m["reason"] == reason for m in got), got
    return {m["clOrdID"] for m in got}


def _rows(server: ServerProcess, path: str) -> list[dict[str, Any]]:
    res = http_get(server, path, ADMIN)
    assert res.status_code == 200, res.text
    return res.json()[path.rsplit("/", 1)[-1]]


@pytest.fixture
def server(tmp_path: Any) -> Iterator[ServerProcess]:
    srv = start_referee(tmp_path, rich=True)
    yield srv
    srv.stop()


async def test_tournament_reset_is_atomic_with_trading(server: ServerProcess) -> None:
    adm = await connect(server, ADMIN)
    traders, tasks = await _traders(server)
    try:
        await asyncio.sleep(1.5)
        configs = [{"teamName": "TeamA", "inventory": {"GUACA": 50}}, {"teamName": "TeamB", "inventory": {"FOSFO": 50}},
                   {"teamName": "TeamC"}]
        reply = await ask(adm, {"type": "RESET_TOURNAMENT_CONFIG", "balance": 5000, "teamConfigs": configs},
                          "TOURNAMENT_RESET_COMPLETE", timeout=15)
        await asyncio.sleep(1.0)  # trading goes on after the reset
    finally:
        await _stop(traders, tasks)
        await adm.close()
    reset = reply["seq"]
    assert reply["success"] is True and reply["teamsReset"] == 3
    fills_before = sum(1 for t in traders for m in t.frames if m.get("type") == "FILL" and m["seq"] < reset)
    fills_after = sum(1 for t in traders for m in t.frames if m.get("type") == "FILL" and m["seq"] > reset)
    assert fills_before > 0 and fills_after > 0, "the load did not trade around the reset"

    expected = {"TeamA": {"GUACA": 50, "FOSFO": 0, "PITA": 0}, "TeamB": {"GUACA": 0, "FOSFO": 50, "PITA": 0},
                "TeamC": {"GUACA": 0, "FOSFO": 0, "PITA": 0}}
    total_cancelled = 0
    for t in traders:
        was_open = open_orders_before(t.frames, reset)
        cancelled = cancelled_at(t.frames, reset, "RESET")
        assert cancelled == was_open, f"{t.team}: open {len(was_open)}, cancelled {len(cancelled)}"
        total_cancelled += len(cancelled)
        at_reset = [m for m in t.frames if m.get("seq") == reset and m["type"] not in PUSHES]
        assert [m["type"] for m in at_reset] == ["ORDER_ACK"] * len(cancelled) + ["BALANCE_UPDATE", "INVENTORY_UPDATE"]
        balance, inventory = at_reset[-2], at_reset[-1]
        assert (balance["balance"], balance["available"], balance["reserved"]) == (5000, 5000, 0)
        assert inventory["inventory"] == inventory["available"] == expected[t.team]
    assert total_cancelled == reply["ordersCanceled"]

    orders = _rows(server, "/api/orders")
    reset_time = parse_rfc3339(reply["serverTime"])
    for o in orders:
        if o["seq"] < reset:
            assert o["status"] in ("FILLED", "CANCELLED", "REJECTED"), o
        if o.get("reason") == "RESET":
            assert o["seq"] < reset and parse_rfc3339(o["updatedAt"]) == reset_time // 1000 * 1000
    assert sum(1 for o in orders if o.get("reason") == "RESET") == reply["ordersCanceled"]
    assert all(f["seq"] != reset for f in _rows(server, "/api/fills"))
    ledger_consistent(_rows(server, "/api/ledger"), _rows(server, "/api/teams"))


async def test_scheduled_close_is_atomic_with_trading(server: ServerProcess) -> None:
    adm = await connect(server, ADMIN)
    ends = (datetime.now(UTC) + timedelta(seconds=1.5)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    scheduled = await ask(adm, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN", "endsAt": ends})
    assert scheduled["success"] is True
    traders, tasks = await _traders(server)
    try:
        state = await until(adm, "TOURNAMENT_STATE", timeout=10)
        while state["state"] != "CLOSED":
            state = await until(adm, "TOURNAMENT_STATE", timeout=10)
        note = await until(adm, "BROADCAST_NOTIFICATION")
        await asyncio.sleep(0.7)  # orders keep coming after the close
    finally:
        await _stop(traders, tasks)
        await adm.close()
    close = state["seq"]
    end_us = parse_rfc3339(ends)
    assert parse_rfc3339(state["serverTime"]) >= end_us // 1000 * 1000
    assert "endsAt" not in state  # the schedule is cleared
    assert (note["message"], note["sender"], note["seq"]) == ("Market is closed", "system", close)

    refused = 0
    for t in traders:
        assert any(m.get("type") == "FILL" for m in t.frames), f"{t.team} never traded"
        was_open = open_orders_before(t.frames, close)
        assert cancelled_at(t.frames, close, "MARKET_CLOSED") == was_open
        late = [m for m in t.frames if isinstance(m.get("seq"), int) and m["seq"] > close and
                m.get("type") in ("ORDER_ACK", "FILL")]
        assert late == [], f"{t.team} traded after the close: {late[:3]}"
        closed_errors = [m for m in t.frames if m.get("type") == "ERROR" and m["reason"] == "Market is closed"]
        assert all(m["code"] == "SERVICE_UNAVAILABLE" and "seq" not in m for m in closed_errors)
        refused += len(closed_errors)
    assert refused > 0, "no order arrived after the close"

    fills = _rows(server, "/api/fills")
    assert fills and all(f["seq"] < close for f in fills)
    assert all(parse_rfc3339(f["executedAt"]) < end_us for f in fills)
    orders = _rows(server, "/api/orders")
    assert all(o["seq"] < close for o in orders)
    assert not [o for o in orders if o["status"] in ("PENDING", "PARTIALLY_FILLED")]
    close_time = parse_rfc3339(state["serverTime"])
    market_closed = [o for o in orders if o.get("reason") == "MARKET_CLOSED"]
    assert market_closed and all(parse_rfc3339(o["updatedAt"]) == close_time for o in market_closed)
    ledger_consistent(_rows(server, "/api/ledger"), _rows(server, "/api/teams"))
