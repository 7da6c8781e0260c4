"""Bytes for the journal and the snapshots: msgpack of the engine's tagged Structs and exports.

msgpack keeps ints, strings and lists exactly (JSON would turn integer map keys into strings) and is the
most compact msgspec format; the Structs are ``array_like`` with a tag first, so a stored command or event
is a short array that decodes back to the same Struct.
"""

from __future__ import annotations

from typing import Any

import msgspec

from avex.engine.commands import ANY_COMMAND, Command
from avex.engine.events import ANY_EVENT, Event

_encoder = msgspec.msgpack.Encoder()
_command_decoder = msgspec.msgpack.Decoder(ANY_COMMAND)
_events_decoder = msgspec.msgpack.Decoder(list[ANY_EVENT])
_any_decoder = msgspec.msgpack.Decoder()

encode = _encoder.encode
"""Encode a command, a list of events or an engine export (plain data) to msgpack bytes."""


def decode_command(data: bytes) -> Command:
    return _command_decoder.decode(data)


def decode_events(data: bytes) -> list[Event]:
    return _events_decoder.decode(data)


def decode_plain(data: bytes) -> Any:
    """Decode an engine export (dicts, lists, numbers, strings) written by ``encode``."""
    return _any_decoder.decode(data)
