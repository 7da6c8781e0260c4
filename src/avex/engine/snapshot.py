"""Export the complete engine state as plain data, and rebuild an engine from it.

The store saves exports as snapshots; recovery loads the latest and replays the journal after it. An
export holds everything that influences future events, including terminal clOrdID statuses, offers kept
for their grace period and the statistics windows, so export -> rebuild -> continue gives the same events
as an uninterrupted run.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from avex.domain.catalogue import Role, Tournament
from avex.engine.state import Offer, Order, authorize

if TYPE_CHECKING:
    from avex.engine.engine import Engine

FORMAT = 1


def _role_out(role: Role) -> list[Any]:
    return [
        role.branches,
        role.max_depth,
        str(role.decay),
        str(role.budget),
        str(role.base_energy),
        str(role.level_energy),
    ]


def _role_in(data: list[Any]) -> Role:
    from decimal import Decimal

    return Role(data[0], data[1], Decimal(data[2]), Decimal(data[3]), Decimal(data[4]), Decimal(data[5]))


class Snapshots:
    def export(self: Engine) -> dict[str, Any]:
        accounts = []
        for a in self.accounts.values():
            accounts.append(
                {
                    "name": a.name,
                    "token": a.token_hash,
                    "species": a.species.name if a.species else None,
                    "role": _role_out(a.role),
                    "admin": a.admin,
                    "house": a.house,
                    "members": a.members,
                    "ib": a.initial_balance,
                    "ii": a.initial_inventory[:],  # copies: the live lists keep changing
                    "cash": a.cash,
                    "cres": a.cash_reserved,
                    "goods": a.goods[:],
                    "gres": a.goods_reserved[:],
                    "lp": a.last_production,
                    "closed": {cl: st for cl, st in a.orders.items() if isinstance(st, str)},
                }
            )
        orders = [
            [
                o.seq,
                o.acct.name,
                o.cl,
                o.side,
                o.mode,
                o.product,
                o.qty,
                o.price,
                o.filled,
                o.status,
                o.message,
                o.expires_at,
                o.created,
                o.updated,
                o.origin,
            ]
            for o in self.open_orders_in_seq()
        ]
        offers = [
            [
                f.offer_id,
                f.order.seq,
                f.order.acct.name,
                f.order.cl,
                f.qty,
                f.expires_at,
                list(f.recipients),
                f.team_only,
                f.order.status,
            ]
            for f in self.offers.values()
        ]
        return {
            "format": FORMAT,
            "seq": self.seq,
            "stats_since": self.stats_since_seq,
            "now": self.now,
            "state": self.state,
            "ends_at": self.ends_at,
            "accounts": accounts,
            "orders": orders,
            "offers": offers,
            "offer_queue": [list(x) for x in self.offer_queue],
            "stats": {code: s.export() for code, s in self.stats.items()},
        }

    @classmethod
    def from_export(cls, tournament: Tournament, data: dict[str, Any]) -> Engine:
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown engine snapshot format: {data.get('format')!r}")
        eng = cls(tournament)  # type: ignore[call-arg]
        eng.accounts.clear()
        eng.by_token.clear()
        for ad in data["accounts"]:
            a = eng._new_account(ad["name"])
            if ad["house"]:
                a.house = True
                eng.house = a
            eng.by_token_set(a, ad["token"])
            a.species = tournament.species_named(ad["species"])
            a.role = _role_in(ad["role"])
            a.admin, a.members = ad["admin"], ad["members"]
            a.initial_balance, a.initial_inventory = ad["ib"], list(ad["ii"])
            a.cash, a.cash_reserved = ad["cash"], ad["cres"]
            a.goods, a.goods_reserved = list(ad["goods"]), list(ad["gres"])
            a.last_production = ad["lp"]
            a.orders = dict(ad["closed"])
            authorize(a)
        by_seq: dict[int, Order] = {}
        for (
            seq,
            team,
            cl,
            side,
            mode,
            product,
            qty,
            price,
            filled,
            status,
            message,
            expires_at,
            created,
            updated,
            origin,
        ) in data["orders"]:
            acct = eng.accounts[team]
            o = Order(
                seq, acct, cl, side, mode, product, eng.pidx[product], qty, price, message, expires_at, created, origin
            )
            o.filled, o.status, o.updated = filled, status, updated
            acct.orders[cl] = o
            acct.open_orders += 1
            eng.books[product].add(o)
            if expires_at is not None:
                heapq.heappush(eng.expiry_heap, (expires_at, seq, o))
            by_seq[seq] = o
        for offer_id, order_seq, buyer, buy_cl, qty, expires_at, recipients, team_only, status in data["offers"]:
            order = by_seq.get(order_seq)
            if order is None:
                # the buy order has closed; keep a detached record so late acceptances hear its status
                acct = eng.accounts[buyer]
                order = Order(order_seq, acct, buy_cl, "BUY", "LIMIT", "", 0, qty, 0, "", None, 0, "USER")
                order.status = status
            offer = Offer(offer_id, order, qty, expires_at, tuple(recipients), team_only)
            eng.offers[offer_id] = offer
            if order.status in ("PENDING", "PARTIALLY_FILLED"):
                eng.offer_of_order[order_seq] = offer_id
        eng.offer_queue = [tuple(x) for x in data["offer_queue"]]  # type: ignore[misc]
        for code, sd in data["stats"].items():
            eng.stats[code].load(sd)
        eng.seq, eng.now, eng.state, eng.ends_at = data["seq"], data["now"], data["state"], data["ends_at"]
        eng.stats_since_seq = data["stats_since"]
        return eng
