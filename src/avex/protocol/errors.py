"""The 11 ERROR codes of PROTOCOL.md §6 and ``WireError``, the value a failed check returns.

The Java SDK maps any other code to null, so these are the only codes avex may send; adding one is a
protocol break. A check that fails returns a ``WireError`` (it is not raised): most frames pass their
checks, and a return value keeps the failure path as cheap as the success path.
"""

from __future__ import annotations

import msgspec

AUTH_FAILED = "AUTH_FAILED"
INVALID_ORDER = "INVALID_ORDER"
INVALID_PRODUCT = "INVALID_PRODUCT"
INVALID_QUANTITY = "INVALID_QUANTITY"
DUPLICATE_ORDER_ID = "DUPLICATE_ORDER_ID"
UNAUTHORIZED_PRODUCTION = "UNAUTHORIZED_PRODUCTION"
OFFER_EXPIRED = "OFFER_EXPIRED"
RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
INSUFFICIENT_INVENTORY = "INSUFFICIENT_INVENTORY"
INVALID_MESSAGE = "INVALID_MESSAGE"

ERROR_CODES = frozenset({
    AUTH_FAILED, INVALID_ORDER, INVALID_PRODUCT, INVALID_QUANTITY, DUPLICATE_ORDER_ID,
    UNAUTHORIZED_PRODUCTION, OFFER_EXPIRED, RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE,
    INSUFFICIENT_INVENTORY, INVALID_MESSAGE,
})


class WireError(msgspec.Struct, frozen=True, gc=False):
    """An ERROR to send: ``code`` (one of §6), ``reason`` text, and the ``clOrdID`` when the table says so."""

    code: str
    reason: str
    cl: str | None = None


def format_error(msg_type: str) -> WireError:
    """`Invalid <TYPE> message format` (§2.1: a field of the wrong type; never carries a clOrdID)."""
    return WireError(INVALID_MESSAGE, f"Invalid {msg_type} message format")
