"""ORDER in the engine: PROTOCOL.md §4.3 rows 17-24 in their order, acceptance and reservations (GAME.md §6.2).

Rows 17-18 are refusals (no seq, nothing stored, the clOrdID stays free); rows 19-24 are rejections (a
command: stored REJECTED, the ERROR carries the seq, the clOrdID is used up).
"""

from __future__ import annotations

import pytest

from avex.domain.catalogue import MarketSettings, Product, Tournament
from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.engine import Engine
from avex.engine.outcome import Refused

from .support import (
    ADMIN,
    T0,
    S,
    acct,
    book,
    buy,
    cash,
    goods_reserved,
    kinds,
    market_engine,
    market_tournament,
    no,
    of,
    ok,
    one,
    sell,
    status,
)


def rejection(eng: Engine, cmd: C.PlaceOrder) -> tuple[str, str]:
    """Apply an order that must be rejected; check what every rejection has in common."""
    seq = eng.seq
    out = ok(eng, cmd)
    assert out.seq == seq + 1
    assert kinds(out) == ["OrderRejected"], "a rejection changes no balance, ledger or book"
    rej = one(out, E.OrderRejected)
    assert (rej.team, rej.cl, rej.side, rej.mode, rej.product, rej.qty) == (
        cmd.team, cmd.cl, cmd.side, cmd.mode, cmd.product, cmd.qty,
    )
    assert status(eng, cmd.team, cmd.cl) == "REJECTED"
    again = no(eng, cmd)
    assert again == Refused("DUPLICATE_ORDER_ID", f"duplicate order ID: {cmd.cl}", cmd.cl), "clOrdID is used up"
    return rej.code, rej.reason


# --- row 17: tournament not OPEN ----------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["PAUSE", "CLOSE"])
def test_order_refused_when_market_not_open_without_seq_and_clordid_stays_free(engine: Engine, action: str) -> None:
    ok(engine, C.TournamentControl(ADMIN, action))
    seq = engine.seq
    r = no(engine, sell("TeamA", "x1", 1, 1600))
    assert r == Refused("SERVICE_UNAVAILABLE", "Market is closed", "x1")
    assert engine.seq == seq
    ok(engine, C.TournamentControl(ADMIN, "OPEN"))
    assert one(ok(engine, sell("TeamA", "x1", 1, 1600)), E.OrderAccepted).cl == "x1"


def test_closed_market_is_checked_before_duplicate_id(engine: Engine) -> None:
    ok(engine, sell("TeamA", "x1", 1, 1600))
    ok(engine, C.TournamentControl(ADMIN, "PAUSE"))
    assert no(engine, sell("TeamA", "x1", 1, 1600)).code == "SERVICE_UNAVAILABLE"


# --- row 18: duplicate clOrdID -------------------------------------------------------------------------------
def test_duplicate_clordid_refused_for_open_filled_and_cancelled_orders(engine: Engine) -> None:
    ok(engine, sell("TeamA", "open", 1, 2000))
    ok(engine, sell("TeamA", "filled", 1, 1600))
    ok(engine, buy("TeamB", "b1", 1, 1600))
    ok(engine, sell("TeamA", "gone", 1, 2100))
    ok(engine, C.CancelOrder("TeamA", "gone"))
    for cl in ("open", "filled", "gone"):
        assert no(engine, buy("TeamA", cl, 1, 100)) == Refused("DUPLICATE_ORDER_ID", f"duplicate order ID: {cl}", cl)


def test_clordid_is_unique_per_team_not_globally(engine: Engine) -> None:
    ok(engine, sell("TeamA", "same", 1, 2000))
    out = ok(engine, buy("TeamB", "same", 1, 1000))
    assert one(out, E.OrderAccepted).team == "TeamB"


def test_order_for_unknown_team_is_refused(engine: Engine) -> None:
    assert no(engine, buy("Nobody", "x", 1, 100)) == Refused("INVALID_MESSAGE", "Team not found: Nobody")


def test_unknown_or_untradable_product_refused_with_clordid_before_market_state() -> None:
    t = market_tournament()
    t = Tournament((*t.products, Product("DUST", 100, tradable=False)), t.species, t.teams, t.market, t.production)
    eng = Engine(t)
    eng.now = T0
    assert no(eng, buy("Ann", "u1", 1, 100, product="USD")) == Refused("INVALID_PRODUCT", "invalid product: USD", "u1")
    assert no(eng, buy("Ann", "u2", 1, 100, product="DUST")) == Refused(
        "INVALID_PRODUCT", "product not tradable: DUST", "u2"
    )
    ok(eng, C.TournamentControl(ADMIN, "PAUSE"))
    # rows 13-14 come before row 17
    assert no(eng, buy("Ann", "u3", 1, 100, product="USD")).code == "INVALID_PRODUCT"


