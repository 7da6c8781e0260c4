"""CANCEL (PROTOCOL.md §4.4 rows 4-7) and expiry (GAME.md §4.5, PROTOCOL.md §4.10): release of
reservations, the driver's deadlines (next_deadline / due) and their order."""

from __future__ import annotations

import pytest

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
    fills,
    goods_reserved,
    kinds,
    market_engine,
    no,
    of,
    ok,
    one,
    sell,
    status,
)


# --- CANCEL ----------------------------------------------------------------------------------------------
def test_cancel_unknown_order_is_not_found(engine: Engine) -> None:
    assert no(engine, C.CancelOrder("TeamA", "nope")) == Refused("INVALID_ORDER", "Order not found", "nope")


def test_cancel_looks_only_at_the_senders_orders(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 2000))
    assert no(engine, C.CancelOrder("TeamB", "a1")) == Refused("INVALID_ORDER", "Order not found", "a1")
    assert status(engine, "TeamA", "a1") == "PENDING"


def test_cancel_filled_order_is_refused(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 1600))
    ok(engine, buy("TeamB", "b1", 1, 1600))
    assert no(engine, C.CancelOrder("TeamA", "a1")) == Refused("INVALID_ORDER", "Cannot cancel filled order", "a1")
    assert no(engine, C.CancelOrder("TeamB", "b1")).reason == "Cannot cancel filled order"


def test_cancel_cancelled_order_is_refused(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 1600))
    ok(engine, C.CancelOrder("TeamA", "a1"))
    assert no(engine, C.CancelOrder("TeamA", "a1")) == Refused("INVALID_ORDER", "Order already cancelled", "a1")


def test_cancel_market_remainder_is_already_cancelled(engine: Engine) -> None:
    ok(engine, buy("TeamB", "m", 1, None))
    assert no(engine, C.CancelOrder("TeamB", "m")).reason == "Order already cancelled"


def test_cancel_rejected_order_is_refused(engine: Engine) -> None:
    ok(engine, buy("TeamC", "c1", 100, 1000))
    assert no(engine, C.CancelOrder("TeamC", "c1")) == Refused("INVALID_ORDER", "Cannot cancel rejected order", "c1")


def test_cancel_resting_buy_releases_limit_times_remaining(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 2, 1500))
    ok(engine, buy("TeamB", "b1", 5, 1600))  # 2 fill at 15.00, 3 rest at 16.00
    assert cash(engine, "TeamB") == (100000 - 3000, 4800)
    out = ok(engine, C.CancelOrder("TeamB", "b1"))
    assert kinds(out) == ["OrderCancelled", "BalanceChanged"]
    cxl = one(out, E.OrderCancelled)
    assert (cxl.team, cxl.cl, cxl.reason, cxl.product, cxl.side, cxl.filled, cxl.remaining) == (
        "TeamB", "b1", "USER", "GUACA", "BUY", 2, 3,
    )
    assert one(out, E.BalanceChanged) == E.BalanceChanged("TeamB", 97000, 0)
    assert status(engine, "TeamB", "b1") == "CANCELLED"
    assert book(engine) == ([], [])
    assert acct(engine, "TeamB").open_orders == 0


def test_cancel_resting_sell_releases_remaining_goods(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 5, 1500))
    ok(engine, buy("TeamB", "b1", 2, 1500))
    out = ok(engine, C.CancelOrder("TeamA", "a1"))
    assert kinds(out) == ["OrderCancelled", "InventoryChanged"]
    assert one(out, E.InventoryChanged) == E.InventoryChanged.of("TeamA", [18, 10, 0, 0], [18, 10, 0, 0])
    assert goods_reserved(engine, "TeamA", "GUACA") == 0


def test_cancel_frees_the_price_level_for_others(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 1500))
    ok(engine, sell("TeamA", "a2", 1, 1500))
    ok(engine, C.CancelOrder("TeamA", "a1"))
    assert fills(ok(engine, buy("TeamB", "b", 1, 1500))) == [(1, 1500, "b", "a2")]


