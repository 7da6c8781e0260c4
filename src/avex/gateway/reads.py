"""Answers to requests that are not commands: snapshots, reports, RESYNC, broadcasts and admin reads.

Each runs in the driver between commands (so it sees exactly the commands ≤ its watermark ``seq``) and
is released after that batch's commit. History comes from the store reader in a worker thread, restricted
to ``seq`` ≤ the watermark; its reply keeps the connection's order through a placeholder in the outbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from avex.domain.errors import AUTH_FAILED, INVALID_MESSAGE, INVALID_PRODUCT
from avex.domain.money import wire
from avex.domain.timeutil import format_ms, now_us
from avex.engine.engine import Engine
from avex.engine.outcome import Applied
from avex.gateway import views
from avex.gateway.connection import Connection
from avex.protocol import queries as Q
from avex.protocol.codec import encode
from avex.render import render_team_stream
from avex.router import error_frame

if TYPE_CHECKING:
    from avex.gateway.hub import Hub

log = logging.getLogger("avex.gateway")

DAY_US = 86_400 * 1_000_000
RESYNC_MAX_EVENTS = 1000
_PENDING: set[asyncio.Task[None]] = set()  # history reads in flight (a reference keeps them alive)


def _send(conn: Connection, frames: list[dict[str, Any]]) -> Callable[[], None]:
    texts = [encode(f) for f in frames]
    return lambda: conn.send_texts(texts)


def _later(hub: Hub, conn: Connection, work: Callable[[], list[dict[str, Any]]]) -> Callable[[], None]:
    """At release: run ``work`` (a store read) in a thread; its frames keep this place in the outbox."""

    def release() -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[list[str]] = loop.create_future()
        conn.send_later(fut)

        async def run() -> None:
            try:
                frames = await asyncio.to_thread(work)
                fut.set_result([encode(f) for f in frames])
            except Exception as exc:
                log.exception("history read failed")
                fut.set_result([encode(error_frame(INVALID_MESSAGE, f"Request failed: {exc}"))])

        task = loop.create_task(run())
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)

    return release


def dispatch(hub: Hub, conn: Connection, req: Any) -> None:
    handler = _HANDLERS.get(type(req))
    if handler is None:
        return  # Declined: nothing is sent or changed
    hub.driver.query(conn, lambda engine, now: handler(hub, conn, req, engine, now))


def answer(hub: Hub, conn: Connection, req: Any, engine: Engine, now: int) -> Any:
    """Answer a read already inside the driver (between commands); returns its release callback."""
    handler = _HANDLERS.get(type(req))
    return None if handler is None else handler(hub, conn, req, engine, now)


# --- team reads -------------------------------------------------------------------------------------------
def _inventory(hub: Hub, conn: Connection, req: Q.GetInventory, engine: Engine, now: int) -> Any:
    acct = engine.account(req.team)
    return None if acct is None else _send(conn, views.inventory_and_balance(engine, acct, now))


def _all_orders(hub: Hub, conn: Connection, req: Q.RequestAllOrders, engine: Engine, now: int) -> Any:
    return _send(conn, [views.all_orders(engine, None if conn.admin else req.team, now)])


def _order_book(hub: Hub, conn: Connection, req: Q.RequestOrderBook, engine: Engine, now: int) -> Any:
    if req.product not in engine.books:
        reason = f"product not tradable: {req.product}" if req.product in engine.products else (
            f"invalid product: {req.product}")
        return _send(conn, [error_frame(INVALID_PRODUCT, reason)])
    return _send(conn, [views.order_book(engine, req.product, None if conn.admin else req.team, now)])


def _resync(hub: Hub, conn: Connection, req: Q.Resync, engine: Engine, now: int) -> Any:
    upto = engine.seq
    codes = engine.codes
    team = req.team
    stamp = format_ms(now)

    def work() -> list[dict[str, Any]]:
        reader = hub.reader()
        if req.last_seq is not None:
            events: list[dict[str, Any]] = []
            more = False
            for seq, time, cmd_events in reader.events_for_team(team, req.last_seq, RESYNC_MAX_EVENTS + 1):
                if seq > upto:
                    break
                frames = render_team_stream(Applied(seq, time, None, cmd_events), codes, team)  # type: ignore[arg-type]
                if events and len(events) + len(frames) > RESYNC_MAX_EVENTS:
                    more = True
                    break
                events.extend(frames)
            return [{"type": "EVENT_DELTA", "events": events, "more": more, "seq": upto, "serverTime": stamp}]
        since = req.last_sync if req.last_sync is not None else now - DAY_US
        fills = reader.fills_for_team_since(team, since, upto_seq=upto)
        events = []
        if fills:
            wanted = {f.seq for f in fills}
            for seq, time, cmd_events in reader.events_for_team(team, min(wanted) - 1, None):
                if seq > upto:
                    break
                if seq in wanted:
                    frames = render_team_stream(Applied(seq, time, None, cmd_events), codes, team)  # type: ignore[arg-type]
                    events.extend(f for f in frames if f["type"] == "FILL")
        return [{"type": "EVENT_DELTA", "events": events, "more": False, "seq": upto, "serverTime": stamp}]

    return _later(hub, conn, work)


def _report(hub: Hub, conn: Connection, req: Q.PerformanceReport, engine: Engine, now: int) -> Any:
    target = req.team if req.team_name is None or req.scope == "global" else req.team_name
    if req.scope != "global" and target != req.team and not conn.admin:
        return _send(conn, [error_frame(AUTH_FAILED, "Admin access required")])
    if req.scope != "global" and engine.account(target) is None:
        return _send(conn, [error_frame(INVALID_MESSAGE, f"Team not found: {target}")])
    ranking = engine.ranking(now)
    ranks = {v.team: i + 1 for i, v in enumerate(ranking)}
    start = req.start_time if req.start_time is not None else now - DAY_US
    upto, since_seq, stamp, codes = engine.seq, engine.stats_since_seq, format_ms(now), engine.codes
    if req.scope == "global":
        valuations = ranking
    else:
        acct = engine.account(target)
        assert acct is not None
        valuations = [engine.valuation(acct, engine.marks(now))]

    def work() -> list[dict[str, Any]]:
        fills = [
            f for f in hub.reader().fills(since=start, upto_seq=upto) if f.seq > since_seq and f.executed_at > start
        ]
        by_team: dict[str, list[Any]] = {}
        for f in fills:
            by_team.setdefault(f.buy_team, []).append(f)
            if f.sell_team != f.buy_team:
                by_team.setdefault(f.sell_team, []).append(f)
        n = len(ranking)
        bodies = [
            views.report_body(
                codes, v, by_team.get(v.team, []), ranks.get(v.team), n if v.team in ranks else None
            )
            for v in valuations
        ]
        if req.scope != "global":
            return [{"type": "PERFORMANCE_REPORT", **bodies[0], "seq": upto, "serverTime": stamp}]
        return [{
            "type": "GLOBAL_PERFORMANCE_REPORT",
            "duration": views.duration_text(max(0, (now - start) // 1_000_000)),
            "totalTrades": len(fills),
            "totalVolume": wire(sum(f.price * f.qty for f in fills)),
            "topTraders": bodies,
            "productStats": views.product_stats(fills),
            "seq": upto, "serverTime": stamp,
        }]

    return _later(hub, conn, work)


# --- admin reads and relays -----------------------------------------------------------------------------
def _broadcast(hub: Hub, conn: Connection, req: Q.Broadcast, engine: Engine, now: int) -> Any:
    note = encode({"type": "BROADCAST_NOTIFICATION", "message": req.message, "sender": req.admin,
                        "serverTime": format_ms(now)})
    reply = encode({"type": "ADMIN_ACTION_RESPONSE", "action": "BROADCAST", "success": True,
                         "message": "Message broadcast to all users", "serverTime": format_ms(now)})

    def release() -> None:
        for c in list(hub.router.logged_in):
            c.send_texts((note,))
        conn.send_texts((reply,))

    return release


def _recipes(hub: Hub, conn: Connection, req: Q.UpdateAllRecipes, engine: Engine, now: int) -> Any:
    n = sum(1 for a in engine.teams() if not a.admin and a.species is not None)
    return _send(conn, [{"type": "RECIPES_UPDATED", "success": True, "teamsUpdated": n,
                         "message": f"Updated recipes for {n} teams", "serverTime": format_ms(now)}])


def _all_teams(hub: Hub, conn: Connection, req: Q.AllTeams, engine: Engine, now: int) -> Any:
    teams = []
    for a in engine.teams():
        teams.append({
            "teamName": a.name, "species": a.species.name if a.species else "", "members": a.members,
            "initialBalance": wire(a.initial_balance), "currentBalance": wire(a.cash),
            "inventory": dict(zip(engine.codes, a.goods)), "authorizedProducts": list(a.authorized),
            "connected": hub.router.team_connections(a.name) > 0, "admin": a.admin,
        })
    return _send(conn, [{"type": "ALL_TEAMS", "teams": teams, "count": len(teams), "seq": engine.seq,
                         "serverTime": format_ms(now)}])


def _available_teams(hub: Hub, conn: Connection, req: Q.AvailableTeams, engine: Engine, now: int) -> Any:
    teams = []
    for a in engine.teams():
        if hub.router.team_connections(a.name):
            teams.append({
                "teamName": a.name, "species": a.species.name if a.species else "", "connected": True,
                "balance": wire(a.cash), "activeOrders": a.open_orders, "authorizedProducts": list(a.authorized),
            })
    return _send(conn, [{"type": "AVAILABLE_TEAMS", "teams": teams, "count": len(teams), "seq": engine.seq,
                         "serverTime": format_ms(now)}])


def _sessions(hub: Hub, conn: Connection, req: Q.ConnectedSessions, engine: Engine, now: int) -> Any:
    stamp = format_ms(now)
    conns = sorted(hub.router.logged_in, key=lambda c: c.connected_at)
    sessions = []
    for c in conns:
        s: dict[str, Any] = {"teamName": c.team, "remoteAddr": c.remote_addr}
        if c.user_agent:
            s["userAgent"] = c.user_agent
        s.update(clientType=c.client_type, connectedAt=format_ms(c.connected_at),
                 lastActivity=format_ms(c.last_activity), authenticated=True)
        sessions.append(s)
    uptime = max(0, (now_us() - hub.started_at) // 1_000_000)
    h, rest = divmod(uptime, 3600)
    m, s_ = divmod(rest, 60)
    text = f"{h}h{m}m{s_}s" if h else (f"{m}m{s_}s" if m else f"{s_}s")
    stats = {"totalConnections": len(hub.connections), "uniqueTeams": len(hub.router.by_team),
             "totalOrders": hub.metrics.orders_seen(), "totalFills": hub.metrics.fills_seen(), "uptime": text}
    return _send(conn, [
        {"type": "CONNECTED_SESSIONS", "sessions": sessions, "serverTime": stamp},
        {"type": "SERVER_STATS", "stats": stats, "serverTime": stamp},
    ])


def _sdk_emulator(hub: Hub, conn: Connection, req: Q.SdkEmulator, engine: Engine, now: int) -> Any:
    if engine.account(req.target) is None:
        return _send(conn, [error_frame(INVALID_MESSAGE, f"Team not found: {req.target}")])
    relay = encode({**req.payload, "type": req.message_type, "emulated": True})
    ack = encode({"type": "SDK_EMULATOR_ACK", "messageType": req.message_type, "success": True,
                       "targetTeam": req.target, "timestamp": format_ms(now)})

    def release() -> None:
        for c in list(hub.router.by_team.get(req.target, ())):
            c.send_texts((relay,))
        conn.send_texts((ack,))

    return release


_HANDLERS: dict[type, Callable[..., Any]] = {
    Q.GetInventory: _inventory,
    Q.RequestAllOrders: _all_orders,
    Q.RequestOrderBook: _order_book,
    Q.Resync: _resync,
    Q.PerformanceReport: _report,
    Q.Broadcast: _broadcast,
    Q.UpdateAllRecipes: _recipes,
    Q.AllTeams: _all_teams,
    Q.AvailableTeams: _available_teams,
    Q.ConnectedSessions: _sessions,
    Q.SdkEmulator: _sdk_emulator,
}


def register(query_type: type, handler: Callable[..., Any]) -> None:
    """Admin history reads (exports, historical orders, activity) plug in here."""
    _HANDLERS[query_type] = handler


import avex.admin.reads  # noqa: E402, F401  (registers EXPORT_DATA, REQUEST_HISTORICAL_ORDERS, GET_TEAM_ACTIVITY)
