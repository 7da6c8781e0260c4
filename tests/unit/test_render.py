"""The renderer against PROTOCOL.md §8 (steps 9, 11, 12, 13, 21, 24, 33, 34, 35) and §3.4's order.

Listings omit ``serverTime`` / ``timestamp`` / ``expiresAt`` and FILL's ``teamName`` (= the receiving team);
``strip`` drops exactly those after checking them, so the rest is compared as written in the spec.
"""

from __future__ import annotations

import json

from avex.engine.commands import (
    AcceptOffer,
    AdminCancelOrder,
    CancelOrder,
    PlaceOrder,
    ResetTournament,
    TeamConfig,
    TournamentControl,
)
from avex.engine.events import (
    BalanceChanged,
    BucketsRefilled,
    CooldownCleared,
    Fill,
    InventoryChanged,
    Ledger,
    OfferCreated,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    Reply,
    StateChanged,
    StatsReset,
    TeamChanged,
)
from avex.engine.outcome import Applied
from avex.render import (
    Rendered,
    mid_cents,
    order_book_frame,
    order_summary,
    render,
    render_team_stream,
    ticker_frame,
)

CAT = ("GUACA", "FOSFO", "PITA", "SEBO")
T0 = 1_795_608_000_123_456  # 2026-11-25T12:00:00.123456Z
T0_TEXT = "2026-11-25T12:00:00.123Z"


def inv(g: int, f: int, p: int, s: int) -> dict[str, int]:
    return {"GUACA": g, "FOSFO": f, "PITA": p, "SEBO": s}


def strip(frame: dict, team: str | None = None) -> dict:
    """The frame as the §8 listings show it, after checking the fields they leave out."""
    f = dict(frame)
    if f["type"] in ("OFFER", "ERROR"):
        assert f.pop("timestamp") == T0_TEXT
        assert "serverTime" not in f
    else:
        assert f.pop("serverTime") == T0_TEXT
    if f["type"] == "OFFER":
        f.pop("expiresAt")
    if f["type"] == "FILL":
        assert f.pop("teamName") == team
    return f


def strip_all(frames: list[dict], team: str | None = None) -> list[dict]:
    return [strip(f, team) for f in frames]


def no_nulls(value: object) -> None:
    assert value is not None
    if isinstance(value, dict):
        for v in value.values():
            no_nulls(v)
    elif isinstance(value, list | tuple):
        for v in value:
            no_nulls(v)


def all_frames(r: Rendered) -> list[dict]:
    return [*(f for fs in r.team.values() for f in fs), *r.admin, *r.all, *r.reply]


def check_common(applied: Applied, r: Rendered) -> None:
    """Invariants of every rendering: no nulls, seq everywhere, RESYNC stream == live, JSON-encodable."""
    frames = all_frames(r)
    no_nulls(frames)
    for f in frames:
        assert f["seq"] == applied.seq
    json.dumps(frames)
    assert "SERVER" not in r.team
    for name, frames_of_team in r.team.items():
        assert render_team_stream(applied, CAT, name) == frames_of_team
        assert r.stream(name) == frames_of_team


def fill(
    fid,
    product,
    qty,
    price,
    buy,
    sell,
    *,
    bmsg="",
    smsg="",
    brem,
    btot,
    srem,
    stot,
    aggr="BUY",
    source="BOOK",
) -> Fill:
    return Fill(
        fid,
        product,
        qty,
        price,
        buy[0],
        buy[1],
        sell[0],
        sell[1],
        bmsg,
        smsg,
        brem,
        btot,
        srem,
        stot,
        aggr,
        source,
    )


# --- §8 step 9: a LIMIT order rests ---------------------------------------------------------------
def test_step9_limit_rests():
    applied = Applied(
        1,
        T0,
        PlaceOrder("TeamA", "A-S1", "SELL", "LIMIT", "GUACA", 5, 1600, message="fresh"),
        [
            OrderAccepted("TeamA", "A-S1", "SELL", "LIMIT", "GUACA", 5, 1600, "fresh", None),
            InventoryChanged.of("TeamA", [20, 10, 0, 0], [15, 10, 0, 0]),
        ],
    )
    r = render(applied, CAT)
    assert list(r.team) == ["TeamA"]
    assert strip_all(r.team["TeamA"]) == [
        {"type": "ORDER_ACK", "clOrdID": "A-S1", "status": "PENDING", "seq": 1},
        {
            "type": "INVENTORY_UPDATE",
            "inventory": inv(20, 10, 0, 0),
            "available": inv(15, 10, 0, 0),
            "seq": 1,
        },
    ]
    # Inventory maps list every catalogue product, in catalogue order.
    assert list(r.team["TeamA"][1]["inventory"]) == list(CAT)
    assert list(r.team["TeamA"][1]["available"]) == list(CAT)
    assert r.admin == [] and r.all == [] and r.reply == []
    assert r.products_touched == {"GUACA"} and r.book_changed == {"GUACA"}
    check_common(applied, r)


