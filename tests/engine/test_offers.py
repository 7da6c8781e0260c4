"""Offers (GAME.md §5, PROTOCOL.md §4.5 rows 6-11): who gets them, when, and how accepting one trades."""

from __future__ import annotations

from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.outcome import Applied, Refused

from .support import (
    ADMIN,
    T0,
    S,
    acct,
    book,
    buy,
    cash,
    fills,
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


def offer_of(out: Applied) -> E.OfferCreated:
    return one(out, E.OfferCreated)


# --- creation ------------------------------------------------------------------------------------------
def test_resting_limit_buy_offers_to_non_admin_teams_with_available_goods() -> None:
    eng = market_engine()
    out = ok(eng, buy("Dan", "d", 3, 1200))
    offer = offer_of(out)
    # Ann, Bob, Cat hold GUACA; Dan is the buyer; admin holds GUACA but is an admin
    assert offer.recipients == ["Ann", "Bob", "Cat"]
    assert (offer.offer_id, offer.buyer, offer.buy_cl, offer.product, offer.qty, offer.max_price) == (
        f"OFF-{out.seq}", "Dan", "d", "GUACA", 3, 1200,
    )
    assert (offer.expires_at, offer.ttl_ms, offer.team_only) == (T0 + 300 * S, 300_000, False)


def test_offer_event_comes_after_the_accept_and_before_the_balance_update() -> None:
    eng = market_engine()
    assert kinds(ok(eng, buy("Dan", "d", 1, 1200))) == ["OrderAccepted", "OfferCreated", "BalanceChanged"]


def test_offer_recipients_need_one_available_unit_not_the_full_quantity() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 99, 5000))  # Ann keeps 1 available GUACA
    ok(eng, sell("Bob", "b", 100, 5000))  # Bob has none available
    assert offer_of(ok(eng, buy("Dan", "d", 50, 100))).recipients == ["Ann", "Cat"]


def test_buyer_never_receives_its_own_offer() -> None:
    eng = market_engine()
    assert "Ann" not in offer_of(ok(eng, buy("Ann", "a", 1, 100))).recipients


def test_no_offer_when_nobody_has_the_product() -> None:
    eng = market_engine()
    out = ok(eng, buy("Ann", "a", 1, 100, product="SEBO"))
    assert of(out, E.OfferCreated) == []
    assert eng.offers == {}


def test_no_offer_for_sells_market_orders_or_fully_filled_buys() -> None:
    eng = market_engine()
    assert of(ok(eng, sell("Ann", "s", 1, 5000)), E.OfferCreated) == []
    assert of(ok(eng, buy("Bob", "m", 5, None)), E.OfferCreated) == []  # MARKET, remainder cancelled
    ok(eng, sell("Cat", "c", 2, 1000))
    assert of(ok(eng, buy("Dan", "d", 2, 1000)), E.OfferCreated) == []  # filled at once


def test_partially_filled_buy_offers_its_remainder() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 2, 1000))
    offer = offer_of(ok(eng, buy("Dan", "d", 5, 1000)))
    assert offer.qty == 3
    assert offer.recipients == ["Ann", "Bob", "Cat"]


def test_offer_is_sent_once_later_partial_fills_do_not_resend_it() -> None:
    eng = market_engine()
    ok(eng, buy("Dan", "d", 5, 1000))
    out = ok(eng, sell("Ann", "a", 2, 1000))
    assert of(out, E.OfferCreated) == []
    assert len(eng.offers) == 1


def test_offer_ttl_zero_disables_offers() -> None:
    eng = market_engine(offer_ttl_s=0)
    out = ok(eng, buy("Dan", "d", 3, 1200))
    assert of(out, E.OfferCreated) == []
    assert eng.offers == {}


def test_offer_ttl_sets_expiry_and_expires_in() -> None:
    eng = market_engine(offer_ttl_s=7)
    offer = offer_of(ok(eng, buy("Dan", "d", 3, 1200)))
    assert (offer.expires_at, offer.ttl_ms) == (T0 + 7 * S, 7000)


# --- acceptance ---------------------------------------------------------------------------------------
def test_acceptance_defaults_to_remaining_quantity_at_max_price() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 3, 1200))).offer_id
    out = ok(eng, C.AcceptOffer("Ann", oid))
    assert fills(out) == [(3, 1200, "d", f"OFFER-{out.seq}")]
    assert status(eng, "Dan", "d") == "FILLED"
    assert book(eng) == ([], [])


