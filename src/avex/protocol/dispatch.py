"""Message type → parser, and which types need a login or admin rights (PROTOCOL.md §1.4 step 7, §3.1).

The gateway looks the exact, case-sensitive ``type`` up in ``PARSERS`` once: a miss (or no type) is ECHO
(§4.1). Before parsing it checks the scope: ``TEAM_TYPES`` need a login (`Must login first`),
``ADMIN_TYPES`` an admin login (`Admin access required`, also when anonymous); ``ANYONE_TYPES`` need
neither. Then ``PARSERS[type](fields, sender, tournament, now_us)``.
"""

from __future__ import annotations

from avex.protocol import admin, requests
from avex.protocol.requests import Parser

__all__ = ["ADMIN_TYPES", "ANYONE_TYPES", "PARSERS", "TEAM_TYPES"]

_ANYONE: dict[str, Parser] = {
    "PING": requests.parse_ping,
    "LOGIN": requests.parse_login,
}

_TEAM: dict[str, Parser] = {
    "ORDER": requests.parse_order,
    "CANCEL": requests.parse_cancel,
    "ACCEPT_OFFER": requests.parse_accept_offer,
    "PRODUCTION_UPDATE": requests.parse_production_update,
    "RESYNC": requests.parse_resync,
    "GET_INVENTORY": requests.parse_get_inventory,
    "REQUEST_ALL_ORDERS": requests.parse_request_all_orders,
    "REQUEST_ORDER_BOOK": requests.parse_request_order_book,
    "REQUEST_PERFORMANCE_REPORT": requests.parse_performance_report,
}

_ADMIN: dict[str, Parser] = {
    "ADD_INVENTORY": admin.parse_add_inventory,
    "UPDATE_TEAM": admin.parse_update_team,
    "UPDATE_TEAM_MEMBERS": admin.parse_update_team_members,
    "RESET_TEAM_BALANCE": admin.parse_reset_team_balance,
    "RESET_TEAM_INVENTORY": admin.parse_reset_team_inventory,
    "RESET_TEAM_PRODUCTION": admin.parse_reset_team_production,
    "ADMIN_CANCEL_ORDER": admin.parse_admin_cancel_order,
    "ADMIN_CANCEL_ALL_ORDERS": admin.parse_admin_cancel_all_orders,
    "ADMIN_CREATE_ORDER": admin.parse_admin_create_order,
    "ADMIN_BROADCAST": admin.parse_admin_broadcast,
    "ADMIN_TOURNAMENT_CONTROL": admin.parse_admin_tournament_control,
    "RESET_TOURNAMENT_CONFIG": admin.parse_reset_tournament_config,
    "SEED_TEAMS": admin.parse_seed_teams,
    "UPDATE_ALL_RECIPES": admin.parse_update_all_recipes,
    "EXPORT_DATA": admin.parse_export_data,
    "REQUEST_HISTORICAL_ORDERS": admin.parse_request_historical_orders,
    "REQUEST_CONNECTED_SESSIONS": admin.parse_request_connected_sessions,
    "GET_AVAILABLE_TEAMS": admin.parse_get_available_teams,
    "GET_ALL_TEAMS": admin.parse_get_all_teams,
    "GET_TEAM_ACTIVITY": admin.parse_get_team_activity,
    "SDK_EMULATOR": admin.parse_sdk_emulator,
}

ANYONE_TYPES = frozenset(_ANYONE)
TEAM_TYPES = frozenset(_TEAM)
ADMIN_TYPES = frozenset(_ADMIN)
PARSERS: dict[str, Parser] = {**_ANYONE, **_TEAM, **_ADMIN}