# --- §8 step 11: a crossing BUY sweeps two levels -------------------------------------------------
def step11() -> Applied:
    return Applied(
        3,
        T0,
        PlaceOrder("TeamB", "B-B1", "BUY", "LIMIT", "GUACA", 8, 1700, message="thanks"),
        [
            OrderAccepted("TeamB", "B-B1", "BUY", "LIMIT", "GUACA", 8, 1700, "thanks", None),
            fill(
                "F-3-1",
                "GUACA",
                5,
                1600,
                ("TeamB", "B-B1"),
                ("TeamA", "A-S1"),
                bmsg="thanks",
                smsg="fresh",
                brem=3,
                btot=8,
                srem=0,
                stot=5,
            ),
            Ledger("TeamB", "CASH", -8000, 92000, "TRADE", "F-3-1"),
            Ledger("TeamA", "CASH", 8000, 108000, "TRADE", "F-3-1"),
            Ledger("TeamB", "GUACA", 5, 5, "TRADE", "F-3-1"),
            Ledger("TeamA", "GUACA", -5, 15, "TRADE", "F-3-1"),
            fill(
                "F-3-2",
                "GUACA",
                3,
                1650,
                ("TeamB", "B-B1"),
                ("TeamA", "A-S2"),
                bmsg="thanks",
                smsg="",
                brem=0,
                btot=8,
                srem=2,
                stot=5,
            ),
            Ledger("TeamB", "CASH", -4950, 87050, "TRADE", "F-3-2"),
            Ledger("TeamA", "CASH", 4950, 112950, "TRADE", "F-3-2"),
            # The two teams' updates interleave: each team must still get BALANCE then INVENTORY.
            BalanceChanged("TeamB", 87050, 0),
            InventoryChanged.of("TeamA", [12, 10, 0, 0], [10, 10, 0, 0]),
            BalanceChanged("TeamA", 112950, 0),
            InventoryChanged.of("TeamB", [8, 0, 10, 0], [8, 0, 10, 0]),
        ],
    )


B_FILL_31 = {
    "type": "FILL",
    "clOrdID": "B-B1",
    "fillQty": 5,
    "fillPrice": 16,
    "side": "BUY",
    "product": "GUACA",
    "counterparty": "TeamA",
    "counterpartyMessage": "fresh",
    "remainingQty": 3,
    "totalQty": 8,
    "fillId": "F-3-1",
    "seq": 3,
}
B_FILL_32 = {
    "type": "FILL",
    "clOrdID": "B-B1",
    "fillQty": 3,
    "fillPrice": 16.5,
    "side": "BUY",
    "product": "GUACA",
    "counterparty": "TeamA",
    "counterpartyMessage": "",
    "remainingQty": 0,
    "totalQty": 8,
    "fillId": "F-3-2",
    "seq": 3,
}
A_FILL_31 = {
    "type": "FILL",
    "clOrdID": "A-S1",
    "fillQty": 5,
    "fillPrice": 16,
    "side": "SELL",
    "product": "GUACA",
    "counterparty": "TeamB",
    "counterpartyMessage": "thanks",
    "remainingQty": 0,
    "totalQty": 5,
    "fillId": "F-3-1",
    "seq": 3,
}
A_FILL_32 = {
    "type": "FILL",
    "clOrdID": "A-S2",
    "fillQty": 3,
    "fillPrice": 16.5,
    "side": "SELL",
    "product": "GUACA",
    "counterparty": "TeamB",
    "counterpartyMessage": "thanks",
    "remainingQty": 2,
    "totalQty": 5,
    "fillId": "F-3-2",
    "seq": 3,
}


def test_step11_two_fills_both_teams_and_admin_copies():
    applied = step11()
    r = render(applied, CAT)
    assert list(r.team) == ["TeamB", "TeamA"]
    assert strip_all(r.team["TeamB"], "TeamB") == [
        {"type": "ORDER_ACK", "clOrdID": "B-B1", "status": "PENDING", "seq": 3},
        B_FILL_31,
        B_FILL_32,
        {"type": "BALANCE_UPDATE", "balance": 870.5, "available": 870.5, "reserved": 0, "seq": 3},
        {"type": "INVENTORY_UPDATE", "inventory": inv(8, 0, 10, 0), "available": inv(8, 0, 10, 0), "seq": 3},
    ]
    assert strip_all(r.team["TeamA"], "TeamA") == [
        A_FILL_31,
        A_FILL_32,
        {"type": "BALANCE_UPDATE", "balance": 1129.5, "available": 1129.5, "reserved": 0, "seq": 3},
        {
            "type": "INVENTORY_UPDATE",
            "inventory": inv(12, 10, 0, 0),
            "available": inv(10, 10, 0, 0),
            "seq": 3,
        },
    ]
    # Admin copies: per fill, buyer's then seller's — the very frames the teams got.
    assert [(strip(f, o), o) for f, o in zip(r.admin, r.admin_owners, strict=True)] == [
        (B_FILL_31, "TeamB"),
        (A_FILL_31, "TeamA"),
        (B_FILL_32, "TeamB"),
        (A_FILL_32, "TeamA"),
    ]
    assert r.admin[0] is r.team["TeamB"][1] and r.admin[1] is r.team["TeamA"][0]
    assert r.all == [] and r.reply == []
    assert r.products_touched == {"GUACA"} and r.book_changed == {"GUACA"}
    check_common(applied, r)