def test_acceptance_quantity_is_capped_by_the_remaining_quantity() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 3, 1200))).offer_id
    out = ok(eng, C.AcceptOffer("Ann", oid, 50, 1100))
    acc = one(out, E.OrderAccepted)
    assert (acc.qty, acc.price) == (3, 1100)
    assert fills(out) == [(3, 1100, "d", acc.cl)]


def test_acceptance_is_an_ordinary_fill_with_acceptor_order_ledger_and_statistics() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 4, 1200))).offer_id
    out = ok(eng, C.AcceptOffer("Bob", oid, 3, 1150))
    assert kinds(out) == [
        "OrderAccepted", "Fill",
        "BalanceChanged", "BalanceChanged", "InventoryChanged", "InventoryChanged",
    ]
    assert [e.team for e in of(out, E.BalanceChanged)] == ["Dan", "Bob"]
    assert [e.team for e in of(out, E.InventoryChanged)] == ["Dan", "Bob"]
    acc = one(out, E.OrderAccepted)
    assert (acc.team, acc.cl, acc.side, acc.mode, acc.product, acc.qty, acc.price, acc.message, acc.origin) == (
        "Bob", f"OFFER-{out.seq}", "SELL", "LIMIT", "GUACA", 3, 1150, "", "OFFER",
    )
    f = one(out, E.Fill)
    assert (f.buy_team, f.sell_team, f.aggressor, f.source, f.buy_remaining, f.sell_remaining) == (
        "Dan", "Bob", "SELL", "OFFER", 1, 0,
    )
    # the acceptor's order filled in the same command: never rests, not counted as open
    assert status(eng, "Bob", acc.cl) == "FILLED"
    assert acct(eng, "Bob").open_orders == 0
    # buyer: pays 3 × 11.50, its reservation falls by 3 × 12.00 (the 1.50 improvement is back)
    assert cash(eng, "Dan") == (10000 - 3450, 1200)
    assert cash(eng, "Bob") == (100000 + 3450, 0)
    assert (goods(eng, "Bob", "GUACA"), goods(eng, "Dan", "GUACA")) == (97, 3)
    assert ledger_sum(out.events, "Bob", "GUACA") == -3
    assert ledger_sum(out.events, "Dan", "CASH") == -3450
    assert eng.stats["GUACA"].last_price == 1150
    assert eng.volume24h("GUACA") == 3
    assert book(eng) == ([("d", 1200, 1)], [])


def test_acceptor_goods_leave_from_available_and_its_reservations_stay() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 90, 5000))
    oid = offer_of(ok(eng, buy("Dan", "d", 5, 1200))).offer_id
    ok(eng, C.AcceptOffer("Ann", oid, 5))
    assert goods(eng, "Ann", "GUACA") == 95
    assert goods_reserved(eng, "Ann", "GUACA") == 90


def test_offer_can_be_accepted_several_times_by_several_recipients() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 5, 1200))).offer_id
    ok(eng, C.AcceptOffer("Ann", oid, 1))
    ok(eng, C.AcceptOffer("Ann", oid, 1, 1000))
    out = ok(eng, C.AcceptOffer("Cat", oid))
    assert fills(out) == [(3, 1200, "d", f"OFFER-{out.seq}")]
    assert no(eng, C.AcceptOffer("Bob", oid)) == Refused(
        "OFFER_EXPIRED", "buy order is no longer active (status: FILLED)"
    )


def test_acceptor_order_id_gets_a_suffix_when_taken() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "OFFER-4", 1, 9000))  # seq 1
    ok(eng, sell("Ann", "OFFER-4-1", 1, 9100))  # seq 2
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id  # seq 3
    out = ok(eng, C.AcceptOffer("Ann", oid, 1))  # seq 4
    assert out.seq == 4
    assert one(out, E.OrderAccepted).cl == "OFFER-4-2"
    assert one(out, E.Fill).sell_cl == "OFFER-4-2"


def test_accept_offer_refused_when_market_not_open() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    ok(eng, C.TournamentControl(ADMIN, "PAUSE"))
    assert no(eng, C.AcceptOffer("Ann", oid)) == Refused("SERVICE_UNAVAILABLE", "Market is closed")
    # row 6 comes before row 7
    assert no(eng, C.AcceptOffer("Ann", "OFF-999")).code == "SERVICE_UNAVAILABLE"


def test_accept_unknown_offer_or_by_non_recipient_is_not_found() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    assert no(eng, C.AcceptOffer("Ann", "OFF-999")) == Refused("OFFER_EXPIRED", "offer not found or expired: OFF-999")
    for team in ("Dan", ADMIN):
        assert no(eng, C.AcceptOffer(team, oid)) == Refused("OFFER_EXPIRED", f"offer not found or expired: {oid}")


