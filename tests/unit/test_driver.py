"""The driver's pipeline: requests are applied while the previous batch commits and go to the store together,
the moment it is done; results leave only after their own commit, in order; a failed commit releases nothing
more and stops the driver; market data never shows a state that is not committed yet."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

import msgspec
import pytest

from avex import driver as driver_module
from avex.domain.catalogue import MarketSettings, Product, Species, TeamSpec, Tournament
from avex.driver import MAX_BATCH, Driver, StorageFailed
from avex.engine import commands as C
from avex.engine.engine import Engine
from avex.engine.outcome import Applied, Refused
from avex.router import Router
from avex.store.errors import StoreError

T0 = 1_767_225_600_000_000


def tournament() -> Tournament:
    return Tournament(
        products=(Product("GUACA", 1000), Product("SEBO", 2000)),
        species=(Species("Avo", "GUACA"), Species("Seb", "SEBO")),
        teams=(
            TeamSpec("alpha", "TK-alpha-token", 10_000_000, "Avo", {"GUACA": 1000, "SEBO": 1000}),
            TeamSpec("beta", "TK-beta-token", 10_000_000, "Seb", {"GUACA": 1000, "SEBO": 1000}),
        ),
        market=MarketSettings(ticker_interval_s=0),
    )


class FakeStore:
    """Commits only when the test says so (``complete``/``fail``), like a slow disk."""

    def __init__(self) -> None:
        self.submitted: list[tuple[list[int], asyncio.Future[None]]] = []
        self.snapshots: list[int] = []

    def prepare_batch(self, batch: Sequence[Applied]) -> list[int]:
        return [a.seq for a in batch]

    def submit_prepared(self, prepared: list[int]) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.submitted.append((prepared, fut))
        return fut

    def save_snapshot(self, seq: int, data: dict[str, Any], time_us: int | None = None) -> None:
        self.snapshots.append(seq)

    def complete(self, i: int) -> None:
        self.submitted[i][1].set_result(None)

    def fail(self, i: int) -> None:
        self.submitted[i][1].set_exception(StoreError("disk full"))


class Recorder:
    """A releaser that logs what the driver asks of it, with the engine's seq where it matters."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.log: list[tuple[str, Any]] = []

    def publish(self, applied: Applied, requester: Any) -> None:
        self.log.append(("publish", applied.seq))

    def refused(self, requester: Any, refusal: Refused) -> None:
        self.log.append(("refused", refusal.code))

    def capture(self) -> Any:
        self.log.append(("capture", self.engine.seq))
        return ("captured", self.engine.seq)

    def release_captured(self, captured: Any) -> None:
        self.log.append(("release_captured", captured[1]))

    def after_release(self) -> None:
        self.log.append(("after_release", self.engine.seq))

    def published(self) -> list[int]:
        return [v for k, v in self.log if k == "publish"]


def order(cl: str, team: str = "alpha", side: str = "SELL", price: int = 1000, qty: int = 1) -> C.PlaceOrder:
    return C.PlaceOrder(team, cl, side, "LIMIT", "GUACA", qty, price)


