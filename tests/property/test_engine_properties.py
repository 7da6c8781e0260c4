"""Property tests of the engine (ARCHITECTURE.md "Why this shape"): a hypothesis state machine drives random
teams through orders that cross, cancels, expiries, offers, production and referee commands, and after every
step checks the invariants:

* the TRADE ledger rows of every fill sum to 0 per asset; for each asset, Σ balances (teams + house) = Σ of the
  INITIAL, PRODUCTION_*, ADMIN_* and *_RESET rows; every account's totals equal the sum of its ledger deltas
  (and every row's ``balance_after`` is that running sum);
* teams never go negative (the house's goods may); reserved cash = Σ limit × remaining of resting BUYs and
  reserved goods = Σ remaining of resting SELLs; open-order counts match the books;
* books are never crossed, levels are in price order and FIFO by seq; no open order is past its expiry;
* seq is gap-free, refusals change nothing; one BalanceChanged / InventoryChanged per team and command,
  exactly when its cash / goods changed (always for the teams a reset lists), carrying the new values;
* book fills trade at the resting order's price; offers go to exactly the eligible teams;
* an engine rebuilt from an export (through msgpack) at a random point gives the same outcome as the
  uninterrupted one for every later command.

Run longer with ``HYPOTHESIS_PROFILE=soak``.
"""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from avex.domain.catalogue import (
    MarketSettings,
    Product,
    ProductionSettings,
    Role,
    Species,
    TeamSpec,
    Tournament,
    token_hash,
)
from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.engine import Engine
from avex.engine.ledger import ledger_rows
from avex.engine.outcome import Applied, Refused
from avex.engine.state import OPEN_STATUSES, Order

S = 1_000_000
T0 = 1_800_000_000_000_000
ADMIN = "admin"

PRODUCTS = (
    Product("GUACA", 1530),
    Product("FOSFO", 1250),
    Product("PITA", 875),
    Product("SEBO", 1890),
    Product("DUST", 300, tradable=False),
)
CODES = tuple(p.code for p in PRODUCTS)
TRADABLE = tuple(p.code for p in PRODUCTS if p.tradable)
SPECIES = (
    Species("Monjes", "FOSFO", {"GUACA": {"PITA": 2}}),
    Species("Cosechadores", "PITA", {"SEBO": {"FOSFO": 1}, "DUST": {"GUACA": 1, "SEBO": 1}}),
)
SPECIES_NAMES = (None, "Monjes", "Cosechadores", "Martians")
SMALL_ROLE = Role(1, 2, Decimal(1), Decimal(0), Decimal(3), Decimal(2))  # 15 basic, 20 premium
PRICES = (1000, 900, 950, 999, 1000, 1001, 1050, 1100, 1000, 1200)
DEBUG = (None, None, None, None, "AUTO_ACCEPT", "TEAM_ONLY", "OTHER")
ACTIONS = (
    ["order"] * 20 + ["cancel"] * 5 + ["accept"] * 6 + ["advance"] * 6 + ["produce"] * 4 + ["admin_order"] * 3
    + ["admin_edit"] * 3 + ["control"] * 2 + ["fork"] * 2 + ["cancel_all", "reset", "seed"]
)


def build_tournament(debug: bool, ttl: int, cap: int, per_batch: bool, cooldown: int) -> Tournament:
    teams = (
        TeamSpec("Ana", "TK-ANA", 30000, "Monjes", {"GUACA": 40, "FOSFO": 10, "PITA": 10}, SMALL_ROLE),
        TeamSpec("Bo", "TK-BO", 50000, "Cosechadores", {"GUACA": 30, "FOSFO": 30, "SEBO": 10}),
        TeamSpec("Cy", "TK-CY", 20000, None, {"GUACA": 25, "FOSFO": 25, "PITA": 15}),
        TeamSpec("Di", "TK-DI", 6000, "Monjes"),
        TeamSpec("admin", "TK-ADMIN", 40000, None, {"GUACA": 10, "SEBO": 3}),
    )
    market = MarketSettings(
        ticker_interval_s=Decimal(0), offer_ttl_s=ttl, max_open_orders_per_team=cap, debug_mode=debug,
        mark_window_s=Decimal(120),
    )
    production = ProductionSettings(Decimal(cooldown), "per_batch" if per_batch else "per_unit")
    return Tournament(PRODUCTS, SPECIES, teams, market, production)


