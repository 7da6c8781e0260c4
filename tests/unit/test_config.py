"""The tournament file (GAME.md §10): schema, defaults, hard rules, design rules, hash, dict, render, init."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from avex.config import (
    ConfigError,
    builtin_tournament,
    canonical_json,
    check_file,
    default_products,
    default_species,
    design_warnings,
    load_tournament,
    new_tournament_file,
    parse_tournament,
    render_tournament_toml,
    team_name_problem,
    token_problem,
    tournament_from_dict,
    tournament_hash,
    tournament_to_dict,
)
from avex.domain.catalogue import MarketSettings, ProductionSettings, Role, TeamSpec, Tournament
from avex.domain.production import max_per_request, role_units

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONFORMANCE = EXAMPLES / "conformance.toml"
PREDECESSOR = EXAMPLES / "predecessor-12-species.toml"

CATALOGUE = """
[[products]]
code = "GUACA"
reference_price = 15.30
[[products]]
code = "FOSFO"
reference_price = 12.50
[[products]]
code = "PITA"
reference_price = 8.75
[[species]]
name = "Monjes"
basic = "FOSFO"
[species.premium.GUACA]
PITA = 2
"""

TEAM = """
[[teams]]
name = "TeamA"
token = "TK-A"
species = "Monjes"
balance = 1000
"""


def errors_of(text: str, source: str = "t.toml") -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_tournament(text, source)
    return info.value.errors


def one_error(text: str, source: str = "t.toml") -> str:
    errors = errors_of(text, source)
    assert len(errors) == 1, errors
    return errors[0]


# ---------------------------------------------------------------------------------------------------
# The shipped examples


def test_conformance_example_loads_with_the_values_of_protocol_section_8() -> None:
    t = load_tournament(CONFORMANCE)
    assert t.product_codes == ("GUACA", "FOSFO", "PITA", "SEBO")
    assert t.market == replace(MarketSettings(), ticker_interval_s=Decimal(0), orders_per_minute=10)
    assert t.production == ProductionSettings()
    assert [team.name for team in t.teams] == ["TeamA", "TeamB", "TeamC", "TeamD", "admin"]
    a, b, c, d, admin = t.teams
    assert (a.balance, b.balance, c.balance, d.balance, admin.balance) == (100000, 100000, 5000, 10000, 0)
    assert a.inventory == {"GUACA": 20, "FOSFO": 10}
    assert t.species_named(a.species).premium == {"GUACA": {"PITA": 2}}  # type: ignore[union-attr]
    assert (role_units(a.role), max_per_request(a.role, premium=True)) == (15, 20)
    assert b.role == Role()
    assert c.species is None and not c.is_admin
    assert admin.is_admin and admin.admin
    assert [team.is_admin for team in t.teams].count(True) == 1


def test_predecessor_example_loads_without_errors_but_warns_about_its_design() -> None:
    t = load_tournament(PREDECESSOR)
    assert len(t.products) == 12 and len(t.species) == 12 and len(t.teams) == 13
    assert t.product("QUANTUM-PULP").reference_price == 3000  # type: ignore[union-attr]
    assert not t.product("SKIN-WRAP").tradable  # type: ignore[union-attr]
    assert not t.product("GTRON").producible  # type: ignore[union-attr]
    assert t.species_named("Avocultores").premium == {  # type: ignore[union-attr]
        "GUACA": {"FOSFO": 5, "PITA": 3},
        "SEBO": {"NUCREM": 8},
    }
    assert all(team.balance == 1_000_000 and team.inventory == {} for team in t.teams[:12])
    assert t.teams[-1].name == "admin" and t.teams[-1].token == "TK-ADMIN-000" and t.teams[-1].balance == 0
    rules = {w.split(":")[0] for w in design_warnings(t)}
    # non-SDK products, non-tradable ingredients, value-destroying recipes (GAME.md §12)
    assert {"design rule 1", "design rule 7", "design rule 8"} <= rules
    assert "design rule 10" not in rules


def test_predecessor_example_says_its_tokens_are_public_placeholders() -> None:
    head = PREDECESSOR.read_text(encoding="utf-8").split("[[products]]")[0].lower()
    assert "public placeholder" in head


def test_predecessor_teams_have_their_species() -> None:
    t = load_tournament(PREDECESSOR)
    species = {team.name: team.species for team in t.teams}
    assert species["Extractores Cuánticos"] == "Extractores"
    assert species["Cartógrafos de Fosfolima"] == "Cartógrafos"
    assert species["Monjes de Fosforescencia"] == "Monjes de Fosforescencia"
    assert species["admin"] is None


# ---------------------------------------------------------------------------------------------------
# Defaults


def test_a_file_with_only_teams_uses_the_builtin_catalogue_and_every_default() -> None:
    t = parse_tournament('[[teams]]\nname = "T"\ntoken = "TK-T"\nbalance = 5\n', "t.toml")
    assert t.products == default_products()
    assert t.species == default_species()
    assert t.market == MarketSettings()
    assert t.production == ProductionSettings()
    team = t.teams[0]
    assert team == TeamSpec(name="T", token="TK-T", balance=500)
    assert (team.species, team.inventory, team.role, team.admin, team.members) == (
        None,
        {},
        Role(),
        False,
        "",
    )


def test_market_and_production_defaults_are_those_of_the_schema() -> None:
    m, p = MarketSettings(), ProductionSettings()
    assert (m.ticker_interval_s, m.offer_ttl_s, m.orders_per_minute, m.messages_per_second) == (
        5,
        300,
        100,
        50,
    )
    assert (m.max_connections_per_team, m.max_open_orders_per_team, m.debug_mode) == (10, 1000, False)
    assert (m.mark_window_s, m.public_board, p.cooldown_s, p.ingredients) == (900, True, 15, "per_unit")


def test_an_empty_file_is_a_tournament_without_teams() -> None:
    t = parse_tournament("", "empty.toml")
    assert t.teams == () and t.products == default_products()


def test_products_default_to_tradable_and_producible() -> None:
    t = parse_tournament(CATALOGUE, "t.toml")
    assert all(p.tradable and p.producible for p in t.products)
    assert t.product("PITA").reference_price == 875  # type: ignore[union-attr]


def test_role_keys_that_are_missing_take_their_defaults() -> None:
    t = parse_tournament(CATALOGUE + TEAM + "role = { decay = 0.8, maxDepth = 3 }\n", "t.toml")
    assert t.teams[0].role == Role(branches=2, max_depth=3, decay=Decimal("0.8"))


def test_settings_given_in_the_file_are_applied() -> None:
    text = """
