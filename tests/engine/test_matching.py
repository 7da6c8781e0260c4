"""Matching (GAME.md §4): the sweep, trade prices, FIFO, MARKET IOC and cash limits, self-trade prevention."""

from __future__ import annotations

from avex.engine import events as E
from avex.engine.commands import AddInventory
from avex.engine.engine import Engine

from .support import (
    ADMIN,
    acct,
    book,
    buy,
    cash,
    fills,
    goods,
    goods_reserved,
    kinds,
    market_engine,
    of,
    ok,
    one,
    sell,
    status,
)


# --- GAME.md §4.6 worked example -----------------------------------------------------------------------------
def test_worked_example_buy_sweeps_two_levels_pays_129_50_and_gets_6_50_back(engine: Engine) -> None:
    ok(engine, sell("TeamA", "A-S1", 5, 1600))
    ok(engine, sell("TeamA", "A-S2", 5, 1650))
    out = ok(engine, buy("TeamB", "B-B1", 8, 1700))
    assert fills(out) == [(5, 1600, "B-B1", "A-S1"), (3, 1650, "B-B1", "A-S2")]
    # reserved 136.00, paid 129.50: 6.50 came back, nothing stays reserved
    assert cash(engine, "TeamB") == (100000 - 12950, 0)
    assert status(engine, "TeamA", "A-S1") == "FILLED"
    assert status(engine, "TeamA", "A-S2") == "PARTIALLY_FILLED"
    assert book(engine) == ([], [("A-S2", 1650, 2)])
    assert engine.books["GUACA"].best_ask() == 1650
    assert engine.stats["GUACA"].last_price == 1650


# --- sweep and trade price ----------------------------------------------------------------------------------
def test_limit_buy_sweeps_levels_at_resting_prices() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 2, 1000))
    ok(eng, sell("Bob", "b1", 2, 1100))
    ok(eng, sell("Cat", "c1", 2, 1200))
    ok(eng, sell("Cat", "c2", 2, 1300))
    out = ok(eng, buy("Dan", "d", 5, 1250))
    assert fills(out) == [(2, 1000, "d", "a1"), (2, 1100, "d", "b1"), (1, 1200, "d", "c1")]
    assert all(f.aggressor == "BUY" and f.source == "BOOK" for f in of(out, E.Fill))
    assert cash(eng, "Dan") == (10000 - 2000 - 2200 - 1200, 0)
    assert goods(eng, "Dan", "GUACA") == 5
    assert book(eng) == ([], [("c1", 1200, 1), ("c2", 1300, 2)])


def test_limit_sell_sweeps_bids_from_the_highest_at_resting_prices() -> None:
    eng = market_engine()
    ok(eng, buy("Ann", "a1", 2, 1300))
    ok(eng, buy("Bob", "b1", 2, 1200))
    ok(eng, buy("Dan", "d1", 2, 1100))
    out = ok(eng, sell("Cat", "c", 3, 1150))
    assert fills(out) == [(2, 1300, "a1", "c"), (1, 1200, "b1", "c")]
    assert all(f.aggressor == "SELL" for f in of(out, E.Fill))
    assert cash(eng, "Cat") == (100000 + 2600 + 1200, 0)
    assert goods(eng, "Cat", "GUACA") == 97
    assert goods_reserved(eng, "Cat", "GUACA") == 0
    assert book(eng) == ([("b1", 1200, 1), ("d1", 1100, 2)], [])


def test_limit_remainder_rests_at_its_limit_and_keeps_limit_times_remaining_reserved() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 2, 1000))
    out = ok(eng, buy("Bob", "b", 5, 1200))
    assert fills(out) == [(2, 1000, "b", "a1")]
    assert book(eng) == ([("b", 1200, 3)], [])
    assert cash(eng, "Bob") == (100000 - 2000, 3 * 1200)
    assert status(eng, "Bob", "b") == "PARTIALLY_FILLED"
    assert acct(eng, "Bob").open_orders == 1