def test_team_that_gets_goods_after_the_offer_is_not_a_recipient() -> None:
    eng = market_engine()
    out = ok(eng, buy("Ann", "a", 2, 1200))
    oid = offer_of(out).offer_id
    ok(eng, C.AddInventory(ADMIN, "Dan", "GUACA", 5))
    assert no(eng, C.AcceptOffer("Dan", oid)).reason == f"offer not found or expired: {oid}"


def test_accept_expired_offer_is_refused_from_its_expiry_on() -> None:
    eng = market_engine(offer_ttl_s=10)
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    assert no(eng, C.AcceptOffer("Ann", oid), T0 + 10 * S) == Refused("OFFER_EXPIRED", f"offer expired: {oid}")


def test_offer_is_acceptable_until_the_microsecond_before_expiry() -> None:
    eng = market_engine(offer_ttl_s=10)
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    assert len(fills(ok(eng, C.AcceptOffer("Ann", oid), T0 + 10 * S - 1))) == 1


def test_expiry_is_checked_before_the_buy_orders_status() -> None:
    eng = market_engine(offer_ttl_s=10)
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    ok(eng, C.CancelOrder("Dan", "d"))
    assert no(eng, C.AcceptOffer("Ann", oid), T0 + 11 * S).reason == f"offer expired: {oid}"


def test_offer_dies_with_its_cancelled_order() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    ok(eng, C.CancelOrder("Dan", "d"))
    assert no(eng, C.AcceptOffer("Ann", oid)) == Refused(
        "OFFER_EXPIRED", "buy order is no longer active (status: CANCELLED)"
    )


def test_offer_dies_with_its_order_filled_on_the_book() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    ok(eng, sell("Bob", "b", 2, 1200))
    assert no(eng, C.AcceptOffer("Ann", oid)).reason == "buy order is no longer active (status: FILLED)"


def test_order_status_is_checked_before_the_price() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    ok(eng, C.CancelOrder("Dan", "d"))
    assert no(eng, C.AcceptOffer("Ann", oid, 1, 99999)).reason.startswith("buy order is no longer active")


def test_price_above_max_price_is_refused() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    assert no(eng, C.AcceptOffer("Ann", oid, 1, 1201)) == Refused("INVALID_ORDER", "Price 12.01 exceeds maxPrice 12.00")


def test_price_is_checked_before_inventory() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    ok(eng, sell("Ann", "a", 100, 5000))
    assert no(eng, C.AcceptOffer("Ann", oid, 1, 1300)).code == "INVALID_ORDER"


def test_acceptor_needs_the_quantity_available() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 5, 1200))).offer_id
    ok(eng, sell("Ann", "a", 97, 5000))  # 3 left available
    assert no(eng, C.AcceptOffer("Ann", oid)) == Refused(
        "INSUFFICIENT_INVENTORY", "Insufficient inventory for GUACA: need 5, available 3"
    )
    assert len(fills(ok(eng, C.AcceptOffer("Ann", oid, 3)))) == 1


def test_offers_end_with_a_tournament_reset() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    ok(eng, C.ResetTournament(ADMIN, 100000, [C.TeamConfig("Ann", {"GUACA": 10})]))
    assert eng.offers == {}
    assert no(eng, C.AcceptOffer("Ann", oid)).reason == f"offer not found or expired: {oid}"


def test_offer_dies_when_market_closes_and_reopens() -> None:
    eng = market_engine()
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    ok(eng, C.TournamentControl(ADMIN, "CLOSE"))
    ok(eng, C.TournamentControl(ADMIN, "OPEN"))
    assert no(eng, C.AcceptOffer("Ann", oid)).reason == "buy order is no longer active (status: CANCELLED)"


def test_expired_offer_is_still_reported_as_expired_an_hour_later_then_forgotten() -> None:
    eng = market_engine(offer_ttl_s=10)
    oid = offer_of(ok(eng, buy("Dan", "d", 2, 1200))).offer_id
    assert no(eng, C.AcceptOffer("Ann", oid), T0 + 10 * S + 3600 * S - 1).reason == f"offer expired: {oid}"
    out = eng.apply(C.AcceptOffer("Ann", oid), T0 + 10 * S + 3600 * S)
    assert out == Refused("OFFER_EXPIRED", f"offer not found or expired: {oid}")