[market]
ticker_interval_s = 0.5
offer_ttl_s = 0
orders_per_minute = 0
messages_per_second = 0
max_connections_per_team = 1
max_open_orders_per_team = 0
debug_mode = true
mark_window_s = 60
public_board = false
[production]
cooldown_s = 0
ingredients = "per_batch"
"""
    t = parse_tournament(text, "t.toml")
    assert t.market == MarketSettings(Decimal("0.5"), 0, 0, 0, 1, 0, True, Decimal(60), False)
    assert t.production == ProductionSettings(Decimal(0), "per_batch")


def test_species_without_premium_recipes_is_allowed() -> None:
    t = parse_tournament(CATALOGUE + '[[species]]\nname = "Plain"\nbasic = "PITA"\n', "t.toml")
    assert t.species_named("Plain").premium == {}  # type: ignore[union-attr]


def test_premium_recipes_keep_file_order() -> None:
    # FOSFO, the species' own basic product, is a legal ingredient (design rule 6 only warns)
    text = CATALOGUE.replace("PITA = 2\n", "PITA = 2\n[species.premium.PITA]\nGUACA = 1\nFOSFO = 3\n")
    t = parse_tournament(text, "t.toml")
    monjes = t.species_named("Monjes")
    assert monjes is not None
    assert monjes.authorized_products == ("FOSFO", "GUACA", "PITA")
    assert list(monjes.premium["PITA"]) == ["GUACA", "FOSFO"]


# ---------------------------------------------------------------------------------------------------
# Admin flag


def test_team_named_admin_is_an_admin_without_the_key() -> None:
    t = parse_tournament('[[teams]]\nname = "admin"\ntoken = "TK-X"\nbalance = 0\n', "t.toml")
    assert t.teams[0].admin and t.teams[0].is_admin


def test_admin_key_makes_any_team_an_admin() -> None:
    t = parse_tournament('[[teams]]\nname = "Referee"\ntoken = "TK-X"\nbalance = 0\nadmin = true\n', "t.toml")
    assert t.teams[0].is_admin


def test_admin_false_does_not_unmake_the_team_named_admin() -> None:
    t = parse_tournament('[[teams]]\nname = "admin"\ntoken = "TK-X"\nbalance = 0\nadmin = false\n', "t.toml")
    assert t.teams[0].is_admin


# ---------------------------------------------------------------------------------------------------
# Errors: format, unknown keys, types


def test_error_names_file_key_path_and_problem() -> None:
    text = CONFORMANCE.read_text(encoding="utf-8").replace("balance = 50.0", "balance = 10.005")
    assert one_error(text, "conformance.toml") == (
        "conformance.toml: teams[2].balance: must be whole cents, got 10.005"
    )


def test_load_tournament_names_the_file_as_given(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[market]\norders_per_minute = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_tournament(path)
    assert info.value.errors == [f"{path}: market.orders_per_minute: must be at least 0, got -1"]
    assert isinstance(info.value, ValueError)
    assert str(info.value) == info.value.errors[0]


def test_every_error_of_a_file_is_reported_at_once() -> None:
    text = """
