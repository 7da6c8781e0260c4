"""The referee's HTTP routes (PROTOCOL.md §1.2) against a real server: the read API (/api/…), the admin API
(/admin/api/…) and the public board (/board, /api/board)."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from .harness import ServerProcess
from .test_admin_support import (
    ADMIN,
    API_ROUTES,
    TOKENS,
    ask,
    base_url,
    connect,
    http_get,
    ledger_consistent,
    no_tokens,
    start_referee,
    until,
)

SWEEP = 55  # fills of the big sweep (more than the board's 50)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, Any]]]:
    """TeamA is granted 100 GUACA; one FOSFO fill (TeamA → TeamB, sell message "=SUM(A1)"), then a sweep:
    TeamB's BUY takes 55 one-unit GUACA asks of TeamA at 16.00, 16.01, … 16.54, each with message "ask <i>"."""
    server = start_referee(tmp_path_factory.mktemp("admin-http"))
    marks: dict[str, Any] = {}

    async def script() -> None:
        a, b = await connect(server, TOKENS["TeamA"]), await connect(server, TOKENS["TeamB"])
        adm = await connect(server, ADMIN)
        await ask(adm, {"type": "ADD_INVENTORY", "teamName": "TeamA", "product": "GUACA", "quantity": 100})
        await adm.close()
        await a.order("F-S", "SELL", "LIMIT", "FOSFO", 1, "13", message="=SUM(A1)")
        await until(a, "ORDER_ACK")
        await b.order("F-B", "BUY", "LIMIT", "FOSFO", 1, "13", message="cheers")
        marks["first_fill"] = await until(b, "FILL")
        await asyncio.sleep(0.02)
        marks["between"] = datetime.now(UTC)
        for i in range(SWEEP):
            await a.order(f"G-{i}", "SELL", "LIMIT", "GUACA", 1, Decimal(1600 + i) / 100, message=f"ask {i}")
        for _ in range(SWEEP):
            await until(a, "ORDER_ACK")
        await b.order("G-B", "BUY", "LIMIT", "GUACA", SWEEP, "17", message="sweep")
        fills = [await until(b, "FILL") for _ in range(SWEEP)]
        marks["sweep"] = fills
        await asyncio.sleep(0.02)
        marks["after"] = datetime.now(UTC)
        for x in (a, b):
            await x.close()

    asyncio.run(script())
    yield server, marks
    server.stop()


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A tournament with ``public_board = false`` and debug mode on."""
    server = start_referee(tmp_path_factory.mktemp("admin-http-private"), public_board=False, debug_mode=True)
    yield server
    server.stop()


def _rows(server: ServerProcess, path: str, **params: Any) -> list[dict[str, Any]]:
    res = http_get(server, path, ADMIN, **params)
    assert res.status_code == 200, res.text
    body = res.json()
    kind = path.rsplit("/", 1)[-1]
    assert body["count"] == len(body[kind])
    return body[kind]


def _csv(res: httpx.Response) -> list[dict[str, str]]:
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/csv")
    assert "attachment" in res.headers["content-disposition"]
    assert res.content.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8
    text = res.content.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text)))


# --- authorization --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", API_ROUTES)
def test_read_api_needs_an_admin_token(market: tuple[ServerProcess, dict], path: str) -> None:
    server, _ = market
    url = base_url(server) + path
    for headers in ({}, {"Authorization": "Bearer TK-NOPE"}, {"Authorization": "Bearer nonsense"},
                    {"Authorization": f"Basic {ADMIN}"}, {"Authorization": "Bearer"}):
        res = httpx.get(url, headers=headers)
        assert res.status_code == 401, headers
        assert res.json() == {"error": "unauthorized"}
        assert res.headers["www-authenticate"] == "Bearer"
    res = http_get(server, path, TOKENS["TeamA"])
    assert (res.status_code, res.json()) == (403, {"error": "forbidden"})
    res = http_get(server, path, ADMIN)
    assert res.status_code == 200 and res.headers["content-type"] == "application/json"
    no_tokens(res.text)


@pytest.mark.parametrize("path", [*API_ROUTES, "/api/board", "/admin/api/debug-mode", "/admin/api/export"])
def test_routes_answer_only_get(market: tuple[ServerProcess, dict], path: str) -> None:
    server, _ = market
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        res = httpx.request(method, base_url(server) + path, headers={"Authorization": f"Bearer {ADMIN}"})
        assert res.status_code == 405, (method, path)


def test_bad_parameters_are_400_after_the_token_check(market: tuple[ServerProcess, dict]) -> None:
    server, _ = market
    assert http_get(server, "/api/fills", None, since="yesterday").status_code == 401
    for params, error in [({"since": "yesterday"}, "Invalid since timestamp format"),
                          ({"until": "2026-02-30T00:00:00Z"}, "Invalid until timestamp format"),
                          ({"format": "xml"}, "format must be json or csv"),
                          ({"limit": "0"}, "limit must be a positive integer")]:
        res = http_get(server, "/api/fills", ADMIN, **params)
        assert (res.status_code, res.json()) == (400, {"error": error})


# --- JSON and CSV reads ----------------------------------------------------------------------------------------
def test_teams_are_the_export_rows_and_csv_flattens_maps(market: tuple[ServerProcess, dict]) -> None:
    server, _ = market
    teams = {t["teamName"]: t for t in _rows(server, "/api/teams")}
    assert list(teams) == ["TeamA", "TeamB", "TeamC", "admin"]
    assert teams["TeamA"]["inventory"] == {"GUACA": 120 - SWEEP, "FOSFO": 9, "PITA": 0}
    paid = 1300 + sum(1600 + i for i in range(SWEEP))
    assert Decimal(str(teams["TeamB"]["currentBalance"])) == Decimal(100_000 - paid) / 100
    assert _rows(server, "/api/teams", team="TeamB")[0]["teamName"] == "TeamB"
    rows = _csv(http_get(server, "/api/teams", ADMIN, format="csv"))
    assert [r["teamName"] for r in rows] == ["TeamA", "TeamB", "TeamC", "admin"]
    assert {"inventory.GUACA", "inventory.FOSFO", "availableInventory.PITA", "role.branches"} <= set(rows[0])
    assert rows[0]["authorizedProducts"] == "FOSFO;GUACA"
    assert rows[3]["admin"] == "true"


def test_fills_filter_by_time_team_and_product(market: tuple[ServerProcess, dict]) -> None:
    server, marks = market
    fills = _rows(server, "/api/fills")
    assert len(fills) == 1 + SWEEP
    first = fills[0]
    assert {k: first[k] for k in ("product", "quantity", "price", "buyTeam", "sellTeam", "buyMessage",
                                  "sellMessage")} == {
        "product": "FOSFO", "quantity": 1, "price": 13, "buyTeam": "TeamB", "sellTeam": "TeamA",
        "buyMessage": "cheers", "sellMessage": "=SUM(A1)"}
    between = _iso(marks["between"])
    assert len(_rows(server, "/api/fills", since=between)) == SWEEP
    assert [f["fillId"] for f in _rows(server, "/api/fills", until=between)] == [first["fillId"]]
    assert _rows(server, "/api/fills", since=_iso(marks["after"])) == []
    at = marks["first_fill"]["serverTime"]
    assert len(_rows(server, "/api/fills", since=at, until=between)) == 1
    assert len(_rows(server, "/api/fills", product="GUACA")) == SWEEP
    assert len(_rows(server, "/api/fills", team="TeamC")) == 0
    newest = _rows(server, "/api/fills", limit=3)
    assert [f["fillId"] for f in newest] == [f["fillId"] for f in fills[-3:]]
    rows = _csv(http_get(server, "/api/fills", ADMIN, format="csv", until=between))
    assert len(rows) == 1
    assert rows[0]["sellMessage"] == "'=SUM(A1)"  # a spreadsheet must not run it as a formula
    assert rows[0]["price"] == "13" and rows[0]["buyTeam"] == "TeamB"


def test_orders_filter_and_show_closed_orders(market: tuple[ServerProcess, dict]) -> None:
    server, marks = market
    orders = _rows(server, "/api/orders")
    assert len(orders) == 2 + SWEEP + 1
    assert {o["status"] for o in orders} == {"FILLED"}
    assert [o["clOrdID"] for o in _rows(server, "/api/orders", until=_iso(marks["between"]))] == ["F-S", "F-B"]
    assert len(_rows(server, "/api/orders", team="TeamB")) == 2
    assert len(_rows(server, "/api/orders", product="FOSFO")) == 2
    rows = _csv(http_get(server, "/api/orders", ADMIN, format="csv", team="TeamB"))
    assert [r["clOrdID"] for r in rows] == ["F-B", "G-B"]
    assert rows[1]["message"] == "sweep"


def test_ledger_filters_by_team_and_sums_to_the_balances(market: tuple[ServerProcess, dict]) -> None:
    server, marks = market
    ledger = _rows(server, "/api/ledger")
    ledger_consistent(ledger, _rows(server, "/api/teams"))
    team_b = _rows(server, "/api/ledger", team="TeamB")
    assert team_b and {r["teamName"] for r in team_b} == {"TeamB"}
    assert [r["id"] for r in team_b] == [r["id"] for r in ledger if r["teamName"] == "TeamB"]
    assert {r["reason"] for r in _rows(server, "/api/ledger", until=_iso(marks["between"]), team="TeamA")} >= {
        "INITIAL"}
    rows = _csv(http_get(server, "/api/ledger", ADMIN, format="csv", team="TeamB"))
    assert len(rows) == len(team_b) and rows[0]["teamName"] == "TeamB"


async def test_leaderboard_is_the_global_ranking(market: tuple[ServerProcess, dict]) -> None:
    server, _ = market
    board = _rows(server, "/api/leaderboard")
    adm = await connect(server, ADMIN)
    try:
        report = await ask(adm, {"type": "REQUEST_PERFORMANCE_REPORT", "scope": "global"},
                           "GLOBAL_PERFORMANCE_REPORT")
    finally:
        await adm.close()
    expect = [{k: t[k] for k in ("rank", "teamName", "startBalance", "finalBalance", "profitLoss", "roi", "cash",
                                 "inventoryValue")} for t in report["topTraders"]]
    assert _plain(board) == _plain(expect)
    assert [t["teamName"] for t in board][:1] == ["TeamA"]  # sold above the reference price
    rows = _csv(http_get(server, "/api/leaderboard", ADMIN, format="csv"))
    assert [r["teamName"] for r in rows] == [t["teamName"] for t in board]


def test_products_give_market_and_period_statistics(market: tuple[ServerProcess, dict]) -> None:
    server, marks = market
    products = {p["product"]: p for p in _rows(server, "/api/products")}
    assert list(products) == ["GUACA", "FOSFO", "PITA"]
    g = products["GUACA"]
    prices = [1600 + i for i in range(SWEEP)]
    assert (g["trades"], g["quantity"], g["low"], g["high"], g["first"], g["last"]) == (
        SWEEP, SWEEP, 16, 16.54, 16, 16.54)
    assert g["turnover"] == sum(prices) / 100
    assert g["vwap"] == round(sum(prices) / SWEEP) / 100
    assert g["lastPrice"] == 16.54 and g["volume24h"] == SWEEP and "bestAsk" not in g
    assert g["referencePrice"] == 15.3 and g["tradable"] is True
    assert products["PITA"]["trades"] == 0 and "vwap" not in products["PITA"]
    later = {p["product"]: p for p in _rows(server, "/api/products", since=_iso(marks["between"]))}
    assert later["FOSFO"]["trades"] == 0 and later["FOSFO"]["lastPrice"] == 13
    only = _rows(server, "/api/products", product="FOSFO")
    assert [p["product"] for p in only] == ["FOSFO"]
    rows = _csv(http_get(server, "/api/products", ADMIN, format="csv"))
    assert [r["product"] for r in rows] == ["GUACA", "FOSFO", "PITA"] and rows[0]["vwap"] == str(g["vwap"])


# --- /admin/api --------------------------------------------------------------------------------------------------
def test_debug_mode_route_needs_an_admin_token(market: tuple[ServerProcess, dict], private: ServerProcess) -> None:
    server, _ = market
    for token in (None, "TK-NOPE", TOKENS["TeamA"]):
        res = http_get(server, "/admin/api/debug-mode", token)
        assert (res.status_code, res.json()) == (401, {"error": "unauthorized"})
    assert http_get(server, "/admin/api/debug-mode", ADMIN).json() == {"enabled": False}
    assert http_get(private, "/admin/api/debug-mode", ADMIN).json() == {"enabled": True}


async def test_http_export_is_the_websocket_export_without_a_cap(market: tuple[ServerProcess, dict]) -> None:
    server, _ = market
    for token in (None, TOKENS["TeamB"]):
        res = http_get(server, "/admin/api/export", token, dataType="fills")
        assert (res.status_code, res.json()) == (401, {"error": "unauthorized"})
    adm = await connect(server, ADMIN)
    try:
        for data_type in ("orders", "fills", "teams", "ledger", "all"):
            ws = await ask(adm, {"type": "EXPORT_DATA", "dataType": data_type})
            res = http_get(server, "/admin/api/export", ADMIN, dataType=data_type)
            assert res.status_code == 200
            body = httpx.Response(200, content=res.content).json()
            assert body["type"] == "EXPORT_DATA_RESPONSE" and body["dataType"] == data_type
            assert body["count"] == ws["count"]
            if data_type != "all":
                assert _plain(body["data"]) == _plain(ws["data"])
            no_tokens(res.text)
    finally:
        await adm.close()
    every = http_get(server, "/admin/api/export", ADMIN, dataType="", startDate="", endDate="").json()
    assert every["dataType"] == "all" and set(every["data"]) == {"orders", "fills", "teams", "ledger", "sessions"}
    windowed = http_get(server, "/admin/api/export", ADMIN, dataType="fills",
                        startDate="2000-01-01T00:00:00Z", endDate="2000-01-02T00:00:00Z").json()
    assert (windowed["count"], windowed["data"]) == (0, [])
    for params, error in [({"dataType": "trades"}, "Invalid dataType"),
                          ({"startDate": "soon"}, "Invalid startDate format"),
                          ({"endDate": "later"}, "Invalid endDate format")]:
        res = http_get(server, "/admin/api/export", ADMIN, **params)
        assert (res.status_code, res.json()) == (400, {"error": error})


def _plain(value: Any) -> Any:
    """Numbers compared by value (the client decodes fractions as Decimal, httpx as float)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "connected"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float | Decimal):
        return Decimal(str(value))
    return value


