"""avex.client without a server: frame builders, exact money, seq tracking, duplicate suppression, and the
connection logic (login stash, PONG swallowing, reconnect + RESYNC replay) over a scripted transport.

Against the real server: tests/integration/test_client.py."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from avex.client import Client, ClientClosed, Deduper, LoginError, SeqTracker, UnexpectedMessage, wire
from avex.client.transport import TransportClosed

# --- wire ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("16.50"), "16.50"), (17, "17"), ("12.345", "12.345"), (0.1, "0.1"), (16.5, "16.5"),
    (1e-7, "1E-7"), (Decimal("1000000.00"), "1000000.00"), (" 3.25 ", "3.25"),
])
def test_money_goes_out_as_the_json_number_of_its_digits(value: Any, text: str) -> None:
    encoded = wire.encode({"limitPrice": wire.money(value)})
    assert encoded == '{"limitPrice":' + text + "}"
    assert json.loads(encoded, parse_float=Decimal)["limitPrice"] == Decimal(text)


def test_float_arithmetic_noise_is_not_invented() -> None:
    assert wire.encode(wire.order("c", "BUY", "LIMIT", "GUACA", 1, limit_price=0.1 + 0.2)) == (
        '{"type":"ORDER","clOrdID":"c","side":"BUY","mode":"LIMIT","product":"GUACA","qty":1,'
        '"limitPrice":0.30000000000000004}'
    )  # the caller's float is sent as is; Decimal or str avoid it
    assert '"limitPrice":0.3}' in wire.encode(wire.order("c", "BUY", "LIMIT", "GUACA", 1, limit_price="0.3"))


@pytest.mark.parametrize("bad", [True, Decimal("NaN"), Decimal("Infinity"), float("inf"), "abc", "", None, [1]])
def test_money_refuses_what_is_not_a_finite_number(bad: Any) -> None:
    with pytest.raises(ValueError):
        wire.money(bad)


def test_builders_omit_absent_fields_and_format_times() -> None:
    assert wire.order("a", "SELL", "MARKET", "FOSFO", 3) == {
        "type": "ORDER", "clOrdID": "a", "side": "SELL", "mode": "MARKET", "product": "FOSFO", "qty": 3}
    when = datetime(2026, 11, 25, 13, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    frame = wire.order("b", "BUY", "LIMIT", "GUACA", 1, limit_price=10, expires_at=when, message="m",
                       debug_mode="TEAM_ONLY")
    assert frame["expiresAt"] == "2026-11-25T12:00:00.123456Z"
    assert (frame["message"], frame["debugMode"], frame["limitPrice"]) == ("m", "TEAM_ONLY", 10)
    assert wire.format_timestamp(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000000Z"  # naive = UTC
    assert wire.format_timestamp("yesterday") == "yesterday"
    assert wire.cancel("x") == {"type": "CANCEL", "clOrdID": "x"}
    assert wire.accept_offer("OFF-1") == {"type": "ACCEPT_OFFER", "offerId": "OFF-1", "accept": True}
    assert wire.accept_offer("OFF-1", 2, "11.5") == {"type": "ACCEPT_OFFER", "offerId": "OFF-1", "accept": True,
                                                    "quantityOffered": 2, "priceOffered": Decimal("11.5")}
    assert wire.decline_offer("OFF-1") == {"type": "ACCEPT_OFFER", "offerId": "OFF-1", "accept": False}
    assert wire.produce("PITA", 2) == {"type": "PRODUCTION_UPDATE", "product": "PITA", "quantity": 2}
    assert wire.resync() == {"type": "RESYNC"}
    assert wire.resync(last_seq=0) == {"type": "RESYNC", "lastSeq": 0}
    assert wire.resync(last_sync=datetime(2000, 1, 1, tzinfo=UTC)) == {
        "type": "RESYNC", "lastSync": "2000-01-01T00:00:00.000000Z"}
    assert wire.request_performance_report() == {"type": "REQUEST_PERFORMANCE_REPORT"}
    assert wire.request_performance_report("team", "TeamB", "2026-01-01T00:00:00Z") == {
        "type": "REQUEST_PERFORMANCE_REPORT", "scope": "team", "teamName": "TeamB",
        "startTime": "2026-01-01T00:00:00Z"}
    assert wire.request_order_book("GUACA") == {"type": "REQUEST_ORDER_BOOK", "product": "GUACA"}
    assert [wire.ping(), wire.get_inventory(), wire.request_all_orders()] == [
        {"type": "PING"}, {"type": "GET_INVENTORY"}, {"type": "REQUEST_ALL_ORDERS"}]


def test_incoming_money_is_decimal_and_integers_stay_integers() -> None:
    frame = wire.decode('{"balance":870.5,"reserved":0,"roi":1e2,"fillQty":5}')
    assert frame == {"balance": Decimal("870.5"), "reserved": 0, "roi": Decimal("1e2"), "fillQty": 5}
    assert type(frame["fillQty"]) is int and type(frame["balance"]) is Decimal


# --- tracking -----------------------------------------------------------------------------------------------

def test_last_seq_follows_messages_and_complete_replays_only() -> None:
    t = SeqTracker()
    t.observe({"type": "LOGIN_OK", "seq": 4})
    t.observe({"type": "PONG"})
    t.observe({"type": "ORDER_ACK", "seq": 6})
    t.observe({"type": "TICKER", "seq": 5})
    assert t.last_seq == 6
    t.observe({"type": "EVENT_DELTA", "seq": 90, "more": True, "events": [{"seq": 7}, {"seq": 8}]})
    assert t.last_seq == 8  # the replay stopped early: 9..90 still to ask for
    t.observe({"type": "EVENT_DELTA", "seq": 90, "more": False, "events": [{"seq": 20}]})
    assert t.last_seq == 90
    t.observe({"type": "ERROR", "seq": True})
    assert t.last_seq == 90


def test_deduper_drops_same_seq_and_content_only() -> None:
    d = Deduper(capacity=2)
    fill = {"type": "FILL", "seq": 3, "fillId": "F-3-1", "fillQty": 1}
    assert not d.seen(fill)
    assert d.seen(dict(reversed(list(fill.items()))))  # key order does not matter
    assert not d.seen({**fill, "fillQty": 2})  # other content, same seq: a different message
    assert not d.seen({"type": "PONG"}) and not d.seen({"type": "PONG"})  # no seq: never a duplicate
    assert not d.seen({**fill, "seq": 4})
    assert len(d) == 2
    assert not d.seen(fill)  # forgotten beyond capacity


# --- the connection, over a scripted transport --------------------------------------------------------------

_CLOSE = object()


class Scripted:
    """A transport whose server side is a function: each frame sent returns the frames to answer."""

    def __init__(self, answer: Any = None) -> None:
        self.answer = answer or (lambda frame: [])
        self.sent: list[Any] = []
        self.incoming: asyncio.Queue[Any] = asyncio.Queue()
        self.closed = False

    def push(self, *frames: dict[str, Any]) -> None:
        for f in frames:
            self.incoming.put_nowait(wire.encode(f))

    def drop(self) -> None:
        self.incoming.put_nowait(_CLOSE)

    async def send(self, data: str | bytes) -> None:
        if self.closed:
            raise TransportClosed(1006)
        frame = json.loads(data) if isinstance(data, str) else data
        self.sent.append(frame)
        self.push(*self.answer(frame))

    async def recv(self) -> str | bytes:
        item = await self.incoming.get()
        if item is _CLOSE:
            self.closed = True
            raise TransportClosed(1011, "gone")
        return item

    async def close(self) -> None:
        self.closed = True
        self.incoming.put_nowait(_CLOSE)


def opener_of(*transports: Scripted) -> Any:
    queue = list(transports)

    async def open_(url: str, timeout: float) -> Scripted:
        if not queue:
            raise OSError("no more transports")
        return queue.pop(0)

    return open_


def login_ok(seq: int) -> dict[str, Any]:
    return {"type": "LOGIN_OK", "team": "TeamA", "admin": False, "seq": seq}


async def test_login_keeps_earlier_replies_queued_and_raises_login_errors() -> None:
    def answer(frame: dict[str, Any]) -> list[dict[str, Any]]:
        if frame["type"] == "LOGIN":
            if frame["token"] == "TK-A":
                return [{"type": "ECHO", "original": {"type": "X"}}, login_ok(7)]
            return [{"type": "ERROR", "code": "AUTH_FAILED", "reason": "Invalid token"}]
        return []

    t = Scripted(answer)
    c = await Client.connect("ws://x", ping_interval=None, opener=opener_of(t))
    with pytest.raises(LoginError) as info:
        await c.login("TK-B")
    assert (info.value.code, info.value.reason) == ("AUTH_FAILED", "Invalid token")
    assert (await c.login("TK-A"))["seq"] == 7
    assert (c.team, c.last_seq) == ("TeamA", 7)
    assert await c.recv(timeout=1) == {"type": "ECHO", "original": {"type": "X"}}
    t.push({"type": "TICKER", "seq": 8}, {"type": "BALANCE_UPDATE", "seq": 9})
    with pytest.raises(UnexpectedMessage):
        await c.expect("ORDER_ACK", timeout=1)
    await c.close()
    with pytest.raises(ClientClosed):
        await c.recv(timeout=1)


async def test_automatic_pings_are_sent_and_their_pongs_swallowed() -> None:
    t = Scripted(lambda f: [{"type": "PONG"}] if f["type"] == "PING" else [])
    async with Client.connect("ws://x", ping_interval=0.05, opener=opener_of(t)) as c:
        await asyncio.sleep(0.18)
        assert len([f for f in t.sent if f == {"type": "PING"}]) >= 2
        assert c.pending() == []  # automatic PONGs are not delivered
        await c.ping()
        assert (await c.expect("PONG", timeout=1))["type"] == "PONG"  # the caller's own PING is


async def test_a_dead_connection_is_dropped_after_three_unanswered_pings() -> None:
    t = Scripted()  # never answers
    c = await Client.connect("ws://x", ping_interval=0.02, opener=opener_of(t))
    await c.wait_closed(2)
    assert [f for f in t.sent if f["type"] == "PING"] == [{"type": "PING"}] * 3
    await c.close()


async def test_reconnect_replays_missed_messages_once_and_in_seq_order() -> None:
    first = Scripted(lambda f: [login_ok(3)] if f["type"] == "LOGIN" else [])
    fill5 = {"type": "FILL", "seq": 5, "fillId": "F-5-1"}
    bal5 = {"type": "BALANCE_UPDATE", "seq": 5, "balance": 1}
    ack6 = {"type": "ORDER_ACK", "seq": 6, "clOrdID": "x", "status": "PENDING"}
    ack7 = {"type": "ORDER_ACK", "seq": 7, "clOrdID": "y", "status": "PENDING"}

    def second_answer(frame: dict[str, Any]) -> list[dict[str, Any]]:
        if frame["type"] == "LOGIN":
            return [login_ok(6), ack7]  # ack7: live, already after the new login
        if frame == {"type": "RESYNC", "lastSeq": 4}:
            return [{"type": "EVENT_DELTA", "seq": 6, "more": True, "events": [fill5, bal5]}]
        if frame == {"type": "RESYNC", "lastSeq": 5}:
            return [{"type": "EVENT_DELTA", "seq": 7, "more": False, "events": [ack6, ack7]}]
        return []

    second = Scripted(second_answer)
    c = await Client.connect("ws://x", token="TK-A", ping_interval=None, reconnect=True,
                             reconnect_delay=(0.01, 0.02), opener=opener_of(first, second))
    first.push({"type": "ORDER_ACK", "seq": 4, "clOrdID": "w", "status": "PENDING"})
    assert (await c.recv(timeout=1))["seq"] == 4
    first.drop()
    got = [await c.recv(timeout=2) for _ in range(4)]
    assert got == [fill5, bal5, ack6, ack7]  # the replay first, then the held live frame, without its copy
    assert c.pending() == []
    assert (c.reconnects, c.close_code, c.last_seq) == (1, 1011, 7)
    assert [f["type"] for f in second.sent] == ["LOGIN", "RESYNC", "RESYNC"]
    await c.send({"type": "PING"})  # sends go to the new connection
    assert second.sent[-1] == {"type": "PING"}
    await c.close()
    assert c.closed


async def test_a_refused_re_login_ends_the_client() -> None:
    first = Scripted(lambda f: [login_ok(0)] if f["type"] == "LOGIN" else [])
    second = Scripted(lambda f: [{"type": "ERROR", "code": "AUTH_FAILED", "reason": "Invalid token"}])
    c = await Client.connect("ws://x", token="TK-A", ping_interval=None, reconnect=True,
                             reconnect_delay=(0.01, 0.02), opener=opener_of(first, second))
    first.drop()
    await c.wait_closed(2)
    assert "re-login refused" in c.close_reason
    with pytest.raises(ClientClosed):
        await c.send({"type": "PING"})
    await c.close()