def freeze(eng: Engine) -> Any:
    return msgspec.msgpack.decode(msgspec.msgpack.encode(eng.export()))


def fingerprint(eng: Engine) -> Any:
    """Everything that can influence future events, read from the engine's objects (not through export)."""
    accounts = [
        (a.name, a.token_hash, a.species.name if a.species else None, a.admin, a.house, a.members, a.role,
         a.initial_balance, tuple(a.initial_inventory), a.cash, a.cash_reserved, tuple(a.goods),
         tuple(a.goods_reserved), a.last_production, a.open_orders, a.authorized, a.max_basic, a.max_premium,
         sorted((cl, o if isinstance(o, str) else (o.seq, o.status, o.filled)) for cl, o in a.orders.items()))
        for a in eng.accounts.values()
    ]
    books = [
        (code, [(o.seq, o.acct.name, o.cl, o.price, o.qty, o.filled, o.expires_at, o.message, o.origin)
                for o in b.bid_orders() + b.ask_orders()])
        for code, b in eng.books.items()
    ]
    offers = sorted(
        (f.offer_id, f.order.seq, f.order.status, f.qty, f.max_price if f.order.status in OPEN_STATUSES else None,
         f.expires_at, f.recipients, f.team_only)
        for f in eng.offers.values()
    )
    stats = [
        (code, s.last_price, tuple(s.vol), tuple(s.marks), s.vol_sum, s.mark_pq, s.mark_q)
        for code, s in eng.stats.items()
    ]
    return (eng.seq, eng.now, eng.state, eng.ends_at, eng.next_deadline(), accounts, books, offers,
            sorted(eng.offer_queue), stats, eng.stats_since_seq)


def account_state(eng: Engine) -> dict[str, tuple[int, int, tuple[int, ...], tuple[int, ...]]]:
    return {
        a.name: (a.cash, a.cash_reserved, tuple(a.goods), tuple(a.goods_reserved)) for a in eng.accounts.values()
    }


