"""Referee commands in the engine (PROTOCOL.md §4.11, §4.13, §4.14): effects, replies, refusals."""

from __future__ import annotations

import pytest

from avex.domain.catalogue import MAX_GOODS, token_hash
from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.engine import Engine
from avex.engine.outcome import Applied, Refused

from .support import (
    ADMIN,
    T0,
    acct,
    book,
    buy,
    cash,
    goods,
    goods_reserved,
    kinds,
    ledger_sum,
    market_engine,
    no,
    of,
    ok,
    one,
    sell,
    status,
)


def reply(out: Applied) -> tuple[str, dict]:
    r = out.events[-1]
    assert isinstance(r, E.Reply), "the reply is the command's last event"
    assert len(of(out, E.Reply)) == 1
    return r.msg_type, r.fields


ADMIN_COMMANDS = [
    C.AdminCreateOrder("TeamA", "TeamB", "BUY", "LIMIT", "GUACA", 1, 100),
    C.AdminCancelOrder("TeamA", "TeamB", "x"),
    C.AdminCancelAll("TeamA"),
    C.AddInventory("TeamA", "TeamA", "GUACA", 1),
    C.UpdateTeam("TeamA", "TeamA", 10**9),
    C.UpdateMembers("TeamA", "TeamA", "me"),
    C.ResetTeamBalance("TeamA", "TeamA"),
    C.ResetTeamInventory("TeamA", "TeamA"),
    C.ResetTeamProduction("TeamA", "TeamA"),
    C.TournamentControl("TeamA", "CLOSE"),
    C.ResetTournament("TeamA", 0, [C.TeamConfig("TeamA")]),
    C.SeedTeams("TeamA", [C.SeedTeam("New", token_hash("TK-NEW"))]),
]


@pytest.mark.parametrize("cmd", ADMIN_COMMANDS, ids=lambda c: type(c).__name__)
def test_admin_commands_from_a_non_admin_team_are_refused(engine: Engine, cmd: C.Command) -> None:
    assert no(engine, cmd) == Refused("AUTH_FAILED", "Admin access required")


@pytest.mark.parametrize(
    "cmd",
    [
        C.AdminCreateOrder(ADMIN, "Ghost", "BUY", "LIMIT", "GUACA", 1, 100),
        C.AdminCancelOrder(ADMIN, "Ghost", "x"),
        C.AddInventory(ADMIN, "Ghost", "GUACA", 1),
        C.UpdateTeam(ADMIN, "Ghost", 100),
        C.UpdateMembers(ADMIN, "Ghost", "x"),
        C.ResetTeamBalance(ADMIN, "Ghost"),
        C.ResetTeamInventory(ADMIN, "Ghost"),
        C.ResetTeamProduction(ADMIN, "Ghost"),
        C.ResetTournament(ADMIN, 0, [C.TeamConfig("Ghost")]),
        C.AddInventory(ADMIN, "SERVER", "GUACA", 1),
    ],
    ids=lambda c: type(c).__name__,
)
def test_admin_commands_for_an_unknown_team_are_refused(engine: Engine, cmd: C.Command) -> None:
    team = getattr(cmd, "team", None) or cmd.configs[0].team  # type: ignore[attr-defined]
    assert no(engine, cmd) == Refused("INVALID_MESSAGE", f"Team not found: {team}")


def test_unknown_admin_name_is_not_an_admin(engine: Engine) -> None:
    assert no(engine, C.AdminCancelAll("Ghost")) == Refused("AUTH_FAILED", "Admin access required")


def test_team_flagged_admin_in_the_file_is_an_admin() -> None:
    from avex.domain.catalogue import TeamSpec

    from .support import market_tournament

    t = market_tournament(teams=(TeamSpec("Ref", "TK-REF", 0, admin=True), TeamSpec("P", "TK-P", 100)))
    eng = Engine(t)
    eng.now = T0
    assert reply(ok(eng, C.AdminCancelAll("Ref")))[1]["count"] == 0


