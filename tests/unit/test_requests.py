"""Request parsing: every receipt check of PROTOCOL.md §4, in the documented order, with exact codes,
reasons and clOrdID rules. Frames go through ``decode_frame`` first, as in the gateway, so the JSON
literals (``5.0``, ``1e1``, ``2.675``) are what is tested."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from avex.domain.catalogue import MarketSettings, Product, Tournament
from avex.engine.commands import (
    AcceptOffer,
    AddInventory,
    AdminCancelAll,
    AdminCancelOrder,
    AdminCreateOrder,
    CancelOrder,
    PlaceOrder,
    Produce,
    ResetTeamBalance,
    ResetTeamInventory,
    ResetTeamProduction,
    ResetTournament,
    SeedTeam,
    SeedTeams,
    TeamConfig,
    TournamentControl,
    UpdateMembers,
    UpdateTeam,
)
from avex.protocol import ADMIN_TYPES, ANYONE_TYPES, PARSERS, TEAM_TYPES, clordid_of, decode_frame
from avex.protocol.errors import (
    AUTH_FAILED,
    INVALID_MESSAGE,
    INVALID_ORDER,
    INVALID_PRODUCT,
    INVALID_QUANTITY,
    SERVICE_UNAVAILABLE,
    WireError,
)
from avex.protocol.queries import (
    AllTeams,
    AvailableTeams,
    Broadcast,
    ConnectedSessions,
    Declined,
    ExportData,
    GetInventory,
    HistoricalOrders,
    Login,
    PerformanceReport,
    Ping,
    RequestAllOrders,
    RequestOrderBook,
    Resync,
    SdkEmulator,
    TeamActivity,
    UpdateAllRecipes,
)

# The conformance catalogue (§8), plus a product that exists but cannot be traded.
PRODUCTS = (
    Product("GUACA", 1530), Product("FOSFO", 1250), Product("PITA", 875), Product("SEBO", 1890),
    Product("H-GUACA", 4560, tradable=False),
)
T = Tournament(products=PRODUCTS, species=(), teams=())
DEBUG_T = Tournament(products=PRODUCTS, species=(), teams=(), market=MarketSettings(debug_mode=True))
NOW = 1_795_608_000_000_000  # 2026-11-25T12:00:00Z
US = 1_000_000


def run(frame: str | dict[str, Any], sender: str = "TeamD", tournament: Tournament = T, now: int = NOW) -> Any:
    """Decode like the gateway, then dispatch on the exact type."""
    text = frame if isinstance(frame, str) else json.dumps(frame)
    fields = decode_frame(text)
    assert isinstance(fields, dict), fields
    return PARSERS[fields["type"]](fields, sender, tournament, now)


def admin(frame: str | dict[str, Any], **kw: Any) -> Any:
    return run(frame, sender="admin", **kw)


def err(code: str, reason: str, cl: str | None = None) -> WireError:
    return WireError(code, reason, cl)


def fmt(msg_type: str) -> WireError:
    return WireError(INVALID_MESSAGE, f"Invalid {msg_type} message format")


BASE = {"type": "ORDER", "side": "BUY", "mode": "LIMIT", "product": "GUACA", "qty": 1, "limitPrice": 10}


def order(**changes: Any) -> dict[str, Any]:
    frame = {**BASE, "clOrdID": "d1", **changes}
    return {k: v for k, v in frame.items() if v is not ...}  # `...` removes a field


def order_text(extra: str) -> str:
    """The base order with raw JSON appended, which wins over the base (last spelling wins); for
    literals Python's json cannot write: 1e1, 1E400."""
    base = '{"type":"ORDER","clOrdID":"d1","side":"BUY","mode":"LIMIT","product":"GUACA","qty":1,"limitPrice":10,'
    return base + extra + "}"


# ============================================================================================================
# Dispatch tables
# ============================================================================================================
def test_team_types_are_the_team_messages_of_section_4():
    assert {
        "ORDER", "CANCEL", "ACCEPT_OFFER", "PRODUCTION_UPDATE", "RESYNC", "GET_INVENTORY", "REQUEST_ALL_ORDERS",
        "REQUEST_ORDER_BOOK", "REQUEST_PERFORMANCE_REPORT",
    } == TEAM_TYPES


def test_admin_types_are_the_admin_messages_of_section_4_11():
    assert {
        "ADD_INVENTORY", "UPDATE_TEAM", "UPDATE_TEAM_MEMBERS", "RESET_TEAM_BALANCE", "RESET_TEAM_INVENTORY",
        "RESET_TEAM_PRODUCTION", "ADMIN_CANCEL_ORDER", "ADMIN_CANCEL_ALL_ORDERS", "ADMIN_CREATE_ORDER",
        "ADMIN_BROADCAST", "ADMIN_TOURNAMENT_CONTROL", "RESET_TOURNAMENT_CONFIG", "SEED_TEAMS",
        "UPDATE_ALL_RECIPES", "EXPORT_DATA", "REQUEST_HISTORICAL_ORDERS", "REQUEST_CONNECTED_SESSIONS",
        "GET_AVAILABLE_TEAMS", "GET_ALL_TEAMS", "GET_TEAM_ACTIVITY", "SDK_EMULATOR",
    } == ADMIN_TYPES


def test_anyone_types_are_ping_and_login_and_the_table_covers_every_scope_once():
    assert {"PING", "LOGIN"} == ANYONE_TYPES
    assert not (ANYONE_TYPES & TEAM_TYPES) and not (ANYONE_TYPES & ADMIN_TYPES) and not (TEAM_TYPES & ADMIN_TYPES)
    assert set(PARSERS) == ANYONE_TYPES | TEAM_TYPES | ADMIN_TYPES


def test_dispatch_is_case_sensitive_so_lowercase_order_is_unknown():
    assert "order" not in PARSERS and "Ping" not in PARSERS


def test_clordid_of_returns_only_a_string_clordid():
    assert clordid_of(decode_frame('{"type":"ORDER","CLORDID":"d11"}')) == "d11"
    assert clordid_of(decode_frame('{"type":"ORDER","clOrdID":5}')) is None
    assert clordid_of(decode_frame('{"type":"ORDER"}')) is None


# ============================================================================================================
# PING, LOGIN (§4.1–4.2)
# ============================================================================================================
def test_ping_ignores_extra_fields():
    assert run('{"type":"PING","timestamp":"2026-11-25T12:00:00.123456Z","x":[1]}', sender="") == Ping()


def test_login_returns_the_token():
    result = run({"type": "LOGIN", "token": "TK-A", "tz": "UTC"}, sender="")
    assert isinstance(result, Login)
    assert result.token == "TK-A"
    assert result.well_formed
    assert result.token_hash == hashlib.sha256(b"TK-A").hexdigest()


def test_login_token_without_prefix_is_returned_but_not_well_formed():
    result = run({"type": "LOGIN", "token": "BAD-TOKEN"}, sender="")
    assert isinstance(result, Login) and not result.well_formed


@pytest.mark.parametrize("frame", ['{"type":"LOGIN","token":5}', '{"type":"LOGIN","token":true}',
                                   '{"type":"LOGIN","token":["TK-A"]}'])
def test_login_token_of_wrong_type_is_a_format_error(frame):
    assert run(frame, sender="") == fmt("LOGIN")


@pytest.mark.parametrize("frame", ['{"type":"LOGIN","token":""}', '{"type":"LOGIN"}', '{"type":"LOGIN","token":null}'])
def test_login_token_absent_or_empty_is_token_required(frame):
    assert run(frame, sender="") == err(AUTH_FAILED, "Token is required")


def test_login_tz_is_ignored_whatever_its_type():
    assert run('{"type":"LOGIN","token":"TK-A","tz":5}', sender="") == Login(token="TK-A")


