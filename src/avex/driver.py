"""The loop around the engine: the only place time enters, the batches for the store, the release order.

Every request (command or query) goes through one FIFO queue. The driver takes everything that is waiting
as one batch, stamps each item with ``max(previous, now)``, applies due expiries and the scheduled end
first, applies commands and answers queries against the engine, and hands the batch's applied commands to
the store as one transaction (committed in the store's commit process or writer thread, in order). It
releases a batch's results, in queue order, only once that batch and every batch before it are durable.

Batches are pipelined: while batch N is being committed, the requests that arrive are applied at once
and gathered into the pending batch N+1, which is handed to the store the moment N is durable (group
commit without waiting for N's release). So the engine may be ahead of the disk by two batches; whatever
must show committed state only reads the engine when nothing is pending or committing (``idle``), or is
captured when a batch is handed to the store and released with that batch (the router's market data).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
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


_BACKGROUND: set[asyncio.Task[Any]] = set()  # failure notifications in flight (a reference keeps them alive)


class Releaser(Protocol):
    """Where results go after the commit (the router)."""

    def publish(self, applied: Applied, requester: Any) -> None: ...

    def refused(self, requester: Any, refusal: Refused) -> None: ...

    def capture(self) -> Any:
        """When a batch goes to the store: what must show the engine state right after it (sent with it)."""

    def release_captured(self, captured: Any) -> None: ...

    def after_release(self) -> None:
        """After a release that left nothing pending or committing (engine state == committed state)."""


class BatchStore(Protocol):
    def prepare_batch(self, batch: Sequence[Applied]) -> Any: ...

    def submit_prepared(self, prepared: Any) -> asyncio.Future[None]:
        """Start committing; batches are committed in the order submitted, and none after a failed one."""

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


class _Batch:
    """Applied requests on their way to the store: pending (growing while the store commits the batch
    before), then committing (``done`` is the commit, None when the batch applied nothing)."""

    __slots__ = ("applied", "captured", "done", "n_items", "released", "started")

    def __init__(self, started: float) -> None:
        self.started = started
        self.applied: list[Applied] = []
        self.released: list[tuple[_Item | None, Any]] = []
        self.n_items = 0
        self.done: asyncio.Future[None] | None = None
        self.captured: Any = None


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
        self.committed_seq = engine.seq  # the newest released (so durable) command
        self.failed: BaseException | None = None
        self._since_snapshot = 0
        self._stopping = False
        self._committing: _Batch | None = None  # in the store
        self._pending: _Batch | None = None  # applied while the store was busy: the next batch
        self._progress = asyncio.Event()  # set whenever a batch leaves the pipeline
        self.on_failure: Callable[[BaseException], Awaitable[None]] | None = None

    @property
    def idle(self) -> bool:
        """True while the engine state equals the committed state: nothing pending or committing (and, after
        a storage failure, never again: the engine is ahead of the disk for good)."""
        return self._committing is None and self._pending is None and self.failed is None

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
            self._check_failed()
            if self._stopping and queue.empty():
                break
            deadline = self.engine.next_deadline()
            try:
                if queue.empty():
                    timeout = None if deadline is None else max(0.0, (deadline - self.clock()) / 1e6)
                    if timeout is None and self._stopping:
                        break
                    first = await asyncio.wait_for(queue.get(), timeout) if timeout is None or timeout > 0 else None
                else:
                    first = queue.get_nowait()
            except TimeoutError:
                first = None
            self._check_failed()
            items: list[_Item] = [] if first is None else [first]
            while len(items) < MAX_BATCH and not queue.empty():
                items.append(queue.get_nowait())
            await self._run_batch(items)
        await self.drain()  # everything handed to the store is released before run() returns
        self._check_failed()

    def _check_failed(self) -> None:
        if self.failed is not None:
            raise StorageFailed(str(self.failed))

    async def _run_batch(self, items: list[_Item]) -> None:
        engine = self.engine
        applied: list[Applied] = []
        released: list[tuple[_Item | None, Any]] = []
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
        pending = self._pending
        if pending is None:
            pending = self._pending = _Batch(started)
        pending.applied.extend(applied)
        pending.released.extend(released)
        pending.n_items += len(items)
        if self._committing is None:
            self._submit_pending()
        # Under a flood the pending batch grows while the store is busy: bound it, and the queue waits.
        while self._pending is not None and self._pending.n_items >= MAX_BATCH and self.failed is None:
            self._progress.clear()
            await self._progress.wait()
        self._check_failed()
        self._since_snapshot += len(applied)
        if self._since_snapshot >= SNAPSHOT_EVERY:
            await self.snapshot()

    def _submit_pending(self) -> None:
        """Hand the pending batch to the store (the store is idle): its market data is captured now, from
        the engine state right after it."""
        batch, self._pending = self._pending, None
        assert batch is not None
        if batch.applied:
            try:
                # the Python half here; the commit in the store's commit process (or its writer thread)
                batch.done = self.store.submit_prepared(self.store.prepare_batch(batch.applied))
            except Exception as exc:
                self._fail(exc)
                return
        batch.captured = self.releaser.capture()
        self._committing = batch
        if batch.done is None:
            self._release_ready()
        else:
            batch.done.add_done_callback(self._release_ready)

    def _release_ready(self, _: Any = None) -> None:
        """The batch in the store is durable: release it, then hand over what gathered meanwhile."""
        batch = self._committing
        if batch is None or self.failed is not None:
            return
        done = batch.done
        if done is not None:
            if not done.done():
                return
            exc = StorageFailed("the commit was cancelled") if done.cancelled() else done.exception()
            if exc is not None:
                self._fail(exc)
                return
        self._committing = None
        self._release(batch.released)
        try:
            self.releaser.release_captured(batch.captured)
        except Exception:
            log.exception("releasing market data failed")
        if self.metrics is not None:
            self._count(batch.released)
            self.metrics.batch(batch.n_items, len(batch.applied), time.perf_counter() - batch.started)
        self._progress.set()
        if self._pending is not None:
            self._submit_pending()  # what was applied during the commit goes in at once, as one batch
        else:
            self.releaser.after_release()

    def _fail(self, exc: BaseException) -> None:
        """A commit failed: release nothing more, tell the server, and wake ``run`` to raise."""
        if self.failed is not None:
            return
        log.critical("storage failure, stopping: %s", exc)
        self.failed = exc
        batch, self._committing, self._pending = self._committing, None, None
        if batch is not None and batch.done is not None and not batch.done.done():
            batch.done.cancel()
        self._progress.set()
        self.queue.put_nowait(_Item(None, None, lambda engine, now: None))  # wakes run() to raise
        if self.on_failure is not None:
            task = asyncio.get_running_loop().create_task(self.on_failure(exc))
            _BACKGROUND.add(task)
            task.add_done_callback(_BACKGROUND.discard)

    async def drain(self) -> None:
        """Wait until every applied batch is committed and released (or the store failed)."""
        while (self._committing is not None or self._pending is not None) and self.failed is None:
            self._progress.clear()
            await self._progress.wait()

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
                    self.committed_seq = result.seq
                    rel.publish(result, requester)
                elif isinstance(result, Refused):
                    rel.refused(requester, result)
                elif result is not None:
                    result()
            except Exception:  # one broken delivery must not stop the exchange; the commit already happened
                log.exception("releasing a result failed")

    async def snapshot(self) -> None:
        """Save the engine state once every batch is committed, so it is exactly the committed state."""
        await self.drain()
        self._check_failed()
        data = self.engine.export()
        await asyncio.to_thread(self.store.save_snapshot, self.engine.seq, data, self.engine.now)
        self._since_snapshot = 0

    def stop(self) -> None:
        """Finish what is queued, then return from ``run``."""
        self._stopping = True
        self.queue.put_nowait(_Item(None, None, lambda engine, now: None))