# --- ADMIN_CREATE_ORDER -----------------------------------------------------------------------------------
def test_admin_create_order_places_an_order_for_the_team_with_a_generated_id(engine: Engine) -> None:
    out = ok(engine, C.AdminCreateOrder(ADMIN, "TeamA", "SELL", "LIMIT", "GUACA", 2, 1600, message="hi"))
    acc = one(out, E.OrderAccepted)
    assert (acc.team, acc.cl, acc.message, acc.origin) == ("TeamA", f"ADMIN-{out.seq}", "Admin order: hi", "ADMIN")
    assert reply(out) == ("ADMIN_ACTION_RESPONSE", {
        "action": "CREATE_ORDER", "success": True, "message": f"Order ADMIN-{out.seq} created for team TeamA",
        "clOrdID": f"ADMIN-{out.seq}",
    })
    assert kinds(out) == ["OrderAccepted", "InventoryChanged", "Reply"]
    assert book(engine) == ([], [(f"ADMIN-{out.seq}", 1600, 2)])


def test_admin_order_without_message_says_admin_order(engine: Engine) -> None:
    out = ok(engine, C.AdminCreateOrder(ADMIN, "TeamA", "SELL", "LIMIT", "GUACA", 1, 1600))
    assert one(out, E.OrderAccepted).message == "Admin order"


def test_admin_order_trades_like_an_order_of_the_team(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 2, 1600))
    out = ok(engine, C.AdminCreateOrder(ADMIN, "TeamB", "BUY", "MARKET", "GUACA", 3, None))
    f = one(out, E.Fill)
    assert (f.buy_team, f.buy_cl, f.qty, f.price, f.buy_msg) == ("TeamB", f"ADMIN-{out.seq}", 2, 1600, "Admin order")
    assert one(out, E.OrderCancelled).reason == "MARKET_REMAINDER"


def test_admin_order_id_gets_a_suffix_when_taken(engine: Engine) -> None:
    ok(engine, sell("TeamA", "ADMIN-2", 1, 2000))
    out = ok(engine, C.AdminCreateOrder(ADMIN, "TeamA", "SELL", "LIMIT", "GUACA", 1, 2100))
    assert out.seq == 2
    assert one(out, E.OrderAccepted).cl == "ADMIN-2-1"


def test_admin_order_rejection_is_a_command_with_the_generated_id_and_no_reply(engine: Engine) -> None:
    out = ok(engine, C.AdminCreateOrder(ADMIN, "TeamC", "BUY", "LIMIT", "GUACA", 100, 1000))
    rej = one(out, E.OrderRejected)
    assert (rej.team, rej.cl, rej.reason) == (
        "TeamC", f"ADMIN-{out.seq}", "Insufficient balance: need 1000.00, available 50.00",
    )
    assert of(out, E.Reply) == []
    assert status(engine, "TeamC", f"ADMIN-{out.seq}") == "REJECTED"


def test_admin_order_product_and_state_refusals_carry_no_clordid(engine: Engine) -> None:
    assert no(engine, C.AdminCreateOrder(ADMIN, "TeamA", "BUY", "LIMIT", "USD", 1, 100)) == Refused(
        "INVALID_PRODUCT", "invalid product: USD"
    )
    ok(engine, C.TournamentControl(ADMIN, "PAUSE"))
    assert no(engine, C.AdminCreateOrder(ADMIN, "TeamA", "BUY", "LIMIT", "GUACA", 1, 100)) == Refused(
        "SERVICE_UNAVAILABLE", "Market is closed"
    )


# --- ADMIN_CANCEL_ORDER / ADMIN_CANCEL_ALL_ORDERS ------------------------------------------------------
def test_admin_cancel_order_cancels_with_reason_admin_and_replies(engine: Engine) -> None:
    ok(engine, buy("TeamB", "b1", 2, 1000))
    out = ok(engine, C.AdminCancelOrder(ADMIN, "TeamB", "b1"))
    assert kinds(out) == ["OrderCancelled", "BalanceChanged", "Reply"]
    assert one(out, E.OrderCancelled).reason == "ADMIN"
    assert reply(out)[1] == {
        "action": "CANCEL_ORDER", "success": True, "message": "Successfully cancelled order b1", "count": 1,
    }
    assert cash(engine, "TeamB") == (100000, 0)


