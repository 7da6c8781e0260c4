"""The three practice strategies of ``avex bots``: market maker, taker and producer.

Each is small on purpose: students read them to see what a bot looks like. All decisions come from the
bot's own ``rng``, so a given ``--seed`` makes the same choices in the same market.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

from avex.bots.base import REFERENCE_CENTS, Bot, Quote, cents
from avex.domain.catalogue import Role
from avex.domain.money import fmt2
from avex.domain.production import role_units


class MarketMaker(Bot):
    """Quotes a small bid and a small ask around the fair price of every tradable product (the ones the team
    holds first), one new quote per step; cancels a quote once the fair price has moved away from it
    (TICKERs and fills move it) or it is a minute old, and quotes again."""

    kind = "market maker"
    prefix = "mm"
    max_size = 5
    max_age_s = 60.0

    def __init__(self, url: str, token: str, **options: Any) -> None:
        super().__init__(url, token, **options)
        self.spread = self.rng.uniform(0.015, 0.03)
        """Distance between bid and ask, as a fraction of the fair price."""
        self._cursor = 0

    def desired(self, product: str, side: str) -> int | None:
        fair = self.fair(product)
        if fair is None:
            return None
        half = max(1, round(fair * self.spread / 2))
        return max(1, fair - half) if side == "BUY" else fair + half

    def stale(self, quote: Quote) -> str | None:
        if self._now() - quote.placed_at > self.max_age_s:
            return "stale"
        want, fair = self.desired(quote.product, quote.side), self.fair(quote.product)
        if want is None or fair is None:
            return None
        if abs(want - quote.price) > max(1, round(fair * self.spread / 4)):
            return f"fair price moved, now {fmt2(want)}"
        return None

    def crosses_own(self, product: str, side: str, price: int) -> bool:
        """Would this quote meet one of our own (self-trade prevention would refuse it)?"""
        if side == "BUY":
            return any(q.price <= price for q in self.mine(product, "SELL"))
        return any(q.price >= price for q in self.mine(product, "BUY"))

    async def step(self) -> None:
        for quote in list(self.orders.values()):
            why = None if quote.cancelling else self.stale(quote)
            if why:
                await self.cancel(quote, why)
        # Round robin over the products, those the team holds first, from where the last quote went.
        held = [p for p in self.tradable if self.goods.get(p, 0) > 0]
        products = held + [p for p in self.tradable if p not in held]
        for i in range(len(products)):
            product = products[(self._cursor + i) % len(products)]
            for side in ("SELL", "BUY"):
                if any(not q.cancelling for q in self.mine(product, side)):
                    continue
                price = self.desired(product, side)
                if price is None or self.crosses_own(product, side, price):
                    continue
                qty = self.rng.randint(1, self.max_size)
                qty = min(qty, self.goods.get(product, 0)) if side == "SELL" else min(qty, self.cash // price)
                if qty >= 1:
                    self._cursor = (self._cursor + i + (side == "BUY")) % len(products)
                    await self.place(side, product, qty, price)
                    return


class Taker(Bot):
    """Now and then sends a LIMIT order at the best opposite price (buys the best ask, or sells its goods to the
    best bid) for 1–3 units, cancels any remainder after a few seconds, and accepts the OFFERs it can fill at
    a fair price."""

    kind = "taker"
    prefix = "tk"
    activity = 0.5  # chance to trade at each step
    leftover_s = 5.0

    def reasonable(self, product: str, price: int) -> bool:
        """Not far from the last trade (or the reference price): a stray order at 1000× is left alone."""
        top = self.tops.get(product)
        anchor = (top.last if top else None) or REFERENCE_CENTS.get(product)
        return anchor is None or anchor * 3 <= price * 4 <= anchor * 5

    async def step(self) -> None:
        for quote in list(self.orders.values()):
            if not quote.cancelling and self._now() - quote.placed_at > self.leftover_s:
                await self.cancel(quote, "unfilled remainder")
        if self.rng.random() > self.activity:
            return
        options: list[tuple[str, str, int]] = []
        for product in self.tradable:
            top = self.tops.get(product)
            if top is None or self.mine(product):
                continue
            if top.ask is not None and self.cash >= top.ask and self.reasonable(product, top.ask):
                options.append(("BUY", product, top.ask))
            if top.bid is not None and self.goods.get(product, 0) >= 1 and self.reasonable(product, top.bid):
                options.append(("SELL", product, top.bid))
        if not options:
            return
        side, product, price = self.rng.choice(options)
        qty = self.rng.randint(1, 3)
        qty = min(qty, self.goods.get(product, 0)) if side == "SELL" else min(qty, self.cash // price)
        await self.place(side, product, qty, price)

    async def on_offer(self, msg: dict[str, Any]) -> None:
        await offer_if_fair(self, msg, self.rng.randint(1, 5))


class Producer(Bot):
    """Produces its species' basic product whenever the cooldown allows (as much as its role permits), and
    keeps one small SELL of it a little above the fair price; accepts fair OFFERs for it."""

    kind = "producer"
    prefix = "pr"
    keep = 10  # units never offered for sale
    markup = 0.01
    sell_age_s = 30.0
    cooldown_s = 15.0  # the default; a cooldown ERROR tells the real wait

    def __init__(self, url: str, token: str, **options: Any) -> None:
        super().__init__(url, token, **options)
        self.next_production = 0.0
        self._warned = False

    @property
    def basic(self) -> str | None:
        return self.authorized[0] if self.authorized else None

    def units(self) -> int:
        r = self.role
        role = Role(
            branches=int(r.get("branches", 2)), max_depth=int(r.get("maxDepth", 4)),
            decay=Decimal(str(r.get("decay", "0.75"))), budget=Decimal(str(r.get("budget", 25))),
            base_energy=Decimal(str(r.get("baseEnergy", 3))), level_energy=Decimal(str(r.get("levelEnergy", 2))),
        )
        return max(1, role_units(role))

    async def step(self) -> None:
        basic = self.basic
        if basic is None:
            if not self._warned:
                self.warn("the team has no species: nothing to produce")
                self._warned = True
            return
        assert self.client is not None
        if self._now() >= self.next_production:
            qty = self.units()
            self.next_production = self._now() + self.cooldown_s
            await self.client.produce(basic, qty)
            self.info("PRODUCE %d %s", qty, basic)
            return
        for quote in self.mine(basic, "SELL"):
            if not quote.cancelling and self._now() - quote.placed_at > self.sell_age_s:
                await self.cancel(quote, "stale")
        spare = self.goods.get(basic, 0) - self.keep
        fair = self.fair(basic)
        if basic not in self.tradable or spare < 1 or fair is None:
            return
        if any(not q.cancelling for q in self.mine(basic, "SELL")):
            return
        price = fair + max(1, round(fair * self.markup))
        await self.place("SELL", basic, min(spare, self.rng.randint(5, 20)), price)

    def on_error(self, msg: dict[str, Any]) -> None:
        wait = re.search(r"Production cooldown: retry in (\d+) s", str(msg.get("reason", "")))
        if wait:
            self.next_production = self._now() + int(wait.group(1)) + 0.1

    async def on_offer(self, msg: dict[str, Any]) -> None:
        if msg.get("product") == self.basic:
            await offer_if_fair(self, msg, max(0, self.goods.get(str(self.basic), 0) - self.keep))


async def offer_if_fair(bot: Bot, msg: dict[str, Any], most: int) -> None:
    """Accept an OFFER for up to ``most`` units when the bot holds some and the price is at least 90 % of
    the fair price; otherwise log why not."""
    product = str(msg.get("product"))
    price = cents(msg.get("maxPrice"))
    qty = min(bot.goods.get(product, 0), int(msg.get("quantityRequested") or 0), most)
    if qty < 1 or price is None or not bot.market_open:
        return
    fair = bot.fair(product)
    if fair is not None and price * 10 < fair * 9:
        bot.info("decline offer %s: %s below the fair price %s", msg.get("offerId"), fmt2(price), fmt2(fair))
        return
    await bot.accept(msg, qty)


STRATEGIES: dict[str, type[Bot]] = {"market-maker": MarketMaker, "taker": Taker, "producer": Producer}


def make_bot(strategy: str, url: str, token: str, index: int, seed: int, order_interval: float = 1.0) -> Bot:
    """The ``index``-th bot of a run: its own random stream, derived from the run's seed."""
    rng = random.Random(seed * 1_000_003 + index)
    return STRATEGIES[strategy](url, token, index=index, rng=rng, order_interval=order_interval)
