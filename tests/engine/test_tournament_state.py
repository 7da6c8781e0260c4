"""Tournament states and the scheduled end (GAME.md §8, PROTOCOL.md §4.12, §4.10)."""

from __future__ import annotations

import pytest

from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.engine import Engine
from avex.engine.outcome import Refused

from .support import ADMIN, T0, S, book, buy, cash, goods_reserved, kinds, market_engine, no, of, ok, one, sell, status


def control(eng: Engine, action: str, **kw: object) -> tuple[list[E.StateChanged], dict]:
    out = ok(eng, C.TournamentControl(ADMIN, action, **kw))  # type: ignore[arg-type]
    r = out.events[-1]
    assert isinstance(r, E.Reply) and r.msg_type == "ADMIN_ACTION_RESPONSE"
    return of(out, E.StateChanged), r.fields


def test_new_tournament_starts_open_without_schedule(engine: Engine) -> None:
    assert (engine.state, engine.ends_at, engine.next_deadline()) == ("OPEN", None, None)


@pytest.mark.parametrize(("action", "state"), [("PAUSE", "PAUSED"), ("CLOSE", "CLOSED"), ("OPEN", "OPEN")])
def test_control_moves_to_the_state_and_replies(engine: Engine, action: str, state: str) -> None:
    if action == "OPEN":
        control(engine, "PAUSE")
    changed, fields = control(engine, action)
    assert changed == [E.StateChanged(state, None, True)]
    assert fields == {"action": "TOURNAMENT_CONTROL", "success": True, "message": f"Tournament is {state}"}
    assert engine.state == state


def test_control_to_the_current_state_changes_nothing_but_replies(engine: Engine) -> None:
    changed, fields = control(engine, "OPEN")
    assert changed == []
    assert fields["message"] == "Tournament is OPEN"


def test_bad_action_is_refused(engine: Engine) -> None:
    assert no(engine, C.TournamentControl(ADMIN, "STOP")) == Refused(
        "INVALID_MESSAGE", "Action must be OPEN, PAUSE or CLOSE"
    )


# --- PAUSED -----------------------------------------------------------------------------------------------
def test_pause_keeps_resting_orders_and_their_reservations() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 2, 2000))
    ok(eng, buy("Bob", "b", 2, 1000))
    changed, _ = control(eng, "PAUSE")
    assert changed == [E.StateChanged("PAUSED", None, True)]
    assert book(eng) == ([("b", 1000, 2)], [("a", 2000, 2)])
    assert goods_reserved(eng, "Ann", "GUACA") == 2 and cash(eng, "Bob") == (100000, 2000)


def test_orders_accepts_and_production_are_refused_while_paused() -> None:
    eng = market_engine()
    oid = one(ok(eng, buy("Dan", "d", 1, 1000)), E.OfferCreated).offer_id
    control(eng, "PAUSE")
    assert no(eng, buy("Ann", "x", 1, 100)) == Refused("SERVICE_UNAVAILABLE", "Market is closed", "x")
    assert no(eng, C.AdminCreateOrder(ADMIN, "Ann", "BUY", "LIMIT", "GUACA", 1, 100)).code == "SERVICE_UNAVAILABLE"
    assert no(eng, C.AcceptOffer("Ann", oid)) == Refused("SERVICE_UNAVAILABLE", "Market is closed")
    assert no(eng, C.Produce("Ann", "FOSFO", 1)) == Refused("SERVICE_UNAVAILABLE", "Market is closed")


def test_cancel_and_admin_edits_are_allowed_while_paused() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 2, 2000))
    control(eng, "PAUSE")
    assert one(ok(eng, C.CancelOrder("Ann", "a")), E.OrderCancelled).reason == "USER"
    ok(eng, C.AddInventory(ADMIN, "Dan", "GUACA", 1))
    ok(eng, C.ResetTournament(ADMIN, 100, [C.TeamConfig("Dan")]))


def test_reopened_market_matches_orders_that_rested_through_the_pause() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 2, 2000))
    control(eng, "PAUSE")
    control(eng, "OPEN")
    assert one(ok(eng, buy("Bob", "b", 2, 2000)), E.Fill).sell_cl == "a"


# --- CLOSED ----------------------------------------------------------------------------------------------
def test_close_cancels_every_open_order_with_market_closed_and_releases_reservations() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 2, 2000))
    ok(eng, buy("Bob", "b", 3, 1000))
    ok(eng, sell("Bob", "c", 1, 2500, product="FOSFO"))
    out = ok(eng, C.TournamentControl(ADMIN, "CLOSE"))
    assert [(c.team, c.cl, c.reason) for c in of(out, E.OrderCancelled)] == [
        ("Ann", "a", "MARKET_CLOSED"), ("Bob", "b", "MARKET_CLOSED"), ("Bob", "c", "MARKET_CLOSED"),
    ]
    assert eng.open_orders() == []
    assert goods_reserved(eng, "Ann", "GUACA") == 0 and cash(eng, "Bob") == (100000, 0)
    assert kinds(out) == [
        "OrderCancelled", "OrderCancelled", "OrderCancelled", "StateChanged",
        "BalanceChanged", "InventoryChanged", "InventoryChanged", "Reply",
    ]
    assert status(eng, "Ann", "a") == "CANCELLED"


