"""The loop around the engine: the only place time enters, the batches for the store, the release order.

Every request (command or query) goes through one FIFO queue. The driver takes everything that is waiting
as one batch, stamps each item with ``max(previous, now)``, applies due expiries and the scheduled end
first, applies commands and answers queries against the engine, writes the batch's applied commands in one
store transaction (in the store's commit process or a worker thread, so the event loop keeps reading
frames: those become the next batch), and only then releases the results, in queue order. Between the
commit and the next batch the engine's state is exactly the committed state, which is when the router
refreshes its market-data view.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from avex.domain.timeutil import now_us
from avex.engine.commands import Command
from avex.engine.engine import Engine
from avex.engine.events import Fill, OrderAccepted, OrderRejected
from avex.engine.outcome import Applied, Refused

log = logging.getLogger("avex.driver")

MAX_BATCH = 2000  # bounds the latency of one batch under a flood; the rest waits for the next one
SNAPSHOT_EVERY = 500_000  # commands between engine snapshots: recovery replays at most this many (a few s),
# while exporting a large engine pauses the loop for tens of ms, so it is rare


class Releaser(Protocol):
    """Where results go after the commit (the router)."""

    def publish(self, applied: Applied, requester: Any) -> None: ...

    def refused(self, requester: Any, refusal: Refused) -> None: ...

    def after_release(self) -> None: ...


class BatchStore(Protocol):
    def write_batch(self, batch: list[Applied]) -> None: ...

    def save_snapshot(self, seq: int, data: dict[str, Any], time_us: int | None = None) -> None: ...


# A query runs between commands on the engine at time ``now`` and returns a callback to run at release
# (after the commit of its batch), or None, or a Command to apply right there (checks in engine order).
Query = Callable[[Engine, int], Callable[[], Any] | None]


class _Item:
    __slots__ = ("cmd", "query", "received", "requester", "result")

    def __init__(self, requester: Any, cmd: Command | None, query: Query | None) -> None:
        self.received = time.perf_counter()
        self.requester = requester
        self.cmd = cmd
        self.query = query
        self.result: Any = None


class StorageFailed(RuntimeError):
    """The store could not commit a batch: the server must stop (nothing unacknowledged is lost)."""


class Driver:
    def __init__(
        self, engine: Engine, store: BatchStore, releaser: Releaser, metrics: Any = None,
        clock: Callable[[], int] = now_us,
    ) -> None:
        self.engine = engine
        self.store = store
        self.releaser = releaser
        self.metrics = metrics
        self.clock = clock
        self.queue: asyncio.Queue[_Item] = asyncio.Queue()
        self.last_time = engine.now
        self.idle = True  # True while the engine state equals the committed state
        self.failed: BaseException | None = None
        self._since_snapshot = 0
        self._stopping = False
        self.on_failure: Callable[[BaseException], Awaitable[None]] | None = None

    # --- submission (called by the gateway) -------------------------------------------------------------
    def submit(self, requester: Any, cmd: Command) -> None:
        self.queue.put_nowait(_Item(requester, cmd, None))

    def query(self, requester: Any, fn: Query) -> None:
        self.queue.put_nowait(_Item(requester, None, fn))

    # --- the loop ---------------------------------------------------------------------------------------
    def _stamp(self) -> int:
        now = self.clock()
        if now < self.last_time:
            now = self.last_time
        self.last_time = now
        return now

    async def run(self) -> None:
        """Run until ``stop()``; a storage failure raises StorageFailed after notifying ``on_failure``."""
        queue = self.queue
        while True:
            if self._stopping and queue.empty():
                return
            deadline = self.engine.next_deadline()
            try:
                if queue.empty():
                    timeout = None if deadline is None else max(0.0, (deadline - self.clock()) / 1e6)
                    if timeout is None and self._stopping:
                        return
                    first = await asyncio.wait_for(queue.get(), timeout) if timeout is None or timeout > 0 else None
                else:
                    first = queue.get_nowait()
            except TimeoutError:
                first = None
            items: list[_Item] = [] if first is None else [first]
            while len(items) < MAX_BATCH and not queue.empty():
                items.append(queue.get_nowait())
            await self._run_batch(items)

    async def _run_batch(self, items: list[_Item]) -> None:
        engine = self.engine
        applied: list[Applied] = []
        released: list[tuple[_Item | None, Any]] = []
        self.idle = False
        started = time.perf_counter()
        now = self._stamp()
        self._apply_due(now, applied, released)
        for item in items:
            now = self._stamp()
            if engine.next_deadline() is not None:
                self._apply_due(now, applied, released)
            if item.cmd is not None:
                outcome = engine.apply(item.cmd, now)
                if isinstance(outcome, Applied):
                    applied.append(outcome)
                released.append((item, outcome))
            else:
                assert item.query is not None
                result = item.query(engine, now)
                if isinstance(result, Command):
                    # a request whose checks needed engine state (teamName) turned into a command
                    result = engine.apply(result, now)
                    if isinstance(result, Applied):
                        applied.append(result)
                released.append((item, result))
        if applied:
            try:
                prepare = getattr(self.store, "prepare_batch", None)
                if prepare is not None:
                    # the Python half here; the commit in the store's commit process (or a worker thread)
                    await self.store.commit_prepared_async(prepare(applied))
                else:
                    await asyncio.to_thread(self.store.write_batch, applied)
            except Exception as exc:  # any storage error: stop, never acknowledge
                log.critical("storage failure, stopping: %s", exc)
                self.failed = exc
                if self.on_failure is not None:
                    await self.on_failure(exc)
                raise StorageFailed(str(exc)) from exc
        self._release(released)
        self.idle = True
        if self.metrics is not None:
            self._count(released)
        self.releaser.after_release()
        if self.metrics is not None:
            self.metrics.batch(len(items), len(applied), time.perf_counter() - started)
        self._since_snapshot += len(applied)
        if self._since_snapshot >= SNAPSHOT_EVERY:
            await self.snapshot()

    def _count(self, released: list[tuple[_Item | None, Any]]) -> None:
        """Orders, fills and refusals by code, for /metrics and SERVER_STATS."""
        metrics = self.metrics
        orders = fills = 0
        done = time.perf_counter()
        for item, _ in released:
            if item is not None and item.cmd is not None:
                metrics.in_server.observe(done - item.received)
        for _, result in released:
            if isinstance(result, Applied):
                for ev in result.events:
                    kind = type(ev)
                    if kind is Fill:
                        fills += 1
                    elif kind is OrderAccepted:
                        orders += 1
                    elif kind is OrderRejected:
                        orders += 1
                        metrics.rejections.labels(ev.code).inc()
            elif isinstance(result, Refused):
                metrics.rejections.labels(result.code).inc()
        metrics.count_outcome(orders, fills)

    def _apply_due(self, now: int, applied: list[Applied], released: list[tuple[_Item | None, Any]]) -> None:
        engine = self.engine
        deadline = engine.next_deadline()
        if deadline is None or deadline > now:
            return
        for cmd in engine.due(now):
            outcome = engine.apply(cmd, now)
            if isinstance(outcome, Applied):
                applied.append(outcome)
                released.append((None, outcome))

    def _release(self, released: list[tuple[_Item | None, Any]]) -> None:
        rel = self.releaser
        for item, result in released:
            requester = None if item is None else item.requester
            try:
                if isinstance(result, Applied):
                    rel.publish(result, requester)
                elif isinstance(result, Refused):
                    rel.refused(requester, result)
                elif result is not None:
                    result()
            except Exception:  # one broken delivery must not stop the exchange; the commit already happened
                log.exception("releasing a result failed")

    async def snapshot(self) -> None:
        """Save the engine state (between batches, so it is exactly the committed state)."""
        data = self.engine.export()
        await asyncio.to_thread(self.store.save_snapshot, self.engine.seq, data, self.engine.now)
        self._since_snapshot = 0

    def stop(self) -> None:
        """Finish what is queued, then return from ``run``."""
        self._stopping = True
        self.queue.put_nowait(_Item(None, None, lambda engine, now: None))
