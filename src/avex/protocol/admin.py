"""Admin requests (PROTOCOL.md §4.11–4.16): field types, then the documented checks that need no state.

The gateway has already checked admin rights. Each parser has the ``Parser`` signature, with the admin
team's name as the sender. ``teamName`` absent or empty → `TeamName is required` here; an unknown team is
the engine's check (team registry, engine order). Commands are from ``avex.engine.commands``; the reads
and relays are ``Query`` values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from avex.domain.catalogue import HOUSE, MAX_GOODS, Tournament
from avex.engine.commands import (
    AddInventory,
    AdminCancelAll,
    AdminCancelOrder,
    AdminCreateOrder,
    ResetTeamBalance,
    ResetTeamInventory,
    ResetTeamProduction,
    ResetTournament,
    SeedTeam,
    SeedTeams,
    TeamConfig,
    TournamentControl,
    UpdateMembers,
    UpdateTeam,
)
from avex.protocol.codec import MONEY_LIMIT, fold, is_number, money_cents, parse_time, products_by_code
from avex.protocol.errors import (
    INVALID_MESSAGE,
    INVALID_PRODUCT,
    INVALID_QUANTITY,
    SERVICE_UNAVAILABLE,
    WireError,
    format_error,
)
from avex.protocol.queries import (
    AllTeams,
    AvailableTeams,
    Broadcast,
    ConnectedSessions,
    ExportData,
    HistoricalOrders,
    SdkEmulator,
    TeamActivity,
    UpdateAllRecipes,
    token_hash,
)
from avex.protocol.requests import DEBUG_MODES, MAX_ORDER_QTY, OrderBody, Parser, Result, check_order_fields

__all__ = [
    "EXPORT_DATA_TYPES",
    "TOURNAMENT_ACTIONS",
    "parse_add_inventory",
    "parse_admin_broadcast",
    "parse_admin_cancel_all_orders",
    "parse_admin_cancel_order",
    "parse_admin_create_order",
    "parse_admin_tournament_control",
    "parse_export_data",
    "parse_get_all_teams",
    "parse_get_available_teams",
    "parse_get_team_activity",
    "parse_request_connected_sessions",
    "parse_request_historical_orders",
    "parse_reset_team_balance",
    "parse_reset_team_inventory",
    "parse_reset_team_production",
    "parse_reset_tournament_config",
    "parse_sdk_emulator",
    "parse_seed_teams",
    "parse_update_all_recipes",
    "parse_update_team",
    "parse_update_team_members",
]

Fields = dict[str, Any]

TOURNAMENT_ACTIONS = frozenset({"OPEN", "PAUSE", "CLOSE"})
EXPORT_DATA_TYPES = frozenset({"orders", "fills", "teams", "ledger", "sessions", "all"})
SEED_DEFAULT_BALANCE = 1_000_000  # 10000.00 (§4.14)
HISTORY_DEFAULT_LIMIT = 100
HISTORY_MAX_LIMIT = 1000
TEAM_NAME_MAX_CHARS = 64  # GAME.md §10.1
TOKEN_PREFIX = "TK-"
TOKEN_MIN_CHARS, TOKEN_MAX_CHARS = 4, 128
_TOKEN_RULE = f"token must start with {TOKEN_PREFIX} and have {TOKEN_MIN_CHARS}-{TOKEN_MAX_CHARS} characters"

_TEAM_REQUIRED = WireError(INVALID_MESSAGE, "TeamName is required")
_NEGATIVE_QTY = WireError(INVALID_QUANTITY, "Quantity cannot be negative")
_convert = msgspec.convert
_ValidationError = msgspec.ValidationError


def _fields(fields: Fields, shape: type[msgspec.Struct]) -> Any:
    """Strict conversion, or None when a field has the wrong type."""
    try:
        return _convert(fields, shape, strict=True)
    except _ValidationError:
        return None


def _goods_error(
    inventory: dict[str, int], tournament: Tournament, negative: WireError | None = None
) -> WireError | None:
    """Unknown product, then a negative quantity (when ``negative`` is given), then over 2147483647."""
    products = products_by_code(tournament)
    for product in inventory:
        if product not in products:
            return WireError(INVALID_PRODUCT, f"invalid product: {product}")
    if negative is not None and any(qty < 0 for qty in inventory.values()):
        return negative
    for product, qty in inventory.items():
        if qty > MAX_GOODS:
            return WireError(INVALID_QUANTITY, f"Quantity would exceed {MAX_GOODS} for {product}")
    return None


# --- messages that only name a team ----------------------------------------------------------------------
class _TeamFields(msgspec.Struct, gc=False):
    teamname: str | None = None


def _team_only(msg_type: str, make: Callable[..., Result]) -> Parser:
    """A parser for a message whose only field is the required ``teamName``."""
    fmt = format_error(msg_type)

    def parse(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
        f = _fields(fields, _TeamFields)
        if f is None:
            return fmt
        if not f.teamname:
            return _TEAM_REQUIRED
        return make(admin=admin, team=f.teamname)

    parse.__name__ = parse.__qualname__ = f"parse_{msg_type.lower()}"
    parse.__doc__ = f"{msg_type}: teamName required → ``{getattr(make, '__name__', make)}``."
    return parse


parse_reset_team_balance = _team_only("RESET_TEAM_BALANCE", ResetTeamBalance)
parse_reset_team_inventory = _team_only("RESET_TEAM_INVENTORY", ResetTeamInventory)
parse_reset_team_production = _team_only("RESET_TEAM_PRODUCTION", ResetTeamProduction)
parse_get_team_activity = _team_only("GET_TEAM_ACTIVITY", TeamActivity)


# --- messages without fields ------------------------------------------------------------------------------
def parse_admin_cancel_all_orders(
    fields: Fields, admin: str, tournament: Tournament, now_us: int = 0
) -> Result:
    return AdminCancelAll(admin=admin)


def parse_update_all_recipes(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    return UpdateAllRecipes(admin=admin)


def parse_request_connected_sessions(
    fields: Fields, admin: str, tournament: Tournament, now_us: int = 0
) -> Result:
    return ConnectedSessions(admin=admin)


def parse_get_available_teams(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    return AvailableTeams(admin=admin)


def parse_get_all_teams(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    return AllTeams(admin=admin)


# --- ADD_INVENTORY ----------------------------------------------------------------------------------------
class _AddFields(msgspec.Struct, gc=False):
    teamname: str | None = None
    product: str | None = None
    quantity: int | None = None


def parse_add_inventory(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    """ADD_INVENTORY → ``AddInventory``; its own table's codes win (compat): INVALID_MESSAGE for ≤ 0."""
    f = _fields(fields, _AddFields)
    if f is None:
        return format_error("ADD_INVENTORY")
    if not f.teamname:
        return _TEAM_REQUIRED
    if not f.product:
        return WireError(INVALID_MESSAGE, "Product is required")
    if f.quantity is None or f.quantity <= 0:
        return WireError(INVALID_MESSAGE, "Quantity must be positive")
    if f.quantity > MAX_ORDER_QTY:
        return WireError(INVALID_QUANTITY, f"Quantity must be at most {MAX_ORDER_QTY}")
    if f.product not in products_by_code(tournament):
        return WireError(INVALID_PRODUCT, f"invalid product: {f.product}")
    return AddInventory(admin=admin, team=f.teamname, product=f.product, qty=f.quantity)


