"""Engine tests build tournaments from dataclasses, so they pin the rules without the TOML loader."""

from __future__ import annotations

from decimal import Decimal

import pytest

from avex.domain.catalogue import MarketSettings, Product, ProductionSettings, Role, Species, TeamSpec, Tournament
from avex.engine.engine import Engine

T0 = 1_800_000_000_000_000  # a fixed epoch-µs start; engine tests never read the clock
S = 1_000_000


def conformance_tournament(**market: object) -> Tournament:
    """PROTOCOL.md §8's conformance.toml (ticker off, 10 orders/min), with market overrides."""
    products = (
        Product("GUACA", 1530), Product("FOSFO", 1250), Product("PITA", 875), Product("SEBO", 1890),
    )
    species = (
        Species("Monjes de Fosforescencia", "FOSFO", {"GUACA": {"PITA": 2}}),
        Species("Cosechadores de Pita", "PITA", {"SEBO": {"FOSFO": 1}}),
    )
    role_a = Role(1, 2, Decimal("1.0"), Decimal(0), Decimal("3.0"), Decimal("2.0"))
    teams = (
        TeamSpec("TeamA", "TK-A", 100000, "Monjes de Fosforescencia", {"GUACA": 20, "FOSFO": 10}, role_a),
        TeamSpec("TeamB", "TK-B", 100000, "Cosechadores de Pita", {"PITA": 10}),
        TeamSpec("TeamC", "TK-C", 5000),
        TeamSpec("TeamD", "TK-D", 10000),
        TeamSpec("admin", "TK-ADMIN", 0),
    )
    settings = {"ticker_interval_s": Decimal(0), "orders_per_minute": 10, **market}
    return Tournament(products, species, teams, MarketSettings(**settings), ProductionSettings())  # type: ignore[arg-type]


@pytest.fixture
def tournament() -> Tournament:
    return conformance_tournament()


@pytest.fixture
def engine(tournament: Tournament) -> Engine:
    eng = Engine(tournament)
    eng.now = T0
    return eng