def test_login_field_name_folds():
    assert run('{"type":"LOGIN","TOKEN":"TK-A"}', sender="") == Login(token="TK-A")


# ============================================================================================================
# ORDER (§4.3 rows 3–16)
# ============================================================================================================
def test_order_limit_becomes_place_order_for_the_senders_team():
    result = run({**BASE, "clOrdID": "A-S1", "side": "SELL", "qty": 5, "limitPrice": 16.0, "message": "fresh"},
                 sender="TeamA")
    assert result == PlaceOrder(team="TeamA", cl="A-S1", side="SELL", mode="LIMIT", product="GUACA", qty=5,
                                price=1600, message="fresh")


def test_order_sdk_frame_with_nulls_treats_them_as_absent():
    frame = ('{"type":"ORDER","clOrdID":"B-M1","side":"BUY","mode":"MARKET","product":"GUACA","qty":5,'
             '"limitPrice":null,"expiresAt":null,"message":null,"debugMode":null}')
    assert run(frame, sender="TeamB") == PlaceOrder(team="TeamB", cl="B-M1", side="BUY", mode="MARKET",
                                                    product="GUACA", qty=5, price=None, message="")


# --- §8 step 7: the conformance table ---------------------------------------------------------------------------
STEP7 = '{"type":"ORDER","side":"BUY","mode":"LIMIT","product":"GUACA","qty":1,"limitPrice":10%s}'


@pytest.mark.parametrize(
    ("added", "expected"),
    [
        ("", err(INVALID_MESSAGE, "Order ID (clOrdID) is required")),
        (',"clOrdID":"d2","qty":"5"', fmt("ORDER")),
        (',"clOrdID":"d3","product":null', err(INVALID_PRODUCT, "Product is required", "d3")),
        (',"clOrdID":"d4","side":"buy"', err(INVALID_MESSAGE, "Side must be BUY or SELL", "d4")),
        (',"clOrdID":"d5","qty":0', err(INVALID_QUANTITY, "Quantity must be positive", "d5")),
        (',"clOrdID":"d6","mode":"STOP"', err(INVALID_MESSAGE, "Mode must be MARKET or LIMIT", "d6")),
        (',"clOrdID":"d7","limitPrice":0.004',
         err(INVALID_MESSAGE, "Limit price must be positive for LIMIT orders", "d7")),
        (',"clOrdID":"d8","product":"USD"', err(INVALID_PRODUCT, "invalid product: USD", "d8")),
        (',"clOrdID":"d9","message":"' + "x" * 201 + '"',
         err(INVALID_ORDER, "message too long (max 200 characters)", "d9")),
        (',"clOrdID":"d10","expiresAt":"tomorrow"', err(INVALID_MESSAGE, "Invalid expiresAt timestamp format", "d10")),
    ],
    ids=["no-clordid", "qty-string", "product-null", "side-lowercase", "qty-zero", "mode-stop", "price-0.004",
         "product-usd", "message-201", "expires-tomorrow"],
)
def test_order_field_checks_of_conformance_step_7(added, expected):
    assert run(STEP7 % added) == expected


# --- row 3: strict field types, never with clOrdID -----------------------------------------------------------
def test_order_qty_as_string_is_a_format_error_without_clordid():
    assert run(order(qty="5")) == fmt("ORDER")


def test_order_qty_as_float_literal_is_a_format_error():
    assert run(order_text('"qty":5.0')) == fmt("ORDER")


def test_order_qty_with_exponent_is_a_format_error():
    assert run('{"type":"ORDER","clOrdID":"d1","side":"BUY","mode":"LIMIT","product":"GUACA","qty":1e1}') == fmt(
        "ORDER"
    )


def test_order_qty_as_boolean_is_a_format_error():
    assert run(order(qty=True)) == fmt("ORDER")


@pytest.mark.parametrize(
    ("field", "value"),
    [("clOrdID", 5), ("side", 1), ("mode", ["LIMIT"]), ("product", {"code": "GUACA"}), ("limitPrice", "10"),
     ("limitPrice", True), ("expiresAt", 1795608000), ("message", 5), ("debugMode", True), ("qty", [1])],
)
def test_order_any_field_of_the_wrong_type_is_a_format_error_without_clordid(field, value):
    assert run(order(**{field: value})) == fmt("ORDER")


def test_order_format_error_comes_before_missing_clordid():
    assert run(order(clOrdID=..., qty="5")) == fmt("ORDER")


def test_order_unknown_fields_are_ignored_whatever_their_type():
    assert isinstance(run(order(teamName=5, extra=[1, 2], tz=None)), PlaceOrder)


def test_order_limit_price_may_be_any_json_number():
    assert run(order(limitPrice=10)).price == 1000
    assert run(order(limitPrice=10.25)).price == 1025
    assert run(order_text('"limitPrice":1e1')).price == 1000


# --- rows 4–5: clOrdID -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cl", [..., "", None])
def test_order_clordid_absent_empty_or_null_is_required_without_clordid(cl):
    assert run(order(clOrdID=cl)) == err(INVALID_MESSAGE, "Order ID (clOrdID) is required")


def test_order_clordid_over_128_characters_is_too_long_without_clordid():
    assert run(order(clOrdID="c" * 129)) == err(INVALID_MESSAGE, "Order ID (clOrdID) too long (max 128 characters)")


def test_order_clordid_of_128_code_points_is_fine_even_when_multibyte():
    assert run(order(clOrdID="c" * 128)).cl == "c" * 128
    assert run(order(clOrdID="🥑" * 128)).cl == "🥑" * 128


# --- rows 6–16 carry the clOrdID --------------------------------------------------------------------------------
@pytest.mark.parametrize("product", [..., "", None])
def test_order_product_absent_or_empty_is_product_required(product):
    assert run(order(product=product)) == err(INVALID_PRODUCT, "Product is required", "d1")


@pytest.mark.parametrize("side", [..., "buy", "Buy", "", "HOLD"])
def test_order_side_other_than_buy_or_sell_is_invalid(side):
    assert run(order(side=side)) == err(INVALID_MESSAGE, "Side must be BUY or SELL", "d1")


@pytest.mark.parametrize("qty", [..., 0, -1, -(10**30)])
def test_order_qty_absent_or_not_positive_is_invalid_quantity(qty):
    assert run(order(qty=qty)) == err(INVALID_QUANTITY, "Quantity must be positive", "d1")


@pytest.mark.parametrize("qty", [1_000_001, 10**30])
def test_order_qty_over_one_million_is_too_large(qty):
    assert run(order(qty=qty)) == err(INVALID_QUANTITY, "Quantity must be at most 1000000", "d1")


def test_order_qty_of_exactly_one_million_is_fine():
    assert run(order(qty=1_000_000)).qty == 1_000_000


@pytest.mark.parametrize("mode", [..., "STOP", "limit", "Market", ""])
def test_order_mode_other_than_market_or_limit_is_invalid(mode):
    assert run(order(mode=mode)) == err(INVALID_MESSAGE, "Mode must be MARKET or LIMIT", "d1")


@pytest.mark.parametrize("price", [..., 0, -5, 0.004, 0.005, -0.006])
def test_order_limit_price_absent_or_not_positive_after_rounding_is_invalid(price):
    assert run(order(limitPrice=price)) == err(INVALID_MESSAGE, "Limit price must be positive for LIMIT orders", "d1")


def test_order_limit_price_rounds_half_even_from_the_literal():
    assert run(order_text('"limitPrice":0.015')).price == 2
    assert run(order_text('"limitPrice":2.675')).price == 268
    assert run(order_text('"limitPrice":0.006')).price == 1


