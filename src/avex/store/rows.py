"""Typed rows the history reader returns (money in cents, times in epoch µs).

Field order follows the select lists in ``reader``; each row is built positionally from a result row.
Token hashes never leave the store through these (exports must not show tokens, PROTOCOL.md §4.15).
"""

from __future__ import annotations

import msgspec

from avex.engine.events import Fill


class OrderRow(msgspec.Struct, frozen=True, gc=False):
    team: str
    cl_ord_id: str
    seq: int
    side: str
    mode: str
    product: str
    qty: int
    price: int | None
    filled: int
    status: str
    reason: str | None
    message: str
    created_at: int
    updated_at: int
    expires_at: int | None
    origin: str

    @property
    def remaining(self) -> int:
        return self.qty - self.filled


class FillRow(msgspec.Struct, frozen=True, gc=False):
    seq: int
    n: int  # position of the fill within its command
    fill_id: str
    product: str
    qty: int
    price: int
    buy_team: str
    buy_cl: str
    buy_msg: str
    buy_remaining: int
    buy_total: int
    sell_team: str
    sell_cl: str
    sell_msg: str
    sell_remaining: int
    sell_total: int
    aggressor: str
    source: str
    executed_at: int

    def to_event(self) -> Fill:
        """The Fill event as the engine emitted it, for rendering FILL frames again; the totals after the fill
        (``buy_cash`` …) are not repeated here: they are the fill's ledger rows."""
        return Fill(
            fill_id=self.fill_id, product=self.product, qty=self.qty, price=self.price,
            buy_team=self.buy_team, buy_cl=self.buy_cl, sell_team=self.sell_team, sell_cl=self.sell_cl,
            buy_msg=self.buy_msg, sell_msg=self.sell_msg, buy_remaining=self.buy_remaining,
            buy_total=self.buy_total, sell_remaining=self.sell_remaining, sell_total=self.sell_total,
            aggressor=self.aggressor, source=self.source,
        )


class LedgerRow(msgspec.Struct, frozen=True, gc=False):
    id: int
    seq: int
    team: str
    asset: str
    delta: int
    balance_after: int
    reason: str
    reference: str
    time: int


class TeamRow(msgspec.Struct, frozen=True):
    name: str
    species: str | None
    admin: bool
    members: str
    initial_balance: int
    initial_inventory: dict[str, int]
    created_seq: int


class SessionRow(msgspec.Struct, frozen=True, gc=False):
    id: int
    team: str
    remote_addr: str
    user_agent: str | None
    client_type: str
    connected_at: int
    disconnected_at: int | None
    last_activity: int


class Activity(msgspec.Struct, frozen=True, gc=False):
    """One line of TEAM_ACTIVITY: an order the team placed, a fill it got, or a production."""

    time: int
    seq: int
    action: str  # ORDER | FILL | PRODUCTION
    product: str
    qty: int
    price: int | None  # the order's limit (None for MARKET), the fill price; None for a production
    side: str | None  # the team's side (ORDER, FILL)
    mode: str | None  # ORDER only