[market]
offer_ttl_s = -1
[[teams]]
name = "A"
token = "nope"
balance = -5
role = { branches = 0 }
"""
    errors = errors_of(text)
    assert errors == [
        "t.toml: market.offer_ttl_s: must be from 0 to 2147483, got -1",
        't.toml: teams[0].token: must start with "TK-"',
        "t.toml: teams[0].balance: must be at least 0.00, got -5",
        "t.toml: teams[0].role.branches: must be from 1 to 10, got 0",
    ]


def test_invalid_toml_is_one_error_with_the_parser_message() -> None:
    error = one_error("[market\n", "broken.toml")
    assert error.startswith("broken.toml: invalid TOML: ")
    assert "line 1" in error


def test_duplicate_toml_key_is_invalid_toml() -> None:
    assert "invalid TOML" in one_error(TEAM + "balance = 5\n")


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("colour = 1\n", "colour"),
        ("[market]\ncolour = 1\n", "market.colour"),
        ("[production]\nspeed = 1\n", "production.speed"),
        (CATALOGUE.replace('code = "PITA"', 'code = "PITA"\ncolour = 1'), "products[2].colour"),
        (CATALOGUE.replace('basic = "FOSFO"', 'basic = "FOSFO"\ncolour = 1'), "species[0].colour"),
        (CATALOGUE + TEAM + "colour = 1\n", "teams[0].colour"),
        (CATALOGUE + TEAM + "role = { colour = 1 }\n", "teams[0].role.colour"),
        (CATALOGUE + TEAM + 'role = { "max depth" = 1 }\n', 'teams[0].role."max depth"'),
    ],
)
def test_unknown_key_is_an_error_naming_the_key(text: str, path: str) -> None:
    assert one_error(text) == f"t.toml: {path}: unknown key"


@pytest.mark.parametrize(
    ("key", "section"),
    [("ticker_interval_s", "[market]"), ("debug_mode", "[market]"), ("cooldown_s", "[production]")],
)
def test_market_and_production_keys_at_top_level_are_unknown_keys(key: str, section: str) -> None:
    error = one_error(f"{key} = 1\n")
    assert error.startswith(f"t.toml: {key}: unknown key")
    assert section in error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[market]\noffer_ttl_s = true\n", "market.offer_ttl_s: must be an integer, got true"),
        ("[market]\noffer_ttl_s = 1.0\n", "market.offer_ttl_s: must be an integer, got 1.0"),
        ('[market]\norders_per_minute = "10"\n', 'market.orders_per_minute: must be an integer, got "10"'),
        ("[market]\nticker_interval_s = true\n", "market.ticker_interval_s: must be a number, got true"),
        ('[market]\nmark_window_s = "9"\n', 'market.mark_window_s: must be a number, got "9"'),
        ("[market]\ndebug_mode = 1\n", "market.debug_mode: must be true or false, got 1"),
        ('[market]\npublic_board = "no"\n', 'market.public_board: must be true or false, got "no"'),
        (
            "[market]\nticker_interval_s = inf\n",
            "market.ticker_interval_s: must be a finite number, got Infinity",
        ),
        ("[production]\ncooldown_s = nan\n", "production.cooldown_s: must be a finite number, got NaN"),
        (
            "[production]\ningredients = 1\n",
            'production.ingredients: must be one of "per_unit", "per_batch", got 1',
        ),
        ("market = 5\n", "market: must be a table, got 5"),
        ("teams = 5\n", "teams: must be an array of tables ([[teams]]), got 5"),
        ("teams = [1]\n", "teams[0]: must be a table, got 1"),
        ('[[teams]]\nname = 7\ntoken = "TK-1"\nbalance = 0\n', "teams[0].name: must be a string, got 7"),
        (
            '[[teams]]\nname = "x"\ntoken = "TK-1"\nbalance = true\n',
            "teams[0].balance: must be an amount of money, got true",
        ),
        (
            '[[teams]]\nname = "x"\ntoken = "TK-1"\nbalance = 0\nmembers = 1\n',
            "teams[0].members: must be a string, got 1",
        ),
        (
            '[[teams]]\nname = "x"\ntoken = "TK-1"\nbalance = 0\nrole = 3\n',
            "teams[0].role: must be a table, got 3",
        ),
        (
            '[[teams]]\nname = "x"\ntoken = "TK-1"\nbalance = 0\ninventory = { PITA = 1.0 }\n',
            "teams[0].inventory.PITA: must be an integer, got 1.0",
        ),
        (
            '[[teams]]\nname = "x"\ntoken = "TK-1"\nbalance = 0\nrole = { maxDepth = 2.0 }\n',
            "teams[0].role.maxDepth: must be an integer, got 2.0",
        ),
        (
            '[[teams]]\nname = "x"\ntoken = "TK-1"\nbalance = 0\nspecies = 1979-05-27\n',
            "teams[0].species: must be a string, got a date (1979-05-27)",
        ),
    ],
)
def test_wrong_types_are_errors_and_a_boolean_is_not_a_number(text: str, expected: str) -> None:
    assert one_error(text) == f"t.toml: {expected}"


def test_integers_and_floats_are_both_numbers_and_money() -> None:
    text = (
        CATALOGUE.replace("15.30", "15")
        + TEAM.replace("1000", "1000.10")
        + "role = { decay = 1, budget = 7 }\n"
    )
    t = parse_tournament(text, "t.toml")
    assert t.product("GUACA").reference_price == 1500  # type: ignore[union-attr]
    assert t.teams[0].balance == 100010
    assert t.teams[0].role.decay == 1 and t.teams[0].role.budget == 7


def test_integers_beyond_64_bits_are_rejected() -> None:
    error = one_error("[market]\norders_per_minute = 9223372036854775808\n")
    assert error.startswith("t.toml: market.orders_per_minute: must be at least 0, got 9223372036854775808")


def test_numbers_with_absurd_exponents_are_rejected_not_computed() -> None:
    error = one_error(CATALOGUE + TEAM + "role = { decay = 1e-999999999 }\n")
    assert (
        error
        == "t.toml: teams[0].role.decay: has too many digits (at most 100 on each side of the decimal point)"
    )


# ---------------------------------------------------------------------------------------------------
# Ranges (§10.1, §3.1)

VALID_MARKET = {
    "ticker_interval_s": ["0", "0.25", "5"],
    "offer_ttl_s": ["0", "2147483"],
    "orders_per_minute": ["0", "100000"],
    "messages_per_second": ["0"],
    "max_connections_per_team": ["1"],
    "max_open_orders_per_team": ["0"],
    "mark_window_s": ["0.001", "900"],
}
INVALID_MARKET = [
    ("ticker_interval_s", "-0.5", "must be at least 0, got -0.5"),
    ("offer_ttl_s", "2147484", "must be from 0 to 2147483, got 2147484"),
    ("offer_ttl_s", "-1", "must be from 0 to 2147483, got -1"),
    ("orders_per_minute", "-1", "must be at least 0, got -1"),
    ("messages_per_second", "-1", "must be at least 0, got -1"),
    ("max_connections_per_team", "0", "must be at least 1, got 0"),
    ("max_open_orders_per_team", "-1", "must be at least 0, got -1"),
    ("mark_window_s", "0", "must be greater than 0, got 0"),
    ("mark_window_s", "-1", "must be greater than 0, got -1"),
]


@pytest.mark.parametrize(("key", "value"), [(k, v) for k, vs in VALID_MARKET.items() for v in vs])
def test_market_values_inside_their_range_are_accepted(key: str, value: str) -> None:
    t = parse_tournament(f"[market]\n{key} = {value}\n", "t.toml")
    assert getattr(t.market, key) == Decimal(value)


@pytest.mark.parametrize(("key", "value", "problem"), INVALID_MARKET)
def test_market_values_outside_their_range_are_errors(key: str, value: str, problem: str) -> None:
    assert one_error(f"[market]\n{key} = {value}\n") == f"t.toml: market.{key}: {problem}"


def test_production_cooldown_must_not_be_negative_and_rule_must_be_known() -> None:
    errors = errors_of('[production]\ncooldown_s = -1\ningredients = "per_day"\n')
    assert errors == [
        "t.toml: production.cooldown_s: must be at least 0, got -1",
        't.toml: production.ingredients: must be one of "per_unit", "per_batch", got "per_day"',
    ]


VALID_ROLES = [
    "branches = 1",
    "branches = 10",
    "maxDepth = 0",
    "maxDepth = 20, decay = 0.5, branches = 1",
    "decay = 1",
    "decay = 0.000001",
    "budget = 0",
    "baseEnergy = 0",
    "levelEnergy = 0",
]
INVALID_ROLES = [
    ("branches = 0", "branches", "must be from 1 to 10, got 0"),
    ("branches = 11", "branches", "must be from 1 to 10, got 11"),
    ("maxDepth = -1", "maxDepth", "must be from 0 to 20, got -1"),
    ("maxDepth = 21", "maxDepth", "must be from 0 to 20, got 21"),
    ("decay = 0", "decay", "must be greater than 0 and at most 1, got 0"),
    ("decay = 1.0001", "decay", "must be greater than 0 and at most 1, got 1.0001"),
    ("budget = -1", "budget", "must be at least 0, got -1"),
    ("baseEnergy = -0.5", "baseEnergy", "must be at least 0, got -0.5"),
    ("levelEnergy = -2", "levelEnergy", "must be at least 0, got -2"),
]


@pytest.mark.parametrize("role", VALID_ROLES)
def test_role_values_inside_their_range_are_accepted(role: str) -> None:
    t = parse_tournament(CATALOGUE + TEAM + f"role = {{ {role} }}\n", "t.toml")
    key, value = role.split(",")[0].split(" = ")
    assert Decimal(str(tournament_to_dict(t)["teams"][0]["role"][key])) == Decimal(value)


@pytest.mark.parametrize(("role", "key", "problem"), INVALID_ROLES)
def test_role_values_outside_their_range_are_errors(role: str, key: str, problem: str) -> None:
    assert one_error(CATALOGUE + TEAM + f"role = {{ {role} }}\n") == f"t.toml: teams[0].role.{key}: {problem}"


def test_role_giving_more_than_a_million_units_is_an_error() -> None:
    # 10 branches, 20 levels, decay 1: the last term alone is 43 × 10^20
    error = one_error(CATALOGUE + TEAM + "role = { branches = 10, maxDepth = 20, decay = 1 }\n")
    assert re.fullmatch(
        r"t\.toml: teams\[0\]\.role: gives \d+ units per production, more than 1000000", error
    )


def test_role_may_be_written_as_a_subtable() -> None:
    t = parse_tournament(CATALOGUE + TEAM + "[teams.role]\nbranches = 3\n", "t.toml")
    assert t.teams[0].role.branches == 3


@pytest.mark.parametrize(
    ("price", "problem"),
    [
        ("0", "must be from 0.01 to 1000000.00, got 0"),
        ("-1", "must be from 0.01 to 1000000.00, got -1"),
        ("1000000.01", "must be from 0.01 to 1000000.00, got 1000000.01"),
        ("0.001", "must be whole cents, got 0.001"),
        ("15.305", "must be whole cents, got 15.305"),
    ],
)
def test_reference_price_must_be_whole_cents_from_one_cent_to_a_million(price: str, problem: str) -> None:
    text = CATALOGUE.replace("15.30", price)
    assert one_error(text) == f"t.toml: products[0].reference_price: {problem}"


@pytest.mark.parametrize("price", ["0.01", "1000000", "1000000.00", "12.3", "12.300000"])
def test_reference_price_limits_and_trailing_zeros_are_accepted(price: str) -> None:
    t = parse_tournament(CATALOGUE.replace("15.30", price), "t.toml")
    assert t.products[0].reference_price == int(Decimal(price) * 100)


def test_whole_cents_is_checked_on_every_digit_as_written() -> None:
    # 31 significant digits: a 28-digit Decimal context would round this to whole cents
    assert one_error(
        TEAM.replace("1000", "10.00000000000000000000000000001").replace('species = "Monjes"\n', "")
    ).endswith("must be whole cents, got 10.00000000000000000000000000001")


def test_a_negative_zero_balance_is_zero() -> None:
    t = parse_tournament('[[teams]]\nname = "x"\ntoken = "TK-x"\nbalance = -0.0\n', "t.toml")
    assert t.teams[0].balance == 0


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("A", True),
        ("PALTA-OIL", True),
        ("X" * 32, True),
        ("A1-", True),
        ("X" * 33, False),
        ("guaca", False),
        ("1GUACA", False),
        ("-A", False),
        ("", False),
        ("GUA CA", False),
        ("GUACA\\n", False),
        ("GUACA_2", False),
    ],
)
def test_product_code_must_match_the_pattern(code: str, ok: bool) -> None:
    text = (
        '[[products]]\ncode = "GUACA"\nreference_price = 1\n'
        f'[[products]]\ncode = "{code}"\nreference_price = 1\n'
        '[[species]]\nname = "S"\nbasic = "GUACA"\n'
    )
    if ok:
        assert parse_tournament(text, "t.toml").products[1].code == code
    else:
        assert one_error(text).startswith("t.toml: products[1].code: must be 1-32 characters")


@pytest.mark.parametrize(
    ("inventory", "problem"),
    [
        ("{ PITA = -1 }", "inventory.PITA: must be from 0 to 2147483647, got -1"),
        ("{ PITA = 2147483648 }", "inventory.PITA: must be from 0 to 2147483647, got 2147483648"),
        ("{ SEBO = 1 }", 'inventory.SEBO: unknown product "SEBO"'),
        ("5", "inventory: must be a table, got 5"),
    ],
)
def test_inventory_must_name_known_products_with_goods_in_range(inventory: str, problem: str) -> None:
    assert one_error(CATALOGUE + TEAM + f"inventory = {inventory}\n") == f"t.toml: teams[0].{problem}"


def test_inventory_may_hold_zero_and_the_maximum() -> None:
    t = parse_tournament(CATALOGUE + TEAM + "inventory = { PITA = 0, GUACA = 2147483647 }\n", "t.toml")
    assert t.teams[0].inventory == {"PITA": 0, "GUACA": 2147483647}


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "must be 1-64 characters, got 0"),
        ("x" * 65, "must be 1-64 characters, got 65"),
        ("SERVER", '"SERVER" is reserved for the house'),
    ],
)
def test_team_name_must_be_1_to_64_characters_and_not_server(name: str, problem: str) -> None:
    assert one_error(CATALOGUE + TEAM.replace('"TeamA"', f'"{name}"')) == f"t.toml: teams[0].name: {problem}"


def test_team_name_of_64_characters_and_server_in_lower_case_are_fine() -> None:
    assert (
        parse_tournament(CATALOGUE + TEAM.replace('"TeamA"', f'"{"é" * 64}"'), "t.toml").teams[0].name
        == "é" * 64
    )
    assert (
        parse_tournament(CATALOGUE + TEAM.replace('"TeamA"', '"server"'), "t.toml").teams[0].name == "server"
    )


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("TK-", "must be 4-128 characters, got 3"),
        ("TK-" + "x" * 126, "must be 4-128 characters, got 129"),
        ("tk-abc", 'must start with "TK-"'),
        ("SECRET-VALUE", 'must start with "TK-"'),
    ],
)
def test_token_must_start_with_tk_and_have_4_to_128_characters(token: str, problem: str) -> None:
    error = one_error(CATALOGUE + TEAM.replace('"TK-A"', f'"{token}"'))
    assert error == f"t.toml: teams[0].token: {problem}"
    assert token not in error


def test_token_limits_are_accepted() -> None:
    for token in ("TK-1", "TK-" + "x" * 125):
        assert (
            parse_tournament(CATALOGUE + TEAM.replace('"TK-A"', f'"{token}"'), "t.toml").teams[0].token
            == token
        )


def test_required_keys_are_reported_when_missing() -> None:
    text = "[[products]]\n[[species]]\n[[teams]]\n"
    assert errors_of(text) == [
        "t.toml: products[0].code: is required",
        "t.toml: products[0].reference_price: is required",
        "t.toml: species[0].name: is required",
        "t.toml: species[0].basic: is required",
        "t.toml: teams[0].name: is required",
        "t.toml: teams[0].token: is required",
        "t.toml: teams[0].balance: is required",
    ]


# ---------------------------------------------------------------------------------------------------
# Hard rules (§10.2)


def test_products_without_species_is_an_error() -> None:
    text = CATALOGUE.split("[[species]]")[0]
    error = one_error(text)
    assert error.startswith("t.toml: species: a file with [[products]] needs [[species]] too")


def test_species_without_products_is_an_error() -> None:
    error = one_error('[[species]]\nname = "S"\nbasic = "PITA"\n')
    assert error.startswith("t.toml: products: a file with [[species]] needs [[products]] too")


def test_an_empty_product_list_is_an_error() -> None:
    errors = errors_of("products = []\nspecies = []\n")
    assert errors == ["t.toml: products: needs at least one product"]


def test_duplicate_product_codes_are_an_error() -> None:
    text = CATALOGUE + '[[products]]\ncode = "PITA"\nreference_price = 1\n'
    assert (
        one_error(text) == 't.toml: products[3].code: duplicate product code "PITA" (also products[2].code)'
    )


def test_duplicate_species_names_are_an_error() -> None:
    text = CATALOGUE + '[[species]]\nname = "Monjes"\nbasic = "PITA"\n'
    assert (
        one_error(text) == 't.toml: species[1].name: duplicate species name "Monjes" (also species[0].name)'
    )


def test_empty_species_name_is_an_error() -> None:
    assert one_error(CATALOGUE.replace('"Monjes"', '""')) == "t.toml: species[0].name: must not be empty"


def test_duplicate_team_names_are_an_error() -> None:
    text = CATALOGUE + TEAM + TEAM.replace("TK-A", "TK-B")
    assert one_error(text) == 't.toml: teams[1].name: duplicate team name "TeamA" (also teams[0].name)'


def test_duplicate_tokens_are_an_error_that_does_not_show_the_token() -> None:
    text = (
        CATALOGUE
        + TEAM.replace("TK-A", "TK-SECRET")
        + TEAM.replace("TeamA", "TeamB").replace("TK-A", "TK-SECRET")
    )
    error = one_error(text)
    assert error == "t.toml: teams[1].token: duplicate token (also teams[0].token)"


@pytest.mark.parametrize(
    ("old", "new", "path", "problem"),
    [
        ('basic = "FOSFO"', 'basic = "SEBO"', "species[0].basic", 'unknown product "SEBO"'),
        (
            "[species.premium.GUACA]",
            "[species.premium.SEBO]",
            "species[0].premium.SEBO",
            'unknown product "SEBO"',
        ),
        ("PITA = 2", "SEBO = 2", "species[0].premium.GUACA.SEBO", 'unknown product "SEBO"'),
        ('species = "Monjes"', 'species = "Monks"', "teams[0].species", 'unknown species "Monks"'),
    ],
)
def test_references_must_name_existing_products_and_species(
    old: str, new: str, path: str, problem: str
) -> None:
    assert one_error((CATALOGUE + TEAM).replace(old, new)) == f"t.toml: {path}: {problem}"


def test_team_species_refers_to_builtin_species_when_the_file_has_no_catalogue() -> None:
    t = parse_tournament(
        '[[teams]]\nname = "x"\ntoken = "TK-x"\nbalance = 0\nspecies = "Extractores"\n', "t.toml"
    )
    assert t.teams[0].species == "Extractores"
    error = one_error('[[teams]]\nname = "x"\ntoken = "TK-x"\nbalance = 0\nspecies = "Monjes"\n')
    assert error == 't.toml: teams[0].species: unknown species "Monjes"'


def test_premium_product_must_differ_from_the_basic_product() -> None:
    text = CATALOGUE.replace("[species.premium.GUACA]\nPITA = 2", "[species.premium.FOSFO]\nPITA = 2")
    assert one_error(text) == (
        "t.toml: species[0].premium.FOSFO: a premium product must differ from the species' basic product"
    )


def test_premium_recipe_needs_an_ingredient() -> None:
    text = CATALOGUE.replace("PITA = 2\n", "")
    assert (
        one_error(text) == "t.toml: species[0].premium.GUACA: a premium recipe needs at least one ingredient"
    )


def test_ingredient_must_differ_from_its_product() -> None:
    text = CATALOGUE.replace("PITA = 2", "GUACA = 2")
    assert (
        one_error(text)
        == "t.toml: species[0].premium.GUACA.GUACA: an ingredient must differ from the product it makes"
    )


@pytest.mark.parametrize(("units", "ok"), [("1", True), ("1000", True), ("0", False), ("1001", False)])
def test_ingredient_units_are_1_to_1000(units: str, ok: bool) -> None:
    text = CATALOGUE.replace("PITA = 2", f"PITA = {units}")
    if ok:
        parse_tournament(text, "t.toml")
    else:
        assert (
            one_error(text) == f"t.toml: species[0].premium.GUACA.PITA: must be from 1 to 1000, got {units}"
        )


def test_recipe_must_be_a_table() -> None:
    text = CATALOGUE.replace("[species.premium.GUACA]\nPITA = 2", "premium = { GUACA = 2 }")
    assert one_error(text) == "t.toml: species[0].premium.GUACA: must be a table, got 2"


def test_check_and_load_never_raise_anything_but_config_error(tmp_path: Path) -> None:
    for text in [
        "\x00",
        "a = [",
        "[[teams]]\nrole = { role = { role = 1 } }\n",
        "products = 1\nspecies = 2\n",
    ]:
        with pytest.raises(ConfigError):
            parse_tournament(text, "t.toml")
    missing = tmp_path / "missing.toml"
    with pytest.raises(ConfigError, match=r"missing\.toml: cannot read the file"):
        load_tournament(missing)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[market]")
    with pytest.raises(ConfigError, match=r"binary\.toml: not UTF-8 text"):
        load_tournament(binary)


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + CONFORMANCE.read_bytes())
    assert load_tournament(path) == load_tournament(CONFORMANCE)


def test_shared_validators_for_seeded_teams() -> None:
    assert team_name_problem("TeamZ") is None
    assert team_name_problem("SERVER") == '"SERVER" is reserved for the house'
    assert team_name_problem(5) == "must be a string, got 5"
    assert token_problem("TK-Z") is None
    assert token_problem("XX-secret") == 'must start with "TK-"'


# ---------------------------------------------------------------------------------------------------
# Design rules (§10.3)


def test_builtin_tournament_passes_every_design_rule() -> None:
    assert design_warnings(builtin_tournament()) == []


def _warnings_for(text: str) -> list[str]:
    return design_warnings(parse_tournament(text, "t.toml"))


def test_design_rules_warn_about_each_kind_of_problem() -> None:
    text = """
