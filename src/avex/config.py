"""The tournament file (GAME.md §10) and the built-in tournament (§11).

A tournament is one hand-edited TOML file, so this module is strict and talkative: every key, type and
range of §10.1/§3.1 is checked, unknown keys are errors, and *all* problems of a file are reported at once
as ``<file>: <key path>: <what is wrong>`` (``ConfigError.errors``), never as a traceback.

Numbers are read with ``parse_float=Decimal`` so ``0.7651`` stays exactly 0.7651 and money is checked for
whole cents on the digits as written. Two guards go beyond the schema because the values feed exact
arithmetic: integers must fit TOML's 64 bits, and a number may have at most 100 digits on either side of the
decimal point (``1e999999999`` would otherwise make the production formula build a billion-digit integer).

Besides parsing: the design rules (§10.3, warnings), the canonical JSON and its SHA-256 (§10.4), a dict
form for the database, a TOML renderer (``avex init``) and ``check_file`` (``avex check``).
Tokens are secrets: no message here ever contains one, and the canonical JSON carries only their SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import string
import tomllib
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from avex.domain.catalogue import (
    HOUSE,
    MAX_GOODS,
    SDK_PRODUCT_CODES,
    MarketSettings,
    Product,
    ProductionSettings,
    Role,
    Species,
    TeamSpec,
    Tournament,
    token_hash,
)
from avex.domain.money import fmt2
from avex.domain.production import MAX_UNITS, role_units

__all__ = [
    "ConfigError",
    "builtin_tournament",
    "canonical_json",
    "check_file",
    "default_products",
    "default_species",
    "design_warnings",
    "load_tournament",
    "new_tournament_file",
    "parse_tournament",
    "render_tournament_toml",
    "team_name_problem",
    "token_problem",
    "tournament_from_dict",
    "tournament_hash",
    "tournament_to_dict",
]

T = TypeVar("T")

INT64_MAX = 2**63 - 1
MAX_REFERENCE_CENTS = 100_000_000  # 1 000 000.00
MAX_OFFER_TTL_S = 2_147_483  # × 1000 ms must fit the SDK's 32-bit expiresIn
MAX_INGREDIENT_UNITS = 1000
MAX_NUMBER_DIGITS = 100
TOKEN_PREFIX = "TK-"
RANDOM_TOKEN_LENGTH = 24

_CODE_RE = re.compile(r"[A-Z][A-Z0-9-]{0,31}")
_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_MARKET_KEYS = frozenset(MarketSettings.__slots__)
_PRODUCTION_KEYS = frozenset(ProductionSettings.__slots__)
_INGREDIENT_RULES = ("per_unit", "per_batch")
_DEFAULT_ROLE = Role()


class ConfigError(ValueError):
    """A tournament file (or stored tournament) that breaks the hard rules; ``errors`` lists every problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


# --------------------------------------------------------------------------------------------------------
# Reading typed values


class _Bad(Exception):
    """One value is wrong; the text says how (the caller adds file and key path)."""


def _key_path(path: str, key: str) -> str:
    segment = key if _BARE_KEY_RE.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{path}.{segment}" if path else segment