# --- row 19: expiresAt in the past -----------------------------------------------------------------------
@pytest.mark.parametrize("delta", [0, -1, -3600 * S])
def test_expires_at_not_after_now_is_rejected(engine: Engine, delta: int) -> None:
    code, reason = rejection(engine, sell("TeamA", "e", 1, 1600, expires_at=T0 + delta))
    assert (code, reason) == ("INVALID_ORDER", "expiresAt is in the past")


def test_expires_at_one_microsecond_ahead_is_accepted(engine: Engine) -> None:
    out = ok(engine, sell("TeamA", "e", 1, 1600, expires_at=T0 + 1))
    assert one(out, E.OrderAccepted).expires_at == T0 + 1


def test_expires_at_is_checked_for_market_orders_too(engine: Engine) -> None:
    assert rejection(engine, buy("TeamB", "m", 1, None, expires_at=T0))[1] == "expiresAt is in the past"


def test_past_expiry_is_checked_before_balance(engine: Engine) -> None:
    assert rejection(engine, buy("TeamC", "e", 100, 10000, expires_at=T0))[1] == "expiresAt is in the past"


# --- row 20: LIMIT BUY needs available cash ------------------------------------------------------------------
def test_limit_buy_needs_limit_times_qty_of_available_cash(engine: Engine) -> None:
    code, reason = rejection(engine, buy("TeamC", "C-B1", 4, 1500))
    assert (code, reason) == ("INVALID_ORDER", "Insufficient balance: need 60.00, available 50.00")


def test_limit_buy_for_exactly_the_available_cash_is_accepted(engine: Engine) -> None:
    out = ok(engine, buy("TeamC", "c", 5, 1000))
    assert one(out, E.OrderAccepted).cl == "c"
    assert cash(engine, "TeamC") == (5000, 5000)


def test_available_cash_excludes_reservations_of_resting_buys(engine: Engine) -> None:
    ok(engine, buy("TeamC", "c1", 3, 1000))  # reserves 30.00 of 50.00
    assert rejection(engine, buy("TeamC", "c2", 3, 1000))[1] == "Insufficient balance: need 30.00, available 20.00"


def test_market_buy_needs_no_reservation(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a", 1, 1600))
    out = ok(engine, buy("TeamD", "m", 1, None))
    assert [(f.qty, f.price) for f in of(out, E.Fill)] == [(1, 1600)]
    assert cash(engine, "TeamD") == (8400, 0)


# --- row 21: SELL needs available goods ----------------------------------------------------------------------
@pytest.mark.parametrize("price", [1000, None], ids=["LIMIT", "MARKET"])
def test_sell_needs_available_inventory(engine: Engine, price: int | None) -> None:
    code, reason = rejection(engine, sell("TeamC", "s", 1, price, product="FOSFO"))
    assert (code, reason) == ("INSUFFICIENT_INVENTORY", "Insufficient inventory for FOSFO: need 1, available 0")


def test_available_goods_exclude_reservations_of_resting_sells(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 15, 2000))
    assert rejection(engine, sell("TeamA", "a2", 6, 2000))[1] == "Insufficient inventory for GUACA: need 6, available 5"
    assert one(ok(engine, sell("TeamA", "a3", 5, 2000)), E.OrderAccepted).qty == 5


# --- row 22: open-order cap ----------------------------------------------------------------------------------
def test_limit_order_over_the_open_order_cap_is_rejected() -> None:
    eng = market_engine(max_open_orders_per_team=2)
    ok(eng, sell("Ann", "s1", 1, 2000))
    ok(eng, buy("Ann", "b1", 1, 1000))
    assert rejection(eng, sell("Ann", "s2", 1, 2000)) == ("INVALID_ORDER", "Too many open orders (max 2)")
    # the cap is per team
    assert one(ok(eng, sell("Bob", "s1", 1, 2100)), E.OrderAccepted).team == "Bob"


def test_open_order_cap_frees_up_after_cancel_and_fill() -> None:
    eng = market_engine(max_open_orders_per_team=2)
    ok(eng, sell("Ann", "s1", 1, 2000))
    ok(eng, sell("Ann", "s2", 1, 2100))
    ok(eng, C.CancelOrder("Ann", "s1"))
    ok(eng, sell("Ann", "s3", 1, 2200))
    assert acct(eng, "Ann").open_orders == 2
    ok(eng, buy("Bob", "b", 1, 2100))  # fills s2
    assert acct(eng, "Ann").open_orders == 1
    assert one(ok(eng, sell("Ann", "s4", 1, 2300)), E.OrderAccepted).cl == "s4"


def test_market_orders_and_fully_filled_limits_are_not_capped_by_open_orders() -> None:
    eng = market_engine(max_open_orders_per_team=1)
    ok(eng, sell("Ann", "s1", 1, 2000))
    ok(eng, sell("Bob", "s1", 5, 1500))
    out = ok(eng, buy("Ann", "m", 1, None))
    assert one(out, E.Fill).sell_team == "Bob"
    # a LIMIT is capped even when it would fill at once ("already has N open orders")
    assert rejection(eng, buy("Ann", "l", 1, 1500))[1] == "Too many open orders (max 1)"


