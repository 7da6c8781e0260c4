"""The admin history reads over WebSocket: EXPORT_DATA (§4.15), REQUEST_HISTORICAL_ORDERS (§5.12) and
GET_TEAM_ACTIVITY (§5.25), row by row, against a real server with a short scripted history."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from avex.admin.export import export_body

from .harness import ServerProcess
from .test_admin_support import ADMIN, TOKENS, ask, connect, ledger_consistent, no_tokens, start_referee, until

ORDER_KEYS = {"clOrdID", "teamName", "side", "mode", "product", "quantity", "price", "filledQty", "remainingQty",
              "status", "createdAt", "updatedAt", "seq"}
FILL_KEYS = {"fillId", "seq", "product", "quantity", "price", "buyTeam", "buyClOrdID", "sellTeam", "sellClOrdID",
             "aggressorSide", "source", "executedAt"}
TEAM_KEYS = {"teamName", "species", "admin", "members", "initialBalance", "currentBalance", "availableBalance",
             "reservedBalance", "inventory", "availableInventory", "initialInventory", "authorizedProducts", "role",
             "connected"}
LEDGER_KEYS = {"id", "seq", "teamName", "asset", "delta", "balanceAfter", "reason", "reference", "timestamp"}
SESSION_KEYS = {"teamName", "remoteAddr", "clientType", "connectedAt", "lastActivity"}


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, Any]]]:
    """A server where: TeamA rests SELL 5 GUACA @ 16 ("fresh"); TeamB buys 3 @ ≤ 16.50 ("thanks"), one fill;
    TeamC's BUY is rejected (no cash); TeamA produces 1 FOSFO; TeamB rests then cancels a FOSFO bid."""
    server = start_referee(tmp_path_factory.mktemp("admin-reads"))
    marks: dict[str, Any] = {}

    async def script() -> None:
        a, b, c = [await connect(server, TOKENS[t]) for t in ("TeamA", "TeamB", "TeamC")]
        marks["start"] = datetime.now(UTC)
        await a.order("A-1", "SELL", "LIMIT", "GUACA", 5, "16", message="fresh")
        await until(a, "ORDER_ACK")
        await asyncio.sleep(0.02)
        marks["before_fill"] = datetime.now(UTC)
        await b.order("B-1", "BUY", "LIMIT", "GUACA", 3, "16.50", message="thanks")
        marks["fill"] = await until(b, "FILL")
        await asyncio.sleep(0.02)
        marks["after_fill"] = datetime.now(UTC)
        await c.order("C-1", "BUY", "LIMIT", "GUACA", 100, "15")
        marks["rejected"] = await until(c, "ERROR")
        await a.produce("FOSFO", 1)
        await until(a, "INVENTORY_UPDATE")
        await b.order("B-2", "BUY", "LIMIT", "FOSFO", 1, "5")
        await until(b, "ORDER_ACK")
        await b.cancel("B-2")
        marks["cancelled"] = await until(b, "ORDER_ACK")
        for x in (a, b, c):
            await x.close()

    asyncio.run(script())
    yield server, marks
    server.stop()


async def _export(server: ServerProcess, **fields: Any) -> dict[str, Any]:
    adm = await connect(server, ADMIN)
    try:
        return await ask(adm, {"type": "EXPORT_DATA", **fields})
    finally:
        await adm.close()


async def test_export_orders_are_order_summaries_with_rejections(history: tuple[ServerProcess, dict]) -> None:
    server, _ = history
    reply = await _export(server, dataType="orders")
    assert (reply["type"], reply["dataType"], reply["count"]) == ("EXPORT_DATA_RESPONSE", "orders", 4)
    assert "truncated" not in reply
    orders = {o["clOrdID"]: o for o in reply["data"]}
    assert [o["seq"] for o in reply["data"]] == sorted(o["seq"] for o in reply["data"])  # oldest first
    for o in reply["data"]:
        assert ORDER_KEYS <= set(o) <= ORDER_KEYS | {"reason", "message", "expiresAt"}
    assert {k: orders["A-1"][k] for k in ("teamName", "side", "quantity", "price", "filledQty", "remainingQty",
                                           "status", "message")} == {
        "teamName": "TeamA", "side": "SELL", "quantity": 5, "price": 16, "filledQty": 3, "remainingQty": 2,
        "status": "PARTIALLY_FILLED", "message": "fresh"}
    assert orders["B-1"]["status"] == "FILLED" and orders["B-1"]["price"] == Decimal("16.5")
    assert orders["C-1"]["status"] == "REJECTED"
    assert orders["B-2"]["status"] == "CANCELLED" and orders["B-2"]["reason"] == "USER"


