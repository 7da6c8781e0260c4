"""Requests that are not engine commands: reads, LOGIN, PING, a declined offer, broadcasts, relays.

A parser returns one of these, an engine command (``avex.engine.commands``) or a ``WireError``. They carry
the checked, typed fields; who answers them (gateway, engine between commands, store reader) is the
caller's business. Times are epoch microseconds.
"""

from __future__ import annotations

from typing import Any

import msgspec

from avex.domain.catalogue import token_hash


class Query(msgspec.Struct, frozen=True, gc=False):
    """Base of every non-command request."""


# --- anyone -----------------------------------------------------------------------------------------------
class Ping(Query):
    pass


class Login(Query):
    """A well-typed, non-empty token (§4.2 rows 1–2); rows 3–5 need the team registry."""

    token: str

    def __repr__(self) -> str:
        # Tokens never appear in logs (§3.2), and a repr is what ends up in one.
        return "Login(token=<hidden>)"

    @property
    def well_formed(self) -> bool:
        """Starts with ``TK-``; otherwise it is `Invalid token` without a registry lookup (row 4)."""
        return self.token.startswith("TK-")

    @property
    def token_hash(self) -> str:
        return token_hash(self.token)


# --- team reads -------------------------------------------------------------------------------------------
class Declined(Query):
    """ACCEPT_OFFER with ``accept`` not true: nothing is sent or changed (§4.5)."""

    team: str
    offer_id: str


class Resync(Query):
    team: str
    last_sync: int | None = None
    last_seq: int | None = None


class GetInventory(Query):
    team: str


class RequestAllOrders(Query):
    team: str


class RequestOrderBook(Query):
    team: str
    product: str


class PerformanceReport(Query):
    """``team_name`` is None for the sender's own report and with scope ``global`` (rows 5–6 need state)."""

    team: str
    scope: str  # team | global
    team_name: str | None = None
    start_time: int | None = None


# --- admin requests that are not commands ------------------------------------------------------------------
class Broadcast(Query):
    admin: str
    message: str


class UpdateAllRecipes(Query):
    admin: str


class ExportData(Query):
    admin: str
    data_type: str = "all"  # orders | fills | teams | ledger | sessions | all
    start: int | None = None
    end: int | None = None


class HistoricalOrders(Query):
    admin: str
    limit: int = 100  # already defaulted and capped: 1 … 1000


class ConnectedSessions(Query):
    admin: str


class AvailableTeams(Query):
    admin: str


class AllTeams(Query):
    admin: str


class TeamActivity(Query):
    """``team`` is not yet known to exist (`Team not found` is checked in engine order)."""

    admin: str
    team: str


class SdkEmulator(Query):
    """Relay ``payload`` (keys exact, top-level nulls dropped) to ``target`` as ``message_type``."""

    admin: str
    target: str
    message_type: str
    payload: dict[str, Any] = {}