@pytest.mark.parametrize("literal", ["1000000.01", "1000000.006", "2000000", "1E400"])
def test_order_limit_price_over_one_million_is_too_large(literal):
    assert run(order_text(f'"limitPrice":{literal}')) == err(INVALID_MESSAGE, "Limit price must be at most 1000000",
                                                             "d1")


def test_order_limit_price_of_one_million_after_rounding_is_fine():
    assert run(order_text('"limitPrice":1000000')).price == 100_000_000
    assert run(order_text('"limitPrice":1000000.004')).price == 100_000_000


@pytest.mark.parametrize("price", [..., 0, -3, 2_000_000, 0.004])
def test_order_market_ignores_limit_price(price):
    result = run(order(mode="MARKET", limitPrice=price))
    assert isinstance(result, PlaceOrder) and result.price is None


@pytest.mark.parametrize("product", ["USD", "guaca", "GUACA "])
def test_order_unknown_product_is_invalid_product_case_sensitive(product):
    assert run(order(product=product)) == err(INVALID_PRODUCT, f"invalid product: {product}", "d1")


def test_order_product_not_tradable_is_refused():
    assert run(order(product="H-GUACA")) == err(INVALID_PRODUCT, "product not tradable: H-GUACA", "d1")


def test_order_message_over_200_utf8_bytes_is_too_long():
    too_long = err(INVALID_ORDER, "message too long (max 200 characters)", "d1")
    assert run(order(message="x" * 201)) == too_long
    assert run(order(message="€" * 67)) == too_long  # 67 characters, 201 bytes
    assert run(order(message="🥑" * 51)) == too_long  # 51 characters, 204 bytes


def test_order_message_of_200_utf8_bytes_is_kept():
    assert run(order(message="x" * 200)).message == "x" * 200
    assert run(order(message="€" * 66)).message == "€" * 66
    assert run(order(message="🥑" * 50)).message == "🥑" * 50
    assert run(order(message="")).message == ""


@pytest.mark.parametrize("text", ["tomorrow", "2026-11-25", "2026-11-25T12:00:00", "", "2026-13-01T00:00:00Z"])
def test_order_expires_at_unparsable_is_invalid_with_clordid(text):
    assert run(order(expiresAt=text)) == err(INVALID_MESSAGE, "Invalid expiresAt timestamp format", "d1")


def test_order_expires_at_parses_to_microseconds_with_offsets_and_lowercase():
    assert run(order(expiresAt="2026-11-25T12:00:02Z")).expires_at == NOW + 2 * US
    assert run(order(expiresAt="2026-11-25t12:00:02.5z")).expires_at == NOW + 2_500_000
    assert run(order(expiresAt="2026-11-25T13:00:02+01:00")).expires_at == NOW + 2 * US
    assert run(order(expiresAt="2026-11-25T12:00:02.123456-00:00")).expires_at == NOW + 2_123_456


def test_order_expires_at_in_the_past_passes_receipt_checks():
    # row 19 ("expiresAt is in the past") is a rejection the engine stores
    assert run(order(expiresAt="2020-01-01T00:00:00Z")).expires_at < NOW


def test_order_expires_at_is_checked_for_market_orders_too():
    assert run(order(mode="MARKET", expiresAt="soon")) == err(INVALID_MESSAGE, "Invalid expiresAt timestamp format",
                                                              "d1")


def test_order_checks_run_in_table_order():
    # Every check from row 6 on is broken; fixing the answer each time must walk the rows in order.
    frame = order(product=..., side="x", qty=0, mode="x", limitPrice=0, message="x" * 201, expiresAt="x")
    steps = [
        (err(INVALID_PRODUCT, "Product is required", "d1"), {"product": "NOPE"}),
        (err(INVALID_MESSAGE, "Side must be BUY or SELL", "d1"), {"side": "BUY"}),
        (err(INVALID_QUANTITY, "Quantity must be positive", "d1"), {"qty": 1}),
        (err(INVALID_MESSAGE, "Mode must be MARKET or LIMIT", "d1"), {"mode": "LIMIT"}),
        (err(INVALID_MESSAGE, "Limit price must be positive for LIMIT orders", "d1"), {"limitPrice": 10}),
        (err(INVALID_PRODUCT, "invalid product: NOPE", "d1"), {"product": "GUACA"}),
        (err(INVALID_ORDER, "message too long (max 200 characters)", "d1"), {"message": "ok"}),
        (err(INVALID_MESSAGE, "Invalid expiresAt timestamp format", "d1"), {"expiresAt": "2026-11-25T12:00:02Z"}),
    ]
    for expected, fix in steps:
        assert run(frame) == expected
        frame = {**frame, **fix}
    assert isinstance(run(frame), PlaceOrder)


def test_order_qty_too_large_comes_before_mode_and_unknown_product_after_price():
    assert run(order(qty=2_000_000, mode="STOP")) == err(INVALID_QUANTITY, "Quantity must be at most 1000000", "d1")
    assert run(order(limitPrice=2_000_000, product="USD")) == err(
        INVALID_MESSAGE, "Limit price must be at most 1000000", "d1")
    assert run(order(product="H-GUACA", message="x" * 201)) == err(INVALID_PRODUCT, "product not tradable: H-GUACA",
                                                                   "d1")


@pytest.mark.parametrize("mode", ["AUTO_ACCEPT", "TEAM_ONLY"])
def test_order_debug_mode_is_kept_when_it_names_a_debug_mode(mode):
    assert run(order(debugMode=mode)).debug == mode


@pytest.mark.parametrize("mode", ["auto_accept", "", "OFF", ...])
def test_order_other_debug_mode_strings_are_dropped(mode):
    assert run(order(debugMode=mode)).debug is None


def test_order_field_names_are_case_insensitive():
    frame = '{"TYPE":"ORDER","CLORDID":"d1","Side":"SELL","MODE":"LIMIT","PRODUCT":"FOSFO","QTY":3,"LimitPrice":12}'
    assert run(frame) == PlaceOrder(team="TeamD", cl="d1", side="SELL", mode="LIMIT", product="FOSFO", qty=3,
                                    price=1200)


def test_order_last_spelling_of_a_field_wins():
    assert run(order_text('"QTY":7')).qty == 7
    assert run(order_text('"QTY":"5"')) == fmt("ORDER")
    frame = '{"type":"ORDER","clOrdID":"d1","side":"BUY","mode":"MARKET","product":"GUACA","qty":"5","Qty":5}'
    assert run(frame).qty == 5


def test_order_a_last_null_spelling_makes_the_field_absent():
    assert run(order_text('"Qty":null')) == err(INVALID_QUANTITY, "Quantity must be positive", "d1")


# ============================================================================================================
# CANCEL (§4.4 rows 2–3)
# ============================================================================================================
def test_cancel_becomes_cancel_order_for_the_senders_team():
    assert run({"type": "CANCEL", "clOrdID": "A-S3"}, sender="TeamB") == CancelOrder(team="TeamB", cl="A-S3")


@pytest.mark.parametrize("value", [5, True, ["A-S3"]])
def test_cancel_clordid_of_wrong_type_is_a_format_error(value):
    assert run({"type": "CANCEL", "clOrdID": value}) == fmt("CANCEL")


@pytest.mark.parametrize(
    "frame", ['{"type":"CANCEL"}', '{"type":"CANCEL","clOrdID":""}', '{"type":"CANCEL","clOrdID":null}']
)
def test_cancel_clordid_absent_or_empty_is_required_without_clordid(frame):
    assert run(frame) == err(INVALID_MESSAGE, "ClOrdID is required")


def test_cancel_field_name_folds():
    assert run('{"type":"CANCEL","CLORDID":"x"}') == CancelOrder(team="TeamD", cl="x")