async def test_export_fills_rows(history: tuple[ServerProcess, dict]) -> None:
    server, marks = history
    reply = await _export(server, dataType="fills")
    assert reply["count"] == 1
    (fill,) = reply["data"]
    assert set(fill) == FILL_KEYS
    assert {k: v for k, v in fill.items() if k != "executedAt"} == {
        "fillId": marks["fill"]["fillId"], "seq": marks["fill"]["seq"], "product": "GUACA", "quantity": 3,
        "price": 16, "buyTeam": "TeamB", "buyClOrdID": "B-1", "sellTeam": "TeamA", "sellClOrdID": "A-1",
        "aggressorSide": "BUY", "source": "BOOK"}
    assert fill["executedAt"] == marks["fill"]["serverTime"]


async def test_export_teams_rows_show_live_balances_but_no_tokens(history: tuple[ServerProcess, dict]) -> None:
    server, _ = history
    reply = await _export(server, dataType="teams")
    teams = {t["teamName"]: t for t in reply["data"]}
    assert list(teams) == ["TeamA", "TeamB", "TeamC", "admin"]
    for t in reply["data"]:
        assert set(t) == TEAM_KEYS
    a = teams["TeamA"]
    assert (a["initialBalance"], a["currentBalance"], a["availableBalance"], a["reservedBalance"]) == (1000, 1048, 1048,
                                                                                                      0)
    assert a["inventory"] == {"GUACA": 17, "FOSFO": 11, "PITA": 0}
    assert a["availableInventory"] == {"GUACA": 15, "FOSFO": 11, "PITA": 0}
    assert a["initialInventory"] == {"GUACA": 20, "FOSFO": 10, "PITA": 0}
    assert a["species"] == "Monjes de Fosforescencia" and a["admin"] is False
    assert set(a["role"]) == {"branches", "maxDepth", "decay", "budget", "baseEnergy", "levelEnergy"}
    assert teams["admin"]["admin"] is True and teams["TeamC"]["species"] == ""
    no_tokens(reply)


async def test_export_ledger_sums_to_the_balances(history: tuple[ServerProcess, dict]) -> None:
    server, _ = history
    reply = await _export(server)
    ledger, teams = reply["data"]["ledger"], reply["data"]["teams"]
    for row in ledger:
        assert set(row) == LEDGER_KEYS
    assert [r["id"] for r in ledger] == sorted(r["id"] for r in ledger)
    ledger_consistent(ledger, teams)
    cash = [r for r in ledger if r["teamName"] == "TeamB" and r["asset"] == "CASH"]
    assert cash[0]["reason"] == "INITIAL" and cash[-1]["balanceAfter"] == Decimal("952")


async def test_export_all_holds_five_arrays_and_counts_their_rows(history: tuple[ServerProcess, dict]) -> None:
    server, _ = history
    reply = await _export(server, dataType="all")
    data = reply["data"]
    assert set(data) == {"orders", "fills", "teams", "ledger", "sessions"}
    assert reply["count"] == sum(len(v) for v in data.values())
    assert isinstance(reply["seq"], int) and reply["seq"] >= 6
    for s in data["sessions"]:
        assert SESSION_KEYS <= set(s) <= SESSION_KEYS | {"userAgent", "disconnectedAt"}
    assert {"TeamA", "TeamB", "TeamC"} <= {s["teamName"] for s in data["sessions"]}
    no_tokens(reply)


async def test_export_dates_keep_start_inclusive_end_exclusive(history: tuple[ServerProcess, dict]) -> None:
    server, marks = history
    at = marks["fill"]["serverTime"]  # milliseconds, truncated: ≤ the fill's µs time
    assert (await _export(server, dataType="fills", startDate=at))["count"] == 1
    assert (await _export(server, dataType="fills", endDate=at))["count"] == 0
    after = _iso(marks["after_fill"])
    before = _iso(marks["before_fill"])
    assert (await _export(server, dataType="fills", startDate=after))["count"] == 0
    assert (await _export(server, dataType="fills", startDate=before, endDate=after))["count"] == 1
    orders = await _export(server, dataType="orders", startDate=after)
    assert {o["clOrdID"] for o in orders["data"]} == {"C-1", "B-2"}
    teams = await _export(server, dataType="teams", startDate=after)
    assert teams["count"] == 4  # teams are not filtered
    ledger = await _export(server, dataType="ledger", endDate=before)
    assert {r["reason"] for r in ledger["data"]} == {"INITIAL"}
    zoned = (marks["after_fill"] + timedelta(hours=2)).astimezone().isoformat()
    assert (await _export(server, dataType="fills", endDate=zoned))["count"] == 1


