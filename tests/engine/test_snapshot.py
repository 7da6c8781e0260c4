"""Engine snapshots: export -> (msgpack) -> from_export rebuilds the same state, and the rebuilt engine gives
the same events as the uninterrupted one for every later command."""

from __future__ import annotations

import msgspec
import pytest

from avex.domain.catalogue import token_hash
from avex.engine import commands as C
from avex.engine.engine import Engine
from avex.engine.outcome import Applied, Refused

from .support import ADMIN, T0, S, buy, frozen_export, market_engine, market_tournament, ok, sell


def rebuilt(eng: Engine) -> Engine:
    data = msgspec.msgpack.decode(msgspec.msgpack.encode(eng.export()))
    return Engine.from_export(eng.t, data)


def history(eng: Engine) -> None:
    """A tournament with something of everything in flight."""
    t = T0
    ok(eng, C.SeedTeams(ADMIN, [C.SeedTeam("Eve", token_hash("TK-EVE"), "Monjes de Fosforescencia", 50000,
                                            {"PITA": 30, "GUACA": 5})]), t)
    ok(eng, sell("Ann", "a1", 5, 1000), t)
    ok(eng, sell("Bob", "b1", 5, 1100, expires_at=T0 + 100 * S), t)
    ok(eng, sell("Cat", "OFFER-9", 2, 1300), t)  # collides with a later acceptor id
    ok(eng, buy("Dan", "d1", 3, 900), t)  # rests with an offer (OFF-5)
    ok(eng, buy("Eve", "e1", 7, 1050, expires_at=T0 + 50 * S), t)  # fills 5 @ 10.00, rests 2: OFF-6
    ok(eng, buy("Ann", "dead", 2, 800, product="FOSFO"), t)  # offer OFF-7 to Bob and Cat, then cancelled
    ok(eng, C.CancelOrder("Ann", "dead"), t)
    t += S
    ok(eng, C.AcceptOffer("Cat", "OFF-5", 1, 850), t)  # seq 9: OFFER-9-1
    ok(eng, buy("Dan", "m1", 50, None), t)  # MARKET, partially filled, cancelled
    ok(eng, buy("Cat", "rej", 10**6, 100000), t)  # rejected
    ok(eng, C.Produce("Eve", "GUACA", 10), t)  # cooldown running
    ok(eng, buy("Bob", "h1", 2, 1400, debug="AUTO_ACCEPT"), t)  # the house sells
    ok(eng, buy("Cat", "to1", 2, 700, debug="TEAM_ONLY"), t)  # TEAM_ONLY offer OFF-14
    ok(eng, C.TournamentControl(ADMIN, "OPEN", ends_at=T0 + 5000 * S), t)
    ok(eng, C.UpdateMembers(ADMIN, "Ann", "ana"), t)
    ok(eng, C.ResetTeamProduction(ADMIN, "Bob"), t)


def future(t0: int) -> list[tuple[C.Command, int]]:
    t = t0 + S
    cmds: list[tuple[C.Command, int]] = [
        (C.AcceptOffer("Ann", "OFF-5", 1), t),  # live offer, partial again
        (C.AcceptOffer("Bob", "OFF-7"), t),  # its order is cancelled
        (C.AcceptOffer("Cat", "OFF-14", 1, 650), t),  # TEAM_ONLY, the house sells
        (C.AcceptOffer("Ann", "OFF-6", 1), t),
        (sell("Ann", "a1", 1, 1000), t),  # duplicate id
        (C.CancelOrder("Cat", "rej"), t),
        (C.Produce("Eve", "GUACA", 1), t),  # still cooling down
        (C.Produce("Eve", "GUACA", 1), t0 + 20 * S),
        (buy("Dan", "d2", 1, 1100), t),
        (sell("Cat", "c2", 3, 1000), t),
        (C.AcceptOffer("Cat", "OFF-5", 1), t0 + 301 * S),  # expired
        (C.AcceptOffer("Cat", "OFF-5", 1), t0 + 4000 * S),  # forgotten
    ]
    return cmds