# ============================================================================================================
# ACCEPT_OFFER (§4.5 rows 2–5 and the decline)
# ============================================================================================================
def test_accept_offer_defaults_leave_quantity_and_price_to_the_engine():
    assert run({"type": "ACCEPT_OFFER", "offerId": "OFF-14", "accept": True}, sender="TeamC") == AcceptOffer(
        team="TeamC", offer_id="OFF-14")


def test_accept_offer_with_quantity_and_price_in_cents():
    result = run('{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":true,"quantityOffered":2,"priceOffered":11.5}',
                 sender="TeamA")
    assert result == AcceptOffer(team="TeamA", offer_id="OFF-14", qty=2, price=1150)


def test_accept_offer_price_above_max_is_left_to_the_engine():
    assert run('{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":true,"priceOffered":12.5}').price == 1250


@pytest.mark.parametrize(
    "fields",
    ['"offerId":5', '"accept":"true"', '"accept":1', '"quantityOffered":"2"', '"quantityOffered":2.0',
     '"quantityOffered":1e1', '"priceOffered":"12"', '"priceOffered":true'],
)
def test_accept_offer_field_of_wrong_type_is_a_format_error(fields):
    frame = '{"type":"ACCEPT_OFFER","offerId":"OFF-1","accept":true,' + fields + "}"
    assert run(frame) == fmt("ACCEPT_OFFER")


@pytest.mark.parametrize("frame", ['{"type":"ACCEPT_OFFER","accept":true}',
                                   '{"type":"ACCEPT_OFFER","offerId":"","accept":true}',
                                   '{"type":"ACCEPT_OFFER","offerId":null,"accept":false}'])
def test_accept_offer_offer_id_absent_or_empty_is_required_even_for_a_decline(frame):
    assert run(frame) == err(INVALID_MESSAGE, "Offer ID is required")


def test_accept_offer_accept_false_with_nulls_is_a_silent_decline():
    frame = '{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":false,"quantityOffered":null,"priceOffered":null}'
    assert run(frame, sender="TeamA") == Declined(team="TeamA", offer_id="OFF-14")


def test_accept_offer_accept_absent_or_null_declines():
    assert run('{"type":"ACCEPT_OFFER","offerId":"OFF-14"}') == Declined(team="TeamD", offer_id="OFF-14")
    assert run('{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":null}') == Declined(team="TeamD", offer_id="OFF-14")


def test_accept_offer_decline_skips_quantity_and_price_checks():
    frame = '{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":false,"quantityOffered":0,"priceOffered":-1}'
    assert isinstance(run(frame), Declined)


@pytest.mark.parametrize("qty", [0, -2])
def test_accept_offer_quantity_not_positive_is_invalid_quantity_without_clordid(qty):
    frame = {"type": "ACCEPT_OFFER", "offerId": "OFF-14", "accept": True, "quantityOffered": qty, "priceOffered": 0}
    assert run(frame) == err(INVALID_QUANTITY, "Quantity must be positive")


@pytest.mark.parametrize("literal", ["0", "-1", "0.004", "0.005"])
def test_accept_offer_price_not_positive_after_rounding_is_invalid_order(literal):
    frame = '{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":true,"priceOffered":' + literal + "}"
    assert run(frame) == err(INVALID_ORDER, "Price must be positive")


def test_accept_offer_price_rounds_half_even_from_the_literal():
    frame = '{"type":"ACCEPT_OFFER","offerId":"OFF-14","accept":true,"priceOffered":%s}'
    assert run(frame % "0.015").price == 2
    assert run(frame % "2.675").price == 268


def test_accept_offer_huge_quantity_is_pinned_to_the_largest_possible_remainder():
    frame = {"type": "ACCEPT_OFFER", "offerId": "OFF-14", "accept": True, "quantityOffered": 10**30}
    assert run(frame).qty == 1_000_000


def test_accept_offer_field_names_fold():
    frame = '{"type":"ACCEPT_OFFER","OFFERID":"OFF-14","Accept":true,"QUANTITYOFFERED":2}'
    assert run(frame) == AcceptOffer(team="TeamD", offer_id="OFF-14", qty=2)


# ============================================================================================================
# PRODUCTION_UPDATE (§4.6 rows 2–5)
# ============================================================================================================
def test_production_update_becomes_produce():
    assert run({"type": "PRODUCTION_UPDATE", "product": "FOSFO", "quantity": 15}, sender="TeamA") == Produce(
        team="TeamA", product="FOSFO", qty=15)


@pytest.mark.parametrize("fields", ['"product":"FOSFO","quantity":"15"', '"product":"FOSFO","quantity":15.0',
                                    '"product":5,"quantity":15', '"product":"FOSFO","quantity":true'])
def test_production_update_field_of_wrong_type_is_a_format_error(fields):
    assert run('{"type":"PRODUCTION_UPDATE",' + fields + "}") == fmt("PRODUCTION_UPDATE")


@pytest.mark.parametrize("product", [..., "", None])
def test_production_update_product_absent_or_empty_is_product_required(product):
    frame = {k: v for k, v in {"type": "PRODUCTION_UPDATE", "product": product, "quantity": 0}.items() if v is not ...}
    assert run(frame) == err(INVALID_PRODUCT, "Product is required")


@pytest.mark.parametrize("qty", [..., 0, -1])
def test_production_update_quantity_absent_or_not_positive_is_invalid_quantity(qty):
    frame = {k: v for k, v in {"type": "PRODUCTION_UPDATE", "product": "NOPE", "quantity": qty}.items() if v is not ...}
    assert run(frame) == err(INVALID_QUANTITY, "Quantity must be positive")


def test_production_update_unknown_product_is_invalid_product():
    assert run({"type": "PRODUCTION_UPDATE", "product": "NOPE", "quantity": 1}) == err(INVALID_PRODUCT,
                                                                                       "invalid product: NOPE")


def test_production_update_of_a_non_tradable_product_passes_receipt_checks():
    assert isinstance(run({"type": "PRODUCTION_UPDATE", "product": "H-GUACA", "quantity": 1}), Produce)


def test_production_update_huge_quantity_is_pinned_above_every_maximum():
    assert run({"type": "PRODUCTION_UPDATE", "product": "FOSFO", "quantity": 10**30}).qty == 2**31


# ============================================================================================================
# RESYNC (§4.7)
# ============================================================================================================
def test_resync_with_last_seq():
    assert run({"type": "RESYNC", "lastSeq": 14}, sender="TeamB") == Resync(team="TeamB", last_seq=14)


def test_resync_with_last_sync_in_microseconds():
    assert run({"type": "RESYNC", "lastSync": "2000-01-01T00:00:00Z"}) == Resync(team="TeamD",
                                                                                 last_sync=946_684_800 * US)


def test_resync_with_neither_field_is_the_compat_default():
    assert run({"type": "RESYNC"}) == Resync(team="TeamD")


def test_resync_bad_last_sync_is_invalid_timestamp_format():
    assert run({"type": "RESYNC", "lastSync": "yesterday"}) == err(INVALID_MESSAGE, "Invalid lastSync timestamp format")


def test_resync_negative_last_seq_is_invalid():
    assert run({"type": "RESYNC", "lastSeq": -1}) == err(INVALID_MESSAGE, "Invalid lastSeq")
    assert run({"type": "RESYNC", "lastSeq": 0}) == Resync(team="TeamD", last_seq=0)


def test_resync_last_sync_is_checked_before_last_seq():
    assert run({"type": "RESYNC", "lastSync": "x", "lastSeq": -1}) == err(INVALID_MESSAGE,
                                                                         "Invalid lastSync timestamp format")


@pytest.mark.parametrize("fields", ['"lastSeq":"14"', '"lastSeq":14.0', '"lastSync":5'])
def test_resync_field_of_wrong_type_is_a_format_error(fields):
    assert run('{"type":"RESYNC",' + fields + "}") == fmt("RESYNC")


