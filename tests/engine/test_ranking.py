"""Valuation, marks and ranking (GAME.md §9)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from avex.domain.catalogue import MarketSettings, Product, ProductionSettings, Species, TeamSpec, Tournament
from avex.engine import commands as C
from avex.engine.engine import Engine

from .support import ADMIN, T0, S, acct, buy, market_engine, ok, sell


def engine_for(teams: tuple[TeamSpec, ...], products: tuple[Product, ...] | None = None, **market: object) -> Engine:
    products = products or (Product("GUACA", 1530), Product("PALTA-OIL", 2500))
    species = (Species("Avocultores", "PALTA-OIL", {"GUACA": {"PALTA-OIL": 1}}),)
    eng = Engine(Tournament(products, species, teams, MarketSettings(**market), ProductionSettings()))  # type: ignore[arg-type]
    eng.now = T0
    return eng


def trade(eng: Engine, product: str, price: int, qty: int = 1, at: int | None = None) -> None:
    """One fill between the two traders X (seller) and Y (buyer)."""
    n = eng.seq
    ok(eng, sell("X", f"x{n}", qty, price, product=product), at)
    ok(eng, buy("Y", f"y{n}", qty, price, product=product), at)


TRADERS = (
    TeamSpec("X", "TK-X", 10_000_000, None, {"GUACA": 1000, "PALTA-OIL": 1000}),
    TeamSpec("Y", "TK-Y", 10_000_000),
    TeamSpec("admin", "TK-ADMIN", 0),
)


def roi2(roi: Fraction) -> Decimal:
    return (Decimal(roi.numerator) / Decimal(roi.denominator)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def test_worked_example_value_12833_pnl_1583_roi_14_07() -> None:
    eng = engine_for((TeamSpec("Avo", "TK-AVO", 1_000_000, "Avocultores", {"PALTA-OIL": 50}), *TRADERS))
    ok(eng, C.UpdateTeam(ADMIN, "Avo", 980_000, {"PALTA-OIL": 120, "GUACA": 10}))
    trade(eng, "PALTA-OIL", 2400)
    v = eng.valuation(acct(eng, "Avo"), eng.marks())
    assert (v.baseline, v.cash, v.inventory_value, v.value, v.profit_loss) == (
        1_125_000, 980_000, 288_000 + 15_300, 1_283_300, 158_300,
    )
    assert v.roi == Fraction(158_300 * 100, 1_125_000)
    assert roi2(v.roi) == Decimal("14.07")


def test_sub_cent_vwap_mark_rounds_half_even_to_16_00() -> None:
    eng = engine_for((TeamSpec("Ten", "TK-T", 0, None, {"GUACA": 10}), *TRADERS))
    trade(eng, "GUACA", 1600)
    trade(eng, "GUACA", 1601)
    assert eng.marks()[0] == 1600
    assert eng.valuation(acct(eng, "Ten"), eng.marks()).inventory_value == 16_000


def test_vwap_mark_is_volume_weighted_and_half_even() -> None:
    eng = engine_for(TRADERS)
    trade(eng, "GUACA", 1601)
    trade(eng, "GUACA", 1602)
    assert eng.marks()[0] == 1602  # 1601.5 -> even
    trade(eng, "GUACA", 1000, qty=2)  # (1601 + 1602 + 2000) / 4 = 1300.75
    assert eng.marks()[0] == 1301


def test_mark_is_the_reference_price_before_any_fill() -> None:
    eng = engine_for(TRADERS)
    assert eng.marks() == [1530, 2500]


def test_mark_falls_back_to_the_last_price_after_the_window() -> None:
    eng = engine_for(TRADERS, mark_window_s=Decimal(60))
    trade(eng, "GUACA", 1600, at=T0)
    trade(eng, "GUACA", 2000, at=T0 + 30 * S)
    assert eng.marks(T0 + 30 * S)[0] == 1800
    assert eng.marks(T0 + 61 * S)[0] == 2000  # only the second fill is inside the window
    assert eng.marks(T0 + 200 * S)[0] == 2000  # none inside: the last price


def test_one_unit_at_an_extreme_price_moves_the_mark_only_by_its_weight() -> None:
    eng = engine_for(TRADERS)
    trade(eng, "GUACA", 1500, qty=99)
    trade(eng, "GUACA", 100_000, qty=1)
    assert eng.marks()[0] == (1500 * 99 + 100_000) // 100  # 2485.00 exactly


def test_baseline_uses_reference_prices_of_the_initial_inventory() -> None:
    eng = engine_for((TeamSpec("Avo", "TK-AVO", 1_000_000, "Avocultores", {"PALTA-OIL": 50}), *TRADERS))
    trade(eng, "PALTA-OIL", 9999)
    assert eng.baseline(acct(eng, "Avo")) == 1_125_000
    assert eng.valuation(acct(eng, "Avo"), eng.marks()).profit_loss == 50 * (9999 - 2500)


def test_production_and_admin_grants_count_as_profit() -> None:
    eng = engine_for((TeamSpec("Avo", "TK-AVO", 1_000_000, "Avocultores", {"PALTA-OIL": 50}), *TRADERS))
    ok(eng, C.Produce("Avo", "PALTA-OIL", 10))
    ok(eng, C.AddInventory(ADMIN, "Avo", "GUACA", 2))
    assert eng.valuation(acct(eng, "Avo"), eng.marks()).profit_loss == 10 * 2500 + 2 * 1530


def test_reserved_goods_and_cash_are_still_valued() -> None:
    eng = engine_for((TeamSpec("Avo", "TK-AVO", 1_000_000, "Avocultores", {"PALTA-OIL": 50}), *TRADERS))
    ok(eng, sell("Avo", "s", 50, 99_999, product="PALTA-OIL"))
    ok(eng, buy("Avo", "b", 1, 1000, product="GUACA"))
    v = eng.valuation(acct(eng, "Avo"), eng.marks())
    assert (v.value, v.profit_loss) == (1_125_000, 0)


def test_roi_is_zero_when_the_baseline_is_not_positive() -> None:
    eng = engine_for((TeamSpec("Zero", "TK-Z", 0), *TRADERS))
    ok(eng, C.AddInventory(ADMIN, "Zero", "GUACA", 5))
    v = eng.valuation(acct(eng, "Zero"), eng.marks())
    assert (v.baseline, v.profit_loss, v.roi) == (0, 5 * 1530, 0)


def test_ranking_lists_players_only_by_exact_roi_then_name_code_point() -> None:
    teams = (
        TeamSpec("b", "TK-1", 10_000), TeamSpec("Á", "TK-2", 10_000), TeamSpec("a", "TK-3", 10_000),
        TeamSpec("B", "TK-4", 10_000), TeamSpec("admin", "TK-ADMIN", 0), TeamSpec("Ref", "TK-R", 0, admin=True),
    )
    eng = engine_for(teams)
    assert [v.team for v in eng.ranking()] == ["B", "a", "b", "Á"]
    ok(eng, C.AddInventory(ADMIN, "b", "GUACA", 1))
    ok(eng, C.UpdateTeam(ADMIN, "a", 9_999))
    assert [v.team for v in eng.ranking()] == ["b", "B", "Á", "a"]


def test_ranking_uses_the_exact_roi_not_the_rounded_one() -> None:
    teams = (TeamSpec("Aaa", "TK-A", 10_001), TeamSpec("Zzz", "TK-Z", 10_000), TeamSpec("admin", "TK-ADMIN", 0))
    eng = engine_for(teams)
    ok(eng, C.UpdateTeam(ADMIN, "Aaa", 10_002))
    ok(eng, C.UpdateTeam(ADMIN, "Zzz", 10_001))
    ranking = eng.ranking()
    assert [roi2(v.roi) for v in ranking] == [Decimal("0.01"), Decimal("0.01")]
    assert [v.team for v in ranking] == ["Zzz", "Aaa"]


def test_ranking_after_trades_values_goods_at_marks() -> None:
    eng = market_engine()
    ok(eng, sell("Ann", "a", 10, 3000))
    ok(eng, buy("Bob", "b", 10, 3000))  # GUACA now marks at 30.00
    ranking = {v.team: v for v in eng.ranking()}
    assert ranking["Ann"].profit_loss == 30_000 + 90 * 3000 - 100 * 1530
    assert ranking["Bob"].profit_loss == -30_000 + 110 * 3000 - 100 * 1530
    assert ranking["Cat"].profit_loss == 100 * (3000 - 1530)
    assert ranking["Dan"].profit_loss == 0
    # Ann, Bob and Cat tie exactly (same baseline, same P&L): names decide
    assert [v.team for v in eng.ranking()] == ["Ann", "Bob", "Cat", "Dan"]
