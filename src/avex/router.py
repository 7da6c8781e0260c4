"""Committed results -> connections, and the committed market-data view with conflated pushes.

The driver calls ``publish`` for every applied command after its batch is durable, in ``seq`` order. The
router renders it once (``avex.render``), encodes each frame once, and queues it on the right connections
(team, admin copies, everyone, the requester). Market data is conflated: a command that moves a product's
top of book, last price or volume schedules one TICKER for that product at most every 250 ms, and a book
change schedules one ORDER_BOOK_UPDATE for admins likewise.

Market data must show committed state only, while the engine may be ahead of the disk by the batches the
driver has pending or in flight. So the frames are built from the engine either when there are none
(``after_release``, the timer, the periodic TICKERs when ``driver.idle``), or when a batch is handed to
the store (``capture``: the state right after it), and then they travel with that batch and go out at its
release (``release_captured``), after its commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from avex.domain.timeutil import format_ms
from avex.engine.engine import Engine
from avex.engine.events import BucketsRefilled
from avex.engine.outcome import Applied, Refused
from avex.protocol.codec import encode
from avex.render import order_book_frame, order_summary, render, ticker_frame

if TYPE_CHECKING:
    from avex.gateway.connection import Connection

log = logging.getLogger("avex.router")

PUSH_WINDOW_S = 0.25


def error_frame(code: str, reason: str, cl: str | None = None, seq: int | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "ERROR", "code": code, "reason": reason}
    if cl is not None:
        frame["clOrdID"] = cl
    if seq is not None:
        frame["seq"] = seq
    frame["timestamp"] = format_ms(int(time.time() * 1e6))
    return frame


def summary_of(order: Any) -> dict[str, Any]:
    """OrderSummary of a live engine order."""
    return order_summary(
        order.cl, order.acct.name, order.side, order.mode, order.product, order.qty, order.price, order.filled,
        order.qty - order.filled, order.status, order.seq, order.created, order.updated,
        message=order.message, expires_at=order.expires_at,
    )


class Router:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.codes = engine.codes
        self.tradable = tuple(c for c in engine.codes if c in engine.books)
        self.logged_in: set[Connection] = set()
        self.by_team: dict[str, set[Connection]] = {}
        self.admins: set[Connection] = set()
        self.on_buckets_refilled: Any = None
        self.driver: Any = None
        # conflation: product -> monotonic time of the last push; pending products
        self._last_ticker: dict[str, float] = {}
        self._last_book: dict[str, float] = {}
        self._pending_tickers: set[str] = set()
        self._pending_books: set[str] = set()
        self._flush_handle: asyncio.TimerHandle | None = None
        self._periodic_due = False  # the periodic TICKERs are due and not yet built

    # --- membership -------------------------------------------------------------------------------------
    def join(self, conn: Connection) -> None:
        assert conn.team is not None
        self.logged_in.add(conn)
        self.by_team.setdefault(conn.team, set()).add(conn)
        if conn.admin:
            self.admins.add(conn)

    def leave(self, conn: Connection) -> None:
        self.logged_in.discard(conn)
        self.admins.discard(conn)
        if conn.team is not None:
            conns = self.by_team.get(conn.team)
            if conns is not None:
                conns.discard(conn)
                if not conns:
                    del self.by_team[conn.team]

    def team_connections(self, team: str) -> int:
        return len(self.by_team.get(team, ()))

    # --- committed results ------------------------------------------------------------------------------
    def publish(self, applied: Applied, requester: Connection | None) -> None:
        r = render(applied, self.codes)
        cache: dict[int, str] = {}

        def enc(frames: Iterable[dict[str, Any]]) -> list[str]:
            out = []
            for f in frames:
                key = id(f)
                text = cache.get(key)
                if text is None:
                    text = cache[key] = encode(f)
                out.append(text)
            return out

        special = set(self.admins)
        if requester is not None:
            special.add(requester)
        for team, frames in r.team.items():
            conns = self.by_team.get(team)
            if not conns:
                continue
            texts = None
            for conn in tuple(conns):  # a copy: send_texts may drop a slow reader, which leaves the set
                if conn in special:
                    continue
                if texts is None:
                    texts = enc([*frames, *r.all])
                conn.send_texts(texts)
        if r.all:
            all_texts = enc(r.all)
            for conn in tuple(self.logged_in):
                if conn not in special and conn.team not in r.team:
                    conn.send_texts(all_texts)
        for conn in special:
            if conn.closed:
                continue
            frames = r.for_connection(conn.team, conn.admin, conn is requester)
            if frames:
                conn.send_texts(enc(frames))
        if r.products_touched:
            self._pending_tickers.update(p for p in r.products_touched if p in self.engine.books)
        if r.book_changed and self.admins:
            self._pending_books.update(r.book_changed)
        for ev in applied.events:
            if type(ev) is BucketsRefilled and self.on_buckets_refilled is not None:
                self.on_buckets_refilled()

    def refused(self, requester: Connection | None, refusal: Refused) -> None:
        if requester is not None:
            requester.send_frame(error_frame(refusal.code, refusal.reason, refusal.cl))

    def after_release(self) -> None:
        """Called by the driver after a release that left nothing pending or in flight (engine == committed)."""
        if self._pending_tickers or self._pending_books or self._periodic_due:
            self._send(self._due_frames(time.monotonic()))

    def capture(self) -> list[tuple[bool, bytes]] | None:
        """Called by the driver when it hands a batch to the store: the due pushes, built from the engine
        state right after the batch, to go out with it (``release_captured``)."""
        if not (self._pending_tickers or self._pending_books or self._periodic_due):
            return None
        return self._due_frames(time.monotonic()) or None

    def release_captured(self, captured: list[tuple[bool, bytes]] | None) -> None:
        if captured:
            self._send(captured)

    # --- conflated pushes -------------------------------------------------------------------------------
    def _due_frames(self, loop_time: float) -> list[tuple[bool, bytes]]:
        """The pushes due now, from the engine's current state: ``(admins only, frame)`` pairs. Products
        still inside their window stay pending and a timer comes back for them."""
        out: list[tuple[bool, bytes]] = []
        due_later = False
        eng = self.engine
        stamp = format_ms(max(eng.now, int(time.time() * 1e6)))
        if self._periodic_due:
            self._periodic_due = False
            out.extend((False, encode(self.ticker(p, stamp))) for p in self.tradable)
        for product in list(self._pending_tickers):
            if loop_time - self._last_ticker.get(product, 0.0) < PUSH_WINDOW_S:
                due_later = True
                continue
            self._pending_tickers.discard(product)
            self._last_ticker[product] = loop_time
            out.append((False, encode(self.ticker(product, stamp))))
        for product in list(self._pending_books):
            if loop_time - self._last_book.get(product, 0.0) < PUSH_WINDOW_S:
                due_later = True
                continue
            self._pending_books.discard(product)
            self._last_book[product] = loop_time
            if self.admins:
                out.append((True, encode(self.book_frame(product, None))))
        if due_later and self._flush_handle is None:
            loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_later(PUSH_WINDOW_S / 5, self._timer_flush)
        return out

    def _send(self, frames: list[tuple[bool, bytes]]) -> None:
        everyone = [text for admins_only, text in frames if not admins_only]
        if everyone:
            for conn in tuple(self.logged_in):
                conn.send_texts(everyone)
        books = [text for admins_only, text in frames if admins_only]
        if books:
            for conn in tuple(self.admins):
                conn.send_texts(books)

    def _timer_flush(self) -> None:
        self._flush_handle = None
        if self.driver is not None and not self.driver.idle:
            # batches are in the pipeline: the next capture, or the release that empties the pipeline,
            # builds the pushes from a state that is (or is about to be) committed
            return
        self._send(self._due_frames(time.monotonic()))

    def ticker(self, product: str, stamp: str) -> dict[str, Any]:
        eng = self.engine
        book = eng.books[product]
        stats = eng.stats[product]
        return ticker_frame(
            product, book.best_bid(), book.best_ask(), stats.last_price, stats.volume24h(eng.now), eng.seq, stamp
        )

    def book_frame(self, product: str, viewer: str | None) -> dict[str, Any]:
        bids, asks = self.engine.book_orders(product)
        eng = self.engine
        return order_book_frame(
            product, [summary_of(o) for o in bids], [summary_of(o) for o in asks], eng.seq,
            format_ms(max(eng.now, int(time.time() * 1e6))), viewer,
        )

    async def periodic_tickers(self, interval_s: float) -> None:
        """Every ``ticker_interval_s`` one TICKER per tradable product, catalogue order, to everyone: sent
        at once when nothing is pending or in flight, else with the next batch (or the release that empties the
        pipeline)."""
        while True:
            await asyncio.sleep(interval_s)
            if not self.logged_in:
                continue
            self._periodic_due = True
            if self.driver is None or self.driver.idle:
                self._send(self._due_frames(time.monotonic()))
