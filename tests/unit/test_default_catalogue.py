"""The built-in tournament (GAME.md §11): catalogue, species, demo teams and the facts of §11.2."""

from __future__ import annotations

from collections import Counter

import pytest

from avex.config import (
    builtin_tournament,
    default_products,
    default_species,
    design_warnings,
    render_tournament_toml,
)
from avex.domain.catalogue import SDK_PRODUCT_CODES, MarketSettings, ProductionSettings, Role
from avex.domain.money import fmt2
from avex.domain.production import max_per_request, role_units

# GAME.md §11.1, copied as text so a typo in the code cannot hide behind the same typo here
PRODUCTS_TABLE = """
GUACA 15.30
SEBO 18.90
PALTA-OIL 25.00
FOSFO 12.50
NUCREM 32.40
CASCAR-ALLOY 67.80
PITA 8.75
GTRON 89.25
H-GUACA 45.60
"""

# GAME.md §11.2 in its own notation: species | basic | premium 1 | premium 2
SPECIES_TABLE = """
Avocultores | PALTA-OIL | GUACA = 1 FOSFO | NUCREM = 1 SEBO + 1 PITA
Monjes de Fosforescencia | FOSFO | GUACA = 1 PITA | NUCREM = 1 PALTA-OIL
Cosechadores de Pita | PITA | SEBO = 1 GUACA | CASCAR-ALLOY = 2 PALTA-OIL
Herreros Cósmicos | CASCAR-ALLOY | GTRON = 1 H-GUACA + 1 NUCREM | SEBO = 1 FOSFO
Extractores | GTRON | PALTA-OIL = 1 SEBO | H-GUACA = 3 FOSFO
Tejemanteles | PITA | H-GUACA = 1 GUACA + 1 PALTA-OIL | CASCAR-ALLOY = 3 SEBO
Cremeros Astrales | H-GUACA | NUCREM = 1 GUACA + 1 FOSFO | GTRON = 1 CASCAR-ALLOY + 1 PITA
Mineros del Sebo | SEBO | H-GUACA = 2 GUACA + 1 PITA | PALTA-OIL = 1 FOSFO + 1 PITA
Núcleo Cremero | NUCREM | H-GUACA = 2 SEBO | FOSFO = 1 PITA
Destiladores | GUACA | PALTA-OIL = 2 PITA | CASCAR-ALLOY = 1 H-GUACA + 1 FOSFO
Cartógrafos | GUACA | NUCREM = 1 SEBO + 1 PITA | GTRON = 1 H-GUACA + 1 PALTA-OIL
Someliers Andorianos | PALTA-OIL | SEBO = 1 GUACA | CASCAR-ALLOY = 1 NUCREM + 1 GUACA
"""

# GAME.md §11.3: team | token | species | baseline
TEAMS_TABLE = """
Avocultores de Paltalima | TK-DEMO-AVOCULTORES | Avocultores | 11250.00
Monjes de Fosforescencia | TK-DEMO-MONJES | Monjes de Fosforescencia | 10625.00
Cosechadores de Pita | TK-DEMO-COSECHADORES | Cosechadores de Pita | 10437.50
Herreros Cósmicos | TK-DEMO-HERREROS | Herreros Cósmicos | 13390.00
Extractores Cuánticos | TK-DEMO-EXTRACTORES | Extractores | 14462.50
Tejemanteles Estelares | TK-DEMO-TEJEMANTELES | Tejemanteles | 10437.50
Cremeros Astrales | TK-DEMO-CREMEROS | Cremeros Astrales | 12280.00
Mineros del Sebo | TK-DEMO-MINEROS | Mineros del Sebo | 10945.00
Núcleo Cremero | TK-DEMO-NUCLEO | Núcleo Cremero | 11620.00
Destiladores de Guaca | TK-DEMO-DESTILADORES | Destiladores | 10765.00
Cartógrafos de Fosfolima | TK-DEMO-CARTOGRAFOS | Cartógrafos | 10765.00
Someliers Andorianos | TK-DEMO-SOMELIERS | Someliers Andorianos | 11250.00
"""


def rows(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("|")] for line in table.strip().splitlines()]


def recipe(text: str) -> tuple[str, dict[str, int]]:
    product, ingredients = text.split(" = ")
    parsed = {}
    for term in ingredients.split(" + "):
        units, code = term.split(" ")
        parsed[code] = int(units)
    return product, parsed


def baseline(team_balance: int, inventory: dict[str, int]) -> int:
    prices = {p.code: p.reference_price for p in default_products()}
    return team_balance + sum(qty * prices[code] for code, qty in inventory.items())


def test_products_are_the_nine_sdk_codes_in_catalogue_order_with_their_prices() -> None:
    expected = [
        (code, price) for code, price in (line.split() for line in PRODUCTS_TABLE.strip().splitlines())
    ]
    assert [(p.code, fmt2(p.reference_price)) for p in default_products()] == expected
    assert tuple(p.code for p in default_products()) == SDK_PRODUCT_CODES
    assert all(p.tradable and p.producible for p in default_products())


