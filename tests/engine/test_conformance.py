"""PROTOCOL.md §8 steps 9-35 through the engine alone: the exact numbers of the conformance scenario.

The wire frames are the renderer's business (tests/unit/test_render.py); here every step's engine outcome
(seq, events, balances, refusals with their texts) is pinned in the order the scenario runs them.
"""

from __future__ import annotations

from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.engine import Engine
from avex.engine.outcome import Applied, Refused

from .support import ADMIN, T0, S, acct, book, buy, cash, kinds, no, of, ok, one, sell


def inv_event(out: Applied, team: str) -> tuple[list[int], list[int]]:
    ev = [e for e in of(out, E.InventoryChanged) if e.team == team]
    assert len(ev) == 1, ev
    return ev[0].totals, ev[0].available


def bal_event(out: Applied, team: str) -> tuple[int, int]:
    ev = [e for e in of(out, E.BalanceChanged) if e.team == team]
    assert len(ev) == 1, ev
    return ev[0].total, ev[0].reserved


def teams_with(out: Applied, kind: type) -> list[str]:
    return [e.team for e in of(out, kind)]


def test_conformance_steps_9_to_35(engine: Engine) -> None:
    eng = engine
    t = T0

    # 9. limit order rests (seq 1): A's goods reserved, no cash update
    out = ok(eng, sell("TeamA", "A-S1", 5, 1600, message="fresh"), t)
    assert out.seq == 1
    assert kinds(out) == ["OrderAccepted", "InventoryChanged"]
    assert inv_event(out, "TeamA") == ([20, 10, 0, 0], [15, 10, 0, 0])

    # 10. second level (seq 2)
    out = ok(eng, sell("TeamA", "A-S2", 5, 1650), t)
    assert out.seq == 2
    assert inv_event(out, "TeamA") == ([20, 10, 0, 0], [10, 10, 0, 0])

    # 11. crossing BUY sweeps two levels (seq 3): reserves 136.00, pays 129.50
    t += S
    out = ok(eng, buy("TeamB", "B-B1", 8, 1700, message="thanks"), t)
    assert out.seq == 3
    f1, f2 = of(out, E.Fill)
    assert (f1.fill_id, f1.qty, f1.price, f1.sell_cl, f1.buy_remaining, f1.sell_remaining) == (
        "F-3-1", 5, 1600, "A-S1", 3, 0,
    )
    assert (f2.fill_id, f2.qty, f2.price, f2.sell_cl, f2.buy_remaining, f2.sell_remaining) == (
        "F-3-2", 3, 1650, "A-S2", 0, 2,
    )
    assert (f1.buy_msg, f1.sell_msg, f2.sell_msg) == ("thanks", "fresh", "")
    assert bal_event(out, "TeamB") == (87050, 0)
    assert inv_event(out, "TeamB") == ([8, 0, 10, 0], [8, 0, 10, 0])
    assert bal_event(out, "TeamA") == (112950, 0)
    assert inv_event(out, "TeamA") == ([12, 10, 0, 0], [10, 10, 0, 0])
    assert book(eng) == ([], [("A-S2", 1650, 2)])
    assert eng.stats["GUACA"].last_price == 1650
    assert eng.volume24h("GUACA") == 8

    # 12. MARKET remainder cancelled (seq 4)
    out = ok(eng, buy("TeamB", "B-M1", 5, None), t)
    assert out.seq == 4
    assert [(f.qty, f.price, f.buy_remaining) for f in of(out, E.Fill)] == [(2, 1650, 3)]
    cxl = one(out, E.OrderCancelled)
    assert (cxl.cl, cxl.reason, cxl.filled, cxl.remaining) == ("B-M1", "MARKET_REMAINDER", 2, 3)
    assert bal_event(out, "TeamB") == (83750, 0)
    assert inv_event(out, "TeamB") == ([10, 0, 10, 0], [10, 0, 10, 0])
    assert bal_event(out, "TeamA") == (116250, 0)
    assert inv_event(out, "TeamA") == ([10, 10, 0, 0], [10, 10, 0, 0])

    # 13. insufficient balance (seq 5, REJECTED)
    out = ok(eng, buy("TeamC", "C-B1", 4, 1500), t)
    rej = one(out, E.OrderRejected)
    assert (out.seq, rej.code, rej.reason) == (5, "INVALID_ORDER", "Insufficient balance: need 60.00, available 50.00")
    assert kinds(out) == ["OrderRejected"]

    # 14. insufficient inventory (seq 6)
    out = ok(eng, sell("TeamC", "C-S1", 1, 1000, product="FOSFO"), t)
    rej = one(out, E.OrderRejected)
    assert (out.seq, rej.code, rej.reason) == (
        6, "INSUFFICIENT_INVENTORY", "Insufficient inventory for FOSFO: need 1, available 0",
    )

    # 15. self-trade (seq 7, 8)
    out = ok(eng, sell("TeamA", "A-S3", 4, 1300, product="FOSFO"), t)
    assert out.seq == 7
    assert inv_event(out, "TeamA") == ([10, 10, 0, 0], [10, 6, 0, 0])
    out = ok(eng, buy("TeamA", "A-B1", 2, 1350, product="FOSFO"), t)
    rej = one(out, E.OrderRejected)
    assert (out.seq, rej.reason) == (8, "Self-trade prevented: would match own order A-S3")

    # 16. clOrdID unique per team (seq 9)
    r = no(eng, sell("TeamA", "A-S3", 1, 1400, product="FOSFO"), t)
    assert r == Refused("DUPLICATE_ORDER_ID", "duplicate order ID: A-S3", "A-S3")
    out = ok(eng, sell("TeamB", "A-S3", 2, 900, product="PITA"), t)
    assert out.seq == 9
    assert inv_event(out, "TeamB") == ([10, 0, 10, 0], [10, 0, 8, 0])

    # 17. cancel (seq 10)
    out = ok(eng, C.CancelOrder("TeamB", "A-S3"), t)
    assert out.seq == 10
    assert one(out, E.OrderCancelled).reason == "USER"
    assert inv_event(out, "TeamB") == ([10, 0, 10, 0], [10, 0, 10, 0])

    # 18. cancel unknown / another team's order
    assert no(eng, C.CancelOrder("TeamB", "nope"), t) == Refused("INVALID_ORDER", "Order not found", "nope")
    assert no(eng, C.CancelOrder("TeamC", "A-S3"), t) == Refused("INVALID_ORDER", "Order not found", "A-S3")

    # 19. cancel closed orders
    assert no(eng, C.CancelOrder("TeamA", "A-S1"), t).reason == "Cannot cancel filled order"
    assert no(eng, C.CancelOrder("TeamB", "A-S3"), t).reason == "Order already cancelled"
    assert no(eng, C.CancelOrder("TeamC", "C-B1"), t).reason == "Cannot cancel rejected order"

    # 20. expiry (seq 11-13)
    out = ok(eng, sell("TeamA", "A-S4", 1, 3000, expires_at=1_577_836_800 * S), t)
    assert (out.seq, one(out, E.OrderRejected).reason) == (11, "expiresAt is in the past")
    out = ok(eng, sell("TeamA", "A-S5", 1, 3000, expires_at=t + 2 * S), t)
    assert out.seq == 12
    assert inv_event(out, "TeamA") == ([10, 10, 0, 0], [9, 6, 0, 0])
    assert eng.next_deadline() == t + 2 * S
    t += 2 * S
    (expire,) = eng.due(t)
    out = ok(eng, expire, t)
    assert out.seq == 13
    assert one(out, E.OrderCancelled).reason == "EXPIRED"
    assert inv_event(out, "TeamA") == ([10, 10, 0, 0], [10, 6, 0, 0])

    # 21. a resting BUY makes an OFFER (seq 14), to TeamA only
    t += 3 * S
    out = ok(eng, buy("TeamB", "B-B2", 3, 1200, product="FOSFO"), t)
    assert out.seq == 14
    assert bal_event(out, "TeamB") == (83750, 3600)
    offer = one(out, E.OfferCreated)
    assert (offer.offer_id, offer.buyer, offer.product, offer.qty, offer.max_price, offer.ttl_ms, offer.recipients) == (
        "OFF-14", "TeamB", "FOSFO", 3, 1200, 300_000, ["TeamA"],
    )
    assert offer.expires_at == t + 300 * S

    # 22. order book
    assert book(eng, "FOSFO") == ([("B-B2", 1200, 3)], [("A-S3", 1300, 4)])

    # 23. offer refusals
    assert no(eng, C.AcceptOffer("TeamC", "OFF-14"), t) == Refused(
        "OFFER_EXPIRED", "offer not found or expired: OFF-14"
    )
    assert no(eng, C.AcceptOffer("TeamA", "OFF-14", 2, 1250), t) == Refused(
        "INVALID_ORDER", "Price 12.50 exceeds maxPrice 12.00"
    )

    # 24. offer accepted in part (seq 15)
    out = ok(eng, C.AcceptOffer("TeamA", "OFF-14", 2, 1150), t)
    assert out.seq == 15
    acc = one(out, E.OrderAccepted)
    assert (acc.team, acc.cl, acc.side, acc.mode, acc.qty, acc.price, acc.origin) == (
        "TeamA", "OFFER-15", "SELL", "LIMIT", 2, 1150, "OFFER",
    )
    fill = one(out, E.Fill)
    assert (fill.fill_id, fill.qty, fill.price, fill.buy_cl, fill.sell_cl, fill.buy_remaining, fill.sell_remaining,
            fill.source) == ("F-15-1", 2, 1150, "B-B2", "OFFER-15", 1, 0, "OFFER")
    assert bal_event(out, "TeamA") == (118550, 0)
    assert inv_event(out, "TeamA") == ([10, 8, 0, 0], [10, 4, 0, 0])
    assert bal_event(out, "TeamB") == (81450, 1200)
    assert inv_event(out, "TeamB") == ([10, 2, 10, 0], [10, 2, 10, 0])

    # 25. the offer dies with its order (seq 16)
    out = ok(eng, C.CancelOrder("TeamB", "B-B2"), t)
    assert out.seq == 16
    assert bal_event(out, "TeamB") == (81450, 0)
    assert no(eng, C.AcceptOffer("TeamA", "OFF-14"), t) == Refused(
        "OFFER_EXPIRED", "buy order is no longer active (status: CANCELLED)"
    )

    # 26. production (seq 17)
    out = ok(eng, C.Produce("TeamA", "FOSFO", 15), t)
    assert out.seq == 17
    assert inv_event(out, "TeamA") == ([10, 23, 0, 0], [10, 19, 0, 0])

    # 27. over the maximum
    assert no(eng, C.Produce("TeamA", "FOSFO", 16), t) == Refused(
        "INVALID_QUANTITY", "Quantity exceeds the maximum of 15 for FOSFO"
    )
    assert no(eng, C.Produce("TeamA", "GUACA", 21), t).reason == "Quantity exceeds the maximum of 20 for GUACA"

    # 28. cooldown, within 1 s
    assert no(eng, C.Produce("TeamA", "FOSFO", 1), t + S // 2) == Refused(
        "RATE_LIMIT_EXCEEDED", "Production cooldown: retry in 15 s"
    )

    # 29. unauthorized
    assert no(eng, C.Produce("TeamA", "SEBO", 1)) == Refused(
        "UNAUTHORIZED_PRODUCTION", "team not authorized to produce SEBO"
    )
    assert no(eng, C.Produce("TeamC", "PITA", 1)).reason == "team not authorized to produce PITA"

    # 30. ingredients (seq 18)
    assert no(eng, C.Produce("TeamA", "GUACA", 1)) == Refused(
        "INSUFFICIENT_INVENTORY", "Insufficient ingredients for GUACA: need 2 PITA, available 0"
    )
    out = ok(eng, C.Produce("TeamB", "SEBO", 2))
    assert out.seq == 18
    assert inv_event(out, "TeamB") == ([10, 0, 10, 2], [10, 0, 10, 2])

    # 33. admin cancel notifies the owner (seq 19)
    out = ok(eng, C.AdminCancelOrder(ADMIN, "TeamA", "A-S3"))
    assert out.seq == 19
    cxl = one(out, E.OrderCancelled)
    assert (cxl.team, cxl.cl, cxl.reason) == ("TeamA", "A-S3", "ADMIN")
    assert inv_event(out, "TeamA") == ([10, 23, 0, 0], [10, 23, 0, 0])
    reply = one(out, E.Reply)
    assert (reply.msg_type, reply.fields) == ("ADMIN_ACTION_RESPONSE", {
        "action": "CANCEL_ORDER", "success": True, "message": "Successfully cancelled order A-S3", "count": 1,
    })
    assert no(eng, C.AdminCancelOrder(ADMIN, "TeamA", "A-S3")) == Refused(
        "INVALID_ORDER", "Order already cancelled", "A-S3"
    )

    # 34. pause and reopen (seq 20, 21)
    out = ok(eng, C.TournamentControl(ADMIN, "PAUSE"))
    assert out.seq == 20
    assert one(out, E.StateChanged) == E.StateChanged("PAUSED", None, True)
    assert one(out, E.Reply).fields["message"] == "Tournament is PAUSED"
    assert no(eng, buy("TeamB", "B-B3", 1, 1000)) == Refused("SERVICE_UNAVAILABLE", "Market is closed", "B-B3")
    out = ok(eng, C.TournamentControl(ADMIN, "OPEN"))
    assert out.seq == 21
    assert one(out, E.Reply).fields["message"] == "Tournament is OPEN"

    # 35. tournament reset (seq 22, 23)
    out = ok(eng, sell("TeamA", "A-S6", 1, 2000))
    assert out.seq == 22
    assert inv_event(out, "TeamA") == ([10, 23, 0, 0], [9, 23, 0, 0])
    out = ok(eng, C.ResetTournament(ADMIN, 50000, [C.TeamConfig("TeamA", {"FOSFO": 5}), C.TeamConfig("TeamB")]))
    assert out.seq == 23
    assert [(c.cl, c.reason) for c in of(out, E.OrderCancelled)] == [("A-S6", "RESET")]
    assert bal_event(out, "TeamA") == (50000, 0)
    assert inv_event(out, "TeamA") == ([0, 5, 0, 0], [0, 5, 0, 0])
    assert bal_event(out, "TeamB") == (50000, 0)
    assert inv_event(out, "TeamB") == ([0, 0, 0, 0], [0, 0, 0, 0])
    assert one(out, E.Reply).fields == {
        "success": True, "teamsReset": 2, "ordersCanceled": 1,
        "message": "Tournament reset: 2 teams configured, 1 orders cancelled",
    }
    ranking = eng.ranking()
    assert [v.team for v in ranking] == ["TeamA", "TeamB", "TeamC", "TeamD"]
    a = ranking[0]
    assert (a.baseline, a.value, a.profit_loss, a.roi, a.cash, a.inventory_value) == (56250, 56250, 0, 0, 50000, 6250)
    assert eng.marks()[eng.pidx["FOSFO"]] == 1250
    assert cash(eng, "TeamA") == (50000, 0)
    assert acct(eng, "TeamA").open_orders == 0