def _show(value: Any) -> str:
    """A value as the teacher wrote it, short enough for one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        text = str(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 40 else value[:37] + "...", ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__} ({value})"  # TOML dates and times


def _fits_digits(d: Decimal) -> bool:
    _sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)  # finite values only
    return len(digits) + exponent <= MAX_NUMBER_DIGITS and -exponent <= MAX_NUMBER_DIGITS


def _as_decimal(value: Any, what: str) -> Decimal:
    # bool is an int subclass, but `true` is not a number in a tournament file
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _Bad(f"must be {what}, got {_show(value)}")
    d = Decimal(value)
    if not d.is_finite():
        raise _Bad(f"must be a finite number, got {_show(value)}")
    if not _fits_digits(d):
        raise _Bad(f"has too many digits (at most {MAX_NUMBER_DIGITS} on each side of the decimal point)")
    return d


def _integer(lo: int, hi: int = INT64_MAX) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad(f"must be an integer, got {_show(value)}")
        if not lo <= value <= hi:
            span = f"at least {lo}" if hi == INT64_MAX else f"from {lo} to {hi}"
            raise _Bad(f"must be {span}, got {value}")
        return value

    return check


def _number(lo: Decimal, *, lo_open: bool = False, hi: Decimal | None = None) -> Callable[[Any], Decimal]:
    def check(value: Any) -> Decimal:
        d = _as_decimal(value, "a number")
        too_low = d <= lo if lo_open else d < lo
        if too_low or (hi is not None and d > hi):
            low = f"greater than {lo}" if lo_open else f"at least {lo}"
            span = low if hi is None else f"{low} and at most {hi}"
            raise _Bad(f"must be {span}, got {_show(value)}")
        return d

    return check


def _whole_cents(d: Decimal) -> bool:
    """Exact: no non-zero digit below the cent (Decimal arithmetic would round past 28 digits)."""
    _sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    below_cent = -2 - exponent
    return below_cent <= 0 or not any(digits[-below_cent:])


def _money(lo_cents: int, hi_cents: int = INT64_MAX) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        d = _as_decimal(value, "an amount of money")
        if not _whole_cents(d):
            raise _Bad(f"must be whole cents, got {_show(value)}")
        cents = int(Fraction(d) * 100)
        if not lo_cents <= cents <= hi_cents:
            span = f"at least {fmt2(lo_cents)}"
            if hi_cents != INT64_MAX:
                span = f"from {fmt2(lo_cents)} to {fmt2(hi_cents)}"
            raise _Bad(f"must be {span}, got {_show(value)}")
        return cents

    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"must be true or false, got {_show(value)}")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad(f"must be a string, got {_show(value)}")
    return value


def _product_code(value: Any) -> str:
    code = _string(value)
    if not _CODE_RE.fullmatch(code):
        raise _Bad(
            "must be 1-32 characters: an upper-case letter, then upper-case letters, digits or '-', "
            f"got {_show(code)}"
        )
    return code


def team_name_problem(name: Any) -> str | None:
    """Why a team name breaks GAME.md §10.1, or None (also for SEED_TEAMS)."""
    if not isinstance(name, str):
        return f"must be a string, got {_show(name)}"
    if not 1 <= len(name) <= 64:
        return f"must be 1-64 characters, got {len(name)}"
    if name == HOUSE:
        return f'"{HOUSE}" is reserved for the house'
    return None


def token_problem(token: Any) -> str | None:
    """Why a token breaks GAME.md §10.1, or None. The text never repeats the token (it is a secret)."""
    if not isinstance(token, str):
        return "must be a string"
    if not token.startswith(TOKEN_PREFIX):
        return f'must start with "{TOKEN_PREFIX}"'
    if not 4 <= len(token) <= 128:
        return f"must be 4-128 characters, got {len(token)}"
    return None


def _team_name(value: Any) -> str:
    problem = team_name_problem(value)
    if problem:
        raise _Bad(problem)
    return value


def _token(value: Any) -> str:
    problem = token_problem(value)
    if problem:
        raise _Bad(problem)
    return value


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise _Bad(f"must be one of {', '.join(json.dumps(o) for o in options)}, got {_show(value)}")
        return value

    return check


_MISSING: Any = object()


class _Errors:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, path: str, problem: str) -> None:
        self.items.append(f"{self.source}: {path}: {problem}")


class _Table:
    """One TOML table: typed keys with defaults; ``finish`` reports the keys nobody asked for."""

    def __init__(self, raw: dict[str, Any], path: str, errs: _Errors) -> None:
        self.raw, self.path, self.errs = raw, path, errs
        self.seen: set[str] = set()
        self.ok = True

    def fail(self, key: str | None, problem: str) -> None:
        self.ok = False
        self.errs.add(self.path if key is None else _key_path(self.path, key), problem)

    def value(self, key: str, check: Callable[[Any], T], default: Any = _MISSING) -> T:
        """The checked value, the default when absent, or None (and ``ok`` False) when wrong."""
        self.seen.add(key)
        raw = self.raw.get(key, _MISSING)
        if raw is _MISSING:
            if default is _MISSING:
                self.fail(key, "is required")
                return None  # type: ignore[return-value]
            return default
        try:
            return check(raw)
        except _Bad as bad:
            self.fail(key, str(bad))
            return None  # type: ignore[return-value]

    def table(self, key: str) -> _Table | None:
        """A sub-table (absent → None; not a table → error and None)."""
        self.seen.add(key)
        raw = self.raw.get(key, _MISSING)
        if raw is _MISSING:
            return None
        if not isinstance(raw, dict):
            self.fail(key, f"must be a table, got {_show(raw)}")
            return None
        return _Table(raw, _key_path(self.path, key), self.errs)

    def array_of_tables(self, key: str) -> list[_Table] | None:
        self.seen.add(key)
        raw = self.raw.get(key, _MISSING)
        if raw is _MISSING:
            return None
        if not isinstance(raw, list):
            self.fail(key, f"must be an array of tables ([[{key}]]), got {_show(raw)}")
            return []
        tables = []
        for i, item in enumerate(raw):
            path = f"{_key_path(self.path, key)}[{i}]"
            if isinstance(item, dict):
                tables.append(_Table(item, path, self.errs))
            else:
                self.ok = False
                self.errs.add(path, f"must be a table, got {_show(item)}")
        return tables

    def finish(self, hint: Callable[[str], str] = lambda key: "") -> None:
        for key in self.raw:
            if key not in self.seen:
                self.fail(key, "unknown key" + hint(key))


# --------------------------------------------------------------------------------------------------------
# Parsing


def load_tournament(path: str | Path) -> Tournament:
    """Read and check a tournament file; raises ConfigError listing every problem."""
    try:
        # utf-8-sig: editors on Windows like to start files with a byte-order mark
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the file: {exc.strerror or exc}"]) from None
    return parse_tournament(text, str(path))


def parse_tournament(text: str, source: str) -> Tournament:
    """Check a tournament given as TOML text; ``source`` names it in the error messages."""
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{source}: invalid TOML: {exc}"]) from None
    errs = _Errors(source)
    tournament = _build(_Table(raw, "", errs), errs)
    if errs.items or tournament is None:
        raise ConfigError(errs.items or [f"{source}: invalid tournament"])
    return tournament


def _top_level_hint(key: str) -> str:
    if key in _MARKET_KEYS:
        return " (market settings go in the [market] table)"
    if key in _PRODUCTION_KEYS:
        return " (production settings go in the [production] table)"
    return ""


def _build(top: _Table, errs: _Errors) -> Tournament | None:
    market = _market(top.table("market"))
    production = _production(top.table("production"))
    product_tables = top.array_of_tables("products")
    species_tables = top.array_of_tables("species")
    team_tables = top.array_of_tables("teams") or []
    top.finish(_top_level_hint)

    if (product_tables is None) != (species_tables is None):
        missing = "products" if product_tables is None else "species"
        present = "species" if product_tables is None else "products"
        top.fail(
            missing,
            f"a file with [[{present}]] needs [[{missing}]] too (or neither, to use the built-in catalogue)",
        )
    if product_tables == []:
        top.fail("products", "needs at least one product")

    # A missing half falls back to the built-in one, so its error is not followed by a cascade of
    # "unknown product" errors.
    if product_tables is None:
        products: list[Product] | None = list(default_products())
        codes = {p.code for p in default_products()}
    else:
        products, codes = _products(product_tables)
    if species_tables is None:
        species: list[Species] | None = list(default_species())
        names = {s.name for s in default_species()}
    else:
        species, names = _species(species_tables, codes)
    teams = _teams(team_tables, codes, names)

    if errs.items or None in (market, production, products, species, teams):
        return None
    assert market and production and products is not None and species is not None and teams is not None
    return Tournament(tuple(products), tuple(species), tuple(teams), market, production)


def _market(tab: _Table | None) -> MarketSettings | None:
    d = MarketSettings()
    if tab is None:
        return d
    zero = Decimal(0)
    checks: dict[str, Callable[[Any], Any]] = {
        "ticker_interval_s": _number(zero),
        "offer_ttl_s": _integer(0, MAX_OFFER_TTL_S),
        "orders_per_minute": _integer(0),
        "messages_per_second": _integer(0),
        "max_connections_per_team": _integer(1),
        "max_open_orders_per_team": _integer(0),
        "debug_mode": _boolean,
        "mark_window_s": _number(zero, lo_open=True),
        "public_board": _boolean,
    }
    # the TOML keys are the field names of MarketSettings
    market = MarketSettings(**{key: tab.value(key, check, getattr(d, key)) for key, check in checks.items()})
    tab.finish()
    return market if tab.ok else None


def _production(tab: _Table | None) -> ProductionSettings | None:
    d = ProductionSettings()
    if tab is None:
        return d
    production = ProductionSettings(
        cooldown_s=tab.value("cooldown_s", _number(Decimal(0)), d.cooldown_s),
        ingredients=tab.value("ingredients", _choice(_INGREDIENT_RULES), d.ingredients),  # type: ignore
    )
    tab.finish()
    return production if tab.ok else None


def _duplicate(
    tab: _Table, key: str, value: str, first: dict[str, str], what: str, *, show: bool = True
) -> None:
    """Record ``value`` as seen at ``tab.path``, or report it as a duplicate of the first one."""
    if value in first:
        shown = f" {_show(value)}" if show else ""
        tab.fail(key, f"duplicate {what}{shown} (also {first[value]}.{key})")
    else:
        first[value] = tab.path


def _products(tables: list[_Table]) -> tuple[list[Product] | None, set[str]]:
    products: list[Product] = []
    first: dict[str, str] = {}
    ok = True
    for tab in tables:
        code = tab.value("code", _product_code)
        price = tab.value("reference_price", _money(1, MAX_REFERENCE_CENTS))
        tradable = tab.value("tradable", _boolean, True)
        producible = tab.value("producible", _boolean, True)
        tab.finish()
        if code is not None:
            _duplicate(tab, "code", code, first, "product code")
        if tab.ok:
            products.append(Product(code, price, tradable, producible))
        ok = ok and tab.ok
    # Malformed codes still count as "known" so one typo is reported once, not at every use.
    known = {tab.raw["code"] for tab in tables if isinstance(tab.raw.get("code"), str)}
    return (products if ok else None), known


def _known(codes: set[str], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        name = _string(value)
        if name not in codes:
            raise _Bad(f"unknown {what} {_show(name)}")
        return name

    return check


def _species(tables: list[_Table], codes: set[str]) -> tuple[list[Species] | None, set[str]]:
    species: list[Species] = []
    first: dict[str, str] = {}
    ok = True
    for tab in tables:
        name = tab.value("name", _string)
        if name == "":
            tab.fail("name", "must not be empty")
        basic = tab.value("basic", _known(codes, "product"))
        premium = _premium(tab.table("premium"), basic, codes)
        tab.finish()
        if name:
            _duplicate(tab, "name", name, first, "species name")
        if tab.ok and premium is not None:
            species.append(Species(name, basic, premium))
        ok = ok and tab.ok and premium is not None
    known = {tab.raw["name"] for tab in tables if isinstance(tab.raw.get("name"), str)}
    return (species if ok else None), known


def _premium(tab: _Table | None, basic: str | None, codes: set[str]) -> dict[str, dict[str, int]] | None:
    if tab is None:
        return {}
    recipes: dict[str, dict[str, int]] = {}
    for product in tab.raw:
        tab.seen.add(product)
        if product not in codes:
            tab.fail(product, f"unknown product {_show(product)}")
        elif product == basic:
            tab.fail(product, "a premium product must differ from the species' basic product")
        recipe = tab.table(product)
        if recipe is None:
            continue
        if not recipe.raw:
            tab.fail(product, "a premium recipe needs at least one ingredient")
        ingredients: dict[str, int] = {}
        for ingredient in recipe.raw:
            if ingredient not in codes:
                recipe.fail(ingredient, f"unknown product {_show(ingredient)}")
            elif ingredient == product:
                recipe.fail(ingredient, "an ingredient must differ from the product it makes")
            units = recipe.value(ingredient, _integer(1, MAX_INGREDIENT_UNITS))
            ingredients[ingredient] = units
        tab.ok = tab.ok and recipe.ok
        recipes[product] = ingredients
    return recipes if tab.ok else None


def _teams(tables: list[_Table], codes: set[str], species_names: set[str]) -> list[TeamSpec] | None:
    teams: list[TeamSpec] = []
    names: dict[str, str] = {}
    tokens: dict[str, str] = {}
    ok = True
    for tab in tables:
        name = tab.value("name", _team_name)
        token = tab.value("token", _token)
        species = tab.value("species", _known(species_names, "species"), None)
        balance = tab.value("balance", _money(0))
        inventory = _inventory(tab.table("inventory"), codes)
        role = _role(tab.table("role"))
        admin = tab.value("admin", _boolean, False)
        members = tab.value("members", _string, "")
        tab.finish()
        if name is not None:
            _duplicate(tab, "name", name, names, "team name")
        if token is not None:
            _duplicate(tab, "token", token, tokens, "token", show=False)
        if tab.ok and inventory is not None and role is not None:
            # Normalised here so every Tournament says admin=True for every admin team (§8).
            is_admin = bool(admin) or name == "admin"
            teams.append(TeamSpec(name, token, balance, species, inventory, role, is_admin, members))
        else:
            ok = False
    return teams if ok else None


def _inventory(tab: _Table | None, codes: set[str]) -> dict[str, int] | None:
    if tab is None:
        return {}
    inventory: dict[str, int] = {}
    for product in tab.raw:
        if product not in codes:
            tab.seen.add(product)
            tab.fail(product, f"unknown product {_show(product)}")
            continue
        inventory[product] = tab.value(product, _integer(0, MAX_GOODS))
    return inventory if tab.ok else None


def _role(tab: _Table | None) -> Role | None:
    if tab is None:
        return _DEFAULT_ROLE
    d = _DEFAULT_ROLE
    zero = Decimal(0)
    role = Role(
        branches=tab.value("branches", _integer(1, 10), d.branches),
        max_depth=tab.value("maxDepth", _integer(0, 20), d.max_depth),
        decay=tab.value("decay", _number(zero, lo_open=True, hi=Decimal(1)), d.decay),
        budget=tab.value("budget", _number(zero), d.budget),
        base_energy=tab.value("baseEnergy", _number(zero), d.base_energy),
        level_energy=tab.value("levelEnergy", _number(zero), d.level_energy),
    )
    tab.finish()
    if not tab.ok:
        return None
    units = role_units(role)
    if units > MAX_UNITS:
        tab.fail(None, f"gives {units} units per production, more than {MAX_UNITS}")
        return None
    return role


# --------------------------------------------------------------------------------------------------------
# The built-in tournament (§11)

_DEFAULT_PRODUCTS = (
    ("GUACA", 1530),
    ("SEBO", 1890),
    ("PALTA-OIL", 2500),
    ("FOSFO", 1250),
    ("NUCREM", 3240),
    ("CASCAR-ALLOY", 6780),
    ("PITA", 875),
    ("GTRON", 8925),
    ("H-GUACA", 4560),
)

_DEFAULT_SPECIES: tuple[tuple[str, str, dict[str, dict[str, int]]], ...] = (
    ("Avocultores", "PALTA-OIL", {"GUACA": {"FOSFO": 1}, "NUCREM": {"SEBO": 1, "PITA": 1}}),
    ("Monjes de Fosforescencia", "FOSFO", {"GUACA": {"PITA": 1}, "NUCREM": {"PALTA-OIL": 1}}),
    ("Cosechadores de Pita", "PITA", {"SEBO": {"GUACA": 1}, "CASCAR-ALLOY": {"PALTA-OIL": 2}}),
    ("Herreros Cósmicos", "CASCAR-ALLOY", {"GTRON": {"H-GUACA": 1, "NUCREM": 1}, "SEBO": {"FOSFO": 1}}),
    ("Extractores", "GTRON", {"PALTA-OIL": {"SEBO": 1}, "H-GUACA": {"FOSFO": 3}}),
    ("Tejemanteles", "PITA", {"H-GUACA": {"GUACA": 1, "PALTA-OIL": 1}, "CASCAR-ALLOY": {"SEBO": 3}}),
    (
        "Cremeros Astrales",
        "H-GUACA",
        {"NUCREM": {"GUACA": 1, "FOSFO": 1}, "GTRON": {"CASCAR-ALLOY": 1, "PITA": 1}},
    ),
    ("Mineros del Sebo", "SEBO", {"H-GUACA": {"GUACA": 2, "PITA": 1}, "PALTA-OIL": {"FOSFO": 1, "PITA": 1}}),
    ("Núcleo Cremero", "NUCREM", {"H-GUACA": {"SEBO": 2}, "FOSFO": {"PITA": 1}}),
    ("Destiladores", "GUACA", {"PALTA-OIL": {"PITA": 2}, "CASCAR-ALLOY": {"H-GUACA": 1, "FOSFO": 1}}),
    ("Cartógrafos", "GUACA", {"NUCREM": {"SEBO": 1, "PITA": 1}, "GTRON": {"H-GUACA": 1, "PALTA-OIL": 1}}),
    ("Someliers Andorianos", "PALTA-OIL", {"SEBO": {"GUACA": 1}, "CASCAR-ALLOY": {"NUCREM": 1, "GUACA": 1}}),
)

# (team name, demo token suffix, species) — §11.3
_SPECIES_TEAMS = (
    ("Avocultores de Paltalima", "AVOCULTORES", "Avocultores"),
    ("Monjes de Fosforescencia", "MONJES", "Monjes de Fosforescencia"),
    ("Cosechadores de Pita", "COSECHADORES", "Cosechadores de Pita"),
    ("Herreros Cósmicos", "HERREROS", "Herreros Cósmicos"),
    ("Extractores Cuánticos", "EXTRACTORES", "Extractores"),
    ("Tejemanteles Estelares", "TEJEMANTELES", "Tejemanteles"),
    ("Cremeros Astrales", "CREMEROS", "Cremeros Astrales"),
    ("Mineros del Sebo", "MINEROS", "Mineros del Sebo"),
    ("Núcleo Cremero", "NUCLEO", "Núcleo Cremero"),
    ("Destiladores de Guaca", "DESTILADORES", "Destiladores"),
    ("Cartógrafos de Fosfolima", "CARTOGRAFOS", "Cartógrafos"),
    ("Someliers Andorianos", "SOMELIERS", "Someliers Andorianos"),
)
_TEAM_BALANCE = 1_000_000  # 10000.00
_TEAM_BASIC_UNITS = 50


def default_products() -> tuple[Product, ...]:
    """The 9 built-in products in catalogue order (§11.1)."""
    return tuple(Product(code, price) for code, price in _DEFAULT_PRODUCTS)


def default_species() -> tuple[Species, ...]:
    """The 12 built-in species in file order (§11.2); fresh dicts on every call."""
    return tuple(
        Species(name, basic, {p: dict(recipe) for p, recipe in premium.items()})
        for name, basic, premium in _DEFAULT_SPECIES
    )


def _species_teams(token_for: Callable[[str], str]) -> tuple[TeamSpec, ...]:
    basics = {s.name: s.basic for s in default_species()}
    species_teams = tuple(
        TeamSpec(
            name=name,
            token=token_for(suffix),
            balance=_TEAM_BALANCE,
            species=species,
            inventory={basics[species]: _TEAM_BASIC_UNITS},
        )
        for name, suffix, species in _SPECIES_TEAMS
    )
    admin = TeamSpec(name="admin", token=token_for("ADMIN"), balance=0, admin=True)
    return (*species_teams, admin)


def builtin_tournament() -> Tournament:
    """The demo tournament used when no file is given (§11): default catalogue, 13 TK-DEMO-… teams."""
    teams = _species_teams(lambda suffix: f"{TOKEN_PREFIX}DEMO-{suffix}")
    return Tournament(default_products(), default_species(), teams)


def random_token() -> str:
    alphabet = string.ascii_letters + string.digits
    return TOKEN_PREFIX + "".join(secrets.choice(alphabet) for _ in range(RANDOM_TOKEN_LENGTH))


# --------------------------------------------------------------------------------------------------------
# Design rules (§10.3)


def design_warnings(t: Tournament) -> list[str]:
    """Human-readable warnings for the 10 design rules; the built-in tournament gives none."""
    return list(_design_warnings(t))


def _recipes(t: Tournament) -> Iterator[tuple[Species, str, dict[str, int]]]:
    for s in t.species:
        for product, ingredients in s.premium.items():
            yield s, product, ingredients


def _design_warnings(t: Tournament) -> Iterator[str]:
    prices = {p.code: p.reference_price for p in t.products}
    basics_of = {p.code: [s.name for s in t.species if s.basic == p.code] for p in t.products}
    used = {ingredient for _s, _p, ingredients in _recipes(t) for ingredient in ingredients}

    sdk_codes = ", ".join(SDK_PRODUCT_CODES)
    for p in t.products:
        if p.code not in SDK_PRODUCT_CODES:
            yield f"design rule 1: product {p.code} is not one of the Java SDK product codes ({sdk_codes})"
    for p in t.products:
        if not p.tradable:
            yield f"design rule 2: product {p.code} is not tradable"
        if not p.producible:
            makers = [s.name for s in t.species if p.code in s.authorized_products]
            consequence = f" ({', '.join(makers)} can never make it)" if makers else ""
            yield f"design rule 2: product {p.code} is not producible{consequence}"
    for p in t.products:
        if not basics_of[p.code]:
            yield f"design rule 3: product {p.code} is not the basic product of any species"
    for s in t.species:
        if len(s.premium) != 2:
            count = len(s.premium)
            noun = "premium product" if count == 1 else "premium products"
            yield f"design rule 4: species {s.name} has {count} {noun}, not 2"
    for s, product, ingredients in _recipes(t):
        recipe = f"species {s.name}, recipe {product}"
        if not 1 <= len(ingredients) <= 2:
            yield f"design rule 5: {recipe} has {len(ingredients)} ingredients, not 1 or 2"
        for ingredient in ingredients:
            yield from _ingredient_warnings(t, s, recipe, ingredient, basics_of)
        cost = sum(units * prices[ingredient] for ingredient, units in ingredients.items())
        if cost >= prices[product]:
            yield (
                f"design rule 8: {recipe} costs {fmt2(cost)} in ingredients at reference prices, "
                f"not less than the {fmt2(prices[product])} of {product}"
            )
    if t.products:
        top_price = max(prices.values())
        for p in t.products:
            # Only the most expensive product(s) may be an end product that nothing consumes.
            if p.code not in used and p.reference_price != top_price:
                yield f"design rule 9: product {p.code} is not an ingredient of any recipe"
    for team in t.teams:
        if not team.is_admin and team.species is None:
            yield f"design rule 10: team {team.name} has no species"
    if not any(team.is_admin for team in t.teams):
        yield "design rule 10: there is no admin team"


def _ingredient_warnings(
    t: Tournament, s: Species, recipe: str, ingredient: str, basics_of: dict[str, list[str]]
) -> Iterator[str]:
    if ingredient == s.basic:
        yield f"design rule 6: {recipe} uses {ingredient}, the species' own basic product"
    elif ingredient in s.premium:
        yield f"design rule 6: {recipe} uses {ingredient}, one of the species' own premium products"
    elif not any(name != s.name for name in basics_of.get(ingredient, [])):
        yield f"design rule 6: {recipe} uses {ingredient}, which is not the basic product of another species"
    product = t.product(ingredient)
    if product is not None and not product.tradable:
        yield f"design rule 7: {recipe} uses {ingredient}, which is not tradable"


# --------------------------------------------------------------------------------------------------------
# Dict / canonical JSON / hash (§10.4)


def _dec(d: Decimal) -> str:
    """A decimal's value in plain notation without trailing zeros: 5.0 and 5 are one value, '5'."""
    if d == 0:
        return "0"
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def tournament_to_dict(t: Tournament, *, redact_tokens: bool = False) -> dict[str, Any]:
    """JSON-ready form with every default filled in: money in integer cents, decimals as strings.

    Ordered things stay lists (premium recipes and their ingredients are in file order, which is the
    order of authorizedProducts); inventories are plain maps. With ``redact_tokens`` each team carries
    ``token_sha256`` instead of ``token`` (such a dict cannot be loaded back).
    """
    m, pr = t.market, t.production
    return {
        "market": {
            "ticker_interval_s": _dec(m.ticker_interval_s),
            "offer_ttl_s": m.offer_ttl_s,
            "orders_per_minute": m.orders_per_minute,
            "messages_per_second": m.messages_per_second,
            "max_connections_per_team": m.max_connections_per_team,
            "max_open_orders_per_team": m.max_open_orders_per_team,
            "debug_mode": m.debug_mode,
            "mark_window_s": _dec(m.mark_window_s),
            "public_board": m.public_board,
        },
        "production": {"cooldown_s": _dec(pr.cooldown_s), "ingredients": pr.ingredients},
        "products": [
            {
                "code": p.code,
                "reference_price_cents": p.reference_price,
                "tradable": p.tradable,
                "producible": p.producible,
            }
            for p in t.products
        ],
        "species": [
            {
                "name": s.name,
                "basic": s.basic,
                "premium": [
                    {"product": product, "ingredients": [[i, n] for i, n in ingredients.items()]}
                    for product, ingredients in s.premium.items()
                ],
            }
            for s in t.species
        ],
        "teams": [_team_dict(team, redact_tokens) for team in t.teams],
    }


