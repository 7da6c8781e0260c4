"""Snapshot replies built from live engine state between commands (LOGIN_OK, GET_INVENTORY, orders, books,
reports). Pure functions of the engine (and, for reports, of fill rows read from the store)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from avex.admin.rows import trade_stats
from avex.domain.money import wire
from avex.domain.timeutil import format_ms
from avex.engine.engine import Engine
from avex.engine.queries import Valuation
from avex.engine.state import Account
from avex.render import order_book_frame
from avex.router import summary_of

Frame = dict[str, Any]


def _num(d: Any) -> int | float:
    """A Decimal role value as a plain JSON number (3.0 -> 3, 0.75 -> 0.75)."""
    return int(d) if d == int(d) else float(d)


def _half_even_2(x: Fraction) -> float | int:
    cents = round(x * 100)  # Fraction rounds half-to-even
    return wire(cents)


def inventory_maps(engine: Engine, acct: Account) -> tuple[dict[str, int], dict[str, int]]:
    totals = dict(zip(engine.codes, acct.goods))
    avail = {c: g - r for c, g, r in zip(engine.codes, acct.goods, acct.goods_reserved)}
    return totals, avail


def login_ok(engine: Engine, acct: Account, now: int) -> Frame:
    species = acct.species
    recipes: dict[str, Any] = {}
    if species is not None:
        recipes[species.basic] = {"type": "BASIC", "ingredients": {}, "premiumBonus": 1}
        for product, ingredients in species.premium.items():
            recipes[product] = {"type": "PREMIUM", "ingredients": dict(ingredients), "premiumBonus": 1.3}
    role = acct.role
    frame: Frame = {
        "type": "LOGIN_OK",
        "team": acct.name,
        "species": species.name if species else "",
        "initialBalance": wire(acct.initial_balance),
        "currentBalance": wire(acct.cash),
        "inventory": dict(zip(engine.codes, acct.goods)),
        "authorizedProducts": list(acct.authorized),
        "recipes": recipes,
        "role": {
            "branches": role.branches, "maxDepth": role.max_depth, "decay": _num(role.decay),
            "budget": _num(role.budget), "baseEnergy": _num(role.base_energy), "levelEnergy": _num(role.level_energy),
        },
        "admin": acct.admin,
        "tournamentState": engine.state,
    }
    if engine.ends_at is not None:
        frame["endsAt"] = format_ms(engine.ends_at)
    frame["seq"] = engine.seq
    frame["serverTime"] = format_ms(now)
    return frame


def inventory_and_balance(engine: Engine, acct: Account, now: int) -> list[Frame]:
    totals, avail = inventory_maps(engine, acct)
    stamp = format_ms(now)
    return [
        {"type": "INVENTORY_UPDATE", "inventory": totals, "available": avail, "seq": engine.seq, "serverTime": stamp},
        {
            "type": "BALANCE_UPDATE", "balance": wire(acct.cash), "available": wire(acct.cash - acct.cash_reserved),
            "reserved": wire(acct.cash_reserved), "seq": engine.seq, "serverTime": stamp,
        },
    ]


def all_orders(engine: Engine, team: str | None, now: int) -> Frame:
    orders = [summary_of(o) for o in engine.open_orders(team)]
    return {"type": "ALL_ORDERS", "orders": orders, "seq": engine.seq, "serverTime": format_ms(now)}


def order_book(engine: Engine, product: str, viewer: str | None, now: int) -> Frame:
    bids, asks = engine.book_orders(product)
    return order_book_frame(
        product, [summary_of(o) for o in bids], [summary_of(o) for o in asks], engine.seq, now, viewer
    )


def report_body(
    codes: tuple[str, ...], val: Valuation, fills: list[Any], rank: int | None, total: int | None
) -> Frame:
    """PERFORMANCE_REPORT fields (without type/seq/serverTime) for one team. ``fills`` are the team's fill rows
    in the window (objects with ``qty``, ``price``, ``product``, ``buy_team``)."""
    volume = sum(f.price * f.qty for f in fills)
    n = len(fills)
    products: dict[str, int] = {}
    buys = 0
    for f in fills:
        products[f.product] = products.get(f.product, 0) + 1
        if f.buy_team == val.team:
            buys += 1
    body: Frame = {
        "teamName": val.team,
        "startBalance": wire(val.baseline),
        "finalBalance": wire(val.value),
        "profitLoss": wire(val.profit_loss),
        "roi": _half_even_2(val.roi),
        "cash": wire(val.cash),
        "inventoryValue": wire(val.inventory_value),
        "totalTrades": n,
        "totalVolume": wire(volume),
        "avgTradeSize": wire(round(Fraction(volume, n))) if n else 0,
        "buyTrades": buys,
        "sellTrades": n - buys,
        "products": products,
        "finalInventory": dict(zip(codes, val.goods)),
    }
    if rank is not None:
        body["rank"] = rank
        body["totalTeams"] = total
    return body


def duration_text(seconds: int) -> str:
    minutes = seconds // 60
    if minutes == 0:
        return "0s"
    h, m = divmod(minutes, 60)
    return f"{h}h{m}m0s" if h else f"{m}m0s"


def product_stats(fills: list[Any]) -> dict[str, Frame]:
    """GLOBAL_PERFORMANCE_REPORT ``productStats`` (§5.14), from the same per-product aggregation as the
    referee's /api/products (``admin.rows.trade_stats``, amounts in cents)."""
    out: dict[str, Frame] = {}
    for product, s in trade_stats(fills).items():
        out[product] = {
            "product": product, "totalTrades": s["trades"], "totalQty": s["quantity"],
            "totalVolume": wire(s["turnover"]), "avgPrice": wire(round(Fraction(s["turnover"], s["quantity"]))),
            "minPrice": wire(s["low"]), "maxPrice": wire(s["high"]), "lastPrice": wire(s["last"]),
        }
    return out

