"""The store (SQLite): batch writes, derived tables, journal decoding, snapshots, recovery, the reader.

``StoreContract`` holds the backend-independent tests; ``tests/integration/test_store_postgres.py`` runs
the same class against PostgreSQL. Tests that need an empty store take the ``store`` fixture; ``reopen()``
opens the same database again (a restart).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, func, select, update

from avex.config import builtin_tournament, canonical_json, tournament_hash
from avex.domain.catalogue import (
    HOUSE,
    MarketSettings,
    Product,
    ProductionSettings,
    Species,
    TeamSpec,
    Tournament,
    token_hash,
)
from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.engine import Engine
from avex.engine.outcome import Applied
from avex.render import render_team_stream
from avex.store import RecoveryError, Store, StoreError, codec, open_store, schema
from avex.store.backend.db import WRITE
from avex.store.recovery import recover
from avex.store.writer import derive_rows

T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in epoch µs
S = 1_000_000


# --- tournaments -------------------------------------------------------------------------------------------
def small_tournament() -> Tournament:
    """Two products, two species, two players and an admin (small enough to reason about by hand)."""
    return Tournament(
        products=(Product("GUACA", 1000), Product("SEBO", 2000)),
        species=(Species("Avo", "GUACA"), Species("Seb", "SEBO")),
        teams=(
            TeamSpec("alpha", "TK-alpha-token", 100_000, "Avo", {"GUACA": 10}),
            TeamSpec("beta", "TK-beta-token", 50_000, "Seb", {"SEBO": 5}),
            TeamSpec("admin", "TK-admin-token", 0, admin=True),
        ),
        market=MarketSettings(offer_ttl_s=60),
        production=ProductionSettings(cooldown_s=0),
    )


def init_store(store: Store, t: Tournament, time: int = T0) -> Engine:
    """A new database for ``t`` and the matching fresh engine."""
    engine = Engine(t)
    store.init(canonical_json(t), tournament_hash(t), engine.genesis_events(), time)
    return engine


def without_totals(f: E.Event) -> E.Event:
    """A Fill as the fills table gives it back: its totals after the fill live in the ledger rows."""
    return msgspec.structs.replace(f, buy_cash=0, buy_goods=0, sell_goods=0, sell_cash=0)  # type: ignore[type-var]


# --- a hand-made batch (every event kind the writer derives rows from) --------------------------------------
def hand_batch() -> list[Applied]:
    t = T0
    f = E.Fill(
        "F-2-1", "GUACA", 3, 1000, "beta", "b1", "alpha", "a1", "hi", "", 0, 3, 1, 4, "BUY", "BOOK",
        47_000, 3, 7, 103_000,  # the trade's ledger rows: totals after the fill
    )
    return [
        Applied(1, t, C.PlaceOrder("alpha", "a1", "SELL", "LIMIT", "GUACA", 4, 1000), [
            E.OrderAccepted("alpha", "a1", "SELL", "LIMIT", "GUACA", 4, 1000, "", None),
            E.InventoryChanged.of("alpha", [10, 0], [6, 0]),
        ]),
        Applied(2, t + 1, C.PlaceOrder("beta", "b1", "BUY", "LIMIT", "GUACA", 3, 1100, message="hi"), [
            E.OrderAccepted("beta", "b1", "BUY", "LIMIT", "GUACA", 3, 1100, "hi", None),
            f,
            E.BalanceChanged("beta", 47_000, 0),
            E.BalanceChanged("alpha", 103_000, 0),
            E.InventoryChanged.of("beta", [3, 5], [3, 5]),
            E.InventoryChanged.of("alpha", [7, 0], [6, 0]),
        ]),
        Applied(3, t + 2, C.CancelOrder("alpha", "a1"), [
            E.OrderCancelled("alpha", "a1", "USER", "GUACA", "SELL", 3, 1),
            E.InventoryChanged.of("alpha", [7, 0], [7, 0]),
        ]),
        Applied(4, t + 3, C.PlaceOrder("beta", "b2", "BUY", "LIMIT", "SEBO", 100, 2000), [
            E.OrderRejected(
                "beta", "b2", "BUY", "LIMIT", "SEBO", 100, 2000, "", None, "INVALID_ORDER",
                "Insufficient balance: need 2000.00, available 470.00",
            ),
        ]),
        Applied(5, t + 4, C.PlaceOrder("alpha", "a2", "BUY", "LIMIT", "SEBO", 2, 1900), [
            E.OrderAccepted("alpha", "a2", "BUY", "LIMIT", "SEBO", 2, 1900, "", None),
            E.BalanceChanged("alpha", 103_000, 3800),
            E.OfferCreated("O-5", "alpha", "a2", "SEBO", 2, 1900, t + 4 + 60 * S, 60_000, ["beta"]),
        ]),
        Applied(6, t + 5, C.Produce("beta", "SEBO", 2), [
            E.Produced("beta", "SEBO", 2, {}),
            E.Ledger("beta", "SEBO", 2, 7, "PRODUCTION_OUTPUT", "6"),
            E.InventoryChanged.of("beta", [3, 7], [3, 7]),
        ]),
        Applied(7, t + 6, C.SeedTeams("admin", [C.SeedTeam("gamma", "h-gamma", "Avo", 10_000)]), [
            E.TeamCreated("gamma", "h-gamma", "Avo", False, "", 10_000, {}),
            E.Ledger("gamma", "CASH", 10_000, 10_000, "INITIAL", "7"),
            E.Reply("TEAMS_SEEDED", {"success": True, "teamsCreated": 1, "errors": []}),
        ]),
        Applied(8, t + 7, C.UpdateMembers("admin", "gamma", "Ana, Luis"), [
            E.TeamChanged("gamma", "Ana, Luis", 10_000, {}),
            E.Reply("TEAM_MEMBERS_UPDATED", {"success": True, "message": "Team gamma members updated"}),
        ]),
        Applied(9, t + 8, C.AdminCreateOrder("admin", "beta", "SELL", "LIMIT", "GUACA", 99, 5000), [
            E.OrderRejected(
                "beta", "ADMIN-9", "SELL", "LIMIT", "GUACA", 99, 5000, "Admin order", None,
                "INSUFFICIENT_INVENTORY", "Insufficient inventory for GUACA: need 99, available 3",
            ),
        ]),
    ]


# --- a random workload driven through a real engine --------------------------------------------------------
def workload(engine: Engine, t: Tournament, n: int, seed: int, start: int = T0) -> Iterator[Applied]:
    """About ``n`` commands a classroom might send (orders, cancels, offers, productions, admin edits,
    expiries), applied to ``engine``; yields what the engine applied, in order."""
    rng = random.Random(seed)
    players = [s for s in t.teams if not s.is_admin]
    admin = next(s.name for s in t.teams if s.is_admin)
    prices = {p.code: p.reference_price for p in t.products}
    codes = list(prices)
    placed: dict[str, list[str]] = {s.name: [] for s in players}
    offers: list[E.OfferCreated] = []
    now = start
    for i in range(n):
        now += rng.randrange(1, 400_000)
        for cmd in engine.due(now):
            out = engine.apply(cmd, now)
            if isinstance(out, Applied):
                yield out
        spec = rng.choice(players)
        team = spec.name
        r = rng.random()
        if r < 0.08 and placed[team]:
            cmd: C.Command = C.CancelOrder(team, rng.choice(placed[team]))
        elif r < 0.13 and spec.species:
            cmd = C.Produce(team, t.species_named(spec.species).basic, rng.randint(1, 3))
        elif r < 0.18 and offers:
            offer = rng.choice(offers)
            taker = rng.choice([r for r in offer.recipients if r != HOUSE] or [team])
            cmd = C.AcceptOffer(taker, offer.offer_id, rng.randint(1, offer.qty))
        elif r < 0.2:
            cmd = C.AddInventory(admin, team, rng.choice(codes), rng.randint(1, 5))
        elif r < 0.21:
            cmd = C.UpdateMembers(admin, team, f"member {i}")
        else:
            product = rng.choice(codes)
            side = rng.choice(("BUY", "SELL"))
            mode = "MARKET" if rng.random() < 0.1 else "LIMIT"
            price = None if mode == "MARKET" else max(1, int(prices[product] * rng.uniform(0.9, 1.1)))
            expires = now + rng.randrange(1, 5) * S if rng.random() < 0.1 else None
            cl = f"c{i}"
            placed[team].append(cl)
            cmd = C.PlaceOrder(team, cl, side, mode, product, rng.randint(1, 6), price, expires, f"m{i % 3}")
        out = engine.apply(cmd, now)
        if isinstance(out, Applied):
            offers.extend(ev for ev in out.events if type(ev) is E.OfferCreated)
            yield out


def write_in_batches(store: Store, applied: list[Applied], size: int) -> None:
    for i in range(0, len(applied), size):
        store.write_batch(applied[i : i + size])


def table_rows(store: Store, table, *order_by) -> list[dict]:
    with store._engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table).order_by(*order_by))]


def execute(store: Store, stmt) -> None:
    with store._engine.execution_options(**WRITE).begin() as conn:
        conn.execute(stmt)


# --- the backend-independent tests -------------------------------------------------------------------------
class StoreContract:
    """Runs against any backend: subclasses provide the ``store`` and ``reopen`` fixtures."""

    store: Store

    def test_migrated_schema_matches_schema_module(self, store: Store) -> None:
        with store._engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), schema.metadata)
        assert diffs == []

    def test_new_database_is_empty(self, store: Store) -> None:
        assert store.meta() is None
        assert store.last_seq() == 0
        assert store.latest_snapshot() is None
        assert list(store.journal_after(0)) == []
        assert store.ledger_sums() == {} == store.account_totals()

    def test_init_writes_meta_teams_and_initial_ledger(self, store: Store) -> None:
        t = small_tournament()
        init_store(store, t)
        assert store.meta() == (canonical_json(t), tournament_hash(t))
        assert store.token_hashes() == {
            "alpha": token_hash("TK-alpha-token"), "beta": token_hash("TK-beta-token"),
            "admin": token_hash("TK-admin-token"),
        }
        expected = {("alpha", "CASH"): 100_000, ("alpha", "GUACA"): 10, ("beta", "CASH"): 50_000,
                    ("beta", "SEBO"): 5}
        assert store.ledger_sums() == expected == store.account_totals()
        rows = store.reader().ledger()
        assert {(r.seq, r.reason, r.time) for r in rows} == {(0, "INITIAL", T0)}
        teams = {r.name: r for r in store.reader().teams()}
        assert teams["alpha"].initial_inventory == {"GUACA": 10}
        assert teams["admin"].admin and not teams["alpha"].admin
        assert teams["beta"].species == "Seb" and teams["beta"].created_seq == 0

    def test_second_init_is_refused(self, store: Store) -> None:
        init_store(store, small_tournament())
        with pytest.raises(StoreError, match="already holds a tournament"):
            init_store(store, small_tournament())

    def test_journal_round_trip_decodes_the_original_structs(self, store: Store) -> None:
        init_store(store, small_tournament())
        batch = hand_batch()
        store.write_batch(batch)
        got = list(store.journal_after(0))
        assert got == [(a.seq, a.time, a.cmd, a.events) for a in batch]
        assert [s for s, *_ in store.journal_after(6)] == [7, 8, 9]
        assert store.last_seq() == 9

    def test_derived_tables(self, store: Store) -> None:
        init_store(store, small_tournament())
        batch = hand_batch()
        # Order a1 is created in the first batch and changed (filled, cancelled) by later ones: updates.
        store.write_batch(batch[:1])
        store.write_batch(batch[1:])
        reader = store.reader()
        orders = {(o.team, o.cl_ord_id): o for o in reader.orders()}
        a1 = orders["alpha", "a1"]
        assert (a1.status, a1.filled, a1.remaining, a1.reason) == ("CANCELLED", 3, 1, "USER")
        assert (a1.created_at, a1.updated_at, a1.seq) == (T0, T0 + 2, 1)
        b1 = orders["beta", "b1"]
        assert (b1.status, b1.filled, b1.message, b1.price, b1.origin) == ("FILLED", 3, "hi", 1100, "USER")
        b2 = orders["beta", "b2"]
        assert (b2.status, b2.filled, b2.reason) == (
            "REJECTED", 0, "Insufficient balance: need 2000.00, available 470.00",
        )
        assert orders["beta", "ADMIN-9"].origin == "ADMIN"
        assert orders["alpha", "a2"].status == "PENDING"
        assert [(o.team, o.cl_ord_id) for o in reader.orders()] == [
            ("alpha", "a1"), ("beta", "b1"), ("beta", "b2"), ("alpha", "a2"), ("beta", "ADMIN-9"),
        ]

        (fill,) = reader.fills()
        assert fill.to_event() == without_totals(batch[1].events[1])
        assert (fill.seq, fill.n, fill.executed_at) == (2, 0, T0 + 1)

        ledger = [r for r in reader.ledger() if r.seq > 0]
        assert [(r.seq, r.team, r.asset, r.delta, r.balance_after, r.reason, r.reference) for r in ledger] == [
            (2, "beta", "CASH", -3000, 47_000, "TRADE", "F-2-1"),
            (2, "beta", "GUACA", 3, 3, "TRADE", "F-2-1"),
            (2, "alpha", "GUACA", -3, 7, "TRADE", "F-2-1"),
            (2, "alpha", "CASH", 3000, 103_000, "TRADE", "F-2-1"),
            (6, "beta", "SEBO", 2, 7, "PRODUCTION_OUTPUT", "6"),
            (7, "gamma", "CASH", 10_000, 10_000, "INITIAL", "7"),
        ]
        assert store.account_totals() == store.ledger_sums() == {
            ("alpha", "CASH"): 103_000, ("alpha", "GUACA"): 7, ("beta", "CASH"): 47_000, ("beta", "GUACA"): 3,
            ("beta", "SEBO"): 7, ("gamma", "CASH"): 10_000,
        }

        (offer,) = table_rows(store, schema.offers)
        assert offer == {
            "offer_id": "O-5", "seq": 5, "buyer": "alpha", "buy_cl": "a2", "product": "SEBO", "qty": 2,
            "max_price": 1900, "expires_at": T0 + 4 + 60 * S, "ttl_ms": 60_000, "recipients": ["beta"],
            "team_only": False, "created_at": T0 + 4,
        }
        (prod,) = table_rows(store, schema.productions)
        assert (prod["seq"], prod["team"], prod["product"], prod["qty"], prod["inputs"]) == (6, "beta", "SEBO", 2, {})

        gamma = next(r for r in reader.teams() if r.name == "gamma")
        assert (gamma.members, gamma.initial_balance, gamma.created_seq) == ("Ana, Luis", 10_000, 7)
        assert store.token_hashes()["gamma"] == "h-gamma"

        # journal_team: the teams with team-scope frames (no row for a rejection, a seed or a reply).
        pairs = [(r["seq"], r["team"]) for r in table_rows(store, schema.journal_team, "seq", "team")]
        assert pairs == [(1, "alpha"), (2, "alpha"), (2, "beta"), (3, "alpha"), (5, "alpha"), (5, "beta"),
                         (6, "beta")]

    def test_order_created_and_changed_in_one_batch_is_inserted_in_its_final_state(self, store: Store) -> None:
        init_store(store, small_tournament())
        store.write_batch(hand_batch()[:3])
        (a1,) = store.reader().orders(team="alpha")
        assert (a1.status, a1.filled, a1.reason, a1.updated_at) == ("CANCELLED", 3, "USER", T0 + 2)

    def test_batch_out_of_sequence_is_refused(self, store: Store) -> None:
        init_store(store, small_tournament())
        batch = hand_batch()
        with pytest.raises(StoreError, match="expected seq 1, got 2"):
            store.write_batch(batch[1:3])
        store.write_batch(batch[:2])
        with pytest.raises(StoreError, match="expected seq 3, got 4"):
            store.write_batch([batch[3]])

    def test_a_failing_batch_leaves_nothing_behind(self, store: Store, reopen: Callable[[], Store]) -> None:
        init_store(store, small_tournament())
        batch = hand_batch()
        store.write_batch(batch[:1])
        before = store.account_totals()
        # Command 5 repeats command 2's fill id: the fills insert fails after the journal, journal_team and
        # orders rows of commands 2-5 went in, and before the ledger and accounts rows.
        bad = [batch[1], batch[2], batch[3], Applied(5, T0 + 4, batch[4].cmd, [batch[1].events[1]])]
        with pytest.raises(StoreError, match=r"cannot write commands 2-5 .*"):
            store.write_batch(bad)
        for s in (store, reopen()):
            assert s.last_seq() == 1
            assert [(o.cl_ord_id, o.status) for o in s.reader().orders()] == [("a1", "PENDING")]
            assert s.reader().fills() == []
            assert s.account_totals() == before == s.ledger_sums()
            assert [seq for seq, *_ in s.journal_after(0)] == [1]
            assert s.reader().events_for_team("beta", 0, 10) == []
        self.check_writer_after_failure(store, reopen, batch[1:])

    def check_writer_after_failure(self, store: Store, reopen: Callable[[], Store], rest: list[Applied]) -> None:
        # The writer is still usable: the right batch goes in.
        store.write_batch(rest)
        assert store.last_seq() == 9

    def test_reopen_keeps_everything(self, store: Store, reopen: Callable[[], Store]) -> None:
        t = small_tournament()
        init_store(store, t)
        store.write_batch(hand_batch()[:4])
        store.save_snapshot(2, {"format": 1, "x": [1, 2]})
        again = reopen()
        assert again.meta() == (canonical_json(t), tournament_hash(t))
        assert again.last_seq() == 4
        assert again.latest_snapshot() == (2, {"format": 1, "x": [1, 2]})
        again.write_batch(hand_batch()[4:])  # continues at seq 5
        assert again.account_totals() == again.ledger_sums()

    def test_snapshots(self, store: Store) -> None:
        init_store(store, small_tournament())
        store.write_batch(hand_batch())
        data = {"format": 1, "seq": 3, "nested": {"a": [1, None, "x", True, 2**40]}, "ints": {1: 2}}
        store.save_snapshot(3, data)
        assert store.latest_snapshot() == (3, data)
        with pytest.raises(StoreError, match="ahead of the committed journal"):
            store.save_snapshot(10, data)
        for seq in (4, 5, 6, 7):
            store.save_snapshot(seq, {"seq": seq})
        assert store.latest_snapshot() == (7, {"seq": 7})
        assert [r["seq"] for r in table_rows(store, schema.snapshots, "seq")] == [5, 6, 7]  # the newest 3
        store.save_snapshot(7, {"seq": 7, "again": True})  # same seq: replaced
        assert store.latest_snapshot() == (7, {"seq": 7, "again": True})

    def test_tokens(self, store: Store) -> None:
        init_store(store, small_tournament())
        store.set_token_hash("alpha", "new-hash")
        assert store.token_hashes()["alpha"] == "new-hash"
        with pytest.raises(StoreError, match="no team named 'nobody'"):
            store.set_token_hash("nobody", "x")
        with pytest.raises(StoreError, match="already used by another team"):
            store.set_token_hash("beta", "new-hash")
        assert store.token_hashes()["beta"] == token_hash("TK-beta-token")

    def test_sessions(self, store: Store) -> None:
        sid = store.open_session("alpha", "10.0.0.1", "Mozilla", "WEB", T0)
        sid2 = store.open_session("beta", "10.0.0.2", None, "TCP", T0 + 10)
        store.touch_sessions({sid: T0 + 5, sid2: T0 + 20})
        store.close_session(sid, T0 + 7, T0 + 6)
        rows = store.reader().sessions()
        assert [(r.team, r.user_agent, r.disconnected_at, r.last_activity) for r in rows] == [
            ("alpha", "Mozilla", T0 + 7, T0 + 6), ("beta", None, None, T0 + 20),
        ]
        assert store.close_open_sessions() == 1
        assert store.reader().sessions(since=T0 + 1)[0].disconnected_at == T0 + 20
        assert store.reader().sessions(until=T0 + 1)[0].team == "alpha"

    # --- the reader ---------------------------------------------------------------------------------------
    def test_reader_filters(self, store: Store) -> None:
        init_store(store, small_tournament())
        store.write_batch(hand_batch())
        r = store.reader()
        assert [o.cl_ord_id for o in r.orders(since=T0 + 1, until=T0 + 4)] == ["b1", "b2"]
        assert [o.cl_ord_id for o in r.orders(team="alpha")] == ["a1", "a2"]
        assert [o.cl_ord_id for o in r.orders(statuses=["PENDING"])] == ["a2"]
        assert [o.cl_ord_id for o in r.orders(upto_seq=2)] == ["a1", "b1"]
        assert [o.cl_ord_id for o in r.orders(limit=1)] == ["a1"]
        assert r.fills(since=T0 + 2) == [] and len(r.fills(until=T0 + 2)) == 1
        assert len(r.fills(team="alpha")) == 1 and r.fills(product="SEBO") == []
        assert r.fills(upto_seq=1) == []
        assert [x.seq for x in r.ledger(team="beta")] == [0, 0, 2, 2, 6]
        assert [x.seq for x in r.ledger(since=T0 + 5)] == [6, 7]
        assert [x.seq for x in r.ledger(upto_seq=0)] == [0, 0, 0, 0]
        # Historical: not open, newest updatedAt first, then higher seq.
        assert [o.cl_ord_id for o in r.historical_orders()] == ["ADMIN-9", "b2", "a1", "b1"]
        assert [o.cl_ord_id for o in r.historical_orders(limit=2, team="beta")] == ["ADMIN-9", "b2"]
        assert [o.cl_ord_id for o in r.historical_orders(upto_seq=3)] == ["a1", "b1"]

    def test_events_for_team(self, store: Store) -> None:
        init_store(store, small_tournament())
        batch = hand_batch()
        store.write_batch(batch)
        r = store.reader()
        got = r.events_for_team("alpha", 0, 10)
        assert [(s, t) for s, t, _ in got] == [(1, T0), (2, T0 + 1), (3, T0 + 2), (5, T0 + 4)]
        assert got[1][2] == batch[1].events
        assert [s for s, *_ in r.events_for_team("alpha", 1, 2)] == [2, 3]
        assert [s for s, *_ in r.events_for_team("alpha", 0, 10, upto_seq=3)] == [1, 2, 3]
        assert [s for s, *_ in r.events_for_team("beta", 2, 10)] == [5, 6]
        assert r.events_for_team("gamma", 0, 10) == []

    def test_fills_for_team_since_and_activity(self, store: Store) -> None:
        init_store(store, small_tournament())
        batch = hand_batch()
        store.write_batch(batch)
        r = store.reader()
        assert [f.fill_id for f in r.fills_for_team_since("alpha", T0)] == ["F-2-1"]
        assert r.fills_for_team_since("alpha", T0 + 1) == []  # strictly after
        assert r.fills_for_team_since("gamma", 0) == []
        acts = r.team_activity("beta")
        assert [(a.action, a.seq, a.product, a.qty, a.price, a.side, a.mode) for a in acts] == [
            ("ORDER", 9, "GUACA", 99, 5000, "SELL", "LIMIT"),
            ("PRODUCTION", 6, "SEBO", 2, None, None, None),
            ("ORDER", 4, "SEBO", 100, 2000, "BUY", "LIMIT"),
            ("FILL", 2, "GUACA", 3, 1000, "BUY", None),
            ("ORDER", 2, "GUACA", 3, 1100, "BUY", "LIMIT"),
        ]
        assert [a.action for a in r.team_activity("beta", limit=2)] == ["ORDER", "PRODUCTION"]
        assert [a.seq for a in r.team_activity("beta", upto_seq=4)] == [4, 2, 2]

    def test_reader_on_another_thread_while_the_writer_writes(self, store: Store) -> None:
        t = small_tournament()
        engine = init_store(store, t)
        applied = list(workload(engine, t, 600, seed=11))
        reader = store.reader()
        errors: list[BaseException] = []
        seen: list[int] = []
        done = threading.Event()

        def read() -> None:
            try:
                while not done.is_set():
                    got = reader.events_for_team("alpha", 0, 10_000)
                    seqs = [s for s, *_ in got]
                    assert seqs == sorted(seqs)
                    seen.append(len(seqs))
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=read)
        thread.start()
        try:
            write_in_batches(store, applied, 20)
        finally:
            done.set()
            thread.join()
        assert errors == []
        assert seen and seen == sorted(seen)  # the reader only ever saw the journal grow

    # --- with the real engine ------------------------------------------------------------------------------
    def test_engine_workload_tables_match_the_engine(self, store: Store) -> None:
        t = small_tournament()
        engine = init_store(store, t)
        applied = list(workload(engine, t, 600, seed=1))
        write_in_batches(store, applied, 37)
        assert store.last_seq() == engine.seq == applied[-1].seq
        assert store.account_totals() == store.ledger_sums() == engine.balances()
        # Journal decodes to what the engine emitted.
        assert list(store.journal_after(0)) == [(a.seq, a.time, a.cmd, a.events) for a in applied]
        # Orders: the open ones are exactly the engine's open orders, with the same fill state.
        stored = {(o.team, o.cl_ord_id): o for o in store.reader().orders()}
        live_open = {(o.acct.name, o.cl): o for o in engine.open_orders()}
        stored_open = {k for k, o in stored.items() if o.status in ("PENDING", "PARTIALLY_FILLED")}
        assert stored_open == set(live_open)
        for key, o in live_open.items():
            assert (stored[key].filled, stored[key].status, stored[key].seq) == (o.filled, o.status, o.seq)
        kinds = {type(ev) for a in applied for ev in a.events}
        assert {E.Fill, E.OrderCancelled, E.OrderRejected, E.OfferCreated, E.Produced} <= kinds
        # Fills table == every Fill event, in execution order.
        fills = [ev for a in applied for ev in a.events if type(ev) is E.Fill]
        assert [f.to_event() for f in store.reader().fills()] == [without_totals(f) for f in fills]

    def test_journal_team_matches_the_renderer(self, store: Store) -> None:
        t = small_tournament()
        engine = init_store(store, t)
        applied = list(workload(engine, t, 400, seed=2))
        write_in_batches(store, applied, 50)
        r = store.reader()
        for team in ("alpha", "beta", "admin"):
            expected = [a.seq for a in applied if render_team_stream(a, t.product_codes, team)]
            got = [s for s, *_ in r.events_for_team(team, 0, 10_000)]
            assert got == expected, team
            # Re-rendering the stored events gives the live frames.
            by_seq = {a.seq: a for a in applied}
            for seq, time, events in r.events_for_team(team, 0, 25):
                again = render_team_stream(Applied(seq, time, by_seq[seq].cmd, events), t.product_codes, team)
                assert again == render_team_stream(by_seq[seq], t.product_codes, team)
            fills = [f.to_event() for f in r.fills_for_team_since(team, 0)]
            assert fills == [
                without_totals(ev) for a in applied for ev in a.events
                if type(ev) is E.Fill and team in (ev.buy_team, ev.sell_team)
            ]

    def test_recover_replays_the_journal(self, store: Store, reopen: Callable[[], Store]) -> None:
        t = small_tournament()
        live = init_store(store, t)
        write_in_batches(store, list(workload(live, t, 500, seed=3)), 64)
        engine = recover(reopen(), t)
        assert engine.seq == live.seq
        assert engine.export() == live.export()

    def test_recover_from_a_snapshot(self, store: Store, reopen: Callable[[], Store]) -> None:
        t = builtin_tournament()
        live = init_store(store, t)
        first = list(workload(live, t, 300, seed=4))
        write_in_batches(store, first, 100)
        store.save_snapshot(live.seq, live.export())
        snap_seq = live.seq
        more = list(workload(live, t, 300, seed=5, start=first[-1].time))
        write_in_batches(store, more, 100)
        # Without the journal before the snapshot, only the snapshot can give that state.
        execute(store, delete(schema.journal).where(schema.journal.c.seq <= snap_seq))
        engine = recover(reopen(), t)
        assert engine.export() == live.export()
        # The recovered engine continues exactly as the live one.
        tail_live = list(workload(live, t, 100, seed=6, start=more[-1].time))
        tail_rec = list(workload(engine, t, 100, seed=6, start=more[-1].time))
        assert [(a.seq, a.events) for a in tail_rec] == [(a.seq, a.events) for a in tail_live]

    def test_recover_refuses_a_ledger_mismatch(self, store: Store, reopen: Callable[[], Store]) -> None:
        t = small_tournament()
        live = init_store(store, t)
        write_in_batches(store, list(workload(live, t, 200, seed=7)), 50)
        g = schema.ledger
        first_id = select(func.min(g.c.id)).where(g.c.team == "beta", g.c.asset == "CASH").scalar_subquery()
        execute(store, update(g).where(g.c.id == first_id).values(delta=g.c.delta + 150))
        cash = live.balances()[("beta", "CASH")]
        with pytest.raises(RecoveryError) as info:
            recover(reopen(), t)
        msg = str(info.value)
        assert msg == (
            f"ledger check failed ({store.name}): team beta asset CASH: engine balance {cash / 100:.2f}, "
            f"account total {cash / 100:.2f}, ledger sum {(cash + 150) / 100:.2f}"
        )
        assert "\n" not in msg

    def test_recover_refuses_an_account_mismatch(self, store: Store, reopen: Callable[[], Store]) -> None:
        t = small_tournament()
        live = init_store(store, t)
        write_in_batches(store, list(workload(live, t, 200, seed=8)), 50)
        a = schema.accounts
        execute(store, update(a).where(a.c.team == "alpha", a.c.asset == "GUACA").values(total=a.c.total + 1))
        goods = live.balances()[("alpha", "GUACA")]
        with pytest.raises(RecoveryError, match=(
            rf"team alpha asset GUACA: engine balance {goods}, account total {goods + 1}, ledger sum {goods}$"
        )):
            recover(reopen(), t)

    def test_recover_refuses_a_journal_the_engine_does_not_reproduce(
        self, store: Store, reopen: Callable[[], Store]
    ) -> None:
        t = small_tournament()
        live = init_store(store, t)
        applied = list(workload(live, t, 100, seed=9))
        write_in_batches(store, applied, 50)
        j = schema.journal
        # Store command 6's events as command 5's: the replay must notice.
        execute(store, update(j).where(j.c.seq == 5).values(events=codec.encode(applied[5].events)))
        with pytest.raises(RecoveryError, match=r"command 5 replayed with different events"):
            recover(reopen(), t)

    def test_recover_applies_tokens_set_in_the_database(
        self, store: Store, reopen: Callable[[], Store]
    ) -> None:
        t = small_tournament()
        live = init_store(store, t)
        write_in_batches(store, list(workload(live, t, 50, seed=10)), 50)
        store.set_token_hash("alpha", token_hash("TK-new-alpha"))
        engine = recover(reopen(), t)
        assert engine.login(token_hash("TK-new-alpha")).name == "alpha"
        assert engine.login(token_hash("TK-alpha-token")) is None
        # Pinned in a snapshot at the current seq, so the next recovery starts with the new token.
        assert store.latest_snapshot()[0] == engine.seq
        assert recover(reopen(), t).login(token_hash("TK-new-alpha")).name == "alpha"


# --- SQLite ------------------------------------------------------------------------------------------------
class TestSqliteStore(StoreContract):
    @pytest.fixture
    def db_path(self, tmp_path: Path) -> Path:
        return tmp_path / "avex.db"

    @pytest.fixture
    def store(self, db_path: Path) -> Iterator[Store]:
        s = open_store(str(db_path))
        yield s
        s.close()

    @pytest.fixture
    def reopen(self, db_path: Path) -> Iterator[Callable[[], Store]]:
        opened: list[Store] = []

        def again() -> Store:
            opened.append(open_store(str(db_path)))
            return opened[-1]

        yield again
        for s in opened:
            s.close()


class TestSqliteStoreThroughCommitProcess(TestSqliteStore):
    """The same contract with every batch committed by the SQLite commit process, as ``avex serve`` does."""

    @pytest.fixture
    def store(self, db_path: Path) -> Iterator[Store]:
        s = open_store(str(db_path))
        s.start_commit_process()

        async def commit(batch: list[Applied]) -> None:
            await s.submit_prepared(s.prepare_batch(batch))

        def write_batch(batch: list[Applied]) -> None:
            if batch:
                asyncio.run(commit(batch))

        s.write_batch = write_batch  # type: ignore[method-assign]
        yield s
        s.close()

    def check_writer_after_failure(self, store: Store, reopen: Callable[[], Store], rest: list[Applied]) -> None:
        # The commit process takes nothing more after a failed batch (the server stops on the first failure:
        # a later batch alone would leave a gap); a restarted server's store goes on from the last commit.
        with pytest.raises(StoreError, match="an earlier batch failed: IntegrityError"):
            store.write_batch(rest)
        again = reopen()
        again.write_batch(rest)
        assert again.last_seq() == 9


def test_sqlite_connections_use_wal_and_full_sync(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "x.db"))
    try:
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.close()
    assert store.dialect == "sqlite"


def test_open_relative_path_creates_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    open_store("avex.db").close()
    assert (tmp_path / "avex.db").is_file()
    with sqlite3.connect(tmp_path / "avex.db") as conn:
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == "0001"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing/dir/avex.db", "directory .*missing/dir does not exist"),
        ("garbage.db", "file is not a database"),
        ("adir", "it is a directory"),
    ],
)
def test_open_failures_are_one_clear_line(tmp_path: Path, target: str, message: str) -> None:
    (tmp_path / "garbage.db").write_bytes(b"this is not sqlite" * 100)
    (tmp_path / "adir").mkdir()
    with pytest.raises(StoreError, match=message) as info:
        open_store(str(tmp_path / target))
    assert "\n" not in str(info.value)
    assert str(tmp_path / target) in str(info.value)


def test_open_refuses_unsupported_targets() -> None:
    with pytest.raises(StoreError, match="not :memory:"):
        open_store(":memory:")
    with pytest.raises(StoreError, match="unsupported database mysql://u:\\*\\*\\*@h/db"):
        open_store("mysql://u:secret@h/db")


def test_unreachable_postgresql_is_one_clear_line() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql://avex:secret@127.0.0.1:1/nowhere?connect_timeout=2")
    msg = str(info.value)
    assert msg.startswith("cannot open the database postgresql+psycopg://avex:***@127.0.0.1:1/nowhere")
    assert "secret" not in msg and "\n" not in msg


def test_derive_rows_uses_one_row_per_order_and_account() -> None:
    rows = derive_rows(hand_batch())
    assert len(rows.journal) == 9
    assert {(r["team"], r["cl_ord_id"]) for r in rows.orders_new} == {
        ("alpha", "a1"), ("beta", "b1"), ("beta", "b2"), ("alpha", "a2"), ("beta", "ADMIN-9"),
    }
    assert rows.orders_changed == [] and rows.teams_changed == []
    assert len(rows.accounts) == len({(r["team"], r["asset"]) for r in rows.ledger})
    assert rows.teams_new[0]["members"] == "Ana, Luis"  # created and changed in one batch: final state


def test_batches_submitted_to_the_writer_thread_stop_at_the_first_failure(tmp_path: Path) -> None:
    """Without the commit process (PostgreSQL, or tools) ``submit_prepared`` commits on one writer thread, in
    order, and refuses every batch after a failed one."""
    store = open_store(str(tmp_path / "w.db"))
    try:
        init_store(store, small_tournament())
        batch = hand_batch()
        fill = batch[1].events[1]
        bad = [batch[0], Applied(2, T0 + 1, batch[1].cmd, [fill, fill])]  # one fill id twice

        async def run() -> None:
            with pytest.raises(StoreError, match=r"cannot write commands 1-2 \(.*\): .*UNIQUE"):
                await store.submit_prepared(store.prepare_batch(bad))
            with pytest.raises(StoreError, match=r"cannot write commands 1-1 \(.*\): an earlier batch failed"):
                await store.submit_prepared(store.prepare_batch(batch[:1]))

        asyncio.run(run())
        assert store.last_seq() == 0
    finally:
        store.close()
