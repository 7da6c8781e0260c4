"""The Store: one database (SQLite file or PostgreSQL) holding a tournament's journal and query tables.

``open_store`` opens (creating and migrating as needed). The single writer (the driver) commits each batch
of applied commands (``prepare_batch``, then ``submit_prepared``: on SQLite in the commit process
that ``avex serve`` starts with ``start_commit_process``; ``write_batch`` does both synchronously) and
calls ``save_snapshot`` now and then; startup uses
``init`` / ``meta`` and recovery (``avex.store.recovery``) reads ``latest_snapshot`` and ``journal_after``.
Every method borrows a pooled connection for its own transaction, so the gateway may record sessions and a
``HistoryReader`` may read from other threads while the writer writes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import BigInteger, Engine, bindparam, cast, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from avex.domain.timeutil import now_us
from avex.engine.commands import Command
from avex.engine.events import Event
from avex.engine.outcome import Applied
from avex.store import codec, schema
from avex.store.backend.db import SQLITE_BUSY_MS, WRITE, describe, head_revision, open_engine
from avex.store.commit_process import CommitProcess
from avex.store.errors import StoreError, first_line
from avex.store.reader import HistoryReader
from avex.store.writer import BatchWriter, Prepared, RawSqliteWriter, derive_genesis_rows

SNAPSHOTS_KEPT = 3  # older snapshots are only a fallback; the journal itself is kept for ever


def open_store(url_or_path: str = "avex.db") -> Store:
    """Open the database at a path (SQLite, created if missing) or a ``postgresql://`` URL.

    Raises StoreError with one line naming the database when it cannot be reached, created or migrated.
    """
    engine, url = open_engine(url_or_path)
    return Store(engine, describe(url))




class Store:
    def __init__(self, engine: Engine, name: str) -> None:
        self._engine = engine
        self._write_engine = engine.execution_options(**WRITE)
        self.name = name
        """The database as error messages name it (file path, or URL without password)."""
        self._writer = BatchWriter(engine)
        self._next_seq = self.last_seq() + 1
        self._raw: RawSqliteWriter | None = None
        self._process: CommitProcess | None = None
        self._commit_thread: ThreadPoolExecutor | None = None
        self._thread_failed: str | None = None
        if engine.dialect.name == "sqlite":
            self._raw = RawSqliteWriter(self._writer, engine)

    # --- lifecycle ----------------------------------------------------------------------------------------
    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def close(self) -> None:
        if self._commit_thread is not None:
            self._commit_thread.shutdown(wait=True)
            self._commit_thread = None
        if self._process is not None:
            self._process.close()
            self._process = None
        if self._raw is not None:
            self._raw.close()
            self._raw = None
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reader(self) -> HistoryReader:
        """A history reader on this database (safe to use from another thread than the writer)."""
        return HistoryReader(self._engine)

    def _fail(self, what: str, exc: BaseException) -> StoreError:
        return StoreError(f"{what} ({self.name}): {first_line(exc)}")

    # --- tournament ---------------------------------------------------------------------------------------
    def meta(self) -> tuple[str, str] | None:
        """The stored tournament ``(canonical JSON, SHA-256)``, or None for a new database."""
        m = schema.meta
        try:
            with self._engine.connect() as conn:
                row = conn.execute(select(m.c.tournament_json, m.c.tournament_hash)).first()
        except SQLAlchemyError as exc:
            raise self._fail("cannot read the tournament", exc) from exc
        return None if row is None else (row[0], row[1])

    def init(
        self,
        tournament_json: str,
        tournament_hash: str,
        genesis: Sequence[Event],
        time_us: int | None = None,
    ) -> None:
        """Initialise a new database, in one transaction: the tournament (meta) and the engine's initial
        state, ``Engine(tournament).genesis_events()``: the teams (with token hashes) and an ``INITIAL``
        ledger row (seq 0) with its account total for every non-zero starting amount. The engine starts
        from the tournament without a command, so this is what makes ledger sums equal account totals and
        the engine's balances from the first command on. StoreError if the database is not new.
        """
        time = now_us() if time_us is None else time_us
        rows = derive_genesis_rows(genesis, time)
        try:
            with self._write_engine.begin() as conn:
                if conn.execute(select(schema.meta.c.id)).first() is not None:
                    raise StoreError(f"the database {self.name} already holds a tournament")
                if conn.execute(select(schema.journal.c.seq).limit(1)).first() is not None:
                    raise StoreError(f"the database {self.name} has a journal but no tournament")
                conn.execute(insert(schema.meta), {
                    "id": 1, "tournament_json": tournament_json, "tournament_hash": tournament_hash,
                    "created_at": time, "schema_version": head_revision(),
                })
                self._writer.write_rows(conn, rows)
        except SQLAlchemyError as exc:
            raise self._fail("cannot initialise the database", exc) from exc

    # --- the writer ---------------------------------------------------------------------------------------
    def last_seq(self) -> int:
        """The newest committed ``seq`` (0 before any command)."""
        try:
            with self._engine.connect() as conn:
                return conn.execute(select(func.max(schema.journal.c.seq))).scalar() or 0
        except SQLAlchemyError as exc:
            raise self._fail("cannot read the journal", exc) from exc

    def write_batch(self, batch: Sequence[Applied]) -> None:
        """Commit a batch of applied commands in one transaction: journal, journal_team and the query
        tables. The seqs must follow the last committed one without a gap. On any error nothing of the
        batch is stored and StoreError is raised (the server must stop: the engine is ahead of the disk)."""
        if batch:
            self.commit_prepared(self.prepare_batch(batch))

    def prepare_batch(self, batch: Sequence[Applied]) -> Prepared:
        """The Python half of a batch write (rows and parameters), on the caller's thread; then
        ``submit_prepared`` (or ``commit_prepared``). Checks that the seqs follow the last prepared batch."""
        for i, applied in enumerate(batch):
            if applied.seq != self._next_seq + i:
                expected = self._next_seq + i
                raise StoreError(
                    f"batch out of sequence: expected seq {expected}, got {applied.seq} ({self.name})"
                )
        prepared = self._raw.prepare(batch) if self._raw is not None else Prepared(batch)
        if batch:
            self._next_seq = batch[-1].seq + 1
        return prepared

    def start_commit_process(self) -> None:
        """SQLite: commit the server's batches in a child process from now on (``submit_prepared``).

        A commit in a thread of the server competes with the event loop for the GIL at every row, and
        waits up to 5 ms each time the loop is busy; the child has an interpreter to itself. PostgreSQL's
        driver waits on the network without the GIL, so it keeps the thread."""
        if self._raw is None or self._process is not None:
            return
        try:
            self._process = CommitProcess(self._engine.url.database or "", SQLITE_BUSY_MS)
        except OSError as exc:
            raise self._fail("cannot start the SQLite commit process", exc) from exc

    def submit_prepared(self, prepared: Prepared) -> asyncio.Future[None]:
        """Start committing a prepared batch without blocking the event loop; the future completes when it is
        durable, or fails with StoreError. Batches are committed in the order submitted, and none after a
        failed one: in the commit process if started, else on one writer thread."""
        batch = prepared.batch
        loop = asyncio.get_running_loop()
        result: asyncio.Future[None] = loop.create_future()
        if not batch:
            result.set_result(None)
            return result
        in_process = self._process is not None and prepared.statements is not None
        if in_process:
            assert self._process is not None and prepared.statements is not None
            done = self._process.commit(prepared.statements)
        else:
            if self._commit_thread is None:
                self._commit_thread = ThreadPoolExecutor(1, thread_name_prefix="avex-commit")
            done = loop.run_in_executor(self._commit_thread, self._commit_in_order, prepared)

        def settle(f: asyncio.Future[None]) -> None:
            if result.done():
                return
            if f.cancelled():
                result.cancel()
            elif (exc := f.exception()) is not None:
                self._next_seq = min(self._next_seq, batch[0].seq)
                # the writer thread's errors already name the commands; the commit process's do not
                result.set_exception(StoreError(f"{_where(batch)} ({self.name}): {exc}") if in_process else exc)
            else:
                result.set_result(None)

        done.add_done_callback(settle)
        return result

    def _commit_in_order(self, prepared: Prepared) -> None:
        # on the writer thread, one batch after the other: after a failure nothing more may go in
        if self._thread_failed is not None:
            raise StoreError(f"{_where(prepared.batch)} ({self.name}): an earlier batch failed: {self._thread_failed}")
        try:
            self.commit_prepared(prepared)
        except Exception as exc:
            self._thread_failed = str(exc)
            raise

    def commit_prepared(self, prepared: Prepared) -> None:
        batch = prepared.batch
        if not batch:
            return
        where = _where(batch)
        try:
            if prepared.statements is not None and self._raw is not None:
                self._raw.commit(prepared)
            else:
                self._writer.write(batch)
        except SQLAlchemyError as exc:
            self._next_seq = batch[0].seq
            raise self._fail(where, exc) from exc
        except sqlite3.Error as exc:
            self._next_seq = batch[0].seq
            raise self._fail(where, exc) from exc

    # --- snapshots and the journal (recovery) -------------------------------------------------------------
    def save_snapshot(self, seq: int, data: dict[str, Any], time_us: int | None = None) -> None:
        """Store an engine export taken after command ``seq`` (which must be committed); keeps the newest
        few snapshots."""
        blob = codec.encode(data)  # outside the transaction: a big export should not hold the write lock
        s = schema.snapshots
        try:
            with self._write_engine.begin() as conn:
                last = conn.execute(select(func.max(schema.journal.c.seq))).scalar() or 0
                if seq > last:
                    raise StoreError(
                        f"snapshot at seq {seq} is ahead of the committed journal (seq {last}) ({self.name})"
                    )
                created = now_us() if time_us is None else time_us
                # A second snapshot at the same seq replaces the first (recovery re-saves after it applies
                # token changes made with `avex token`).
                conn.execute(delete(s).where(s.c.seq == seq))
                conn.execute(insert(s), {"seq": seq, "created_at": created, "data": blob})
                keep_from = conn.execute(
                    select(s.c.seq).order_by(s.c.seq.desc()).offset(SNAPSHOTS_KEPT - 1).limit(1)
                ).scalar()
                if keep_from is not None:
                    conn.execute(delete(s).where(s.c.seq < keep_from))
        except SQLAlchemyError as exc:
            raise self._fail(f"cannot save the snapshot at seq {seq}", exc) from exc

    def latest_snapshot(self) -> tuple[int, dict[str, Any]] | None:
        s = schema.snapshots
        try:
            with self._engine.connect() as conn:
                row = conn.execute(select(s.c.seq, s.c.data).order_by(s.c.seq.desc()).limit(1)).first()
        except SQLAlchemyError as exc:
            raise self._fail("cannot read the snapshot", exc) from exc
        return None if row is None else (row[0], codec.decode_plain(row[1]))

    def journal_after(self, seq: int) -> Iterator[tuple[int, int, Command, list[Event]]]:
        """Every journaled command after ``seq`` as ``(seq, time, command, events)``, in seq order, decoded
        as they stream (the journal may be far bigger than memory)."""
        j = schema.journal
        stmt = select(j.c.seq, j.c.time, j.c.command, j.c.events).where(j.c.seq > seq).order_by(j.c.seq)
        decode_command, decode_events = codec.decode_command, codec.decode_events
        try:
            with self._engine.connect() as conn:
                for s, time, cmd, events in conn.execution_options(yield_per=1000).execute(stmt):
                    yield s, time, decode_command(cmd), decode_events(events)
        except SQLAlchemyError as exc:
            raise self._fail("cannot read the journal", exc) from exc

    # --- balances -----------------------------------------------------------------------------------------
    def ledger_sums(self) -> dict[tuple[str, str], int]:
        """Σ delta per (team, asset) over the whole ledger (a full scan)."""
        g = schema.ledger
        # CAST: PostgreSQL's SUM(bigint) is numeric, which psycopg would return as Decimal.
        total = cast(func.sum(g.c.delta), BigInteger)
        stmt = select(g.c.team, g.c.asset, total).group_by(g.c.team, g.c.asset)
        return self._pairs(stmt, "cannot sum the ledger")

    def account_totals(self) -> dict[tuple[str, str], int]:
        a = schema.accounts
        return self._pairs(select(a.c.team, a.c.asset, a.c.total), "cannot read the accounts")

    def _pairs(self, stmt: Any, what: str) -> dict[tuple[str, str], int]:
        try:
            with self._engine.connect() as conn:
                return {(team, asset): int(total) for team, asset, total in conn.execute(stmt)}
        except SQLAlchemyError as exc:
            raise self._fail(what, exc) from exc

    # --- tokens (`avex token`, run with the server stopped) -----------------------------------------------
    def token_hashes(self) -> dict[str, str]:
        """team -> stored token hash (the database is the authority after `avex token`)."""
        t = schema.teams
        try:
            with self._engine.connect() as conn:
                return dict(conn.execute(select(t.c.name, t.c.token_hash)).all())
        except SQLAlchemyError as exc:
            raise self._fail("cannot read the teams", exc) from exc

    def set_token_hash(self, team: str, new_hash: str) -> None:
        """Replace a team's token hash. StoreError if the team is unknown or the hash belongs to another."""
        t = schema.teams
        try:
            with self._write_engine.begin() as conn:
                result = conn.execute(update(t).where(t.c.name == team).values(token_hash=new_hash))
                if result.rowcount == 0:
                    raise StoreError(f"no team named {team!r} in {self.name}")
        except IntegrityError as exc:
            raise StoreError(f"that token is already used by another team ({self.name})") from exc
        except SQLAlchemyError as exc:
            raise self._fail(f"cannot set the token of {team!r}", exc) from exc

    # --- sessions (the gateway, asynchronously; never journaled) ------------------------------------------
    def open_session(
        self, team: str, remote_addr: str, user_agent: str | None, client_type: str, connected_at: int
    ) -> int:
        """Record a logged-in connection; returns its session id."""
        try:
            with self._write_engine.begin() as conn:
                result = conn.execute(insert(schema.sessions), {
                    "team": team, "remote_addr": remote_addr, "user_agent": user_agent,
                    "client_type": client_type, "connected_at": connected_at, "last_activity": connected_at,
                })
                return int(result.inserted_primary_key[0])
        except SQLAlchemyError as exc:
            raise self._fail("cannot record the session", exc) from exc

    def touch_sessions(self, last_activity: dict[int, int]) -> None:
        """Update the last-activity time of several sessions at once (session id -> epoch µs)."""
        if not last_activity:
            return
        s = schema.sessions
        stmt = update(s).where(s.c.id == bindparam("k_id"))
        rows = [{"k_id": k, "last_activity": v} for k, v in last_activity.items()]
        try:
            with self._write_engine.begin() as conn:
                conn.execute(stmt, rows)
        except SQLAlchemyError as exc:
            raise self._fail("cannot update sessions", exc) from exc

    def close_session(self, session_id: int, disconnected_at: int, last_activity: int) -> None:
        s = schema.sessions
        stmt = update(s).where(s.c.id == session_id).values(
            disconnected_at=disconnected_at, last_activity=last_activity
        )
        try:
            with self._write_engine.begin() as conn:
                conn.execute(stmt)
        except SQLAlchemyError as exc:
            raise self._fail("cannot close the session", exc) from exc

    def close_open_sessions(self) -> int:
        """Mark sessions a previous run left open (it stopped without closing them) as disconnected at
        their last activity, the last time they were known alive; returns how many there were."""
        s = schema.sessions
        stmt = update(s).where(s.c.disconnected_at.is_(None)).values(disconnected_at=s.c.last_activity)
        try:
            with self._write_engine.begin() as conn:
                return conn.execute(stmt).rowcount
        except SQLAlchemyError as exc:
            raise self._fail("cannot close old sessions", exc) from exc


def _where(batch: Sequence[Applied]) -> str:
    return f"cannot write commands {batch[0].seq}-{batch[-1].seq}"