def test_step11_connection_views():
    r = render(step11(), CAT)
    # An admin connection of a team not in the trade: the copies only.
    assert r.for_connection("admin", admin=True) == r.admin
    # A plain player that did not trade gets nothing; the requester gets its team's frames (no reply here).
    assert r.for_connection("TeamC") == []
    assert r.for_connection("TeamB", requester=True) == r.team["TeamB"]
    # An admin team that owns a side gets its FILL once (team scope), plus only the other side's copies.
    assert r.for_connection("TeamA", admin=True) == [*r.team["TeamA"], r.admin[0], r.admin[2]]
    assert r.for_connection(None, requester=True) == []


# --- §8 step 12: MARKET remainder cancelled -------------------------------------------------------
def test_step12_market_remainder():
    applied = Applied(
        4,
        T0,
        PlaceOrder("TeamB", "B-M1", "BUY", "MARKET", "GUACA", 5),
        [
            OrderAccepted("TeamB", "B-M1", "BUY", "MARKET", "GUACA", 5, None, "", None),
            fill(
                "F-4-1",
                "GUACA",
                2,
                1650,
                ("TeamB", "B-M1"),
                ("TeamA", "A-S2"),
                brem=3,
                btot=5,
                srem=0,
                stot=5,
            ),
            Ledger("TeamB", "CASH", -3300, 83750, "TRADE", "F-4-1"),
            OrderCancelled("TeamB", "B-M1", "MARKET_REMAINDER", "GUACA", "BUY", 2, 3),
            BalanceChanged("TeamB", 83750, 0),
            InventoryChanged.of("TeamB", [10, 0, 10, 0], [10, 0, 10, 0]),
            BalanceChanged("TeamA", 116250, 0),
            InventoryChanged.of("TeamA", [10, 10, 0, 0], [10, 10, 0, 0]),
        ],
    )
    r = render(applied, CAT)
    assert strip_all(r.team["TeamB"], "TeamB") == [
        {"type": "ORDER_ACK", "clOrdID": "B-M1", "status": "PENDING", "seq": 4},
        {
            "type": "FILL",
            "clOrdID": "B-M1",
            "fillQty": 2,
            "fillPrice": 16.5,
            "side": "BUY",
            "product": "GUACA",
            "counterparty": "TeamA",
            "counterpartyMessage": "",
            "remainingQty": 3,
            "totalQty": 5,
            "fillId": "F-4-1",
            "seq": 4,
        },
        {
            "type": "ORDER_ACK",
            "clOrdID": "B-M1",
            "status": "CANCELLED",
            "reason": "MARKET_REMAINDER",
            "seq": 4,
        },
        {"type": "BALANCE_UPDATE", "balance": 837.5, "available": 837.5, "reserved": 0, "seq": 4},
        {
            "type": "INVENTORY_UPDATE",
            "inventory": inv(10, 0, 10, 0),
            "available": inv(10, 0, 10, 0),
            "seq": 4,
        },
    ]
    assert strip_all(r.team["TeamA"], "TeamA") == [
        {
            "type": "FILL",
            "clOrdID": "A-S2",
            "fillQty": 2,
            "fillPrice": 16.5,
            "side": "SELL",
            "product": "GUACA",
            "counterparty": "TeamB",
            "counterpartyMessage": "",
            "remainingQty": 0,
            "totalQty": 5,
            "fillId": "F-4-1",
            "seq": 4,
        },
        {"type": "BALANCE_UPDATE", "balance": 1162.5, "available": 1162.5, "reserved": 0, "seq": 4},
        {
            "type": "INVENTORY_UPDATE",
            "inventory": inv(10, 10, 0, 0),
            "available": inv(10, 10, 0, 0),
            "seq": 4,
        },
    ]
    assert r.admin_owners == ["TeamB", "TeamA"]
    check_common(applied, r)