def test_species_are_those_of_the_table_in_file_order() -> None:
    species = default_species()
    assert len(species) == 12
    for s, (name, basic, premium1, premium2) in zip(species, rows(SPECIES_TABLE), strict=True):
        assert (s.name, s.basic) == (name, basic)
        assert list(s.premium.items()) == [recipe(premium1), recipe(premium2)]
        assert s.authorized_products == (basic, recipe(premium1)[0], recipe(premium2)[0])


def test_each_call_returns_fresh_recipes() -> None:
    default_species()[0].premium["GUACA"]["FOSFO"] = 99
    assert default_species()[0].premium["GUACA"] == {"FOSFO": 1}


def test_basic_product_counts() -> None:
    basics = Counter(s.basic for s in default_species())
    assert basics == Counter({"PALTA-OIL": 2, "PITA": 2, "GUACA": 2}) + Counter(
        code for code in SDK_PRODUCT_CODES if code not in ("PALTA-OIL", "PITA", "GUACA")
    )


def test_premium_product_counts() -> None:
    premium = Counter(product for s in default_species() for product in s.premium)
    assert premium == {
        "NUCREM": 4,
        "CASCAR-ALLOY": 4,
        "H-GUACA": 4,
        "GTRON": 3,
        "SEBO": 3,
        "PALTA-OIL": 3,
        "GUACA": 2,
        "FOSFO": 1,
    }
    assert "PITA" not in premium


def test_number_of_recipes_using_each_ingredient() -> None:
    usage = Counter(ingredient for s in default_species() for r in s.premium.values() for ingredient in r)
    assert usage == {
        "PITA": 8,
        "FOSFO": 6,
        "GUACA": 6,
        "SEBO": 5,
        "PALTA-OIL": 4,
        "H-GUACA": 3,
        "NUCREM": 2,
        "CASCAR-ALLOY": 1,
    }
    assert usage["GTRON"] == 0


def test_every_recipe_adds_value_from_2_80_to_20_10() -> None:
    prices = {p.code: p.reference_price for p in default_products()}
    margins = {
        (s.name, product): prices[product] - sum(n * prices[i] for i, n in ingredients.items())
        for s in default_species()
        for product, ingredients in s.premium.items()
    }
    assert len(margins) == 24
    assert min(margins.values()) == 280 and max(margins.values()) == 2010
    assert margins[("Avocultores", "GUACA")] == 280
    assert margins[("Someliers Andorianos", "CASCAR-ALLOY")] == 2010
    assert [k for k, v in margins.items() if v in (280, 2010)] == [
        ("Avocultores", "GUACA"),
        ("Someliers Andorianos", "CASCAR-ALLOY"),
    ]


def test_demo_teams_have_their_tokens_species_inventory_and_baseline() -> None:
    t = builtin_tournament()
    basics = {s.name: s.basic for s in t.species}
    assert len(t.teams) == 13
    for team, (name, token, species, expected_baseline) in zip(t.teams, rows(TEAMS_TABLE), strict=False):
        assert (team.name, team.token, team.species) == (name, token, species)
        assert team.balance == 1_000_000
        assert team.inventory == {basics[species]: 50}
        assert team.role == Role() and team.members == "" and not team.is_admin
        assert fmt2(baseline(team.balance, team.inventory)) == expected_baseline


def test_avocultores_baseline_is_11250() -> None:
    team = builtin_tournament().teams[0]
    assert baseline(team.balance, team.inventory) == 1_125_000


def test_demo_admin_team_has_nothing_and_is_an_admin_by_name() -> None:
    admin = builtin_tournament().teams[-1]
    assert (admin.name, admin.token, admin.balance, admin.inventory, admin.species) == (
        "admin",
        "TK-DEMO-ADMIN",
        0,
        {},
        None,
    )
    assert admin.is_admin


@pytest.mark.parametrize("team_index", range(12))
def test_demo_teams_produce_113_basic_and_147_premium(team_index: int) -> None:
    role = builtin_tournament().teams[team_index].role
    assert (role_units(role), max_per_request(role, premium=True)) == (113, 147)


def test_builtin_settings_are_all_defaults() -> None:
    t = builtin_tournament()
    assert t.market == MarketSettings() and t.production == ProductionSettings()


def test_builtin_tournament_passes_every_design_rule() -> None:
    assert design_warnings(builtin_tournament()) == []


def test_species_one_renders_as_the_toml_of_the_spec() -> None:
    expected = (
        "[[species]]\n"
        'name = "Avocultores"\n'
        'basic = "PALTA-OIL"\n'
        "[species.premium.GUACA]\n"
        "FOSFO = 1\n"
        "[species.premium.NUCREM]\n"
        "SEBO = 1\n"
        "PITA = 1\n"
    )
    assert expected in render_tournament_toml(builtin_tournament())
