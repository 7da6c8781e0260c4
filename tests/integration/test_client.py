"""avex.client against a real server: the stream ends when the server closes it; with ``reconnect=True`` the
client reopens, logs in again and replays what it missed (RESYNC lastSeq) exactly once — also across a server
restart that expired an order while it was down."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from avex.client import Client, ClientClosed, LoginError, UnexpectedMessage

from .harness import CONFORMANCE_TOML, ServerProcess, strip_times

TOO_BIG = '{"type":"PING","pad":"' + "x" * 20_000 + '"}'  # over the default 16384 bytes: close 1009


@pytest.fixture
def server(servers: Callable[..., ServerProcess], tmp_path: Path) -> ServerProcess:
    return servers(str(tmp_path / "avex.db"), CONFORMANCE_TOML)


async def test_login_helpers_and_the_stream(server: ServerProcess) -> None:
    async with Client.connect(server.url) as c:
        with pytest.raises(LoginError) as info:
            await c.login("TK-NOPE")
        assert (info.value.code, info.value.reason) == ("AUTH_FAILED", "Invalid token")
        await c.order("early", "BUY", "LIMIT", "GUACA", 1, limit_price=1)  # refused: not logged in yet
        ok = await c.login("TK-B")
        assert (ok["team"], c.team, c.admin, c.last_seq) == ("TeamB", "TeamB", False, 0)
        # the refusal sent before LOGIN_OK stays queued for the caller
        assert strip_times(await c.recv(timeout=5)) == {"type": "ERROR", "code": "AUTH_FAILED",
                                                        "reason": "Must login first"}
        await c.order("b1", "BUY", "LIMIT", "GUACA", 2, limit_price=Decimal("12.34"), message="hi")
        ack = await c.expect("ORDER_ACK")
        assert (ack["clOrdID"], ack["seq"], c.last_seq) == ("b1", 1, 1)
        balance = await c.expect("BALANCE_UPDATE")
        assert (balance["reserved"], balance["available"]) == (Decimal("24.68"), Decimal("975.32"))
        await c.get_inventory()
        with pytest.raises(UnexpectedMessage):
            await c.expect("BALANCE_UPDATE")  # INVENTORY_UPDATE comes first
        assert (await c.expect("BALANCE_UPDATE"))["reserved"] == Decimal("24.68")
        await c.request_order_book("GUACA")
        book = await c.expect("ORDER_BOOK_UPDATE", skip=("TICKER",))
        assert [o["price"] for o in book["buyOrders"]] == [Decimal("12.34")]
        await c.request_performance_report(scope="global")
        assert (await c.expect("GLOBAL_PERFORMANCE_REPORT"))["totalTrades"] == 0
        await c.cancel("b1")
        assert (await c.expect("ORDER_ACK"))["reason"] == "USER"
        await c.produce("PITA", 5)
        assert (await c.expect("INVENTORY_UPDATE", skip=("TICKER", "BALANCE_UPDATE")))["inventory"]["PITA"] == 15
        await c.resync(last_seq=0)
        delta = await c.expect("EVENT_DELTA", skip=("TICKER", "ORDER_BOOK_UPDATE", "BALANCE_UPDATE"))
        assert [e["type"] for e in delta["events"]][:2] == ["ORDER_ACK", "BALANCE_UPDATE"]
        assert c.last_seq == delta["seq"]
        with pytest.raises(TimeoutError):
            await c.expect("FILL", timeout=0.2, skip=("TICKER", "BALANCE_UPDATE", "INVENTORY_UPDATE"))


async def test_without_reconnect_the_stream_ends_when_the_server_closes(server: ServerProcess) -> None:
    c = await Client.connect(server.url, token="TK-C")
    await c.send_raw(TOO_BIG)
    received = [m async for m in c]  # ends at the close
    assert received == []
    assert (c.closed, c.close_code) == (True, 1009)
    with pytest.raises(ClientClosed):
        await c.ping()
    await c.close()


async def test_reconnect_logs_in_again_and_replays_what_was_missed_once(server: ServerProcess) -> None:
    async with Client.connect(server.url, token="TK-A", reconnect=True, reconnect_delay=(0.5, 1.0)) as a, \
            Client.connect(server.url, token="TK-B") as b:
        await a.order("a1", "SELL", "LIMIT", "GUACA", 3, limit_price=15)
        assert (await a.expect("ORDER_ACK"))["seq"] == 1
        await a.expect("INVENTORY_UPDATE")
        await a.send_raw(TOO_BIG)  # the server closes A (1009); A is away for at least 0.5 s
        await asyncio.sleep(0.1)
        await b.order("b1", "BUY", "LIMIT", "GUACA", 2, limit_price=15)  # trades with A while A is away
        await b.expect("ORDER_ACK")
        fill_b = await b.expect("FILL")
        # A gets it all after reconnecting: from the RESYNC replay, once, in order
        fill = await a.expect("FILL", timeout=10)
        assert (fill["clOrdID"], fill["fillId"], fill["remainingQty"]) == ("a1", fill_b["fillId"], 1)
        assert (await a.expect("BALANCE_UPDATE"))["balance"] == 1030
        assert (await a.expect("INVENTORY_UPDATE"))["inventory"]["GUACA"] == 18
        assert a.reconnects == 1 and a.close_code == 1009
        assert a.last_seq == 2
        # and the connection is live again
        await a.cancel("a1")
        assert (await a.expect("ORDER_ACK"))["seq"] == 3
        await a.expect("INVENTORY_UPDATE")
        rest = await a.collect(0.3, skip=("TICKER",))
        assert rest == []


async def test_reconnect_across_a_server_restart_gets_the_expiry_applied_at_start(
    servers: Callable[..., ServerProcess], tmp_path: Path,
) -> None:
    db = str(tmp_path / "restart.db")
    first = servers(db, CONFORMANCE_TOML)
    async with Client.connect(first.url, token="TK-A", reconnect=True, reconnect_delay=(0.2, 0.5)) as a:
        expires = datetime.now(UTC) + timedelta(seconds=1.5)
        await a.order("soon", "SELL", "LIMIT", "FOSFO", 1, limit_price=20, expires_at=expires)
        assert (await a.expect("ORDER_ACK"))["status"] == "PENDING"
        await a.expect("INVENTORY_UPDATE")
        first.stop()  # the order expires while the server is down (shutdown alone takes about 2 s)
        await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()))
        second = servers(db, None, port=first.port)
        expired = await a.expect("ORDER_ACK", timeout=15)
        assert (expired["clOrdID"], expired["status"], expired["reason"]) == ("soon", "CANCELLED", "EXPIRED")
        inventory = await a.expect("INVENTORY_UPDATE")
        assert inventory["available"]["FOSFO"] == inventory["inventory"]["FOSFO"] == 10
        assert a.reconnects >= 1 and a.last_seq == expired["seq"] == 2
        assert second.health() == {"status": "ok", "seq": 2}
