"""The ledger rows of a command's events (GAME.md §6.3).

Non-trade changes (INITIAL, PRODUCTION_*, ADMIN_*, *_RESET) are ``Ledger`` events. A trade's four rows —
buyer's cash and goods, seller's goods and cash, reason TRADE, reference the fill id — are carried by the
``Fill`` event itself (it holds the four balances after the fill), which keeps the matching hot path to one
event per fill; this function expands them, in that order, at the fill's place in the command.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from avex.engine.events import Event, Fill, Ledger


def trade_rows(f: Fill) -> tuple[Ledger, Ledger, Ledger, Ledger]:
    amount = f.price * f.qty
    ref = f.fill_id
    return (
        Ledger(f.buy_team, "CASH", -amount, f.buy_cash, "TRADE", ref),
        Ledger(f.buy_team, f.product, f.qty, f.buy_goods, "TRADE", ref),
        Ledger(f.sell_team, f.product, -f.qty, f.sell_goods, "TRADE", ref),
        Ledger(f.sell_team, "CASH", amount, f.sell_cash, "TRADE", ref),
    )


def ledger_rows(events: Iterable[Event]) -> Iterator[Ledger]:
    """Every ledger row of these events, in the order the changes happened."""
    for ev in events:
        kind = type(ev)
        if kind is Ledger:
            yield ev  # type: ignore[misc]
        elif kind is Fill:
            yield from trade_rows(ev)  # type: ignore[arg-type]
