"""Read-only views of live engine state, answered between commands at watermark ``seq``.

Values are plain Python (money in cents, times in µs); the gateway formats them for the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from avex.engine.state import Account, Order

if TYPE_CHECKING:
    from avex.engine.engine import Engine


@dataclass(frozen=True, slots=True)
class Valuation:
    """A player's standing (GAME.md §9)."""

    team: str
    baseline: int
    cash: int
    inventory_value: int
    value: int
    profit_loss: int
    roi: Fraction
    goods: tuple[int, ...]


class Queries:
    def login(self: Engine, token_hash: str) -> Account | None:
        acct = self.by_token.get(token_hash)
        return None if acct is None or acct.house else acct

    def account(self: Engine, team: str) -> Account | None:
        return self._team(team)

    def teams(self: Engine) -> list[Account]:
        """Every team (admins included, the house excluded) in creation order."""
        return [a for a in self.accounts.values() if not a.house]

    def open_orders(self: Engine, team: str | None = None) -> list[Order]:
        """Open orders of one team (or of all) in ``seq`` order."""
        return self.open_orders_in_seq(team)

    def book_orders(self: Engine, product: str) -> tuple[list[Order], list[Order]]:
        book = self.books[product]
        return book.bid_orders(), book.ask_orders()

    def marks(self: Engine, now: int | None = None) -> list[int]:
        t = self.now if now is None else max(now, self.now)
        return [self.stats[c].mark(t, self.products[c].reference_price) for c in self.codes]

    def baseline(self: Engine, acct: Account) -> int:
        return acct.initial_balance + sum(
            q * self.products[c].reference_price for c, q in zip(self.codes, acct.initial_inventory)
        )

    def valuation(self: Engine, acct: Account, marks: list[int]) -> Valuation:
        baseline = self.baseline(acct)
        inv_value = sum(q * m for q, m in zip(acct.goods, marks))
        value = acct.cash + inv_value
        pnl = value - baseline
        roi = Fraction(pnl * 100, baseline) if baseline > 0 else Fraction(0)
        return Valuation(acct.name, baseline, acct.cash, inv_value, value, pnl, roi, tuple(acct.goods))

    def ranking(self: Engine, now: int | None = None) -> list[Valuation]:
        """Players (non-admin teams) by exact ROI descending, then name by code point."""
        marks = self.marks(now)
        vals = [self.valuation(a, marks) for a in self.teams() if not a.admin]
        vals.sort(key=lambda v: (-v.roi, v.team))
        return vals

    def balances(self: Engine) -> dict[tuple[str, str], int]:
        """Every non-zero cash and goods total, the house included (for the store's ledger check)."""
        out: dict[tuple[str, str], int] = {}
        for acct in self.accounts.values():
            if acct.cash:
                out[(acct.name, "CASH")] = acct.cash
            for code, qty in zip(self.codes, acct.goods):
                if qty:
                    out[(acct.name, code)] = qty
        return out

    def volume24h(self: Engine, product: str, now: int | None = None) -> int:
        t = self.now if now is None else max(now, self.now)
        return self.stats[product].volume24h(t)
