"""Team requests (PROTOCOL.md §4.2–4.9): the checks that run on receipt, in the documented order.

Every parser has the signature of ``Parser``: the folded fields from ``decode_frame``, the sender's team
name, the tournament (for product lookups) and the gateway's clock. It returns an engine command, a
``Query`` or the ``WireError`` of the first failed check. Field types are checked first, strictly
(``msgspec.convert(..., strict=True)``): ``"5"``, ``5.0`` and ``1e1`` are not integers. Checks that need
engine state (market open, duplicate ids, balances, teams) are not here: they run in engine order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from avex.domain.catalogue import Tournament
from avex.engine.commands import AcceptOffer, CancelOrder, Command, PlaceOrder, Produce
from avex.protocol.codec import is_number, money_cents, parse_time, products_by_code, utf8_len
from avex.protocol.errors import (
    AUTH_FAILED,
    INVALID_MESSAGE,
    INVALID_ORDER,
    INVALID_PRODUCT,
    INVALID_QUANTITY,
    WireError,
    format_error,
)
from avex.protocol.queries import (
    Declined,
    GetInventory,
    Login,
    PerformanceReport,
    Ping,
    Query,
    RequestAllOrders,
    RequestOrderBook,
    Resync,
)

__all__ = [
    "DEBUG_MODES",
    "MAX_CLORDID_CHARS",
    "MAX_LIMIT_PRICE_CENTS",
    "MAX_MESSAGE_BYTES",
    "MAX_ORDER_QTY",
    "OrderBody",
    "OrderFields",
    "Parser",
    "Result",
    "check_order_fields",
    "clordid_of",
    "parse_accept_offer",
    "parse_cancel",
    "parse_get_inventory",
    "parse_login",
    "parse_order",
    "parse_performance_report",
    "parse_ping",
    "parse_production_update",
    "parse_request_all_orders",
    "parse_request_order_book",
    "parse_resync",
]

Result = Command | Query | WireError
Parser = Callable[[dict[str, Any], str, Tournament, int], Result]

MAX_CLORDID_CHARS = 128
MAX_MESSAGE_BYTES = 200
MAX_ORDER_QTY = 1_000_000
MAX_LIMIT_PRICE_CENTS = 100_000_000  # 1 000 000.00
DEBUG_MODES = frozenset({"AUTO_ACCEPT", "TEAM_ONLY"})
# Quantities the engine only compares with smaller maxima are pinned here so journal ints stay int64
# (the reasons that could echo them are decided by a smaller bound first).
QTY_PIN = 2**31

_convert = msgspec.convert
_ValidationError = msgspec.ValidationError


def clordid_of(fields: dict[str, Any]) -> str | None:
    """The frame's clOrdID if it is a string (§3.6: the order rate-limit ERROR carries it)."""
    cl = fields.get("clordid")
    return cl if type(cl) is str else None


# --- ORDER (§4.3) -----------------------------------------------------------------------------------------
class OrderBody(msgspec.Struct, gc=False):
    """Fields ORDER and ADMIN_CREATE_ORDER share, by folded name; ``limitprice`` is any JSON number."""

    side: str | None = None
    mode: str | None = None
    product: str | None = None
    qty: int | None = None
    limitprice: Any = None
    expiresat: str | None = None
    message: str | None = None
    debugmode: str | None = None


class OrderFields(OrderBody, gc=False):
    clordid: str | None = None


_ORDER_FORMAT = format_error("ORDER")
_CL_REQUIRED = WireError(INVALID_MESSAGE, "Order ID (clOrdID) is required")
_CL_TOO_LONG = WireError(INVALID_MESSAGE, f"Order ID (clOrdID) too long (max {MAX_CLORDID_CHARS} characters)")


def parse_order(fields: dict[str, Any], team: str, tournament: Tournament, now_us: int = 0) -> Result:
    """ORDER rows 3–16 → ``PlaceOrder``; rows 6–16 carry the clOrdID."""
    try:
        f = _convert(fields, OrderFields, strict=True)
    except _ValidationError:
        return _ORDER_FORMAT
    if f.limitprice is not None and not is_number(f.limitprice):
        return _ORDER_FORMAT
    cl = f.clordid
    if not cl:
        return _CL_REQUIRED
    if len(cl) > MAX_CLORDID_CHARS:
        return _CL_TOO_LONG
    checked = check_order_fields(f, tournament, cl)
    if type(checked) is WireError:
        return checked
    price, expires_at = checked
    return PlaceOrder(
        team=team, cl=cl, side=f.side, mode=f.mode, product=f.product, qty=f.qty, price=price,
        expires_at=expires_at, message=f.message or "",
        debug=f.debugmode if f.debugmode in DEBUG_MODES else None,
    )