def test_orders_are_refused_when_closed_and_accepted_after_reopening() -> None:
    eng = market_engine()
    control(eng, "CLOSE")
    assert no(eng, sell("Ann", "a", 1, 2000)).reason == "Market is closed"
    assert no(eng, C.Produce("Ann", "FOSFO", 1)).reason == "Market is closed"
    control(eng, "OPEN")
    assert one(ok(eng, sell("Ann", "a", 1, 2000)), E.OrderAccepted).cl == "a"


# --- schedule ---------------------------------------------------------------------------------------------
def test_scheduling_an_end_without_changing_state(engine: Engine) -> None:
    changed, fields = control(engine, "OPEN", ends_at=T0 + 60 * S)
    assert changed == [E.StateChanged("OPEN", T0 + 60 * S, False)]
    assert fields["message"] == "Tournament is OPEN"
    assert engine.ends_at == T0 + 60 * S
    assert engine.next_deadline() == T0 + 60 * S


def test_setting_the_same_schedule_again_changes_nothing(engine: Engine) -> None:
    control(engine, "OPEN", ends_at=T0 + 60 * S)
    assert control(engine, "OPEN", ends_at=T0 + 60 * S)[0] == []


def test_clearing_the_schedule(engine: Engine) -> None:
    control(engine, "PAUSE", ends_at=T0 + 60 * S)
    changed, _ = control(engine, "PAUSE", clear_end=True)
    assert changed == [E.StateChanged("PAUSED", None, False)]
    assert engine.next_deadline() is None


def test_absent_ends_at_leaves_the_schedule(engine: Engine) -> None:
    control(engine, "OPEN", ends_at=T0 + 60 * S)
    changed, _ = control(engine, "PAUSE")
    assert changed == [E.StateChanged("PAUSED", T0 + 60 * S, True)]


@pytest.mark.parametrize("delta", [0, -S])
def test_ends_at_must_be_in_the_future(engine: Engine, delta: int) -> None:
    for action in ("OPEN", "PAUSE"):
        assert no(engine, C.TournamentControl(ADMIN, action, ends_at=T0 + delta)) == Refused(
            "INVALID_MESSAGE", "endsAt must be in the future"
        )


def test_close_ignores_ends_at_and_clears_the_schedule(engine: Engine) -> None:
    control(engine, "OPEN", ends_at=T0 + 60 * S)
    changed, _ = control(engine, "CLOSE", ends_at=T0 - S)
    assert changed == [E.StateChanged("CLOSED", None, True)]
    assert engine.ends_at is None and engine.next_deadline() is None


def test_scheduled_end_is_due_at_ends_at_and_closes_the_market() -> None:
    eng = market_engine()
    control(eng, "OPEN", ends_at=T0 + 60 * S)
    ok(eng, sell("Ann", "a", 1, 2000))
    assert eng.next_deadline() == T0 + 60 * S
    assert eng.due(T0 + 60 * S - 1) == []
    assert eng.due(T0 + 60 * S) == [C.ScheduledEnd()]
    out = ok(eng, C.ScheduledEnd(), T0 + 60 * S)
    assert kinds(out) == ["OrderCancelled", "StateChanged", "InventoryChanged"]
    assert one(out, E.OrderCancelled).reason == "MARKET_CLOSED"
    assert one(out, E.StateChanged) == E.StateChanged("CLOSED", None, True)
    assert (eng.state, eng.ends_at, eng.next_deadline()) == ("CLOSED", None, None)


def test_scheduled_end_closes_a_paused_market() -> None:
    eng = market_engine()
    control(eng, "PAUSE", ends_at=T0 + 60 * S)
    (cmd,) = eng.due(T0 + 61 * S)
    ok(eng, cmd, T0 + 61 * S)
    assert eng.state == "CLOSED"


def test_scheduled_end_before_its_time_or_without_schedule_is_refused(engine: Engine) -> None:
    assert no(engine, C.ScheduledEnd()) == Refused("INVALID_MESSAGE", "No scheduled end is due")
    control(engine, "OPEN", ends_at=T0 + 60 * S)
    assert no(engine, C.ScheduledEnd(), T0 + 59 * S).reason == "No scheduled end is due"


def test_next_deadline_is_the_earlier_of_expiry_and_end(engine: Engine) -> None:
    control(engine, "OPEN", ends_at=T0 + 60 * S)
    ok(engine, sell("TeamA", "a", 1, 2000, expires_at=T0 + 30 * S))
    assert engine.next_deadline() == T0 + 30 * S
    ok(engine, sell("TeamA", "b", 1, 2000, expires_at=T0 + 90 * S))
    ok(engine, C.CancelOrder("TeamA", "a"))
    assert engine.next_deadline() == T0 + 60 * S