def test_admin_cancel_order_refusals_are_cancel_rows_4_to_7(engine: Engine) -> None:
    ok(engine, sell("TeamA", "filled", 1, 1600))
    ok(engine, buy("TeamB", "b", 1, 1600))
    ok(engine, sell("TeamA", "gone", 1, 1600))
    ok(engine, C.CancelOrder("TeamA", "gone"))
    ok(engine, buy("TeamC", "rej", 100, 1000))
    cases = [
        ("TeamA", "nope", "Order not found"),
        ("TeamB", "filled", "Order not found"),  # the team is part of the lookup
        ("TeamA", "filled", "Cannot cancel filled order"),
        ("TeamA", "gone", "Order already cancelled"),
        ("TeamC", "rej", "Cannot cancel rejected order"),
    ]
    for team, cl, reason in cases:
        assert no(engine, C.AdminCancelOrder(ADMIN, team, cl)) == Refused("INVALID_ORDER", reason, cl)


def test_admin_cancel_all_cancels_every_open_order_in_seq_order(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 2000))
    ok(engine, buy("TeamB", "b1", 1, 1000))
    ok(engine, sell("TeamA", "a2", 1, 2100, product="FOSFO"))
    out = ok(engine, C.AdminCancelAll(ADMIN))
    assert [(c.team, c.cl, c.reason) for c in of(out, E.OrderCancelled)] == [
        ("TeamA", "a1", "ADMIN"), ("TeamB", "b1", "ADMIN"), ("TeamA", "a2", "ADMIN"),
    ]
    assert reply(out)[1] == {
        "action": "CANCEL_ALL_ORDERS", "success": True, "message": "Successfully cancelled 3 orders", "count": 3,
    }
    assert engine.open_orders() == []
    assert goods_reserved(engine, "TeamA", "GUACA") == 0
    assert cash(engine, "TeamB") == (100000, 0)


def test_admin_cancel_all_with_nothing_open_is_still_a_command(engine: Engine) -> None:
    out = ok(engine, C.AdminCancelAll(ADMIN))
    assert (out.seq, kinds(out)) == (1, ["Reply"])
    assert reply(out)[1]["message"] == "Successfully cancelled 0 orders"


# --- ADD_INVENTORY ----------------------------------------------------------------------------------------
def test_add_inventory_adds_goods_with_an_admin_add_ledger_row(engine: Engine) -> None:
    out = ok(engine, C.AddInventory(ADMIN, "TeamC", "FOSFO", 7))
    assert goods(engine, "TeamC", "FOSFO") == 7
    assert [(e.team, e.asset, e.delta, e.balance_after, e.reason, e.ref) for e in of(out, E.Ledger)] == [
        ("TeamC", "FOSFO", 7, 7, "ADMIN_ADD", str(out.seq)),
    ]
    assert one(out, E.InventoryChanged) == E.InventoryChanged.of("TeamC", [0, 7, 0, 0], [0, 7, 0, 0])
    assert reply(out) == ("INVENTORY_ADDED", {"success": True, "message": "Added 7 FOSFO to TeamC's inventory"})


def test_add_inventory_refuses_unknown_products_and_totals_over_the_bound(engine: Engine) -> None:
    assert no(engine, C.AddInventory(ADMIN, "TeamC", "USD", 1)) == Refused("INVALID_PRODUCT", "invalid product: USD")
    ok(engine, C.UpdateTeam(ADMIN, "TeamC", inventory={"FOSFO": MAX_GOODS - 1}))
    assert no(engine, C.AddInventory(ADMIN, "TeamC", "FOSFO", 2)) == Refused(
        "INVALID_QUANTITY", "Quantity would exceed 2147483647 for FOSFO"
    )
    ok(engine, C.AddInventory(ADMIN, "TeamC", "FOSFO", 1))
    assert goods(engine, "TeamC", "FOSFO") == MAX_GOODS


# --- UPDATE_TEAM ----------------------------------------------------------------------------------------
def test_update_team_sets_only_the_given_fields_with_admin_update_rows(engine: Engine) -> None:
    out = ok(engine, C.UpdateTeam(ADMIN, "TeamA", 123456, {"FOSFO": 3}))
    assert cash(engine, "TeamA") == (123456, 0)
    assert [goods(engine, "TeamA", p) for p in ("GUACA", "FOSFO")] == [20, 3]
    assert [(e.asset, e.delta, e.balance_after, e.reason) for e in of(out, E.Ledger)] == [
        ("CASH", 23456, 123456, "ADMIN_UPDATE"), ("FOSFO", -7, 3, "ADMIN_UPDATE"),
    ]
    assert kinds(out)[-3:] == ["BalanceChanged", "InventoryChanged", "Reply"]
    assert reply(out) == ("TEAM_UPDATED", {"success": True, "message": "Team TeamA updated successfully"})


