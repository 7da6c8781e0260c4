"""The wire protocol: frame codec, error codes, and request parsing (PROTOCOL.md §1.4, §2, §4, §6).

Data path in the gateway::

    fields = decode_frame(text)                 # dict (names folded, nulls dropped) or WireError
    parser = PARSERS.get(fields.get("type"))    # None → ECHO; scope from TEAM_TYPES / ADMIN_TYPES
    result = parser(fields, sender, tournament, now_us)   # Command | Query | WireError
"""

from avex.protocol.codec import decode_frame, encode, encode_text
from avex.protocol.dispatch import ADMIN_TYPES, ANYONE_TYPES, PARSERS, TEAM_TYPES
from avex.protocol.errors import ERROR_CODES, WireError
from avex.protocol.queries import Query
from avex.protocol.requests import Parser, Result, clordid_of

__all__ = [
    "ADMIN_TYPES",
    "ANYONE_TYPES",
    "ERROR_CODES",
    "PARSERS",
    "TEAM_TYPES",
    "Parser",
    "Query",
    "Result",
    "WireError",
    "clordid_of",
    "decode_frame",
    "encode",
    "encode_text",
]