@pytest.mark.parametrize(("fields", "reason"), [
    ({"dataType": "trades"}, "Invalid dataType"),
    ({"dataType": "fills", "startDate": "yesterday"}, "Invalid startDate format"),
    ({"dataType": "fills", "endDate": "2026-13-01T00:00:00Z"}, "Invalid endDate format"),
    ({"dataType": 5}, "Invalid EXPORT_DATA message format"),
])
async def test_export_refuses_bad_fields(history: tuple[ServerProcess, dict], fields: dict, reason: str) -> None:
    server, _ = history
    err = await _export(server, **fields)
    assert (err["type"], err["code"], err["reason"]) == ("ERROR", "INVALID_MESSAGE", reason)


async def test_historical_orders_are_closed_orders_newest_first(history: tuple[ServerProcess, dict]) -> None:
    server, _ = history
    adm = await connect(server, ADMIN)
    try:
        reply = await ask(adm, {"type": "REQUEST_HISTORICAL_ORDERS"})
        assert reply["type"] == "HISTORICAL_ORDERS"
        assert reply["count"] == len(reply["orders"]) == 4
        assert [o["clOrdID"] for o in reply["orders"]] == ["B-2", "C-1", "B-1", "A-1"]
        keys = [(o["updatedAt"], o["seq"]) for o in reply["orders"]]
        assert keys == sorted(keys, reverse=True)
        assert {o["status"] for o in reply["orders"]} == {"CANCELLED", "REJECTED", "FILLED", "PARTIALLY_FILLED"}
        one = await ask(adm, {"type": "REQUEST_HISTORICAL_ORDERS", "limit": 1})
        assert [o["clOrdID"] for o in one["orders"]] == ["B-2"] and one["count"] == 1
        assert (await ask(adm, {"type": "REQUEST_HISTORICAL_ORDERS", "limit": 0}))["count"] == 4
        err = await ask(adm, {"type": "REQUEST_HISTORICAL_ORDERS", "limit": "ten"})
        assert err["reason"] == "Invalid REQUEST_HISTORICAL_ORDERS message format"
    finally:
        await adm.close()


async def test_team_activity_describes_each_entry(history: tuple[ServerProcess, dict]) -> None:
    server, _ = history
    adm = await connect(server, ADMIN)
    try:
        a = await ask(adm, {"type": "GET_TEAM_ACTIVITY", "teamName": "TeamA"})
        rows = [{k: v for k, v in r.items() if k != "timestamp"} for r in a["activities"]]
        assert rows == [
            {"action": "PRODUCTION", "details": "PRODUCE 1 FOSFO", "product": "FOSFO", "quantity": 1},
            {"action": "FILL", "details": "SELL 3 GUACA @ 16.00", "product": "GUACA", "quantity": 3, "price": 16},
            {"action": "ORDER", "details": "LIMIT SELL 5 GUACA", "product": "GUACA", "quantity": 5, "price": 16},
        ]
        assert a["count"] == 3
        stamps = [r["timestamp"] for r in a["activities"]]
        assert stamps == sorted(stamps, reverse=True)
        b = await ask(adm, {"type": "GET_TEAM_ACTIVITY", "teamName": "TeamB"})
        assert [r["details"] for r in b["activities"]] == [
            "LIMIT BUY 1 FOSFO", "BUY 3 GUACA @ 16.00", "LIMIT BUY 3 GUACA"]
        c = await ask(adm, {"type": "GET_TEAM_ACTIVITY", "teamName": "admin"})
        assert (c["activities"], c["count"]) == ([], 0)
    finally:
        await adm.close()


def test_websocket_exports_cap_each_array_and_say_so() -> None:
    class Reader:
        def orders(self, **kw: Any) -> list[Any]:
            return []

        def fills(self, *, limit: int | None = None, **kw: Any) -> list[Any]:
            from avex.store.rows import FillRow

            n = 5 if limit is None else min(5, limit)
            return [FillRow(i, 1, f"F-{i}-1", "GUACA", 1, 100, "A", "a", "", 0, 1, "B", "b", "", 0, 1, "BUY", "BOOK",
                            1_000_000 * i) for i in range(1, n + 1)]

        def ledger(self, **kw: Any) -> list[Any]:
            return []

        def sessions(self, **kw: Any) -> list[Any]:
            return []

    capped = export_body(Reader(), "fills", None, None, 10, [], cap=3)
    assert capped["count"] == 3 and capped["truncated"] is True
    assert [f["fillId"] for f in capped["data"]] == ["F-1-1", "F-2-1", "F-3-1"]  # the oldest rows
    whole = export_body(Reader(), "all", None, None, 10, [{"teamName": "A"}], cap=None)
    assert whole["count"] == 6 and "truncated" not in whole
    exact = export_body(Reader(), "fills", None, None, 10, [], cap=5)
    assert exact["count"] == 5 and "truncated" not in exact
