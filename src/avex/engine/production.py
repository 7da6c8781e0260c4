"""PRODUCTION_UPDATE (PROTOCOL.md §4.6 rows 5-12, GAME.md §7): authorization, the formula's maximum,
ingredients from available goods (per unit or per batch), the team-wide cooldown, all or nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from avex.domain.catalogue import MAX_GOODS
from avex.domain.errors import (
    INSUFFICIENT_INVENTORY,
    INVALID_MESSAGE,
    INVALID_PRODUCT,
    INVALID_QUANTITY,
    RATE_LIMIT_EXCEEDED,
    SERVICE_UNAVAILABLE,
    UNAUTHORIZED_PRODUCTION,
)
from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.outcome import Applied, Refused
from avex.engine.state import OPEN

if TYPE_CHECKING:
    from avex.engine.engine import Engine

US = 1_000_000


class ProductionOps:
    def _on_produce(self: Engine, c: C.Produce) -> Applied | Refused:
        acct = self._team(c.team)
        if acct is None:
            return Refused(INVALID_MESSAGE, f"Team not found: {c.team}")
        product = self.products.get(c.product)
        if product is None:
            return Refused(INVALID_PRODUCT, f"invalid product: {c.product}")
        if self.state != OPEN:
            return Refused(SERVICE_UNAVAILABLE, "Market is closed")
        if not product.producible:
            return Refused(UNAUTHORIZED_PRODUCTION, f"product not producible: {c.product}")
        if c.product not in acct.authorized:
            return Refused(UNAUTHORIZED_PRODUCTION, f"team not authorized to produce {c.product}")
        species = acct.species
        assert species is not None
        recipe = species.premium.get(c.product)
        limit = acct.max_premium if recipe is not None else acct.max_basic
        if c.qty > limit:
            return Refused(INVALID_QUANTITY, f"Quantity exceeds the maximum of {limit} for {c.product}")
        needs: list[tuple[str, int, int]] = []
        for ingredient, units in (recipe or {}).items():
            i = self.pidx[ingredient]
            need = units if self.per_batch else units * c.qty
            avail = acct.goods[i] - acct.goods_reserved[i]
            if avail < need:
                return Refused(
                    INSUFFICIENT_INVENTORY,
                    f"Insufficient ingredients for {c.product}: need {need} {ingredient}, available {avail}",
                )
            needs.append((ingredient, i, need))
        if acct.last_production is not None and self.cooldown_us:
            ready = acct.last_production + self.cooldown_us
            if self.now < ready:
                secs = -(-(ready - self.now) // US)
                return Refused(RATE_LIMIT_EXCEEDED, f"Production cooldown: retry in {secs} s")
        out = self.pidx[c.product]
        if acct.goods[out] + c.qty > MAX_GOODS:
            return Refused(INVALID_QUANTITY, f"Quantity would exceed {MAX_GOODS} for {c.product}")
        self._begin()
        self._touch(acct)
        ref = str(self.seq)
        for ingredient, i, need in needs:
            acct.goods[i] -= need
            self._ledger(acct, ingredient, -need, acct.goods[i], "PRODUCTION_INPUT", ref)
        acct.goods[out] += c.qty
        self._ledger(acct, c.product, c.qty, acct.goods[out], "PRODUCTION_OUTPUT", ref)
        acct.last_production = self.now
        self._ev.append(E.Produced(acct.name, c.product, c.qty, {name: need for name, _, need in needs}))
        return self._finish(c)