def _team_dict(team: TeamSpec, redact_tokens: bool) -> dict[str, Any]:
    r = team.role
    token = {"token_sha256": token_hash(team.token)} if redact_tokens else {"token": team.token}
    return {
        "name": team.name,
        **token,
        "species": team.species,
        "balance_cents": team.balance,
        "inventory": dict(team.inventory),
        "role": {
            "branches": r.branches,
            "maxDepth": r.max_depth,
            "decay": _dec(r.decay),
            "budget": _dec(r.budget),
            "baseEnergy": _dec(r.base_energy),
            "levelEnergy": _dec(r.level_energy),
        },
        "admin": team.is_admin,
        "members": team.members,
    }


def canonical_json(t: Tournament) -> str:
    """Sorted keys, no whitespace, defaults applied, tokens as SHA-256: layout and comments do not count."""
    return json.dumps(
        tournament_to_dict(t, redact_tokens=True), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def tournament_hash(t: Tournament) -> str:
    """SHA-256 hex of the canonical JSON; a database only accepts the file with the same hash."""
    return hashlib.sha256(canonical_json(t).encode("utf-8")).hexdigest()


def _typed(value: Any, kind: type[T], what: str) -> T:
    # bool is an int subclass; a stored integer must really be one
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{what} must be {kind.__name__}, got {value!r}")
    return value


def tournament_from_dict(d: Mapping[str, Any]) -> Tournament:
    """Inverse of ``tournament_to_dict`` (not of the redacted form); checked by the same hard rules."""
    try:
        t = _from_dict(d)
    except ConfigError:
        raise
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        raise ConfigError([f"stored tournament: malformed: {exc}"]) from None
    # The stored form must obey the rules a file obeys; the TOML checker is their single home.
    return parse_tournament(render_tournament_toml(t), "stored tournament")


def _from_dict(d: Mapping[str, Any]) -> Tournament:
    m, pr = d["market"], d["production"]
    market = MarketSettings(
        ticker_interval_s=Decimal(_typed(m["ticker_interval_s"], str, "ticker_interval_s")),
        offer_ttl_s=_typed(m["offer_ttl_s"], int, "offer_ttl_s"),
        orders_per_minute=_typed(m["orders_per_minute"], int, "orders_per_minute"),
        messages_per_second=_typed(m["messages_per_second"], int, "messages_per_second"),
        max_connections_per_team=_typed(m["max_connections_per_team"], int, "max_connections_per_team"),
        max_open_orders_per_team=_typed(m["max_open_orders_per_team"], int, "max_open_orders_per_team"),
        debug_mode=_typed(m["debug_mode"], bool, "debug_mode"),
        mark_window_s=Decimal(_typed(m["mark_window_s"], str, "mark_window_s")),
        public_board=_typed(m["public_board"], bool, "public_board"),
    )
    production = ProductionSettings(
        cooldown_s=Decimal(_typed(pr["cooldown_s"], str, "cooldown_s")),
        ingredients=_typed(pr["ingredients"], str, "ingredients"),  # type: ignore[arg-type]
    )
    products = tuple(
        Product(
            _typed(p["code"], str, "code"),
            _typed(p["reference_price_cents"], int, "reference_price_cents"),
            _typed(p["tradable"], bool, "tradable"),
            _typed(p["producible"], bool, "producible"),
        )
        for p in d["products"]
    )
    species = tuple(
        Species(
            _typed(s["name"], str, "name"),
            _typed(s["basic"], str, "basic"),
            {
                _typed(r["product"], str, "product"): {
                    _typed(i, str, "ingredient"): _typed(n, int, "units") for i, n in r["ingredients"]
                }
                for r in s["premium"]
            },
        )
        for s in d["species"]
    )
    teams = tuple(_team_from_dict(team) for team in d["teams"])
    return Tournament(products, species, teams, market, production)


def _team_from_dict(team: Mapping[str, Any]) -> TeamSpec:
    if "token" not in team and "token_sha256" in team:
        raise ConfigError(["stored tournament: tokens are redacted (token_sha256); it cannot be loaded"])
    r = team["role"]
    species = team["species"]
    return TeamSpec(
        name=_typed(team["name"], str, "name"),
        token=_typed(team["token"], str, "token"),
        balance=_typed(team["balance_cents"], int, "balance_cents"),
        species=None if species is None else _typed(species, str, "species"),
        inventory={_typed(k, str, "product"): _typed(v, int, "units") for k, v in team["inventory"].items()},
        role=Role(
            branches=_typed(r["branches"], int, "branches"),
            max_depth=_typed(r["maxDepth"], int, "maxDepth"),
            decay=Decimal(_typed(r["decay"], str, "decay")),
            budget=Decimal(_typed(r["budget"], str, "budget")),
            base_energy=Decimal(_typed(r["baseEnergy"], str, "baseEnergy")),
            level_energy=Decimal(_typed(r["levelEnergy"], str, "levelEnergy")),
        ),
        admin=_typed(team["admin"], bool, "admin"),
        members=_typed(team["members"], str, "members"),
    )


# --------------------------------------------------------------------------------------------------------
# Rendering TOML, `avex init`, `avex check`


def _toml_str(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:  # TOML forbids raw control characters in strings
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_key(key: str) -> str:
    return key if _BARE_KEY_RE.fullmatch(key) else _toml_str(key)


def _toml_bool(value: bool) -> str:
    return "true" if value else "false"


def _inline(pairs: Mapping[str, Any]) -> str:
    if not pairs:
        return "{}"
    return "{ " + ", ".join(f"{_toml_key(k)} = {v}" for k, v in pairs.items()) + " }"


def render_tournament_toml(t: Tournament, header: str = "") -> str:
    """A complete tournament file (every setting explicit) that parses back to an equal Tournament."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    m, pr = t.market, t.production
    lines += [
        "[market]",
        f"ticker_interval_s = {_dec(m.ticker_interval_s)}",
        f"offer_ttl_s = {m.offer_ttl_s}",
        f"orders_per_minute = {m.orders_per_minute}",
        f"messages_per_second = {m.messages_per_second}",
        f"max_connections_per_team = {m.max_connections_per_team}",
        f"max_open_orders_per_team = {m.max_open_orders_per_team}",
        f"debug_mode = {_toml_bool(m.debug_mode)}",
        f"mark_window_s = {_dec(m.mark_window_s)}",
        f"public_board = {_toml_bool(m.public_board)}",
        "",
        "[production]",
        f"cooldown_s = {_dec(pr.cooldown_s)}",
        f"ingredients = {_toml_str(pr.ingredients)}",
    ]
    for p in t.products:
        lines += [
            "",
            "[[products]]",
            f"code = {_toml_str(p.code)}",
            f"reference_price = {fmt2(p.reference_price)}",
            f"tradable = {_toml_bool(p.tradable)}",
            f"producible = {_toml_bool(p.producible)}",
        ]
    for s in t.species:
        lines += ["", "[[species]]", f"name = {_toml_str(s.name)}", f"basic = {_toml_str(s.basic)}"]
        for product, ingredients in s.premium.items():
            lines.append(f"[species.premium.{_toml_key(product)}]")
            lines += [f"{_toml_key(i)} = {n}" for i, n in ingredients.items()]
    for team in t.teams:
        lines += _render_team(team)
    return "\n".join(lines) + "\n"


def _render_team(team: TeamSpec) -> list[str]:
    r = team.role
    role = {
        "branches": r.branches,
        "maxDepth": r.max_depth,
        "decay": _dec(r.decay),
        "budget": _dec(r.budget),
        "baseEnergy": _dec(r.base_energy),
        "levelEnergy": _dec(r.level_energy),
    }
    lines = ["", "[[teams]]", f"name = {_toml_str(team.name)}", f"token = {_toml_str(team.token)}"]
    if team.species is not None:
        lines.append(f"species = {_toml_str(team.species)}")
    lines += [
        f"balance = {fmt2(team.balance)}",
        f"inventory = {_inline(team.inventory)}",
        f"role = {_inline(role)}",
    ]
    if team.admin:
        lines.append("admin = true")
    if team.members:
        lines.append(f"members = {_toml_str(team.members)}")
    return lines


_INIT_HEADER = """\
avex tournament file written by `avex init` (GAME.md §10; check it with `avex check FILE`).
The tokens below are secrets: give each team only its own token, keep the admin token for the referee."""


def new_tournament_file(path: str | Path) -> Tournament:
    """Write the built-in catalogue with the 12 species teams and `admin`, each with a fresh random token.

    Never overwrites: an existing file is a ConfigError. The file is created owner-readable only.
    """
    t = Tournament(default_products(), default_species(), _species_teams(lambda _suffix: random_token()))
    text = render_tournament_toml(t, header=_INIT_HEADER)
    try:
        # O_EXCL makes "never overwrite" atomic; 0o600 because the file holds every token.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError([f"{path}: already exists; avex init never overwrites a file"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot create the file: {exc.strerror or exc}"]) from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return t


def check_file(path: str | Path) -> tuple[list[str], list[str]]:
    """(hard-rule errors, design-rule warnings) of a tournament file, each line prefixed with the file."""
    try:
        t = load_tournament(path)
    except ConfigError as exc:
        return exc.errors, []
    return [], [f"{path}: {warning}" for warning in design_warnings(t)]
