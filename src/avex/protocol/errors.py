"""The 11 ERROR codes of PROTOCOL.md §6 and ``WireError``, the value a failed check returns.

The Java SDK maps any other code to null, so these are the only codes avex may send; adding one is a
protocol break. A check that fails returns a ``WireError`` (it is not raised): most frames pass their
checks, and a return value keeps the failure path as cheap as the success path.
"""

from __future__ import annotations

import msgspec

# the codes themselves live in the domain (the engine refuses with them too); re-exported here
from avex.domain.errors import (
    ALL_CODES,
    AUTH_FAILED,
    DUPLICATE_ORDER_ID,
    INSUFFICIENT_INVENTORY,
    INVALID_MESSAGE,
    INVALID_ORDER,
    INVALID_PRODUCT,
    INVALID_QUANTITY,
    OFFER_EXPIRED,
    RATE_LIMIT_EXCEEDED,
    SERVICE_UNAVAILABLE,
    UNAUTHORIZED_PRODUCTION,
)

ERROR_CODES = ALL_CODES

__all__ = [
    "AUTH_FAILED", "DUPLICATE_ORDER_ID", "ERROR_CODES", "INSUFFICIENT_INVENTORY", "INVALID_MESSAGE", "INVALID_ORDER",
    "INVALID_PRODUCT", "INVALID_QUANTITY", "OFFER_EXPIRED", "RATE_LIMIT_EXCEEDED", "SERVICE_UNAVAILABLE",
    "UNAUTHORIZED_PRODUCTION", "WireError", "format_error",
]


class WireError(msgspec.Struct, frozen=True, gc=False):
    """An ERROR to send: ``code`` (one of §6), ``reason`` text, and the ``clOrdID`` when the table says so."""

    code: str
    reason: str
    cl: str | None = None


def format_error(msg_type: str) -> WireError:
    """`Invalid <TYPE> message format` (§2.1: a field of the wrong type; never carries a clOrdID)."""
    return WireError(INVALID_MESSAGE, f"Invalid {msg_type} message format")