[[products]]
code = "GUACA"
reference_price = 10
[[products]]
code = "WIDGET"
reference_price = 20
tradable = false
[[products]]
code = "PITA"
reference_price = 5
producible = false
[[species]]
name = "A"
basic = "GUACA"
[species.premium.WIDGET]
GUACA = 1
PITA = 1
[[species]]
name = "B"
basic = "WIDGET"
[species.premium.GUACA]
WIDGET = 1
[[teams]]
name = "NoSpecies"
token = "TK-1"
balance = 0
"""
    warnings = _warnings_for(text)
    assert warnings == [
        "design rule 1: product WIDGET is not one of the Java SDK product codes "
        "(GUACA, SEBO, PALTA-OIL, FOSFO, NUCREM, CASCAR-ALLOY, PITA, GTRON, H-GUACA)",
        "design rule 2: product WIDGET is not tradable",
        "design rule 2: product PITA is not producible",
        "design rule 3: product PITA is not the basic product of any species",
        "design rule 4: species A has 1 premium product, not 2",
        "design rule 4: species B has 1 premium product, not 2",
        "design rule 6: species A, recipe WIDGET uses GUACA, the species' own basic product",
        "design rule 6: species A, recipe WIDGET uses PITA, "
        "which is not the basic product of another species",
        "design rule 6: species B, recipe GUACA uses WIDGET, the species' own basic product",
        "design rule 7: species B, recipe GUACA uses WIDGET, which is not tradable",
        "design rule 8: species B, recipe GUACA costs 20.00 in ingredients at reference prices, "
        "not less than the 10.00 of GUACA",
        "design rule 10: team NoSpecies has no species",
        "design rule 10: there is no admin team",
    ]


def test_design_rule_5_counts_ingredients_and_rule_6_sees_own_premium_products() -> None:
    text = """
