"""Commands: every state change the engine applies, as typed values.

A command is what the gateway (or the driver, for expiries and the scheduled end) asks for, after the
field checks that need no state (PROTOCOL.md §4, rows 1-16). The engine applies it at a time the driver
stamps (``Engine.apply(cmd, now)``). Commands are journaled exactly as applied, so replaying the journal
rebuilds the engine. Money is integer cents, times are epoch microseconds, tokens are SHA-256 hex digests.
"""

from __future__ import annotations

import msgspec


class Command(msgspec.Struct, tag=True, array_like=True, omit_defaults=True):
    """Base of every command (tagged union for the journal)."""


# --- team commands ---------------------------------------------------------------------------------------
class PlaceOrder(Command, tag="order"):
    team: str
    cl: str
    side: str  # BUY | SELL
    mode: str  # LIMIT | MARKET
    product: str
    qty: int
    price: int | None = None  # cents; None for MARKET
    expires_at: int | None = None
    message: str = ""
    debug: str | None = None  # AUTO_ACCEPT | TEAM_ONLY (only honoured in debug mode)


class CancelOrder(Command, tag="cancel"):
    team: str
    cl: str


class AcceptOffer(Command, tag="accept"):
    team: str
    offer_id: str
    qty: int | None = None
    price: int | None = None


class Produce(Command, tag="produce"):
    team: str
    product: str
    qty: int


# --- driver commands (deadlines) -------------------------------------------------------------------------
class ExpireOrder(Command, tag="expire"):
    team: str
    cl: str


class ScheduledEnd(Command, tag="end"):
    pass


# --- admin commands ----------------------------------------------------------------------------------------
class AdminCreateOrder(Command, tag="a_order"):
    admin: str
    team: str
    side: str
    mode: str
    product: str
    qty: int
    price: int | None = None
    expires_at: int | None = None
    message: str | None = None  # raw admin text; the order's message is "Admin order: <message>"
    debug: str | None = None


class AdminCancelOrder(Command, tag="a_cancel"):
    admin: str
    team: str
    cl: str


class AdminCancelAll(Command, tag="a_cancel_all"):
    admin: str


class AddInventory(Command, tag="a_add"):
    admin: str
    team: str
    product: str
    qty: int


class UpdateTeam(Command, tag="a_update"):
    admin: str
    team: str
    balance: int | None = None
    inventory: dict[str, int] | None = None


class UpdateMembers(Command, tag="a_members"):
    admin: str
    team: str
    members: str = ""


class ResetTeamBalance(Command, tag="a_reset_bal"):
    admin: str
    team: str


class ResetTeamInventory(Command, tag="a_reset_inv"):
    admin: str
    team: str


class ResetTeamProduction(Command, tag="a_reset_prod"):
    admin: str
    team: str


class TournamentControl(Command, tag="a_control"):
    admin: str
    action: str  # OPEN | PAUSE | CLOSE
    ends_at: int | None = None  # a new scheduled end (already checked to be in the future)
    clear_end: bool = False  # endsAt "" clears the schedule


class TeamConfig(msgspec.Struct, array_like=True, omit_defaults=True):
    team: str
    inventory: dict[str, int] | None = None


class ResetTournament(Command, tag="a_reset"):
    admin: str
    balance: int
    configs: list[TeamConfig]


class SeedTeam(msgspec.Struct, array_like=True, omit_defaults=True):
    name: str
    token_hash: str
    species: str | None = None
    balance: int = 1_000_000
    inventory: dict[str, int] = {}
    error: str | None = None  # a format error the gateway found (token shape); the engine reports it in order


class SeedTeams(Command, tag="a_seed"):
    admin: str
    teams: list[SeedTeam]


ANY_COMMAND = (
    PlaceOrder
    | CancelOrder
    | AcceptOffer
    | Produce
    | ExpireOrder
    | ScheduledEnd
    | AdminCreateOrder
    | AdminCancelOrder
    | AdminCancelAll
    | AddInventory
    | UpdateTeam
    | UpdateMembers
    | ResetTeamBalance
    | ResetTeamInventory
    | ResetTeamProduction
    | TournamentControl
    | ResetTournament
    | SeedTeams
)
