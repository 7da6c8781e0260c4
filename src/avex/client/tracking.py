"""Sequence tracking and duplicate suppression for reconnecting clients (PROTOCOL.md §2.3, §3.4, §4.7).

Every message of a command carries the command's ``seq``; snapshots carry the last applied ``seq`` and the
connection then receives only later commands. So the highest ``seq`` seen is a watermark: a client that
reconnects asks ``RESYNC lastSeq=<watermark>`` and gets every team message it may have missed. Some of them may
also arrive live: they are dropped by ``seq`` + content.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import msgspec

__all__ = ["Deduper", "SeqTracker", "message_key"]


def message_key(message: dict[str, Any]) -> tuple[int, bytes] | None:
    """``(seq, canonical JSON)`` of a sequenced message; None for messages without an integer ``seq``."""
    seq = message.get("seq")
    if type(seq) is not int:
        return None
    return seq, msgspec.json.encode(message, order="sorted")


class SeqTracker:
    """The highest ``seq`` a connection has been brought up to (``last_seq``).

    An EVENT_DELTA counts by its events, and by its own ``seq`` only when ``more`` is false: with ``more`` the
    replay stopped early and the rest must still be asked for.
    """

    def __init__(self, last_seq: int = 0) -> None:
        self.last_seq = last_seq

    def observe(self, message: dict[str, Any]) -> None:
        if message.get("type") == "EVENT_DELTA":
            for event in message.get("events") or ():
                if isinstance(event, dict):
                    self._bump(event.get("seq"))
            if message.get("more"):
                return
        self._bump(message.get("seq"))

    def _bump(self, seq: Any) -> None:
        if type(seq) is int and seq > self.last_seq:
            self.last_seq = seq


class Deduper:
    """Remembers the keys of the last ``capacity`` sequenced messages; ``seen`` is true for a repeat."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[tuple[int, bytes], None] = OrderedDict()

    def seen(self, message: dict[str, Any]) -> bool:
        """True if an identical message with the same ``seq`` was seen before; otherwise remember it."""
        key = message_key(message)
        if key is None:
            return False
        if key in self._keys:
            return True
        self._keys[key] = None
        if len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._keys)
