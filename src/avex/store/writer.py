"""The batch writer: a batch of applied commands -> one transaction, one executemany per table.

This is the hot path (ARCHITECTURE.md item 4): the driver hands over every command applied since the last
commit; clients see nothing of them until this returns. ``derive_rows`` turns the batch into plain row
dicts in one pass over the events (pure, no I/O); ``BatchWriter.write`` sends each table's rows as one
statement. An order created and changed within the same batch is inserted once in its final state, and an
order changed several times is updated once, so the statement count stays fixed whatever the batch holds.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Engine, Integer, LargeBinary, String, Table, bindparam, insert
from sqlalchemy.exc import DBAPIError

from avex.domain.catalogue import HOUSE
from avex.engine.commands import AdminCreateOrder, Command
from avex.engine.events import (
    BalanceChanged,
    Event,
    Fill,
    InventoryChanged,
    Ledger,
    OfferCreated,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    Produced,
    TeamChanged,
    TeamCreated,
)
from avex.engine.ledger import trade_rows
from avex.engine.outcome import Applied
from avex.store import codec, schema
from avex.store.backend.db import WRITE, upsert

Row = dict[str, Any]


@dataclass(slots=True)
class BatchRows:
    """Rows per table for one batch, in the order they are written."""

    teams_new: list[Row] = field(default_factory=list)
    teams_changed: list[Row] = field(default_factory=list)
    journal: list[Row] = field(default_factory=list)
    journal_team: list[Row] = field(default_factory=list)
    orders_new: list[Row] = field(default_factory=list)
    orders_changed: list[Row] = field(default_factory=list)
    fills: list[Row] = field(default_factory=list)
    ledger: list[Row] = field(default_factory=list)
    accounts: list[Row] = field(default_factory=list)
    offers: list[Row] = field(default_factory=list)
    productions: list[Row] = field(default_factory=list)

    def count(self) -> int:
        return sum(len(getattr(self, name)) for name in self.__slots__)


def derive_rows(batch: Sequence[Applied]) -> BatchRows:
    """Every table row the batch implies (journal, journal_team and the query tables)."""
    return _derive([(a.seq, a.time, a.cmd, a.events) for a in batch], journaled=True)


def derive_genesis_rows(events: Sequence[Event], time: int) -> BatchRows:
    """The rows of a new database's initial state (``Engine.genesis_events()``: teams and INITIAL ledger
    rows) at seq 0. They are not a command: no journal row, nothing to replay."""
    return _derive([(0, time, None, list(events))], journaled=False)


def _derive(items: Sequence[tuple[int, int, Command | None, list[Event]]], journaled: bool) -> BatchRows:
    out = BatchRows()
    journal = out.journal
    journal_team = out.journal_team
    fills = out.fills
    ledger = out.ledger
    encode = codec.encode
    new_orders: dict[tuple[str, str], Row] = {}
    changed_orders: dict[tuple[str, str], Row] = {}
    new_teams: dict[str, Row] = {}
    changed_teams: dict[str, Row] = {}
    accounts: dict[tuple[str, str], Row] = {}

    def order_change(team: str, cl: str, seq: int, time: int, filled: int, status: str, reason: str | None):
        key = (team, cl)
        row = new_orders.get(key)
        if row is None:  # created by an earlier batch: an UPDATE of its final state in this batch
            row = changed_orders.get(key)
            if row is None:
                row = changed_orders[key] = {"k_team": team, "k_cl": cl}
        row["filled"] = filled
        row["status"] = status
        row["reason"] = reason
        row["updated_at"] = time

    def add_ledger(seq: int, time: int, ev: Ledger) -> None:
        ledger.append({
            "seq": seq, "team": ev.team, "asset": ev.asset, "delta": ev.delta,
            "balance_after": ev.balance_after, "reason": ev.reason, "reference": ev.ref, "time": time,
        })
        # The last row of the batch per (team, asset) is the account's total after the batch.
        accounts[(ev.team, ev.asset)] = {"team": ev.team, "asset": ev.asset, "total": ev.balance_after, "seq": seq}

    for seq, time, cmd, events in items:
        if journaled:
            journal.append({"seq": seq, "time": time, "command": encode(cmd), "events": encode(events)})
        # Teams that get team-scope frames (ORDER_ACK, FILL, BALANCE/INVENTORY_UPDATE, OFFER) from this
        # command: RESYNC by lastSeq reads exactly these commands. The house never logs in.
        teams: set[str] = set()
        n_fill = 0
        for ev in events:
            kind = type(ev)
            if kind is Ledger:
                add_ledger(seq, time, ev)
            elif kind is BalanceChanged or kind is InventoryChanged:
                teams.add(ev.team)
            elif kind is Fill:
                for row in trade_rows(ev):
                    add_ledger(seq, time, row)
                fills.append({
                    "seq": seq, "n": n_fill, "fill_id": ev.fill_id, "product": ev.product, "qty": ev.qty,
                    "price": ev.price, "buy_team": ev.buy_team, "buy_cl": ev.buy_cl, "buy_msg": ev.buy_msg,
                    "buy_remaining": ev.buy_remaining, "buy_total": ev.buy_total, "sell_team": ev.sell_team,
                    "sell_cl": ev.sell_cl, "sell_msg": ev.sell_msg, "sell_remaining": ev.sell_remaining,
                    "sell_total": ev.sell_total, "aggressor": ev.aggressor, "source": ev.source,
                    "executed_at": time,
                })
                n_fill += 1
                if ev.buy_team != HOUSE:
                    teams.add(ev.buy_team)
                    order_change(
                        ev.buy_team, ev.buy_cl, seq, time, ev.buy_total - ev.buy_remaining,
                        "FILLED" if ev.buy_remaining == 0 else "PARTIALLY_FILLED", None,
                    )
                if ev.sell_team != HOUSE:
                    teams.add(ev.sell_team)
                if ev.sell_cl:  # "" when the house sells: it has no order
                    order_change(
                        ev.sell_team, ev.sell_cl, seq, time, ev.sell_total - ev.sell_remaining,
                        "FILLED" if ev.sell_remaining == 0 else "PARTIALLY_FILLED", None,
                    )
            elif kind is OrderAccepted:
                teams.add(ev.team)
                new_orders[(ev.team, ev.cl)] = {
                    "team": ev.team, "cl_ord_id": ev.cl, "seq": seq, "side": ev.side, "mode": ev.mode,
                    "product": ev.product, "qty": ev.qty, "price": ev.price, "filled": 0, "status": "PENDING",
                    "reason": None, "message": ev.message, "created_at": time, "updated_at": time,
                    "expires_at": ev.expires_at, "origin": ev.origin,
                }
            elif kind is OrderCancelled:
                teams.add(ev.team)
                order_change(ev.team, ev.cl, seq, time, ev.filled, "CANCELLED", ev.reason)
            elif kind is OrderRejected:
                # The ERROR is a reply, not a team-scope frame: no journal_team row for it.
                new_orders[(ev.team, ev.cl)] = {
                    "team": ev.team, "cl_ord_id": ev.cl, "seq": seq, "side": ev.side, "mode": ev.mode,
                    "product": ev.product, "qty": ev.qty, "price": ev.price, "filled": 0,
                    "status": "REJECTED", "reason": ev.reason, "message": ev.message, "created_at": time,
                    "updated_at": time, "expires_at": ev.expires_at,
                    "origin": "ADMIN" if type(cmd) is AdminCreateOrder else "USER",
                }
            elif kind is OfferCreated:
                teams.update(ev.recipients)
                teams.add(ev.buyer)
                out.offers.append({
                    "offer_id": ev.offer_id, "seq": seq, "buyer": ev.buyer, "buy_cl": ev.buy_cl,
                    "product": ev.product, "qty": ev.qty, "max_price": ev.max_price,
                    "expires_at": ev.expires_at, "ttl_ms": ev.ttl_ms, "recipients": list(ev.recipients),
                    "team_only": ev.team_only, "created_at": time,
                })
            elif kind is Produced:
                teams.add(ev.team)
                out.productions.append({
                    "seq": seq, "team": ev.team, "product": ev.product, "qty": ev.qty,
                    "inputs": dict(ev.inputs), "time": time,
                })
            elif kind is TeamCreated:
                new_teams[ev.name] = {
                    "name": ev.name, "token_hash": ev.token_hash, "species": ev.species, "admin": ev.admin,
                    "members": ev.members, "initial_balance": ev.initial_balance,
                    "initial_inventory": dict(ev.initial_inventory), "created_seq": seq,
                }
            elif kind is TeamChanged:
                row = new_teams.get(ev.name)
                if row is None:
                    row = changed_teams[ev.name] = {"k_name": ev.name}
                row["members"] = ev.members
                row["initial_balance"] = ev.initial_balance
                row["initial_inventory"] = dict(ev.initial_inventory)
        if journaled:
            teams.discard(HOUSE)
            for team in sorted(teams):
                journal_team.append({"team": team, "seq": seq})

    out.orders_new = list(new_orders.values())
    out.orders_changed = list(changed_orders.values())
    out.teams_new = list(new_teams.values())
    out.teams_changed = list(changed_teams.values())
    out.accounts = list(accounts.values())
    return out


class _Statement:
    """One table statement of the plan, executed as a single executemany.

    Statements whose columns take driver-native values (integers, text, bytes, booleans) are compiled
    once for the engine's dialect and sent straight to the driver: SQLAlchemy's per-row parameter
    processing would otherwise cost more than SQLite's own insert (measured: ~40% of a batch). Statements
    with JSON columns keep SQLAlchemy's processing, which serialises them.
    """

    __slots__ = ("compiled", "stmt")

    def __init__(self, stmt: Any, direct: bool) -> None:
        self.stmt = stmt
        # (row keys) -> (SQL text, row -> params); built on first use, when the row layout is known
        self.compiled: dict[tuple[str, ...], tuple[str, Callable[[Row], Any]]] | None = {} if direct else None

    def execute(self, conn: Connection, values: list[Row]) -> None:
        if self.compiled is None:
            conn.execute(self.stmt, values)
            return
        keys = tuple(values[0])
        entry = self.compiled.get(keys)
        if entry is None:
            entry = self.compiled[keys] = self._compile(conn, keys)
        sql, to_params = entry
        params = [to_params(v) for v in values]
        # the DBAPI cursor of this transaction's connection: no per-statement execution context or events
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(sql, params)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(sql, params, exc, conn.dialect.loaded_dbapi.Error) from exc
        finally:
            cursor.close()

    def _compile(self, conn: Connection, keys: tuple[str, ...]) -> tuple[str, Callable[[Row], Any]]:
        compiled = self.stmt.compile(dialect=conn.dialect, column_keys=list(keys))
        if compiled.positional:  # SQLite: qmark, parameters as tuples in statement order
            order = compiled.positiontup
            getter = itemgetter(*order)
            return str(compiled), (getter if len(order) > 1 else lambda row: (getter(row),))
        return str(compiled), _identity  # psycopg: named (pyformat), the row dicts as they are


def _identity(row: Row) -> Row:
    return row


def _direct(table: Table) -> bool:
    """Whether every column takes the values derive_rows produces as they are, on both drivers."""
    return all(isinstance(c.type, (Integer, String, LargeBinary, Boolean)) for c in table.columns)


class BatchWriter:
    """Writes batches to one database; statements are built once and reused."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine.execution_options(**WRITE)
        t = schema
        account_upsert = upsert(engine, t.accounts)
        account_upsert = account_upsert.on_conflict_do_update(
            index_elements=["team", "asset"],
            set_={"total": account_upsert.excluded.total, "seq": account_upsert.excluded.seq},
        )

        def add(table: Table) -> Any:
            # inline(): never fetch generated keys back (PostgreSQL would add RETURNING to every row)
            return insert(table).inline()

        # (rows attribute, statement) in write order: teams before anything that names them.
        plan = (
            ("teams_new", add(t.teams)),
            ("teams_changed", t.teams.update().where(t.teams.c.name == bindparam("k_name"))),
            ("journal", add(t.journal)),
            ("journal_team", add(t.journal_team)),
            ("orders_new", add(t.orders)),
            ("orders_changed", t.orders.update().where(
                t.orders.c.team == bindparam("k_team"), t.orders.c.cl_ord_id == bindparam("k_cl"),
            )),
            ("fills", add(t.fills)),
            ("ledger", add(t.ledger)),
            ("accounts", account_upsert),
            ("offers", add(t.offers)),
            ("productions", add(t.productions)),
        )
        self._plan = tuple((name, _Statement(stmt, _direct(stmt.table))) for name, stmt in plan)

    def write(self, batch: Sequence[Applied]) -> BatchRows:
        """Write the batch in one transaction (all of it or, on any error, none of it)."""
        rows = derive_rows(batch)
        with self._engine.begin() as conn:
            self.write_rows(conn, rows)
        return rows

    def write_rows(self, conn: Connection, rows: BatchRows) -> None:
        """Send each table's rows as one statement on ``conn`` (inside the caller's transaction)."""
        for name, stmt in self._plan:
            values = getattr(rows, name)
            if values:
                stmt.execute(conn, values)


