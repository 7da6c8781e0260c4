"""The production formula (GAME.md §3): exact arithmetic, each level's term rounded half-up.

    units = Σ_{L=0..maxDepth} round_half_up((baseEnergy + levelEnergy·L) · decay^L · branches^L)

Computed with ``Fraction`` on the decimals as written, because float or 28-digit Decimal arithmetic gets
some worked examples wrong (e.g. 10.5 rounding down).
"""

from __future__ import annotations

from fractions import Fraction

from avex.domain.catalogue import PREMIUM_BONUS, Role

MAX_UNITS = 1_000_000


def round_half_up(x: Fraction) -> int:
    """Round a non-negative fraction to the nearest integer, halves away from zero."""
    if x < 0:
        return -round_half_up(-x)
    return int((x + Fraction(1, 2)).__floor__())


def level_terms(role: Role) -> list[Fraction]:
    """The exact term of each level before rounding (for docs and tests)."""
    base = Fraction(str(role.base_energy))
    step = Fraction(str(role.level_energy))
    decay = Fraction(str(role.decay))
    return [
        (base + step * level) * decay**level * Fraction(role.branches) ** level for level in range(role.max_depth + 1)
    ]


def role_units(role: Role) -> int:
    """Units of the basic product one PRODUCTION_UPDATE may make for this role."""
    return sum(round_half_up(term) for term in level_terms(role))


def premium_max(units: int) -> int:
    """The premium maximum: round_half_up(units × 1.3)."""
    return round_half_up(Fraction(units) * Fraction(str(PREMIUM_BONUS)))


def max_per_request(role: Role, premium: bool) -> int:
    units = role_units(role)
    return premium_max(units) if premium else units
