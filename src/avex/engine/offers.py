"""Offers (GAME.md §5): a resting LIMIT BUY is offered to the teams that hold the product; an acceptance is
an ordinary trade between a new SELL of the acceptor and the resting buy (or the house, for TEAM_ONLY)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from avex.domain.errors import (
    INSUFFICIENT_INVENTORY,
    INVALID_MESSAGE,
    INVALID_ORDER,
    OFFER_EXPIRED,
    SERVICE_UNAVAILABLE,
)
from avex.domain.money import fmt2
from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.outcome import Applied, Refused
from avex.engine.state import LIMIT, OPEN, PARTIALLY_FILLED, PENDING, SELL, Offer, Order

if TYPE_CHECKING:
    from avex.engine.engine import Engine

# expired offers are kept this long so a late ACCEPT_OFFER hears "offer expired", then forgotten
OFFER_GRACE_US = 3600 * 1_000_000


class OffersOps:
    def _make_offer(self: Engine, order: Order, team_only: bool) -> None:
        if not self.offer_ttl_us:
            return
        acct = order.acct
        if team_only:
            recipients: tuple[str, ...] = (acct.name,)
        else:
            pidx = order.pidx
            recipients = tuple(
                a.name
                for a in self.accounts.values()
                if a is not acct and not a.admin and not a.house and a.goods[pidx] - a.goods_reserved[pidx] >= 1
            )
        if not recipients:
            return
        offer_id = f"OFF-{self.seq}"
        expires_at = self.now + self.offer_ttl_us
        remaining = order.qty - order.filled
        offer = Offer(offer_id, order, remaining, expires_at, recipients, team_only)
        self.offers[offer_id] = offer
        self.offer_queue.append((expires_at, offer_id))
        self.offer_of_order[order.seq] = offer_id
        self._ev.append(
            E.OfferCreated(
                offer_id,
                acct.name,
                order.cl,
                order.product,
                remaining,
                order.price,  # type: ignore[arg-type]
                expires_at,
                self.offer_ttl_us // 1000,
                list(recipients),
                team_only,
            )
        )

    def _forget_old_offers(self: Engine) -> None:
        queue = self.offer_queue
        edge = self.now - OFFER_GRACE_US
        drop = 0
        while drop < len(queue) and queue[drop][0] <= edge:
            self.offers.pop(queue[drop][1], None)
            drop += 1
        if drop:
            del queue[:drop]

    def _on_accept_offer(self: Engine, c: C.AcceptOffer) -> Applied | Refused:
        acct = self._team(c.team)
        if acct is None:
            return Refused(INVALID_MESSAGE, f"Team not found: {c.team}")
        if self.state != OPEN:
            return Refused(SERVICE_UNAVAILABLE, "Market is closed")
        self._forget_old_offers()
        offer = self.offers.get(c.offer_id)
        if offer is None or acct.name not in offer.recipients:
            return Refused(OFFER_EXPIRED, f"offer not found or expired: {c.offer_id}")
        if self.now >= offer.expires_at:
            return Refused(OFFER_EXPIRED, f"offer expired: {c.offer_id}")
        buy = offer.order
        if buy.status not in (PENDING, PARTIALLY_FILLED):
            return Refused(OFFER_EXPIRED, f"buy order is no longer active (status: {buy.status})")
        remaining = buy.qty - buy.filled
        q = remaining if c.qty is None else min(c.qty, remaining)
        price = offer.max_price if c.price is None else c.price
        if price > offer.max_price:
            return Refused(INVALID_ORDER, f"Price {fmt2(price)} exceeds maxPrice {fmt2(offer.max_price)}")
        pidx = buy.pidx
        if not offer.team_only:
            avail = acct.goods[pidx] - acct.goods_reserved[pidx]
            if avail < q:
                return Refused(
                    INSUFFICIENT_INVENTORY, f"Insufficient inventory for {buy.product}: need {q}, available {avail}"
                )
        self._begin()
        if offer.team_only:
            self._fill(buy, None, q, price, SELL, "HOUSE", seller=self.house)
        else:
            cl = self._free_cl(acct, f"OFFER-{self.seq}")
            sell = Order(self.seq, acct, cl, SELL, LIMIT, buy.product, pidx, q, price, "", None, self.now, "OFFER")
            acct.orders[cl] = sell
            self._ev.append(E.OrderAccepted(acct.name, cl, SELL, LIMIT, buy.product, q, price, "", None, "OFFER"))
            self._fill(buy, sell, q, price, SELL, "OFFER")
        return self._finish(c)