@dataclass(slots=True)
class Prepared:
    """A batch turned into SQL and parameters, ready to commit (SQLite), or the batch itself (PostgreSQL)."""

    batch: Sequence[Applied]
    statements: list[tuple[str, list[Any]]] | None = None


class RawSqliteWriter:
    """SQLite's batch write split in two: ``prepare`` (all the Python: rows, parameters, JSON) runs on the
    caller's thread, ``commit`` (BEGIN IMMEDIATE, one executemany per table, COMMIT) runs on one dedicated
    connection in the writer thread, where sqlite3 releases the GIL for nearly all of its time. So a commit
    neither blocks the event loop nor competes with it for the interpreter."""

    def __init__(self, writer: BatchWriter, engine: Engine) -> None:
        self._plan = writer._plan
        self._dialect = engine.dialect
        self._conn = engine.raw_connection()  # held for the store's life: the only writer
        self._compiled: dict[tuple[str, tuple[str, ...]], tuple[str, Callable[[Row], Any]]] = {}

    def prepare(self, batch: Sequence[Applied]) -> Prepared:
        rows = derive_rows(batch)
        statements: list[tuple[str, list[Any]]] = []
        for name, stmt in self._plan:
            values = getattr(rows, name)
            if not values:
                continue
            keys = tuple(values[0])
            entry = self._compiled.get((name, keys))
            if entry is None:
                entry = self._compiled[(name, keys)] = self._compile(stmt.stmt, keys)
            sql, to_params = entry
            statements.append((sql, [to_params(v) for v in values]))
        return Prepared(batch, statements)

    def _compile(self, stmt: Any, keys: tuple[str, ...]) -> tuple[str, Callable[[Row], Any]]:
        compiled = stmt.compile(dialect=self._dialect, column_keys=list(keys))
        order = list(compiled.positiontup)
        table = stmt.table
        json_cols = {c.name for c in table.columns if isinstance(c.type, JSON)}
        # JSON columns: serialised as SQLAlchemy's SQLite JSON type does (json.dumps), read back by it alike
        fields = [(key, key in json_cols) for key in order]
        if not any(is_json for _, is_json in fields):
            getter = itemgetter(*order)
            return str(compiled), (getter if len(order) > 1 else lambda row: (getter(row),))

        def to_params(row: Row) -> tuple[Any, ...]:
            return tuple(
                (None if row[key] is None else json.dumps(row[key])) if is_json else row[key] for key, is_json in fields
            )

        return str(compiled), to_params

    def commit(self, prepared: Prepared) -> None:
        assert prepared.statements is not None
        cur = self._conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in prepared.statements:
                    cur.executemany(sql, params)
                cur.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    cur.execute("ROLLBACK")
                raise
        finally:
            cur.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()