# --- UPDATE_TEAM, UPDATE_TEAM_MEMBERS ---------------------------------------------------------------------
class _UpdateFields(msgspec.Struct, gc=False):
    teamname: str | None = None
    balance: Any = None
    inventory: dict[str, int] | None = None


def parse_update_team(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    """UPDATE_TEAM → ``UpdateTeam`` with only the given fields; reservations are the engine's check."""
    fmt = format_error("UPDATE_TEAM")
    f = _fields(fields, _UpdateFields)
    if f is None or (f.balance is not None and not is_number(f.balance)):
        return fmt
    if not f.teamname:
        return _TEAM_REQUIRED
    balance = None if f.balance is None else money_cents(f.balance)
    if balance is not None and (balance < 0 or balance >= MONEY_LIMIT):
        return fmt  # a negative value is a format error (§4.11); an unstorable one too
    inventory = f.inventory
    if inventory is not None:
        if any(qty < 0 for qty in inventory.values()):
            return fmt  # negative values come before the product checks (§4.11)
        error = _goods_error(inventory, tournament)
        if error is not None:
            return error
    return UpdateTeam(admin=admin, team=f.teamname, balance=balance, inventory=inventory)


class _MembersFields(msgspec.Struct, gc=False):
    teamname: str | None = None
    members: str | None = None


def parse_update_team_members(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    f = _fields(fields, _MembersFields)
    if f is None:
        return format_error("UPDATE_TEAM_MEMBERS")
    if not f.teamname:
        return _TEAM_REQUIRED
    return UpdateMembers(admin=admin, team=f.teamname, members=f.members or "")


# --- ADMIN_CANCEL_ORDER, ADMIN_CREATE_ORDER ---------------------------------------------------------------
class _AdminCancelFields(msgspec.Struct, gc=False):
    clordid: str | None = None
    teamname: str | None = None


def parse_admin_cancel_order(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    """clOrdID before teamName; CANCEL rows 4–7 then run in the engine for that team."""
    f = _fields(fields, _AdminCancelFields)
    if f is None:
        return format_error("ADMIN_CANCEL_ORDER")
    if not f.clordid:
        return WireError(INVALID_MESSAGE, "Order ID is required")
    if not f.teamname:
        return _TEAM_REQUIRED
    return AdminCancelOrder(admin=admin, team=f.teamname, cl=f.clordid)


class _AdminOrderFields(OrderBody, gc=False):
    teamname: str | None = None


def parse_admin_create_order(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    """teamName, then ORDER rows 6–16 without a clOrdID (the id is generated) → ``AdminCreateOrder``."""
    fmt = format_error("ADMIN_CREATE_ORDER")
    f = _fields(fields, _AdminOrderFields)
    if f is None or (f.limitprice is not None and not is_number(f.limitprice)):
        return fmt
    if not f.teamname:
        return _TEAM_REQUIRED
    checked = check_order_fields(f, tournament, None)
    if type(checked) is WireError:
        return checked
    price, expires_at = checked
    return AdminCreateOrder(
        admin=admin, team=f.teamname, side=f.side, mode=f.mode, product=f.product, qty=f.qty, price=price,
        expires_at=expires_at, message=f.message,
        debug=f.debugmode if f.debugmode in DEBUG_MODES else None,
    )


# --- ADMIN_BROADCAST, ADMIN_TOURNAMENT_CONTROL -----------------------------------------------------------
class _BroadcastFields(msgspec.Struct, gc=False):
    message: str | None = None


def parse_admin_broadcast(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    f = _fields(fields, _BroadcastFields)
    if f is None:
        return format_error("ADMIN_BROADCAST")
    if not f.message:
        return WireError(INVALID_MESSAGE, "Message is required")
    return Broadcast(admin=admin, message=f.message)


class _ControlFields(msgspec.Struct, gc=False):
    action: str | None = None
    endsat: str | None = None


def parse_admin_tournament_control(fields: Fields, admin: str, tournament: Tournament, now_us: int) -> Result:
    """§4.12 → ``TournamentControl``; ``endsAt`` must be after ``now_us`` (the gateway's clock)."""
    f = _fields(fields, _ControlFields)
    if f is None:
        return format_error("ADMIN_TOURNAMENT_CONTROL")
    if f.action not in TOURNAMENT_ACTIONS:
        return WireError(INVALID_MESSAGE, "Action must be OPEN, PAUSE or CLOSE")
    if f.action == "CLOSE" or f.endsat is None:
        return TournamentControl(admin=admin, action=f.action)  # CLOSE ignores endsAt unchecked
    if f.endsat == "":
        return TournamentControl(admin=admin, action=f.action, clear_end=True)
    ends_at = parse_time(f.endsat)
    if ends_at is None:
        return WireError(INVALID_MESSAGE, "Invalid endsAt timestamp format")
    if ends_at <= now_us:
        return WireError(INVALID_MESSAGE, "endsAt must be in the future")
    return TournamentControl(admin=admin, action=f.action, ends_at=ends_at)


# --- RESET_TOURNAMENT_CONFIG (§4.13) ----------------------------------------------------------------------
class _ResetFields(msgspec.Struct, gc=False):
    balance: Any = None
    teamconfigs: list[dict[str, Any]] | None = None


class _TeamConfigFields(msgspec.Struct, gc=False):
    teamname: str | None = None
    inventory: dict[str, int] | None = None


def parse_reset_tournament_config(
    fields: Fields, admin: str, tournament: Tournament, now_us: int = 0
) -> Result:
    """§4.13 → ``ResetTournament``. Entries fold their field names; inventory keys are product codes."""
    fmt = format_error("RESET_TOURNAMENT_CONFIG")
    f = _fields(fields, _ResetFields)
    if f is None or (f.balance is not None and not is_number(f.balance)):
        return fmt
    entries = []
    for raw in f.teamconfigs or ():
        entry = _fields(fold(raw), _TeamConfigFields)
        if entry is None:
            return fmt
        entries.append(entry)
    if f.balance is None:
        return WireError(INVALID_MESSAGE, "Balance is required")
    balance = money_cents(f.balance)
    if balance < 0:
        return WireError(INVALID_MESSAGE, "Balance cannot be negative")
    if balance >= MONEY_LIMIT:
        return fmt  # beyond what can be stored
    if not entries:
        return WireError(INVALID_MESSAGE, "No team configurations provided")
    seen: set[str] = set()
    configs = []
    for entry in entries:
        team = entry.teamname
        if not team:
            return _TEAM_REQUIRED
        if team in seen:
            return WireError(INVALID_MESSAGE, f"Duplicate team: {team}")
        seen.add(team)
        inventory = entry.inventory
        if inventory is not None:
            error = _goods_error(inventory, tournament, _NEGATIVE_QTY)
            if error is not None:
                return error
        configs.append(TeamConfig(team=team, inventory=inventory))
    return ResetTournament(admin=admin, balance=balance, configs=configs)


# --- SEED_TEAMS (§4.14) -----------------------------------------------------------------------------------
class _SeedFields(msgspec.Struct, gc=False):
    teams: list[dict[str, Any]] | None = None


class _SeedEntryFields(msgspec.Struct, gc=False):
    teamname: str | None = None
    token: str | None = None
    species: str | None = None
    initialbalance: Any = None
    inventory: dict[str, int] | None = None
    # specialty and authorizedProducts are ignored: authorization follows the species


def _pin_goods(qty: int) -> int:
    # Out-of-range quantities fail the engine's inventory check either way; pinning keeps them int64.
    return max(-MAX_GOODS - 1, min(qty, MAX_GOODS + 1))


def _seed_format_problem(name: str, token: str) -> str | None:
    """GAME.md §10.1 shape of a team name and token; the registry checks (taken, in use) are the engine's."""
    if not 1 <= len(name) <= TEAM_NAME_MAX_CHARS:
        return f"{name}: team name must be 1-{TEAM_NAME_MAX_CHARS} characters"
    if name == HOUSE:
        return f"{name}: team name {HOUSE} is reserved"
    if not token.startswith(TOKEN_PREFIX) or not TOKEN_MIN_CHARS <= len(token) <= TOKEN_MAX_CHARS:
        return f"{name}: {_TOKEN_RULE}"
    return None


def parse_seed_teams(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    """§4.14 → ``SeedTeams``: tokens hashed here, a name/token shape problem in ``SeedTeam.error``.

    Skipping existing names, tokens in use, unknown species, negative balances and invalid inventories
    are the engine's, in that order after the shape error (it reports ``error`` only for new names).
    """
    fmt = format_error("SEED_TEAMS")
    f = _fields(fields, _SeedFields)
    if f is None or f.teams is None:
        return fmt
    teams = []
    for raw in f.teams:
        entry = _fields(fold(raw), _SeedEntryFields)
        if entry is None:
            return fmt
        balance = SEED_DEFAULT_BALANCE
        if entry.initialbalance is not None:
            if not is_number(entry.initialbalance):
                return fmt
            balance = money_cents(entry.initialbalance)
            if balance >= MONEY_LIMIT or balance <= -MONEY_LIMIT:
                return fmt
        name = entry.teamname or ""
        token = entry.token or ""
        inventory = {p: _pin_goods(q) for p, q in entry.inventory.items()} if entry.inventory else {}
        teams.append(SeedTeam(
            name=name, token_hash=token_hash(token) if token else "", species=entry.species,
            balance=balance, inventory=inventory, error=_seed_format_problem(name, token),
        ))
    return SeedTeams(admin=admin, teams=teams)


# --- reads: EXPORT_DATA, REQUEST_HISTORICAL_ORDERS --------------------------------------------------------
class _ExportFields(msgspec.Struct, gc=False):
    datatype: str | None = None
    startdate: str | None = None
    enddate: str | None = None


def parse_export_data(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    """§4.15 → ``ExportData`` (dataType default ``all``; dates in µs, start inclusive, end exclusive)."""
    f = _fields(fields, _ExportFields)
    if f is None:
        return format_error("EXPORT_DATA")
    data_type = "all" if f.datatype is None else f.datatype
    if data_type not in EXPORT_DATA_TYPES:
        return WireError(INVALID_MESSAGE, "Invalid dataType")
    start = end = None
    if f.startdate is not None:
        start = parse_time(f.startdate)
        if start is None:
            return WireError(INVALID_MESSAGE, "Invalid startDate format")
    if f.enddate is not None:
        end = parse_time(f.enddate)
        if end is None:
            return WireError(INVALID_MESSAGE, "Invalid endDate format")
    return ExportData(admin=admin, data_type=data_type, start=start, end=end)


class _HistoryFields(msgspec.Struct, gc=False):
    limit: int | None = None


def parse_request_historical_orders(
    fields: Fields, admin: str, tournament: Tournament, now_us: int = 0
) -> Result:
    """limit ≤ 0 or absent = 100, capped at 1000."""
    f = _fields(fields, _HistoryFields)
    if f is None:
        return format_error("REQUEST_HISTORICAL_ORDERS")
    limit = f.limit
    if limit is None or limit <= 0:
        limit = HISTORY_DEFAULT_LIMIT
    return HistoricalOrders(admin=admin, limit=min(limit, HISTORY_MAX_LIMIT))


# --- SDK_EMULATOR (§4.16) ---------------------------------------------------------------------------------
class _EmulatorFields(msgspec.Struct, gc=False):
    targetteam: str | None = None
    messagetype: str | None = None
    messagepayload: dict[str, Any] | None = None


_DEBUG_DISABLED = WireError(SERVICE_UNAVAILABLE, "Debug mode is disabled")


def parse_sdk_emulator(fields: Fields, admin: str, tournament: Tournament, now_us: int = 0) -> Result:
    """Debug mode (static, from the file) before field types; the target team is checked with state."""
    if not tournament.market.debug_mode:
        return _DEBUG_DISABLED
    f = _fields(fields, _EmulatorFields)
    if f is None:
        return format_error("SDK_EMULATOR")
    if not f.targetteam:
        return WireError(INVALID_MESSAGE, "targetTeam is required")
    if not f.messagetype:
        return WireError(INVALID_MESSAGE, "messageType is required")
    # The payload is relayed as the client wrote it: keys keep their case; nulls go (§2.2: no null out).
    payload = {k: v for k, v in (f.messagepayload or {}).items() if v is not None}
    return SdkEmulator(admin=admin, target=f.targetteam, message_type=f.messagetype, payload=payload)
