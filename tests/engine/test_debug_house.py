"""Debug mode and the house (GAME.md §6.4): AUTO_ACCEPT and TEAM_ONLY, and house fills as ordinary fills."""

from __future__ import annotations

import pytest

from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.engine import Engine
from avex.engine.outcome import Applied, Refused

from .support import ADMIN, acct, book, buy, cash, fills, goods, kinds, market_engine, no, of, ok, one, sell, status


def debug_engine(**market: object) -> Engine:
    return market_engine(debug_mode=True, **market)


def house_fills(out: Applied) -> list[tuple[int, int]]:
    return [(f.qty, f.price) for f in of(out, E.Fill) if f.source == "HOUSE"]


# --- AUTO_ACCEPT --------------------------------------------------------------------------------------------
def test_auto_accept_limit_buy_remainder_is_sold_by_the_house_at_the_limit() -> None:
    eng = debug_engine()
    ok(eng, sell("Ann", "a", 1, 1100))
    out = ok(eng, buy("Dan", "d", 3, 1200, debug="AUTO_ACCEPT"))
    book_fill, house_fill = of(out, E.Fill)
    assert (book_fill.source, book_fill.qty, book_fill.price) == ("BOOK", 1, 1100)
    assert (house_fill.source, house_fill.qty, house_fill.price, house_fill.sell_team, house_fill.sell_cl,
            house_fill.sell_msg, house_fill.buy_remaining, house_fill.aggressor) == (
        "HOUSE", 2, 1200, "SERVER", "", "", 0, "BUY",
    )
    assert of(out, E.OfferCreated) == []
    assert status(eng, "Dan", "d") == "FILLED"
    assert book(eng) == ([], [])
    assert cash(eng, "Dan") == (10000 - 1100 - 2400, 0)
    assert goods(eng, "Dan", "GUACA") == 3
    assert (eng.house.cash, eng.house.goods[0]) == (2400, -2)
    assert [(e.team, e.asset, e.delta) for e in of(out, E.Ledger) if e.ref == house_fill.fill_id] == [
        ("Dan", "CASH", -2400), ("Dan", "GUACA", 2), ("SERVER", "GUACA", -2), ("SERVER", "CASH", 2400),
    ]
    assert [e.team for e in of(out, E.BalanceChanged)] == ["Dan", "Ann"], "the house gets no update"


def test_auto_accept_market_buy_is_sold_at_the_reference_mark_while_cash_allows() -> None:
    eng = debug_engine()
    out = ok(eng, buy("Dan", "m", 10, None, debug="AUTO_ACCEPT"))  # 100.00 / 15.30 -> 6 units
    assert house_fills(out) == [(6, 1530)]
    cxl = one(out, E.OrderCancelled)
    assert (cxl.reason, cxl.filled, cxl.remaining) == ("MARKET_REMAINDER", 6, 4)
    assert cash(eng, "Dan") == (10000 - 6 * 1530, 0)


def test_auto_accept_market_buy_uses_the_vwap_mark_of_recent_fills() -> None:
    eng = debug_engine()
    ok(eng, sell("Ann", "a1", 1, 1600))
    ok(eng, buy("Bob", "b1", 1, 1600))
    ok(eng, sell("Ann", "a2", 1, 1601))
    ok(eng, buy("Bob", "b2", 1, 1601))
    assert eng.mark_price("GUACA") == 1600  # 16.005 -> half-even 16.00
    out = ok(eng, buy("Cat", "m", 3, None, debug="AUTO_ACCEPT"))
    assert house_fills(out) == [(3, 1600)]
    assert status(eng, "Cat", "m") == "FILLED"


def test_auto_accept_market_buy_that_cannot_pay_one_unit_at_the_mark_is_cancelled() -> None:
    eng = debug_engine()
    ok(eng, C.UpdateTeam(ADMIN, "Dan", 1000))
    out = ok(eng, buy("Dan", "m", 2, None, debug="AUTO_ACCEPT"))
    assert kinds(out) == ["OrderAccepted", "OrderCancelled"]
    assert one(out, E.OrderCancelled).remaining == 2


def test_auto_accept_buy_filled_on_the_book_needs_no_house() -> None:
    eng = debug_engine()
    ok(eng, sell("Ann", "a", 3, 1100))
    out = ok(eng, buy("Dan", "d", 3, 1200, debug="AUTO_ACCEPT"))
    assert house_fills(out) == []
    assert eng.house.goods == [0, 0, 0, 0]


def test_auto_accept_is_ignored_for_sells() -> None:
    eng = debug_engine()
    out = ok(eng, sell("Ann", "a", 3, 1100, debug="AUTO_ACCEPT"))
    assert of(out, E.Fill) == []
    assert book(eng) == ([], [("a", 1100, 3)])


def test_auto_accept_is_ignored_without_debug_mode() -> None:
    eng = market_engine()
    out = ok(eng, buy("Dan", "d", 3, 1200, debug="AUTO_ACCEPT"))
    assert of(out, E.Fill) == []
    assert one(out, E.OfferCreated).recipients == ["Ann", "Bob", "Cat"]
    assert book(eng) == ([("d", 1200, 3)], [])


def test_unknown_debug_value_has_no_effect() -> None:
    eng = debug_engine()
    out = ok(eng, buy("Dan", "d", 3, 1200, debug="SOMETHING"))
    assert of(out, E.Fill) == []
    assert one(out, E.OfferCreated).team_only is False


