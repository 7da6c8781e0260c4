"""Frames in and out: JSON text ⇄ dicts, plus the field helpers every request parser shares.

``decode_frame`` implements PROTOCOL.md §1.4 steps 4–6 and the input rules of §2.1 that hold for every
message: field names fold to lower case (the last of several spellings wins), ``null`` means absent.
Numbers with a fraction or exponent are decoded as ``Decimal`` from the literal, so money is exact and
``5.0`` / ``1e1`` stay distinguishable from the integer ``5`` for the strict type checks.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import msgspec

from avex.domain.catalogue import Product, Tournament
from avex.domain.timeutil import TimestampError, parse_rfc3339
from avex.protocol.errors import INVALID_MESSAGE, WireError

__all__ = [
    "MONEY_LIMIT",
    "decode_frame",
    "encode",
    "encode_text",
    "fold",
    "is_number",
    "money_cents",
    "parse_time",
    "products_by_code",
    "utf8_len",
]

_decoder = msgspec.json.Decoder(float_hook=Decimal)
# decimal_format="number": a Decimal that reaches a frame prints as a JSON number, never a string.
_encoder = msgspec.json.Encoder(decimal_format="number")

_INVALID_JSON = "Message processing failed: invalid JSON: "
_NOT_OBJECT = WireError(INVALID_MESSAGE, _INVALID_JSON + "message must be a JSON object")
_TYPE_NOT_STRING = WireError(INVALID_MESSAGE, _INVALID_JSON + "type must be a string")


def decode_frame(data: str | bytes) -> dict[str, Any] | WireError:
    """One text frame or TCP line → its top-level fields (names lower-cased, nulls dropped), or the ERROR.

    Nested objects are returned as sent: only the message's parser knows which of them hold field names
    (``teamConfigs`` entries) and which hold data keys (product codes in ``inventory``); it calls ``fold``.
    """
    try:
        obj = _decoder.decode(data)
    except msgspec.DecodeError as exc:
        return WireError(INVALID_MESSAGE, _INVALID_JSON + (str(exc) if data.strip() else "empty message"))
    except UnicodeDecodeError:
        return WireError(INVALID_MESSAGE, _INVALID_JSON + "invalid UTF-8")
    if type(obj) is not dict:
        return _NOT_OBJECT
    fields = fold(obj)
    kind = fields.get("type")
    if kind is not None and type(kind) is not str:
        return _TYPE_NOT_STRING
    return fields


def fold(obj: dict[str, Any]) -> dict[str, Any]:
    """Lower-case the field names of one JSON object; the last spelling wins, and a null makes it absent.

    ``{"qty": 5, "QTY": 7}`` → ``{"qty": 7}``; ``{"qty": 5, "Qty": null}`` → ``{}`` (the last one is null).
    """
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if value is None:
            out.pop(key.lower(), None)
        else:
            out[key.lower()] = value
    return out


def encode(frame: dict[str, Any]) -> bytes:
    """A server frame as compact JSON bytes, no trailing newline (TCP adds ``\\n`` itself)."""
    return _encoder.encode(frame)


def encode_text(frame: dict[str, Any]) -> str:
    """A server frame as ``str``, for WebSocket text frames (bytes would go out as a binary frame)."""
    return _encoder.encode(frame).decode()


# --- field helpers --------------------------------------------------------------------------------------

# Money beyond 10^16 units exceeds every bound of the protocol; such values are pinned to ±MONEY_LIMIT
# cents, which still fails every range check and stays an int64 for the journal (msgpack refuses more).
MONEY_LIMIT = 10**18
_CENT = Decimal("0.01")


def is_number(value: Any) -> bool:
    """A JSON number as decoded: int or Decimal (not bool; not str, which a Decimal field would accept)."""
    kind = type(value)
    return kind is int or kind is Decimal


def money_cents(value: int | Decimal) -> int:
    """Exact JSON money → integer cents, half-to-even (§2.1); huge magnitudes pinned to ±MONEY_LIMIT.

    Exact for every literal: ``to_cents`` multiplies at the context's 28 digits first, so a literal with
    more digits just above a half cent (``0.00500000000000000000000000000000001``) would round down.
    """
    if type(value) is int:
        if -(10**16) < value < 10**16:
            return value * 100
    elif value.adjusted() < 16:  # |value| < 10^16, without a Decimal comparison
        scaled = value.scaleb(2)  # exact here: at most 18 digits when the value has whole cents
        cents = int(scaled)
        if cents == scaled:
            return cents  # the common case, no rounding needed
        return int(value.quantize(_CENT, rounding=ROUND_HALF_EVEN).scaleb(2))
    elif not value:
        return 0  # a zero with a large exponent (0e50)
    return MONEY_LIMIT if value > 0 else -MONEY_LIMIT


def parse_time(text: str) -> int | None:
    """RFC 3339 with a zone → epoch µs, or None when it is not one.

    Guards what ``parse_rfc3339`` lets through: a trailing newline (``$`` matches before it), non-ASCII
    digits (``\\d`` is Unicode) and dates that overflow once the offset is applied (year 1 / 9999).
    """
    if not text.isascii() or text.endswith("\n"):
        return None
    try:
        return parse_rfc3339(text)
    except (TimestampError, OverflowError):
        return None


def utf8_len(text: str) -> int:
    """Length in UTF-8 bytes (a JSON-escaped lone surrogate counts as its 3-byte encoding)."""
    return len(text.encode("utf-8", "surrogatepass"))


_catalogue: tuple[Tournament | None, dict[str, Product]] = (None, {})


def products_by_code(tournament: Tournament) -> dict[str, Product]:
    """The catalogue as a dict, cached for the last tournament seen (there is one per process)."""
    global _catalogue
    cached, table = _catalogue
    if cached is not tournament:
        table = {p.code: p for p in tournament.products}
        _catalogue = (tournament, table)
    return table
