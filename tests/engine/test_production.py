"""PRODUCTION_UPDATE in the engine (PROTOCOL.md §4.6 rows 5-12 in that order, GAME.md §3.3 and §7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from avex.domain.catalogue import MAX_GOODS, MarketSettings, Product, ProductionSettings, Species, TeamSpec, Tournament
from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.engine import Engine
from avex.engine.outcome import Refused

from .support import ADMIN, T0, S, goods, kinds, no, of, ok, one, sell

PRODUCTS = (
    Product("GUACA", 1530), Product("FOSFO", 1250), Product("PITA", 875), Product("SEBO", 1890),
    Product("DUST", 100, producible=False),
)
SPECIES = (
    Species("Monjes", "FOSFO", {"GUACA": {"PITA": 2}, "SEBO": {"PITA": 1, "GUACA": 3}}),
    Species("Dusters", "DUST"),
)


def production_engine(**production: object) -> Engine:
    """Mo: a Monje with the default role (113 basic, 147 premium), 10 PITA and 5 GUACA. Du: a Duster (basic
    DUST, not producible). Mo2: another Monje with nothing. Nos: no species."""
    teams = (
        TeamSpec("Mo", "TK-MO", 10000, "Monjes", {"PITA": 10, "GUACA": 5}),
        TeamSpec("Mo2", "TK-MO2", 10000, "Monjes"),
        TeamSpec("Du", "TK-DU", 10000, "Dusters"),
        TeamSpec("Nos", "TK-NOS", 10000),
        TeamSpec("admin", "TK-ADMIN", 0),
    )
    eng = Engine(Tournament(PRODUCTS, SPECIES, teams, MarketSettings(), ProductionSettings(**production)))  # type: ignore[arg-type]
    eng.now = T0
    return eng


def refusal(eng: Engine, team: str, product: str, qty: int, at: int | None = None) -> tuple[str, str]:
    r = no(eng, C.Produce(team, product, qty), at)
    return r.code, r.reason


# --- rows 5-12, each and in order --------------------------------------------------------------------------
def test_unknown_product_is_refused_before_the_market_state() -> None:
    eng = production_engine()
    assert refusal(eng, "Mo", "USD", 1) == ("INVALID_PRODUCT", "invalid product: USD")
    ok(eng, C.TournamentControl(ADMIN, "PAUSE"))
    assert refusal(eng, "Mo", "USD", 1) == ("INVALID_PRODUCT", "invalid product: USD")


@pytest.mark.parametrize("action", ["PAUSE", "CLOSE"])
def test_production_refused_when_market_not_open(action: str) -> None:
    eng = production_engine()
    ok(eng, C.TournamentControl(ADMIN, action))
    assert refusal(eng, "Mo", "FOSFO", 1) == ("SERVICE_UNAVAILABLE", "Market is closed")
    assert refusal(eng, "Du", "DUST", 1) == ("SERVICE_UNAVAILABLE", "Market is closed")  # row 6 before 7


def test_product_not_producible_is_refused_even_for_its_species() -> None:
    eng = production_engine()
    assert refusal(eng, "Du", "DUST", 1) == ("UNAUTHORIZED_PRODUCTION", "product not producible: DUST")
    # row 7 before row 8
    assert refusal(eng, "Mo", "DUST", 1) == ("UNAUTHORIZED_PRODUCTION", "product not producible: DUST")


def test_product_outside_the_authorized_products_is_refused() -> None:
    eng = production_engine()
    assert refusal(eng, "Mo", "PITA", 1) == ("UNAUTHORIZED_PRODUCTION", "team not authorized to produce PITA")
    assert refusal(eng, "Nos", "FOSFO", 1) == ("UNAUTHORIZED_PRODUCTION", "team not authorized to produce FOSFO")


def test_authorization_is_checked_before_the_maximum() -> None:
    eng = production_engine()
    assert refusal(eng, "Nos", "FOSFO", 10**6)[1] == "team not authorized to produce FOSFO"


def test_basic_maximum_is_the_role_units(engine: Engine) -> None:
    # TeamA's role (1, 2, 1.0, 3, 2): 3 + 5 + 7 = 15
    assert refusal(engine, "TeamA", "FOSFO", 16) == ("INVALID_QUANTITY", "Quantity exceeds the maximum of 15 for FOSFO")
    assert one(ok(engine, C.Produce("TeamA", "FOSFO", 15)), E.Produced).qty == 15


def test_premium_maximum_is_units_times_1_3_rounded_half_up(engine: Engine) -> None:
    # 15 × 1.3 = 19.5 -> 20
    ok(engine, C.AddInventory(ADMIN, "TeamA", "PITA", 100))
    assert refusal(engine, "TeamA", "GUACA", 21) == ("INVALID_QUANTITY", "Quantity exceeds the maximum of 20 for GUACA")
    assert one(ok(engine, C.Produce("TeamA", "GUACA", 20)), E.Produced).inputs == {"PITA": 40}


def test_default_role_allows_113_basic_and_147_premium() -> None:
    eng = production_engine(cooldown_s=Decimal(0))
    ok(eng, C.AddInventory(ADMIN, "Mo", "PITA", 1000))
    assert refusal(eng, "Mo", "FOSFO", 114)[1] == "Quantity exceeds the maximum of 113 for FOSFO"
    assert refusal(eng, "Mo", "GUACA", 148)[1] == "Quantity exceeds the maximum of 147 for GUACA"
    ok(eng, C.Produce("Mo", "FOSFO", 113))
    ok(eng, C.Produce("Mo", "GUACA", 147))
    assert (goods(eng, "Mo", "FOSFO"), goods(eng, "Mo", "GUACA")) == (113, 152)


def test_maximum_is_checked_before_ingredients() -> None:
    eng = production_engine()
    assert refusal(eng, "Mo", "GUACA", 148)[1] == "Quantity exceeds the maximum of 147 for GUACA"


def test_short_ingredient_named_is_the_first_short_one_in_recipe_order() -> None:
    eng = production_engine()
    ok(eng, C.UpdateTeam(ADMIN, "Mo", inventory={"PITA": 0, "GUACA": 0}))
    assert refusal(eng, "Mo", "SEBO", 2) == (
        "INSUFFICIENT_INVENTORY", "Insufficient ingredients for SEBO: need 2 PITA, available 0",
    )
    ok(eng, C.UpdateTeam(ADMIN, "Mo", inventory={"PITA": 10}))
    assert refusal(eng, "Mo", "SEBO", 2)[1] == "Insufficient ingredients for SEBO: need 6 GUACA, available 0"


def test_ingredients_come_from_available_goods_only() -> None:
    eng = production_engine()
    ok(eng, sell("Mo", "s", 9, 5000, product="PITA"))  # 1 PITA left available
    assert refusal(eng, "Mo", "GUACA", 1)[1] == "Insufficient ingredients for GUACA: need 2 PITA, available 1"


def test_ingredients_are_checked_before_the_cooldown() -> None:
    eng = production_engine()
    ok(eng, C.Produce("Mo", "FOSFO", 1))
    assert refusal(eng, "Mo", "GUACA", 6)[1] == "Insufficient ingredients for GUACA: need 12 PITA, available 10"
    assert refusal(eng, "Mo", "GUACA", 5)[0] == "RATE_LIMIT_EXCEEDED"


def test_cooldown_is_checked_before_the_goods_bound() -> None:
    eng = production_engine()
    ok(eng, C.Produce("Mo", "FOSFO", 1))
    ok(eng, C.UpdateTeam(ADMIN, "Mo", inventory={"FOSFO": MAX_GOODS}))
    assert refusal(eng, "Mo", "FOSFO", 1) == ("RATE_LIMIT_EXCEEDED", "Production cooldown: retry in 15 s")


def test_output_total_may_reach_but_not_exceed_2147483647() -> None:
    eng = production_engine()
    ok(eng, C.UpdateTeam(ADMIN, "Mo", inventory={"FOSFO": MAX_GOODS - 5}))
    assert refusal(eng, "Mo", "FOSFO", 6) == ("INVALID_QUANTITY", "Quantity would exceed 2147483647 for FOSFO")
    ok(eng, C.Produce("Mo", "FOSFO", 5))
    assert goods(eng, "Mo", "FOSFO") == MAX_GOODS


# --- ingredient rules -----------------------------------------------------------------------------------
def test_per_unit_ingredients_scale_with_quantity() -> None:
    eng = production_engine()
    out = ok(eng, C.Produce("Mo", "GUACA", 5))
    assert one(out, E.Produced) == E.Produced("Mo", "GUACA", 5, {"PITA": 10})
    assert (goods(eng, "Mo", "PITA"), goods(eng, "Mo", "GUACA")) == (0, 10)


def test_per_batch_ingredients_are_taken_once_per_request() -> None:
    eng = production_engine(ingredients="per_batch")
    out = ok(eng, C.Produce("Mo", "GUACA", 147))
    assert one(out, E.Produced) == E.Produced("Mo", "GUACA", 147, {"PITA": 2})
    assert (goods(eng, "Mo", "PITA"), goods(eng, "Mo", "GUACA")) == (8, 152)


def test_per_batch_still_needs_one_batch_of_each_ingredient() -> None:
    eng = production_engine(ingredients="per_batch")
    ok(eng, C.UpdateTeam(ADMIN, "Mo", inventory={"PITA": 1}))
    assert refusal(eng, "Mo", "GUACA", 1)[1] == "Insufficient ingredients for GUACA: need 2 PITA, available 1"


def test_multi_ingredient_recipe_takes_every_ingredient_all_or_nothing() -> None:
    eng = production_engine()
    ok(eng, C.UpdateTeam(ADMIN, "Mo", inventory={"PITA": 2, "GUACA": 5}))
    before = (goods(eng, "Mo", "PITA"), goods(eng, "Mo", "GUACA"))
    refusal(eng, "Mo", "SEBO", 2)  # PITA suffices, GUACA (6) does not: nothing is taken
    assert (goods(eng, "Mo", "PITA"), goods(eng, "Mo", "GUACA")) == before
    out = ok(eng, C.Produce("Mo", "SEBO", 1))
    assert one(out, E.Produced).inputs == {"PITA": 1, "GUACA": 3}
    assert (goods(eng, "Mo", "PITA"), goods(eng, "Mo", "GUACA"), goods(eng, "Mo", "SEBO")) == (1, 2, 1)


# --- events and ledger ------------------------------------------------------------------------------------
def test_production_writes_one_input_row_per_ingredient_and_one_output_row() -> None:
    eng = production_engine()
    out = ok(eng, C.Produce("Mo", "SEBO", 1))
    ledger = [(e.team, e.asset, e.delta, e.balance_after, e.reason, e.ref) for e in of(out, E.Ledger)]
    ref = str(out.seq)
    assert ledger == [
        ("Mo", "PITA", -1, 9, "PRODUCTION_INPUT", ref),
        ("Mo", "GUACA", -3, 2, "PRODUCTION_INPUT", ref),
        ("Mo", "SEBO", 1, 1, "PRODUCTION_OUTPUT", ref),
    ]
    assert kinds(out) == ["Ledger", "Ledger", "Ledger", "Produced", "InventoryChanged"]
    assert one(out, E.InventoryChanged) == E.InventoryChanged.of("Mo", [2, 0, 9, 1, 0], [2, 0, 9, 1, 0])


def test_basic_production_uses_nothing_and_adds_to_total_and_available() -> None:
    eng = production_engine()
    ok(eng, sell("Mo", "s", 5, 5000, product="GUACA"))
    out = ok(eng, C.Produce("Mo", "FOSFO", 7))
    assert one(out, E.Produced).inputs == {}
    assert one(out, E.InventoryChanged).available == [0, 7, 10, 0, 0]
    assert [(e.asset, e.delta, e.reason) for e in of(out, E.Ledger)] == [("FOSFO", 7, "PRODUCTION_OUTPUT")]


# --- cooldown ---------------------------------------------------------------------------------------------
def test_cooldown_applies_across_products() -> None:
    eng = production_engine()
    ok(eng, C.Produce("Mo", "FOSFO", 1))
    assert refusal(eng, "Mo", "GUACA", 1) == ("RATE_LIMIT_EXCEEDED", "Production cooldown: retry in 15 s")


@pytest.mark.parametrize(
    ("elapsed", "left"),
    [(0, 15), (S // 2, 15), (S, 14), (14 * S - 1, 2), (14 * S, 1), (15 * S - 1, 1)],
)
def test_cooldown_reports_whole_seconds_rounded_up(elapsed: int, left: int) -> None:
    eng = production_engine()
    ok(eng, C.Produce("Mo", "FOSFO", 1))
    assert refusal(eng, "Mo", "FOSFO", 1, T0 + elapsed)[1] == f"Production cooldown: retry in {left} s"


def test_cooldown_ends_exactly_at_last_production_plus_cooldown() -> None:
    eng = production_engine()
    ok(eng, C.Produce("Mo", "FOSFO", 1))
    assert one(ok(eng, C.Produce("Mo", "GUACA", 1), T0 + 15 * S), E.Produced).product == "GUACA"
    assert refusal(eng, "Mo", "FOSFO", 1, T0 + 20 * S)[1] == "Production cooldown: retry in 10 s"


def test_fractional_cooldown_rounds_the_wait_up() -> None:
    eng = production_engine(cooldown_s=Decimal("2.5"))
    ok(eng, C.Produce("Mo", "FOSFO", 1))
    assert refusal(eng, "Mo", "FOSFO", 1)[1] == "Production cooldown: retry in 3 s"
    assert refusal(eng, "Mo", "FOSFO", 1, T0 + 2 * S)[1] == "Production cooldown: retry in 1 s"
    ok(eng, C.Produce("Mo", "FOSFO", 1), T0 + 2 * S + S // 2)


def test_failed_attempts_do_not_restart_the_cooldown() -> None:
    eng = production_engine()
    ok(eng, C.Produce("Mo", "FOSFO", 1))
    refusal(eng, "Mo", "FOSFO", 1, T0 + 10 * S)  # cooldown
    refusal(eng, "Mo", "FOSFO", 500, T0 + 12 * S)  # over the maximum
    refusal(eng, "Mo", "GUACA", 100, T0 + 13 * S)  # ingredients
    ok(eng, C.Produce("Mo", "FOSFO", 1), T0 + 15 * S)


def test_cooldown_zero_means_none() -> None:
    eng = production_engine(cooldown_s=Decimal(0))
    for _ in range(3):
        ok(eng, C.Produce("Mo", "FOSFO", 1))
    assert goods(eng, "Mo", "FOSFO") == 3


def test_cooldown_is_per_team() -> None:
    eng = production_engine()
    ok(eng, C.Produce("Mo", "FOSFO", 1))
    ok(eng, C.Produce("Mo2", "FOSFO", 1))
    assert refusal(eng, "Mo", "FOSFO", 1)[0] == "RATE_LIMIT_EXCEEDED"


def test_reset_team_production_clears_the_cooldown() -> None:
    eng = production_engine()
    ok(eng, C.Produce("Mo", "FOSFO", 1))
    out = ok(eng, C.ResetTeamProduction(ADMIN, "Mo"))
    assert one(out, E.CooldownCleared).team == "Mo"
    ok(eng, C.Produce("Mo", "FOSFO", 1))


def test_unknown_team_production_is_refused() -> None:
    assert refusal(production_engine(), "Ghost", "FOSFO", 1) == ("INVALID_MESSAGE", "Team not found: Ghost")


def test_production_after_refusals_takes_the_next_seq() -> None:
    eng = production_engine()
    refusal(eng, "Mo", "USD", 1)
    assert ok(eng, C.Produce("Mo", "FOSFO", 1)).seq == 1
    assert isinstance(no(eng, C.Produce("Mo", "FOSFO", 1)), Refused)
