"""Crash safety (ARCHITECTURE.md item 4, GAME.md §1): four teams send bursts of crossing orders, the server is
killed with SIGKILL mid-burst and restarted on the same SQLite database, three times (after 50, 200 and 500
ORDER_ACKs). After each restart:

* every team-scope message any client received live (ORDER_ACK, FILL, BALANCE_UPDATE, INVENTORY_UPDATE) is in
  the store, identical: RESYNC lastSeq 0 replays it;
* no trade is half-applied: every fill appears on both sides, and each team's cash and goods equal its initial
  amounts plus its replayed fills;
* cash and goods are conserved: per asset, the sum over teams equals the initial sum (no production here);
* open orders are back in the book (REQUEST_ALL_ORDERS as admin) with their remaining quantities, and the
  reservations match them.

At the end the database itself is checked: ledger sums equal the accounts.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from avex.client import Client, ClientClosed
from avex.store import open_store

from .harness import ServerProcess, start_server, tournament_toml

PRODUCTS = ("GUACA", "FOSFO")
CASH = 1_000_000
GOODS = 100_000
TEAMS = {f"T{i}": f"TK-CRASH-{i}" for i in range(1, 5)}
KILL_AFTER_ACKS = (50, 200, 500)
ORDERS_PER_CLIENT = 2000  # per round; far more than the kill points need
REPLAYED = ("ORDER_ACK", "FILL", "BALANCE_UPDATE", "INVENTORY_UPDATE", "OFFER")


@dataclass
class History:
    """What the clients sent and received over all rounds."""

    sent: dict[str, dict[str, tuple[str, str, str, int, Decimal | None]]] = field(
        default_factory=lambda: defaultdict(dict))
    received: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))


def _key(message: dict[str, Any]) -> bytes:
    return msgspec.json.encode(message, order="sorted")


async def burst(server: ServerProcess, round_no: int, kill_after: int, history: History, rng: random.Random) -> int:
    """Every team pipelines orders (and a few cancels) until ``kill_after`` ORDER_ACKs have arrived, then the
    server gets SIGKILL. Returns the ACKs received in this round (the last may arrive after the kill)."""
    clients = {team: await Client.connect(server.url, token=token, ping_interval=None)
               for team, token in TEAMS.items()}
    acks = 0
    killed = asyncio.Event()

    async def consume(team: str, c: Client) -> None:
        nonlocal acks
        async for msg in c:  # ends when the connection dies
            history.received[team].append(msg)
            if msg.get("type") == "ORDER_ACK":
                acks += 1
                if acks >= kill_after and not killed.is_set():
                    killed.set()
                    server.kill()

    async def produce(team: str, c: Client, seed: int) -> None:
        r = random.Random(seed)
        mine: list[str] = []
        for i in range(ORDERS_PER_CLIENT):
            if killed.is_set():
                return
            try:
                if mine and r.random() < 0.1:
                    await c.cancel(r.choice(mine))
                else:
                    cl = f"r{round_no}-{team}-{i}"
                    side = r.choice(("BUY", "SELL"))
                    product = r.choice(PRODUCTS)
                    qty = r.randint(1, 5)
                    if r.random() < 0.1:
                        history.sent[team][cl] = (side, "MARKET", product, qty, None)
                        await c.order(cl, side, "MARKET", product, qty)
                    else:
                        price = Decimal(r.randint(990, 1010)) / 100
                        history.sent[team][cl] = (side, "LIMIT", product, qty, price)
                        await c.order(cl, side, "LIMIT", product, qty, limit_price=price)
                    mine.append(cl)
            except ClientClosed:
                return
            if i % 8 == 0:
                await asyncio.sleep(0)  # let the readers count

    seeds = {team: rng.randrange(1 << 30) for team in TEAMS}
    await asyncio.wait_for(asyncio.gather(
        *(consume(t, c) for t, c in clients.items()), *(produce(t, c, seeds[t]) for t, c in clients.items()),
    ), 60)
    assert killed.is_set(), f"round {round_no}: only {acks} ACKs before the clients ran out of orders"
    for c in clients.values():
        await c.close()
    return acks


async def replay(c: Client) -> list[dict[str, Any]]:
    """RESYNC lastSeq 0, following ``more``: the team's whole stored history."""
    events: list[dict[str, Any]] = []
    last = 0
    while True:
        await c.resync(last_seq=last)
        delta = await c.expect("EVENT_DELTA", timeout=30)
        events.extend(delta["events"])
        if not delta["more"]:
            return events
        assert delta["events"], delta
        last = delta["events"][-1]["seq"]