def test_market_order_without_fills_leaves_book_alone():
    applied = Applied(
        4,
        T0,
        PlaceOrder("TeamB", "B-M9", "BUY", "MARKET", "PITA", 5),
        [
            OrderAccepted("TeamB", "B-M9", "BUY", "MARKET", "PITA", 5, None, "", None),
            OrderCancelled("TeamB", "B-M9", "MARKET_REMAINDER", "PITA", "BUY", 0, 5),
        ],
    )
    r = render(applied, CAT)
    assert [f["status"] for f in r.team["TeamB"]] == ["PENDING", "CANCELLED"]
    assert r.products_touched == set() and r.book_changed == set()


# --- §8 step 13: rejection ------------------------------------------------------------------------
def test_step13_rejection_error_with_seq():
    reason = "Insufficient balance: need 60.00, available 50.00"
    applied = Applied(
        5,
        T0,
        PlaceOrder("TeamC", "C-B1", "BUY", "LIMIT", "GUACA", 4, 1500),
        [
            OrderRejected(
                "TeamC", "C-B1", "BUY", "LIMIT", "GUACA", 4, 1500, "", None, "INVALID_ORDER", reason
            ),
        ],
    )
    r = render(applied, CAT)
    assert r.team == {} and r.admin == [] and r.all == []
    assert strip_all(r.reply) == [
        {"type": "ERROR", "code": "INVALID_ORDER", "reason": reason, "clOrdID": "C-B1", "seq": 5},
    ]
    assert r.for_connection("TeamC", requester=True) == r.reply
    assert r.for_connection("TeamC") == []
    assert render_team_stream(applied, CAT, "TeamC") == []  # RESYNC never replays replies
    assert r.products_touched == set() and r.book_changed == set()
    check_common(applied, r)


# --- §8 step 21: a resting BUY makes an OFFER -----------------------------------------------------
def test_step21_offer():
    expires = T0 + 300_000_000
    applied = Applied(
        14,
        T0,
        PlaceOrder("TeamB", "B-B2", "BUY", "LIMIT", "FOSFO", 3, 1200),
        [
            OrderAccepted("TeamB", "B-B2", "BUY", "LIMIT", "FOSFO", 3, 1200, "", None),
            OfferCreated("OFF-14", "TeamB", "B-B2", "FOSFO", 3, 1200, expires, 300_000, ["TeamA"]),
            BalanceChanged("TeamB", 83750, 3600),
        ],
    )
    r = render(applied, CAT)
    assert strip_all(r.team["TeamB"]) == [
        {"type": "ORDER_ACK", "clOrdID": "B-B2", "status": "PENDING", "seq": 14},
        {"type": "BALANCE_UPDATE", "balance": 837.5, "available": 801.5, "reserved": 36, "seq": 14},
    ]
    offer = r.team["TeamA"][0]
    assert strip_all(r.team["TeamA"]) == [
        {
            "type": "OFFER",
            "offerId": "OFF-14",
            "buyer": "TeamB",
            "product": "FOSFO",
            "quantityRequested": 3,
            "maxPrice": 12,
            "expiresIn": 300000,
            "seq": 14,
        },
    ]
    assert offer["expiresAt"] == "2026-11-25T12:05:00.123Z"
    assert offer["timestamp"] == T0_TEXT and "serverTime" not in offer
    assert r.products_touched == {"FOSFO"} and r.book_changed == {"FOSFO"}
    check_common(applied, r)


def test_offer_comes_after_updates_and_admin_copies():
    """A TEAM_ONLY buy of an admin team that fills in part, then rests: the admin's own connection gets its
    ACK, FILL, BALANCE, INVENTORY, then the other side's admin copy, then its OFFER (§3.4)."""
    applied = Applied(
        30,
        T0,
        PlaceOrder("admin", "X1", "BUY", "LIMIT", "PITA", 5, 900, debug="TEAM_ONLY"),
        [
            OrderAccepted("admin", "X1", "BUY", "LIMIT", "PITA", 5, 900, "", None),
            fill(
                "F-30-1", "PITA", 2, 900, ("admin", "X1"), ("TeamB", "B-S9"), brem=3, btot=5, srem=0, stot=2
            ),
            OfferCreated("OFF-30", "admin", "X1", "PITA", 3, 900, T0 + 10_000_000, 10_000, ["admin"], True),
            BalanceChanged("admin", 100000, 2700),
            InventoryChanged.of("admin", [0, 0, 2, 0], [0, 0, 2, 0]),
            BalanceChanged("TeamB", 101800, 0),
            InventoryChanged.of("TeamB", [0, 0, 8, 0], [0, 0, 8, 0]),
        ],
    )
    r = render(applied, CAT)
    own = r.team["admin"]
    assert [f["type"] for f in own] == ["ORDER_ACK", "FILL", "BALANCE_UPDATE", "INVENTORY_UPDATE", "OFFER"]
    view = r.for_connection("admin", admin=True, requester=True)
    assert [f["type"] for f in view] == [
        "ORDER_ACK",
        "FILL",
        "BALANCE_UPDATE",
        "INVENTORY_UPDATE",
        "FILL",
        "OFFER",
    ]
    assert view[4] is r.team["TeamB"][0]  # TeamB's side, as an admin copy
    assert render_team_stream(applied, CAT, "admin") == own  # RESYNC includes the OFFER
    check_common(applied, r)