def test_non_crossing_orders_rest_and_the_book_stays_uncrossed() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 1, 1500))
    out = ok(eng, buy("Bob", "b1", 1, 1499))
    assert of(out, E.Fill) == []
    b = eng.books["GUACA"]
    assert (b.best_bid(), b.best_ask()) == (1499, 1500)


def test_fill_quantity_is_the_smaller_remaining_and_reports_both_sides() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 3, 1000))
    f = one(ok(eng, buy("Bob", "b", 10, 1000)), E.Fill)
    assert (f.qty, f.buy_remaining, f.buy_total, f.sell_remaining, f.sell_total) == (3, 7, 10, 0, 3)
    f = one(ok(eng, sell("Cat", "c", 2, 1000)), E.Fill)
    assert (f.qty, f.buy_remaining, f.buy_total, f.sell_remaining, f.sell_total) == (2, 5, 10, 0, 2)


def test_fill_ids_number_the_fills_of_one_command() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 1, 1000))
    ok(eng, sell("Bob", "b1", 1, 1000))
    out = ok(eng, buy("Cat", "c", 2, 1000))
    assert [f.fill_id for f in of(out, E.Fill)] == [f"F-{out.seq}-1", f"F-{out.seq}-2"]


def test_fill_carries_both_messages_and_team_names() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 1, 1000, message="from ann"))
    f = one(ok(eng, buy("Bob", "b", 1, 1000, message="from bob")), E.Fill)
    assert (f.buy_team, f.sell_team, f.buy_msg, f.sell_msg, f.product) == (
        "Bob", "Ann", "from bob", "from ann", "GUACA",
    )


def test_completely_filled_resting_order_leaves_the_book() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 2, 1000))
    ok(eng, buy("Bob", "b", 2, 1000))
    assert book(eng) == ([], [])
    assert acct(eng, "Ann").open_orders == 0
    assert status(eng, "Ann", "a1") == "FILLED"
    assert status(eng, "Bob", "b") == "FILLED"
    assert acct(eng, "Bob").open_orders == 0


def test_fills_update_last_price_and_volume() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 2, 1000))
    ok(eng, sell("Bob", "b1", 3, 1100))
    ok(eng, buy("Cat", "c", 4, 1100))
    assert eng.stats["GUACA"].last_price == 1100
    assert eng.volume24h("GUACA") == 4
    assert eng.volume24h("FOSFO") == 0


# --- FIFO within a level ------------------------------------------------------------------------------------
def test_fifo_within_a_price_level_by_seq() -> None:
    eng = market_engine()
    ok(eng, sell("Cat", "c1", 2, 1000))
    ok(eng, sell("Ann", "a1", 2, 1000))
    ok(eng, sell("Bob", "b1", 2, 1000))
    out = ok(eng, buy("Dan", "d", 3, 1000))
    assert fills(out) == [(2, 1000, "d", "c1"), (1, 1000, "d", "a1")]
    assert book(eng) == ([], [("a1", 1000, 1), ("b1", 1000, 2)])


def test_partially_filled_order_keeps_its_place_at_the_head_of_its_level() -> None:
    eng = market_engine()
    ok(eng, buy("Ann", "a1", 5, 1000))
    ok(eng, buy("Bob", "b1", 5, 1000))
    ok(eng, sell("Cat", "c1", 2, 1000))
    out = ok(eng, sell("Cat", "c2", 4, 1000))
    assert fills(out) == [(3, 1000, "a1", "c2"), (1, 1000, "b1", "c2")]


def test_better_price_beats_earlier_time() -> None:
    eng = market_engine()
    ok(eng, buy("Ann", "a1", 1, 1000))
    ok(eng, buy("Bob", "b1", 1, 1001))
    assert fills(ok(eng, sell("Cat", "c", 1, 900))) == [(1, 1001, "b1", "c")]


