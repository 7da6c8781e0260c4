"""The engine's mutable records: accounts, orders and offers (plain slotted objects, no behaviour)."""

from __future__ import annotations

from avex.domain.catalogue import Role, Species

BUY = "BUY"
SELL = "SELL"
LIMIT = "LIMIT"
MARKET = "MARKET"

# tournament states (GAME.md §8)
OPEN, PAUSED, CLOSED = "OPEN", "PAUSED", "CLOSED"

# order statuses (GAME.md §4.4)
PENDING = "PENDING"
PARTIALLY_FILLED = "PARTIALLY_FILLED"
FILLED = "FILLED"
CANCELLED = "CANCELLED"
REJECTED = "REJECTED"
OPEN_STATUSES = frozenset({PENDING, PARTIALLY_FILLED})

# the only legal status moves; anything else is a bug and raises (h11-style explicit state machine)
_NEXT = {
    PENDING: frozenset({PARTIALLY_FILLED, FILLED, CANCELLED}),
    PARTIALLY_FILLED: frozenset({PARTIALLY_FILLED, FILLED, CANCELLED}),
}


class IllegalTransition(RuntimeError):
    """An order status change GAME.md §4.4 forbids (e.g. FILLED -> CANCELLED)."""


def check_transition(old: str, new: str) -> None:
    if new not in _NEXT.get(old, ()):
        raise IllegalTransition(f"order status {old} cannot become {new}")


class Account:
    """A team's (or the house's) money and goods. Goods are lists indexed by catalogue position."""

    __slots__ = (
        "admin",
        "authorized",
        "cash",
        "cash_reserved",
        "goods",
        "goods_reserved",
        "house",
        "initial_balance",
        "initial_inventory",
        "last_production",
        "max_basic",
        "max_premium",
        "members",
        "name",
        "open_orders",
        "orders",
        "role",
        "species",
        "token_hash",
    )

    def __init__(self, name: str, n_products: int) -> None:
        self.name = name
        self.token_hash = ""
        self.species: Species | None = None
        self.role = Role()
        self.admin = False
        self.house = False
        self.members = ""
        self.initial_balance = 0
        self.initial_inventory: list[int] = [0] * n_products
        self.cash = 0
        self.cash_reserved = 0
        self.goods: list[int] = [0] * n_products
        self.goods_reserved: list[int] = [0] * n_products
        self.last_production: int | None = None
        # clOrdID -> the open Order, or the terminal status string once it ended (bounded memory)
        self.orders: dict[str, Order | str] = {}
        self.open_orders = 0
        self.authorized: tuple[str, ...] = ()
        self.max_basic = 0
        self.max_premium = 0


def authorize(acct: Account) -> None:
    """What the team may produce and how much per request, from its species and role (GAME.md §2-§3)."""
    from avex.domain.production import max_per_request, role_units

    if acct.species is None:
        acct.authorized, acct.max_basic, acct.max_premium = (), 0, 0
        return
    acct.authorized = acct.species.authorized_products
    acct.max_basic = role_units(acct.role)
    acct.max_premium = max_per_request(acct.role, premium=True)


class Order:
    __slots__ = (
        "acct",
        "cl",
        "created",
        "expires_at",
        "filled",
        "is_buy",
        "message",
        "mode",
        "origin",
        "pidx",
        "price",
        "product",
        "qty",
        "seq",
        "side",
        "status",
        "updated",
    )

    def __init__(
        self,
        seq: int,
        acct: Account,
        cl: str,
        side: str,
        mode: str,
        product: str,
        pidx: int,
        qty: int,
        price: int | None,
        message: str,
        expires_at: int | None,
        now: int,
        origin: str,
    ) -> None:
        self.seq = seq
        self.acct = acct
        self.cl = cl
        self.side = side
        self.is_buy = side == BUY
        self.mode = mode
        self.product = product
        self.pidx = pidx
        self.qty = qty
        self.price = price
        self.filled = 0
        self.status = PENDING
        self.message = message
        self.expires_at = expires_at
        self.created = now
        self.updated = now
        self.origin = origin

    @property
    def remaining(self) -> int:
        return self.qty - self.filled


class Offer:
    __slots__ = (
        "buy_cl",
        "buyer",
        "expires_at",
        "max_price",
        "offer_id",
        "order",
        "product",
        "qty",
        "recipients",
        "team_only",
    )

    def __init__(
        self,
        offer_id: str,
        order: Order,
        qty: int,
        expires_at: int,
        recipients: tuple[str, ...],
        team_only: bool,
    ) -> None:
        self.offer_id = offer_id
        self.order = order
        self.buyer = order.acct.name
        self.buy_cl = order.cl
        self.product = order.product
        self.qty = qty
        self.max_price = order.price
        self.expires_at = expires_at
        self.recipients = recipients
        self.team_only = team_only