# --- §8 step 24: an offer accepted in part --------------------------------------------------------
def test_step24_offer_trade():
    applied = Applied(
        15,
        T0,
        AcceptOffer("TeamA", "OFF-14", 2, 1150),
        [
            OrderAccepted("TeamA", "OFFER-15", "SELL", "LIMIT", "FOSFO", 2, 1150, "", None, origin="OFFER"),
            fill(
                "F-15-1",
                "FOSFO",
                2,
                1150,
                ("TeamB", "B-B2"),
                ("TeamA", "OFFER-15"),
                brem=1,
                btot=3,
                srem=0,
                stot=2,
                aggr="SELL",
                source="OFFER",
            ),
            BalanceChanged("TeamA", 118550, 0),
            InventoryChanged.of("TeamA", [10, 8, 0, 0], [10, 4, 0, 0]),
            BalanceChanged("TeamB", 81450, 1200),
            InventoryChanged.of("TeamB", [10, 2, 10, 0], [10, 2, 10, 0]),
        ],
    )
    r = render(applied, CAT)
    assert list(r.team) == ["TeamA", "TeamB"]
    assert strip_all(r.team["TeamA"], "TeamA") == [
        {"type": "ORDER_ACK", "clOrdID": "OFFER-15", "status": "PENDING", "seq": 15},
        {
            "type": "FILL",
            "clOrdID": "OFFER-15",
            "fillQty": 2,
            "fillPrice": 11.5,
            "side": "SELL",
            "product": "FOSFO",
            "counterparty": "TeamB",
            "counterpartyMessage": "",
            "remainingQty": 0,
            "totalQty": 2,
            "fillId": "F-15-1",
            "seq": 15,
        },
        {"type": "BALANCE_UPDATE", "balance": 1185.5, "available": 1185.5, "reserved": 0, "seq": 15},
        {"type": "INVENTORY_UPDATE", "inventory": inv(10, 8, 0, 0), "available": inv(10, 4, 0, 0), "seq": 15},
    ]
    assert strip_all(r.team["TeamB"], "TeamB") == [
        {
            "type": "FILL",
            "clOrdID": "B-B2",
            "fillQty": 2,
            "fillPrice": 11.5,
            "side": "BUY",
            "product": "FOSFO",
            "counterparty": "TeamA",
            "counterpartyMessage": "",
            "remainingQty": 1,
            "totalQty": 3,
            "fillId": "F-15-1",
            "seq": 15,
        },
        {"type": "BALANCE_UPDATE", "balance": 814.5, "available": 802.5, "reserved": 12, "seq": 15},
        {
            "type": "INVENTORY_UPDATE",
            "inventory": inv(10, 2, 10, 0),
            "available": inv(10, 2, 10, 0),
            "seq": 15,
        },
    ]
    assert r.admin_owners == [
        "TeamB",
        "TeamA",
    ]  # buyer's copy first, even though the seller was the aggressor
    check_common(applied, r)


def test_house_fill_team_only_accept():
    """A TEAM_ONLY offer accepted: the house sells; only the buyer gets frames; counterparty SERVER, ""."""
    applied = Applied(
        31,
        T0,
        AcceptOffer("TeamB", "OFF-20"),
        [
            fill(
                "F-31-1",
                "GUACA",
                1,
                1200,
                ("TeamB", "B-B7"),
                ("SERVER", ""),
                bmsg="hi",
                smsg="ignored",
                brem=0,
                btot=1,
                srem=0,
                stot=1,
                aggr="SELL",
                source="HOUSE",
            ),
            Ledger("SERVER", "CASH", 1200, 1200, "TRADE", "F-31-1"),
            BalanceChanged("SERVER", 1200, 0),
            InventoryChanged.of("SERVER", [-1, 0, 0, 0], [-1, 0, 0, 0]),
            BalanceChanged("TeamB", 98800, 0),
            InventoryChanged.of("TeamB", [1, 0, 0, 0], [1, 0, 0, 0]),
        ],
    )
    r = render(applied, CAT)
    assert list(r.team) == ["TeamB"]
    f = r.team["TeamB"][0]
    assert (f["counterparty"], f["counterpartyMessage"], f["clOrdID"], f["side"]) == (
        "SERVER",
        "",
        "B-B7",
        "BUY",
    )
    assert r.admin == [f] and r.admin_owners == ["TeamB"]
    assert render_team_stream(applied, CAT, "SERVER") == []
    check_common(applied, r)