def check_order_fields(
    f: OrderBody, tournament: Tournament, cl: str | None
) -> WireError | tuple[int | None, int | None]:
    """ORDER rows 6–16 (shared with ADMIN_CREATE_ORDER, whose errors carry no clOrdID).

    Returns (limit price in cents or None for MARKET, expiresAt in µs or None).
    """
    product = f.product
    if not product:
        return WireError(INVALID_PRODUCT, "Product is required", cl)
    if f.side != "BUY" and f.side != "SELL":
        return WireError(INVALID_MESSAGE, "Side must be BUY or SELL", cl)
    qty = f.qty
    if qty is None or qty <= 0:
        return WireError(INVALID_QUANTITY, "Quantity must be positive", cl)
    if qty > MAX_ORDER_QTY:
        return WireError(INVALID_QUANTITY, f"Quantity must be at most {MAX_ORDER_QTY}", cl)
    if f.mode == "LIMIT":
        price = None if f.limitprice is None else money_cents(f.limitprice)
        if price is None or price <= 0:
            return WireError(INVALID_MESSAGE, "Limit price must be positive for LIMIT orders", cl)
        if price > MAX_LIMIT_PRICE_CENTS:
            return WireError(INVALID_MESSAGE, "Limit price must be at most 1000000", cl)
    elif f.mode == "MARKET":
        price = None  # a MARKET order ignores limitPrice (§9.9)
    else:
        return WireError(INVALID_MESSAGE, "Mode must be MARKET or LIMIT", cl)
    known = products_by_code(tournament).get(product)
    if known is None:
        return WireError(INVALID_PRODUCT, f"invalid product: {product}", cl)
    if not known.tradable:
        return WireError(INVALID_PRODUCT, f"product not tradable: {product}", cl)
    message = f.message
    # 4 bytes per code point at most, so short texts skip the encode.
    if message is not None and len(message) * 4 > MAX_MESSAGE_BYTES and utf8_len(message) > MAX_MESSAGE_BYTES:
        return WireError(INVALID_ORDER, "message too long (max 200 characters)", cl)
    expires_at = None
    if f.expiresat is not None:
        expires_at = parse_time(f.expiresat)
        if expires_at is None:
            return WireError(INVALID_MESSAGE, "Invalid expiresAt timestamp format", cl)
    return price, expires_at


# --- CANCEL (§4.4) ----------------------------------------------------------------------------------------
class _CancelFields(msgspec.Struct, gc=False):
    clordid: str | None = None


_CANCEL_FORMAT = format_error("CANCEL")
_CANCEL_CL_REQUIRED = WireError(INVALID_MESSAGE, "ClOrdID is required")


def parse_cancel(fields: dict[str, Any], team: str, tournament: Tournament, now_us: int = 0) -> Result:
    """CANCEL rows 2–3 → ``CancelOrder`` (looked up among the sender's team's orders by the engine)."""
    try:
        f = _convert(fields, _CancelFields, strict=True)
    except _ValidationError:
        return _CANCEL_FORMAT
    if not f.clordid:
        return _CANCEL_CL_REQUIRED
    return CancelOrder(team=team, cl=f.clordid)


# --- ACCEPT_OFFER (§4.5) ----------------------------------------------------------------------------------
class _AcceptFields(msgspec.Struct, gc=False):
    offerid: str | None = None
    accept: bool | None = None
    quantityoffered: int | None = None
    priceoffered: Any = None


_ACCEPT_FORMAT = format_error("ACCEPT_OFFER")


def parse_accept_offer(fields: dict[str, Any], team: str, tournament: Tournament, now_us: int = 0) -> Result:
    """ACCEPT_OFFER rows 2–5 → ``AcceptOffer``, or ``Declined`` when ``accept`` is not true."""
    try:
        f = _convert(fields, _AcceptFields, strict=True)
    except _ValidationError:
        return _ACCEPT_FORMAT
    if f.priceoffered is not None and not is_number(f.priceoffered):
        return _ACCEPT_FORMAT
    if not f.offerid:
        return WireError(INVALID_MESSAGE, "Offer ID is required")
    if f.accept is not True:
        return Declined(team=team, offer_id=f.offerid)
    qty = f.quantityoffered
    if qty is not None:
        if qty <= 0:
            return WireError(INVALID_QUANTITY, "Quantity must be positive")
        # The engine caps at the buy order's remaining quantity, itself at most MAX_ORDER_QTY.
        qty = min(qty, MAX_ORDER_QTY)
    price = None
    if f.priceoffered is not None:
        price = money_cents(f.priceoffered)
        if price <= 0:
            return WireError(INVALID_ORDER, "Price must be positive")
    return AcceptOffer(team=team, offer_id=f.offerid, qty=qty, price=price)


# --- PRODUCTION_UPDATE (§4.6) -----------------------------------------------------------------------------
class _ProductionFields(msgspec.Struct, gc=False):
    product: str | None = None
    quantity: int | None = None


_PRODUCTION_FORMAT = format_error("PRODUCTION_UPDATE")