def test_update_team_with_only_inventory_leaves_cash_alone(engine: Engine) -> None:
    out = ok(engine, C.UpdateTeam(ADMIN, "TeamA", inventory={"PITA": 4}))
    assert cash(engine, "TeamA") == (100000, 0)
    assert of(out, E.BalanceChanged) == []


def test_update_team_to_the_same_values_changes_nothing_but_replies(engine: Engine) -> None:
    out = ok(engine, C.UpdateTeam(ADMIN, "TeamA", 100000, {"GUACA": 20}))
    assert kinds(out) == ["Reply"]


@pytest.mark.parametrize(
    ("balance", "inventory"), [(-1, None), (None, {"GUACA": -1}), (5, {"GUACA": 1, "FOSFO": -2})]
)
def test_update_team_refuses_negative_values(engine: Engine, balance: int | None, inventory: dict | None) -> None:
    assert no(engine, C.UpdateTeam(ADMIN, "TeamA", balance, inventory)) == Refused(
        "INVALID_MESSAGE", "Invalid UPDATE_TEAM message format"
    )


def test_update_team_refuses_unknown_products_and_totals_over_the_bound(engine: Engine) -> None:
    assert no(engine, C.UpdateTeam(ADMIN, "TeamA", inventory={"USD": 1})) == Refused(
        "INVALID_PRODUCT", "invalid product: USD"
    )
    assert no(engine, C.UpdateTeam(ADMIN, "TeamA", inventory={"FOSFO": MAX_GOODS + 1})) == Refused(
        "INVALID_QUANTITY", "Quantity would exceed 2147483647 for FOSFO"
    )


def test_update_team_refuses_values_below_reservations(engine: Engine) -> None:
    ok(engine, buy("TeamA", "b", 2, 1000, product="SEBO"))  # reserves 20.00
    ok(engine, sell("TeamA", "s", 5, 2000))
    assert no(engine, C.UpdateTeam(ADMIN, "TeamA", 1999)) == Refused(
        "INVALID_MESSAGE", "Value below reserved amount for CASH"
    )
    assert no(engine, C.UpdateTeam(ADMIN, "TeamA", inventory={"GUACA": 4})) == Refused(
        "INVALID_MESSAGE", "Value below reserved amount for GUACA"
    )
    ok(engine, C.UpdateTeam(ADMIN, "TeamA", 2000, {"GUACA": 5}))
    assert cash(engine, "TeamA") == (2000, 2000)


# --- UPDATE_TEAM_MEMBERS ---------------------------------------------------------------------------------
def test_update_members_changes_members_only(engine: Engine) -> None:
    out = ok(engine, C.UpdateMembers(ADMIN, "TeamB", "Ana, Beto"))
    assert acct(engine, "TeamB").members == "Ana, Beto"
    assert one(out, E.TeamChanged) == E.TeamChanged("TeamB", "Ana, Beto", 100000, {"PITA": 10})
    assert reply(out) == (
        "TEAM_MEMBERS_UPDATED", {"success": True, "message": "Team TeamB members updated successfully"},
    )
    assert of(out, E.Ledger) == []


# --- team resets --------------------------------------------------------------------------------------------
def test_reset_team_balance_cancels_its_orders_and_restores_initial_cash(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 5, 1600))
    ok(engine, buy("TeamB", "b1", 5, 1600))  # TeamA earns 80.00
    ok(engine, buy("TeamA", "a2", 1, 1000, product="SEBO"))
    ok(engine, sell("TeamA", "a3", 1, 1000, product="FOSFO"))
    ok(engine, buy("TeamB", "other", 1, 1000, product="SEBO"))
    out = ok(engine, C.ResetTeamBalance(ADMIN, "TeamA"))
    assert [(c.cl, c.reason) for c in of(out, E.OrderCancelled)] == [("a2", "ADMIN"), ("a3", "ADMIN")]
    assert cash(engine, "TeamA") == (100000, 0)
    assert [(e.asset, e.delta, e.reason) for e in of(out, E.Ledger)] == [("CASH", -8000, "ADMIN_RESET")]
    assert goods(engine, "TeamA", "GUACA") == 15, "goods are untouched"
    assert status(engine, "TeamB", "other") == "PENDING"
    assert reply(out) == ("TEAM_UPDATED", {"success": True, "message": "Team TeamA balance reset successfully"})


