"""PROTOCOL.md §8, steps 1–35, in order, as written, against a real server (SQLite and PostgreSQL).

Frames are compared exactly once the fields the listings omit are removed (``serverTime``, ``timestamp``,
``time``, ``createdAt``, ``updatedAt``, ``expiresAt``; FILL's ``teamName`` must name the receiver). TICKER and
ORDER_BOOK_UPDATE pushes and the admin's FILL copies are skipped unless a step shows them. At the end of every
step all connections stay quiet for a moment: nothing else arrives.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from avex.client import Client

from .harness import ServerProcess, expand, same_frame, strip_times

QUIET_S = 0.25
STEP_TIMEOUT_S = 5.0
PUSHES = ("TICKER", "ORDER_BOOK_UPDATE")
TEAM_OF = {"A": "TeamA", "B": "TeamB", "C": "TeamC", "D": "TeamD", "Adm": "admin", "N": None}
DEFAULT_ROLE = '{"branches":2,"maxDepth":4,"decay":0.75,"budget":25,"baseEnergy":3,"levelEnergy":2}'


class Scenario:
    """The connections of §8 by their listing names (A, B, C, D, Adm, N), with everything each received."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conns: dict[str, Client] = {}
        self.log: dict[str, list[dict[str, Any]]] = {}
        self.marks: dict[str, float] = {}

    async def open(self, name: str) -> Client:
        self.conns[name] = await Client.connect(self.url, ping_interval=None)
        self.log[name] = []
        return self.conns[name]

    async def close(self) -> None:
        for c in self.conns.values():
            await c.close()

    async def send(self, name: str, frame: str | dict[str, Any]) -> None:
        """Send a listing's frame as written (``null`` kept, numbers from their literal)."""
        obj = json.loads(frame, parse_float=Decimal) if isinstance(frame, str) else frame
        await self.conns[name].send(obj)

    def _skipped(self, name: str, msg: dict[str, Any], keep: tuple[str, ...]) -> bool:
        kind = msg.get("type")
        if kind in keep:
            return False
        if kind in PUSHES:
            return True
        # the admin's copies of other teams' FILLs
        return name == "Adm" and kind == "FILL" and msg.get("teamName") != "admin"

    async def next(self, name: str, keep: tuple[str, ...] = ()) -> dict[str, Any]:
        """The next frame on ``name`` that a listing would show."""
        while True:
            try:
                msg = await self.conns[name].recv(timeout=STEP_TIMEOUT_S)
            except TimeoutError:
                raise AssertionError(f"{name}: nothing arrived within {STEP_TIMEOUT_S} s") from None
            self.log[name].append(msg)
            if not self._skipped(name, msg, keep):
                return msg

    async def got(self, name: str, *listings: str, keep: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """The next frames on ``name`` are exactly these listings, in this order."""
        frames = []
        for listing in listings:
            frame = await self.next(name, keep)
            try:
                same_frame(frame, listing, TEAM_OF[name])
            except AssertionError as exc:
                raise AssertionError(f"{name}← {exc}") from None
            frames.append(frame)
        return frames

    async def error(self, name: str, code: str, reason: str, cl: str | None = None, seq: int | None = None) -> None:
        want: dict[str, Any] = {"type": "ERROR", "code": code, "reason": reason}
        if cl is not None:
            want["clOrdID"] = cl
        if seq is not None:
            want["seq"] = seq
        await self.got(name, json.dumps(want))

    async def quiet(self, duration: float = QUIET_S) -> None:
        """Nothing a listing would show arrives on any connection for ``duration`` seconds."""

        async def one(name: str) -> list[dict[str, Any]]:
            msgs = await self.conns[name].collect(duration)
            self.log[name].extend(msgs)
            return [m for m in msgs if not self._skipped(name, m, ())]

        extra = dict(zip(self.conns, await asyncio.gather(*(one(n) for n in self.conns))))
        extra = {n: m for n, m in extra.items() if m}
        assert not extra, f"unexpected frames: {extra}"


def order(cl: str, side: str, mode: str, product: str, qty: int, price: str | None = None, **more: Any) -> str:
    frame = f'{{"type":"ORDER","clOrdID":"{cl}","side":"{side}","mode":"{mode}","product":"{product}","qty":{qty}'
    if price is not None:
        frame += f',"limitPrice":{price}'
    for key, value in more.items():
        frame += f',"{key}":{json.dumps(value)}'
    return frame + "}"


# --- the steps -------------------------------------------------------------------------------------------------

async def step_01(s: Scenario) -> None:
    await s.open("N")
    await s.send("N", '{"type":"PING","timestamp":"2026-11-25T12:00:00.123456Z"}')
    await s.got("N", '{"type":"PONG"}')


async def step_02(s: Scenario) -> None:
    await s.send("N", '{"type":"HELLO"}')
    await s.got("N", '{"type":"ECHO","original":{"type":"HELLO"},"authenticated":false}')


async def step_03(s: Scenario) -> None:
    n = s.conns["N"]
    await n.send_raw("hello")
    frame = await s.next("N")
    prefix = "Message processing failed: invalid JSON: "
    assert frame["type"] == "ERROR" and frame["code"] == "INVALID_MESSAGE", frame
    assert frame["reason"].startswith(prefix) and len(frame["reason"]) > len(prefix), frame
    assert set(strip_times(frame)) == {"type", "code", "reason"}, frame
    await n.send_raw("[1,2]")
    await s.error("N", "INVALID_MESSAGE", "Message processing failed: invalid JSON: message must be a JSON object")
    await n.send_raw(b"\x00\x01binary")
    await s.error("N", "INVALID_MESSAGE", "Message processing failed: binary frames are not supported")
    assert not n.closed


async def step_04(s: Scenario) -> None:
    await s.send("N", order("x1", "BUY", "MARKET", "GUACA", 1))
    await s.error("N", "AUTH_FAILED", "Must login first")
    await s.send("N", '{"type":"GET_ALL_TEAMS"}')
    await s.error("N", "AUTH_FAILED", "Admin access required")


async def step_05(s: Scenario) -> None:
    await s.send("N", '{"type":"LOGIN","token":""}')
    await s.error("N", "AUTH_FAILED", "Token is required")
    await s.send("N", '{"type":"LOGIN","token":"BAD-TOKEN"}')
    await s.error("N", "AUTH_FAILED", "Invalid token")
    await s.send("N", '{"type":"LOGIN","token":"TK-NOPE"}')
    await s.error("N", "AUTH_FAILED", "Invalid token")


LOGIN_OK = {
    "A": '{"type":"LOGIN_OK","team":"TeamA","species":"Monjes de Fosforescencia","initialBalance":1000,'
         '"currentBalance":1000,"inventory":{20,10,0,0},"authorizedProducts":["FOSFO","GUACA"],'
         '"recipes":{"FOSFO":{"type":"BASIC","ingredients":{},"premiumBonus":1},'
         '"GUACA":{"type":"PREMIUM","ingredients":{"PITA":2},"premiumBonus":1.3}},'
         '"role":{"branches":1,"maxDepth":2,"decay":1,"budget":0,"baseEnergy":3,"levelEnergy":2},'
         '"admin":false,"tournamentState":"OPEN","seq":0}',
    "B": '{"type":"LOGIN_OK","team":"TeamB","species":"Cosechadores de Pita","initialBalance":1000,'
         '"currentBalance":1000,"inventory":{0,0,10,0},"authorizedProducts":["PITA","SEBO"],'
         '"recipes":{"PITA":{"type":"BASIC","ingredients":{},"premiumBonus":1},'
         '"SEBO":{"type":"PREMIUM","ingredients":{"FOSFO":1},"premiumBonus":1.3}},'
         f'"role":{DEFAULT_ROLE},"admin":false,"tournamentState":"OPEN","seq":0}}',
    "C": '{"type":"LOGIN_OK","team":"TeamC","species":"","initialBalance":50,"currentBalance":50,'
         '"inventory":{0,0,0,0},"authorizedProducts":[],"recipes":{},'
         f'"role":{DEFAULT_ROLE},"admin":false,"tournamentState":"OPEN","seq":0}}',
    "D": '{"type":"LOGIN_OK","team":"TeamD","species":"","initialBalance":100,"currentBalance":100,'
         '"inventory":{0,0,0,0},"authorizedProducts":[],"recipes":{},'
         f'"role":{DEFAULT_ROLE},"admin":false,"tournamentState":"OPEN","seq":0}}',
    "Adm": '{"type":"LOGIN_OK","team":"admin","species":"","initialBalance":0,"currentBalance":0,'
           '"inventory":{0,0,0,0},"authorizedProducts":[],"recipes":{},'
           f'"role":{DEFAULT_ROLE},"admin":true,"tournamentState":"OPEN","seq":0}}',
}
TOKENS = {"A": "TK-A", "B": "TK-B", "C": "TK-C", "D": "TK-D", "Adm": "TK-ADMIN"}


async def step_06(s: Scenario) -> None:
    for name, token in TOKENS.items():
        await s.open(name)
        await s.send(name, f'{{"type":"LOGIN","token":"{token}","tz":"UTC"}}')
        await s.got(name, LOGIN_OK[name])


STEP7 = [
    ({}, "INVALID_MESSAGE", "Order ID (clOrdID) is required", False),
    ({"clOrdID": "d2", "qty": "5"}, "INVALID_MESSAGE", "Invalid ORDER message format", False),
    ({"clOrdID": "d3", "product": None}, "INVALID_PRODUCT", "Product is required", True),
    ({"clOrdID": "d4", "side": "buy"}, "INVALID_MESSAGE", "Side must be BUY or SELL", True),
    ({"clOrdID": "d5", "qty": 0}, "INVALID_QUANTITY", "Quantity must be positive", True),
    ({"clOrdID": "d6", "mode": "STOP"}, "INVALID_MESSAGE", "Mode must be MARKET or LIMIT", True),
    ({"clOrdID": "d7", "limitPrice": Decimal("0.004")}, "INVALID_MESSAGE",
     "Limit price must be positive for LIMIT orders", True),
    ({"clOrdID": "d8", "product": "USD"}, "INVALID_PRODUCT", "invalid product: USD", True),
    ({"clOrdID": "d9", "message": "x" * 201}, "INVALID_ORDER", "message too long (max 200 characters)", True),
    ({"clOrdID": "d10", "expiresAt": "tomorrow"}, "INVALID_MESSAGE", "Invalid expiresAt timestamp format", True),
]
BASE7: dict[str, Any] = {"type": "ORDER", "side": "BUY", "mode": "LIMIT", "product": "GUACA", "qty": 1,
                         "limitPrice": 10}


async def step_07(s: Scenario) -> None:
    s.marks["step7"] = time.monotonic()
    for change, code, reason, with_cl in STEP7:
        await s.send("D", {**BASE7, **change})
        await s.error("D", code, reason, change["clOrdID"] if with_cl else None)


async def step_08(s: Scenario) -> None:
    await s.send("D", {**BASE7, "clOrdID": "d11"})
    await s.error("D", "RATE_LIMIT_EXCEEDED", "Too many orders per minute", "d11")
    assert time.monotonic() - s.marks["step7"] < 6, "step 8 must run within 6 s of step 7"
    await s.send("D", '{"type":"PING"}')
    await s.got("D", '{"type":"PONG"}')


async def step_09(s: Scenario) -> None:
    s.marks["step9"] = time.monotonic()
    await s.send("A", order("A-S1", "SELL", "LIMIT", "GUACA", 5, "16.00", message="fresh"))
    await s.got("A", '{"type":"ORDER_ACK","clOrdID":"A-S1","status":"PENDING","seq":1}',
                '{"type":"INVENTORY_UPDATE","inventory":{20,10,0,0},"available":{15,10,0,0},"seq":1}')


async def step_10(s: Scenario) -> None:
    await s.send("A", order("A-S2", "SELL", "LIMIT", "GUACA", 5, "16.5"))
    await s.got("A", '{"type":"ORDER_ACK","clOrdID":"A-S2","status":"PENDING","seq":2}',
                '{"type":"INVENTORY_UPDATE","inventory":{20,10,0,0},"available":{10,10,0,0},"seq":2}')
    await s.send("A", '{"type":"GET_INVENTORY"}')
    await s.got("A", '{"type":"INVENTORY_UPDATE","inventory":{20,10,0,0},"available":{10,10,0,0},"seq":2}',
                '{"type":"BALANCE_UPDATE","balance":1000,"available":1000,"reserved":0,"seq":2}')


async def step_11(s: Scenario) -> None:
    await asyncio.sleep(max(0.0, s.marks["step9"] + 0.3 - time.monotonic()))
    await s.send("B", order("B-B1", "BUY", "LIMIT", "GUACA", 8, "17", message="thanks"))
    fills_b = [
        '{"type":"FILL","clOrdID":"B-B1","fillQty":5,"fillPrice":16,"side":"BUY","product":"GUACA",'
        '"counterparty":"TeamA","counterpartyMessage":"fresh","remainingQty":3,"totalQty":8,"fillId":"F-3-1","seq":3}',
        '{"type":"FILL","clOrdID":"B-B1","fillQty":3,"fillPrice":16.5,"side":"BUY","product":"GUACA",'
        '"counterparty":"TeamA","counterpartyMessage":"","remainingQty":0,"totalQty":8,"fillId":"F-3-2","seq":3}',
    ]
    fills_a = [
        '{"type":"FILL","clOrdID":"A-S1","fillQty":5,"fillPrice":16,"side":"SELL","product":"GUACA",'
        '"counterparty":"TeamB","counterpartyMessage":"thanks","remainingQty":0,"totalQty":5,"fillId":"F-3-1",'
        '"seq":3}',
        '{"type":"FILL","clOrdID":"A-S2","fillQty":3,"fillPrice":16.5,"side":"SELL","product":"GUACA",'
        '"counterparty":"TeamB","counterpartyMessage":"thanks","remainingQty":2,"totalQty":5,"fillId":"F-3-2",'
        '"seq":3}',
    ]
    await s.got("B", '{"type":"ORDER_ACK","clOrdID":"B-B1","status":"PENDING","seq":3}', *fills_b,
                '{"type":"BALANCE_UPDATE","balance":870.5,"available":870.5,"reserved":0,"seq":3}',
                '{"type":"INVENTORY_UPDATE","inventory":{8,0,10,0},"available":{8,0,10,0},"seq":3}')
    await s.got("A", *fills_a,
                '{"type":"BALANCE_UPDATE","balance":1129.5,"available":1129.5,"reserved":0,"seq":3}',
                '{"type":"INVENTORY_UPDATE","inventory":{12,10,0,0},"available":{10,10,0,0},"seq":3}')
    # The admin's copies, per fill the buyer's then the seller's, each with the owner's teamName.
    copies = [(fills_b[0], "TeamB"), (fills_a[0], "TeamA"), (fills_b[1], "TeamB"), (fills_a[1], "TeamA")]
    for listing, owner in copies:
        frame = await s.next("Adm", keep=("FILL",))
        same_frame(frame, listing, owner)
    await s.quiet(0.4)
    ticker = expand('{"type":"TICKER","product":"GUACA","bestAsk":16.5,"lastPrice":16.5,"volume24h":8,"seq":3}')
    for name in ("A", "B", "C", "D", "Adm"):
        tickers = [strip_times(m) for m in s.log[name] if m.get("type") == "TICKER" and m.get("seq") == 3]
        assert tickers == [ticker], f"{name}: TICKER pushes of seq 3: {tickers}"
    assert not [m for m in s.log["N"] if m.get("type") == "TICKER"], "an anonymous connection got a TICKER"


async def step_12(s: Scenario) -> None:
    await s.send("B", '{"type":"ORDER","clOrdID":"B-M1","side":"BUY","mode":"MARKET","product":"GUACA","qty":5,'
                      '"limitPrice":null,"expiresAt":null,"message":null,"debugMode":null}')
    await s.got(
        "B",
        '{"type":"ORDER_ACK","clOrdID":"B-M1","status":"PENDING","seq":4}',
        '{"type":"FILL","clOrdID":"B-M1","fillQty":2,"fillPrice":16.5,"side":"BUY","product":"GUACA",'
        '"counterparty":"TeamA","counterpartyMessage":"","remainingQty":3,"totalQty":5,"fillId":"F-4-1","seq":4}',
        '{"type":"ORDER_ACK","clOrdID":"B-M1","status":"CANCELLED","reason":"MARKET_REMAINDER","seq":4}',
        '{"type":"BALANCE_UPDATE","balance":837.5,"available":837.5,"reserved":0,"seq":4}',
        '{"type":"INVENTORY_UPDATE","inventory":{10,0,10,0},"available":{10,0,10,0},"seq":4}',
    )
    await s.got(
        "A",
        '{"type":"FILL","clOrdID":"A-S2","fillQty":2,"fillPrice":16.5,"side":"SELL","product":"GUACA",'
        '"counterparty":"TeamB","counterpartyMessage":"","remainingQty":0,"totalQty":5,"fillId":"F-4-1","seq":4}',
        '{"type":"BALANCE_UPDATE","balance":1162.5,"available":1162.5,"reserved":0,"seq":4}',
        '{"type":"INVENTORY_UPDATE","inventory":{10,10,0,0},"available":{10,10,0,0},"seq":4}',
    )


async def step_13(s: Scenario) -> None:
    await s.send("C", order("C-B1", "BUY", "LIMIT", "GUACA", 4, "15"))
    await s.error("C", "INVALID_ORDER", "Insufficient balance: need 60.00, available 50.00", "C-B1", 5)


async def step_14(s: Scenario) -> None:
    await s.send("C", order("C-S1", "SELL", "LIMIT", "FOSFO", 1, "10"))
    await s.error("C", "INSUFFICIENT_INVENTORY", "Insufficient inventory for FOSFO: need 1, available 0", "C-S1", 6)


async def step_15(s: Scenario) -> None:
    await s.send("A", order("A-S3", "SELL", "LIMIT", "FOSFO", 4, "13"))
    await s.got("A", '{"type":"ORDER_ACK","clOrdID":"A-S3","status":"PENDING","seq":7}',
                '{"type":"INVENTORY_UPDATE","inventory":{10,10,0,0},"available":{10,6,0,0},"seq":7}')
    await s.send("A", order("A-B1", "BUY", "LIMIT", "FOSFO", 2, "13.5"))
    await s.error("A", "INVALID_ORDER", "Self-trade prevented: would match own order A-S3", "A-B1", 8)


async def step_16(s: Scenario) -> None:
    await s.send("A", order("A-S3", "SELL", "LIMIT", "FOSFO", 1, "14"))
    await s.error("A", "DUPLICATE_ORDER_ID", "duplicate order ID: A-S3", "A-S3")
    await s.send("B", order("A-S3", "SELL", "LIMIT", "PITA", 2, "9"))
    await s.got("B", '{"type":"ORDER_ACK","clOrdID":"A-S3","status":"PENDING","seq":9}',
                '{"type":"INVENTORY_UPDATE","inventory":{10,0,10,0},"available":{10,0,8,0},"seq":9}')


async def step_17(s: Scenario) -> None:
    await s.send("B", '{"type":"CANCEL","clOrdID":"A-S3"}')
    await s.got("B", '{"type":"ORDER_ACK","clOrdID":"A-S3","status":"CANCELLED","reason":"USER","seq":10}',
                '{"type":"INVENTORY_UPDATE","inventory":{10,0,10,0},"available":{10,0,10,0},"seq":10}')


async def step_18(s: Scenario) -> None:
    await s.send("B", '{"type":"CANCEL","clOrdID":"nope"}')
    await s.error("B", "INVALID_ORDER", "Order not found", "nope")
    await s.send("C", '{"type":"CANCEL","clOrdID":"A-S3"}')
    await s.error("C", "INVALID_ORDER", "Order not found", "A-S3")


async def step_19(s: Scenario) -> None:
    await s.send("A", '{"type":"CANCEL","clOrdID":"A-S1"}')
    await s.error("A", "INVALID_ORDER", "Cannot cancel filled order", "A-S1")
    await s.send("B", '{"type":"CANCEL","clOrdID":"A-S3"}')
    await s.error("B", "INVALID_ORDER", "Order already cancelled", "A-S3")
    await s.send("C", '{"type":"CANCEL","clOrdID":"C-B1"}')
    await s.error("C", "INVALID_ORDER", "Cannot cancel rejected order", "C-B1")


async def step_20(s: Scenario) -> None:
    await s.send("A", order("A-S4", "SELL", "LIMIT", "GUACA", 1, "30", expiresAt="2020-01-01T00:00:00Z"))
    await s.error("A", "INVALID_ORDER", "expiresAt is in the past", "A-S4", 11)
    expires = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sent = time.monotonic()
    await s.send("A", order("A-S5", "SELL", "LIMIT", "GUACA", 1, "30", expiresAt=expires))
    frames = await s.got("A", '{"type":"ORDER_ACK","clOrdID":"A-S5","status":"PENDING","seq":12}',
                         '{"type":"INVENTORY_UPDATE","inventory":{10,10,0,0},"available":{9,6,0,0},"seq":12}')
    await s.quiet(1.0)  # nothing before the expiry
    await s.got("A", '{"type":"ORDER_ACK","clOrdID":"A-S5","status":"CANCELLED","reason":"EXPIRED","seq":13}',
                '{"type":"INVENTORY_UPDATE","inventory":{10,10,0,0},"available":{10,6,0,0},"seq":13}')
    expired_at = s.log["A"][-1]["serverTime"]
    assert expired_at >= expires[:23] + "Z", f"expired at {expired_at}, before expiresAt {expires}"
    assert frames[0]["serverTime"] < expires
    await asyncio.sleep(max(0.0, sent + 3.0 - time.monotonic()))  # "Wait 3 s before step 21"


async def step_21(s: Scenario) -> None:
    await s.send("B", order("B-B2", "BUY", "LIMIT", "FOSFO", 3, "12"))
    await s.got("B", '{"type":"ORDER_ACK","clOrdID":"B-B2","status":"PENDING","seq":14}',
                '{"type":"BALANCE_UPDATE","balance":837.5,"available":801.5,"reserved":36,"seq":14}')
    (offer,) = await s.got("A", '{"type":"OFFER","offerId":"OFF-14","buyer":"TeamB","product":"FOSFO",'
                                '"quantityRequested":3,"maxPrice":12,"expiresIn":300000,"seq":14}')
    assert isinstance(offer.get("expiresAt"), str), offer
    await s.quiet(0.4)  # also lets the admin's ORDER_BOOK_UPDATE push of this change go by


BOOK_SELL = ('{"clOrdID":"A-S3","teamName":"TeamA","side":"SELL","mode":"LIMIT","product":"FOSFO","quantity":4,'
             '"price":13,"filledQty":0,"remainingQty":4,"status":"PENDING","seq":7}')


async def step_22(s: Scenario) -> None:
    await s.send("A", '{"type":"REQUEST_ORDER_BOOK","product":"FOSFO"}')
    await s.got("A", '{"type":"ORDER_BOOK_UPDATE","product":"FOSFO","seq":14,"buyOrders":[{"side":"BUY",'
                     '"mode":"LIMIT","product":"FOSFO","quantity":3,"price":12,"filledQty":0,"remainingQty":3,'
                     f'"status":"PENDING","seq":14}}],"sellOrders":[{BOOK_SELL}]}}', keep=("ORDER_BOOK_UPDATE",))
    await s.send("Adm", '{"type":"REQUEST_ORDER_BOOK","product":"FOSFO"}')
    await s.got("Adm", '{"type":"ORDER_BOOK_UPDATE","product":"FOSFO","seq":14,"buyOrders":[{"clOrdID":"B-B2",'
                       '"teamName":"TeamB","side":"BUY","mode":"LIMIT","product":"FOSFO","quantity":3,"price":12,'
                       '"filledQty":0,"remainingQty":3,"status":"PENDING","seq":14}],'
                       f'"sellOrders":[{BOOK_SELL}]}}', keep=("ORDER_BOOK_UPDATE",))


async def step_23(s: Scenario) -> None:
    await s.send("C", '{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":true}')
    await s.error("C", "OFFER_EXPIRED", "offer not found or expired: OFF-14")
    await s.send("A", '{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":true,"quantityOffered":0}')
    await s.error("A", "INVALID_QUANTITY", "Quantity must be positive")
    await s.send("A", '{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":true,"quantityOffered":2,'
                      '"priceOffered":12.5}')
    await s.error("A", "INVALID_ORDER", "Price 12.50 exceeds maxPrice 12.00")
    await s.send("A", '{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":false,"quantityOffered":null,'
                      '"priceOffered":null}')
    # (nothing is sent): checked by the quiet period that ends every step


async def step_24(s: Scenario) -> None:
    await s.send("A", '{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":true,"quantityOffered":2,'
                      '"priceOffered":11.5}')
    await s.got(
        "A",
        '{"type":"ORDER_ACK","clOrdID":"OFFER-15","status":"PENDING","seq":15}',
        '{"type":"FILL","clOrdID":"OFFER-15","fillQty":2,"fillPrice":11.5,"side":"SELL","product":"FOSFO",'
        '"counterparty":"TeamB","counterpartyMessage":"","remainingQty":0,"totalQty":2,"fillId":"F-15-1","seq":15}',
        '{"type":"BALANCE_UPDATE","balance":1185.5,"available":1185.5,"reserved":0,"seq":15}',
        '{"type":"INVENTORY_UPDATE","inventory":{10,8,0,0},"available":{10,4,0,0},"seq":15}',
    )
    await s.got(
        "B",
        '{"type":"FILL","clOrdID":"B-B2","fillQty":2,"fillPrice":11.5,"side":"BUY","product":"FOSFO",'
        '"counterparty":"TeamA","counterpartyMessage":"","remainingQty":1,"totalQty":3,"fillId":"F-15-1","seq":15}',
        '{"type":"BALANCE_UPDATE","balance":814.5,"available":802.5,"reserved":12,"seq":15}',
        '{"type":"INVENTORY_UPDATE","inventory":{10,2,10,0},"available":{10,2,10,0},"seq":15}',
    )


async def step_25(s: Scenario) -> None:
    await s.send("B", '{"type":"CANCEL","clOrdID":"B-B2"}')
    await s.got("B", '{"type":"ORDER_ACK","clOrdID":"B-B2","status":"CANCELLED","reason":"USER","seq":16}',
                '{"type":"BALANCE_UPDATE","balance":814.5,"available":814.5,"reserved":0,"seq":16}')
    await s.send("A", '{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":true}')
    await s.error("A", "OFFER_EXPIRED", "buy order is no longer active (status: CANCELLED)")


async def step_26(s: Scenario) -> None:
    s.marks["step26"] = time.monotonic()
    await s.send("A", '{"type":"PRODUCTION_UPDATE","product":"FOSFO","quantity":15}')
    await s.got("A", '{"type":"INVENTORY_UPDATE","inventory":{10,23,0,0},"available":{10,19,0,0},"seq":17}')


async def step_27(s: Scenario) -> None:
    await s.send("A", '{"type":"PRODUCTION_UPDATE","product":"FOSFO","quantity":16}')
    await s.error("A", "INVALID_QUANTITY", "Quantity exceeds the maximum of 15 for FOSFO")
    await s.send("A", '{"type":"PRODUCTION_UPDATE","product":"GUACA","quantity":21}')
    await s.error("A", "INVALID_QUANTITY", "Quantity exceeds the maximum of 20 for GUACA")


async def step_28(s: Scenario) -> None:
    assert time.monotonic() - s.marks["step26"] < 1.0, "step 28 must run within 1 s of step 26"
    await s.send("A", '{"type":"PRODUCTION_UPDATE","product":"FOSFO","quantity":1}')
    await s.error("A", "RATE_LIMIT_EXCEEDED", "Production cooldown: retry in 15 s")


async def step_29(s: Scenario) -> None:
    await s.send("A", '{"type":"PRODUCTION_UPDATE","product":"SEBO","quantity":1}')
    await s.error("A", "UNAUTHORIZED_PRODUCTION", "team not authorized to produce SEBO")
    await s.send("C", '{"type":"PRODUCTION_UPDATE","product":"PITA","quantity":1}')
    await s.error("C", "UNAUTHORIZED_PRODUCTION", "team not authorized to produce PITA")


async def step_30(s: Scenario) -> None:
    await s.send("A", '{"type":"PRODUCTION_UPDATE","product":"GUACA","quantity":1}')
    await s.error("A", "INSUFFICIENT_INVENTORY", "Insufficient ingredients for GUACA: need 2 PITA, available 0")
    await s.send("B", '{"type":"PRODUCTION_UPDATE","product":"SEBO","quantity":2}')
    await s.got("B", '{"type":"INVENTORY_UPDATE","inventory":{10,0,10,2},"available":{10,0,10,2},"seq":18}')


async def step_31(s: Scenario) -> None:
    live_b = [m for m in s.log["B"] if m.get("type") in ("ORDER_ACK", "FILL", "BALANCE_UPDATE", "INVENTORY_UPDATE",
                                                         "OFFER")]
    after_14 = [m for m in live_b if m["seq"] > 14]
    assert [(m["type"], m["seq"]) for m in after_14] == [
        ("FILL", 15), ("BALANCE_UPDATE", 15), ("INVENTORY_UPDATE", 15), ("ORDER_ACK", 16), ("BALANCE_UPDATE", 16),
        ("INVENTORY_UPDATE", 18)]
    await s.send("B", '{"type":"RESYNC","lastSeq":14}')
    delta = await s.next("B")
    same_frame({**delta, "events": []}, '{"type":"EVENT_DELTA","more":false,"seq":18,"events":[]}')
    # <B's FILL, BALANCE_UPDATE, INVENTORY_UPDATE of step 24>, <ORDER_ACK, BALANCE_UPDATE of step 25>,
    # <INVENTORY_UPDATE of step 30>: identical to the live frames, times included
    assert delta["events"] == after_14, f"\nreplay: {delta['events']}\n  live: {after_14}"
    await s.send("B", '{"type":"RESYNC","lastSync":"2000-01-01T00:00:00Z"}')
    fills = [m for m in live_b if m["type"] == "FILL"]
    assert [f["fillId"] for f in fills] == ["F-3-1", "F-3-2", "F-4-1", "F-15-1"]
    delta = await s.next("B")
    same_frame({**delta, "events": []}, '{"type":"EVENT_DELTA","more":false,"seq":18,"events":[]}')
    assert delta["events"] == fills, f"\nreplay: {delta['events']}\n  live: {fills}"
    await s.send("B", '{"type":"RESYNC","lastSync":"yesterday"}')
    await s.error("B", "INVALID_MESSAGE", "Invalid lastSync timestamp format")


async def step_32(s: Scenario) -> None:
    for frame in ('{"type":"ADMIN_BROADCAST","message":"hi"}',
                  '{"type":"ADD_INVENTORY","product":"FOSFO","quantity":100}',
                  '{"type":"REQUEST_PERFORMANCE_REPORT","teamName":"TeamB"}'):
        await s.send("A", frame)
        await s.error("A", "AUTH_FAILED", "Admin access required")


async def step_33(s: Scenario) -> None:
    cancel = '{"type":"ADMIN_CANCEL_ORDER","clOrdID":"A-S3","teamName":"TeamA"}'
    await s.send("Adm", cancel)
    await s.got("A", '{"type":"ORDER_ACK","clOrdID":"A-S3","status":"CANCELLED","reason":"ADMIN","seq":19}',
                '{"type":"INVENTORY_UPDATE","inventory":{10,23,0,0},"available":{10,23,0,0},"seq":19}')
    await s.got("Adm", '{"type":"ADMIN_ACTION_RESPONSE","action":"CANCEL_ORDER","success":true,'
                       '"message":"Successfully cancelled order A-S3","count":1,"seq":19}')
    await s.send("Adm", cancel)
    await s.error("Adm", "INVALID_ORDER", "Order already cancelled", "A-S3")


async def _control(s: Scenario, action: str, state: str, text: str, seq: int) -> None:
    await s.send("Adm", f'{{"type":"ADMIN_TOURNAMENT_CONTROL","action":"{action}"}}')
    for name in ("A", "B", "C", "D", "Adm"):
        await s.got(name, f'{{"type":"TOURNAMENT_STATE","state":"{state}","seq":{seq}}}',
                    f'{{"type":"BROADCAST_NOTIFICATION","message":"{text}","sender":"system","seq":{seq}}}')
    await s.got("Adm", f'{{"type":"ADMIN_ACTION_RESPONSE","action":"TOURNAMENT_CONTROL","success":true,'
                       f'"message":"Tournament is {state}","seq":{seq}}}')


async def step_34(s: Scenario) -> None:
    await _control(s, "PAUSE", "PAUSED", "Market is paused", 20)
    await s.send("B", order("B-B3", "BUY", "LIMIT", "GUACA", 1, "10"))
    await s.error("B", "SERVICE_UNAVAILABLE", "Market is closed", "B-B3")
    await _control(s, "OPEN", "OPEN", "Market is open", 21)


async def step_35(s: Scenario) -> None:
    await s.send("A", order("A-S6", "SELL", "LIMIT", "GUACA", 1, "20"))
    await s.got("A", '{"type":"ORDER_ACK","clOrdID":"A-S6","status":"PENDING","seq":22}',
                '{"type":"INVENTORY_UPDATE","inventory":{10,23,0,0},"available":{9,23,0,0},"seq":22}')
    await s.send("Adm", '{"type":"RESET_TOURNAMENT_CONFIG","balance":500,"teamConfigs":[{"teamName":"TeamA",'
                        '"inventory":{"FOSFO":5}},{"teamName":"TeamB"}]}')
    await s.got("A", '{"type":"ORDER_ACK","clOrdID":"A-S6","status":"CANCELLED","reason":"RESET","seq":23}',
                '{"type":"BALANCE_UPDATE","balance":500,"available":500,"reserved":0,"seq":23}',
                '{"type":"INVENTORY_UPDATE","inventory":{0,5,0,0},"available":{0,5,0,0},"seq":23}')
    await s.got("B", '{"type":"BALANCE_UPDATE","balance":500,"available":500,"reserved":0,"seq":23}',
                '{"type":"INVENTORY_UPDATE","inventory":{0,0,0,0},"available":{0,0,0,0},"seq":23}')
    await s.got("Adm", '{"type":"TOURNAMENT_RESET_COMPLETE","success":true,"teamsReset":2,"ordersCanceled":1,'
                       '"message":"Tournament reset: 2 teams configured, 1 orders cancelled","seq":23}')
    await s.quiet()
    await s.send("A", '{"type":"REQUEST_PERFORMANCE_REPORT"}')
    await s.got("A", '{"type":"PERFORMANCE_REPORT","teamName":"TeamA","startBalance":562.5,"finalBalance":562.5,'
                     '"profitLoss":0,"roi":0,"cash":500,"inventoryValue":62.5,"totalTrades":0,"totalVolume":0,'
                     '"avgTradeSize":0,"buyTrades":0,"sellTrades":0,"products":{},"finalInventory":{0,5,0,0},'
                     '"rank":1,"totalTeams":4,"seq":23}')


STEPS: list[Callable[[Scenario], Awaitable[None]]] = [
    step_01, step_02, step_03, step_04, step_05, step_06, step_07, step_08, step_09, step_10,
    step_11, step_12, step_13, step_14, step_15, step_16, step_17, step_18, step_19, step_20,
    step_21, step_22, step_23, step_24, step_25, step_26, step_27, step_28, step_29, step_30,
    step_31, step_32, step_33, step_34, step_35,
]


async def test_conformance_scenarios_in_order(conformance_server: ServerProcess) -> None:
    s = Scenario(conformance_server.url)
    try:
        for number, step in enumerate(STEPS, start=1):
            try:
                await step(s)
                if number != 26 and number != 27:  # step 28 must follow step 26 within 1 s
                    await s.quiet()
            except AssertionError as exc:
                pytest.fail(f"PROTOCOL.md §8 step {number}: {exc}", pytrace=False)
        health = conformance_server.health()
        assert health == {"status": "ok", "seq": 23}
    finally:
        await s.close()
