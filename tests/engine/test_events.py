"""What a command's events say (PROTOCOL.md §3.4, GAME.md §6.3): net-change updates, their order, the ledger,
genesis and the gap-free seq."""

from __future__ import annotations

from avex.domain.catalogue import token_hash
from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.engine import Engine

from .support import ADMIN, T0, buy, kinds, market_engine, of, ok, sell


def test_one_balance_and_inventory_update_per_team_per_command_however_many_fills() -> None:
    eng = market_engine()
    for i in range(3):
        ok(eng, sell("Ann", f"a{i}", 1, 1000 + i))
    ok(eng, sell("Bob", "b", 1, 1001))
    out = ok(eng, buy("Cat", "c", 4, 1002))
    assert len(of(out, E.Fill)) == 4
    assert [e.team for e in of(out, E.BalanceChanged)] == ["Cat", "Ann", "Bob"]
    assert [e.team for e in of(out, E.InventoryChanged)] == ["Cat", "Ann", "Bob"]
    assert of(out, E.BalanceChanged)[1] == E.BalanceChanged("Ann", 100000 + 1000 + 1001 + 1002, 0)


def test_updates_carry_totals_reserved_and_available_after_the_command() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 5, 1000))
    out = ok(eng, buy("Bob", "b", 8, 1100))
    assert of(out, E.BalanceChanged) == [
        E.BalanceChanged("Bob", 100000 - 5000, 3 * 1100), E.BalanceChanged("Ann", 100000 + 5000, 0),
    ]
    assert of(out, E.InventoryChanged) == [
        E.InventoryChanged.of("Bob", [105, 100, 0, 0], [105, 100, 0, 0]),
        E.InventoryChanged.of("Ann", [95, 100, 0, 0], [95, 100, 0, 0]),
    ]


def test_no_update_when_a_team_nets_to_zero() -> None:
    eng = market_engine()
    assert kinds(ok(eng, sell("Ann", "ms", 3, None))) == ["OrderAccepted", "OrderCancelled"]
    assert kinds(ok(eng, buy("Ann", "mb", 3, None))) == ["OrderAccepted", "OrderCancelled"]
    assert kinds(ok(eng, C.UpdateTeam(ADMIN, "Ann", 100000, {"GUACA": 100}))) == ["Reply"]


def test_resting_sell_changes_available_goods_but_not_cash() -> None:
    out = ok(market_engine(), sell("Ann", "a", 5, 1000))
    assert kinds(out) == ["OrderAccepted", "InventoryChanged"]


def test_limit_buy_filled_at_once_still_updates_cash_but_not_reserved() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 1, 900))
    out = ok(eng, buy("Bob", "b", 1, 1000))
    assert of(out, E.BalanceChanged)[0] == E.BalanceChanged("Bob", 100000 - 900, 0)


def test_events_of_a_command_come_in_execution_order_updates_then_reply() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 1, 1000))
    out = ok(eng, C.AdminCreateOrder(ADMIN, "Dan", "BUY", "LIMIT", "GUACA", 3, 1100))
    assert kinds(out) == [
        "OrderAccepted",
        "Fill",
        "OfferCreated",
        "BalanceChanged", "BalanceChanged",
        "InventoryChanged", "InventoryChanged",
        "Reply",
    ]


def test_market_remainder_cancel_follows_its_fills() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 1, 1000))
    out = ok(eng, buy("Bob", "m", 3, None))
    assert kinds(out)[:3] == ["OrderAccepted", "Fill", "OrderCancelled"]


def test_trade_ledger_rows_balance_per_asset_and_track_totals() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 2, 1000))
    ok(eng, sell("Bob", "b", 2, 1100))
    out = ok(eng, buy("Cat", "c", 3, 1100))
    for f in of(out, E.Fill):
        rows = [e for e in of(out, E.Ledger) if e.ref == f.fill_id]
        assert [(r.team, r.asset, r.delta) for r in rows] == [
            (f.buy_team, "CASH", -f.qty * f.price), (f.buy_team, "GUACA", f.qty),
            (f.sell_team, "GUACA", -f.qty), (f.sell_team, "CASH", f.qty * f.price),
        ]
        assert {r.reason for r in rows} == {"TRADE"}
    last = {}
    for r in of(out, E.Ledger):
        last[(r.team, r.asset)] = r.balance_after
    assert last == {
        ("Cat", "CASH"): 100000 - 2000 - 1100, ("Cat", "GUACA"): 103,
        ("Ann", "CASH"): 102000, ("Ann", "GUACA"): 98, ("Bob", "CASH"): 101100, ("Bob", "GUACA"): 99,
    }


def test_genesis_lists_every_team_and_its_initial_rows() -> None:
    eng = market_engine()
    ev = eng.genesis_events()
    created = of(ev, E.TeamCreated)
    assert [(t.name, t.admin, t.species) for t in created] == [
        ("Ann", False, "Monjes de Fosforescencia"), ("Bob", False, "Cosechadores de Pita"), ("Cat", False, None),
        ("Dan", False, None), ("admin", True, None),
    ]
    assert created[0].token_hash == token_hash("TK-ANN")
    assert created[0].initial_inventory == {"GUACA": 100, "FOSFO": 100}
    rows = [(e.team, e.asset, e.delta, e.balance_after, e.reason, e.ref) for e in of(ev, E.Ledger)]
    assert rows[:3] == [
        ("Ann", "CASH", 100000, 100000, "INITIAL", "0"), ("Ann", "GUACA", 100, 100, "INITIAL", "0"),
        ("Ann", "FOSFO", 100, 100, "INITIAL", "0"),
    ]
    assert ("Dan", "CASH", 10000, 10000, "INITIAL", "0") in rows
    assert not any(r[0] == "SERVER" for r in rows)
    assert len(rows) == 3 + 3 + 3 + 1 + 2
    # the genesis is seq 0: no command was applied
    assert eng.seq == 0


def test_genesis_of_a_team_with_nothing_has_no_ledger_rows(engine: Engine) -> None:
    ev = engine.genesis_events()
    assert [e.team for e in of(ev, E.Ledger) if e.team == "admin"] == []


def test_seq_is_gap_free_across_every_kind_of_command(engine: Engine) -> None:
    cmds: list[C.Command] = [
        sell("TeamA", "a", 1, 1600),
        buy("TeamC", "rej", 100, 1000),
        buy("TeamB", "b", 1, 1200, product="FOSFO"),
        C.AcceptOffer("TeamA", "OFF-3", 1),
        C.Produce("TeamA", "FOSFO", 1),
        C.CancelOrder("TeamA", "a"),
        C.AddInventory(ADMIN, "TeamC", "GUACA", 1),
        C.TournamentControl(ADMIN, "PAUSE"),
        C.TournamentControl(ADMIN, "OPEN"),
    ]
    seqs = [ok(engine, c).seq for c in cmds]
    assert seqs == list(range(1, len(cmds) + 1))
    assert all(ok(engine, C.AdminCancelAll(ADMIN)).time == T0 for _ in range(2))