# --- §8 step 33: admin cancel notifies the owner --------------------------------------------------
def test_step33_admin_cancel():
    applied = Applied(
        19,
        T0,
        AdminCancelOrder("admin", "TeamA", "A-S3"),
        [
            OrderCancelled("TeamA", "A-S3", "ADMIN", "FOSFO", "SELL", 0, 4),
            InventoryChanged.of("TeamA", [10, 23, 0, 0], [10, 23, 0, 0]),
            Reply(
                "ADMIN_ACTION_RESPONSE",
                {
                    "action": "CANCEL_ORDER",
                    "success": True,
                    "message": "Successfully cancelled order A-S3",
                    "count": 1,
                },
            ),
        ],
    )
    r = render(applied, CAT)
    assert strip_all(r.team["TeamA"]) == [
        {"type": "ORDER_ACK", "clOrdID": "A-S3", "status": "CANCELLED", "reason": "ADMIN", "seq": 19},
        {
            "type": "INVENTORY_UPDATE",
            "inventory": inv(10, 23, 0, 0),
            "available": inv(10, 23, 0, 0),
            "seq": 19,
        },
    ]
    assert strip_all(r.reply) == [
        {
            "type": "ADMIN_ACTION_RESPONSE",
            "action": "CANCEL_ORDER",
            "success": True,
            "message": "Successfully cancelled order A-S3",
            "count": 1,
            "seq": 19,
        },
    ]
    assert r.for_connection("admin", admin=True, requester=True) == r.reply
    assert r.book_changed == {"FOSFO"}
    check_common(applied, r)


# --- §8 step 34: pause and reopen -----------------------------------------------------------------
def test_step34_pause_and_open():
    applied = Applied(
        20,
        T0,
        TournamentControl("admin", "PAUSE"),
        [
            StateChanged("PAUSED", None, True),
            Reply(
                "ADMIN_ACTION_RESPONSE",
                {"action": "TOURNAMENT_CONTROL", "success": True, "message": "Tournament is PAUSED"},
            ),
        ],
    )
    r = render(applied, CAT)
    assert r.team == {} and r.admin == []
    assert strip_all(r.all) == [
        {"type": "TOURNAMENT_STATE", "state": "PAUSED", "seq": 20},
        {"type": "BROADCAST_NOTIFICATION", "message": "Market is paused", "sender": "system", "seq": 20},
    ]
    assert strip_all(r.reply) == [
        {
            "type": "ADMIN_ACTION_RESPONSE",
            "action": "TOURNAMENT_CONTROL",
            "success": True,
            "message": "Tournament is PAUSED",
            "seq": 20,
        },
    ]
    assert r.for_connection("admin", admin=True, requester=True) == [*r.all, *r.reply]
    assert r.for_connection("TeamB") == r.all
    check_common(applied, r)

    reopen = render(
        Applied(21, T0, TournamentControl("admin", "OPEN"), [StateChanged("OPEN", None, True)]), CAT
    )
    assert [f["message"] for f in reopen.all[1:]] == ["Market is open"]
    closed = render(
        Applied(22, T0, TournamentControl("admin", "CLOSE"), [StateChanged("CLOSED", None, True)]), CAT
    )
    assert [f["message"] for f in closed.all[1:]] == ["Market is closed"]


def test_schedule_change_without_state_change():
    ends = T0 + 3_600_000_000
    applied = Applied(
        25,
        T0,
        TournamentControl("admin", "OPEN", ends_at=ends),
        [
            StateChanged("OPEN", ends, False),
            Reply(
                "ADMIN_ACTION_RESPONSE",
                {
                    "action": "TOURNAMENT_CONTROL",
                    "success": True,
                    "message": "Tournament is OPEN",
                    "count": None,
                },
            ),
        ],
    )
    r = render(applied, CAT)
    assert strip_all(r.all) == [
        {"type": "TOURNAMENT_STATE", "state": "OPEN", "endsAt": "2026-11-25T13:00:00.123Z", "seq": 25},
    ]
    assert "count" not in r.reply[0]  # a None field is omitted, never null
    check_common(applied, r)


