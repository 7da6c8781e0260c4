"""The engine: the single writer that owns all market state and applies one command at a time.

Pure and deterministic: no I/O, no clock reads, no randomness. Time comes in with each command
(``apply(cmd, now)``, epoch microseconds, stamped by the driver) and ids are derived from ``seq``. The same
commands at the same times give the same events, which is what replay, recovery and the property tests
rely on. A command either becomes ``Applied`` (it gets the next ``seq``; its events are journaled) or is
``Refused`` (nothing changed, no ``seq``).

Orders, matching, cancels and expiry (GAME.md §4, §6) live here; offers in ``offers``, production in
``production``, the referee's commands in ``admin_ops``, read-only views in ``queries``, export and
rebuild in ``snapshot``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from avex.domain.catalogue import HOUSE, Tournament, token_hash
from avex.domain.errors import (
    DUPLICATE_ORDER_ID,
    INSUFFICIENT_INVENTORY,
    INVALID_MESSAGE,
    INVALID_ORDER,
    INVALID_PRODUCT,
    SERVICE_UNAVAILABLE,
)
from avex.domain.money import fmt2
from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.admin_ops import AdminOps
from avex.engine.book import Book
from avex.engine.offers import OffersOps
from avex.engine.outcome import Applied, Refused
from avex.engine.production import ProductionOps
from avex.engine.queries import Queries
from avex.engine.snapshot import Snapshots
from avex.engine.state import (
    BUY,
    CANCELLED,
    CLOSED,
    FILLED,
    LIMIT,
    OPEN,
    OPEN_STATUSES,
    PARTIALLY_FILLED,
    PENDING,
    REJECTED,
    SELL,
    Account,
    IllegalTransition,
    Offer,
    Order,
    authorize,
    check_transition,
)
from avex.engine.stats import ProductStats

US = 1_000_000


def _us(seconds: Decimal | int) -> int:
    return int(Decimal(seconds) * US)


class Engine(OffersOps, ProductionOps, AdminOps, Queries, Snapshots):
    """All mutable market state of one tournament."""

    def __init__(self, tournament: Tournament) -> None:
        self.t = tournament
        self.codes: tuple[str, ...] = tournament.product_codes
        self.pidx: dict[str, int] = {code: i for i, code in enumerate(self.codes)}
        self.products = {p.code: p for p in tournament.products}
        self.books: dict[str, Book] = {p.code: Book(p.code) for p in tournament.products if p.tradable}
        m = tournament.market
        self.debug_mode = m.debug_mode
        self.offer_ttl_us = m.offer_ttl_s * US
        self.max_open = m.max_open_orders_per_team
        self.cooldown_us = _us(tournament.production.cooldown_s)
        self.per_batch = tournament.production.ingredients == "per_batch"
        self.mark_window_us = _us(m.mark_window_s)
        self.stats: dict[str, ProductStats] = {c: ProductStats(self.mark_window_us) for c in self.codes}

        self.seq = 0
        self.stats_since_seq = 0  # statistics (reports, marks) count fills after this seq (GAME.md §9)
        self.now = 0
        self.state = OPEN
        self.ends_at: int | None = None
        self.accounts: dict[str, Account] = {}
        self.by_token: dict[str, Account] = {}
        self.house = self._new_account(HOUSE)
        self.house.house = True
        self.offers: dict[str, Offer] = {}
        self.offer_queue: list[tuple[int, str]] = []  # (expires_at, offer_id), creation order
        self.offer_of_order: dict[int, str] = {}  # buy order seq -> its offer id
        self.expiry_heap: list[tuple[int, int, Order]] = []
        for spec in tournament.teams:
            self._create_team(
                spec.name, "", spec.species, spec.is_admin, spec.members, spec.balance, spec.inventory, spec.role
            )
            self.by_token_set(self.accounts[spec.name], token_hash(spec.token))

        # per-command scratch
        self._ev: list[E.Event] = []
        self._cash_before: dict[Account, tuple[int, int]] = {}
        self._goods_before: dict[tuple[Account, int], tuple[int, int]] = {}
        self._forced: set[Account] | None = None
        self._nfill = 0
        self._reply: E.Reply | None = None

        self._handlers: dict[type, Callable[[Any], Applied | Refused]] = {
            C.PlaceOrder: self._on_order,
            C.CancelOrder: self._on_cancel,
            C.AcceptOffer: self._on_accept_offer,
            C.Produce: self._on_produce,
            C.ExpireOrder: self._on_expire,
            C.ScheduledEnd: self._on_scheduled_end,
            **self.admin_handlers(),
        }

    # ------------------------------------------------------------------------------------------------
    # teams
    def _new_account(self, name: str) -> Account:
        acct = Account(name, len(self.codes))
        self.accounts[name] = acct
        return acct

    def by_token_set(self, acct: Account, token_hash: str) -> None:
        acct.token_hash = token_hash
        if token_hash:
            self.by_token[token_hash] = acct

    def _create_team(
        self,
        name: str,
        token_hash: str,
        species_name: str | None,
        admin: bool,
        members: str,
        balance: int,
        inventory: dict[str, int],
        role: Any,
    ) -> Account:
        acct = self._new_account(name)
        self.by_token_set(acct, token_hash)
        acct.species = self.t.species_named(species_name)
        acct.admin = admin or name == "admin"
        acct.members = members
        acct.role = role
        acct.initial_balance = acct.cash = balance
        inv = [0] * len(self.codes)
        for code, qty in inventory.items():
            inv[self.pidx[code]] = qty
        acct.initial_inventory = inv[:]
        acct.goods = inv
        authorize(acct)
        return acct

    def genesis_events(self) -> list[E.Event]:
        """The initial teams and their INITIAL ledger rows (seq 0), for a new database."""
        out: list[E.Event] = []
        for acct in self.accounts.values():
            if acct.house:
                continue
            out.append(self._team_created(acct))
            out.extend(self._initial_ledger(acct, "INITIAL", "0"))
        return out

    def _team_created(self, acct: Account) -> E.TeamCreated:
        return E.TeamCreated(
            acct.name,
            acct.token_hash,
            acct.species.name if acct.species else None,
            acct.admin,
            acct.members,
            acct.initial_balance,
            self._inv_map(acct.initial_inventory),
        )

    def _initial_ledger(self, acct: Account, reason: str, ref: str) -> list[E.Ledger]:
        rows = []
        if acct.cash:
            rows.append(E.Ledger(acct.name, "CASH", acct.cash, acct.cash, reason, ref))
        for i, qty in enumerate(acct.goods):
            if qty:
                rows.append(E.Ledger(acct.name, self.codes[i], qty, qty, reason, ref))
        return rows

    def _inv_map(self, values: list[int]) -> dict[str, int]:
        return {code: values[i] for i, code in enumerate(self.codes) if values[i]}

    # ------------------------------------------------------------------------------------------------
    # the command loop
    def apply(self, cmd: C.Command, now: int) -> Applied | Refused:
        """Apply one command at time ``now`` (never earlier than the previous command's time)."""
        if now > self.now:
            self.now = now
        return self._handlers[type(cmd)](cmd)

    def _begin(self) -> None:
        self.seq += 1
        self._ev = []
        self._cash_before = {}
        self._goods_before = {}
        self._nfill = 0

    def _finish(self, cmd: C.Command) -> Applied:
        """Close the command: one BalanceChanged / InventoryChanged per team whose totals or reservations
        differ net from the start of the command (or always, for teams a reset lists)."""
        ev = self._ev
        forced = self._forced or ()
        for acct, (cash, reserved) in self._cash_before.items():
            if (acct.cash != cash or acct.cash_reserved != reserved or acct in forced) and not acct.house:
                ev.append(E.BalanceChanged(acct.name, acct.cash, acct.cash_reserved))
        changed: list[Account] = []
        for (acct, i), (total, reserved) in self._goods_before.items():
            if (
                (acct.goods[i] != total or acct.goods_reserved[i] != reserved or acct in forced)
                and acct not in changed
                and not acct.house
            ):
                changed.append(acct)
        for acct in changed:
            g = acct.goods
            ev.append(E.InventoryChanged(acct.name, g[:], acct.goods_reserved[:]))
        reply = self._reply
        if reply is not None:
            self._reply = None
            ev.append(reply)
        self._forced = None
        return Applied(self.seq, self.now, cmd, ev)

    def _touch(self, acct: Account) -> None:
        """Remember cash and every product of a team before a change touching many products."""
        self._touch_cash(acct)
        for i in range(len(self.codes)):
            self._touch_goods(acct, i)

    def _touch_cash(self, acct: Account) -> None:
        if acct not in self._cash_before:
            self._cash_before[acct] = (acct.cash, acct.cash_reserved)

    def _touch_goods(self, acct: Account, i: int) -> None:
        key = (acct, i)
        if key not in self._goods_before:
            self._goods_before[key] = (acct.goods[i], acct.goods_reserved[i])

    def _ledger(self, acct: Account, asset: str, delta: int, after: int, reason: str, ref: str) -> None:
        self._ev.append(E.Ledger(acct.name, asset, delta, after, reason, ref))

    def _team(self, name: str) -> Account | None:
        acct = self.accounts.get(name)
        return None if acct is None or acct.house else acct

    # ------------------------------------------------------------------------------------------------
    # deadlines (the driver turns them into commands)
    def next_deadline(self) -> int | None:
        heap = self.expiry_heap
        while heap and heap[0][2].status not in (PENDING, PARTIALLY_FILLED):
            heapq.heappop(heap)
        first = heap[0][0] if heap else None
        if self.ends_at is not None and (first is None or self.ends_at < first):
            return self.ends_at
        return first

    def due(self, now: int) -> list[C.Command]:
        """Expiries (by expiresAt, then order seq) and the scheduled end due at ``now``, in apply order."""
        heap = self.expiry_heap
        taken: list[tuple[int, int, Order]] = []
        while heap and heap[0][0] <= now:
            entry = heapq.heappop(heap)
            if entry[2].status in (PENDING, PARTIALLY_FILLED):
                taken.append(entry)
        for entry in taken:
            heapq.heappush(heap, entry)
        out: list[C.Command] = []
        end = self.ends_at if self.ends_at is not None and self.ends_at <= now else None
        for expires_at, _, order in taken:
            if end is not None and expires_at > end:
                break  # the end closes the market and cancels the rest itself
            out.append(C.ExpireOrder(order.acct.name, order.cl))
        if end is not None:
            out.append(C.ScheduledEnd())
        return out

    # ------------------------------------------------------------------------------------------------
    # ORDER (PROTOCOL.md §4.3 rows 13-24 and the matching of GAME.md §4)
    def _on_order(self, c: C.PlaceOrder) -> Applied | Refused:
        acct = self.accounts.get(c.team)
        if acct is None or acct.house:
            return Refused(INVALID_MESSAGE, f"Team not found: {c.team}")
        if c.product not in self.books:  # rows 13-14 come before rows 17-18
            return self._check_tradable(c.product, c.cl)  # type: ignore[return-value]
        if self.state != OPEN:
            return Refused(SERVICE_UNAVAILABLE, "Market is closed", c.cl)
        if c.cl in acct.orders:
            return Refused(DUPLICATE_ORDER_ID, f"duplicate order ID: {c.cl}", c.cl)
        # _begin(), inlined on the hot path
        self.seq += 1
        self._ev = []
        self._cash_before = {}
        self._goods_before = {}
        self._nfill = 0
        self._submit(acct, c.cl, c, c.message, "USER")
        return self._finish(c)

    def _check_tradable(self, product: str, cl: str | None) -> Refused | None:
        if product not in self.books:
            if product in self.products:
                return Refused(INVALID_PRODUCT, f"product not tradable: {product}", cl)
            return Refused(INVALID_PRODUCT, f"invalid product: {product}", cl)
        return None

    def _reject(
        self, acct: Account, cl: str, c: C.PlaceOrder | C.AdminCreateOrder, message: str, code: str, reason: str
    ) -> bool:
        """Rows 19-24: the order is stored REJECTED (the clOrdID is used up) and the requester gets the ERROR."""
        acct.orders[cl] = REJECTED
        price = c.price if c.mode == LIMIT else None
        self._ev.append(
            E.OrderRejected(acct.name, cl, c.side, c.mode, c.product, c.qty, price, message, c.expires_at, code, reason)
        )
        return False

    def _submit(self, acct: Account, cl: str, c: C.PlaceOrder | C.AdminCreateOrder, message: str, origin: str) -> bool:
        """Rows 19-24, then accept and match. Returns True when accepted. Runs inside a command.
        ``c`` gives side, mode, product, qty, price, expiry and debug mode; ``cl`` and ``message`` are the
        order's own (an admin order's are generated)."""
        side, mode, product, qty, price, expires_at, debug = (
            c.side,
            c.mode,
            c.product,
            c.qty,
            c.price,
            c.expires_at,
            c.debug,
        )
        now = self.now
        is_limit = mode == LIMIT
        if not is_limit:
            price = None
        pidx = self.pidx[product]
        if expires_at is not None and expires_at <= now:
            return self._reject(acct, cl, c, message, INVALID_ORDER, "expiresAt is in the past")
        is_buy = side == BUY
        if is_buy:
            if is_limit:
                need = price * qty  # type: ignore[operator]
                avail = acct.cash - acct.cash_reserved
                if avail < need:
                    return self._reject(
                        acct,
                        cl,
                        c,
                        message,
                        INVALID_ORDER,
                        f"Insufficient balance: need {fmt2(need)}, available {fmt2(avail)}",
                    )
        else:
            avail_goods = acct.goods[pidx] - acct.goods_reserved[pidx]
            if avail_goods < qty:
                return self._reject(
                    acct,
                    cl,
                    c,
                    message,
                    INSUFFICIENT_INVENTORY,
                    f"Insufficient inventory for {product}: need {qty}, available {avail_goods}",
                )
        if is_limit and self.max_open and acct.open_orders >= self.max_open:
            return self._reject(acct, cl, c, message, INVALID_ORDER, f"Too many open orders (max {self.max_open})")
        book = self.books[product]
        if is_buy:
            asks = book.ask_prices
            crosses = bool(asks) and (price is None or asks[0] <= price)
        else:
            bids = book.bid_keys
            crosses = bool(bids) and (price is None or -bids[0] >= price)
        # most orders do not cross: no walk needed for them
        plan = self._walk(acct, is_buy, qty, price, product) if crosses else ()
        if isinstance(plan, str):
            return self._reject(acct, cl, c, message, INVALID_ORDER, plan)

        # accepted: reserve, ack, match
        order = Order(self.seq, acct, cl, side, mode, product, pidx, qty, price, message, expires_at, now, origin)
        acct.orders[cl] = order
        if is_buy:
            if is_limit:
                self._touch_cash(acct)
                acct.cash_reserved += price * qty  # type: ignore[operator]
        else:
            self._touch_goods(acct, pidx)
            acct.goods_reserved[pidx] += qty
        self._ev.append(E.OrderAccepted(acct.name, cl, side, mode, product, qty, price, message, expires_at, origin))
        book_fill = self._book_fill
        for resting, q in plan:
            if is_buy:
                book_fill(order, resting, q, resting.price, BUY)
            else:
                book_fill(resting, order, q, resting.price, SELL)
        remaining = qty - order.filled
        if remaining and is_buy and debug == "AUTO_ACCEPT" and self.debug_mode:
            self._house_auto_accept(order)
            remaining = qty - order.filled
        if not remaining:
            return True
        if is_limit:
            # rest (inlined): the book, the open-order count, the expiry deadline, the offer
            self.books[product].add(order)
            acct.open_orders += 1
            if expires_at is not None:
                heapq.heappush(self.expiry_heap, (expires_at, order.seq, order))
            if is_buy and self.offer_ttl_us:
                self._make_offer(order, debug == "TEAM_ONLY" and self.debug_mode)
        else:
            self._end_order(order, "MARKET_REMAINDER")
        return True

    def _walk(self, acct: Account, is_buy: bool, qty: int, limit: int | None, product: str) -> list | str:
        """Walk the opposite side as the sweep would; a plan of (resting order, qty), or a rejection reason."""
        book = self.books[product]
        plan: list[tuple[Order, int]] = []
        rem = qty
        if is_buy:
            market_cash = acct.cash - acct.cash_reserved if limit is None else -1
            for price in book.ask_prices:
                if limit is not None and price > limit:
                    break
                for resting in book.asks[price].values():
                    q = resting.qty - resting.filled
                    if q > rem:
                        q = rem
                    if market_cash >= 0:
                        # the cash limit first: a walk that cannot pay one more unit stops here and
                        # never reaches (so never self-trades with) the orders behind
                        afford = market_cash // price
                        if afford < q:
                            q = afford
                        if not q:
                            if not plan:
                                return f"Insufficient balance: need {fmt2(price)}, available {fmt2(market_cash)}"
                            return plan
                        market_cash -= q * price
                    if resting.acct is acct:
                        return f"Self-trade prevented: would match own order {resting.cl}"
                    plan.append((resting, q))
                    rem -= q
                    if not rem:
                        return plan
        else:
            for key in book.bid_keys:
                price = -key
                if limit is not None and price < limit:
                    break
                for resting in book.bids[price].values():
                    if resting.acct is acct:
                        return f"Self-trade prevented: would match own order {resting.cl}"
                    q = resting.qty - resting.filled
                    if q > rem:
                        q = rem
                    plan.append((resting, q))
                    rem -= q
                    if not rem:
                        return plan
        return plan

    def _book_fill(self, buy: Order, sell: Order, q: int, p: int, aggressor: str) -> None:
        """A fill between an incoming order and a resting one: ``_fill`` specialised for the hottest path
        (both orders exist, the SELL holds a reservation, one product)."""
        seq = self.seq
        self._nfill = n = self._nfill + 1
        fill_id = f"F-{seq}-{n}"
        buyer, seller = buy.acct, sell.acct
        pidx = buy.pidx
        product = buy.product
        cash_before = self._cash_before
        goods_before = self._goods_before
        if buyer not in cash_before:
            cash_before[buyer] = (buyer.cash, buyer.cash_reserved)
        if seller not in cash_before:
            cash_before[seller] = (seller.cash, seller.cash_reserved)
        key = (buyer, pidx)
        if key not in goods_before:
            goods_before[key] = (buyer.goods[pidx], buyer.goods_reserved[pidx])
        key = (seller, pidx)
        if key not in goods_before:
            goods_before[key] = (seller.goods[pidx], seller.goods_reserved[pidx])
        amount = p * q
        buyer.cash = b_cash = buyer.cash - amount
        if buy.price is not None:  # a LIMIT buy releases its reservation at its limit
            buyer.cash_reserved -= buy.price * q
        goods = buyer.goods
        goods[pidx] = b_goods = goods[pidx] + q
        goods = seller.goods
        goods[pidx] = s_goods = goods[pidx] - q
        seller.goods_reserved[pidx] -= q
        seller.cash = s_cash = seller.cash + amount
        now = self.now
        for order in (buy, sell):
            order.filled = filled = order.filled + q
            order.updated = now
            if filled == order.qty:
                if order.status not in OPEN_STATUSES:
                    raise IllegalTransition(f"order status {order.status} cannot become FILLED")
                order.status = FILLED
                self._closed(order, FILLED, order.seq != seq)
            else:
                order.status = PARTIALLY_FILLED
        self._ev.append(
            E.Fill(
                fill_id,
                product,
                q,
                p,
                buyer.name,
                buy.cl,
                seller.name,
                sell.cl,
                buy.message,
                sell.message,
                buy.qty - buy.filled,
                buy.qty,
                sell.qty - sell.filled,
                sell.qty,
                aggressor,
                "BOOK",
                b_cash,
                b_goods,
                s_goods,
                s_cash,
            )
        )

        self.stats[product].record(now, p, q)

    def _fill(
        self,
        buy: Order | None,
        sell: Order | None,
        q: int,
        p: int,
        aggressor: str,
        source: str,
        buyer: Account | None = None,
        seller: Account | None = None,
    ) -> None:
        """One trade of ``q`` at ``p``. ``sell`` is None when the house sells (``seller`` = house);
        a sell order with origin OFFER takes its goods from available (it never reserved)."""
        self._nfill += 1
        fill_id = f"F-{self.seq}-{self._nfill}"
        buyer = buy.acct if buy is not None else buyer
        seller = sell.acct if sell is not None else seller
        assert buyer is not None and seller is not None
        product = buy.product if buy is not None else sell.product  # type: ignore[union-attr]
        pidx = self.pidx[product]
        cash_before, goods_before = self._cash_before, self._goods_before
        for acct in (buyer, seller):
            if acct not in cash_before:
                cash_before[acct] = (acct.cash, acct.cash_reserved)
            if (acct, pidx) not in goods_before:
                goods_before[(acct, pidx)] = (acct.goods[pidx], acct.goods_reserved[pidx])
        amount = p * q
        ev = self._ev
        # buyer: pay, release the reservation of a LIMIT buy at its limit, receive goods
        buyer.cash -= amount
        if buy is not None and buy.mode == LIMIT:
            buyer.cash_reserved -= buy.price * q  # type: ignore[operator]
        buyer.goods[pidx] += q
        # seller: goods leave (from the reservation of a resting/incoming SELL), cash arrives
        seller.goods[pidx] -= q
        if sell is not None and sell.origin != "OFFER":
            seller.goods_reserved[pidx] -= q
        seller.cash += amount
        bname, sname = buyer.name, seller.name
        b_rem = b_tot = s_rem = s_tot = 0
        now = self.now
        # order progress, inlined: this is the hottest path of the engine
        for order in (buy, sell):
            if order is None:
                continue
            order.filled += q
            order.updated = now
            if order.filled == order.qty:
                if order.status not in OPEN_STATUSES:
                    raise IllegalTransition(f"order status {order.status} cannot become FILLED")
                order.status = FILLED
                # an order accepted by this very command (incoming, or an offer acceptor's) never rested
                self._closed(order, FILLED, order.seq != self.seq)
            else:
                order.status = PARTIALLY_FILLED
        if buy is not None:
            b_rem, b_tot = buy.qty - buy.filled, buy.qty
        if sell is not None:
            s_rem, s_tot = sell.qty - sell.filled, sell.qty
        ev.append(
            E.Fill(
                fill_id,
                product,
                q,
                p,
                bname,
                buy.cl if buy is not None else "",
                sname,
                sell.cl if sell is not None else "",
                buy.message if buy is not None else "",
                sell.message if sell is not None else "",
                b_rem,
                b_tot,
                s_rem,
                s_tot,
                aggressor,
                source,
                buyer.cash,
                buyer.goods[pidx],
                seller.goods[pidx],
                seller.cash,
            )
        )
        self.stats[product].record(now, p, q)

    def _closed(self, order: Order, status: str, was_resting: bool) -> None:
        """Bookkeeping when an order ends: leaves the book, frees its clOrdID slot to a status string."""
        acct = order.acct
        acct.orders[order.cl] = status
        if was_resting:
            self.books[order.product].remove(order)
            acct.open_orders -= 1
        if order.is_buy:
            self.offer_of_order.pop(order.seq, None)

    def _end_order(self, order: Order, reason: str) -> None:
        """Cancel an open order (resting or the incoming one) and release what it still holds."""
        check_transition(order.status, CANCELLED)
        acct = order.acct
        remaining = order.qty - order.filled
        if order.is_buy:
            if order.mode == LIMIT:
                self._touch_cash(acct)
                acct.cash_reserved -= order.price * remaining  # type: ignore[operator]
        else:
            self._touch_goods(acct, order.pidx)
            acct.goods_reserved[order.pidx] -= remaining
        order.status = CANCELLED
        order.updated = self.now
        # only an incoming MARKET remainder is cancelled in the command that accepted it; it never rested
        self._closed(order, CANCELLED, order.seq != self.seq)
        self._ev.append(
            E.OrderCancelled(acct.name, order.cl, reason, order.product, order.side, order.filled, remaining)
        )

    def _house_auto_accept(self, order: Order) -> None:
        """Debug AUTO_ACCEPT: the house sells the remainder (LIMIT at its limit, MARKET at the mark)."""
        remaining = order.qty - order.filled
        acct = order.acct
        if order.mode == LIMIT:
            self._fill(order, None, remaining, order.price, BUY, "HOUSE", seller=self.house)  # type: ignore[arg-type]
            return
        mark = self.mark_price(order.product)
        q = min(remaining, (acct.cash - acct.cash_reserved) // mark) if mark > 0 else remaining
        if q > 0:
            self._fill(order, None, q, mark, BUY, "HOUSE", seller=self.house)

    @staticmethod
    def _free_cl(acct: Account, base: str) -> str:
        if base not in acct.orders:
            return base
        n = 1
        while f"{base}-{n}" in acct.orders:
            n += 1
        return f"{base}-{n}"

    # ------------------------------------------------------------------------------------------------
    # CANCEL and expiry
    def _find_open(self, acct: Account, cl: str) -> Order | Refused:
        entry = acct.orders.get(cl)
        if entry is None:
            return Refused(INVALID_ORDER, "Order not found", cl)
        if isinstance(entry, str):
            if entry == FILLED:
                return Refused(INVALID_ORDER, "Cannot cancel filled order", cl)
            if entry == CANCELLED:
                return Refused(INVALID_ORDER, "Order already cancelled", cl)
            return Refused(INVALID_ORDER, "Cannot cancel rejected order", cl)
        return entry

    def _on_cancel(self, c: C.CancelOrder) -> Applied | Refused:
        acct = self._team(c.team)
        if acct is None:
            return Refused(INVALID_MESSAGE, f"Team not found: {c.team}")
        found = self._find_open(acct, c.cl)
        if isinstance(found, Refused):
            return found
        self._begin()
        self._end_order(found, "USER")
        return self._finish(c)

    def _on_expire(self, c: C.ExpireOrder) -> Applied | Refused:
        acct = self._team(c.team)
        entry = acct.orders.get(c.cl) if acct is not None else None
        if not isinstance(entry, Order) or entry.expires_at is None or entry.expires_at > self.now:
            return Refused(INVALID_ORDER, "Order not found", c.cl)
        self._begin()
        self._end_order(entry, "EXPIRED")
        return self._finish(c)

    def _on_scheduled_end(self, c: C.ScheduledEnd) -> Applied | Refused:
        if self.ends_at is None or self.now < self.ends_at:
            return Refused(INVALID_MESSAGE, "No scheduled end is due")
        self._begin()
        self._set_state(CLOSED, None, True)
        return self._finish(c)

    def _set_state(self, state: str, ends_at: int | None, set_end: bool) -> None:
        """Move the tournament state and/or schedule; CLOSE cancels every open order and the schedule."""
        old_state, old_end = self.state, self.ends_at
        if set_end:
            self.ends_at = ends_at
        if state == CLOSED:
            self.ends_at = None
            for order in self.open_orders_in_seq():
                self._end_order(order, "MARKET_CLOSED")
        self.state = state
        if self.state != old_state or self.ends_at != old_end:
            self._ev.append(E.StateChanged(self.state, self.ends_at, self.state != old_state))

    def open_orders_in_seq(self, team: str | None = None) -> list[Order]:
        accounts = self.accounts.values() if team is None else [self.accounts[team]]
        orders = [o for a in accounts for o in a.orders.values() if isinstance(o, Order)]
        orders.sort(key=lambda o: o.seq)
        return orders

    # ------------------------------------------------------------------------------------------------
    def mark_price(self, product: str) -> int:
        return self.stats[product].mark(self.now, self.products[product].reference_price)
