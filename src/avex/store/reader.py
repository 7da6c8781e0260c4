"""The history reader: RESYNC, reports, exports and admin views read committed rows here.

It borrows its own pooled connection per call (never the writer's transaction), so it may run on another
thread than the writer; on SQLite (WAL) each call reads one consistent snapshot without blocking the
writer. Callers pass ``upto_seq`` = the engine's watermark N to see exactly the commands ≤ N (GAME.md §1),
even when later batches are already committed. Time filters are ``since ≤ t < until`` (PROTOCOL.md §4.15)
unless a name says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, Select, and_, or_, select

from avex.engine.events import Event
from avex.store import codec, schema
from avex.store.rows import Activity, FillRow, LedgerRow, OrderRow, SessionRow, TeamRow

_HISTORICAL = ("FILLED", "CANCELLED", "REJECTED", "PARTIALLY_FILLED")


def _cols(table: Any, row_type: Any) -> list[Any]:
    return [table.c[name] for name in row_type.__struct_fields__]


_ORDER_COLS = _cols(schema.orders, OrderRow)
_FILL_COLS = _cols(schema.fills, FillRow)
_LEDGER_COLS = _cols(schema.ledger, LedgerRow)
_TEAM_COLS = _cols(schema.teams, TeamRow)
_SESSION_COLS = _cols(schema.sessions, SessionRow)


def _window(stmt: Select, column: Any, since: int | None, until: int | None) -> Select:
    if since is not None:
        stmt = stmt.where(column >= since)
    if until is not None:
        stmt = stmt.where(column < until)
    return stmt


class HistoryReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _all(self, stmt: Any) -> list[Any]:
        with self._engine.connect() as conn:
            return conn.execute(stmt).all()

    # --- RESYNC ---------------------------------------------------------------------------------------------
    def events_for_team(
        self, team: str, after_seq: int, limit_commands: int, upto_seq: int | None = None
    ) -> list[tuple[int, int, list[Event]]]:
        """The commands after ``after_seq`` that gave ``team`` team-scope frames, oldest first, at most
        ``limit_commands``: ``(seq, time, events)``. Every command listed gives the team at least one frame
        from the renderer, so asking for one more command than frames wanted tells whether more remain."""
        j, jt = schema.journal, schema.journal_team
        stmt = (
            select(j.c.seq, j.c.time, j.c.events)
            .select_from(jt.join(j, j.c.seq == jt.c.seq))
            .where(jt.c.team == team, jt.c.seq > after_seq)
            .order_by(jt.c.seq)
            .limit(limit_commands)
        )
        if upto_seq is not None:
            stmt = stmt.where(jt.c.seq <= upto_seq)
        decode = codec.decode_events
        return [(seq, time, decode(events)) for seq, time, events in self._all(stmt)]

    def fills_for_team_since(
        self, team: str, since_us: int, upto_seq: int | None = None, limit: int | None = None
    ) -> list[FillRow]:
        """The team's fills executed strictly after ``since_us``, in execution order (RESYNC lastSync)."""
        f = schema.fills
        stmt = (
            select(*_FILL_COLS)
            .where(f.c.executed_at > since_us, or_(f.c.buy_team == team, f.c.sell_team == team))
            .order_by(f.c.seq, f.c.n)
        )
        if upto_seq is not None:
            stmt = stmt.where(f.c.seq <= upto_seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [FillRow(*r) for r in self._all(stmt)]

    # --- exports and reports --------------------------------------------------------------------------------
    def orders(
        self,
        team: str | None = None,
        since: int | None = None,
        until: int | None = None,
        statuses: Iterable[str] | None = None,
        upto_seq: int | None = None,
        limit: int | None = None,
    ) -> list[OrderRow]:
        """Orders created in [since, until), oldest first (by ``seq``)."""
        o = schema.orders
        stmt = _window(select(*_ORDER_COLS), o.c.created_at, since, until).order_by(o.c.seq, o.c.cl_ord_id)
        if team is not None:
            stmt = stmt.where(o.c.team == team)
        if statuses is not None:
            stmt = stmt.where(o.c.status.in_(list(statuses)))
        if upto_seq is not None:
            stmt = stmt.where(o.c.seq <= upto_seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [OrderRow(*r) for r in self._all(stmt)]

    def fills(
        self,
        team: str | None = None,
        product: str | None = None,
        since: int | None = None,
        until: int | None = None,
        upto_seq: int | None = None,
        limit: int | None = None,
    ) -> list[FillRow]:
        """Fills executed in [since, until), in execution order; ``team`` on either side."""
        f = schema.fills
        stmt = _window(select(*_FILL_COLS), f.c.executed_at, since, until).order_by(f.c.seq, f.c.n)
        if team is not None:
            stmt = stmt.where(or_(f.c.buy_team == team, f.c.sell_team == team))
        if product is not None:
            stmt = stmt.where(f.c.product == product)
        if upto_seq is not None:
            stmt = stmt.where(f.c.seq <= upto_seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [FillRow(*r) for r in self._all(stmt)]

    def ledger(
        self,
        team: str | None = None,
        since: int | None = None,
        until: int | None = None,
        upto_seq: int | None = None,
        limit: int | None = None,
    ) -> list[LedgerRow]:
        """Ledger rows with time in [since, until), in the order they were written."""
        g = schema.ledger
        stmt = _window(select(*_LEDGER_COLS), g.c.time, since, until).order_by(g.c.id)
        if team is not None:
            stmt = stmt.where(g.c.team == team)
        if upto_seq is not None:
            stmt = stmt.where(g.c.seq <= upto_seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [LedgerRow(*r) for r in self._all(stmt)]

    def teams(self) -> list[TeamRow]:
        """Every team's stored description (the file's first, then SEED_TEAMS ones); never a token hash."""
        t = schema.teams
        stmt = select(*_TEAM_COLS).order_by(t.c.created_seq, t.c.name)
        return [TeamRow(*r) for r in self._all(stmt)]

    def sessions(
        self, since: int | None = None, until: int | None = None, limit: int | None = None
    ) -> list[SessionRow]:
        """Sessions connected in [since, until), oldest first."""
        s = schema.sessions
        stmt = _window(select(*_SESSION_COLS), s.c.connected_at, since, until).order_by(s.c.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [SessionRow(*r) for r in self._all(stmt)]

    # --- admin views ----------------------------------------------------------------------------------------
    def historical_orders(
        self, limit: int = 100, team: str | None = None, upto_seq: int | None = None
    ) -> list[OrderRow]:
        """FILLED, CANCELLED, REJECTED and PARTIALLY_FILLED orders, newest ``updatedAt`` first, then higher
        ``seq`` (REQUEST_HISTORICAL_ORDERS)."""
        o = schema.orders
        stmt = (
            select(*_ORDER_COLS)
            .where(o.c.status.in_(_HISTORICAL))
            .order_by(o.c.updated_at.desc(), o.c.seq.desc(), o.c.cl_ord_id.desc())
            .limit(limit)
        )
        if team is not None:
            stmt = stmt.where(o.c.team == team)
        if upto_seq is not None:
            stmt = stmt.where(o.c.seq <= upto_seq)
        return [OrderRow(*r) for r in self._all(stmt)]

    def team_activity(self, team: str, limit: int = 100, upto_seq: int | None = None) -> list[Activity]:
        """The team's newest orders, fills and productions, newest first (GET_TEAM_ACTIVITY)."""
        o, f, p = schema.orders, schema.fills, schema.productions
        cap = [] if upto_seq is None else [o.c.seq <= upto_seq]
        orders = (
            select(o.c.created_at, o.c.seq, o.c.product, o.c.qty, o.c.price, o.c.side, o.c.mode)
            .where(o.c.team == team, *cap)
            .order_by(o.c.seq.desc())
            .limit(limit)
        )
        fcap = [] if upto_seq is None else [f.c.seq <= upto_seq]
        fills = (
            select(f.c.executed_at, f.c.seq, f.c.n, f.c.product, f.c.qty, f.c.price, f.c.buy_team)
            .where(or_(f.c.buy_team == team, f.c.sell_team == team), *fcap)
            .order_by(f.c.seq.desc(), f.c.n.desc())
            .limit(limit)
        )
        pcap = [] if upto_seq is None else [p.c.seq <= upto_seq]
        productions = (
            select(p.c.time, p.c.seq, p.c.product, p.c.qty)
            .where(and_(p.c.team == team, *pcap))
            .order_by(p.c.seq.desc(), p.c.id.desc())
            .limit(limit)
        )
        # (time, seq, rank within the command) orders the three lists together, newest first.
        merged: list[tuple[tuple[int, int, int], Activity]] = []
        with self._engine.connect() as conn:
            for time, seq, product, qty, price, side, mode in conn.execute(orders):
                merged.append(((time, seq, 0), Activity(time, seq, "ORDER", product, qty, price, side, mode)))
            for time, seq, n, product, qty, price, buy_team in conn.execute(fills):
                side = "BUY" if buy_team == team else "SELL"
                merged.append(
                    ((time, seq, 1 + n), Activity(time, seq, "FILL", product, qty, price, side, None))
                )
            for time, seq, product, qty in conn.execute(productions):
                merged.append(
                    ((time, seq, 0), Activity(time, seq, "PRODUCTION", product, qty, None, None, None))
                )
        merged.sort(key=lambda item: item[0], reverse=True)
        return [activity for _, activity in merged[:limit]]
