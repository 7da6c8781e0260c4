"""The referee's HTTP routes (PROTOCOL.md §1.2): the read API, the admin API and the public big board.

* ``GET /api/teams|orders|fills|ledger|leaderboard|products`` — JSON ``{<name>: [rows], count, seq,
  serverTime}``, or CSV with ``?format=csv``; ``?since=``/``?until=`` (RFC 3339) keep rows with time in
  [since, until) (orders by creation, fills by execution, ledger rows; for products they bound the trade
  statistics; teams and the leaderboard are current values and ignore them); ``?team=`` (orders, fills,
  ledger, teams) and ``?product=`` (orders, fills, products) filter; ``?limit=N`` keeps the newest N rows
  (orders, fills, ledger). ``Authorization: Bearer <admin token>``:
  none or unknown → 401, a non-admin team's token → 403.
* ``GET /admin/api/debug-mode`` and ``GET /admin/api/export`` — Bearer admin token, else
  ``401 {"error":"unauthorized"}`` (a team token too); other methods 405.
* ``GET /board`` (the page) and ``GET /api/board`` (its data) — public; 404 when ``public_board`` is false.

Tokens are checked by SHA-256 against the engine's registry, and live state is read, in the driver between
commands (``at_engine``): the answer reflects exactly the commands ≤ its ``seq`` and is released only after
they are committed. History comes from the store reader in a worker thread, restricted to ``seq`` ≤ that
watermark. Tokens never appear in any answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from avex.admin import rows as R
from avex.admin.board import RecentFills, board_body, live_part
from avex.admin.csvout import to_csv
from avex.admin.engine_access import EngineUnavailable, at_engine
from avex.admin.export import DATA_TYPES, export_body
from avex.admin.reads import team_rows
from avex.domain.timeutil import format_ms, parse_rfc3339
from avex.protocol.queries import token_hash

if TYPE_CHECKING:
    from avex.engine.engine import Engine
    from avex.gateway.hub import Hub

BOARD_CACHE_S = 0.25  # many projectors polling every second cost one engine read per 250 ms

COLUMNS: dict[str, tuple[str, ...]] = {
    "teams": ("teamName", "species", "admin", "members", "initialBalance", "currentBalance", "availableBalance",
              "reservedBalance", "inventory", "availableInventory", "initialInventory", "authorizedProducts",
              "role", "connected"),
    "orders": ("clOrdID", "teamName", "side", "mode", "product", "quantity", "price", "filledQty",
               "remainingQty", "status", "reason", "message", "createdAt", "updatedAt", "expiresAt", "seq"),
    "fills": ("fillId", "seq", "product", "quantity", "price", "buyTeam", "buyClOrdID", "buyMessage", "sellTeam",
              "sellClOrdID", "sellMessage", "aggressorSide", "source", "executedAt"),
    "ledger": ("id", "seq", "teamName", "asset", "delta", "balanceAfter", "reason", "reference", "timestamp"),
    "leaderboard": ("rank", "teamName", "startBalance", "finalBalance", "profitLoss", "roi", "cash",
                    "inventoryValue"),
    "products": ("product", "referencePrice", "tradable", "bestBid", "bestAsk", "bidQty", "askQty", "lastPrice",
                 "volume24h", "markPrice", "trades", "quantity", "turnover", "vwap", "low", "high", "first",
                 "last"),
}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json(body: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store"})


def _error(status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _time_param(request: Request, name: str) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        return parse_rfc3339(text)
    except ValueError as exc:
        raise ApiError(400, f"Invalid {name} timestamp format") from exc


def _text_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value or None


class _Window:
    """The common query parameters of a read: format, time window and filters."""

    def __init__(self, request: Request) -> None:
        self.csv = False
        self.since: int | None = None
        self.until: int | None = None
        self.limit: int | None = None  # keep the newest N rows (history reads)
        self.team = _text_param(request, "team")
        self.product = _text_param(request, "product")
        self.problem: ApiError | None = None  # raised by ``check`` after the token check
        try:
            fmt = request.query_params.get("format", "json").lower() or "json"
            if fmt not in ("json", "csv"):
                raise ApiError(400, "format must be json or csv")
            self.csv = fmt == "csv"
            self.since = _time_param(request, "since")
            self.until = _time_param(request, "until")
            limit = request.query_params.get("limit") or None
            if limit is not None and (not limit.isdigit() or int(limit) <= 0):
                raise ApiError(400, "limit must be a positive integer")
            self.limit = None if limit is None else int(limit)
        except ApiError as exc:
            self.problem = exc

    def check(self) -> None:
        if self.problem is not None:
            raise self.problem


# A live read: (engine, now) -> value, run between commands after the token check.
Live = Callable[["Engine", int], Any]


async def _authorized(hub: Hub, request: Request, live: Live | None, *, admin_api: bool = False) -> tuple[
        int, int, Any]:
    """Check the Bearer token in engine order; return (watermark seq, time, live value)."""
    token = _bearer(request)
    digest = token_hash(token) if token is not None and token.startswith("TK-") else None

    def at(engine: Engine, now: int) -> tuple[str, int, int, Any]:
        acct = engine.login(digest) if digest is not None else None
        if acct is None:
            return "unknown", engine.seq, now, None
        if not acct.admin:
            return "team", engine.seq, now, None
        return "admin", engine.seq, now, (live(engine, now) if live is not None else None)

    try:
        who, seq, now, value = await at_engine(hub, at)
    except EngineUnavailable as exc:
        raise ApiError(503, str(exc)) from exc
    if who == "unknown" or (who == "team" and admin_api):
        raise ApiError(401, "unauthorized")
    if who == "team":
        raise ApiError(403, "forbidden")
    return seq, now, value


def _answer(kind: str, rows: list[dict[str, Any]], seq: int, now: int, window: _Window) -> Response:
    if window.limit is not None and kind in ("orders", "fills", "ledger") and len(rows) > window.limit:
        rows = rows[-window.limit:]
    if window.csv:
        return Response(to_csv(rows, COLUMNS[kind]), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="avex-{kind}-{seq}.csv"', "Cache-Control": "no-store",
        })
    return _json({kind: rows, "count": len(rows), "seq": seq, "serverTime": format_ms(now)})


def api_routes(hub: Hub) -> list[Route]:
    """The routes to add to the app (``build_app``)."""

    def guarded(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return _error(exc.status, exc.message)

        return endpoint

    async def in_thread(work: Callable[[], Any]) -> Any:
        return await asyncio.to_thread(work)

    # --- /api: the read API -------------------------------------------------------------------------------
    async def teams(request: Request) -> Response:
        w = _Window(request)
        seq, now, rows = await _authorized(hub, request, lambda engine, now: team_rows(hub, engine))
        w.check()
        if w.team is not None:
            rows = [r for r in rows if r["teamName"] == w.team]
        return _answer("teams", rows, seq, now, w)

    async def orders(request: Request) -> Response:
        w = _Window(request)
        seq, now, _ = await _authorized(hub, request, None)
        w.check()

        def work() -> list[dict[str, Any]]:
            found = hub.reader().orders(team=w.team, since=w.since, until=w.until, upto_seq=seq)
            return [R.order_row(o) for o in found if w.product is None or o.product == w.product]

        return _answer("orders", await in_thread(work), seq, now, w)

    async def fills(request: Request) -> Response:
        w = _Window(request)
        seq, now, _ = await _authorized(hub, request, None)
        w.check()

        def work() -> list[dict[str, Any]]:
            found = hub.reader().fills(team=w.team, product=w.product, since=w.since, until=w.until, upto_seq=seq)
            return [R.fill_row(f, messages=True) for f in found]

        return _answer("fills", await in_thread(work), seq, now, w)

    async def ledger(request: Request) -> Response:
        w = _Window(request)
        seq, now, _ = await _authorized(hub, request, None)
        w.check()

        def work() -> list[dict[str, Any]]:
            found = hub.reader().ledger(team=w.team, since=w.since, until=w.until, upto_seq=seq)
            return [R.ledger_row(g) for g in found]

        return _answer("ledger", await in_thread(work), seq, now, w)

    async def leaderboard(request: Request) -> Response:
        w = _Window(request)

        def live(engine: Engine, now: int) -> list[dict[str, Any]]:
            return [R.standing_row(v, i + 1) for i, v in enumerate(engine.ranking(now))]

        seq, now, rows = await _authorized(hub, request, live)
        w.check()
        return _answer("leaderboard", rows, seq, now, w)

    async def products(request: Request) -> Response:
        w = _Window(request)

        def live(engine: Engine, now: int) -> list[dict[str, Any]]:
            return [R.market_row(engine, code, now) for code in engine.codes]

        seq, now, markets = await _authorized(hub, request, live)
        w.check()

        def work() -> list[dict[str, Any]]:
            stats = R.trade_stats(hub.reader().fills(product=w.product, since=w.since, until=w.until, upto_seq=seq))
            return [R.product_row(m, stats.get(m["product"])) for m in markets
                    if w.product is None or m["product"] == w.product]

        return _answer("products", await in_thread(work), seq, now, w)

    # --- /admin/api ---------------------------------------------------------------------------------------
    async def debug_mode(request: Request) -> Response:
        await _authorized(hub, request, None, admin_api=True)
        return _json({"enabled": bool(hub.tournament.market.debug_mode)})

    async def export(request: Request) -> Response:
        data_type = request.query_params.get("dataType") or "all"
        problem: ApiError | None = None
        start = end = None
        try:
            if data_type not in (*DATA_TYPES, "all"):
                raise ApiError(400, "Invalid dataType")
            try:
                start = _time_param(request, "startDate")
            except ApiError as exc:
                raise ApiError(400, "Invalid startDate format") from exc
            try:
                end = _time_param(request, "endDate")
            except ApiError as exc:
                raise ApiError(400, "Invalid endDate format") from exc
        except ApiError as exc:
            problem = exc
        wants_teams = problem is None and data_type in ("teams", "all")
        seq, now, rows = await _authorized(
            hub, request, (lambda engine, now: team_rows(hub, engine)) if wants_teams else None, admin_api=True)
        if problem is not None:
            raise problem

        def work() -> bytes:
            body = export_body(hub.reader(), data_type, start, end, seq, rows or [], cap=None)
            return msgspec.json.encode({"type": "EXPORT_DATA_RESPONSE", **body, "seq": seq,
                                        "serverTime": format_ms(now)})

        return Response(await in_thread(work), media_type="application/json", headers={"Cache-Control": "no-store"})

    # --- the public board ---------------------------------------------------------------------------------
    recent = RecentFills()
    cache: dict[str, Any] = {"at": -1.0, "body": None}
    lock = asyncio.Lock()

    def board_enabled() -> bool:
        return bool(hub.tournament.market.public_board)

    async def board_page(request: Request) -> Response:
        if not board_enabled():
            return _error(404, "not found")
        return HTMLResponse(_page("board.html"), headers={"Cache-Control": "no-store"})

    async def board_data(request: Request) -> Response:
        if not board_enabled():
            return _error(404, "not found")
        async with lock:
            if time.monotonic() - cache["at"] >= BOARD_CACHE_S:
                try:
                    live = await at_engine(hub, live_part)
                except EngineUnavailable as exc:
                    raise ApiError(503, str(exc)) from exc
                now_us = parse_rfc3339(live["serverTime"])
                newest = await in_thread(lambda: recent.newest(hub.reader(), live["seq"], now_us))
                cache["body"] = msgspec.json.encode(board_body(live, newest))
                cache["at"] = time.monotonic()
            body = cache["body"]
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})

    get = ["GET"]
    return [
        Route("/api/teams", guarded(teams), methods=get),
        Route("/api/orders", guarded(orders), methods=get),
        Route("/api/fills", guarded(fills), methods=get),
        Route("/api/ledger", guarded(ledger), methods=get),
        Route("/api/leaderboard", guarded(leaderboard), methods=get),
        Route("/api/products", guarded(products), methods=get),
        Route("/api/board", guarded(board_data), methods=get),
        Route("/admin/api/debug-mode", guarded(debug_mode), methods=get),
        Route("/admin/api/export", guarded(export), methods=get),
        Route("/board", guarded(board_page), methods=get),
    ]


def _page(name: str) -> str:
    try:
        return resources.files("avex.web").joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return "<!doctype html><title>avex</title><p>avex is running.</p>"