def parse_production_update(
    fields: dict[str, Any], team: str, tournament: Tournament, now_us: int = 0
) -> Result:
    """PRODUCTION_UPDATE rows 2–5 → ``Produce``."""
    try:
        f = _convert(fields, _ProductionFields, strict=True)
    except _ValidationError:
        return _PRODUCTION_FORMAT
    if not f.product:
        return WireError(INVALID_PRODUCT, "Product is required")
    if f.quantity is None or f.quantity <= 0:
        return WireError(INVALID_QUANTITY, "Quantity must be positive")
    if f.product not in products_by_code(tournament):
        return WireError(INVALID_PRODUCT, f"invalid product: {f.product}")
    # The team's maximum (row 9, ≤ 1.3 million) fails first for anything pinned.
    return Produce(team=team, product=f.product, qty=min(f.quantity, QTY_PIN))


# --- RESYNC (§4.7) ----------------------------------------------------------------------------------------
class _ResyncFields(msgspec.Struct, gc=False):
    lastsync: str | None = None
    lastseq: int | None = None


_RESYNC_FORMAT = format_error("RESYNC")


def parse_resync(fields: dict[str, Any], team: str, tournament: Tournament, now_us: int = 0) -> Result:
    """RESYNC → ``Resync`` (lastSync in µs; lastSeq ≥ 0)."""
    try:
        f = _convert(fields, _ResyncFields, strict=True)
    except _ValidationError:
        return _RESYNC_FORMAT
    last_sync = None
    if f.lastsync is not None:
        last_sync = parse_time(f.lastsync)
        if last_sync is None:
            return WireError(INVALID_MESSAGE, "Invalid lastSync timestamp format")
    if f.lastseq is not None and f.lastseq < 0:
        return WireError(INVALID_MESSAGE, "Invalid lastSeq")
    return Resync(team=team, last_sync=last_sync, last_seq=f.lastseq)


# --- read requests (§4.8) ---------------------------------------------------------------------------------
def parse_get_inventory(fields: dict[str, Any], team: str, tournament: Tournament, now_us: int = 0) -> Result:
    return GetInventory(team=team)


def parse_request_all_orders(
    fields: dict[str, Any], team: str, tournament: Tournament, now_us: int = 0
) -> Result:
    return RequestAllOrders(team=team)


class _ProductFields(msgspec.Struct, gc=False):
    product: str | None = None


def parse_request_order_book(
    fields: dict[str, Any], team: str, tournament: Tournament, now_us: int = 0
) -> Result:
    """REQUEST_ORDER_BOOK: product required, known and tradable."""
    try:
        f = _convert(fields, _ProductFields, strict=True)
    except _ValidationError:
        return format_error("REQUEST_ORDER_BOOK")
    product = f.product
    if not product:
        return WireError(INVALID_PRODUCT, "Product is required")
    known = products_by_code(tournament).get(product)
    if known is None:
        return WireError(INVALID_PRODUCT, f"invalid product: {product}")
    if not known.tradable:
        return WireError(INVALID_PRODUCT, f"product not tradable: {product}")
    return RequestOrderBook(team=team, product=product)


# --- REQUEST_PERFORMANCE_REPORT (§4.9) --------------------------------------------------------------------
class _ReportFields(msgspec.Struct, gc=False):
    scope: str | None = None
    teamname: str | None = None
    starttime: str | None = None


def parse_performance_report(
    fields: dict[str, Any], team: str, tournament: Tournament, now_us: int = 0
) -> Result:
    """Rows 2–4 → ``PerformanceReport``; rows 5–6 (another team, unknown team) need state."""
    try:
        f = _convert(fields, _ReportFields, strict=True)
    except _ValidationError:
        return format_error("REQUEST_PERFORMANCE_REPORT")
    start = None
    if f.starttime is not None:
        start = parse_time(f.starttime)
        if start is None:
            return WireError(INVALID_MESSAGE, "Invalid startTime format")
    scope = "team" if f.scope is None else f.scope
    if scope != "team" and scope != "global":
        return WireError(INVALID_MESSAGE, "Scope must be 'team' or 'global'")
    team_name = f.teamname if scope == "team" else None  # ignored with global
    return PerformanceReport(team=team, scope=scope, team_name=team_name, start_time=start)


# --- anyone: PING, LOGIN (§4.1–4.2) -----------------------------------------------------------------------
_PING = Ping()


def parse_ping(fields: dict[str, Any], team: str, tournament: Tournament, now_us: int = 0) -> Result:
    return _PING  # extra fields are ignored


class _LoginFields(msgspec.Struct, gc=False):
    token: str | None = None  # `tz` is ignored, whatever its type


def parse_login(fields: dict[str, Any], team: str, tournament: Tournament, now_us: int = 0) -> Result:
    """LOGIN rows 1–2 → ``Login``; rows 3–5 run in engine order on the registry."""
    try:
        f = _convert(fields, _LoginFields, strict=True)
    except _ValidationError:
        return format_error("LOGIN")
    if not f.token:
        return WireError(AUTH_FAILED, "Token is required")
    return Login(token=f.token)