# --- §8 step 35: tournament reset -----------------------------------------------------------------
def test_step35_reset():
    applied = Applied(
        23,
        T0,
        ResetTournament("admin", 50000, [TeamConfig("TeamA", {"FOSFO": 5}), TeamConfig("TeamB")]),
        [
            OrderCancelled("TeamA", "A-S6", "RESET", "GUACA", "SELL", 0, 1),
            TeamChanged("TeamA", "", 50000, {"FOSFO": 5}),
            Ledger("TeamA", "CASH", -112950, 50000, "TOURNAMENT_RESET", "23"),
            TeamChanged("TeamB", "", 50000, {}),
            StatsReset(),
            BucketsRefilled(),
            CooldownCleared("TeamA"),
            CooldownCleared("TeamB"),
            BalanceChanged("TeamA", 50000, 0),
            InventoryChanged.of("TeamA", [0, 5, 0, 0], [0, 5, 0, 0]),
            BalanceChanged("TeamB", 50000, 0),
            InventoryChanged.of("TeamB", [0, 0, 0, 0], [0, 0, 0, 0]),
            Reply(
                "TOURNAMENT_RESET_COMPLETE",
                {
                    "success": True,
                    "teamsReset": 2,
                    "ordersCanceled": 1,
                    "message": "Tournament reset: 2 teams configured, 1 orders cancelled",
                },
            ),
        ],
    )
    r = render(applied, CAT)
    assert strip_all(r.team["TeamA"]) == [
        {"type": "ORDER_ACK", "clOrdID": "A-S6", "status": "CANCELLED", "reason": "RESET", "seq": 23},
        {"type": "BALANCE_UPDATE", "balance": 500, "available": 500, "reserved": 0, "seq": 23},
        {"type": "INVENTORY_UPDATE", "inventory": inv(0, 5, 0, 0), "available": inv(0, 5, 0, 0), "seq": 23},
    ]
    assert strip_all(r.team["TeamB"]) == [
        {"type": "BALANCE_UPDATE", "balance": 500, "available": 500, "reserved": 0, "seq": 23},
        {"type": "INVENTORY_UPDATE", "inventory": inv(0, 0, 0, 0), "available": inv(0, 0, 0, 0), "seq": 23},
    ]
    assert strip_all(r.reply) == [
        {
            "type": "TOURNAMENT_RESET_COMPLETE",
            "success": True,
            "teamsReset": 2,
            "ordersCanceled": 1,
            "message": "Tournament reset: 2 teams configured, 1 orders cancelled",
            "seq": 23,
        },
    ]
    assert r.all == [] and r.admin == []
    assert r.products_touched == set(CAT)  # statistics restart: every ticker may change
    assert r.book_changed == {"GUACA"}
    check_common(applied, r)


# --- money, ordering and RESYNC -------------------------------------------------------------------
def test_money_is_shortest_json_number():
    applied = Applied(
        7,
        T0,
        CancelOrder("TeamB", "x"),
        [
            OrderCancelled("TeamB", "x", "USER", "GUACA", "BUY", 0, 1),
            BalanceChanged("TeamB", 100000, 1650),
        ],
    )
    bal = render(applied, CAT).team["TeamB"][1]
    assert type(bal["balance"]) is int and bal["balance"] == 1000
    assert bal["available"] == 983.5 and bal["reserved"] == 16.5
    text = json.dumps(bal)
    assert '"balance": 1000,' in text and '"available": 983.5,' in text and '"reserved": 16.5,' in text
    assert json.dumps(render(step11(), CAT).team["TeamB"][3]).count("870.5") == 2


def test_per_team_order_when_two_teams_interleave():
    """Admin cancel-all over two teams: each team's cancels in event order, then BALANCE, then INVENTORY."""
    applied = Applied(
        40,
        T0,
        AdminCancelOrder("admin", "TeamA", "a1"),
        [
            OrderCancelled("TeamA", "a1", "ADMIN", "GUACA", "SELL", 0, 1),
            OrderCancelled("TeamB", "b1", "ADMIN", "PITA", "BUY", 0, 1),
            OrderCancelled("TeamA", "a2", "ADMIN", "FOSFO", "BUY", 0, 1),
            OrderCancelled("TeamB", "b2", "ADMIN", "SEBO", "SELL", 1, 1),
            InventoryChanged.of("TeamA", [1, 0, 0, 0], [1, 0, 0, 0]),
            InventoryChanged.of("TeamB", [0, 0, 0, 1], [0, 0, 0, 1]),
            BalanceChanged("TeamA", 100, 0),
            BalanceChanged("TeamB", 200, 0),
            Reply(
                "ADMIN_ACTION_RESPONSE",
                {
                    "action": "CANCEL_ALL_ORDERS",
                    "success": True,
                    "message": "Successfully cancelled 4 orders",
                    "count": 4,
                },
            ),
        ],
    )
    r = render(applied, CAT)
    assert [(f["type"], f.get("clOrdID")) for f in r.team["TeamA"]] == [
        ("ORDER_ACK", "a1"),
        ("ORDER_ACK", "a2"),
        ("BALANCE_UPDATE", None),
        ("INVENTORY_UPDATE", None),
    ]
    assert [(f["type"], f.get("clOrdID")) for f in r.team["TeamB"]] == [
        ("ORDER_ACK", "b1"),
        ("ORDER_ACK", "b2"),
        ("BALANCE_UPDATE", None),
        ("INVENTORY_UPDATE", None),
    ]
    assert r.book_changed == {"GUACA", "PITA", "FOSFO", "SEBO"}
    check_common(applied, r)