class EngineMachine(RuleBasedStateMachine):
    eng: Engine
    shadow: Engine | None

    # ------------------------------------------------------------------------------------------------
    # set-up and the driver loop
    @initialize(
        debug=st.booleans(),
        ttl=st.sampled_from([0, 5, 300]),
        cap=st.sampled_from([0, 3, 1000]),
        per_batch=st.booleans(),
        cooldown=st.sampled_from([0, 5, 30]),
    )
    def setup(self, debug: bool, ttl: int, cap: int, per_batch: bool, cooldown: int) -> None:
        self.eng = Engine(build_tournament(debug, ttl, cap, per_batch, cooldown))
        self.eng.now = T0
        self.now = T0
        self.shadow = None
        self.n = 0
        self.offer_ids: list[str] = []
        self.prices: dict[tuple[str, str], int | None] = {}
        self.ledger: dict[tuple[str, str], int] = defaultdict(int)
        self.external: dict[str, int] = defaultdict(int)
        self.trades: dict[str, list[tuple[int, int, int]]] = defaultdict(list)  # since the last reset
        for ev in self.eng.genesis_events():
            if isinstance(ev, E.Ledger):
                self._book_ledger(ev)

    def _cl(self) -> str:
        self.n += 1
        return f"c{self.n}"

    def _teams(self) -> list[str]:
        return [a.name for a in self.eng.teams()]

    def _tick(self) -> None:
        """What the driver does at a time: apply due expiries and the end, in order."""
        ticks = self.eng.due(self.now)
        if self.shadow is not None:
            assert self.shadow.due(self.now) == ticks
        last: tuple[int, int] | None = None
        for i, tick in enumerate(ticks):
            if isinstance(tick, C.ExpireOrder):
                order = self.eng.accounts[tick.team].orders[tick.cl]
                assert isinstance(order, Order) and order.expires_at is not None
                assert order.expires_at <= self.now
                key = (order.expires_at, order.seq)
                assert last is None or key > last, "expiries come by expiresAt, then seq"
                last = key
            else:
                assert isinstance(tick, C.ScheduledEnd) and i == len(ticks) - 1, "the end comes last"
            assert isinstance(self._apply(tick), Applied)

    def _do(self, cmd: C.Command) -> Applied | Refused:
        self._tick()
        return self._apply(cmd)

    def _apply(self, cmd: C.Command) -> Applied | Refused:
        eng = self.eng
        before = account_state(eng)
        fp_before = fingerprint(eng)
        seq = eng.seq
        out = eng.apply(cmd, self.now)
        if self.shadow is not None:
            assert self.shadow.apply(cmd, self.now) == out, f"rebuilt engine diverged on {cmd!r}"
        if isinstance(out, Refused):
            assert eng.seq == seq, "a refusal takes no seq"
            after = fingerprint(eng)
            # only the clock moves (and an ACCEPT_OFFER may forget offers long expired)
            skip = {1, 7, 8} if isinstance(cmd, C.AcceptOffer) else {1}
            assert [x for i, x in enumerate(after) if i not in skip] == [
                x for i, x in enumerate(fp_before) if i not in skip
            ], "a refusal changes nothing"
            return out
        assert out.seq == seq + 1 == eng.seq, "seq is gap-free"
        assert out.time == self.now
        self._check_events(cmd, out, before)
        return out

    # ------------------------------------------------------------------------------------------------
    # per-command checks
    def _book_ledger(self, ev: E.Ledger) -> None:
        key = (ev.team, ev.asset)
        self.ledger[key] += ev.delta
        assert ev.balance_after == self.ledger[key], f"balance_after of {ev!r}"
        if ev.reason != "TRADE":
            assert ev.reason in {
                "INITIAL", "PRODUCTION_INPUT", "PRODUCTION_OUTPUT", "ADMIN_ADD", "ADMIN_UPDATE", "ADMIN_RESET",
                "TOURNAMENT_RESET",
            }
            self.external[ev.asset] += ev.delta

    def _check_events(self, cmd: C.Command, out: Applied, before: dict) -> None:
        eng = self.eng
        trade_rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        trade_count: dict[str, int] = defaultdict(int)
        fill_ids: list[str] = []
        bal: dict[str, E.BalanceChanged] = {}
        inv: dict[str, E.InventoryChanged] = {}
        for row in ledger_rows(out.events):
            self._book_ledger(row)
            if row.reason == "TRADE":
                trade_rows[row.ref][row.asset] += row.delta
                trade_count[row.ref] += 1
        for i, ev in enumerate(out.events):
            if isinstance(ev, E.Ledger):
                pass
            elif isinstance(ev, E.OrderAccepted):
                self.prices[(ev.team, ev.cl)] = ev.price
                assert (ev.price is None) == (ev.mode == "MARKET")
            elif isinstance(ev, E.Fill):
                fill_ids.append(ev.fill_id)
                assert ev.qty > 0 and ev.price > 0
                assert ev.buy_team != ev.sell_team, "self-trade"
                self._check_fill_price(cmd, ev)
                self.trades[ev.product].append((self.now, ev.price, ev.qty))
            elif isinstance(ev, E.StatsReset):
                self.trades.clear()
            elif isinstance(ev, E.OfferCreated):
                self.offer_ids.append(ev.offer_id)
                self._check_offer(ev)
            elif isinstance(ev, E.BalanceChanged):
                assert ev.team not in bal, "one BalanceChanged per team and command"
                bal[ev.team] = ev
            elif isinstance(ev, E.InventoryChanged):
                assert ev.team not in inv, "one InventoryChanged per team and command"
                inv[ev.team] = ev
            elif isinstance(ev, E.Reply):
                assert i == len(out.events) - 1, "the reply comes last"
        assert fill_ids == [f"F-{out.seq}-{k}" for k in range(1, len(fill_ids) + 1)]
        assert set(trade_rows) == set(fill_ids)
        for ref, sums in trade_rows.items():
            assert trade_count[ref] == 4
            assert all(v == 0 for v in sums.values()), f"TRADE rows of {ref} do not balance: {dict(sums)}"
        forced: set[str] = set()
        if isinstance(cmd, C.ResetTournament):
            forced = {c.team for c in cmd.configs if not eng.accounts[c.team].admin}
        for acct in eng.teams():
            old_cash, old_cres, old_goods, old_gres = before.get(acct.name, (None, None, None, None))
            cash_changed = (acct.cash, acct.cash_reserved) != (old_cash, old_cres)
            goods_changed = (tuple(acct.goods), tuple(acct.goods_reserved)) != (old_goods, old_gres)
            if acct.name not in before:  # seeded in this command: no update needed
                continue
            assert (acct.name in bal) == (cash_changed or acct.name in forced), f"BalanceChanged for {acct.name}"
            assert (acct.name in inv) == (goods_changed or acct.name in forced), f"InventoryChanged {acct.name}"
            if acct.name in bal:
                assert (bal[acct.name].total, bal[acct.name].reserved) == (acct.cash, acct.cash_reserved)
            if acct.name in inv:
                assert inv[acct.name].totals == acct.goods
                assert inv[acct.name].available == [g - r for g, r in zip(acct.goods, acct.goods_reserved)]

    def _model_mark(self, product: str) -> int:
        """GAME.md §9, computed independently: the half-even VWAP of the window, else the last price, else the
        reference price."""
        trades = self.trades[product]
        window = [(p, q) for t, p, q in trades if t > self.now - self.eng.mark_window_us]
        if window:
            total = sum(q for _, q in window)
            mark = Fraction(sum(p * q for p, q in window), total)
            return round(mark)  # Python rounds a Fraction half-even
        if trades:
            return trades[-1][1]
        return self.eng.products[product].reference_price

    def _check_fill_price(self, cmd: C.Command, f: E.Fill) -> None:
        buy_price = self.prices.get((f.buy_team, f.buy_cl))
        sell_price = self.prices.get((f.sell_team, f.sell_cl))
        if f.source == "BOOK":
            # the resting order's price; the incoming one's limit is never worse
            if f.aggressor == "BUY":
                assert f.price == sell_price
                assert buy_price is None or buy_price >= f.price
            else:
                assert f.price == buy_price
                assert sell_price is None or sell_price <= f.price
        elif f.source == "OFFER":
            assert buy_price is not None and f.price <= buy_price and f.sell_cl.startswith("OFFER-")
            assert isinstance(cmd, C.AcceptOffer)
        else:
            assert f.sell_team == "SERVER" and f.sell_cl == ""
            assert self.eng.debug_mode
            if isinstance(cmd, C.AcceptOffer):  # TEAM_ONLY: at the accepted price
                assert buy_price is not None and f.price <= buy_price
            elif buy_price is not None:  # AUTO_ACCEPT LIMIT: at the limit, for the whole remainder
                assert f.price == buy_price and f.buy_remaining == 0
            else:  # AUTO_ACCEPT MARKET: at the mark, while cash allows
                assert f.price == self._model_mark(f.product)
                buyer = self.eng.accounts[f.buy_team]
                assert f.buy_remaining == 0 or buyer.cash - buyer.cash_reserved < f.price

    def _check_offer(self, ev: E.OfferCreated) -> None:
        eng = self.eng
        i = eng.pidx[ev.product]
        if ev.team_only:
            assert eng.debug_mode and ev.recipients == [ev.buyer]
        else:
            eligible = [
                a.name for a in eng.teams()
                if a.name != ev.buyer and not a.admin and a.goods[i] - a.goods_reserved[i] >= 1
            ]
            assert ev.recipients == eligible
        assert ev.max_price == self.prices[(ev.buyer, ev.buy_cl)]
        assert ev.expires_at == self.now + ev.ttl_ms * 1000

    # ------------------------------------------------------------------------------------------------
    # the one rule: a weighted choice of actions (hypothesis picks rules uniformly; trading should dominate)
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        action = data.draw(st.sampled_from(ACTIONS))
        if action == "accept" and not self.offer_ids:
            action = "order"
        if self.eng.state != "OPEN" and data.draw(st.sampled_from([False, True])):
            action = "reopen"  # keep the market open most of the time, or little trades
        getattr(self, f"_{action}")(data)

    # time
    def _advance(self, data: st.DataObject) -> None:
        self.now += data.draw(st.sampled_from([1, S // 2, S, 3 * S, 6 * S, 20 * S, 130 * S, 400 * S]))
        self._tick()

    # team commands
    def _order(self, data: st.DataObject) -> None:
        team = data.draw(st.sampled_from(self._teams()))
        side = data.draw(st.sampled_from(["BUY", "SELL"]))
        mode = data.draw(st.sampled_from(["LIMIT", "LIMIT", "LIMIT", "MARKET"]))
        product = data.draw(st.sampled_from(TRADABLE[:2] * 3 + TRADABLE[2:]))
        qty = data.draw(st.integers(1, 8))
        price = data.draw(st.sampled_from(PRICES)) if mode == "LIMIT" else None
        expires = data.draw(st.sampled_from([None, None, None, None, None, 1, S, 2 * S, 10 * S, 0]))
        debug = data.draw(st.sampled_from(DEBUG))
        used = [cl for cl in self.eng.accounts[team].orders]
        if used and data.draw(st.sampled_from([False] * 19 + [True])):
            cl = data.draw(st.sampled_from(used))  # a duplicate
        else:
            cl = self._cl()
        out = self._do(C.PlaceOrder(team, cl, side, mode, product, qty, price,
                                    None if expires is None else self.now + expires, "m" if qty % 2 else "", debug))
        if isinstance(out, Refused):
            assert out.code in {"SERVICE_UNAVAILABLE", "DUPLICATE_ORDER_ID"} and out.cl == cl

    def _cancel(self, data: st.DataObject) -> None:
        team = data.draw(st.sampled_from(self._teams()))
        used = [*list(self.eng.accounts[team].orders), "nope"]
        cl = data.draw(st.sampled_from(used))
        admin = data.draw(st.sampled_from([False, False, False, True]))
        cmd: C.Command = C.AdminCancelOrder(ADMIN, team, cl) if admin else C.CancelOrder(team, cl)
        out = self._do(cmd)
        if isinstance(out, Applied):
            (cxl,) = [e for e in out.events if isinstance(e, E.OrderCancelled)]
            assert (cxl.team, cxl.cl, cxl.reason) == (team, cl, "ADMIN" if admin else "USER")

    def _accept(self, data: st.DataObject) -> None:
        offer_id = data.draw(st.sampled_from([*self.offer_ids[-6:], "OFF-0"]))
        offer = self.eng.offers.get(offer_id)
        pool = list(offer.recipients) if offer is not None and data.draw(st.integers(0, 5)) else self._teams()
        team = data.draw(st.sampled_from(pool))
        qty = data.draw(st.one_of(st.none(), st.integers(1, 6)))
        price = None
        if offer is not None and data.draw(st.booleans()):
            price = max(1, offer.max_price + data.draw(st.sampled_from([-100, -1, 0, 1])))
        out = self._do(C.AcceptOffer(team, offer_id, qty, price))
        if isinstance(out, Applied):
            assert offer is not None and team in offer.recipients
            (fill,) = [e for e in out.events if isinstance(e, E.Fill)]
            assert fill.buy_cl == offer.buy_cl and fill.source == ("HOUSE" if offer.team_only else "OFFER")
            assert fill.price == (offer.max_price if price is None else price)
            remaining_before = fill.buy_remaining + fill.qty
            assert fill.qty == (remaining_before if qty is None else min(qty, remaining_before))

    def _produce(self, data: st.DataObject) -> None:
        team = data.draw(st.sampled_from(self._teams()))
        product = data.draw(st.sampled_from((*CODES, "USD")))
        qty = data.draw(st.sampled_from([1, 2, 5, 15, 16, 20, 21, 113, 147, 148]))
        acct = self.eng.accounts[team]
        last = acct.last_production
        out = self._do(C.Produce(team, product, qty))
        cooling = last is not None and self.now < last + self.eng.cooldown_us
        if isinstance(out, Applied):
            assert product in acct.authorized and not cooling
            assert acct.last_production == self.now
            species = {sp.name: sp for sp in SPECIES}[acct.species.name]  # type: ignore[union-attr]
            recipe = species.premium.get(product, {})
            per = 1 if self.eng.per_batch else qty
            (produced,) = [e for e in out.events if isinstance(e, E.Produced)]
            assert produced.inputs == {ing: units * per for ing, units in recipe.items()}
            assert qty <= (acct.max_premium if recipe else acct.max_basic)
        elif out.reason.startswith("Production cooldown"):
            assert cooling

    # referee
    def _admin_edit(self, data: st.DataObject) -> None:
        team = data.draw(st.sampled_from([*self._teams(), "SERVER", "Ghost"]))
        kind = data.draw(st.sampled_from(["add", "update", "reset_bal", "reset_inv", "reset_prod", "members"]))
        cmd: C.Command
        if kind == "add":
            cmd = C.AddInventory(ADMIN, team, data.draw(st.sampled_from(CODES)), data.draw(st.integers(1, 20)))
        elif kind == "update":
            balance = data.draw(st.one_of(st.none(), st.integers(-1, 60000)))
            goods = data.draw(st.dictionaries(st.sampled_from(CODES), st.integers(-1, 30), max_size=2))
            cmd = C.UpdateTeam(ADMIN, team, balance, goods or None)
        elif kind == "reset_bal":
            cmd = C.ResetTeamBalance(ADMIN, team)
        elif kind == "reset_inv":
            cmd = C.ResetTeamInventory(ADMIN, team)
        elif kind == "reset_prod":
            cmd = C.ResetTeamProduction(ADMIN, team)
        else:
            cmd = C.UpdateMembers(ADMIN, team, "x")
        self._do(cmd)

    def _admin_order(self, data: st.DataObject) -> None:
        team = data.draw(st.sampled_from(self._teams()))
        side = data.draw(st.sampled_from(["BUY", "SELL"]))
        mode = data.draw(st.sampled_from(["LIMIT", "MARKET"]))
        price = data.draw(st.sampled_from(PRICES)) if mode == "LIMIT" else None
        self._do(C.AdminCreateOrder(ADMIN, team, side, mode, data.draw(st.sampled_from(TRADABLE)),
                                    data.draw(st.integers(1, 8)), price, debug=data.draw(st.sampled_from(DEBUG))))

    def _cancel_all(self, data: st.DataObject) -> None:
        admin = data.draw(st.sampled_from([ADMIN, ADMIN, ADMIN, "Ana"]))
        out = self._do(C.AdminCancelAll(admin))
        assert isinstance(out, Applied) == (admin == ADMIN)
        assert self.eng.open_orders() == [] or admin != ADMIN

    def _reopen(self, data: st.DataObject) -> None:
        out = self._do(C.TournamentControl(ADMIN, "OPEN"))
        assert isinstance(out, Applied) and self.eng.state == "OPEN"

    def _control(self, data: st.DataObject) -> None:
        action = data.draw(st.sampled_from(["OPEN", "OPEN", "OPEN", "PAUSE", "CLOSE"]))
        end = data.draw(st.sampled_from([None, None, "clear", 0, 2 * S, 30 * S, 600 * S]))
        cmd = C.TournamentControl(
            ADMIN, action, None if end is None or end == "clear" else self.now + int(end), end == "clear"
        )
        out = self._do(cmd)
        if isinstance(out, Applied):
            assert self.eng.state == {"OPEN": "OPEN", "PAUSE": "PAUSED", "CLOSE": "CLOSED"}[action]
            if action == "CLOSE":
                assert self.eng.open_orders() == [] and self.eng.ends_at is None

    def _reset(self, data: st.DataObject) -> None:
        names = data.draw(st.lists(st.sampled_from([*self._teams(), "Ghost"]), max_size=4))
        configs = [
            C.TeamConfig(n, data.draw(st.one_of(st.none(), st.dictionaries(
                st.sampled_from([*CODES, "USD"]), st.integers(-1, 25), max_size=3))))
            for n in names
        ]
        balance = data.draw(st.sampled_from([-1, 0, 10000, 40000]))
        out = self._do(C.ResetTournament(ADMIN, balance, configs))
        if isinstance(out, Applied):
            assert self.eng.open_orders() == [] and self.eng.offers == {}
            for c in configs:
                acct = self.eng.accounts[c.team]
                if not acct.admin:
                    assert acct.cash == acct.initial_balance == balance
                    assert acct.goods == acct.initial_inventory

    def _seed(self, data: st.DataObject) -> None:
        self.n += 1
        name = data.draw(st.sampled_from([f"S{self.n}", "Ana", "SERVER", ""]))
        entry = C.SeedTeam(
            name, token_hash(data.draw(st.sampled_from([f"TK-S{self.n}", "TK-ANA"]))),
            data.draw(st.sampled_from(SPECIES_NAMES)), data.draw(st.sampled_from([-1, 0, 5000])),
            data.draw(st.dictionaries(st.sampled_from([*CODES, "USD"]), st.integers(-1, 9), max_size=2)),
        )
        self._do(C.SeedTeams(ADMIN, [entry]))

    def _fork(self, data: st.DataObject) -> None:
        """Rebuild an engine from an export through msgpack; from now on it must follow the original."""
        data = freeze(self.eng)
        self.shadow = Engine.from_export(self.eng.t, data)
        assert freeze(self.shadow) == data

    # ------------------------------------------------------------------------------------------------
    # invariants
    @invariant()
    def ledger_matches_balances(self) -> None:
        totals: dict[str, int] = defaultdict(int)
        for acct in self.eng.accounts.values():
            assert self.ledger.get((acct.name, "CASH"), 0) == acct.cash, f"{acct.name} cash vs ledger"
            totals["CASH"] += acct.cash
            for code, qty in zip(CODES, acct.goods):
                assert self.ledger.get((acct.name, code), 0) == qty, f"{acct.name} {code} vs ledger"
                totals[code] += qty
        for asset in ("CASH", *CODES):
            assert totals[asset] == self.external[asset], f"Σ {asset} balances != Σ external ledger rows"

    @invariant()
    def nothing_negative_and_reservations_match_resting_orders(self) -> None:
        eng = self.eng
        cash_res: dict[str, int] = defaultdict(int)
        goods_res: dict[tuple[str, int], int] = defaultdict(int)
        open_count: dict[str, int] = defaultdict(int)
        on_book: set[int] = set()
        for book in eng.books.values():
            for o in book.bid_orders() + book.ask_orders():
                assert o.status in OPEN_STATUSES and 0 <= o.filled < o.qty and o.mode == "LIMIT"
                assert o.expires_at is None or o.expires_at > self.now, "an expired order is still resting"
                name = o.acct.name
                open_count[name] += 1
                on_book.add(id(o))
                assert o.acct.orders[o.cl] is o
                if o.is_buy:
                    cash_res[name] += o.price * (o.qty - o.filled)
                else:
                    goods_res[(name, o.pidx)] += o.qty - o.filled
        assert {id(o) for o in eng.open_orders()} == on_book, "open orders are exactly the resting ones"
        for acct in eng.accounts.values():
            if acct.house:
                assert acct.cash >= 0 and acct.cash_reserved == 0 and not any(acct.goods_reserved)
                continue
            assert acct.cash >= acct.cash_reserved == cash_res[acct.name] >= 0
            for i in range(len(CODES)):
                assert acct.goods[i] >= acct.goods_reserved[i] == goods_res[(acct.name, i)] >= 0
            assert acct.open_orders == open_count[acct.name]

    @invariant()
    def books_uncrossed_in_price_order_and_fifo(self) -> None:
        for book in self.eng.books.values():
            bids, asks = book.bid_orders(), book.ask_orders()
            if bids and asks:
                assert book.best_bid() < book.best_ask(), "crossed book"
            assert [o.price for o in bids] == sorted((o.price for o in bids), reverse=True)
            assert [o.price for o in asks] == sorted(o.price for o in asks)
            for orders in (bids, asks):
                for a, b in itertools.pairwise(orders):
                    if a.price == b.price:
                        assert a.seq < b.seq, "FIFO within a level"

    @invariant()
    def rebuilt_engine_is_in_the_same_state(self) -> None:
        if self.shadow is not None:
            assert fingerprint(self.shadow) == fingerprint(self.eng)

    def teardown(self) -> None:
        if getattr(self, "shadow", None) is not None:
            assert freeze(self.shadow) == freeze(self.eng)


_PROFILES = {
    "ci": settings(max_examples=200, stateful_step_count=50, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]),
    "soak": settings(max_examples=2000, stateful_step_count=100, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]),
    "quick": settings(max_examples=20, stateful_step_count=30, deadline=None),
}

TestEngineProperties = EngineMachine.TestCase
TestEngineProperties.settings = _PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "ci")]