@pytest.mark.parametrize("action", ["PAUSE", "OPEN"])
def test_cancel_is_allowed_in_any_open_or_paused_state(engine: Engine, action: str) -> None:
    ok(engine, sell("TeamA", "a1", 1, 1500))
    ok(engine, C.TournamentControl(ADMIN, action))
    assert one(ok(engine, C.CancelOrder("TeamA", "a1")), E.OrderCancelled).reason == "USER"


def test_cancel_in_closed_market_is_a_normal_refusal(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 1500))
    ok(engine, C.TournamentControl(ADMIN, "CLOSE"))
    assert no(engine, C.CancelOrder("TeamA", "a1")).reason == "Order already cancelled"


# --- expiry --------------------------------------------------------------------------------------------
def test_next_deadline_is_the_earliest_open_expiry(engine: Engine) -> None:
    assert engine.next_deadline() is None
    ok(engine, sell("TeamA", "late", 1, 2000, expires_at=T0 + 9 * S))
    ok(engine, sell("TeamA", "soon", 1, 2000, expires_at=T0 + 5 * S))
    ok(engine, sell("TeamA", "never", 1, 2000))
    assert engine.next_deadline() == T0 + 5 * S
    ok(engine, C.CancelOrder("TeamA", "soon"))
    assert engine.next_deadline() == T0 + 9 * S
    ok(engine, C.CancelOrder("TeamA", "late"))
    assert engine.next_deadline() is None


def test_nothing_is_due_before_the_deadline(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 2000, expires_at=T0 + 5 * S))
    assert engine.due(T0 + 5 * S - 1) == []
    assert engine.due(T0 + 5 * S) == [C.ExpireOrder("TeamA", "a1")]


def test_due_expiry_cancels_with_reason_expired_and_releases_the_reservation(engine: Engine) -> None:
    ok(engine, buy("TeamB", "b1", 2, 1000, product="SEBO", expires_at=T0 + 5 * S))
    assert cash(engine, "TeamB") == (100000, 2000)
    t = T0 + 5 * S
    (cmd,) = engine.due(t)
    out = ok(engine, cmd, t)
    assert kinds(out) == ["OrderCancelled", "BalanceChanged"]
    assert one(out, E.OrderCancelled).reason == "EXPIRED"
    assert cash(engine, "TeamB") == (100000, 0)
    assert book(engine, "SEBO") == ([], [])
    assert engine.due(t) == []
    assert engine.next_deadline() is None


def test_partially_filled_order_expires_with_its_remainder(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 5, 1500, expires_at=T0 + 5 * S))
    ok(engine, buy("TeamB", "b1", 2, 1500))
    out = ok(engine, engine.due(T0 + 5 * S)[0], T0 + 5 * S)
    cxl = one(out, E.OrderCancelled)
    assert (cxl.reason, cxl.filled, cxl.remaining) == ("EXPIRED", 2, 3)
    assert goods_reserved(engine, "TeamA", "GUACA") == 0


def test_expiries_come_by_expires_at_then_seq() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "s1", 1, 2000, expires_at=T0 + 7 * S))  # seq 1
    ok(eng, sell("Bob", "s2", 1, 2000, expires_at=T0 + 5 * S))  # seq 2
    ok(eng, sell("Ann", "s3", 1, 2000, expires_at=T0 + 5 * S))  # seq 3
    ok(eng, buy("Cat", "b4", 1, 1000, expires_at=T0 + 6 * S))  # seq 4
    ok(eng, sell("Cat", "s5", 1, 2000, expires_at=T0 + 5 * S))  # seq 5
    assert eng.due(T0 + 7 * S) == [
        C.ExpireOrder("Bob", "s2"), C.ExpireOrder("Ann", "s3"), C.ExpireOrder("Cat", "s5"),
        C.ExpireOrder("Cat", "b4"), C.ExpireOrder("Ann", "s1"),
    ]


def test_due_skips_orders_that_closed_before_their_expiry(engine: Engine) -> None:
    ok(engine, sell("TeamA", "filled", 1, 1500, expires_at=T0 + 5 * S))
    ok(engine, sell("TeamA", "cancelled", 1, 1600, expires_at=T0 + 5 * S))
    ok(engine, sell("TeamA", "open", 1, 1700, expires_at=T0 + 5 * S))
    ok(engine, buy("TeamB", "b", 1, 1500))
    ok(engine, C.CancelOrder("TeamA", "cancelled"))
    assert engine.due(T0 + 5 * S) == [C.ExpireOrder("TeamA", "open")]


