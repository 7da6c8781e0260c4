"""The running server's shared parts, wired once at start: the tournament, engine, driver, router, store,
limits and metrics. Gateway code receives the hub instead of reaching for globals."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from avex.domain.catalogue import Tournament
from avex.domain.timeutil import now_us
from avex.driver import Driver
from avex.engine.engine import Engine
from avex.gateway.connection import Connection
from avex.gateway.limits import LoginFailures, NoticeGate, TokenBucket
from avex.gateway.metrics import Metrics
from avex.router import Router

if TYPE_CHECKING:
    from avex.gateway.session import Session

log = logging.getLogger("avex.gateway")


class Hub:
    def __init__(
        self, tournament: Tournament, engine: Engine, store: Any, *, login_failures_per_minute: int = 10,
        max_message_bytes: int = 16384,
    ) -> None:
        self.tournament = tournament
        self.engine = engine
        self.store = store
        self.metrics = Metrics()
        self.router = Router(engine)
        self.driver = Driver(engine, store, self.router, self.metrics)
        self.router.driver = self.driver
        self.router.on_buckets_refilled = self.refill_buckets
        self.login_failures = LoginFailures(login_failures_per_minute)
        self.max_message_bytes = max_message_bytes
        self.connections: set[Connection] = set()
        self.shutting_down = False
        self.started_at = now_us()
        self._order_buckets: dict[str, TokenBucket] = {}
        self._order_notices: dict[Connection, NoticeGate] = {}
        self._reader: Any = None
        self._session_tasks: set[asyncio.Task[Any]] = set()

    # --- limits -----------------------------------------------------------------------------------------
    def order_bucket(self, team: str) -> TokenBucket:
        bucket = self._order_buckets.get(team)
        if bucket is None:
            per_minute = self.tournament.market.orders_per_minute
            bucket = self._order_buckets[team] = TokenBucket(per_minute, per_minute / 60)
        return bucket

    def order_notice(self, conn: Connection) -> NoticeGate:
        gate = self._order_notices.get(conn)
        if gate is None:
            gate = self._order_notices[conn] = NoticeGate()
        return gate

    def refill_buckets(self) -> None:
        for bucket in self._order_buckets.values():
            bucket.refill()

    # --- connections ------------------------------------------------------------------------------------
    def attach(self, conn: Connection) -> Session:
        """A new transport connection (WebSocket or TCP): start its writer and give it a protocol session."""
        from avex.gateway.session import Session  # the session module needs the hub type only for hints

        conn.start()
        self.connections.add(conn)
        self.metrics.connections.set(len(self.connections))
        return Session(self, conn)

    def disconnected(self, conn: Connection) -> None:
        """The transport is gone: stop its writer and forget it everywhere."""
        conn.closed = True
        if conn.writer_task is not None:
            conn.writer_task.cancel()
        self.connections.discard(conn)
        self._order_notices.pop(conn, None)
        self.router.leave(conn)
        self.session_closed(conn)
        self.metrics.connections.set(len(self.connections))

    def on_drop(self, conn: Connection, reason: str) -> None:
        if "outbox" in reason:
            self.metrics.outbox_drops.inc()
            log.warning("slow reader disconnected: %s (team %s)", conn.remote_addr, conn.team)
        self.router.leave(conn)

    # --- session records (not commands, not journaled; written off the event loop) ----------------------
    def _background(self, fn: Any, *args: Any) -> None:
        async def run() -> Any:
            try:
                return await asyncio.to_thread(fn, *args)
            except Exception as exc:
                log.warning("session record failed: %s", exc)
                return None

        task = asyncio.get_running_loop().create_task(run())
        self._session_tasks.add(task)
        task.add_done_callback(self._session_tasks.discard)

    def session_opened(self, conn: Connection) -> None:
        team = conn.team
        assert team is not None

        async def open_it() -> None:
            try:
                conn.session_id = await asyncio.to_thread(
                    self.store.open_session, team, conn.remote_addr, conn.user_agent or None, conn.client_type,
                    now_us(),
                )
            except Exception as exc:
                log.warning("session record failed: %s", exc)

        task = asyncio.get_running_loop().create_task(open_it())
        self._session_tasks.add(task)
        task.add_done_callback(self._session_tasks.discard)

    def session_closed(self, conn: Connection) -> None:
        if conn.session_id is not None:
            sid, conn.session_id = conn.session_id, None
            self._background(self.store.close_session, sid, now_us(), conn.last_activity)

    async def record_activity(self, every_s: float = 30.0) -> None:
        """Keep the session rows' ``lastActivity`` current (exports read it) without a write per frame."""
        while True:
            await asyncio.sleep(every_s)
            seen = {c.session_id: c.last_activity for c in self.connections if c.session_id is not None}
            if seen:
                try:
                    await asyncio.to_thread(self.store.touch_sessions, seen)
                except Exception as exc:
                    log.warning("session activity not recorded: %s", exc)

    def reader(self) -> Any:
        """The store's history reader (its own connection; used from worker threads)."""
        if self._reader is None:
            self._reader = self.store.reader()
        return self._reader