def test_reset_team_inventory_cancels_its_orders_and_restores_initial_goods(engine: Engine) -> None:
    ok(engine, C.AddInventory(ADMIN, "TeamA", "SEBO", 4))
    ok(engine, sell("TeamA", "a1", 3, 1600))
    ok(engine, buy("TeamB", "b1", 3, 1600))
    ok(engine, sell("TeamA", "a2", 2, 2000))
    out = ok(engine, C.ResetTeamInventory(ADMIN, "TeamA"))
    assert [(c.cl, c.reason) for c in of(out, E.OrderCancelled)] == [("a2", "ADMIN")]
    assert [goods(engine, "TeamA", p) for p in ("GUACA", "FOSFO", "PITA", "SEBO")] == [20, 10, 0, 0]
    assert goods_reserved(engine, "TeamA", "GUACA") == 0
    assert [(e.asset, e.delta, e.reason) for e in of(out, E.Ledger)] == [
        ("GUACA", 3, "ADMIN_RESET"), ("SEBO", -4, "ADMIN_RESET"),
    ]
    assert cash(engine, "TeamA") == (100000 + 4800, 0), "cash is untouched"
    assert reply(out)[1]["message"] == "Team TeamA inventory reset successfully"


def test_reset_team_production_replies(engine: Engine) -> None:
    out = ok(engine, C.ResetTeamProduction(ADMIN, "TeamA"))
    assert kinds(out) == ["CooldownCleared", "Reply"]
    assert reply(out) == ("TEAM_UPDATED", {"success": True, "message": "Team TeamA production reset successfully"})


# --- RESET_TOURNAMENT_CONFIG ----------------------------------------------------------------------------
def test_reset_tournament_resets_listed_teams_cancels_everything_and_restarts_statistics() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 2, 1000))
    ok(eng, buy("Bob", "b1", 2, 1000))
    ok(eng, buy("Cat", "c1", 1, 900))
    ok(eng, C.Produce("Ann", "FOSFO", 1))
    ok(eng, C.Produce("Bob", "PITA", 1))
    out = ok(eng, C.ResetTournament(ADMIN, 50000, [C.TeamConfig("Ann", {"FOSFO": 5}), C.TeamConfig("Bob")]))
    assert [(c.team, c.cl, c.reason) for c in of(out, E.OrderCancelled)] == [("Cat", "c1", "RESET")]
    assert cash(eng, "Ann") == (50000, 0) and cash(eng, "Bob") == (50000, 0)
    assert acct(eng, "Ann").goods == [0, 5, 0, 0] and acct(eng, "Bob").goods == [0, 0, 0, 0]
    assert (acct(eng, "Ann").initial_balance, acct(eng, "Ann").initial_inventory) == (50000, [0, 5, 0, 0])
    # unlisted teams keep their money (only the reservation is released)
    assert cash(eng, "Cat") == (100000, 0)
    assert reply(out) == ("TOURNAMENT_RESET_COMPLETE", {
        "success": True, "teamsReset": 2, "ordersCanceled": 1,
        "message": "Tournament reset: 2 teams configured, 1 orders cancelled",
    })
    assert {e.reason for e in of(out, E.Ledger)} == {"TOURNAMENT_RESET"}
    assert ledger_sum(out.events, "Ann", "CASH") == 50000 - 102000
    assert [e.name for e in of(out, E.TeamChanged)] == ["Ann", "Bob"]
    assert len(of(out, E.StatsReset)) == 1 and len(of(out, E.BucketsRefilled)) == 1
    assert eng.stats_since_seq == out.seq
    # statistics restart: no last price, no volume, the mark is the reference price again
    assert eng.stats["GUACA"].last_price is None
    assert eng.volume24h("GUACA") == 0
    assert eng.marks()[0] == 1530
    # the listed teams' cooldowns are cleared
    ok(eng, C.Produce("Ann", "FOSFO", 1))
    ok(eng, C.Produce("Bob", "PITA", 1))


def test_reset_tournament_always_sends_both_updates_to_listed_teams() -> None:
    eng = market_engine()
    out = ok(eng, C.ResetTournament(ADMIN, 100000, [C.TeamConfig("Ann", {"GUACA": 100, "FOSFO": 100})]))
    assert of(out, E.Ledger) == []
    assert of(out, E.BalanceChanged) == [E.BalanceChanged("Ann", 100000, 0)]
    assert of(out, E.InventoryChanged) == [E.InventoryChanged.of("Ann", [100, 100, 0, 0], [100, 100, 0, 0])]
    assert kinds(out) == ["TeamChanged", "StatsReset", "BucketsRefilled", "BalanceChanged", "InventoryChanged", "Reply"]