# ============================================================================================================
# Read requests (§4.8) and REQUEST_PERFORMANCE_REPORT (§4.9)
# ============================================================================================================
def test_get_inventory_and_request_all_orders_name_the_sender():
    assert run({"type": "GET_INVENTORY", "x": 1}, sender="TeamA") == GetInventory(team="TeamA")
    assert run({"type": "REQUEST_ALL_ORDERS"}, sender="admin") == RequestAllOrders(team="admin")


def test_request_order_book_for_a_tradable_product():
    assert run({"type": "REQUEST_ORDER_BOOK", "product": "FOSFO"}) == RequestOrderBook(team="TeamD", product="FOSFO")


@pytest.mark.parametrize("frame", ['{"type":"REQUEST_ORDER_BOOK"}', '{"type":"REQUEST_ORDER_BOOK","product":""}',
                                   '{"type":"REQUEST_ORDER_BOOK","product":null}'])
def test_request_order_book_product_absent_is_product_required(frame):
    assert run(frame) == err(INVALID_PRODUCT, "Product is required")


def test_request_order_book_unknown_or_untradable_product():
    assert run({"type": "REQUEST_ORDER_BOOK", "product": "USD"}) == err(INVALID_PRODUCT, "invalid product: USD")
    assert run({"type": "REQUEST_ORDER_BOOK", "product": "H-GUACA"}) == err(INVALID_PRODUCT,
                                                                            "product not tradable: H-GUACA")


def test_request_order_book_product_of_wrong_type_is_a_format_error():
    assert run({"type": "REQUEST_ORDER_BOOK", "product": 5}) == fmt("REQUEST_ORDER_BOOK")


def test_performance_report_defaults_to_the_senders_team_scope():
    assert run({"type": "REQUEST_PERFORMANCE_REPORT"}, sender="TeamA") == PerformanceReport(team="TeamA",
                                                                                             scope="team")


def test_performance_report_keeps_the_named_team_for_the_state_checks():
    result = run({"type": "REQUEST_PERFORMANCE_REPORT", "teamName": "TeamB"}, sender="TeamA")
    assert result == PerformanceReport(team="TeamA", scope="team", team_name="TeamB")


def test_performance_report_global_ignores_team_name():
    result = run({"type": "REQUEST_PERFORMANCE_REPORT", "scope": "global", "teamName": "TeamB"})
    assert result == PerformanceReport(team="TeamD", scope="global")


def test_performance_report_start_time_in_microseconds():
    result = run({"type": "REQUEST_PERFORMANCE_REPORT", "startTime": "2026-11-25T11:00:00Z"})
    assert result.start_time == NOW - 3600 * US


def test_performance_report_bad_start_time_comes_before_bad_scope():
    assert run({"type": "REQUEST_PERFORMANCE_REPORT", "startTime": "x", "scope": "x"}) == err(
        INVALID_MESSAGE, "Invalid startTime format")


@pytest.mark.parametrize("scope", ["TEAM", "Global", "all", ""])
def test_performance_report_scope_must_be_team_or_global(scope):
    assert run({"type": "REQUEST_PERFORMANCE_REPORT", "scope": scope}) == err(INVALID_MESSAGE,
                                                                               "Scope must be 'team' or 'global'")


@pytest.mark.parametrize("fields", ['"scope":1', '"teamName":5', '"startTime":0'])
def test_performance_report_field_of_wrong_type_is_a_format_error(fields):
    assert run('{"type":"REQUEST_PERFORMANCE_REPORT",' + fields + "}") == fmt("REQUEST_PERFORMANCE_REPORT")


# ============================================================================================================
# Admin messages (§4.11–4.16)
# ============================================================================================================
@pytest.mark.parametrize(
    ("msg_type", "fields"),
    [
        ("ADD_INVENTORY", '"teamName":"TeamA","product":"FOSFO","quantity":"100"'),
        ("UPDATE_TEAM", '"teamName":"TeamA","balance":"500"'),
        ("UPDATE_TEAM", '"teamName":"TeamA","inventory":{"FOSFO":1.5}'),
        ("UPDATE_TEAM", '"teamName":"TeamA","inventory":[1]'),
        ("UPDATE_TEAM_MEMBERS", '"teamName":"TeamA","members":["x"]'),
        ("RESET_TEAM_BALANCE", '"teamName":5'),
        ("RESET_TEAM_INVENTORY", '"teamName":true'),
        ("RESET_TEAM_PRODUCTION", '"teamName":{}'),
        ("ADMIN_CANCEL_ORDER", '"clOrdID":5,"teamName":"TeamA"'),
        ("ADMIN_CREATE_ORDER", '"teamName":"TeamA","qty":"1"'),
        ("ADMIN_CREATE_ORDER", '"teamName":"TeamA","limitPrice":"1"'),
        ("ADMIN_BROADCAST", '"message":5'),
        ("ADMIN_TOURNAMENT_CONTROL", '"action":1'),
        ("ADMIN_TOURNAMENT_CONTROL", '"action":"CLOSE","endsAt":5'),
        ("RESET_TOURNAMENT_CONFIG", '"balance":"500","teamConfigs":[{"teamName":"TeamA"}]'),
        ("RESET_TOURNAMENT_CONFIG", '"balance":500,"teamConfigs":[1]'),
        ("RESET_TOURNAMENT_CONFIG", '"balance":500,"teamConfigs":{"teamName":"TeamA"}'),
        ("RESET_TOURNAMENT_CONFIG", '"balance":500,"teamConfigs":[{"teamName":"TeamA","inventory":{"FOSFO":"5"}}]'),
        ("SEED_TEAMS", '"teams":[{"teamName":"X","token":"TK-X","initialBalance":"5"}]'),
        ("SEED_TEAMS", '"teams":[{"teamName":"X","token":7}]'),
        ("SEED_TEAMS", '"teams":["X"]'),
        ("EXPORT_DATA", '"dataType":1'),
        ("REQUEST_HISTORICAL_ORDERS", '"limit":"50"'),
        ("REQUEST_HISTORICAL_ORDERS", '"limit":50.0'),
        ("GET_TEAM_ACTIVITY", '"teamName":1'),
    ],
)
def test_admin_field_of_wrong_type_is_a_format_error_named_after_the_type(msg_type, fields):
    assert admin(f'{{"type":"{msg_type}",{fields}}}') == fmt(msg_type)


@pytest.mark.parametrize(
    "msg_type",
    ["ADD_INVENTORY", "UPDATE_TEAM", "UPDATE_TEAM_MEMBERS", "RESET_TEAM_BALANCE", "RESET_TEAM_INVENTORY",
     "RESET_TEAM_PRODUCTION", "ADMIN_CREATE_ORDER", "GET_TEAM_ACTIVITY"],
)
@pytest.mark.parametrize("team", [..., "", None])
def test_admin_team_name_absent_or_empty_is_required(msg_type, team):
    frame = {"type": msg_type} if team is ... else {"type": msg_type, "teamName": team}
    assert admin(frame) == err(INVALID_MESSAGE, "TeamName is required")


# --- ADD_INVENTORY ------------------------------------------------------------------------------------------
ADD = {"type": "ADD_INVENTORY", "teamName": "TeamA", "product": "FOSFO", "quantity": 100}


def test_add_inventory_becomes_add_inventory_command():
    assert admin(ADD) == AddInventory(admin="admin", team="TeamA", product="FOSFO", qty=100)


def test_add_inventory_product_empty_is_invalid_message_not_invalid_product():
    assert admin({**ADD, "product": ""}) == err(INVALID_MESSAGE, "Product is required")
    assert admin({**ADD, "product": None}) == err(INVALID_MESSAGE, "Product is required")