def test_due_does_not_consume_deadlines_until_applied(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 1500, expires_at=T0 + 5 * S))
    assert engine.due(T0 + 6 * S) == engine.due(T0 + 6 * S) == [C.ExpireOrder("TeamA", "a1")]
    assert engine.next_deadline() == T0 + 5 * S


def test_expired_order_never_trades_when_due_commands_are_applied_first(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 1500, expires_at=T0 + 5 * S))
    t = T0 + 5 * S
    for cmd in engine.due(t):
        ok(engine, cmd, t)
    out = ok(engine, buy("TeamB", "b", 1, 1500), t)
    assert of(out, E.Fill) == []
    assert book(engine) == ([("b", 1500, 1)], [])


def test_order_trades_until_the_microsecond_before_its_expiry(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 1500, expires_at=T0 + 5 * S))
    t = T0 + 5 * S - 1
    assert engine.due(t) == []
    assert fills(ok(engine, buy("TeamB", "b", 1, 1500), t)) == [(1, 1500, "b", "a1")]


def test_expire_command_before_the_deadline_is_refused(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 1500, expires_at=T0 + 5 * S))
    assert no(engine, C.ExpireOrder("TeamA", "a1"), T0 + S) == Refused("INVALID_ORDER", "Order not found", "a1")


def test_expire_command_for_a_closed_or_unexpiring_order_is_refused(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 1500, expires_at=T0 + 5 * S))
    ok(engine, sell("TeamA", "a2", 1, 1500))
    ok(engine, C.CancelOrder("TeamA", "a1"))
    assert no(engine, C.ExpireOrder("TeamA", "a1"), T0 + 9 * S).code == "INVALID_ORDER"
    assert no(engine, C.ExpireOrder("TeamA", "a2"), T0 + 9 * S).code == "INVALID_ORDER"
    assert no(engine, C.ExpireOrder("Ghost", "a2"), T0 + 9 * S).code == "INVALID_ORDER"


def test_orders_expire_while_paused(engine: Engine) -> None:
    ok(engine, sell("TeamA", "a1", 1, 1500, expires_at=T0 + 5 * S))
    ok(engine, C.TournamentControl(ADMIN, "PAUSE"))
    (cmd,) = engine.due(T0 + 5 * S)
    assert one(ok(engine, cmd, T0 + 5 * S), E.OrderCancelled).reason == "EXPIRED"


def test_market_order_with_future_expiry_never_rests_and_sets_no_deadline(engine: Engine) -> None:
    ok(engine, buy("TeamB", "m", 1, None, expires_at=T0 + 5 * S))
    assert engine.next_deadline() is None
    assert engine.due(T0 + 9 * S) == []


def test_expiries_at_the_end_time_come_before_the_end_and_later_ones_are_left_to_it(engine: Engine) -> None:
    ok(engine, C.TournamentControl(ADMIN, "OPEN", ends_at=T0 + 10 * S))
    ok(engine, sell("TeamA", "before", 1, 1500, expires_at=T0 + 4 * S))
    ok(engine, sell("TeamA", "at-end", 1, 1600, expires_at=T0 + 10 * S))
    ok(engine, sell("TeamA", "after", 1, 1700, expires_at=T0 + 11 * S))
    ok(engine, sell("TeamA", "plain", 1, 1800))
    assert engine.next_deadline() == T0 + 4 * S
    t = T0 + 20 * S
    cmds = engine.due(t)
    assert cmds == [C.ExpireOrder("TeamA", "before"), C.ExpireOrder("TeamA", "at-end"), C.ScheduledEnd()]
    outs = [ok(engine, cmd, t) for cmd in cmds]
    assert [c.reason for o in outs for c in of(o, E.OrderCancelled)] == [
        "EXPIRED", "EXPIRED", "MARKET_CLOSED", "MARKET_CLOSED",
    ]
    assert [c.cl for c in of(outs[-1], E.OrderCancelled)] == ["after", "plain"]
    assert engine.state == "CLOSED"
    assert engine.due(t) == []
