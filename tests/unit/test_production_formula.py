"""The production formula (GAME.md §3): worked examples of §3.4, and why exact half-up rounding matters."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from avex.config import parse_tournament
from avex.domain.catalogue import Role
from avex.domain.production import (
    MAX_UNITS,
    level_terms,
    max_per_request,
    premium_max,
    role_units,
    round_half_up,
)


def role(branches: int, max_depth: int, decay: str, base: str, level: str) -> Role:
    return Role(
        branches=branches,
        max_depth=max_depth,
        decay=Decimal(decay),
        base_energy=Decimal(base),
        level_energy=Decimal(level),
    )


# (role, rounded terms, units, premium max) — GAME.md §3.4, row by row
WORKED_EXAMPLES = [
    (role(2, 4, "0.75", "3", "2"), [3, 8, 16, 30, 56], 113, 147),
    (role(2, 4, "0.7651", "3", "2"), [3, 8, 16, 32, 60], 119, 155),
    (role(2, 3, "0.8", "4", "1.5"), [4, 9, 18, 35], 66, 86),
    (role(3, 3, "0.82", "3", "2"), [3, 12, 42, 134], 191, 248),
    (role(1, 6, "0.68", "3", "2"), [3, 3, 3, 3, 2, 2, 1], 17, 22),
    (role(1, 2, "1.0", "3", "2"), [3, 5, 7], 15, 20),
    (role(5, 1, "0.7", "3", "0"), [3, 11], 14, 18),
    (role(1, 1, "1.0", "12", "1"), [12, 13], 25, 33),
]


@pytest.mark.parametrize(("r", "terms", "units", "premium"), WORKED_EXAMPLES)
def test_worked_examples_give_the_documented_terms_units_and_premium_maximum(
    r: Role, terms: list[int], units: int, premium: int
) -> None:
    assert [round_half_up(t) for t in level_terms(r)] == terms
    assert role_units(r) == units
    assert max_per_request(r, premium=False) == units
    assert max_per_request(r, premium=True) == premium


def test_default_role_is_the_first_worked_example() -> None:
    assert role_units(Role()) == 113
    assert max_per_request(Role(), premium=True) == 147


def test_unrounded_terms_match_the_table() -> None:
    # (2, 4, 0.7651, 3, 2): 3; 7.651; 16.3906…; 32.2468…; 60.3095…
    terms = level_terms(role(2, 4, "0.7651", "3", "2"))
    assert terms[0] == 3
    assert terms[1] == Fraction("7.651")
    assert [round(float(t), 4) for t in terms[2:]] == [16.3906, 32.2468, 60.3095]


def test_a_term_of_exactly_ten_and_a_half_rounds_up_where_float_and_half_even_do_not() -> None:
    r = role(5, 1, "0.7", "3", "0")
    assert level_terms(r)[1] == Fraction(21, 2)
    # float arithmetic lands just below the half, Python's round() is half-even: both would say 13
    assert round((3.0 + 0.0) * 0.7**1 * 5**1) == 10
    assert 3 * 0.7 * 5 < 10.5
    assert round(10.5) == 10
    assert role_units(r) == 14


def test_premium_maximum_rounds_a_half_up_where_half_even_would_round_down() -> None:
    assert Fraction(25) * Fraction("1.3") == Fraction(65, 2)
    assert round(32.5) == 32  # half-even
    assert premium_max(25) == 33
    assert role_units(role(1, 1, "1.0", "12", "1")) == 25
    # 15 × 1.3 = 19.5 → 20 (PROTOCOL.md §8 TeamA)
    assert premium_max(15) == 20


def test_round_half_up_rounds_halves_away_from_zero_and_everything_else_to_nearest() -> None:
    assert round_half_up(Fraction(1, 2)) == 1
    assert round_half_up(Fraction(3, 2)) == 2
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(249, 100)) == 2
    assert round_half_up(Fraction(-5, 2)) == -3
    assert round_half_up(Fraction(0)) == 0


def test_decay_keeps_all_its_digits_beyond_28_significant_places() -> None:
    # decay^20 of a 4-digit decay needs 80 digits; the formula must stay exact
    r = role(2, 20, "0.5001", "0", "1")
    exact = sum(round_half_up(Fraction(lvl) * Fraction("0.5001") ** lvl * 2**lvl) for lvl in range(21))
    assert role_units(r) == exact


def test_units_limit_is_one_million_and_the_file_enforces_it() -> None:
    assert MAX_UNITS == 1_000_000
    at_limit = "[[teams]]\nname='T'\ntoken='TK-T'\nbalance=0\nrole={maxDepth=0, baseEnergy=1000000}\n"
    t = parse_tournament(at_limit, "limit.toml")
    assert role_units(t.teams[0].role) == MAX_UNITS
    over = at_limit.replace("1000000}", "1000000.5}")
    with pytest.raises(ValueError, match=r"limit\.toml: teams\[0\]\.role: gives 1000001 units"):
        parse_tournament(over, "limit.toml")
