"""What every practice bot shares: the connection, what it knows of the market and of its own team, its
open orders, pacing, and logging. A strategy (``avex.bots.strategies``) only decides what to do in ``step``.

A bot is an ordinary team (GAME.md §8): it logs in with its team's token through ``avex.client`` with
``reconnect=True`` (a lost connection is reopened, logged in again and RESYNCed by the client). It never
crashes on an ERROR reply: every one is logged, and the order it names is forgotten. Prices are kept in
integer cents; every action it takes is one ``info`` line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from avex.client import Client, ClientError, LoginError
from avex.config import default_products
from avex.domain.money import MoneyError, as_decimal, fmt2, to_cents

log = logging.getLogger("avex.bots")

REFERENCE_CENTS: dict[str, int] = {p.code: p.reference_price for p in default_products()}
"""Reference prices of the built-in catalogue (GAME.md §11.1): the last resort when a product has no price yet
(the server does not send reference prices to teams)."""

RATE_LIMIT_PAUSE_S = 5.0
CONNECT_RETRY_S = (0.5, 10.0)


def cents(value: Any) -> int | None:
    """A money value of a server frame in cents (None if absent or not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return to_cents(value if isinstance(value, Decimal | int) else Decimal(str(value)))
    except (MoneyError, ValueError):
        return None


@dataclass
class Quote:
    """One of the bot's open orders."""

    cl: str
    product: str
    side: str  # BUY | SELL
    price: int  # cents
    qty: int
    remaining: int
    placed_at: float  # loop time
    cancelling: bool = False


@dataclass
class Top:
    """What the bot knows of one product's market: best bid and ask, last trade price (cents)."""

    bid: int | None = None
    ask: int | None = None
    last: int | None = None


class Bot:
    """Base class of the strategies. ``run(stop)`` connects, logs in, then calls ``step`` every
    ``step_interval`` seconds until ``stop`` is set; it returns 0, or 1 if it could not log in."""

    kind = "bot"
    prefix = "bot"
    step_interval = 1.0

    def __init__(self, url: str, token: str, *, index: int = 0, rng: random.Random | None = None,
                 order_interval: float = 1.0) -> None:
        self.url = url
        self._token = token
        self.index = index
        self.rng = rng or random.Random()
        self.order_interval = order_interval
        """Seconds between two ORDERs (the server allows ``orders_per_minute``, 100 by default, per team)."""
        self.client: Client | None = None
        self.team = f"bot #{index + 1}"
        self.market_open = True
        self.cash = 0  # available cash, cents
        self.goods: dict[str, int] = {}  # available units per product (catalogue order)
        self.authorized: list[str] = []
        self.role: dict[str, Any] = {}
        self.tradable: list[str] = []  # catalogue order, as learnt from order books and TICKERs
        self.tops: dict[str, Top] = {}
        self.orders: dict[str, Quote] = {}
        self._next_order_at = 0.0
        self._count = 0
        self._run_id = _base36(time.time_ns() // 1_000_000)

    # --- logging ---------------------------------------------------------------------------------------------
    def info(self, text: str, *args: Any) -> None:
        log.info("%s: " + text, self.team, *args)

    def warn(self, text: str, *args: Any) -> None:
        log.warning("%s: " + text, self.team, *args)

    # --- the life of a bot -----------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> int:
        client = await self._connect(stop)
        if client is None:
            return 0 if stop.is_set() else 1
        self.client = client
        lost = False
        try:
            self._on_login(client.login_ok or {})
            await client.get_inventory()
            for product in self.goods:  # every catalogue product: the book replies tell which are tradable
                await client.request_order_book(product)
            reader = asyncio.create_task(self._read(client))
            stepper = asyncio.create_task(self._step_loop(stop))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait((reader, stepper, stopping), return_when=asyncio.FIRST_COMPLETED)
            lost = reader.done() and not stop.is_set()
            for task in (stepper, stopping):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if not lost:
                with contextlib.suppress(TimeoutError, ClientError):
                    await asyncio.wait_for(self.cleanup(), 3.0)
                await asyncio.sleep(0.3)  # let the last acknowledgements arrive and be logged
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        except ClientError as exc:
            self.warn("connection lost: %s", exc)
            lost = True
        finally:
            await client.close()
        self.info("stopped")
        return 1 if lost else 0

    async def _connect(self, stop: asyncio.Event) -> Client | None:
        delay, longest = CONNECT_RETRY_S
        while not stop.is_set():
            try:
                client = await Client.connect(self.url, token=self._token, reconnect=True)
            except LoginError as exc:
                log.error("%s: login refused: %s", self.team, exc)
                return None
            except ValueError as exc:  # an unsupported URL
                log.error("%s: %s", self.team, exc)
                return None
            except (OSError, TimeoutError, ClientError) as exc:
                log.warning("%s: cannot connect to %s (%s); retrying in %.1f s", self.team, self.url, exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, longest)
                continue
            return client
        return None

    def _on_login(self, ok: dict[str, Any]) -> None:
        self.team = str(ok.get("team") or self.team)
        self.market_open = ok.get("tournamentState", "OPEN") == "OPEN"
        self.cash = cents(ok.get("currentBalance")) or 0
        self.goods = {p: int(q) for p, q in (ok.get("inventory") or {}).items()}
        self.authorized = list(ok.get("authorizedProducts") or [])
        self.role = dict(ok.get("role") or {})
        self.info("logged in as a %s (species %s, cash %s)", self.kind, ok.get("species") or "none", fmt2(self.cash))

    async def _step_loop(self, stop: asyncio.Event) -> None:
        reconnects = 0
        while not stop.is_set():
            if self.client is not None and self.client.reconnects != reconnects:
                reconnects = self.client.reconnects
                state = (self.client.login_ok or {}).get("tournamentState", "OPEN")
                self.market_open = state == "OPEN"
                self.info("reconnected (tournament %s)", state)
            if self.market_open:
                try:
                    await self.step()
                except ClientError as exc:
                    self.warn("cannot send: %s", exc)
                    return
                except Exception:  # a bug in a strategy is logged, the bot goes on
                    log.exception("%s: step failed", self.team)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.step_interval)

    async def step(self) -> None:
        """One decision of the strategy (at most one ORDER, paced by ``place``)."""

    async def cleanup(self) -> None:
        """On stop: cancel the bot's open orders (quotes should not outlive the bot)."""
        for quote in list(self.orders.values()):
            await self.cancel(quote, "shutting down")

    # --- receiving -------------------------------------------------------------------------------------------
    async def _read(self, client: Client) -> None:
        async for message in client:
            try:
                await self.handle(message)
            except ClientError as exc:
                self.warn("cannot send: %s", exc)
            except Exception:  # a bug in a strategy is logged, the bot goes on
                log.exception("%s: could not handle %s", self.team, message.get("type"))
        self.warn("connection closed for good (%s)", client.close_reason or client.close_code)

    async def handle(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "TICKER":
            product = str(msg.get("product"))
            self._learn_tradable(product)
            top = self.tops.setdefault(product, Top())
            top.bid, top.ask = cents(msg.get("bestBid")), cents(msg.get("bestAsk"))
            top.last = cents(msg.get("lastPrice"))
        elif kind == "ORDER_BOOK_UPDATE":
            product = str(msg.get("product"))
            self._learn_tradable(product)
            top = self.tops.setdefault(product, Top())
            bids, asks = msg.get("buyOrders") or [], msg.get("sellOrders") or []
            top.bid = cents(bids[0].get("price")) if bids else None
            top.ask = cents(asks[0].get("price")) if asks else None
        elif kind == "BALANCE_UPDATE":
            self.cash = cents(msg.get("available")) or 0
        elif kind == "INVENTORY_UPDATE":
            self.goods = {p: int(q) for p, q in (msg.get("available") or msg.get("inventory") or {}).items()}
        elif kind == "ORDER_ACK":
            quote = self.orders.get(str(msg.get("clOrdID")))
            if quote is not None and msg.get("status") == "CANCELLED":
                del self.orders[quote.cl]
                self.info("%s %s %s cancelled (%s)", quote.side, quote.product, quote.cl, msg.get("reason", ""))
        elif kind == "FILL":
            self._on_fill(msg)
        elif kind == "OFFER":
            await self.on_offer(msg)
        elif kind == "ERROR":
            self._on_error(msg)
        elif kind == "TOURNAMENT_STATE":
            self.market_open = msg.get("state") == "OPEN"
            self.info("tournament is %s", msg.get("state"))
        elif kind == "BROADCAST_NOTIFICATION":
            self.info("broadcast from %s: %s", msg.get("sender"), msg.get("message"))

    def _learn_tradable(self, product: str) -> None:
        if product not in self.tradable:
            self.tradable.append(product)
            order = list(self.goods)
            self.tradable.sort(key=lambda p: order.index(p) if p in order else len(order))

    def _on_fill(self, msg: dict[str, Any]) -> None:
        cl = str(msg.get("clOrdID"))
        price = cents(msg.get("fillPrice")) or 0
        self.info("FILL %s %s %s @ %s with %s (%s)", msg.get("side"), msg.get("fillQty"), msg.get("product"),
                  fmt2(price), msg.get("counterparty"), cl)
        top = self.tops.setdefault(str(msg.get("product")), Top())
        top.last = price
        quote = self.orders.get(cl)
        if quote is not None:
            quote.remaining = int(msg.get("remainingQty", 0))
            if quote.remaining <= 0:
                del self.orders[cl]

    def _on_error(self, msg: dict[str, Any]) -> None:
        code, reason, cl = msg.get("code"), msg.get("reason"), msg.get("clOrdID")
        self.warn("ERROR %s: %s%s", code, reason, f" ({cl})" if cl else "")
        if cl is not None:
            # A refused ORDER never rested; a refused CANCEL means the order is no longer open either way.
            self.orders.pop(str(cl), None)
        if code == "RATE_LIMIT_EXCEEDED" and "orders" in str(reason):
            self._next_order_at = max(self._next_order_at, self._now() + RATE_LIMIT_PAUSE_S)
        elif code == "SERVICE_UNAVAILABLE" and reason == "Market is closed":
            self.market_open = False
        self.on_error(msg)

    async def on_offer(self, msg: dict[str, Any]) -> None:
        """An OFFER from a buyer (GAME.md §5); ignored unless the strategy wants it."""

    def on_error(self, msg: dict[str, Any]) -> None:
        """An ERROR, after it was logged; for strategies that care (production cooldowns)."""

    # --- acting ----------------------------------------------------------------------------------------------
    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _new_cl(self) -> str:
        self._count += 1
        return f"{self.prefix}{self.index + 1}-{self._run_id}-{self._count}"

    async def place(self, side: str, product: str, qty: int, price: int) -> Quote | None:
        """A LIMIT order, at most one per ``order_interval`` (waits for its turn)."""
        assert self.client is not None
        wait = self._next_order_at - self._now()
        if wait > 0:
            await asyncio.sleep(wait)
        self._next_order_at = self._now() + self.order_interval
        quote = Quote(self._new_cl(), product, side, price, qty, qty, self._now())
        self.orders[quote.cl] = quote
        # Count the reservation at once; the server's BALANCE/INVENTORY_UPDATE brings the exact figures.
        if side == "BUY":
            self.cash -= price * qty
        else:
            self.goods[product] = self.goods.get(product, 0) - qty
        await self.client.order(quote.cl, side, "LIMIT", product, qty, limit_price=as_decimal(price))
        self.info("%s %d %s @ %s (%s)", side, qty, product, fmt2(price), quote.cl)
        return quote

    async def cancel(self, quote: Quote, why: str) -> None:
        assert self.client is not None
        if quote.cancelling:
            return
        quote.cancelling = True
        await self.client.cancel(quote.cl)
        self.info("cancel %s %s @ %s (%s): %s", quote.side, quote.product, fmt2(quote.price), quote.cl, why)

    async def accept(self, msg: dict[str, Any], qty: int) -> None:
        assert self.client is not None
        product = str(msg.get("product"))
        self.goods[product] = self.goods.get(product, 0) - qty
        await self.client.accept_offer(str(msg.get("offerId")), quantity=qty)
        self.info("accept offer %s: SELL %d %s @ %s to %s", msg.get("offerId"), qty, product,
                  fmt2(cents(msg.get("maxPrice")) or 0), msg.get("buyer"))

    # --- what the bot knows ----------------------------------------------------------------------------------
    def mine(self, product: str, side: str | None = None) -> list[Quote]:
        return [q for q in self.orders.values() if q.product == product and (side is None or q.side == side)]

    def fair(self, product: str) -> int | None:
        """The price to trade around: the mid of the best bid and ask (not counting the bot's own quotes), else
        the last trade price, else one side of the book, else the built-in reference price."""
        top = self.tops.get(product, Top())
        own = {(q.side, q.price) for q in self.orders.values() if q.product == product}
        bid = None if ("BUY", top.bid) in own else top.bid
        ask = None if ("SELL", top.ask) in own else top.ask
        if bid is not None and ask is not None:
            return (bid + ask) // 2
        if top.last is not None:
            return top.last
        if bid is not None or ask is not None:
            return bid if bid is not None else ask
        return REFERENCE_CENTS.get(product)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