def test_resync_stream_is_identical_to_live():
    for applied in (step11(),):
        live = render(applied, CAT)
        for team in ("TeamA", "TeamB", "TeamC", "admin"):
            assert render_team_stream(applied, CAT, team) == live.stream(team)
        assert json.dumps(render_team_stream(applied, CAT, "TeamA")) == json.dumps(live.team["TeamA"])


# --- market-data builders -------------------------------------------------------------------------
def test_ticker_frame_step11():
    t = ticker_frame("GUACA", None, 1650, 1650, 8, 3, T0)
    assert t == {
        "type": "TICKER",
        "product": "GUACA",
        "bestAsk": 16.5,
        "lastPrice": 16.5,
        "volume24h": 8,
        "seq": 3,
        "serverTime": T0_TEXT,
    }
    assert ticker_frame("GUACA", None, 1650, 1650, 8, 3, T0_TEXT) == t


def test_ticker_frame_mid_and_omissions():
    t = ticker_frame("PITA", 1601, 1602, None, 0, 9, T0)
    assert t["bestBid"] == 16.01 and t["bestAsk"] == 16.02 and t["mid"] == 16.02
    assert "lastPrice" not in t and t["volume24h"] == 0
    empty = ticker_frame("SEBO", None, None, None, 0, 0, T0)
    assert set(empty) == {"type", "product", "volume24h", "seq", "serverTime"}
    bid_only = ticker_frame("SEBO", 1000, None, None, 0, 0, T0)
    assert "mid" not in bid_only and bid_only["bestBid"] == 10
    assert mid_cents(1600, 1601) == 1600  # 1600.5 -> even
    assert mid_cents(1601, 1602) == 1602  # 1601.5 -> even
    assert mid_cents(1600, 1700) == 1650


def test_order_book_frame_step22():
    created = T0
    buy = order_summary(
        "B-B2", "TeamB", "BUY", "LIMIT", "FOSFO", 3, 1200, 0, 3, "PENDING", 14, created, created
    )
    sell = order_summary(
        "A-S3",
        "TeamA",
        "SELL",
        "LIMIT",
        "FOSFO",
        4,
        1300,
        0,
        4,
        "PENDING",
        7,
        created,
        created,
        message="hello",
        expires_at=created + 1_000_000,
    )
    assert sell["message"] == "hello" and sell["expiresAt"] == "2026-11-25T12:00:01.123Z"
    assert "message" not in buy and "reason" not in buy and "expiresAt" not in buy

    def listing(o: dict) -> dict:
        return {k: v for k, v in o.items() if k not in ("createdAt", "updatedAt", "expiresAt")}

    a_view = order_book_frame("FOSFO", [buy], [sell], 14, T0, viewer="TeamA")
    assert a_view["serverTime"] == T0_TEXT
    assert [listing(o) for o in a_view["buyOrders"]] == [
        {
            "side": "BUY",
            "mode": "LIMIT",
            "product": "FOSFO",
            "quantity": 3,
            "price": 12,
            "filledQty": 0,
            "remainingQty": 3,
            "status": "PENDING",
            "seq": 14,
        },
    ]
    assert [listing(o) for o in a_view["sellOrders"]] == [
        {
            "clOrdID": "A-S3",
            "teamName": "TeamA",
            "side": "SELL",
            "mode": "LIMIT",
            "product": "FOSFO",
            "quantity": 4,
            "price": 13,
            "filledQty": 0,
            "remainingQty": 4,
            "status": "PENDING",
            "message": "hello",
            "seq": 7,
        },
    ]
    admin_view = order_book_frame("FOSFO", [buy], [sell], 14, T0)
    assert (
        admin_view["buyOrders"][0]["clOrdID"] == "B-B2" and admin_view["buyOrders"][0]["teamName"] == "TeamB"
    )
    assert "clOrdID" in buy  # the inputs are not changed
    market = order_summary(
        "B-M1",
        "TeamB",
        "BUY",
        "MARKET",
        "GUACA",
        5,
        None,
        2,
        0,
        "CANCELLED",
        4,
        T0,
        T0,
        reason="MARKET_REMAINDER",
    )
    assert "price" not in market and market["reason"] == "MARKET_REMAINDER"
    no_nulls([a_view, admin_view, market])
    empty = order_book_frame("SEBO", [], [], 0, T0)
    assert empty["buyOrders"] == [] and empty["sellOrders"] == []


def test_memoised_time_format_equals_format_ms():
    from avex.domain.timeutil import format_ms
    from avex.render import _fmt

    for us in (
        0,
        999,
        1000,
        999_999,
        1_000_000,
        T0,
        T0 + 876_544,
        T0 + 877_000,
        T0 - 1,
        4_102_444_799_999_999,
    ):
        assert _fmt(us) == format_ms(us)
        assert _fmt(us) == format_ms(us)  # second call: from the cache