@pytest.mark.parametrize("qty", [0, -5, None])
def test_add_inventory_quantity_not_positive_is_invalid_message(qty):
    assert admin({**ADD, "quantity": qty}) == err(INVALID_MESSAGE, "Quantity must be positive")


def test_add_inventory_quantity_over_one_million_is_invalid_quantity():
    assert admin({**ADD, "quantity": 1_000_001}) == err(INVALID_QUANTITY, "Quantity must be at most 1000000")
    assert admin({**ADD, "quantity": 1_000_000}).qty == 1_000_000


def test_add_inventory_unknown_product_comes_after_the_quantity_checks():
    assert admin({**ADD, "product": "USD"}) == err(INVALID_PRODUCT, "invalid product: USD")
    assert admin({**ADD, "product": "USD", "quantity": 0}) == err(INVALID_MESSAGE, "Quantity must be positive")


def test_add_inventory_team_name_comes_before_product():
    assert admin({**ADD, "teamName": None, "product": ""}) == err(INVALID_MESSAGE, "TeamName is required")


# --- UPDATE_TEAM, UPDATE_TEAM_MEMBERS ----------------------------------------------------------------------
def test_update_team_sets_only_the_given_fields():
    assert admin({"type": "UPDATE_TEAM", "teamName": "TeamA"}) == UpdateTeam(admin="admin", team="TeamA")
    assert admin('{"type":"UPDATE_TEAM","teamName":"TeamA","balance":500.5}') == UpdateTeam(
        admin="admin", team="TeamA", balance=50050)
    assert admin({"type": "UPDATE_TEAM", "teamName": "TeamA", "inventory": {"FOSFO": 5, "PITA": 0}}) == UpdateTeam(
        admin="admin", team="TeamA", inventory={"FOSFO": 5, "PITA": 0})


def test_update_team_balance_rounds_half_even_from_the_literal():
    assert admin('{"type":"UPDATE_TEAM","teamName":"TeamA","balance":2.675}').balance == 268
    assert admin('{"type":"UPDATE_TEAM","teamName":"TeamA","balance":-0.004}').balance == 0


@pytest.mark.parametrize("fields", ['"balance":-1', '"balance":-0.006', '"inventory":{"FOSFO":-1}',
                                    '"inventory":{"NOPE":-1}', '"balance":1e400'])
def test_update_team_negative_value_is_a_format_error(fields):
    assert admin('{"type":"UPDATE_TEAM","teamName":"TeamA",' + fields + "}") == fmt("UPDATE_TEAM")


def test_update_team_inventory_keys_are_exact_product_codes():
    assert admin({"type": "UPDATE_TEAM", "teamName": "TeamA", "inventory": {"fosfo": 1}}) == err(
        INVALID_PRODUCT, "invalid product: fosfo")


def test_update_team_goods_over_the_maximum_are_refused():
    frame = {"type": "UPDATE_TEAM", "teamName": "TeamA", "inventory": {"FOSFO": 2_147_483_648}}
    assert admin(frame) == err(INVALID_QUANTITY, "Quantity would exceed 2147483647 for FOSFO")
    frame["inventory"] = {"FOSFO": 2_147_483_647}
    assert admin(frame).inventory == {"FOSFO": 2_147_483_647}


def test_update_team_unknown_product_comes_before_over_the_maximum():
    frame = {"type": "UPDATE_TEAM", "teamName": "TeamA", "inventory": {"FOSFO": 2**40, "NOPE": 1}}
    assert admin(frame) == err(INVALID_PRODUCT, "invalid product: NOPE")


def test_update_team_members_defaults_to_empty_text():
    assert admin({"type": "UPDATE_TEAM_MEMBERS", "teamName": "TeamA", "members": "Ana, Luis"}) == UpdateMembers(
        admin="admin", team="TeamA", members="Ana, Luis")
    assert admin({"type": "UPDATE_TEAM_MEMBERS", "teamName": "TeamA"}) == UpdateMembers(admin="admin", team="TeamA")


# --- team resets, activity --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("msg_type", "expected"),
    [("RESET_TEAM_BALANCE", ResetTeamBalance(admin="admin", team="TeamA")),
     ("RESET_TEAM_INVENTORY", ResetTeamInventory(admin="admin", team="TeamA")),
     ("RESET_TEAM_PRODUCTION", ResetTeamProduction(admin="admin", team="TeamA")),
     ("GET_TEAM_ACTIVITY", TeamActivity(admin="admin", team="TeamA"))],
)
def test_team_only_admin_messages_name_the_team(msg_type, expected):
    assert admin({"type": msg_type, "TEAMNAME": "TeamA"}) == expected


# --- ADMIN_CANCEL_ORDER, ADMIN_CANCEL_ALL_ORDERS ----------------------------------------------------------
def test_admin_cancel_order_names_team_and_order():
    assert admin({"type": "ADMIN_CANCEL_ORDER", "clOrdID": "A-S3", "teamName": "TeamA"}) == AdminCancelOrder(
        admin="admin", team="TeamA", cl="A-S3")


@pytest.mark.parametrize("cl", [..., "", None])
def test_admin_cancel_order_clordid_is_checked_before_team_name(cl):
    frame = {"type": "ADMIN_CANCEL_ORDER"} if cl is ... else {"type": "ADMIN_CANCEL_ORDER", "clOrdID": cl}
    assert admin(frame) == err(INVALID_MESSAGE, "Order ID is required")


def test_admin_cancel_order_without_team_name_is_team_required():
    assert admin({"type": "ADMIN_CANCEL_ORDER", "clOrdID": "A-S3"}) == err(INVALID_MESSAGE, "TeamName is required")


def test_admin_cancel_all_orders():
    assert admin({"type": "ADMIN_CANCEL_ALL_ORDERS"}) == AdminCancelAll(admin="admin")


# --- ADMIN_CREATE_ORDER -----------------------------------------------------------------------------------
CREATE = {"type": "ADMIN_CREATE_ORDER", "teamName": "TeamA", "side": "SELL", "mode": "LIMIT", "product": "GUACA",
          "qty": 2, "limitPrice": 20}


def test_admin_create_order_keeps_the_raw_message():
    assert admin({**CREATE, "message": "hi"}) == AdminCreateOrder(
        admin="admin", team="TeamA", side="SELL", mode="LIMIT", product="GUACA", qty=2, price=2000, message="hi")
    assert admin(CREATE).message is None


def test_admin_create_order_ignores_any_clordid():
    assert isinstance(admin({**CREATE, "clOrdID": 5}), AdminCreateOrder)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"product": None}, err(INVALID_PRODUCT, "Product is required")),
        ({"side": "sell"}, err(INVALID_MESSAGE, "Side must be BUY or SELL")),
        ({"qty": 0}, err(INVALID_QUANTITY, "Quantity must be positive")),
        ({"qty": 1_000_001}, err(INVALID_QUANTITY, "Quantity must be at most 1000000")),
        ({"mode": "STOP"}, err(INVALID_MESSAGE, "Mode must be MARKET or LIMIT")),
        ({"limitPrice": 0.004}, err(INVALID_MESSAGE, "Limit price must be positive for LIMIT orders")),
        ({"limitPrice": 1_000_000.01}, err(INVALID_MESSAGE, "Limit price must be at most 1000000")),
        ({"product": "USD"}, err(INVALID_PRODUCT, "invalid product: USD")),
        ({"product": "H-GUACA"}, err(INVALID_PRODUCT, "product not tradable: H-GUACA")),
        ({"message": "x" * 201}, err(INVALID_ORDER, "message too long (max 200 characters)")),
        ({"expiresAt": "tomorrow"}, err(INVALID_MESSAGE, "Invalid expiresAt timestamp format")),
    ],
)
def test_admin_create_order_runs_order_rows_6_to_16_without_clordid(changes, expected):
    assert admin({**CREATE, **changes}) == expected


