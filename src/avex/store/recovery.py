"""Recovery: rebuild the engine from the store at startup, and refuse to start on inconsistent books.

The newest snapshot (or a fresh ``Engine(tournament)``) is the starting point; every journaled command
after it is applied again at its journaled time and must get its journaled ``seq`` and produce the same
events (the engine is deterministic, so a difference means the code or the data changed under us). Then,
for every (team, asset) with a non-zero value, the engine's balance, the stored account total and the
ledger sum must agree (GAME.md §1, §6.3). Due expiries and the scheduled end are the driver's business
after this returns.
"""

from __future__ import annotations

from avex.domain.catalogue import Tournament
from avex.domain.money import fmt2
from avex.engine.engine import Engine
from avex.engine.events import Event
from avex.engine.outcome import Applied
from avex.store import codec
from avex.store.errors import RecoveryError
from avex.store.store import Store

__all__ = ["RecoveryError", "check_balances", "recover"]


def recover(store: Store, tournament: Tournament, *, verify_events: bool = True) -> Engine:
    """The engine as of the last committed command. Raises RecoveryError (one line) when the snapshot,
    the replay or the ledger check disagrees with the store."""
    snapshot = store.latest_snapshot()
    if snapshot is None:
        start = 0
        engine = Engine(tournament)
    else:
        start, data = snapshot
        try:
            engine = Engine.from_export(tournament, data)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise RecoveryError(f"cannot load the snapshot at seq {start} from {store.name}: {exc}") from exc
        if engine.seq != start:
            raise RecoveryError(f"the snapshot stored at seq {start} holds seq {engine.seq} ({store.name})")

    for seq, time, cmd, events in store.journal_after(start):
        try:
            outcome = engine.apply(cmd, time)
        except Exception as exc:  # an engine bug surfaces here, on data the live run accepted
            raise RecoveryError(f"replaying command {seq} failed ({store.name}): {exc!r}") from exc
        if not isinstance(outcome, Applied):
            refusal = f"{outcome.code} {outcome.reason}"
            raise RecoveryError(f"journaled command {seq} was refused on replay ({store.name}): {refusal}")
        if outcome.seq != seq:
            raise RecoveryError(f"journaled command {seq} replayed as seq {outcome.seq} ({store.name})")
        if verify_events:
            _check_events(seq, outcome.events, events, store.name)

    if _apply_token_changes(store, engine):
        # Pin the new hashes in a snapshot, so a later replay from here starts with them.
        store.save_snapshot(engine.seq, engine.export())
    check_balances(engine.balances(), store.account_totals(), store.ledger_sums(), store.name)
    return engine


def _check_events(seq: int, replayed: list[Event], journaled: list[Event], where: str) -> None:
    # Compare encoded bytes: a decoded Reply may hold lists where the engine built tuples, but both
    # encode alike, and the bytes are exactly what the renderer will read back for RESYNC.
    encode = codec.encode
    if encode(replayed) == encode(journaled):
        return
    for i, (a, b) in enumerate(zip(replayed, journaled, strict=False)):
        if encode(a) != encode(b):
            raise RecoveryError(
                f"command {seq} replayed with different events ({where}): event {i} is {_short(a)}, "
                f"journaled {_short(b)}"
            )
    raise RecoveryError(
        f"command {seq} replayed with {len(replayed)} events, journaled {len(journaled)} ({where})"
    )


def _short(ev: Event, limit: int = 160) -> str:
    text = repr(ev)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _apply_token_changes(store: Store, engine: Engine) -> bool:
    """Tokens replaced with `avex token` (server stopped) live only in the teams table: give them to the
    engine, whose login index the journal alone would leave at the old hash. Returns whether any changed."""
    changed = False
    for team, stored in store.token_hashes().items():
        acct = engine.account(team)
        if acct is None or acct.token_hash == stored:
            continue
        engine.by_token.pop(acct.token_hash, None)
        engine.by_token_set(acct, stored)
        changed = True
    return changed


def check_balances(
    engine_balances: dict[tuple[str, str], int],
    account_totals: dict[tuple[str, str], int],
    ledger_sums: dict[tuple[str, str], int],
    where: str,
) -> None:
    """Every (team, asset) with a non-zero value in any of the three must have the same value in all."""
    keys = set(engine_balances) | set(account_totals) | set(ledger_sums)
    for team, asset in sorted(keys):
        key = (team, asset)
        e, a, s = engine_balances.get(key, 0), account_totals.get(key, 0), ledger_sums.get(key, 0)
        if e == a == s:
            continue
        show = fmt2 if asset == "CASH" else str
        raise RecoveryError(
            f"ledger check failed ({where}): team {team} asset {asset}: engine balance {show(e)}, "
            f"account total {show(a)}, ledger sum {show(s)}"
        )