[[products]]
code = "GUACA"
reference_price = 100
[[products]]
code = "SEBO"
reference_price = 1
[[products]]
code = "PITA"
reference_price = 1
[[products]]
code = "FOSFO"
reference_price = 1
[[species]]
name = "A"
basic = "GUACA"
[species.premium.SEBO]
PITA = 1
[species.premium.FOSFO]
SEBO = 1
[[species]]
name = "B"
basic = "PITA"
[species.premium.GUACA]
SEBO = 1
PITA = 1
FOSFO = 1
"""
    warnings = _warnings_for(text)
    assert "design rule 5: species B, recipe GUACA has 3 ingredients, not 1 or 2" in warnings
    assert (
        "design rule 6: species A, recipe FOSFO uses SEBO, one of the species' own premium products"
        in warnings
    )
    assert "design rule 6: species B, recipe GUACA uses PITA, the species' own basic product" in warnings
    # rule 9 spares only the most expensive product
    assert "design rule 9: product GUACA is not an ingredient of any recipe" not in warnings


def test_design_rule_9_names_cheaper_products_nobody_consumes() -> None:
    t = builtin_tournament()
    species = tuple(s for s in t.species if s.name != "Cremeros Astrales")  # the only CASCAR-ALLOY consumer
    warnings = design_warnings(replace(t, species=species))
    assert "design rule 9: product CASCAR-ALLOY is not an ingredient of any recipe" in warnings
    assert not any("GTRON is not an ingredient" in w for w in warnings)


def test_design_rule_8_needs_a_strictly_cheaper_recipe() -> None:
    # GUACA = 1 PITA, PITA at 8.75: GUACA must cost more than 8.75
    def rule_8(guaca_price: str) -> list[str]:
        text = CATALOGUE.replace("PITA = 2", "PITA = 1").replace("15.30", guaca_price)
        return [w for w in _warnings_for(text) if w.startswith("design rule 8")]

    assert rule_8("8.75") == [
        "design rule 8: species Monjes, recipe GUACA costs 8.75 in ingredients at reference prices, "
        "not less than the 8.75 of GUACA"
    ]
    assert rule_8("8.76") == []


def test_design_rule_10_accepts_an_admin_team_without_species() -> None:
    t = builtin_tournament()
    assert t.teams[-1].species is None and t.teams[-1].is_admin
    no_admin = replace(t, teams=t.teams[:-1])
    assert design_warnings(no_admin) == ["design rule 10: there is no admin team"]


# ---------------------------------------------------------------------------------------------------
# Canonical JSON and hash (§10.4)


def test_hash_ignores_comments_layout_key_order_and_defaults() -> None:
    plain = parse_tournament(CONFORMANCE.read_text(encoding="utf-8"), "a.toml")
    rewritten = """