def test_open_order_cap_zero_means_no_cap() -> None:
    eng = market_engine(max_open_orders_per_team=0)
    for i in range(30):
        ok(eng, sell("Ann", f"s{i}", 1, 2000 + i))
    assert acct(eng, "Ann").open_orders == 30


def test_balance_is_checked_before_the_open_order_cap() -> None:
    eng = market_engine(max_open_orders_per_team=1)
    ok(eng, buy("Dan", "b1", 1, 100))
    assert rejection(eng, buy("Dan", "b2", 1, 100000))[1].startswith("Insufficient balance")
    assert rejection(eng, sell("Dan", "s1", 1, 100))[1].startswith("Insufficient inventory")


def test_open_order_cap_is_checked_before_self_trade() -> None:
    eng = market_engine(max_open_orders_per_team=1)
    ok(eng, sell("Ann", "s1", 1, 2000))
    assert rejection(eng, buy("Ann", "b1", 1, 2000))[1] == "Too many open orders (max 1)"


# --- acceptance and reservations -------------------------------------------------------------------------
def test_accepted_limit_buy_reserves_limit_times_qty_and_rests(engine: Engine) -> None:
    out = ok(engine, buy("TeamB", "b", 4, 1525, product="SEBO"))  # nobody holds SEBO: no offer
    assert kinds(out) == ["OrderAccepted", "BalanceChanged"]
    assert one(out, E.BalanceChanged) == E.BalanceChanged("TeamB", 100000, 6100)
    assert cash(engine, "TeamB") == (100000, 6100)
    assert book(engine, "SEBO") == ([("b", 1525, 4)], [])
    assert status(engine, "TeamB", "b") == "PENDING"
    assert acct(engine, "TeamB").open_orders == 1


def test_accepted_limit_sell_reserves_goods_and_rests(engine: Engine) -> None:
    out = ok(engine, sell("TeamA", "s", 6, 1700, message="hello"))
    acc = one(out, E.OrderAccepted)
    assert (acc.team, acc.cl, acc.side, acc.mode, acc.product, acc.qty, acc.price, acc.message, acc.origin) == (
        "TeamA", "s", "SELL", "LIMIT", "GUACA", 6, 1700, "hello", "USER",
    )
    assert one(out, E.InventoryChanged) == E.InventoryChanged.of("TeamA", [20, 10, 0, 0], [14, 10, 0, 0])
    assert goods_reserved(engine, "TeamA", "GUACA") == 6
    assert book(engine) == ([], [("s", 1700, 6)])


def test_market_order_ignores_a_given_limit_price(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a", 2, 1600))
    out = ok(engine, C.PlaceOrder("TeamB", "m", "BUY", "MARKET", "GUACA", 1, 1))
    assert one(out, E.OrderAccepted).price is None
    assert [(f.qty, f.price) for f in of(out, E.Fill)] == [(1, 1600)]


def test_admin_team_may_trade(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a", 1, 1600))
    ok(engine, C.AddInventory(ADMIN, ADMIN, "FOSFO", 3))
    out = ok(engine, sell(ADMIN, "adm-s", 3, 1300, product="FOSFO"))
    assert one(out, E.OrderAccepted).team == ADMIN


def test_rejection_takes_the_next_seq_and_later_commands_continue_gap_free(engine: Engine) -> None:
    seqs = [
        ok(engine, buy("TeamC", "c1", 100, 1000)).seq,
        ok(engine, sell("TeamA", "a1", 1, 1600)).seq,
        ok(engine, sell("TeamC", "c2", 1, 1600)).seq,
    ]
    no(engine, sell("TeamA", "a1", 1, 1600))
    seqs.append(ok(engine, C.CancelOrder("TeamA", "a1")).seq)
    assert seqs == [1, 2, 3, 4]


def test_rejected_order_reserves_nothing_and_never_rests(engine: Engine) -> None:
    rejection(engine, buy("TeamC", "c", 6, 1000))
    assert cash(engine, "TeamC") == (5000, 0)
    assert book(engine) == ([], [])
    assert acct(engine, "TeamC").open_orders == 0


def test_rejected_order_event_carries_price_message_and_expiry(engine: Engine) -> None:
    out = ok(engine, buy("TeamC", "c", 6, 1000, message="m", expires_at=T0 + S))
    rej = one(out, E.OrderRejected)
    assert (rej.price, rej.message, rej.expires_at) == (1000, "m", T0 + S)


def test_custom_market_settings_default_open_order_cap_is_1000() -> None:
    assert MarketSettings().max_open_orders_per_team == 1000
