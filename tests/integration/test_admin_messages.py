"""Every admin message (PROTOCOL.md §4.11–4.16) against a real server: refused to team and anonymous
connections, and its success and documented refusals for an admin."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from .harness import ServerProcess
from .test_admin_support import (
    ADMIN,
    ADMIN_TYPES,
    TOKENS,
    ask,
    connect,
    no_tokens,
    start_referee,
    until,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_referee(tmp_path_factory.mktemp("admin-messages"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def debug_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_referee(tmp_path_factory.mktemp("admin-debug"), debug_mode=True)
    yield srv
    srv.stop()


def _iso(delta_s: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=delta_s)).isoformat().replace("+00:00", "Z")


def _auth_error(msg: dict) -> None:
    assert msg["type"] == "ERROR"
    assert msg["code"] == "AUTH_FAILED"
    assert msg["reason"] == "Admin access required"
    assert "seq" not in msg


# --- refusals ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["team", "anonymous"])
async def test_every_admin_message_is_refused_without_admin_rights(server: ServerProcess, who: str) -> None:
    health_before = server.health()
    client = await connect(server, TOKENS["TeamA"] if who == "team" else None)
    try:
        for kind in ADMIN_TYPES:
            # Well-formed frames: rights are checked before anything else, so no field can sneak past.
            await client.send({"type": kind, "teamName": "TeamB", "product": "GUACA", "quantity": 1,
                               "message": "hi", "action": "CLOSE", "clOrdID": "x", "balance": 1,
                               "teamConfigs": [{"teamName": "TeamB"}]})
            _auth_error(await client.expect("ERROR"))
        assert await client.collect(0.3) == []
    finally:
        await client.close()
    assert server.health() == health_before  # nothing was applied


# --- inventory and team edits -------------------------------------------------------------------------------
async def test_add_inventory_grants_goods_and_tells_the_team(server: ServerProcess) -> None:
    adm, b = await connect(server, ADMIN), await connect(server, TOKENS["TeamB"])
    try:
        reply = await ask(adm, {"type": "ADD_INVENTORY", "teamName": "TeamB", "product": "FOSFO", "quantity": 5})
        assert reply["type"] == "INVENTORY_ADDED"
        assert reply["success"] is True
        assert reply["message"] == "Added 5 FOSFO to TeamB's inventory"
        update = await until(b, "INVENTORY_UPDATE")
        assert update["seq"] == reply["seq"]
        assert update["inventory"]["FOSFO"] == 5
        for frame, reason in [
            ({"teamName": "Nope", "product": "FOSFO", "quantity": 5}, "Team not found: Nope"),
            ({"product": "FOSFO", "quantity": 5}, "TeamName is required"),
            ({"teamName": "TeamB", "product": "FOSFO", "quantity": 0}, "Quantity must be positive"),
            ({"teamName": "TeamB", "product": "", "quantity": 1}, "Product is required"),
        ]:
            err = await ask(adm, {"type": "ADD_INVENTORY", **frame})
            assert (err["code"], err["reason"]) == ("INVALID_MESSAGE", reason)
        err = await ask(adm, {"type": "ADD_INVENTORY", "teamName": "TeamB", "product": "USD", "quantity": 1})
        assert (err["code"], err["reason"]) == ("INVALID_PRODUCT", "invalid product: USD")
    finally:
        await adm.close()
        await b.close()


async def test_update_team_sets_only_the_given_fields(server: ServerProcess) -> None:
    adm, c = await connect(server, ADMIN), await connect(server, TOKENS["TeamC"])
    try:
        reply = await ask(adm, {"type": "UPDATE_TEAM", "teamName": "TeamC", "balance": 750.5,
                                "inventory": {"PITA": 3}})
        assert reply["type"] == "TEAM_UPDATED"
        assert reply["message"] == "Team TeamC updated successfully"
        balance = await until(c, "BALANCE_UPDATE")
        assert balance["balance"] == Decimal("750.5")
        inventory = await until(c, "INVENTORY_UPDATE")
        assert inventory["inventory"] == {"GUACA": 0, "FOSFO": 0, "PITA": 3}
        err = await ask(adm, {"type": "UPDATE_TEAM", "teamName": "TeamC", "balance": -1})
        assert (err["code"], err["reason"]) == ("INVALID_MESSAGE", "Invalid UPDATE_TEAM message format")
        teams = await ask(adm, {"type": "GET_ALL_TEAMS"})
        row = next(t for t in teams["teams"] if t["teamName"] == "TeamC")
        assert row["currentBalance"] == Decimal("750.5")
        assert row["inventory"]["PITA"] == 3
    finally:
        await adm.close()
        await c.close()


async def test_update_team_members_is_shown_to_admins(server: ServerProcess) -> None:
    adm = await connect(server, ADMIN)
    try:
        reply = await ask(adm, {"type": "UPDATE_TEAM_MEMBERS", "teamName": "TeamA", "members": "Ana, Luis"})
        assert reply == {**reply, "type": "TEAM_MEMBERS_UPDATED", "success": True,
                         "message": "Team TeamA members updated successfully"}
        teams = await ask(adm, {"type": "GET_ALL_TEAMS"})
        assert next(t for t in teams["teams"] if t["teamName"] == "TeamA")["members"] == "Ana, Luis"
        err = await ask(adm, {"type": "UPDATE_TEAM_MEMBERS", "teamName": "Ghost", "members": "x"})
        assert err["reason"] == "Team not found: Ghost"
    finally:
        await adm.close()


async def test_reset_team_balance_and_inventory_cancel_its_orders(server: ServerProcess) -> None:
    adm, b = await connect(server, ADMIN), await connect(server, TOKENS["TeamB"])
    try:
        await b.order("rb-1", "BUY", "LIMIT", "FOSFO", 1, "1.00")
        assert (await until(b, "ORDER_ACK"))["status"] == "PENDING"
        reply = await ask(adm, {"type": "RESET_TEAM_BALANCE", "teamName": "TeamB"})
        assert reply["message"] == "Team TeamB balance reset successfully"
        ack = await until(b, "ORDER_ACK")
        assert (ack["clOrdID"], ack["status"], ack["reason"]) == ("rb-1", "CANCELLED", "ADMIN")
        assert ack["seq"] == reply["seq"]
        assert (await until(b, "BALANCE_UPDATE"))["balance"] == 1000

        await b.order("rb-2", "SELL", "LIMIT", "PITA", 2, "50")
        await until(b, "ORDER_ACK")
        reply = await ask(adm, {"type": "RESET_TEAM_INVENTORY", "teamName": "TeamB"})
        assert reply["message"] == "Team TeamB inventory reset successfully"
        ack = await until(b, "ORDER_ACK")
        assert (ack["clOrdID"], ack["reason"]) == ("rb-2", "ADMIN")
        inventory = await until(b, "INVENTORY_UPDATE")
        assert inventory["inventory"] == inventory["available"] == {"GUACA": 0, "FOSFO": 0, "PITA": 10}
        err = await ask(adm, {"type": "RESET_TEAM_INVENTORY"})
        assert err["reason"] == "TeamName is required"
    finally:
        await adm.close()
        await b.close()


async def test_reset_team_production_clears_the_cooldown(server: ServerProcess) -> None:
    adm, a = await connect(server, ADMIN), await connect(server, TOKENS["TeamA"])
    try:
        await a.produce("FOSFO", 1)
        assert (await until(a, ("INVENTORY_UPDATE", "ERROR")))["type"] == "INVENTORY_UPDATE"
        await a.produce("FOSFO", 1)
        err = await until(a, "ERROR")
        assert err["code"] == "RATE_LIMIT_EXCEEDED" and err["reason"].startswith("Production cooldown")
        reply = await ask(adm, {"type": "RESET_TEAM_PRODUCTION", "teamName": "TeamA"})
        assert reply["message"] == "Team TeamA production reset successfully"
        await a.produce("FOSFO", 1)
        assert (await until(a, ("INVENTORY_UPDATE", "ERROR")))["type"] == "INVENTORY_UPDATE"
    finally:
        await adm.close()
        await a.close()


# --- orders --------------------------------------------------------------------------------------------------
async def test_admin_cancel_order_notifies_the_owner(server: ServerProcess) -> None:
    adm, a = await connect(server, ADMIN), await connect(server, TOKENS["TeamA"])
    try:
        await a.order("ac-1", "SELL", "LIMIT", "GUACA", 1, "99")
        await until(a, "ORDER_ACK")
        frame = {"type": "ADMIN_CANCEL_ORDER", "clOrdID": "ac-1", "teamName": "TeamA"}
        reply = await ask(adm, frame)
        assert (reply["type"], reply["action"], reply["success"], reply["count"]) == (
            "ADMIN_ACTION_RESPONSE", "CANCEL_ORDER", True, 1)
        assert reply["message"] == "Successfully cancelled order ac-1"
        ack = await until(a, "ORDER_ACK")
        assert (ack["status"], ack["reason"], ack["seq"]) == ("CANCELLED", "ADMIN", reply["seq"])
        again = await ask(adm, frame)
        assert (again["code"], again["reason"]) == ("INVALID_ORDER", "Order already cancelled")
        assert again["clOrdID"] == "ac-1"
        missing = await ask(adm, {"type": "ADMIN_CANCEL_ORDER", "clOrdID": "nope", "teamName": "TeamA"})
        assert missing["reason"] == "Order not found"
        no_id = await ask(adm, {"type": "ADMIN_CANCEL_ORDER", "teamName": "TeamA"})
        assert no_id["reason"] == "Order ID is required"
        no_team = await ask(adm, {"type": "ADMIN_CANCEL_ORDER", "clOrdID": "ac-1"})
        assert no_team["reason"] == "TeamName is required"
    finally:
        await adm.close()
        await a.close()


async def test_admin_cancel_all_orders_counts_what_it_cancelled(server: ServerProcess) -> None:
    adm, a, b = await connect(server, ADMIN), await connect(server, TOKENS["TeamA"]), await connect(
        server, TOKENS["TeamB"])
    try:
        await ask(adm, {"type": "ADMIN_CANCEL_ALL_ORDERS"})  # a clean slate
        await a.order("ca-1", "SELL", "LIMIT", "GUACA", 1, "90")
        await until(a, "ORDER_ACK")
        await b.order("ca-2", "BUY", "LIMIT", "FOSFO", 1, "2")
        await until(b, "ORDER_ACK")
        reply = await ask(adm, {"type": "ADMIN_CANCEL_ALL_ORDERS"})
        assert (reply["action"], reply["count"], reply["message"]) == (
            "CANCEL_ALL_ORDERS", 2, "Successfully cancelled 2 orders")
        assert (await until(a, "ORDER_ACK"))["reason"] == "ADMIN"
        assert (await until(b, "ORDER_ACK"))["reason"] == "ADMIN"
    finally:
        for c in (adm, a, b):
            await c.close()


async def test_admin_create_order_trades_for_the_team(server: ServerProcess) -> None:
    adm, a = await connect(server, ADMIN), await connect(server, TOKENS["TeamA"])
    try:
        reply = await ask(adm, {"type": "ADMIN_CREATE_ORDER", "teamName": "TeamA", "side": "SELL", "mode": "LIMIT",
                                "product": "GUACA", "qty": 1, "limitPrice": 88, "message": "house rules"})
        assert reply["action"] == "CREATE_ORDER" and reply["success"] is True
        assert reply["clOrdID"] == f"ADMIN-{reply['seq']}"
        assert reply["message"] == f"Order ADMIN-{reply['seq']} created for team TeamA"
        ack = await until(a, "ORDER_ACK")
        assert (ack["clOrdID"], ack["status"]) == (reply["clOrdID"], "PENDING")
        await adm.send({"type": "REQUEST_ORDER_BOOK", "product": "GUACA"})
        book = await until(adm, "ORDER_BOOK_UPDATE")
        while book["product"] != "GUACA":  # a push for another product may come first
            book = await until(adm, "ORDER_BOOK_UPDATE")
        entry = next(o for o in book["sellOrders"] if o["clOrdID"] == reply["clOrdID"])
        assert entry["message"] == "Admin order: house rules"
        err = await ask(adm, {"type": "ADMIN_CREATE_ORDER", "teamName": "TeamA", "side": "SELL", "mode": "LIMIT",
                              "product": "GUACA", "qty": 10_000, "limitPrice": 88})
        assert err["code"] == "INSUFFICIENT_INVENTORY" and err["clOrdID"].startswith("ADMIN-")
        await ask(adm, {"type": "ADMIN_CANCEL_ORDER", "clOrdID": reply["clOrdID"], "teamName": "TeamA"})
    finally:
        await adm.close()
        await a.close()


# --- broadcast and tournament state --------------------------------------------------------------------------
async def test_admin_broadcast_reaches_everyone(server: ServerProcess) -> None:
    adm, c = await connect(server, ADMIN), await connect(server, TOKENS["TeamC"])
    try:
        reply = await ask(adm, {"type": "ADMIN_BROADCAST", "message": "Ten minutes left"})
        assert (reply["action"], reply["message"], "seq" in reply) == ("BROADCAST", "Message broadcast to all users",
                                                                       False)
        note = await until(c, "BROADCAST_NOTIFICATION")
        assert (note["message"], note["sender"]) == ("Ten minutes left", "admin")
        err = await ask(adm, {"type": "ADMIN_BROADCAST", "message": ""})
        assert err["reason"] == "Message is required"
    finally:
        await adm.close()
        await c.close()


async def test_tournament_control_pauses_opens_and_schedules(server: ServerProcess) -> None:
    adm, c = await connect(server, ADMIN), await connect(server, TOKENS["TeamC"])
    try:
        reply = await ask(adm, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "PAUSE"})
        assert (reply["action"], reply["message"]) == ("TOURNAMENT_CONTROL", "Tournament is PAUSED")
        state = await until(c, "TOURNAMENT_STATE")
        assert (state["state"], state["seq"]) == ("PAUSED", reply["seq"])
        note = await until(c, "BROADCAST_NOTIFICATION")
        assert (note["message"], note["sender"]) == ("Market is paused", "system")
        await c.order("tc-1", "BUY", "LIMIT", "GUACA", 1, "1")
        err = await until(c, "ERROR")
        assert (err["code"], err["reason"]) == ("SERVICE_UNAVAILABLE", "Market is closed")
        paused = await ask(adm, {"type": "ADMIN_CREATE_ORDER", "teamName": "TeamC", "side": "BUY", "mode": "LIMIT",
                                 "product": "GUACA", "qty": 1, "limitPrice": 1})
        assert paused["reason"] == "Market is closed"

        ends = _iso(3600)
        reply = await ask(adm, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN", "endsAt": ends})
        assert reply["message"] == "Tournament is OPEN"
        state = await until(c, "TOURNAMENT_STATE")
        assert state["state"] == "OPEN" and state["endsAt"][:19] == ends[:19]
        cleared = await ask(adm, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN", "endsAt": ""})
        assert cleared["success"] is True
        assert "endsAt" not in await until(c, "TOURNAMENT_STATE")
        for frame, reason in [
            ({"action": "STOP"}, "Action must be OPEN, PAUSE or CLOSE"),
            ({"action": "OPEN", "endsAt": "soon"}, "Invalid endsAt timestamp format"),
            ({"action": "OPEN", "endsAt": _iso(-60)}, "endsAt must be in the future"),
        ]:
            err = await ask(adm, {"type": "ADMIN_TOURNAMENT_CONTROL", **frame})
            assert (err["code"], err["reason"]) == ("INVALID_MESSAGE", reason)
    finally:
        await adm.close()
        await c.close()


async def test_reset_tournament_config_resets_listed_teams_at_once(server: ServerProcess) -> None:
    adm, c = await connect(server, ADMIN), await connect(server, TOKENS["TeamC"])
    try:
        await c.order("rt-1", "BUY", "LIMIT", "PITA", 1, "1")
        await until(c, "ORDER_ACK")
        configs = [{"teamName": "TeamC", "inventory": {"PITA": 4}}, {"teamName": "admin"}]
        reply = await ask(adm, {"type": "RESET_TOURNAMENT_CONFIG", "balance": 400, "teamConfigs": configs})
        assert reply["type"] == "TOURNAMENT_RESET_COMPLETE" and reply["success"] is True
        assert reply["teamsReset"] == 1 and reply["ordersCanceled"] >= 1
        assert reply["message"] == f"Tournament reset: 1 teams configured, {reply['ordersCanceled']} orders cancelled"
        ack = await until(c, "ORDER_ACK")
        assert (ack["reason"], ack["seq"]) == ("RESET", reply["seq"])
        assert (await until(c, "BALANCE_UPDATE"))["balance"] == 400
        assert (await until(c, "INVENTORY_UPDATE"))["inventory"] == {"GUACA": 0, "FOSFO": 0, "PITA": 4}
        for frame, reason in [
            ({"teamConfigs": [{"teamName": "TeamC"}]}, "Balance is required"),
            ({"balance": -1, "teamConfigs": [{"teamName": "TeamC"}]}, "Balance cannot be negative"),
            ({"balance": 1, "teamConfigs": []}, "No team configurations provided"),
            ({"balance": 1, "teamConfigs": [{"teamName": "Ghost"}]}, "Team not found: Ghost"),
            ({"balance": 1, "teamConfigs": [{"teamName": "TeamC"}, {"teamName": "TeamC"}]}, "Duplicate team: TeamC"),
        ]:
            err = await ask(adm, {"type": "RESET_TOURNAMENT_CONFIG", **frame})
            assert (err["code"], err["reason"]) == ("INVALID_MESSAGE", reason)
    finally:
        await adm.close()
        await c.close()


# --- teams ------------------------------------------------------------------------------------------------
async def test_seed_teams_creates_teams_that_can_log_in(server: ServerProcess) -> None:
    adm = await connect(server, ADMIN)
    try:
        reply = await ask(adm, {"type": "SEED_TEAMS", "teams": [
            {"teamName": "Seeded", "token": "TK-SEEDED-1", "species": "Cosechadores de Pita", "initialBalance": 250},
            {"teamName": "TeamA", "token": "TK-OTHER"},
            {"teamName": "Broken", "token": "no-prefix"},
        ]})
        assert reply["type"] == "TEAMS_SEEDED"
        assert (reply["success"], reply["teamsCreated"], reply["teamsSkipped"], reply["teamsFailed"]) == (
            False, 1, 1, 1)
        assert reply["message"] == "Created 1 teams, 1 skipped, 1 failed"
        assert len(reply["errors"]) == 1 and reply["errors"][0].startswith("Broken: ")
        no_tokens(reply)
        seeded = await connect(server, "TK-SEEDED-1")
        assert seeded.login_ok is not None
        assert (seeded.login_ok["team"], seeded.login_ok["currentBalance"]) == ("Seeded", 250)
        await seeded.close()
    finally:
        await adm.close()


async def test_update_all_recipes_counts_teams_with_a_species(server: ServerProcess) -> None:
    adm = await connect(server, ADMIN)
    try:
        reply = await ask(adm, {"type": "UPDATE_ALL_RECIPES"})
        assert reply["type"] == "RECIPES_UPDATED" and reply["success"] is True
        n = reply["teamsUpdated"]
        assert n >= 2 and reply["message"] == f"Updated recipes for {n} teams"
    finally:
        await adm.close()


async def test_connected_sessions_list_sessions_then_stats_without_tokens(server: ServerProcess) -> None:
    adm, b = await connect(server, ADMIN), await connect(server, TOKENS["TeamB"])
    try:
        sessions = await ask(adm, {"type": "REQUEST_CONNECTED_SESSIONS"})
        assert sessions["type"] == "CONNECTED_SESSIONS"
        teams = {s["teamName"] for s in sessions["sessions"]}
        assert {"admin", "TeamB"} <= teams
        one = next(s for s in sessions["sessions"] if s["teamName"] == "TeamB")
        assert set(one) >= {"teamName", "remoteAddr", "clientType", "connectedAt", "lastActivity", "authenticated"}
        stats = await adm.expect("SERVER_STATS")
        assert set(stats["stats"]) == {"totalConnections", "uniqueTeams", "totalOrders", "totalFills", "uptime"}
        no_tokens(sessions)
        available = await ask(adm, {"type": "GET_AVAILABLE_TEAMS"})
        assert available["type"] == "AVAILABLE_TEAMS"
        assert {t["teamName"] for t in available["teams"]} >= {"admin", "TeamB"}
        assert available["count"] == len(available["teams"])
        every = await ask(adm, {"type": "GET_ALL_TEAMS"})
        assert {"TeamA", "TeamB", "TeamC", "admin"} <= {t["teamName"] for t in every["teams"]}
        assert next(t for t in every["teams"] if t["teamName"] == "admin")["admin"] is True
        no_tokens(every)
    finally:
        await adm.close()
        await b.close()


async def test_team_activity_lists_orders_fills_and_productions(server: ServerProcess) -> None:
    adm = await connect(server, ADMIN)
    try:
        reply = await ask(adm, {"type": "GET_TEAM_ACTIVITY", "teamName": "TeamA"})
        assert reply["type"] == "TEAM_ACTIVITY" and reply["teamName"] == "TeamA"
        assert reply["count"] == len(reply["activities"]) > 0
        actions = {a["action"] for a in reply["activities"]}
        assert {"ORDER", "PRODUCTION"} <= actions
        err = await ask(adm, {"type": "GET_TEAM_ACTIVITY", "teamName": "Ghost"})
        assert (err["code"], err["reason"]) == ("INVALID_MESSAGE", "Team not found: Ghost")
        err = await ask(adm, {"type": "GET_TEAM_ACTIVITY"})
        assert err["reason"] == "TeamName is required"
    finally:
        await adm.close()


async def test_sdk_emulator_needs_debug_mode(server: ServerProcess) -> None:
    adm = await connect(server, ADMIN)
    try:
        err = await ask(adm, {"type": "SDK_EMULATOR", "targetTeam": "TeamA", "messageType": "OFFER"})
        assert (err["code"], err["reason"]) == ("SERVICE_UNAVAILABLE", "Debug mode is disabled")
    finally:
        await adm.close()


async def test_sdk_emulator_relays_to_the_target_team_in_debug_mode(debug_server: ServerProcess) -> None:
    adm, a = await connect(debug_server, ADMIN), await connect(debug_server, TOKENS["TeamA"])
    try:
        ack = await ask(adm, {"type": "SDK_EMULATOR", "targetTeam": "TeamA", "messageType": "OFFER",
                              "messagePayload": {"offerId": "EMU-1", "product": "GUACA"}})
        assert (ack["type"], ack["messageType"], ack["success"], ack["targetTeam"]) == (
            "SDK_EMULATOR_ACK", "OFFER", True, "TeamA")
        relayed = await until(a, "OFFER")
        assert relayed == {"type": "OFFER", "offerId": "EMU-1", "product": "GUACA", "emulated": True}
        for frame, reason in [({"messageType": "OFFER"}, "targetTeam is required"),
                              ({"targetTeam": "TeamA"}, "messageType is required"),
                              ({"targetTeam": "Ghost", "messageType": "OFFER"}, "Team not found: Ghost")]:
            err = await ask(adm, {"type": "SDK_EMULATOR", **frame})
            assert (err["code"], err["reason"]) == ("INVALID_MESSAGE", reason)
    finally:
        await adm.close()
        await a.close()
