"""The tournament's static description: products, species and recipes, roles, teams and settings.

These are plain frozen values; ``avex.config`` builds them from a TOML file (GAME.md §10) and the engine
only reads them. Money is integer cents; role numbers keep the exact decimal written in the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

PREMIUM_BONUS = Decimal("1.3")
MAX_GOODS = 2_147_483_647
HOUSE = "SERVER"
SDK_PRODUCT_CODES = (
    "GUACA",
    "SEBO",
    "PALTA-OIL",
    "FOSFO",
    "NUCREM",
    "CASCAR-ALLOY",
    "PITA",
    "GTRON",
    "H-GUACA",
)


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    reference_price: int  # cents
    tradable: bool = True
    producible: bool = True


@dataclass(frozen=True, slots=True)
class Species:
    name: str
    basic: str
    # premium product -> {ingredient -> units}, both in file order
    premium: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def authorized_products(self) -> tuple[str, ...]:
        return (self.basic, *self.premium)


@dataclass(frozen=True, slots=True)
class Role:
    branches: int = 2
    max_depth: int = 4
    decay: Decimal = Decimal("0.75")
    budget: Decimal = Decimal(25)
    base_energy: Decimal = Decimal(3)
    level_energy: Decimal = Decimal(2)


@dataclass(frozen=True, slots=True)
class TeamSpec:
    name: str
    token: str
    balance: int  # cents
    species: str | None = None
    inventory: dict[str, int] = field(default_factory=dict)
    role: Role = Role()
    admin: bool = False
    members: str = ""

    @property
    def is_admin(self) -> bool:
        return self.admin or self.name == "admin"


@dataclass(frozen=True, slots=True)
class MarketSettings:
    ticker_interval_s: Decimal = Decimal(5)
    offer_ttl_s: int = 300
    orders_per_minute: int = 100
    messages_per_second: int = 50
    max_connections_per_team: int = 10
    max_open_orders_per_team: int = 1000
    debug_mode: bool = False
    mark_window_s: Decimal = Decimal(900)
    public_board: bool = True


IngredientRule = Literal["per_unit", "per_batch"]


@dataclass(frozen=True, slots=True)
class ProductionSettings:
    cooldown_s: Decimal = Decimal(15)
    ingredients: IngredientRule = "per_unit"


@dataclass(frozen=True, slots=True)
class Tournament:
    products: tuple[Product, ...]
    species: tuple[Species, ...]
    teams: tuple[TeamSpec, ...]
    market: MarketSettings = MarketSettings()
    production: ProductionSettings = ProductionSettings()

    def product(self, code: str) -> Product | None:
        for p in self.products:
            if p.code == code:
                return p
        return None

    def species_named(self, name: str | None) -> Species | None:
        if name is None:
            return None
        for s in self.species:
            if s.name == name:
                return s
        return None

    @property
    def product_codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.products)


def token_hash(token: str) -> str:
    """Tokens are random, so an unsalted SHA-256 is enough to keep them out of the database (PROTOCOL §3.2)."""
    # surrogatepass: a JSON string may hold a lone surrogate; it must hash, not crash
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