def test_reset_tournament_keeps_unlisted_cooldowns_state_and_house() -> None:
    eng = market_engine(debug_mode=True)
    ok(eng, buy("Cat", "h", 1, 1000, debug="AUTO_ACCEPT"))  # the house sells one GUACA
    ok(eng, C.Produce("Ann", "FOSFO", 1))
    ok(eng, C.TournamentControl(ADMIN, "PAUSE"))
    ok(eng, C.ResetTournament(ADMIN, 100, [C.TeamConfig("Bob")]))
    assert eng.state == "PAUSED"
    assert (eng.house.cash, eng.house.goods[0]) == (1000, -1)
    ok(eng, C.TournamentControl(ADMIN, "OPEN"))
    assert no(eng, C.Produce("Ann", "FOSFO", 1)).code == "RATE_LIMIT_EXCEEDED"


def test_reset_tournament_ignores_listed_admin_teams() -> None:
    eng = market_engine()
    out = ok(eng, C.ResetTournament(ADMIN, 0, [C.TeamConfig(ADMIN, {"GUACA": 1}), C.TeamConfig("Dan")]))
    assert reply(out)[1]["teamsReset"] == 1
    assert cash(eng, ADMIN) == (100000, 0) and goods(eng, ADMIN, "GUACA") == 100
    assert cash(eng, "Dan") == (0, 0)


@pytest.mark.parametrize(
    ("balance", "configs", "code", "reason"),
    [
        (-1, [C.TeamConfig("Ann")], "INVALID_MESSAGE", "Balance cannot be negative"),
        (0, [], "INVALID_MESSAGE", "No team configurations provided"),
        (0, [C.TeamConfig("Ann"), C.TeamConfig("Ghost")], "INVALID_MESSAGE", "Team not found: Ghost"),
        (0, [C.TeamConfig("Ann"), C.TeamConfig("Ann")], "INVALID_MESSAGE", "Duplicate team: Ann"),
        (0, [C.TeamConfig("Ann"), C.TeamConfig("Bob", {"USD": 1})], "INVALID_PRODUCT", "invalid product: USD"),
        (0, [C.TeamConfig("Ann"), C.TeamConfig("Bob", {"GUACA": -1})], "INVALID_QUANTITY",
         "Quantity cannot be negative"),
        (0, [C.TeamConfig("Bob", {"GUACA": MAX_GOODS + 1})], "INVALID_QUANTITY",
         "Quantity would exceed 2147483647 for GUACA"),
    ],
)
def test_reset_tournament_is_all_or_nothing(balance: int, configs: list, code: str, reason: str) -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 1, 2000))
    assert no(eng, C.ResetTournament(ADMIN, balance, configs)) == Refused(code, reason)
    assert status(eng, "Ann", "a1") == "PENDING"


def test_reset_tournament_changes_the_baseline_of_listed_teams() -> None:
    eng = market_engine()
    ok(eng, C.ResetTournament(ADMIN, 50000, [C.TeamConfig("Ann", {"FOSFO": 4})]))
    assert eng.baseline(acct(eng, "Ann")) == 50000 + 4 * 1250


# --- SEED_TEAMS -------------------------------------------------------------------------------------------
def test_seed_teams_creates_teams_with_default_role_and_species_authorization(engine: Engine) -> None:
    out = ok(engine, C.SeedTeams(ADMIN, [
        C.SeedTeam("New", token_hash("TK-NEW"), "Cosechadores de Pita", 250000, {"PITA": 3}),
        C.SeedTeam("Plain", token_hash("TK-PLAIN")),
    ]))
    assert reply(out) == ("TEAMS_SEEDED", {
        "success": True, "teamsCreated": 2, "teamsSkipped": 0, "teamsFailed": 0, "errors": [],
        "message": "Created 2 teams, 0 skipped, 0 failed",
    })
    created = of(out, E.TeamCreated)
    assert [(t.name, t.species, t.admin, t.initial_balance, t.initial_inventory) for t in created] == [
        ("New", "Cosechadores de Pita", False, 250000, {"PITA": 3}),
        ("Plain", None, False, 1_000_000, {}),
    ]
    assert created[0].token_hash == token_hash("TK-NEW")
    ref = str(out.seq)
    assert [(e.team, e.asset, e.delta, e.reason, e.ref) for e in of(out, E.Ledger)] == [
        ("New", "CASH", 250000, "INITIAL", ref), ("New", "PITA", 3, "INITIAL", ref),
        ("Plain", "CASH", 1_000_000, "INITIAL", ref),
    ]
    new = acct(engine, "New")
    assert (new.authorized, new.max_basic, new.max_premium) == (("PITA", "SEBO"), 113, 147)
    assert engine.login(token_hash("TK-NEW")) is new
    assert acct(engine, "Plain").authorized == ()
    # a seeded team trades and produces like any other
    ok(engine, C.Produce("New", "PITA", 5))
    assert one(ok(engine, sell("New", "n1", 8, 900, product="PITA")), E.OrderAccepted).team == "New"


