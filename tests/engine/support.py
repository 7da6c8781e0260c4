"""Small helpers shared by the engine tests: build commands, apply them, pick events apart.

Money is integer cents and times are epoch microseconds, as inside the engine. ``T0``/``S`` come from
conftest (the conformance tournament starts at ``T0``).
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from avex.domain.catalogue import MarketSettings, Product, ProductionSettings, Species, TeamSpec, Tournament
from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.engine import Engine
from avex.engine.ledger import ledger_rows
from avex.engine.outcome import Applied, Refused
from avex.engine.state import Account

from .conftest import T0, S

__all__ = ["T0", "S"]

EV = TypeVar("EV", bound=E.Event)
ADMIN = "admin"


def run(eng: Engine, cmd: C.Command, at: int | None = None) -> Applied | Refused:
    """Apply ``cmd`` at ``at`` (default: the engine's current time)."""
    return eng.apply(cmd, eng.now if at is None else at)


def ok(eng: Engine, cmd: C.Command, at: int | None = None) -> Applied:
    out = run(eng, cmd, at)
    assert isinstance(out, Applied), f"expected Applied, got {out!r}"
    return out


def no(eng: Engine, cmd: C.Command, at: int | None = None) -> Refused:
    seq = eng.seq
    before = frozen_export(eng)
    out = run(eng, cmd, at)
    assert isinstance(out, Refused), f"expected Refused, got {out!r}"
    assert eng.seq == seq, "a refusal must not take a seq"
    after = frozen_export(eng)
    before["now"] = after["now"]  # only the clock may move
    assert after == before, "a refusal must change nothing"
    return out


def frozen_export(eng: Engine) -> dict[str, Any]:
    """The engine's export as detached plain data (through msgpack, as the store keeps it)."""
    return msgspec.msgpack.decode(msgspec.msgpack.encode(eng.export()))


def buy(team: str, cl: str, qty: int, price: int | None, product: str = "GUACA", **kw: Any) -> C.PlaceOrder:
    mode = "MARKET" if price is None else "LIMIT"
    return C.PlaceOrder(team, cl, "BUY", mode, product, qty, price, **kw)


def sell(team: str, cl: str, qty: int, price: int | None, product: str = "GUACA", **kw: Any) -> C.PlaceOrder:
    mode = "MARKET" if price is None else "LIMIT"
    return C.PlaceOrder(team, cl, "SELL", mode, product, qty, price, **kw)


def of(out: Applied | list[E.Event], kind: type[EV]) -> list[EV]:
    events = out.events if isinstance(out, Applied) else out
    if kind is E.Ledger:  # trades carry their ledger rows in the Fill event
        return list(ledger_rows(events))  # type: ignore[arg-type]
    return [e for e in events if type(e) is kind]


def one(out: Applied | list[E.Event], kind: type[EV]) -> EV:
    found = of(out, kind)
    assert len(found) == 1, f"expected one {kind.__name__}, got {found!r}"
    return found[0]


def kinds(out: Applied) -> list[str]:
    return [type(e).__name__ for e in out.events]


def acct(eng: Engine, team: str) -> Account:
    a = eng.account(team)
    assert a is not None
    return a


def goods(eng: Engine, team: str, product: str) -> int:
    return acct(eng, team).goods[eng.pidx[product]]


def goods_reserved(eng: Engine, team: str, product: str) -> int:
    return acct(eng, team).goods_reserved[eng.pidx[product]]


def cash(eng: Engine, team: str) -> tuple[int, int]:
    """(total, reserved) cash of a team."""
    a = acct(eng, team)
    return a.cash, a.cash_reserved


def status(eng: Engine, team: str, cl: str) -> str:
    entry = acct(eng, team).orders[cl]
    return entry if isinstance(entry, str) else entry.status


def book(eng: Engine, product: str = "GUACA") -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """(bids, asks) as (clOrdID, price, remaining) in priority order."""
    bids, asks = eng.book_orders(product)
    return ([(o.cl, o.price, o.remaining) for o in bids], [(o.cl, o.price, o.remaining) for o in asks])


def fills(out: Applied) -> list[tuple[int, int, str, str]]:
    """(qty, price, buy clOrdID, sell clOrdID) of every fill, in execution order."""
    return [(f.qty, f.price, f.buy_cl, f.sell_cl) for f in of(out, E.Fill)]


def ledger_sum(events: list[E.Event], team: str, asset: str) -> int:
    return sum(e.delta for e in ledger_rows(events) if e.team == team and e.asset == asset)


def inv4(g: int, f: int, p: int, s: int) -> list[int]:
    """An inventory list of the conformance catalogue (GUACA, FOSFO, PITA, SEBO)."""
    return [g, f, p, s]


# --- a roomier tournament for matching and offers: four players with cash and goods, an admin with goods ---
MARKET_PRODUCTS = (Product("GUACA", 1530), Product("FOSFO", 1250), Product("PITA", 875), Product("SEBO", 1890))
MARKET_SPECIES = (
    Species("Monjes de Fosforescencia", "FOSFO", {"GUACA": {"PITA": 2}}),
    Species("Cosechadores de Pita", "PITA", {"SEBO": {"FOSFO": 1}}),
)
PLAYERS = ("Ann", "Bob", "Cat", "Dan")


def market_tournament(
    production: dict[str, Any] | None = None, teams: tuple[TeamSpec, ...] | None = None, **market: Any
) -> Tournament:
    """Ann, Bob and Cat: 1000.00 cash, 100 GUACA and 100 FOSFO; Dan: 100.00 and nothing; admin: 1000.00 and
    100 GUACA. Ann is a Monje (FOSFO, GUACA = 2 PITA), Bob a Cosechador (PITA, SEBO = 1 FOSFO)."""
    if teams is None:
        teams = (
            TeamSpec("Ann", "TK-ANN", 100000, "Monjes de Fosforescencia", {"GUACA": 100, "FOSFO": 100}),
            TeamSpec("Bob", "TK-BOB", 100000, "Cosechadores de Pita", {"GUACA": 100, "FOSFO": 100}),
            TeamSpec("Cat", "TK-CAT", 100000, None, {"GUACA": 100, "FOSFO": 100}),
            TeamSpec("Dan", "TK-DAN", 10000),
            TeamSpec("admin", "TK-ADMIN", 100000, None, {"GUACA": 100}),
        )
    return Tournament(
        MARKET_PRODUCTS, MARKET_SPECIES, teams, MarketSettings(**market), ProductionSettings(**(production or {}))
    )


def market_engine(production: dict[str, Any] | None = None, **market: Any) -> Engine:
    eng = Engine(market_tournament(production, **market))
    eng.now = T0
    return eng