async def ticks(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


@pytest.fixture
async def setup() -> Any:
    engine = Engine(tournament())
    store = FakeStore()
    rec = Recorder(engine)
    clock = iter(range(T0, T0 + 10**12, 1000))
    d = Driver(engine, store, rec, clock=lambda: next(clock))
    task = asyncio.get_running_loop().create_task(d.run())
    yield engine, store, rec, d, task
    if not task.done():
        task.cancel()
        with pytest.raises((asyncio.CancelledError, StorageFailed)):
            await task


async def test_results_wait_for_their_own_commit_while_the_next_batch_gathers(setup: Any) -> None:
    engine, store, rec, d, _ = setup
    d.submit("conn-1", order("a1"))
    await ticks()
    assert [seqs for seqs, _ in store.submitted] == [[1]]
    d.submit("conn-2", order("a2"))
    await ticks()
    # a2 is applied at once, and waits for the store as the pending batch
    assert [seqs for seqs, _ in store.submitted] == [[1]]
    assert engine.seq == 2 and rec.published() == [] and not d.idle

    store.complete(0)
    await ticks()
    assert rec.published() == [1]
    assert [seqs for seqs, _ in store.submitted] == [[1], [2]]  # handed over the moment batch 1 was done
    assert d.committed_seq == 1 and not d.idle
    assert not any(k == "after_release" for k, _ in rec.log)

    store.complete(1)
    await ticks()
    assert rec.published() == [1, 2]
    assert d.committed_seq == 2 and d.idle
    assert rec.log[-1] == ("after_release", 2)


async def test_requests_that_arrive_during_a_commit_go_to_the_store_as_one_batch(setup: Any) -> None:
    _, store, _, d, _ = setup
    d.submit("conn", order("a0"))
    await ticks()
    for i in range(1, 4):
        d.submit("conn", order(f"a{i}"))
        await ticks()
    assert [seqs for seqs, _ in store.submitted] == [[1]]
    store.complete(0)
    await ticks()
    assert [seqs for seqs, _ in store.submitted] == [[1], [2, 3, 4]]


async def test_a_pending_batch_is_bounded_and_the_queue_waits(setup: Any) -> None:
    _, store, _, d, _ = setup
    d.submit("conn", order("first"))
    await ticks()
    for _ in range(MAX_BATCH + 5):
        d.query("conn", lambda engine, now: None)
    await ticks(20)
    assert d.queue.qsize() == 5  # MAX_BATCH requests pending behind the commit, the rest still queued
    store.complete(0)
    await ticks(20)
    assert d.queue.qsize() == 0


async def test_a_batch_without_commands_is_released_in_its_turn(setup: Any) -> None:
    _, store, rec, d, _ = setup
    answered: list[int] = []
    d.submit("conn", order("a1"))
    await ticks()
    d.query("conn", lambda engine, now: (lambda: answered.append(engine.seq)))
    await ticks()
    assert len(store.submitted) == 1 and answered == []  # the query's batch waits behind the commit
    store.complete(0)
    await ticks()
    assert answered == [1] and rec.published() == [1] and d.idle


async def test_market_data_is_captured_when_a_batch_goes_to_the_store_and_leaves_after_its_commands(
    setup: Any,
) -> None:
    _, store, rec, d, _ = setup
    d.submit("conn", order("a1"))
    await ticks()
    d.submit("conn", order("a2"))
    await ticks()
    assert ("capture", 1) in rec.log and ("capture", 2) not in rec.log  # a2 waits, pending
    store.complete(0)
    await ticks()
    steps = [(k, v) for k, v in rec.log if k in ("publish", "release_captured", "capture")]
    assert steps == [("capture", 1), ("publish", 1), ("release_captured", 1), ("capture", 2)]


async def test_a_failed_commit_releases_nothing_more_and_stops_the_driver(setup: Any) -> None:
    _, store, rec, d, task = setup
    failures: list[BaseException] = []

    async def on_failure(exc: BaseException) -> None:
        failures.append(exc)

    d.on_failure = on_failure
    d.submit("conn", order("a1"))
    await ticks()
    d.submit("conn", order("a2"))
    await ticks()
    store.fail(0)
    with pytest.raises(StorageFailed, match="disk full"):
        await asyncio.wait_for(task, 5)
    await ticks()
    assert rec.published() == []
    assert len(store.submitted) == 1  # the pending batch never reaches the store
    assert [str(f) for f in failures] == ["disk full"]
    assert not d.idle  # the engine is ahead of the disk for good


async def test_stop_releases_everything_in_flight_before_run_returns(setup: Any) -> None:
    _, store, rec, d, task = setup
    d.submit("conn", order("a1"))
    await ticks()
    d.stop()
    await ticks()
    assert not task.done()
    store.complete(0)
    await asyncio.wait_for(task, 5)
    assert rec.published() == [1] and d.idle


async def test_a_snapshot_waits_until_every_batch_in_flight_is_committed(
    setup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, store, _, d, _ = setup
    monkeypatch.setattr(driver_module, "SNAPSHOT_EVERY", 2)
    d.submit("conn", order("a1"))
    await ticks()
    d.submit("conn", order("a2"))
    await ticks()
    store.complete(0)
    await ticks()
    assert store.snapshots == []  # batch 2 is not durable yet
    store.complete(1)
    for _ in range(50):
        if store.snapshots:
            break
        await asyncio.sleep(0.01)
    assert store.snapshots == [2]


# --- the router on top of the pipeline: market data shows committed state only --------------------------------
class Conn:
    def __init__(self, team: str) -> None:
        self.team = team
        self.admin = False
        self.closed = False
        self.frames: list[dict[str, Any]] = []

    def send_texts(self, texts: Any) -> None:
        self.frames.extend(msgspec.json.decode(t) for t in texts)

    def send_frame(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)


async def test_tickers_never_show_a_state_that_is_not_committed() -> None:
    """Random orders, commits completing at random moments: every TICKER a client gets carries a ``seq`` at
    most the committed one when it is sent, and its prices are the book's at that ``seq``."""
    rng = random.Random(7)
    engine = Engine(tournament())
    store = FakeStore()
    router = Router(engine)
    clock = iter(range(T0, T0 + 10**12, 1000))
    d = Driver(engine, store, router, clock=lambda: next(clock))
    router.driver = d
    watcher = Conn("beta")
    router.join(watcher)
    tops: dict[int, tuple[Any, Any]] = {}  # engine seq -> (best bid, best ask) of GUACA right after it
    sent_at: list[tuple[int, int]] = []  # (ticker seq, committed seq when it was sent)

    original = watcher.send_texts

    def record(texts: Any) -> None:
        before = len(watcher.frames)
        original(texts)
        for f in watcher.frames[before:]:
            if f["type"] == "TICKER" and f["product"] == "GUACA":
                sent_at.append((f["seq"], d.committed_seq))

    watcher.send_texts = record  # type: ignore[method-assign]
    real_capture = router.capture

    def capture() -> Any:
        book = engine.books["GUACA"]
        tops[engine.seq] = (book.best_bid(), book.best_ask())
        return real_capture()

    router.capture = capture  # type: ignore[method-assign]
    task = asyncio.get_running_loop().create_task(d.run())
    done = 0
    for i in range(300):
        side = rng.choice(["BUY", "SELL"])
        team = "alpha" if side == "SELL" else "beta"
        d.submit(None, order(f"o{i}", team, side, rng.randint(990, 1010), rng.randint(1, 3)))
        await ticks(rng.randint(1, 3))
        while done < len(store.submitted) and rng.random() < 0.6:
            store.complete(done)
            done += 1
            await ticks(2)
        if rng.random() < 0.1:
            await asyncio.sleep(0.3)  # past the conflation window: a push falls due
    while done < len(store.submitted) or not d.idle:
        if done < len(store.submitted):
            store.complete(done)
            done += 1
        await asyncio.sleep(0.01)
    d.stop()
    await asyncio.wait_for(task, 5)
    assert len(sent_at) > 5, "the scenario should push several tickers"
    assert all(seq <= committed for seq, committed in sent_at), sent_at
    def cents(v: float | None) -> int | None:
        return None if v is None else round(v * 100)

    tickers = [f for f in watcher.frames if f["type"] == "TICKER" and f["product"] == "GUACA"]
    for f in tickers:  # every batch ends with a capture, and pushes are built at the end of a batch
        assert (cents(f.get("bestBid")), cents(f.get("bestAsk"))) == tops[f["seq"]]