# --- MARKET orders -------------------------------------------------------------------------------------------
def test_market_buy_sweeps_every_level_and_cancels_the_remainder() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 1, 1000))
    ok(eng, sell("Bob", "b1", 1, 50000))
    out = ok(eng, buy("Cat", "m", 5, None))
    assert fills(out) == [(1, 1000, "m", "a1"), (1, 50000, "m", "b1")]
    cxl = one(out, E.OrderCancelled)
    assert (cxl.cl, cxl.reason, cxl.filled, cxl.remaining) == ("m", "MARKET_REMAINDER", 2, 3)
    assert status(eng, "Cat", "m") == "CANCELLED"
    assert book(eng) == ([], [])
    assert cash(eng, "Cat") == (100000 - 51000, 0)


def test_market_sell_sweeps_every_bid_and_cancels_the_remainder() -> None:
    eng = market_engine()
    ok(eng, buy("Ann", "a1", 1, 1))
    out = ok(eng, sell("Bob", "m", 3, None))
    assert fills(out) == [(1, 1, "a1", "m")]
    assert one(out, E.OrderCancelled).reason == "MARKET_REMAINDER"
    assert goods_reserved(eng, "Bob", "GUACA") == 0
    assert goods(eng, "Bob", "GUACA") == 99


def test_market_order_on_empty_book_is_accepted_then_cancelled() -> None:
    eng = market_engine()
    for i, cmd in enumerate([buy("Ann", "mb", 3, None), sell("Ann", "ms", 3, None)]):
        out = ok(eng, cmd)
        assert out.seq == i + 1
        assert kinds(out) == ["OrderAccepted", "OrderCancelled"], "no fill, no net balance change"
        cxl = one(out, E.OrderCancelled)
        assert (cxl.reason, cxl.filled, cxl.remaining) == ("MARKET_REMAINDER", 0, 3)
    assert goods_reserved(eng, "Ann", "GUACA") == 0
    assert acct(eng, "Ann").open_orders == 0


def test_market_order_that_fills_completely_is_not_cancelled() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 5, 1000))
    out = ok(eng, buy("Bob", "m", 5, None))
    assert of(out, E.OrderCancelled) == []
    assert status(eng, "Bob", "m") == "FILLED"


def test_market_buy_is_limited_by_cash_per_level() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 3, 2000))
    ok(eng, sell("Bob", "b1", 5, 3000))
    out = ok(eng, buy("Dan", "m", 10, None))  # Dan has 100.00
    assert fills(out) == [(3, 2000, "m", "a1"), (1, 3000, "m", "b1")]
    assert one(out, E.OrderCancelled).remaining == 6
    assert cash(eng, "Dan") == (1000, 0)


def test_market_buy_stops_inside_a_level_when_it_cannot_pay_one_more() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 2, 3000))
    ok(eng, sell("Bob", "b1", 2, 3000))
    ok(eng, sell("Cat", "c1", 2, 1000))  # better price, first
    out = ok(eng, buy("Dan", "m", 10, None))  # 100.00: 2 @ 10 = 20, then 2 @ 30 = 60, then 0 more @ 30
    assert fills(out) == [(2, 1000, "m", "c1"), (2, 3000, "m", "a1")]
    assert cash(eng, "Dan") == (2000, 0)
    assert book(eng) == ([], [("b1", 3000, 2)])


def test_market_buy_uses_available_cash_not_reserved_cash() -> None:
    eng = market_engine()
    ok(eng, buy("Dan", "d1", 1, 6000, product="FOSFO"))  # reserves 60.00 of 100.00
    ok(eng, sell("Ann", "a1", 5, 1000))
    out = ok(eng, buy("Dan", "m", 5, None))
    assert fills(out) == [(4, 1000, "m", "a1")]
    assert cash(eng, "Dan") == (6000, 6000)


def test_market_buy_that_cannot_pay_one_unit_is_rejected() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 1, 10001))
    out = ok(eng, buy("Dan", "m", 1, None))
    rej = one(out, E.OrderRejected)
    assert (rej.code, rej.reason) == ("INVALID_ORDER", "Insufficient balance: need 100.01, available 100.00")
    assert kinds(out) == ["OrderRejected"]
    assert status(eng, "Dan", "m") == "REJECTED"
    assert book(eng) == ([], [("a1", 10001, 1)])


