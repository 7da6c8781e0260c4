"""Renderer: one applied command (events + time) -> wire frames per recipient (PROTOCOL.md §3.3, §3.4, §5).

Pure: no I/O, no clock, no engine state. It runs live after the commit and again for RESYNC on the stored
events, so a replay is byte-for-byte what was sent live (ARCHITECTURE.md item 5).

Public names:

* ``render(applied, catalogue) -> Rendered`` — every frame of one command, grouped by scope.
* ``render_team_stream(applied, catalogue, team) -> list[dict]`` — the team-scope frames that team got from
  the command (what RESYNC ``lastSeq`` replays); equal to ``render(...).team.get(team, [])``.
* ``ticker_frame(...)``, ``order_summary(...)``, ``order_book_frame(...)`` — builders from plain values, so
  the router (conflated pushes) and the queries (snapshots) share one format.
* ``mid_cents(bid, ask)`` — the TICKER ``mid``: mean of both, half-even to the cent.

``Rendered`` fields (frames are plain dicts ready to JSON-encode; the same dict object may appear in several
places — a FILL in its team's list and in ``admin`` — so callers may encode each object once and must never
mutate them):

* ``seq``, ``server_time`` — the command's ``seq`` and formatted time.
* ``team`` — ``{team name: [frames]}`` in delivery order: ORDER_ACK PENDING, its FILLs in execution order,
  ORDER_ACK CANCELLED, one BALANCE_UPDATE, one INVENTORY_UPDATE, then the OFFERs addressed to the team.
  Teams appear in the order they were first touched; the house (``SERVER``) never appears.
* ``admin`` / ``admin_owners`` — the FILL copies for admin connections (per fill: buyer's, then seller's) and,
  at the same index, the team owning each copy: an admin team's own connections skip copies it owns (they
  already got that FILL in ``team``).
* ``all`` — TOURNAMENT_STATE, then the system BROADCAST_NOTIFICATION if the state changed.
* ``reply`` — for the requesting connection only: the ERROR of a rejected order, or the admin reply.
* ``products_touched`` — products whose best bid/ask, last price or volume may have changed (TICKER pushes;
  after a statistics reset every catalogue code: the router keeps only tradable ones).
* ``book_changed`` — products whose book may have changed (admin ORDER_BOOK_UPDATE pushes).

Delivery order on one connection (§3.4) is what ``Rendered.for_connection`` returns: its team's frames up to
the OFFERs, the admin copies (admin connections), the OFFERs, ``all``, ``reply`` (the requester); the
conflated TICKER / ORDER_BOOK_UPDATE pushes come after all of that.

Money is integer cents in the events and goes through ``wire``; times are epoch microseconds and go through
``format_ms``. No frame contains ``None``: absent optional fields are omitted (§2.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from avex.domain.catalogue import HOUSE
from avex.domain.money import wire
from avex.domain.timeutil import format_ms
from avex.engine.events import (
    BalanceChanged,
    Fill,
    InventoryChanged,
    Ledger,
    OfferCreated,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    Reply,
    StateChanged,
    StatsReset,
)
from avex.engine.outcome import Applied

__all__ = [
    "Rendered",
    "mid_cents",
    "order_book_frame",
    "order_summary",
    "render",
    "render_team_stream",
    "ticker_frame",
]

Frame = dict
_STATE_TEXT = {"OPEN": "Market is open", "PAUSED": "Market is paused", "CLOSED": "Market is closed"}
# Fields other teams' entries lose in a non-admin REQUEST_ORDER_BOOK reply (§5, OrderSummary).
_PRIVATE = frozenset(("clOrdID", "teamName", "message"))


@dataclass(slots=True)
class Rendered:
    """All frames of one applied command, by scope (see the module docstring)."""

    seq: int
    server_time: str
    team: dict[str, list[Frame]] = field(default_factory=dict)
    admin: list[Frame] = field(default_factory=list)
    admin_owners: list[str] = field(default_factory=list)
    all: list[Frame] = field(default_factory=list)
    reply: list[Frame] = field(default_factory=list)
    products_touched: set[str] = field(default_factory=set)
    book_changed: set[str] = field(default_factory=set)

    def stream(self, team: str) -> list[Frame]:
        """The team-scope frames of ``team`` (what RESYNC replays); empty if the command did not touch it."""
        return self.team.get(team, [])

    def for_connection(self, team: str | None, admin: bool = False, requester: bool = False) -> list[Frame]:
        """Every frame one connection gets from this command, in §3.4 order (pushes excluded).

        ``team`` is the connection's team (``None``: not logged in, gets only a reply), ``admin`` whether that
        team is an admin team, ``requester`` whether this connection sent the command.
        """
        if team is None:
            return list(self.reply) if requester else []
        own = self.team.get(team, ())
        out: list[Frame]
        copies = [f for f, o in zip(self.admin, self.admin_owners, strict=True) if o != team] if admin else ()
        if copies:
            # Admin copies go after the team's updates but before its OFFERs (OFFERs are the list's tail).
            cut = len(own)
            while cut and own[cut - 1]["type"] == "OFFER":
                cut -= 1
            out = [*own[:cut], *copies, *own[cut:]]
        else:
            out = list(own)
        out += self.all
        if requester:
            out += self.reply
        return out


def render(applied: Applied, catalogue: tuple[str, ...]) -> Rendered:
    """Every frame of one applied command (PROTOCOL.md §3.4 order); ``catalogue`` orders inventory maps."""
    return _render(applied, catalogue, None)


def render_team_stream(applied: Applied, catalogue: tuple[str, ...], team: str) -> list[Frame]:
    """Exactly the team-scope frames ``team`` got from this command (RESYNC ``lastSeq``; identical to live).

    Same code path as ``render``, restricted to one team so a long replay does not build other teams' frames.
    """
    return _render(applied, catalogue, team).team.get(team, [])


def _render(applied: Applied, catalogue: tuple[str, ...], only: str | None) -> Rendered:
    # One pass over the events, in the order they happened. The engine emits order-level events first and
    # the per-team BalanceChanged / InventoryChanged after them, so appending in event order already gives the
    # §3.4 order per team; OFFERs are collected and appended last, and a BALANCE_UPDATE is kept before its
    # team's INVENTORY_UPDATE whatever order the engine lists the two in.
    seq = applied.seq
    st = _fmt(applied.time)
    out = Rendered(seq, st)
    team = out.team
    full = only is None
    touched = out.products_touched
    book = out.book_changed
    offers: list[tuple[list[str], Frame]] = []

    for ev in applied.events:
        kind = type(ev)
        if kind is Ledger:  # the most frequent event (several per fill) and never a frame: skip it first
            continue
        if kind is Fill:
            bt = ev.buy_team
            stt = ev.sell_team
            product = ev.product
            touched.add(product)
            book.add(product)
            price = wire(ev.price)
            if bt != HOUSE and (full or bt == only):
                bf = {
                    "type": "FILL", "clOrdID": ev.buy_cl, "fillQty": ev.qty, "fillPrice": price,
                    "side": "BUY", "product": product, "counterparty": stt,
                    # The counterparty's order message; the house has none.
                    "counterpartyMessage": "" if stt == HOUSE else ev.sell_msg,
                    "remainingQty": ev.buy_remaining, "totalQty": ev.buy_total, "fillId": ev.fill_id,
                    "teamName": bt, "seq": seq, "serverTime": st,
                }
                _frames(team, bt).append(bf)
                if full:
                    out.admin.append(bf)
                    out.admin_owners.append(bt)
            if stt != HOUSE and (full or stt == only):
                sf = {
                    "type": "FILL", "clOrdID": ev.sell_cl, "fillQty": ev.qty, "fillPrice": price,
                    "side": "SELL", "product": product, "counterparty": bt,
                    "counterpartyMessage": "" if bt == HOUSE else ev.buy_msg,
                    "remainingQty": ev.sell_remaining, "totalQty": ev.sell_total, "fillId": ev.fill_id,
                    "teamName": stt, "seq": seq, "serverTime": st,
                }
                _frames(team, stt).append(sf)
                if full:
                    out.admin.append(sf)
                    out.admin_owners.append(stt)
        elif kind is BalanceChanged:
            t = ev.team
            if t == HOUSE or not (full or t == only):
                continue
            total = ev.total
            reserved = ev.reserved
            frame = {
                "type": "BALANCE_UPDATE", "balance": wire(total), "available": wire(total - reserved),
                "reserved": wire(reserved), "seq": seq, "serverTime": st,
            }
            lst = _frames(team, t)
            if lst and lst[-1]["type"] == "INVENTORY_UPDATE":
                lst.insert(len(lst) - 1, frame)
            else:
                lst.append(frame)
        elif kind is InventoryChanged:
            t = ev.team
            if t == HOUSE or not (full or t == only):
                continue
            _frames(team, t).append({
                "type": "INVENTORY_UPDATE",
                "inventory": dict(zip(catalogue, ev.totals, strict=True)),
                "available": dict(zip(catalogue, ev.available, strict=True)),
                "seq": seq, "serverTime": st,
            })
        elif kind is OrderAccepted:
            if ev.mode == "LIMIT":  # a MARKET order never rests: only its fills touch the book
                touched.add(ev.product)
                book.add(ev.product)
            t = ev.team
            if t != HOUSE and (full or t == only):
                _frames(team, t).append(
                    {"type": "ORDER_ACK", "clOrdID": ev.cl, "status": "PENDING", "seq": seq, "serverTime": st}
                )
        elif kind is OrderCancelled:
            if ev.reason != "MARKET_REMAINDER":  # a MARKET remainder was never in the book
                touched.add(ev.product)
                book.add(ev.product)
            t = ev.team
            if t != HOUSE and (full or t == only):
                _frames(team, t).append({
                    "type": "ORDER_ACK", "clOrdID": ev.cl, "status": "CANCELLED", "reason": ev.reason,
                    "seq": seq, "serverTime": st,
                })
        elif kind is OfferCreated:
            recipients = [r for r in ev.recipients if r != HOUSE and (full or r == only)]
            if recipients:
                # One frame shared by every recipient: it names nobody but the buyer. OFFER's time field is
                # `timestamp`, not serverTime (§5).
                offers.append((recipients, {
                    "type": "OFFER", "offerId": ev.offer_id, "buyer": ev.buyer, "product": ev.product,
                    "quantityRequested": ev.qty, "maxPrice": wire(ev.max_price), "expiresIn": ev.ttl_ms,
                    "expiresAt": _fmt(ev.expires_at), "timestamp": st, "seq": seq,
                }))
        elif not full:
            continue  # everything below is reply, all-scope or market data: not part of a team's stream
        elif kind is OrderRejected:
            # ERROR's time field is `timestamp` (§5); a rejection is a command, so it carries the seq.
            out.reply.append({
                "type": "ERROR", "code": ev.code, "reason": ev.reason, "clOrdID": ev.cl, "seq": seq,
                "timestamp": st,
            })
        elif kind is StateChanged:
            frame = {"type": "TOURNAMENT_STATE", "state": ev.state}
            if ev.ends_at is not None:
                frame["endsAt"] = _fmt(ev.ends_at)
            frame["seq"] = seq
            frame["serverTime"] = st
            out.all.append(frame)
            if ev.state_changed:
                out.all.append({
                    "type": "BROADCAST_NOTIFICATION", "message": _STATE_TEXT[ev.state], "sender": "system",
                    "seq": seq, "serverTime": st,
                })
        elif kind is Reply:
            frame = {"type": ev.msg_type}
            for k, v in ev.fields.items():
                if v is not None:  # never null on the wire (§2.2)
                    frame[k] = v
            frame["seq"] = seq
            frame["serverTime"] = st
            out.reply.append(frame)
        elif kind is StatsReset:
            touched.update(catalogue)  # last price and volume restart for every product
        # Produced, TeamCreated, TeamChanged, BucketsRefilled, CooldownCleared: no frames.

    for recipients, frame in offers:
        for r in recipients:
            _frames(team, r).append(frame)
    return out


# format_ms costs ~5 µs (strftime), more than the rest of a simple command's rendering; the date and time up
# to the second change rarely, so keep the last second's text (one tuple, rebound atomically: safe to share
# between the live renderer and a RESYNC reader thread) and only add the milliseconds. Output is unchanged.
_second_text: tuple[int | None, str] = (None, "")


def _fmt(us: int) -> str:
    """``format_ms(us)``, memoised per second."""
    global _second_text
    sec = us // 1_000_000
    cached = _second_text
    if cached[0] == sec:
        head = cached[1]
    else:
        head = format_ms(sec * 1_000_000)[:-4]  # "YYYY-MM-DDTHH:MM:SS."
        _second_text = (sec, head)
    return f"{head}{us // 1000 % 1000:03d}Z"


def _frames(team: dict[str, list[Frame]], name: str) -> list[Frame]:
    lst = team.get(name)
    if lst is None:
        lst = team[name] = []
    return lst


# --- market data and snapshots ------------------------------------------------------------------------
def _stamp(time: int | str) -> str:
    return time if isinstance(time, str) else _fmt(time)


def mid_cents(bid: int, ask: int) -> int:
    """Mean of bid and ask in cents, half-to-even to the cent: (1600, 1601) -> 1600, (1601, 1602) -> 1602."""
    q, r = divmod(bid + ask, 2)
    return q + (r & q & 1)  # exactly half a cent: round to the even cent


def ticker_frame(
    product: str,
    best_bid: int | None,
    best_ask: int | None,
    last_price: int | None,
    volume24h: int,
    seq: int,
    time: int | str,
) -> Frame:
    """TICKER (§5.6). Money in cents; absent values are omitted. ``time`` is epoch µs or an already formatted
    serverTime (lets a caller format once for a round of tickers)."""
    frame: Frame = {"type": "TICKER", "product": product}
    if best_bid is not None:
        frame["bestBid"] = wire(best_bid)
    if best_ask is not None:
        frame["bestAsk"] = wire(best_ask)
        if best_bid is not None:
            frame["mid"] = wire(mid_cents(best_bid, best_ask))
    if last_price is not None:
        frame["lastPrice"] = wire(last_price)
    frame["volume24h"] = volume24h
    frame["seq"] = seq
    frame["serverTime"] = _stamp(time)
    return frame


def order_summary(
    cl: str,
    team: str,
    side: str,
    mode: str,
    product: str,
    qty: int,
    price: int | None,
    filled: int,
    remaining: int,
    status: str,
    seq: int,
    created_at: int,
    updated_at: int,
    *,
    reason: str | None = None,
    message: str = "",
    expires_at: int | None = None,
) -> Frame:
    """OrderSummary (§5): ``price`` only for LIMIT; ``reason``, ``message``, ``expiresAt`` only when present.
    Money in cents, times in epoch µs."""
    s: Frame = {
        "clOrdID": cl, "teamName": team, "side": side, "mode": mode, "product": product, "quantity": qty,
    }
    if price is not None:
        s["price"] = wire(price)
    s["filledQty"] = filled
    s["remainingQty"] = remaining
    s["status"] = status
    if reason is not None:
        s["reason"] = reason
    if message:
        s["message"] = message
    s["createdAt"] = _fmt(created_at)
    s["updatedAt"] = _fmt(updated_at)
    if expires_at is not None:
        s["expiresAt"] = _fmt(expires_at)
    s["seq"] = seq
    return s


def order_book_frame(
    product: str,
    buy_orders: Iterable[Frame],
    sell_orders: Iterable[Frame],
    seq: int,
    time: int | str,
    viewer: str | None = None,
) -> Frame:
    """ORDER_BOOK_UPDATE (§5.10) from OrderSummary dicts already in book order (buys price desc, sells price
    asc, then seq). ``viewer=None`` is the admin view (everything); a team name gives that team's view: other
    teams' entries lose ``clOrdID``, ``teamName`` and ``message`` (new dicts; the inputs are not changed)."""
    if viewer is None:
        buys: Sequence[Frame] = list(buy_orders)
        sells: Sequence[Frame] = list(sell_orders)
    else:
        buys = [_public(o, viewer) for o in buy_orders]
        sells = [_public(o, viewer) for o in sell_orders]
    return {
        "type": "ORDER_BOOK_UPDATE", "product": product, "buyOrders": buys, "sellOrders": sells,
        "seq": seq, "serverTime": _stamp(time),
    }


def _public(o: Frame, viewer: str) -> Frame:
    if o.get("teamName") == viewer:
        return o
    return {k: v for k, v in o.items() if k not in _PRIVATE}
