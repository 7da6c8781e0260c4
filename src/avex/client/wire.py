"""Frames of the avex protocol as plain dicts: encoding, decoding, and one builder per team message.

Everything here is pure (no I/O), so bots can build frames themselves and tests can check them.

Money goes out as a JSON *number* written from its decimal digits — ``Decimal("16.50")`` is sent as
``16.50``, ``17`` as ``17``, and a float as its shortest repr (``0.1`` → ``0.1``) — never through binary float
arithmetic. Incoming numbers with a fraction or exponent are decoded as ``Decimal``, so balances and prices
compare exactly (``Decimal("870.5") == 870.5`` still holds for exactly representable values).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import msgspec

__all__ = [
    "Mode",
    "Money",
    "Side",
    "Timestamp",
    "accept_offer",
    "cancel",
    "decline_offer",
    "decode",
    "encode",
    "format_timestamp",
    "get_inventory",
    "login",
    "money",
    "order",
    "ping",
    "produce",
    "request_all_orders",
    "request_order_book",
    "request_performance_report",
    "resync",
]

Money = Decimal | int | str | float
"""A price or amount: exact as ``Decimal``, ``int`` or a decimal string; a ``float`` is taken at its shortest
repr (``16.5``), which is what was typed, not the binary value."""
Side = Literal["BUY", "SELL"]
Mode = Literal["LIMIT", "MARKET"]
Timestamp = datetime | str
"""An RFC 3339 string, sent as is, or a ``datetime`` (naive means UTC), sent as UTC with microseconds."""

_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder(float_hook=Decimal)


def encode(frame: dict[str, Any]) -> str:
    """A frame as compact JSON text; ``Decimal`` values are written as JSON numbers."""
    return _encoder.encode(frame).decode()


def decode(data: str | bytes) -> Any:
    """JSON text → Python values, numbers with a fraction or exponent as ``Decimal``.

    Raises ``msgspec.DecodeError`` on invalid JSON.
    """
    return _decoder.decode(data)


def money(value: Money) -> Decimal | int:
    """A money value ready to encode: ``int`` and finite ``Decimal`` unchanged, ``str`` and ``float`` as the
    ``Decimal`` of their digits. ``ValueError`` for booleans, NaN, infinities and non-numeric strings."""
    if isinstance(value, bool):
        raise ValueError(f"not a money value: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError(f"not a money value: {value!r}") from exc
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite money value: {value!r}")
        return value
    raise ValueError(f"not a money value: {value!r}")


def format_timestamp(value: Timestamp) -> str:
    """A ``datetime`` as RFC 3339 UTC (``2026-11-25T12:00:00.123456Z``); a string is returned unchanged."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _frame(type_: str, **fields: Any) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": type_}
    frame.update((k, v) for k, v in fields.items() if v is not None)
    return frame


# --- one builder per message a team sends (PROTOCOL.md §4) ----------------------------------------------------

def ping() -> dict[str, Any]:
    return {"type": "PING"}


def login(token: str) -> dict[str, Any]:
    return {"type": "LOGIN", "token": token}


def order(
    cl: str,
    side: Side | str,
    mode: Mode | str,
    product: str,
    qty: int,
    limit_price: Money | None = None,
    expires_at: Timestamp | None = None,
    message: str | None = None,
    debug_mode: str | None = None,
) -> dict[str, Any]:
    """ORDER (§4.3). Values are sent as given (``side="buy"`` is the server's to refuse)."""
    return _frame(
        "ORDER", clOrdID=cl, side=side, mode=mode, product=product, qty=qty,
        limitPrice=None if limit_price is None else money(limit_price),
        expiresAt=None if expires_at is None else format_timestamp(expires_at),
        message=message, debugMode=debug_mode,
    )


def cancel(cl: str) -> dict[str, Any]:
    return {"type": "CANCEL", "clOrdID": cl}


def accept_offer(offer_id: str, quantity: int | None = None, price: Money | None = None) -> dict[str, Any]:
    """ACCEPT_OFFER with ``accept: true`` (§4.5); quantity and price default to the offer's on the server."""
    return _frame(
        "ACCEPT_OFFER", offerId=offer_id, accept=True, quantityOffered=quantity,
        priceOffered=None if price is None else money(price),
    )


def decline_offer(offer_id: str) -> dict[str, Any]:
    """ACCEPT_OFFER with ``accept: false``: the server sends nothing back."""
    return {"type": "ACCEPT_OFFER", "offerId": offer_id, "accept": False}


def produce(product: str, quantity: int) -> dict[str, Any]:
    """PRODUCTION_UPDATE (§4.6)."""
    return {"type": "PRODUCTION_UPDATE", "product": product, "quantity": quantity}


def resync(last_seq: int | None = None, last_sync: Timestamp | None = None) -> dict[str, Any]:
    """RESYNC (§4.7): ``last_seq`` replays every team message after it; ``last_sync`` only FILLs."""
    return _frame(
        "RESYNC", lastSeq=last_seq, lastSync=None if last_sync is None else format_timestamp(last_sync),
    )


def get_inventory() -> dict[str, Any]:
    return {"type": "GET_INVENTORY"}


def request_all_orders() -> dict[str, Any]:
    return {"type": "REQUEST_ALL_ORDERS"}


def request_order_book(product: str) -> dict[str, Any]:
    return {"type": "REQUEST_ORDER_BOOK", "product": product}


def request_performance_report(
    scope: str | None = None, team_name: str | None = None, start_time: Timestamp | None = None,
) -> dict[str, Any]:
    """REQUEST_PERFORMANCE_REPORT (§4.9): ``scope`` ``"team"`` (server default) or ``"global"``."""
    return _frame(
        "REQUEST_PERFORMANCE_REPORT", scope=scope, teamName=team_name,
        startTime=None if start_time is None else format_timestamp(start_time),
    )
