"""Committed results -> connections, and the committed market-data view with conflated pushes.

The driver calls ``publish`` for every applied command after its batch is durable, in ``seq`` order. The
router renders it once (``avex.render``), encodes each frame once, and queues it on the right connections
(team, admin copies, everyone, the requester). Market data is conflated: a command that moves a product's
top of book, last price or volume schedules one TICKER for that product at most every 250 ms (the values at
send time), and a book change schedules one ORDER_BOOK_UPDATE for admins likewise. The view is read from
the engine only between batches (``driver.idle``), when engine state equals committed state, so nothing
uncommitted ever leaks.
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
        """Called by the driver between batches (engine state == committed state)."""
        if self._pending_tickers or self._pending_books:
            self._flush(loop_time=time.monotonic())

    # --- conflated pushes -------------------------------------------------------------------------------
    def _flush(self, loop_time: float) -> None:
        due_later = False
        eng = self.engine
        stamp = format_ms(max(eng.now, int(time.time() * 1e6)))
        for product in list(self._pending_tickers):
            if loop_time - self._last_ticker.get(product, 0.0) < PUSH_WINDOW_S:
                due_later = True
                continue
            self._pending_tickers.discard(product)
            self._last_ticker[product] = loop_time
            text = encode(self.ticker(product, stamp))
            for conn in tuple(self.logged_in):
                conn.send_texts((text,))
        for product in list(self._pending_books):
            if loop_time - self._last_book.get(product, 0.0) < PUSH_WINDOW_S:
                due_later = True
                continue
            self._pending_books.discard(product)
            self._last_book[product] = loop_time
            if self.admins:
                text = encode(self.book_frame(product, None))
                for conn in tuple(self.admins):
                    conn.send_texts((text,))
        if due_later and self._flush_handle is None:
            loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_later(PUSH_WINDOW_S / 5, self._timer_flush)

    def _timer_flush(self) -> None:
        self._flush_handle = None
        if self.driver is not None and not self.driver.idle:
            # an uncommitted batch is in flight: the driver's after_release() flushes right after its commit
            return
        self._flush(time.monotonic())

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
        """Every ``ticker_interval_s`` one TICKER per tradable product, catalogue order, to everyone."""
        while True:
            await asyncio.sleep(interval_s)
            if not self.logged_in:
                continue
            while self.driver is not None and not self.driver.idle:
                await asyncio.sleep(0.005)
            stamp = format_ms(max(self.engine.now, int(time.time() * 1e6)))
            texts = [encode(self.ticker(p, stamp)) for p in self.tradable]
            for conn in list(self.logged_in):
                conn.send_texts(texts)