def test_house_fills_count_in_last_price_volume_and_marks() -> None:
    eng = debug_engine()
    ok(eng, buy("Dan", "d", 2, 1234, debug="AUTO_ACCEPT"))
    assert eng.stats["GUACA"].last_price == 1234
    assert eng.volume24h("GUACA") == 2
    assert eng.marks()[0] == 1234


def test_self_trade_is_still_rejected_before_the_house_sells() -> None:
    eng = debug_engine()
    ok(eng, sell("Ann", "own", 1, 1000))
    out = ok(eng, buy("Ann", "b", 2, 1200, debug="AUTO_ACCEPT"))
    assert one(out, E.OrderRejected).reason == "Self-trade prevented: would match own order own"
    assert eng.house.cash == 0


# --- TEAM_ONLY --------------------------------------------------------------------------------------------
def test_team_only_offer_goes_to_the_buyers_own_team_whatever_it_holds() -> None:
    eng = debug_engine()
    out = ok(eng, buy("Dan", "d", 3, 1200, debug="TEAM_ONLY"))
    offer = one(out, E.OfferCreated)
    assert (offer.recipients, offer.team_only, offer.qty, offer.max_price) == (["Dan"], True, 3, 1200)


def test_team_only_offer_reaches_an_admin_team() -> None:
    eng = debug_engine()
    out = ok(eng, buy(ADMIN, "x", 1, 1200, product="SEBO", debug="TEAM_ONLY"))
    assert one(out, E.OfferCreated).recipients == [ADMIN]


def test_accepting_a_team_only_offer_makes_the_house_sell_at_the_accepted_price() -> None:
    eng = debug_engine()
    oid = one(ok(eng, buy("Dan", "d", 3, 1200, debug="TEAM_ONLY")), E.OfferCreated).offer_id
    out = ok(eng, C.AcceptOffer("Dan", oid, 2, 1000))
    assert of(out, E.OrderAccepted) == [], "no acceptor order"
    f = one(out, E.Fill)
    assert (f.buy_team, f.buy_cl, f.sell_team, f.sell_cl, f.qty, f.price, f.source, f.aggressor, f.buy_remaining) == (
        "Dan", "d", "SERVER", "", 2, 1000, "HOUSE", "SELL", 1,
    )
    assert kinds(out)[-2:] == ["BalanceChanged", "InventoryChanged"]
    # pays 20.00; the reservation falls by 2 × 12.00
    assert cash(eng, "Dan") == (10000 - 2000, 1200)
    assert goods(eng, "Dan", "GUACA") == 2
    assert (eng.house.cash, eng.house.goods[0]) == (2000, -2)


def test_team_only_acceptance_defaults_to_remaining_at_max_price_and_fills_the_order() -> None:
    eng = debug_engine()
    oid = one(ok(eng, buy("Dan", "d", 3, 1200, debug="TEAM_ONLY")), E.OfferCreated).offer_id
    assert fills(ok(eng, C.AcceptOffer("Dan", oid))) == [(3, 1200, "d", "")]
    assert status(eng, "Dan", "d") == "FILLED"
    assert no(eng, C.AcceptOffer("Dan", oid)).reason == "buy order is no longer active (status: FILLED)"


def test_team_only_offer_refuses_other_teams_and_prices_above_max() -> None:
    eng = debug_engine()
    oid = one(ok(eng, buy("Dan", "d", 3, 1200, debug="TEAM_ONLY")), E.OfferCreated).offer_id
    assert no(eng, C.AcceptOffer("Ann", oid)) == Refused("OFFER_EXPIRED", f"offer not found or expired: {oid}")
    assert no(eng, C.AcceptOffer("Dan", oid, 1, 1300)) == Refused("INVALID_ORDER", "Price 13.00 exceeds maxPrice 12.00")


def test_team_only_without_debug_mode_is_an_ordinary_offer() -> None:
    eng = market_engine()
    offer = one(ok(eng, buy("Dan", "d", 3, 1200, debug="TEAM_ONLY")), E.OfferCreated)
    assert (offer.recipients, offer.team_only) == (["Ann", "Bob", "Cat"], False)


def test_team_only_with_offers_disabled_sends_nothing() -> None:
    eng = debug_engine(offer_ttl_s=0)
    assert of(ok(eng, buy("Dan", "d", 3, 1200, debug="TEAM_ONLY")), E.OfferCreated) == []


@pytest.mark.parametrize("debug", ["TEAM_ONLY", "AUTO_ACCEPT"])
def test_debug_values_do_nothing_for_sell_orders(debug: str) -> None:
    eng = debug_engine()
    out = ok(eng, sell("Ann", "a", 3, 1100, debug=debug))
    assert kinds(out) == ["OrderAccepted", "InventoryChanged"]


def test_house_is_no_team_and_never_ranked() -> None:
    eng = debug_engine()
    ok(eng, buy("Dan", "d", 1, 1200, debug="AUTO_ACCEPT"))
    assert eng.account("SERVER") is None
    assert "SERVER" not in [a.name for a in eng.teams()]
    assert "SERVER" not in [v.team for v in eng.ranking()]
    assert acct(eng, "Dan").goods[0] == 1