def test_seed_teams_skips_existing_names_and_reports_failures(engine: Engine) -> None:
    long_name = "x" * 65
    out = ok(engine, C.SeedTeams(ADMIN, [
        C.SeedTeam("TeamA", token_hash("TK-OTHER")),
        C.SeedTeam("Ok", token_hash("TK-OK")),
        C.SeedTeam("Dup", token_hash("TK-OK")),
        C.SeedTeam("Taken", token_hash("TK-A")),
        C.SeedTeam("SERVER", token_hash("TK-S")),
        C.SeedTeam("", token_hash("TK-E")),
        C.SeedTeam(long_name, token_hash("TK-L")),
        C.SeedTeam("Spec", token_hash("TK-SP"), "Martians"),
        C.SeedTeam("Poor", token_hash("TK-P"), balance=-1),
        C.SeedTeam("Junk", token_hash("TK-J"), inventory={"USD": 1}),
        C.SeedTeam("Neg", token_hash("TK-N"), inventory={"GUACA": -1}),
        C.SeedTeam("Bad", "", error="Bad: invalid token"),
        C.SeedTeam("Ok", token_hash("TK-OK2")),
    ]))
    assert reply(out) == ("TEAMS_SEEDED", {
        "success": False, "teamsCreated": 1, "teamsSkipped": 2, "teamsFailed": 10,
        "errors": [
            "Dup: token already in use", "Taken: token already in use", "SERVER: invalid team name",
            ": invalid team name", f"{long_name}: invalid team name", "Spec: unknown species: Martians",
            "Poor: balance cannot be negative", "Junk: invalid product: USD", "Neg: invalid quantity for GUACA: -1",
            "Bad: invalid token",
        ],
        "message": "Created 1 teams, 2 skipped, 10 failed",
    })
    assert [t.name for t in of(out, E.TeamCreated)] == ["Ok"]
    assert engine.login(token_hash("TK-OTHER")) is None
    assert engine.account("SERVER") is None


def test_seeded_team_named_admin_is_an_admin() -> None:
    from avex.domain.catalogue import TeamSpec

    from .support import market_tournament

    eng = Engine(market_tournament(teams=(TeamSpec("Ref", "TK-REF", 0, admin=True),)))
    eng.now = T0
    out = ok(eng, C.SeedTeams("Ref", [C.SeedTeam("admin", token_hash("TK-AD"))]))
    assert one(out, E.TeamCreated).admin is True


def test_seeded_teams_get_offers(engine: Engine) -> None:
    ok(engine, C.SeedTeams(ADMIN, [C.SeedTeam("New", token_hash("TK-NEW"), inventory={"SEBO": 1})]))
    out = ok(engine, buy("TeamB", "b", 1, 1000, product="SEBO"))
    assert one(out, E.OfferCreated).recipients == ["New"]


def test_admin_commands_take_seqs_even_when_nothing_changes(engine: Engine) -> None:
    seqs = [
        ok(engine, C.AdminCancelAll(ADMIN)).seq,
        ok(engine, C.UpdateMembers(ADMIN, "TeamA", "")).seq,
        ok(engine, C.ResetTeamProduction(ADMIN, "TeamA")).seq,
        ok(engine, C.TournamentControl(ADMIN, "OPEN")).seq,
        ok(engine, C.SeedTeams(ADMIN, [])).seq,
    ]
    assert seqs == [1, 2, 3, 4, 5]
    assert engine.now == T0
