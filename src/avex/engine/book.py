"""One product's order book: price levels in priority order, FIFO by ``seq`` within a level.

Prices are kept in two sorted lists (bids negated, so both sides ascend from the best price) and each level
is an insertion-ordered dict ``seq -> order``: O(1) append, O(1) cancel from the middle, FIFO iteration.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from avex.engine.state import Order


class Book:
    __slots__ = ("ask_prices", "asks", "bid_keys", "bids", "product")

    def __init__(self, product: str) -> None:
        self.product = product
        self.bid_keys: list[int] = []  # -price, ascending: best bid first
        self.ask_prices: list[int] = []  # ascending: best ask first
        self.bids: dict[int, dict[int, Order]] = {}
        self.asks: dict[int, dict[int, Order]] = {}

    def add(self, order: Order) -> None:
        price = order.price
        if order.is_buy:
            level = self.bids.get(price)
            if level is None:
                level = self.bids[price] = {}
                insort(self.bid_keys, -price)
        else:
            level = self.asks.get(price)
            if level is None:
                level = self.asks[price] = {}
                insort(self.ask_prices, price)
        level[order.seq] = order

    def remove(self, order: Order) -> None:
        price = order.price
        if order.is_buy:
            level = self.bids[price]
            del level[order.seq]
            if not level:
                del self.bids[price]
                keys = self.bid_keys
                del keys[bisect_left(keys, -price)]
        else:
            level = self.asks[price]
            del level[order.seq]
            if not level:
                del self.asks[price]
                keys = self.ask_prices
                del keys[bisect_left(keys, price)]

    def best_bid(self) -> int | None:
        return -self.bid_keys[0] if self.bid_keys else None

    def best_ask(self) -> int | None:
        return self.ask_prices[0] if self.ask_prices else None

    def bid_orders(self) -> list[Order]:
        """Resting buys in priority order (price descending, then seq)."""
        return [o for key in self.bid_keys for o in self.bids[-key].values()]

    def ask_orders(self) -> list[Order]:
        """Resting sells in priority order (price ascending, then seq)."""
        return [o for price in self.ask_prices for o in self.asks[price].values()]
