"""What ``Engine.apply`` returns: a command applied with its ``seq``, or a refusal that changed nothing."""

from __future__ import annotations

from dataclasses import dataclass

from avex.engine.commands import Command
from avex.engine.events import Event


@dataclass(slots=True)
class Applied:
    """A command that got the next ``seq``; its events are journaled and rendered."""

    seq: int
    time: int  # epoch microseconds, stamped by the driver
    cmd: Command
    events: list[Event]


@dataclass(slots=True, frozen=True)
class Refused:
    """A request that failed a check in the engine and is not a command (no ``seq``, nothing stored)."""

    code: str
    reason: str
    cl: str | None = None


Outcome = Applied | Refused
