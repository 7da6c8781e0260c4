"""Money is integer cents inside avex; these helpers convert only at the edges.

Inputs arrive as exact decimals (from the JSON literal or the TOML text) and are rounded to the cent
half-to-even (PROTOCOL.md §2.1). Outputs are JSON numbers in their shortest form: whole values without a
fraction, otherwise at most two decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

_CENT = Decimal("0.01")


class MoneyError(ValueError):
    """A value that cannot be money (not finite, or not a number)."""


def to_cents(value: Decimal | int | str) -> int:
    """Round an exact decimal to whole cents, half-to-even: 0.005 -> 0, 0.015 -> 2, 2.675 -> 268."""
    try:
        dec = value if isinstance(value, Decimal) else Decimal(value)
        if not dec.is_finite():
            raise MoneyError(f"not a finite amount: {value!r}")
        # exact: scaling by 100 only moves the exponent, and the context is wide enough for any literal
        with localcontext() as ctx:
            ctx.prec = max(28, len(dec.as_tuple().digits) + 4)
            return int(dec.scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc


def wire(cents: int) -> int | float:
    """Cents as the shortest JSON number: 1000000 -> 10000, 1530 -> 15.3, 87050 -> 870.5.

    A float prints as the shortest decimal that round-trips, so c / 100 never shows binary noise.
    """
    if cents % 100 == 0:
        return cents // 100
    return cents / 100


def fmt2(cents: int) -> str:
    """Cents with exactly two decimals, for reason texts: 6000 -> '60.00', -5 -> '-0.05'."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def as_decimal(cents: int) -> Decimal:
    """Cents as an exact Decimal (for CSV exports and reports)."""
    return (Decimal(cents) / 100).quantize(_CENT)