def test_admin_create_order_team_name_comes_before_the_order_rows():
    assert admin({**CREATE, "teamName": None, "product": None}) == err(INVALID_MESSAGE, "TeamName is required")


def test_admin_create_order_market_with_expiry():
    result = admin({**CREATE, "mode": "MARKET", "expiresAt": "2026-11-25T12:00:02Z", "debugMode": "TEAM_ONLY"})
    assert (result.price, result.expires_at, result.debug) == (None, NOW + 2 * US, "TEAM_ONLY")


# --- ADMIN_BROADCAST --------------------------------------------------------------------------------------
def test_admin_broadcast_carries_the_sender():
    assert admin({"type": "ADMIN_BROADCAST", "message": "hi"}) == Broadcast(admin="admin", message="hi")


@pytest.mark.parametrize("frame", ['{"type":"ADMIN_BROADCAST"}', '{"type":"ADMIN_BROADCAST","message":""}'])
def test_admin_broadcast_empty_message_is_required(frame):
    assert admin(frame) == err(INVALID_MESSAGE, "Message is required")


# --- ADMIN_TOURNAMENT_CONTROL (§4.12) ---------------------------------------------------------------------
@pytest.mark.parametrize("action", ["OPEN", "PAUSE", "CLOSE"])
def test_tournament_control_actions(action):
    assert admin({"type": "ADMIN_TOURNAMENT_CONTROL", "action": action}) == TournamentControl(admin="admin",
                                                                                            action=action)


@pytest.mark.parametrize("action", [..., "pause", "RESUME", ""])
def test_tournament_control_bad_action_is_refused(action):
    frame = {"type": "ADMIN_TOURNAMENT_CONTROL", "endsAt": "x"}
    if action is not ...:
        frame["action"] = action
    assert admin(frame) == err(INVALID_MESSAGE, "Action must be OPEN, PAUSE or CLOSE")


