"""Wire rows of the referee's reads: exports (PROTOCOL.md §4.15), the HTTP API and admin views.

Pure functions from store rows (money in cents, times in µs) or live engine records to JSON-ready dicts
(money through ``wire``, times through ``format_ms``). No row ever carries a token or its hash.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from avex.domain.money import fmt2, wire
from avex.domain.timeutil import format_ms
from avex.render import order_summary
from avex.store.rows import Activity, FillRow, LedgerRow, OrderRow, SessionRow

if TYPE_CHECKING:
    from avex.engine.engine import Engine
    from avex.engine.queries import Valuation
    from avex.engine.state import Account

Row = dict[str, Any]


def _num(d: Any) -> int | float:
    return int(d) if d == int(d) else float(d)


def roi_2(roi: Fraction) -> int | float:
    """ROI in percent, rounded half-even to 2 decimals (GAME.md §9)."""
    return wire(round(roi * 100))


# --- history (store rows) -------------------------------------------------------------------------------
def order_row(o: OrderRow) -> Row:
    """OrderSummary (§5) of a stored order, ``reason`` included for closed ones."""
    return order_summary(
        o.cl_ord_id, o.team, o.side, o.mode, o.product, o.qty, o.price, o.filled, o.remaining, o.status,
        o.seq, o.created_at, o.updated_at, reason=o.reason, message=o.message, expires_at=o.expires_at,
    )


def fill_row(f: FillRow, messages: bool = False) -> Row:
    """An export fill (§4.15); with ``messages`` also both orders' messages (the referee's tape)."""
    row: Row = {
        "fillId": f.fill_id, "seq": f.seq, "product": f.product, "quantity": f.qty, "price": wire(f.price),
        "buyTeam": f.buy_team, "buyClOrdID": f.buy_cl, "sellTeam": f.sell_team, "sellClOrdID": f.sell_cl,
        "aggressorSide": f.aggressor, "source": f.source, "executedAt": format_ms(f.executed_at),
    }
    if messages:
        row["buyMessage"] = f.buy_msg
        row["sellMessage"] = f.sell_msg
    return row


def board_fill(f: FillRow) -> Row:
    """A fill as the public board shows it (no team names, no order ids)."""
    return {
        "fillId": f.fill_id, "product": f.product, "quantity": f.qty, "price": wire(f.price),
        "buyMessage": f.buy_msg, "sellMessage": f.sell_msg, "executedAt": format_ms(f.executed_at),
    }


def ledger_row(g: LedgerRow) -> Row:
    money = g.asset == "CASH"
    return {
        "id": g.id, "seq": g.seq, "teamName": g.team, "asset": g.asset,
        "delta": wire(g.delta) if money else g.delta,
        "balanceAfter": wire(g.balance_after) if money else g.balance_after,
        "reason": g.reason, "reference": g.reference, "timestamp": format_ms(g.time),
    }


def session_row(s: SessionRow) -> Row:
    row: Row = {"teamName": s.team, "remoteAddr": s.remote_addr}
    if s.user_agent:
        row["userAgent"] = s.user_agent
    row["clientType"] = s.client_type
    row["connectedAt"] = format_ms(s.connected_at)
    if s.disconnected_at is not None:
        row["disconnectedAt"] = format_ms(s.disconnected_at)
    row["lastActivity"] = format_ms(s.last_activity)
    return row


def activity_row(a: Activity) -> Row:
    """One TEAM_ACTIVITY entry (§5.25)."""
    if a.action == "ORDER":
        details = f"{a.mode} {a.side} {a.qty} {a.product}"
    elif a.action == "FILL":
        details = f"{a.side} {a.qty} {a.product} @ {fmt2(a.price or 0)}"
    else:
        details = f"PRODUCE {a.qty} {a.product}"
    row: Row = {
        "timestamp": format_ms(a.time), "action": a.action, "details": details, "product": a.product,
        "quantity": a.qty,
    }
    if a.price is not None:
        row["price"] = wire(a.price)
    return row


# --- live engine state (built between commands) -----------------------------------------------------------
def team_row(engine: Engine, acct: Account, connected: bool) -> Row:
    """An export team (§4.15): current and initial values, never the token."""
    codes = engine.codes
    role = acct.role
    return {
        "teamName": acct.name,
        "species": acct.species.name if acct.species else "",
        "admin": acct.admin,
        "members": acct.members,
        "initialBalance": wire(acct.initial_balance),
        "currentBalance": wire(acct.cash),
        "availableBalance": wire(acct.cash - acct.cash_reserved),
        "reservedBalance": wire(acct.cash_reserved),
        "inventory": dict(zip(codes, acct.goods)),
        "availableInventory": {c: g - r for c, g, r in zip(codes, acct.goods, acct.goods_reserved)},
        "initialInventory": dict(zip(codes, acct.initial_inventory)),
        "authorizedProducts": list(acct.authorized),
        "role": {
            "branches": role.branches, "maxDepth": role.max_depth, "decay": _num(role.decay),
            "budget": _num(role.budget), "baseEnergy": _num(role.base_energy),
            "levelEnergy": _num(role.level_energy),
        },
        "connected": connected,
    }


def standing_row(v: Valuation, rank: int) -> Row:
    """A leaderboard line (GAME.md §9)."""
    return {
        "rank": rank, "teamName": v.team, "startBalance": wire(v.baseline), "finalBalance": wire(v.value),
        "profitLoss": wire(v.profit_loss), "roi": roi_2(v.roi), "cash": wire(v.cash),
        "inventoryValue": wire(v.inventory_value),
    }


def market_row(engine: Engine, code: str, now: int) -> Row:
    """Live figures of one product: reference, top of book, last price, 24 h volume and mark."""
    product = engine.products[code]
    stats = engine.stats[code]
    t = max(now, engine.now)
    row: Row = {"product": code, "referencePrice": wire(product.reference_price), "tradable": code in engine.books}
    book = engine.books.get(code)
    if book is not None:
        bid, ask = book.best_bid(), book.best_ask()
        if bid is not None:
            row["bestBid"] = wire(bid)
        if ask is not None:
            row["bestAsk"] = wire(ask)
        bids, asks = engine.book_orders(code)
        row["bidQty"] = sum(o.qty - o.filled for o in bids)
        row["askQty"] = sum(o.qty - o.filled for o in asks)
    if stats.last_price is not None:
        row["lastPrice"] = wire(stats.last_price)
    row["volume24h"] = stats.volume24h(t)
    row["markPrice"] = wire(stats.mark(t, product.reference_price))
    return row


def trade_stats(fills: list[FillRow]) -> dict[str, Row]:
    """Per product over the given fills: trades, units, turnover, VWAP, low, high, first and last price."""
    out: dict[str, Row] = {}
    for f in fills:
        s = out.get(f.product)
        if s is None:
            s = out[f.product] = {"trades": 0, "quantity": 0, "turnover": 0, "low": f.price, "high": f.price,
                                  "first": f.price, "last": f.price}
        s["trades"] += 1
        s["quantity"] += f.qty
        s["turnover"] += f.price * f.qty
        s["low"] = min(s["low"], f.price)
        s["high"] = max(s["high"], f.price)
        s["last"] = f.price
    return out


def product_row(market: Row, trades: Row | None) -> Row:
    """``market_row`` plus the trade statistics of a period (zeros when nothing traded)."""
    row = dict(market)
    if trades is None:
        row.update(trades=0, quantity=0, turnover=0)
        return row
    row.update(
        trades=trades["trades"], quantity=trades["quantity"], turnover=wire(trades["turnover"]),
        vwap=wire(round(Fraction(trades["turnover"], trades["quantity"]))),
        low=wire(trades["low"]), high=wire(trades["high"]), first=wire(trades["first"]),
        last=wire(trades["last"]),
    )
    return row