# same tournament, written differently
[[teams]]   # teams first this time
token = "TK-A"
name = "TeamA"
balance = 1_000
species = "Monjes de Fosforescencia"
inventory.FOSFO = 10
inventory.GUACA = 20
[teams.role]
levelEnergy = 2
baseEnergy = 3
budget = 0.0
decay = 1
maxDepth = 2
branches = 1
[[teams]]
name = "TeamB"
token = "TK-B"
species = "Cosechadores de Pita"
balance = 1000.00
inventory = { PITA = 10 }
role = { branches = 2, maxDepth = 4, decay = 0.750, budget = 25, baseEnergy = 3, levelEnergy = 2 }
[[teams]]
name = "TeamC"
token = "TK-C"
balance = 50
admin = false
members = ""
[[teams]]
name = "TeamD"
token = "TK-D"
balance = 1e2
[[teams]]
name = "admin"
token = "TK-ADMIN"
balance = 0
admin = true
[production]
ingredients = "per_unit"
[market]
orders_per_minute = 10
ticker_interval_s = 0.0
offer_ttl_s = 300
[[species]]
name = "Monjes de Fosforescencia"
basic = "FOSFO"
premium = { GUACA = { PITA = 2 } }
[[species]]
name = "Cosechadores de Pita"
basic = "PITA"
[species.premium.SEBO]
FOSFO = 1
[[products]]
code = "GUACA"
reference_price = 15.3
tradable = true
[[products]]
code = "FOSFO"
reference_price = 12.5
[[products]]
code = "PITA"
reference_price = 875e-2
[[products]]
code = "SEBO"
reference_price = 18.9
"""
    again = parse_tournament(rewritten, "b.toml")
    assert again == plain
    assert canonical_json(again) == canonical_json(plain)
    assert tournament_hash(again) == tournament_hash(plain)
    assert re.fullmatch(r"[0-9a-f]{64}", tournament_hash(plain))


def test_a_file_without_catalogue_hashes_like_the_same_file_with_the_builtin_catalogue_written_out() -> None:
    teams_only = parse_tournament('[[teams]]\nname = "x"\ntoken = "TK-x"\nbalance = 0\n', "t.toml")
    written_out = parse_tournament(render_tournament_toml(teams_only), "r.toml")
    assert tournament_hash(teams_only) == tournament_hash(written_out)


CHANGES = [
    ("orders_per_minute = 10", "orders_per_minute = 11"),
    ("ticker_interval_s = 0 ", "ticker_interval_s = 0.001 "),
    ("[market]\n", "[market]\ndebug_mode = true\n"),
    ("[market]\n", "[production]\ncooldown_s = 15.5\n[market]\n"),
    ("reference_price = 15.30", "reference_price = 15.31"),
    ('code = "SEBO"', 'code = "SEBO"\ntradable = false'),
    ("PITA = 2", "PITA = 3"),
    ('name = "TeamC"', 'name = "TeamC2"'),
    ('token = "TK-C"', 'token = "TK-C2"'),
    ("balance = 50.0", "balance = 50.01"),
    ("inventory = { PITA = 10 }", "inventory = { PITA = 11 }"),
    ("inventory = { PITA = 10 }", "inventory = { PITA = 10, SEBO = 0 }"),
    ("decay = 1.0", "decay = 0.99"),
    ("budget = 0", "budget = 1"),
    ('name = "TeamD"', 'name = "TeamD"\nmembers = "Ana"'),
    ('name = "TeamD"', 'name = "TeamD"\nadmin = true'),
    ('name = "TeamD"', 'name = "TeamD"\nspecies = "Cosechadores de Pita"'),
]


@pytest.mark.parametrize(("old", "new"), CHANGES)
def test_hash_changes_with_any_value(old: str, new: str) -> None:
    text = CONFORMANCE.read_text(encoding="utf-8")
    assert old in text
    base = tournament_hash(parse_tournament(text, "a.toml"))
    assert tournament_hash(parse_tournament(text.replace(old, new, 1), "b.toml")) != base


def test_hash_changes_with_catalogue_order() -> None:
    t = load_tournament(CONFORMANCE)
    assert tournament_hash(replace(t, products=t.products[::-1])) != tournament_hash(t)


def test_canonical_json_has_sorted_keys_exact_values_and_no_tokens() -> None:
    t = load_tournament(CONFORMANCE)
    text = canonical_json(t)
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert data["products"][0] == {
        "code": "GUACA",
        "reference_price_cents": 1530,
        "producible": True,
        "tradable": True,
    }
    assert data["teams"][0]["role"] == {
        "baseEnergy": "3",
        "branches": 1,
        "budget": "0",
        "decay": "1",
        "levelEnergy": "2",
        "maxDepth": 2,
    }
    assert data["market"]["ticker_interval_s"] == "0" and data["market"]["mark_window_s"] == "900"
    # tokens appear only as their SHA-256, which still makes every token change count
    for team, stored in zip(t.teams, data["teams"], strict=True):
        assert f'"{team.token}"' not in text and "token" not in stored
        assert stored["token_sha256"] == hashlib.sha256(team.token.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------------
# Dict round trip (database)


@pytest.mark.parametrize("source", ["builtin", "conformance", "predecessor"])
def test_dict_round_trip_through_json_gives_an_identical_tournament(source: str) -> None:
    t = {
        "builtin": builtin_tournament,
        "conformance": lambda: load_tournament(CONFORMANCE),
        "predecessor": lambda: load_tournament(PREDECESSOR),
    }[source]()
    stored = json.dumps(tournament_to_dict(t))
    back = tournament_from_dict(json.loads(stored))
    assert back == t
    assert tournament_hash(back) == tournament_hash(t)
    assert [list(s.premium) for s in back.species] == [list(s.premium) for s in t.species]


def test_from_dict_refuses_malformed_and_redacted_data() -> None:
    good = tournament_to_dict(load_tournament(CONFORMANCE))
    with pytest.raises(ConfigError, match="stored tournament: malformed"):
        tournament_from_dict({**good, "teams": [{"name": "x"}]})
    bad_type = json.loads(json.dumps(good))
    bad_type["teams"][0]["balance_cents"] = "1000"
    with pytest.raises(ConfigError, match="balance_cents must be int"):
        tournament_from_dict(bad_type)
    with pytest.raises(ConfigError, match="tokens are redacted"):
        tournament_from_dict(tournament_to_dict(load_tournament(CONFORMANCE), redact_tokens=True))


def test_from_dict_applies_the_hard_rules() -> None:
    data = tournament_to_dict(load_tournament(CONFORMANCE))
    data["teams"][1]["token"] = data["teams"][0]["token"]
    with pytest.raises(ConfigError) as info:
        tournament_from_dict(data)
    assert info.value.errors == ["stored tournament: teams[1].token: duplicate token (also teams[0].token)"]


# ---------------------------------------------------------------------------------------------------
# Rendering TOML


@pytest.mark.parametrize("path", [CONFORMANCE, PREDECESSOR])
def test_rendered_toml_parses_back_to_an_equal_tournament(path: Path) -> None:
    t = load_tournament(path)
    assert parse_tournament(render_tournament_toml(t), "rendered.toml") == t


def test_rendering_survives_awkward_strings_and_settings() -> None:
    t = builtin_tournament()
    odd = TeamSpec(
        name='Quote " back\\slash \t tab ñ 🥑 \x7f',
        token="TK-" + "\u00e9\\\"'",
        balance=12345,
        species="Núcleo Cremero",
        inventory={"NUCREM": 3, "PITA": 0},
        role=Role(
            branches=3,
            max_depth=0,
            decay=Decimal("0.123456789012345678901234567890123"),
            budget=Decimal("1E+3"),
            base_energy=Decimal("2.50"),
            level_energy=Decimal(0),
        ),
        admin=True,
        members="line one\nline two\r\n\x01",
    )
    market = MarketSettings(Decimal("0.1"), 0, 0, 0, 1, 0, True, Decimal("0.5"), False)
    t = Tournament(
        t.products, t.species, (*t.teams, odd), market, ProductionSettings(Decimal("2.5"), "per_batch")
    )
    text = render_tournament_toml(t, header="line 1\nline 2")
    assert text.startswith("# line 1\n# line 2\n")
    back = parse_tournament(text, "rendered.toml")
    assert back == t
    assert back.teams[-1].role.decay == Decimal("0.123456789012345678901234567890123")


def test_rendering_the_builtin_tournament_shows_species_one_as_in_the_spec() -> None:
    text = render_tournament_toml(builtin_tournament())
    assert (
        '[[species]]\nname = "Avocultores"\nbasic = "PALTA-OIL"\n'
        "[species.premium.GUACA]\nFOSFO = 1\n[species.premium.NUCREM]\nSEBO = 1\nPITA = 1\n"
    ) in text


# ---------------------------------------------------------------------------------------------------
# avex init / avex check


def test_init_writes_the_builtin_catalogue_with_12_species_teams_and_an_admin(tmp_path: Path) -> None:
    path = tmp_path / "tournament.toml"
    written = new_tournament_file(path)
    t = load_tournament(path)
    assert t == written
    assert t.products == default_products() and t.species == default_species()
    assert t.market == MarketSettings() and t.production == ProductionSettings()
    assert len(t.teams) == 13
    species_teams, admin = t.teams[:12], t.teams[12]
    basics = {s.name: s.basic for s in t.species}
    assert [team.species for team in species_teams] == [s.name for s in default_species()]
    for team in species_teams:
        assert team.species is not None
        assert team.balance == 1_000_000 and team.inventory == {basics[team.species]: 50}
        assert team.role == Role() and not team.is_admin and team.members == ""
    assert (admin.name, admin.balance, admin.inventory, admin.is_admin) == ("admin", 0, {}, True)
    tokens = [team.token for team in t.teams]
    assert all(re.fullmatch(r"TK-[A-Za-z0-9]{24}", token) for token in tokens)
    assert len(set(tokens)) == 13
    assert check_file(path) == ([], [])


def test_init_uses_fresh_tokens_every_time(tmp_path: Path) -> None:
    a = new_tournament_file(tmp_path / "a.toml")
    b = new_tournament_file(tmp_path / "b.toml")
    assert not {team.token for team in a.teams} & {team.token for team in b.teams}


def test_init_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "tournament.toml"
    path.write_text("# my precious tournament\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists"):
        new_tournament_file(path)
    assert path.read_text(encoding="utf-8") == "# my precious tournament\n"


def test_init_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "tournament.toml"
    new_tournament_file(path)
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_init_reports_an_unwritable_place_as_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot create the file"):
        new_tournament_file(tmp_path / "no" / "such" / "dir.toml")


def test_check_file_returns_errors_for_a_broken_file_and_warnings_for_a_weak_one(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[market]\noffer_ttl_s = "soon"\n', encoding="utf-8")
    assert check_file(broken) == ([f'{broken}: market.offer_ttl_s: must be an integer, got "soon"'], [])
    errors, warnings = check_file(PREDECESSOR)
    assert errors == [] and warnings
    assert all(w.startswith(f"{PREDECESSOR}: design rule ") for w in warnings)