def test_tournament_control_ends_at_sets_the_schedule():
    frame = {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN", "endsAt": "2026-11-25T13:00:00+01:00"}
    assert admin(frame, now=NOW - 1) == TournamentControl(admin="admin", action="OPEN", ends_at=NOW)


def test_tournament_control_empty_ends_at_clears_the_schedule():
    frame = {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "PAUSE", "endsAt": ""}
    assert admin(frame) == TournamentControl(admin="admin", action="PAUSE", clear_end=True)


def test_tournament_control_bad_ends_at_format():
    frame = {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN", "endsAt": "in an hour"}
    assert admin(frame) == err(INVALID_MESSAGE, "Invalid endsAt timestamp format")


@pytest.mark.parametrize("offset_us", [0, -1, -3600 * US])
def test_tournament_control_ends_at_not_in_the_future_is_refused(offset_us):
    frame = {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN", "endsAt": "2026-11-25T12:00:00Z"}
    assert admin(frame, now=NOW - offset_us) == err(INVALID_MESSAGE, "endsAt must be in the future")


def test_tournament_control_close_ignores_ends_at_unchecked():
    for ends in ("garbage", "2000-01-01T00:00:00Z", ""):
        frame = {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "CLOSE", "endsAt": ends}
        assert admin(frame) == TournamentControl(admin="admin", action="CLOSE")


# --- RESET_TOURNAMENT_CONFIG (§4.13) ----------------------------------------------------------------------
RESET = '{"type":"RESET_TOURNAMENT_CONFIG","balance":%s,"teamConfigs":%s}'


def test_reset_tournament_config_of_conformance_step_35():
    frame = RESET % ("500", '[{"teamName":"TeamA","inventory":{"FOSFO":5}},{"teamName":"TeamB"}]')
    assert admin(frame) == ResetTournament(admin="admin", balance=50000, configs=[
        TeamConfig(team="TeamA", inventory={"FOSFO": 5}), TeamConfig(team="TeamB")])


def test_reset_tournament_config_entries_fold_field_names_but_not_product_codes():
    frame = RESET % ("500.5", '[{"TEAMNAME":"TeamA","Inventory":{"FOSFO":5,"PITA":0},"teamname":"TeamC"}]')
    assert admin(frame) == ResetTournament(admin="admin", balance=50050,
                                           configs=[TeamConfig(team="TeamC", inventory={"FOSFO": 5, "PITA": 0})])
    assert admin(RESET % ("1", '[{"teamName":"TeamA","inventory":{"fosfo":1}}]')) == err(
        INVALID_PRODUCT, "invalid product: fosfo")


def test_reset_tournament_config_null_in_an_entry_is_absent():
    assert admin(RESET % ("1", '[{"teamName":"TeamA","inventory":null}]')).configs == [TeamConfig(team="TeamA")]


def test_reset_tournament_config_balance_absent_is_required():
    assert admin('{"type":"RESET_TOURNAMENT_CONFIG","teamConfigs":[]}') == err(INVALID_MESSAGE, "Balance is required")
    assert admin(RESET % ("null", "[]")) == err(INVALID_MESSAGE, "Balance is required")


def test_reset_tournament_config_negative_balance_after_rounding_is_refused():
    assert admin(RESET % ("-0.01", "[]")) == err(INVALID_MESSAGE, "Balance cannot be negative")
    assert admin(RESET % ("-0.005", '[{"teamName":"TeamA"}]')).balance == 0


@pytest.mark.parametrize("configs", ["[]", "null"])
def test_reset_tournament_config_without_entries_is_refused(configs):
    assert admin(RESET % ("500", configs)) == err(INVALID_MESSAGE, "No team configurations provided")


def test_reset_tournament_config_entry_without_team_name_is_refused():
    assert admin(RESET % ("500", '[{"teamName":"TeamA"},{"inventory":{"FOSFO":1}}]')) == err(
        INVALID_MESSAGE, "TeamName is required")


def test_reset_tournament_config_team_listed_twice_is_refused():
    assert admin(RESET % ("500", '[{"teamName":"TeamA"},{"teamName":"TeamB"},{"teamName":"TeamA"}]')) == err(
        INVALID_MESSAGE, "Duplicate team: TeamA")


def test_reset_tournament_config_entry_goods_checks_in_order():
    bad = '[{"teamName":"TeamA","inventory":{%s}}]'
    assert admin(RESET % ("5", bad % '"FOSFO":-1,"NOPE":1')) == err(INVALID_PRODUCT, "invalid product: NOPE")
    assert admin(RESET % ("5", bad % '"FOSFO":2147483648,"PITA":-1')) == err(INVALID_QUANTITY,
                                                                            "Quantity cannot be negative")
    assert admin(RESET % ("5", bad % '"FOSFO":2147483648')) == err(INVALID_QUANTITY,
                                                                   "Quantity would exceed 2147483647 for FOSFO")


def test_reset_tournament_config_entries_are_checked_in_list_order():
    frame = RESET % ("5", '[{"teamName":"TeamA","inventory":{"NOPE":1}},{"teamName":"TeamA"}]')
    assert admin(frame) == err(INVALID_PRODUCT, "invalid product: NOPE")


def test_reset_tournament_config_field_types_come_before_the_balance_checks():
    assert admin(RESET % ("null", '[{"teamName":5}]')) == fmt("RESET_TOURNAMENT_CONFIG")


# --- SEED_TEAMS (§4.14) -----------------------------------------------------------------------------------
TOKEN_RULE = "token must start with TK- and have 4-128 characters"


def seed(*entries: str) -> Any:
    return admin('{"type":"SEED_TEAMS","teams":[' + ",".join(entries) + "]}")


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_seed_teams_hashes_tokens_and_applies_defaults():
    result = seed('{"teamName":"New","token":"TK-NEW-1","species":"Cosechadores de Pita"}')
    assert result == SeedTeams(admin="admin", teams=[
        SeedTeam(name="New", token_hash=sha("TK-NEW-1"), species="Cosechadores de Pita", balance=1_000_000)])


def test_seed_teams_never_keeps_the_raw_token():
    result = seed('{"teamName":"New","token":"TK-NEW-1"}')
    assert "TK-NEW-1" not in repr(result)


def test_seed_teams_entry_fields_fold_and_inventory_keys_stay_exact():
    result = seed('{"TEAMNAME":"New","Token":"TK-NEW-1","InitialBalance":250.5,"INVENTORY":{"FOSFO":3},'
                  '"specialty":5,"authorizedProducts":"x","species":null}')
    assert result.teams == [SeedTeam(name="New", token_hash=sha("TK-NEW-1"), balance=25050, inventory={"FOSFO": 3})]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ('{"teamName":"New","token":"BAD-1"}', "New: " + TOKEN_RULE),
        ('{"teamName":"New","token":"TK-"}', "New: " + TOKEN_RULE),
        ('{"teamName":"New","token":"TK-' + "x" * 126 + '"}', "New: " + TOKEN_RULE),
        ('{"teamName":"New"}', "New: " + TOKEN_RULE),
        ('{"teamName":"","token":"TK-1"}', ": team name must be 1-64 characters"),
        ('{"token":"TK-1"}', ": team name must be 1-64 characters"),
        ('{"teamName":"%s","token":"TK-1"}' % ("n" * 65), "n" * 65 + ": team name must be 1-64 characters"),
        ('{"teamName":"SERVER","token":"TK-1"}', "SERVER: team name SERVER is reserved"),
        ('{"teamName":"SERVER","token":"bad"}', "SERVER: team name SERVER is reserved"),
    ],
)
def test_seed_teams_name_or_token_format_problem_goes_into_the_entry_error(entry, reason):
    (team,) = seed(entry).teams
    assert team.error == reason


def test_seed_teams_token_and_name_at_their_limits_are_fine():
    (team,) = seed('{"teamName":"' + "n" * 64 + '","token":"TK-' + "x" * 125 + '"}').teams
    assert team.error is None
    (team,) = seed('{"teamName":"A","token":"TK-1"}').teams
    assert team.error is None


def test_seed_teams_state_checks_are_left_to_the_engine():
    # negative balance, unknown species and inventory problems are reported in engine order
    (team,) = seed('{"teamName":"New","token":"TK-1","initialBalance":-5,"species":"Nope",'
                   '"inventory":{"NOPE":-1,"FOSFO":99999999999}}').teams
    assert (team.balance, team.species, team.error) == (-500, "Nope", None)
    assert team.inventory == {"NOPE": -1, "FOSFO": 2_147_483_648}  # pinned past the maximum, still int64


def test_seed_teams_keeps_entries_in_order():
    result = seed('{"teamName":"B","token":"TK-B2"}', '{"teamName":"A","token":"TK-A2"}')
    assert [t.name for t in result.teams] == ["B", "A"]


def test_seed_teams_empty_list_is_an_empty_command_and_absent_is_a_format_error():
    assert seed() == SeedTeams(admin="admin", teams=[])
    assert admin({"type": "SEED_TEAMS"}) == fmt("SEED_TEAMS")


# --- reads: UPDATE_ALL_RECIPES, EXPORT_DATA, REQUEST_HISTORICAL_ORDERS, sessions, teams -------------------------
@pytest.mark.parametrize(
    ("msg_type", "expected"),
    [("UPDATE_ALL_RECIPES", UpdateAllRecipes(admin="admin")),
     ("REQUEST_CONNECTED_SESSIONS", ConnectedSessions(admin="admin")),
     ("GET_AVAILABLE_TEAMS", AvailableTeams(admin="admin")),
     ("GET_ALL_TEAMS", AllTeams(admin="admin"))],
)
def test_admin_reads_without_fields(msg_type, expected):
    assert admin({"type": msg_type, "extra": 1}) == expected


def test_export_data_defaults_to_all_without_dates():
    assert admin({"type": "EXPORT_DATA"}) == ExportData(admin="admin", data_type="all")


@pytest.mark.parametrize("data_type", ["orders", "fills", "teams", "ledger", "sessions", "all"])
def test_export_data_types(data_type):
    assert admin({"type": "EXPORT_DATA", "dataType": data_type}).data_type == data_type


@pytest.mark.parametrize("data_type", ["FILLS", "trades", ""])
def test_export_data_invalid_data_type(data_type):
    assert admin({"type": "EXPORT_DATA", "dataType": data_type, "startDate": "x"}) == err(INVALID_MESSAGE,
                                                                                       "Invalid dataType")


def test_export_data_dates_in_microseconds():
    result = admin({"type": "EXPORT_DATA", "dataType": "fills", "startDate": "2026-11-25T11:00:00Z",
                    "endDate": "2026-11-25T12:00:00Z"})
    assert (result.start, result.end) == (NOW - 3600 * US, NOW)


def test_export_data_bad_dates_start_first():
    assert admin({"type": "EXPORT_DATA", "startDate": "x", "endDate": "y"}) == err(INVALID_MESSAGE,
                                                                                "Invalid startDate format")
    assert admin({"type": "EXPORT_DATA", "endDate": "y"}) == err(INVALID_MESSAGE, "Invalid endDate format")


@pytest.mark.parametrize(("limit", "expected"), [(..., 100), (0, 100), (-5, 100), (1, 1), (50, 50), (1000, 1000),
                                                 (5000, 1000)])
def test_historical_orders_limit_defaults_and_cap(limit, expected):
    frame = {"type": "REQUEST_HISTORICAL_ORDERS"} if limit is ... else {"type": "REQUEST_HISTORICAL_ORDERS",
                                                                        "limit": limit}
    assert admin(frame) == HistoricalOrders(admin="admin", limit=expected)


# --- SDK_EMULATOR (§4.16) ---------------------------------------------------------------------------------
def test_sdk_emulator_outside_debug_mode_is_unavailable_before_field_types():
    assert admin({"type": "SDK_EMULATOR", "targetTeam": 5}) == err(SERVICE_UNAVAILABLE, "Debug mode is disabled")


def test_sdk_emulator_relays_the_payload_with_exact_keys_and_no_nulls():
    frame = {"type": "SDK_EMULATOR", "targetTeam": "TeamA", "messageType": "OFFER",
             "messagePayload": {"offerId": "X-1", "maxPrice": 12.5, "expiresAt": None}}
    result = admin(frame, tournament=DEBUG_T)
    assert result == SdkEmulator(admin="admin", target="TeamA", message_type="OFFER",
                                 payload={"offerId": "X-1", "maxPrice": 12.5})


def test_sdk_emulator_without_payload_relays_an_empty_one():
    result = admin({"type": "SDK_EMULATOR", "targetTeam": "TeamA", "messageType": "PING"}, tournament=DEBUG_T)
    assert result.payload == {}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [({"messageType": "OFFER"}, err(INVALID_MESSAGE, "targetTeam is required")),
     ({"targetTeam": "", "messageType": "OFFER"}, err(INVALID_MESSAGE, "targetTeam is required")),
     ({"targetTeam": "TeamA"}, err(INVALID_MESSAGE, "messageType is required")),
     ({"targetTeam": "TeamA", "messageType": "OFFER", "messagePayload": [1]}, fmt("SDK_EMULATOR")),
     ({"targetTeam": 5, "messageType": "OFFER"}, fmt("SDK_EMULATOR"))],
)
def test_sdk_emulator_checks_in_debug_mode(fields, expected):
    assert admin({"type": "SDK_EMULATOR", **fields}, tournament=DEBUG_T) == expected