def run_both(a: Engine, b: Engine, cmds: list[tuple[C.Command, int]]) -> list[Applied | Refused]:
    """Apply due ticks and then each command to both engines; every outcome must be equal."""
    outs = []
    for cmd, at in cmds:
        ticks = a.due(at)
        assert b.due(at) == ticks
        for tick in ticks:
            assert a.apply(tick, at) == b.apply(tick, at)
        out_a, out_b = a.apply(cmd, at), b.apply(cmd, at)
        assert out_a == out_b, cmd
        outs.append(out_a)
    return outs


def test_export_round_trips_through_msgpack_to_an_identical_export() -> None:
    eng = market_engine(debug_mode=True)
    history(eng)
    assert frozen_export(rebuilt(eng)) == frozen_export(eng)


def test_rebuilt_engine_answers_queries_like_the_original() -> None:
    eng = market_engine(debug_mode=True)
    history(eng)
    copy = rebuilt(eng)
    for product in ("GUACA", "FOSFO"):
        assert [(o.seq, o.cl, o.remaining) for side in copy.book_orders(product) for o in side] == [
            (o.seq, o.cl, o.remaining) for side in eng.book_orders(product) for o in side
        ]
    assert copy.next_deadline() == eng.next_deadline()
    assert copy.due(T0 + 1000 * S) == eng.due(T0 + 1000 * S)
    assert copy.ranking() == eng.ranking()
    assert copy.balances() == eng.balances()
    assert copy.marks() == eng.marks()
    assert copy.login(token_hash("TK-EVE")) is copy.account("Eve")
    assert [(o.seq, o.cl) for o in copy.open_orders()] == [(o.seq, o.cl) for o in eng.open_orders()]


def test_rebuilt_engine_gives_the_same_future_events() -> None:
    eng = market_engine(debug_mode=True)
    history(eng)
    copy = rebuilt(eng)
    cmds = future(eng.now)
    outs = run_both(eng, copy, cmds)
    assert frozen_export(copy) == frozen_export(eng)
    # the interesting branches were taken
    refusals = [o.reason for o in outs if isinstance(o, Refused)]
    assert refusals == [
        "buy order is no longer active (status: CANCELLED)", "duplicate order ID: a1", "Cannot cancel rejected order",
        "Production cooldown: retry in 14 s", "offer expired: OFF-5", "offer not found or expired: OFF-5",
    ]
    assert sum(isinstance(o, Applied) for o in outs) == len(cmds) - len(refusals)


def test_rebuilt_engine_applies_the_due_expiries_and_the_end_like_the_original() -> None:
    eng = market_engine(debug_mode=True)
    history(eng)
    copy = rebuilt(eng)
    for at in (T0 + 50 * S, T0 + 100 * S, T0 + 6000 * S):
        ticks = eng.due(at)
        assert ticks == copy.due(at)
        for tick in ticks:
            assert eng.apply(tick, at) == copy.apply(tick, at)
    assert eng.state == copy.state == "CLOSED"
    assert frozen_export(copy) == frozen_export(eng)


def test_export_is_detached_from_the_live_engine() -> None:
    eng = market_engine()
    snap = eng.export()
    kept = msgspec.msgpack.decode(msgspec.msgpack.encode(snap))
    ok(eng, sell("Ann", "a1", 5, 1000))
    ok(eng, buy("Bob", "b1", 5, 1000))
    ok(eng, C.ResetTournament(ADMIN, 1, [C.TeamConfig("Cat", {"FOSFO": 1})]))
    assert snap == kept, "later commands must not change an export already taken"


def test_unknown_snapshot_format_is_refused() -> None:
    data = market_engine().export()
    data["format"] = 999
    with pytest.raises(ValueError, match="unknown engine snapshot format"):
        Engine.from_export(market_tournament(), data)


def test_fresh_engine_round_trips() -> None:
    eng = market_engine()
    copy = rebuilt(eng)
    assert frozen_export(copy) == frozen_export(eng)
    assert copy.apply(sell("Ann", "x", 1, 1000), T0) == eng.apply(sell("Ann", "x", 1, 1000), T0)