def test_market_buy_rejection_shows_available_after_reservations() -> None:
    eng = market_engine()
    ok(eng, buy("Dan", "d1", 1, 9950, product="FOSFO"))
    ok(eng, sell("Ann", "a1", 1, 100))
    reason = one(ok(eng, buy("Dan", "m", 1, None)), E.OrderRejected).reason
    assert reason == "Insufficient balance: need 1.00, available 0.50"


# --- self-trade prevention (GAME.md §4.3) -------------------------------------------------------------------
def test_self_trade_rejects_whole_order_and_nothing_trades() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 1, 1000))
    ok(eng, sell("Bob", "own", 1, 1100))
    ok(eng, sell("Cat", "c1", 1, 1100))
    out = ok(eng, buy("Bob", "b", 3, 1100))
    rej = one(out, E.OrderRejected)
    assert (rej.code, rej.reason) == ("INVALID_ORDER", "Self-trade prevented: would match own order own")
    assert kinds(out) == ["OrderRejected"]
    assert book(eng) == ([], [("a1", 1000, 1), ("own", 1100, 1), ("c1", 1100, 1)])
    assert cash(eng, "Bob") == (100000, 0)


def test_self_trade_on_the_sell_side() -> None:
    eng = market_engine()
    ok(eng, buy("Ann", "own", 1, 1000))
    out = ok(eng, sell("Ann", "s", 1, None))
    assert one(out, E.OrderRejected).reason == "Self-trade prevented: would match own order own"
    assert goods_reserved(eng, "Ann", "GUACA") == 0


def test_own_order_beyond_the_limit_does_not_block() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 1, 1000))
    ok(eng, sell("Bob", "own", 1, 1200))
    out = ok(eng, buy("Bob", "b", 2, 1100))
    assert fills(out) == [(1, 1000, "b", "a1")]
    assert book(eng) == ([("b", 1100, 1)], [("own", 1200, 1)])


def test_own_order_after_the_quantity_is_exhausted_does_not_block() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 2, 1000))
    ok(eng, sell("Bob", "own", 1, 1000))
    out = ok(eng, buy("Bob", "b", 2, 1000))
    assert fills(out) == [(2, 1000, "b", "a1")]


def test_market_buy_reaching_own_order_is_a_self_trade() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "own", 1, 5000))
    out = ok(eng, buy("Ann", "m", 1, None))
    assert one(out, E.OrderRejected).reason == "Self-trade prevented: would match own order own"


def test_market_buy_whose_cash_runs_out_before_its_own_order_is_not_a_self_trade() -> None:
    """The walk uses the sweep's cash limit: once Dan cannot pay one more unit the walk stops, so it never
    reaches Dan's own ask and the order is accepted (fills what it can pay, the rest is cancelled)."""
    eng = market_engine()
    ok(eng, sell("Ann", "a1", 1, 10000))
    ok(eng, AddInventory(ADMIN, "Dan", "GUACA", 1))
    ok(eng, sell("Dan", "own", 1, 10000))
    out = ok(eng, buy("Dan", "m", 2, None))  # 100.00 pays exactly Ann's unit
    assert fills(out) == [(1, 10000, "m", "a1")]
    assert one(out, E.OrderCancelled).reason == "MARKET_REMAINDER"
    assert book(eng) == ([], [("own", 10000, 1)])


def test_market_buy_that_cannot_pay_its_first_unit_is_rejected_for_balance_even_at_its_own_order() -> None:
    eng = market_engine()
    ok(eng, AddInventory(ADMIN, "Dan", "GUACA", 1))
    ok(eng, sell("Dan", "own", 1, 10001))
    reason = one(ok(eng, buy("Dan", "m", 1, None)), E.OrderRejected).reason
    assert reason == "Insufficient balance: need 100.01, available 100.00"


def C_add_goods(eng: Engine, team: str, product: str, qty: int):
    from avex.engine.commands import AddInventory

    return AddInventory("admin", team, product, qty)
