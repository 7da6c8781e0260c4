"""Events: what one applied command changed, in the order it happened.

The engine returns them; the store writes them (journal and query tables) in the batch's transaction; the
renderer turns them, with the command's time, into wire frames (live and for RESYNC). They therefore carry
everything the frames show. Money is integer cents, times are epoch microseconds.

Per command the engine emits, in this order: the order-level events (accepted, fills, cancels, offers,
productions, admin changes), then one ``BalanceChanged`` / ``InventoryChanged`` per team whose cash
(total, reserved) or goods (total, reserved) differ between the start and the end of the command, then
``Ledger`` rows are interleaved where the change happened, and the ``Reply`` to the requester (if any) last.
"""

from __future__ import annotations

import msgspec


class Event(msgspec.Struct, tag=True, array_like=True, omit_defaults=True, gc=False):
    """Base of every event (tagged union for the journal)."""


class OrderAccepted(Event, tag="acc"):
    """A new order passed every check: stored PENDING (owner: ORDER_ACK PENDING)."""

    team: str
    cl: str
    side: str
    mode: str
    product: str
    qty: int
    price: int | None  # cents; None for MARKET
    message: str
    expires_at: int | None
    origin: str = "USER"  # USER | ADMIN | OFFER


class OrderRejected(Event, tag="rej"):
    """A business check failed (PROTOCOL.md §4.3 rows 19-24): stored REJECTED, ERROR to the requester."""

    team: str
    cl: str
    side: str
    mode: str
    product: str
    qty: int
    price: int | None
    message: str
    expires_at: int | None
    code: str
    reason: str


class Fill(Event, tag="fill"):
    """One trade. ``sell_cl`` is ``""`` when the house sells (debug mode)."""

    fill_id: str
    product: str
    qty: int
    price: int
    buy_team: str
    buy_cl: str
    sell_team: str
    sell_cl: str
    buy_msg: str
    sell_msg: str
    buy_remaining: int
    buy_total: int
    sell_remaining: int
    sell_total: int
    aggressor: str  # BUY | SELL
    source: str  # BOOK | OFFER | HOUSE
    # totals after the fill: the trade's four ledger rows (avex.engine.ledger.trade_rows)
    buy_cash: int = 0
    buy_goods: int = 0
    sell_goods: int = 0
    sell_cash: int = 0


class OrderCancelled(Event, tag="cxl"):
    """An open order ended: USER, EXPIRED, MARKET_REMAINDER, ADMIN, MARKET_CLOSED or RESET."""

    team: str
    cl: str
    reason: str
    product: str
    side: str
    filled: int
    remaining: int


class BalanceChanged(Event, tag="bal"):
    team: str
    total: int
    reserved: int


class InventoryChanged(Event, tag="inv"):
    """Full goods snapshot in catalogue order: totals and the part held by resting SELLs (``available`` is
    their difference, what INVENTORY_UPDATE shows)."""

    team: str
    totals: list[int]
    reserved: list[int]

    @property
    def available(self) -> list[int]:
        return [t - r for t, r in zip(self.totals, self.reserved, strict=True)]

    @classmethod
    def of(cls, team: str, totals: list[int], available: list[int]) -> InventoryChanged:
        """Build from what the frame shows (totals and available)."""
        return cls(team, totals, [t - a for t, a in zip(totals, available, strict=True)])


class Ledger(Event, tag="led"):
    """A change of a cash or goods total. ``asset`` is ``CASH`` or a product code."""

    team: str
    asset: str
    delta: int
    balance_after: int
    reason: str  # INITIAL TRADE PRODUCTION_INPUT PRODUCTION_OUTPUT ADMIN_ADD ADMIN_UPDATE ADMIN_RESET TOURNAMENT_RESET
    ref: str


class OfferCreated(Event, tag="offer"):
    offer_id: str
    buyer: str
    buy_cl: str
    product: str
    qty: int
    max_price: int
    expires_at: int
    ttl_ms: int
    recipients: list[str]
    team_only: bool = False


class Produced(Event, tag="prod"):
    team: str
    product: str
    qty: int
    inputs: dict[str, int]


class StateChanged(Event, tag="state"):
    """Tournament state or schedule changed; ``state_changed`` says whether the state itself moved."""

    state: str
    ends_at: int | None
    state_changed: bool


class TeamCreated(Event, tag="team"):
    """A team exists (tournament file or SEED_TEAMS). Never carries the token, only its hash."""

    name: str
    token_hash: str
    species: str | None
    admin: bool
    members: str
    initial_balance: int
    initial_inventory: dict[str, int]


class TeamChanged(Event, tag="team_chg"):
    """Team metadata changed: members, or initial values (a reset that listed the team)."""

    name: str
    members: str
    initial_balance: int
    initial_inventory: dict[str, int]


class StatsReset(Event, tag="stats_reset"):
    """RESET_TOURNAMENT_CONFIG restarted market statistics (last price, volume, marks)."""


class BucketsRefilled(Event, tag="buckets"):
    """Every team's order bucket is full again (the gateway applies it after the commit)."""


class CooldownCleared(Event, tag="cooldown"):
    team: str


class Reply(Event, tag="reply"):
    """The answer to the requesting connection (admin replies). ``fields`` are already wire values
    (without ``type``, ``seq`` and ``serverTime``, which the renderer adds)."""

    msg_type: str
    fields: dict


ANY_EVENT = (
    OrderAccepted
    | OrderRejected
    | Fill
    | OrderCancelled
    | BalanceChanged
    | InventoryChanged
    | Ledger
    | OfferCreated
    | Produced
    | StateChanged
    | TeamCreated
    | TeamChanged
    | StatsReset
    | BucketsRefilled
    | CooldownCleared
    | Reply
)