async def verify(server: ServerProcess, history: History, round_no: int) -> None:
    seq = server.health()["seq"]
    fills_by_id: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    open_expected: dict[tuple[str, str], int] = {}
    for team, token in TEAMS.items():
        async with Client.connect(server.url, token=token, ping_interval=None) as c:
            events = await replay(c)
            await c.get_inventory()
            inventory = await c.expect("INVENTORY_UPDATE")
            balance = await c.expect("BALANCE_UPDATE")
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
        assert all(e["seq"] <= seq for e in events)
        stored = {_key(e) for e in events}
        live = [m for m in history.received[team] if m.get("type") in REPLAYED]
        missing = [m for m in live if _key(m) not in stored]
        assert not missing, f"round {round_no}, {team}: received live but not stored: {missing[:3]}"

        # the team's accounts follow from its fills: nothing half-applied
        cash = Decimal(CASH)
        goods = dict.fromkeys(PRODUCTS, GOODS)
        filled: Counter[str] = Counter()
        accepted: set[str] = set()
        closed: set[str] = set()
        for e in events:
            if e["type"] == "FILL":
                fills_by_id[e["fillId"]].append((team, e))
                amount = e["fillQty"] * e["fillPrice"]
                sign = 1 if e["side"] == "BUY" else -1
                cash -= sign * amount
                goods[e["product"]] += sign * e["fillQty"]
                filled[e["clOrdID"]] += e["fillQty"]
                if e["remainingQty"] == 0:
                    closed.add(e["clOrdID"])
            elif e["type"] == "ORDER_ACK":
                (accepted if e["status"] == "PENDING" else closed).add(e["clOrdID"])
        assert balance["balance"] == cash, (team, balance, cash)
        assert inventory["inventory"] == goods, (team, inventory, goods)

        # what stays open, and what it must reserve
        reserved = Decimal(0)
        held = dict.fromkeys(PRODUCTS, 0)
        for cl in accepted - closed:
            side, mode, product, qty, price = history.sent[team][cl]
            assert mode == "LIMIT", (team, cl)
            remaining = qty - filled[cl]
            open_expected[(team, cl)] = remaining
            if side == "BUY":
                assert price is not None
                reserved += remaining * price
            else:
                held[product] += remaining
        assert balance["reserved"] == reserved, (team, balance, reserved)
        assert balance["available"] == cash - reserved
        assert inventory["available"] == {p: goods[p] - held[p] for p in PRODUCTS}, (team, inventory, held)

    # every fill on both sides, opposite, same terms
    for fill_id, sides in fills_by_id.items():
        assert len(sides) == 2, (fill_id, sides)
        (t1, f1), (t2, f2) = sides
        assert t1 != t2 and {f1["side"], f2["side"]} == {"BUY", "SELL"}, sides
        assert (f1["fillQty"], f1["fillPrice"], f1["product"], f1["seq"]) == \
               (f2["fillQty"], f2["fillPrice"], f2["product"], f2["seq"]), sides
        assert (f1["counterparty"], f2["counterparty"]) == (t2, t1), sides

    async with Client.connect(server.url, token="TK-ADMIN", ping_interval=None) as admin:
        await admin.request_all_orders()
        orders = (await admin.expect("ALL_ORDERS", timeout=30))["orders"]
        await admin.send({"type": "GET_ALL_TEAMS"})
        teams = (await admin.expect("ALL_TEAMS", timeout=30))["teams"]
    assert fills_by_id and open_expected, "the burst should leave fills and open orders"
    book = {(o["teamName"], o["clOrdID"]): o["remainingQty"] for o in orders}
    assert book == open_expected, f"round {round_no}: book differs from the replayed history"
    assert [o["seq"] for o in orders] == sorted(o["seq"] for o in orders)
    players = [t for t in teams if t["teamName"] in TEAMS]
    assert sum(t["currentBalance"] for t in players) == CASH * len(TEAMS)
    for p in PRODUCTS:
        assert sum(t["inventory"][p] for t in players) == GOODS * len(TEAMS), p


async def test_acknowledged_work_survives_sigkill_mid_burst_three_times(tmp_path: Path) -> None:
    toml = tmp_path / "crash.toml"
    toml.write_text(tournament_toml(
        [(team, token, CASH, dict.fromkeys(PRODUCTS, GOODS)) for team, token in TEAMS.items()],
        market={"orders_per_minute": 0, "messages_per_second": 0, "max_open_orders_per_team": 0,
                "offer_ttl_s": 0},
    ))
    db = str(tmp_path / "crash.db")
    history = History()
    rng = random.Random(20261125)
    server = start_server(db, toml, log_dir=tmp_path)
    try:
        for round_no, kill_after in enumerate(KILL_AFTER_ACKS, start=1):
            acks = await burst(server, round_no, kill_after, history, rng)
            assert acks >= kill_after
            assert not server.alive()
            server = start_server(db, toml, log_dir=tmp_path)  # same database, same file
            await verify(server, history, round_no)
    finally:
        server.stop()

    with open_store(db) as store:
        sums = {k: v for k, v in store.ledger_sums().items() if v}
        totals = {k: v for k, v in store.account_totals().items() if v}
        assert sums == totals
        fills = store.reader().fills()
    received_fills = {m["fillId"] for msgs in history.received.values() for m in msgs if m.get("type") == "FILL"}
    assert received_fills <= {f.fill_id for f in fills}
    assert len({f.fill_id for f in fills}) == len(fills)