# --- the public board ------------------------------------------------------------------------------------------
def test_board_page_and_data_are_public(market: tuple[ServerProcess, dict]) -> None:
    server, marks = market
    page = httpx.get(base_url(server) + "/board")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/api/board" in page.text or "board.js" in page.text
    res = httpx.get(base_url(server) + "/api/board")
    assert res.status_code == 200
    body = res.json()
    assert set(body) == {"tournamentState", "tickers", "fills", "leaderboard", "seq", "serverTime"}
    assert body["tournamentState"] == "OPEN"
    assert [t["product"] for t in body["tickers"]] == ["GUACA", "FOSFO", "PITA"]
    guaca = body["tickers"][0]
    assert (guaca["lastPrice"], guaca["volume24h"]) == (16.54, SWEEP) and "type" not in guaca
    fills = body["fills"]
    assert len(fills) == 50
    sweep_ids = [f["fillId"] for f in marks["sweep"]]
    assert [f["fillId"] for f in fills] == list(reversed(sweep_ids))[:50]  # newest first
    for f in fills:
        assert set(f) == {"fillId", "product", "quantity", "price", "buyMessage", "sellMessage", "executedAt"}
    assert (fills[0]["price"], fills[0]["buyMessage"], fills[0]["sellMessage"]) == (16.54, "sweep", "ask 54")
    for row in body["leaderboard"]:
        assert set(row) == {"teamName", "rank", "roi", "profitLoss"}
    assert [r["teamName"] for r in body["leaderboard"]] == [
        t["teamName"] for t in _rows(server, "/api/leaderboard")]
    assert "admin" not in {r["teamName"] for r in body["leaderboard"]}
    text = res.text
    assert "G-B" not in text and "clOrdID" not in text
    no_tokens(text)


async def test_board_shows_the_scheduled_end(market: tuple[ServerProcess, dict]) -> None:
    server, _ = market
    adm = await connect(server, ADMIN)
    try:
        reply = await ask(adm, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN",
                                "endsAt": "2099-01-01T00:00:00Z"})
        assert reply["success"] is True
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            body = httpx.get(base_url(server) + "/api/board").json()
            if body.get("endsAt"):
                break
            await asyncio.sleep(0.1)
        assert body["endsAt"] == "2099-01-01T00:00:00.000Z"
        await ask(adm, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN", "endsAt": ""})
    finally:
        await adm.close()


def test_board_is_404_when_not_public(private: ServerProcess) -> None:
    for path in ("/board", "/api/board"):
        res = httpx.get(base_url(private) + path)
        assert res.status_code == 404, path
    assert http_get(private, "/api/teams", ADMIN).status_code == 200  # the referee's API still works


def test_unknown_routes_are_404(market: tuple[ServerProcess, dict]) -> None:
    server, _ = market
    assert httpx.get(base_url(server) + "/api/nothing").status_code == 404
