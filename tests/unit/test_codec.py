"""The frame codec: PROTOCOL.md §1.4 steps 4–6, §2.1 input rules, §2.2 output encoding."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from avex.domain.catalogue import Product, Tournament
from avex.protocol.codec import (
    MONEY_LIMIT,
    decode_frame,
    encode,
    encode_text,
    fold,
    is_number,
    money_cents,
    parse_time,
    products_by_code,
    utf8_len,
)
from avex.protocol.errors import ERROR_CODES, INVALID_MESSAGE, WireError, format_error
from avex.protocol.queries import Login, token_hash

PREFIX = "Message processing failed: invalid JSON: "


def invalid_json(result: object) -> bool:
    return (
        isinstance(result, WireError)
        and result.code == INVALID_MESSAGE
        and result.reason.startswith(PREFIX)
        and result.cl is None
    )


# --- §6 error codes ----------------------------------------------------------------------------------------
def test_exactly_the_eleven_error_codes_of_section_6():
    assert {
        "AUTH_FAILED", "INVALID_ORDER", "INVALID_PRODUCT", "INVALID_QUANTITY", "DUPLICATE_ORDER_ID",
        "UNAUTHORIZED_PRODUCTION", "OFFER_EXPIRED", "RATE_LIMIT_EXCEEDED", "SERVICE_UNAVAILABLE",
        "INSUFFICIENT_INVENTORY", "INVALID_MESSAGE",
    } == ERROR_CODES


def test_wire_error_is_a_value_with_optional_clordid():
    assert WireError("INVALID_ORDER", "x") == WireError("INVALID_ORDER", "x", None)
    assert WireError("INVALID_ORDER", "x", "c1").cl == "c1"
    assert format_error("ORDER") == WireError(INVALID_MESSAGE, "Invalid ORDER message format")


# --- step 4: undecodable JSON --------------------------------------------------------------------------------
@pytest.mark.parametrize("data", ["hello", b"hello", "{", '{"a":1} x', "{'a':1}", '{"a":}'])
def test_malformed_json_is_invalid_json(data):
    assert invalid_json(decode_frame(data))


@pytest.mark.parametrize("data", ["", b"", " ", "\n", b" \t\r\n "])
def test_empty_or_whitespace_only_frame_is_invalid_json(data):
    assert invalid_json(decode_frame(data))


@pytest.mark.parametrize(
    "data", ["NaN", '{"qty":NaN}', '{"limitPrice":Infinity}', '{"limitPrice":-Infinity}', '{"a":nan}']
)
def test_nan_and_infinity_are_invalid_json(data):
    assert invalid_json(decode_frame(data))


@pytest.mark.parametrize("data", [b"\xff", b'{"a":"\xff"}', b'{"a":"\xc3"}', b'{"\xed\xa0\x80":1}'])
def test_invalid_utf8_is_invalid_json(data):
    assert invalid_json(decode_frame(data))


def test_lone_surrogate_escape_is_invalid_json():
    # \ud800 alone has no UTF-8 encoding, so it can never be a valid string field.
    assert invalid_json(decode_frame('{"message":"\\ud800"}'))


def test_utf8_text_in_bytes_and_str_decodes_the_same():
    text = '{"type":"ORDER","message":"¡olé 🥑!"}'
    assert decode_frame(text) == decode_frame(text.encode()) == {"type": "ORDER", "message": "¡olé 🥑!"}


# --- step 5: not an object ------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", ["[1,2]", "[]", '"PING"', "5", "1.5", "true", "null"])
def test_json_that_is_not_an_object_is_rejected(data):
    assert decode_frame(data) == WireError(INVALID_MESSAGE, PREFIX + "message must be a JSON object")


# --- step 6: type must be a string ----------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["5", "1.5", "true", "false", "[]", '["PING"]', '{"a":1}'])
def test_type_that_is_not_a_string_is_rejected(value):
    assert decode_frame('{"type":' + value + "}") == WireError(INVALID_MESSAGE, PREFIX + "type must be a string")


def test_type_null_or_absent_is_fine_and_absent():
    assert decode_frame('{"type":null,"a":1}') == {"a": 1}
    assert decode_frame("{}") == {}


def test_type_is_checked_after_folding_so_the_last_spelling_decides():
    assert decode_frame('{"type":"PING","TYPE":5}') == WireError(INVALID_MESSAGE, PREFIX + "type must be a string")
    assert decode_frame('{"type":5,"Type":"PING"}') == {"type": "PING"}


def test_type_value_is_kept_exact():
    # dispatch is case-sensitive (step 7): the value is not folded, only the name
    assert decode_frame('{"TYPE":"order"}') == {"type": "order"}


# --- §2.1 field names fold, nulls are absent --------------------------------------------------------------------
def test_field_names_fold_to_lower_case():
    assert decode_frame('{"Type":"ORDER","clOrdID":"a","QTY":5,"limitPrice":1}') == {
        "type": "ORDER", "clordid": "a", "qty": 5, "limitprice": 1,
    }


def test_when_several_names_fold_together_the_last_wins():
    assert decode_frame('{"qty":5,"QTY":7,"Qty":9}')["qty"] == 9
    assert decode_frame('{"QTY":"5","qty":5}')["qty"] == 5


def test_exact_duplicate_names_last_wins():
    assert decode_frame('{"qty":5,"qty":6}') == {"qty": 6}


def test_null_values_are_dropped_as_absent():
    assert decode_frame('{"type":"ORDER","limitPrice":null,"message":null,"qty":1}') == {"type": "ORDER", "qty": 1}


def test_a_last_null_spelling_makes_the_field_absent():
    assert decode_frame('{"qty":5,"QTY":null}') == {}
    assert decode_frame('{"qty":null,"QTY":5}') == {"qty": 5}


def test_nested_objects_are_left_to_the_parser():
    # Product codes in inventory maps are data keys: the codec never folds below the top level.
    fields = decode_frame('{"inventory":{"FOSFO":5,"fosfo":null},"teamConfigs":[{"teamName":"A"}]}')
    assert fields == {"inventory": {"FOSFO": 5, "fosfo": None}, "teamconfigs": [{"teamName": "A"}]}


def test_fold_helper_for_nested_field_objects():
    assert fold({"TeamName": "A", "INVENTORY": {"FOSFO": 1}, "species": None}) == {
        "teamname": "A", "inventory": {"FOSFO": 1},
    }


# --- numbers: integers stay int, everything else is an exact Decimal --------------------------------------
def test_integer_literals_decode_as_int_even_huge_ones():
    fields = decode_frame('{"a":5,"b":-3,"c":123456789012345678901234567890}')
    assert fields == {"a": 5, "b": -3, "c": 123456789012345678901234567890}
    assert all(type(v) is int for v in fields.values())


@pytest.mark.parametrize(
    ("literal", "expected"),
    [("5.0", Decimal("5.0")), ("1e1", Decimal("1E+1")), ("2.675", Decimal("2.675")),
     ("0.1", Decimal("0.1")), ("1E400", Decimal("1E+400")), ("-0.005", Decimal("-0.005"))],
)
def test_fraction_or_exponent_literals_decode_as_exact_decimals(literal, expected):
    value = decode_frame('{"p":' + literal + "}")["p"]
    assert type(value) is Decimal
    assert value == expected
    assert str(value) == str(expected)  # the literal itself, never through a float


def test_is_number_accepts_only_json_numbers():
    assert is_number(5) and is_number(Decimal("1.5"))
    assert not is_number(True) and not is_number("5") and not is_number(1.5) and not is_number(None)


# --- §2.1 money: half-to-even to the cent from the literal ------------------------------------------------
@pytest.mark.parametrize(
    ("literal", "cents"),
    [("0.005", 0), ("0.015", 2), ("2.675", 268), ("0.025", 2), ("-2.675", -268), ("-0.005", 0),
     ("16.5", 1650), ("16.50", 1650), ("17", 1700), ("1e2", 10000), ("0.004", 0), ("0.006", 1),
     ("1000000.004", 100000000), ("1e-400", 0), ("0e50", 0)],
)
def test_money_rounds_half_even_to_the_cent_from_the_json_literal(literal, cents):
    assert money_cents(decode_frame('{"p":' + literal + "}")["p"]) == cents


def test_money_rounding_is_exact_beyond_28_digits():
    # just above half a cent, with more digits than the default decimal context keeps
    assert money_cents(decode_frame('{"p":0.00500000000000000000000000000000001}')["p"]) == 1
    assert money_cents(decode_frame('{"p":12345678.125000000000000000000000001}')["p"]) == 1234567813


def test_money_beyond_every_bound_is_pinned_and_stays_int64():
    assert money_cents(decode_frame('{"p":1e400}')["p"]) == MONEY_LIMIT
    assert money_cents(decode_frame('{"p":-1e400}')["p"]) == -MONEY_LIMIT
    assert money_cents(10**30) == MONEY_LIMIT
    assert money_cents(-(10**30)) == -MONEY_LIMIT
    assert MONEY_LIMIT < 2**63
    assert money_cents(9_999_999_999_999_999) == 999_999_999_999_999_900


# --- §2.1 timestamps ------------------------------------------------------------------------------------
BASE_US = 1_795_608_000_000_000  # 2026-11-25T12:00:00Z


@pytest.mark.parametrize(
    ("text", "us"),
    [
        ("2026-11-25T12:00:00Z", BASE_US),
        ("2026-11-25t12:00:00z", BASE_US),
        ("2026-11-25T12:00:00.123Z", BASE_US + 123_000),
        ("2026-11-25T12:00:00.123456Z", BASE_US + 123_456),
        ("2026-11-25T12:00:00.1234569Z", BASE_US + 123_456),  # beyond µs: truncated
        ("2026-11-25T13:30:00+01:30", BASE_US),
        ("2026-11-25T04:00:00-08:00", BASE_US),
        ("2026-11-25T12:00:00+00:00", BASE_US),
    ],
)
def test_rfc3339_timestamps_with_zone_parse_to_microseconds(text, us):
    assert parse_time(text) == us


@pytest.mark.parametrize(
    "text",
    ["tomorrow", "", "2026-11-25T12:00:00", "2026-11-25 12:00:00Z", "2026-02-30T00:00:00Z",
     "2026-11-25T12:00:00+24:00", "2026-11-25T12:00:00Z\n", "２０２６-11-25T12:00:00Z",
     "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00", "2026-11-25T12:00Z"],
)
def test_unparsable_timestamps_give_none(text):
    assert parse_time(text) is None


# --- helpers ----------------------------------------------------------------------------------------------
def test_utf8_len_counts_bytes_not_characters():
    assert utf8_len("x" * 200) == 200
    assert utf8_len("€") == 3
    assert utf8_len("🥑") == 4


def test_products_by_code_follows_the_tournament_it_is_given():
    first = Tournament(products=(Product("GUACA", 1530),), species=(), teams=())
    second = Tournament(products=(Product("PITA", 875, tradable=False),), species=(), teams=())
    assert set(products_by_code(first)) == {"GUACA"}
    assert set(products_by_code(second)) == {"PITA"}
    assert products_by_code(second)["PITA"].tradable is False
    assert set(products_by_code(first)) == {"GUACA"}


def test_token_hash_is_sha256_hex_and_login_repr_hides_the_token():
    assert token_hash("TK-A") == hashlib.sha256(b"TK-A").hexdigest()
    login = Login(token="TK-SECRET")
    assert "TK-SECRET" not in repr(login)
    assert login.token_hash == hashlib.sha256(b"TK-SECRET").hexdigest()


# --- §2.2 output ----------------------------------------------------------------------------------------
def test_encode_is_compact_json_without_trailing_newline():
    data = encode({"type": "PONG", "timestamp": "2026-11-25T12:00:00.123Z"})
    assert data == b'{"type":"PONG","timestamp":"2026-11-25T12:00:00.123Z"}'
    assert not data.endswith(b"\n")


def test_encode_writes_money_as_numbers():
    assert encode({"balance": 870.5, "reserved": 0, "d": Decimal("1.30")}) == b'{"balance":870.5,"reserved":0,"d":1.30}'


def test_encode_text_is_the_same_json_as_str():
    frame = {"type": "BROADCAST_NOTIFICATION", "message": "¡olé 🥑!", "sender": "admin"}
    assert encode_text(frame) == encode(frame).decode()
    assert decode_frame(encode_text(frame)) == frame
