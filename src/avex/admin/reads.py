"""The admin history reads over WebSocket (PROTOCOL.md §4.11, §4.15, §5.12, §5.25): EXPORT_DATA,
REQUEST_HISTORICAL_ORDERS and GET_TEAM_ACTIVITY.

Each handler runs in the driver between commands (team checks in engine order, live team rows, the
watermark ``seq``), then reads the store in a worker thread restricted to ``seq`` ≤ that watermark; its
reply keeps the connection's order (``gateway.reads._later``). Importing this module registers them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from avex.admin import rows as R
from avex.admin.export import WS_ROW_CAP, export_body
from avex.domain.errors import INVALID_MESSAGE
from avex.domain.timeutil import format_ms
from avex.gateway.reads import _later, _send, register
from avex.protocol import queries as Q
from avex.router import error_frame

if TYPE_CHECKING:
    from avex.engine.engine import Engine
    from avex.gateway.connection import Connection
    from avex.gateway.hub import Hub

ACTIVITY_LIMIT = 100


def team_rows(hub: Hub, engine: Engine) -> list[dict[str, Any]]:
    """Every team (admins included, the house excluded) as an export row; call between commands."""
    return [R.team_row(engine, a, hub.router.team_connections(a.name) > 0) for a in engine.teams()]


def _export(hub: Hub, conn: Connection, req: Q.ExportData, engine: Engine, now: int) -> Any:
    upto, stamp = engine.seq, format_ms(now)
    teams = team_rows(hub, engine) if req.data_type in ("teams", "all") else []

    def work() -> list[dict[str, Any]]:
        body = export_body(hub.reader(), req.data_type, req.start, req.end, upto, teams, cap=WS_ROW_CAP)
        return [{"type": "EXPORT_DATA_RESPONSE", **body, "seq": upto, "serverTime": stamp}]

    return _later(hub, conn, work)


def _historical_orders(hub: Hub, conn: Connection, req: Q.HistoricalOrders, engine: Engine, now: int) -> Any:
    upto, stamp = engine.seq, format_ms(now)

    def work() -> list[dict[str, Any]]:
        orders = [R.order_row(o) for o in hub.reader().historical_orders(limit=req.limit, upto_seq=upto)]
        return [{"type": "HISTORICAL_ORDERS", "orders": orders, "count": len(orders), "seq": upto,
                 "serverTime": stamp}]

    return _later(hub, conn, work)


def _team_activity(hub: Hub, conn: Connection, req: Q.TeamActivity, engine: Engine, now: int) -> Any:
    if engine.account(req.team) is None:
        return _send(conn, [error_frame(INVALID_MESSAGE, f"Team not found: {req.team}")])
    upto, stamp = engine.seq, format_ms(now)

    def work() -> list[dict[str, Any]]:
        rows = [R.activity_row(a) for a in hub.reader().team_activity(req.team, ACTIVITY_LIMIT, upto_seq=upto)]
        return [{"type": "TEAM_ACTIVITY", "teamName": req.team, "activities": rows, "count": len(rows),
                 "seq": upto, "serverTime": stamp}]

    return _later(hub, conn, work)


register(Q.ExportData, _export)
register(Q.HistoricalOrders, _historical_orders)
register(Q.TeamActivity, _team_activity)
