"""The trader page in a real Chromium against a real ``avex serve`` (demo tournament): two teams trade from
the order ticket, see each other's fills and messages, cancel, accept an offer from the inbox, produce, and
the page rides out a server restart without missing a fill."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from websockets.sync.client import connect

from .conftest import NO_CHROMIUM, ROOT, AvexServer, OpenPage, PageProbe

pytestmark = [pytest.mark.browser, pytest.mark.skipif(NO_CHROMIUM is not None, reason=NO_CHROMIUM or "")]

DESTILADORES = "Destiladores de Guaca"  # 50 GUACA
MONJES = "Monjes de Fosforescencia"  # 50 FOSFO
REFUSED_SOCKET = re.compile(r"WebSocket connection to 'ws://127\.0\.0\.1:\d+/ws' failed")


# --- helpers -------------------------------------------------------------------------------------------------

def amount(page: Page, selector: str) -> Decimal:
    loc = page.locator(selector)
    expect(loc).not_to_have_text("—")
    return Decimal(loc.inner_text().replace(",", "").replace("+", "").replace("%", "").strip())


def goods(page: Page, product: str) -> tuple[int, int]:
    row = page.locator(f"#inventory-table tbody tr[data-key='{product}']")
    total, available = (row.locator(cls).inner_text().replace(",", "") for cls in (".total", ".avail"))
    return int(total), int(available)


def expect_goods(page: Page, product: str, total: int, available: int) -> None:
    row = page.locator(f"#inventory-table tbody tr[data-key='{product}']")
    expect(row.locator(".total")).to_have_text(f"{total:,}")
    expect(row.locator(".avail")).to_have_text(f"{available:,}")


def expect_amount(page: Page, selector: str, value: Decimal) -> None:
    expect(page.locator(selector)).to_have_text(f"{value:,.2f}")


def place_order(probe: PageProbe, side: str, product: str, qty: int | str, price: str | None = None,
                mode: str = "LIMIT", message: str = "") -> str:
    """Fills the ticket like a student and sends it; returns the clOrdID the page generated."""
    page = probe.page
    before = len(probe.frames("ORDER"))
    page.click(f"label[for='t-side-{side.lower()}']")
    page.click(f"label[for='t-mode-{mode.lower()}']")
    page.select_option("#t-product", product)
    page.fill("#t-qty", str(qty))
    if price is not None:
        page.fill("#t-price", price)
    page.fill("#t-message", message)
    page.click("#t-submit")
    wait_until(page, lambda: len(probe.frames("ORDER")) > before, "the ticket sent no ORDER")
    return str(probe.frames("ORDER")[-1]["clOrdID"])


def wait_until(page: Page, condition: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        page.wait_for_timeout(25)


def open_row(page: Page, cl_ord_id: str) -> Locator:
    return page.locator(f"#open-orders tbody tr[data-key='{cl_ord_id}']")


def fill_rows(page: Page, cl_ord_id: str) -> Locator:
    return page.locator(f"#fills-table tbody tr[data-key$='|{cl_ord_id}']")


def cancel_all(page: Page) -> None:
    rows = page.locator("#open-orders tbody tr")
    for left in range(rows.count() - 1, -1, -1):
        rows.first.locator("button[data-action='cancel']").click()
        expect(rows).to_have_count(left)


# --- fixtures: the two trading teams, logged in once for the module -------------------------------------------

@pytest.fixture(autouse=True)
def no_javascript_errors(probes: list[PageProbe]) -> Iterator[None]:
    """Fails the test if any trader page logged a console error or threw during it."""
    seen = {id(p): len(p.errors) for p in probes}
    yield
    problems = [e for p in probes for e in p.unexpected_errors(since=seen.get(id(p), 0))]
    assert not problems, "JavaScript errors on the trader page:\n" + "\n".join(problems)

@pytest.fixture(scope="module")
def destiladores(open_page: OpenPage) -> PageProbe:
    probe = open_page("TK-DEMO-DESTILADORES")
    expect(probe.page.locator("#team-name")).to_have_text(DESTILADORES)
    return probe


@pytest.fixture(scope="module")
def monjes(open_page: OpenPage) -> PageProbe:
    probe = open_page("TK-DEMO-MONJES")
    expect(probe.page.locator("#team-name")).to_have_text(MONJES)
    return probe


# --- tests ---------------------------------------------------------------------------------------------------

def test_a_bad_token_shows_the_servers_reason_and_is_not_remembered(open_page: OpenPage) -> None:
    page = open_page().page
    expect(page.locator("#login-view")).to_be_visible()
    page.fill("#token-input", "TK-NOPE")
    page.click("#login-button")
    expect(page.locator("#login-error")).to_have_text("Invalid token (AUTH_FAILED)")
    expect(page.locator("#app-view")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('avex.token')") is None


def test_a_team_logs_in_sees_its_account_and_is_remembered(destiladores: PageProbe) -> None:
    page = destiladores.page
    expect_amount(page, "#cash-total", Decimal("10000"))
    expect_amount(page, "#cash-available", Decimal("10000"))
    expect_goods(page, "GUACA", 50, 50)
    expect(page.locator("#pnl")).to_have_text("0.00")
    expect(page.locator("#rank")).to_contain_text("of 12")
    expect(page.locator("#market-table tbody tr")).to_have_count(9)
    assert page.evaluate("localStorage.getItem('avex.token')") == "TK-DEMO-DESTILADORES"
    sent = [f["type"] for f in destiladores.sent]
    assert sent[0] == "LOGIN"
    assert {"GET_INVENTORY", "REQUEST_ALL_ORDERS", "REQUEST_ORDER_BOOK", "REQUEST_PERFORMANCE_REPORT"} <= set(sent)


def test_the_page_computes_the_production_maximum_exactly(destiladores: PageProbe) -> None:
    # GAME.md §3.4: half-up on exact values (10.5 -> 11, 32.5 -> 33), where floats or half-even differ.
    cases = [((2, 4, 0.75, 3, 2), 113, 147), ((2, 4, 0.7651, 3, 2), 119, 155), ((2, 3, 0.8, 4, 1.5), 66, 86),
             ((3, 3, 0.82, 3, 2), 191, 248), ((1, 6, 0.68, 3, 2), 17, 22), ((1, 2, 1.0, 3, 2), 15, 20),
             ((5, 1, 0.7, 3, 0), 14, 18), ((1, 1, 1.0, 12, 1), 25, 33)]
    roles = [dict(zip(("branches", "maxDepth", "decay", "baseEnergy", "levelEnergy"), r, strict=True))
             for r, _, _ in cases]
    got = destiladores.page.evaluate(
        """async (roles) => {
             const m = await import("/static/js/production.js");
             return roles.map((r) => [m.productionUnits(r), m.maxBatch(r, {type: "PREMIUM", premiumBonus: 1.3})]);
           }""", roles)
    assert got == [[u, p] for _, u, p in cases]
    items = destiladores.page.locator("#production-list li")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("basic · max 113 per batch")
    expect(items.nth(1)).to_contain_text("premium · max 147 per batch")


def test_the_ticket_refuses_what_the_server_would_refuse_without_sending(destiladores: PageProbe) -> None:
    page = destiladores.page
    error = page.locator("#ticket-error")
    sent_before = len(destiladores.frames("ORDER"))
    page.click("label[for='t-side-buy']")
    page.click("label[for='t-mode-limit']")
    page.select_option("#t-product", "GUACA")
    checks = [
        ({"#t-qty": "0", "#t-price": "10"}, "Quantity must be positive (INVALID_QUANTITY)"),
        ({"#t-qty": "2.5"}, "Quantity must be a whole number (INVALID_MESSAGE)"),
        ({"#t-qty": "1000001"}, "Quantity must be at most 1000000 (INVALID_QUANTITY)"),
        ({"#t-qty": "1", "#t-price": "0.004"}, "Limit price must be positive for LIMIT orders (INVALID_MESSAGE)"),
        ({"#t-price": "1000000.01"}, "Limit price must be at most 1000000 (INVALID_MESSAGE)"),
        ({"#t-price": "10", "#t-message": "é" * 101}, "message too long (max 200 characters) (INVALID_ORDER)"),
    ]
    for fields, reason in checks:
        for selector, value in fields.items():
            page.fill(selector, value)
        page.click("#t-submit")
        expect(error).to_have_text(reason)
    expect(page.locator("#t-message-count")).to_have_text("202/200 bytes")
    expect(page.locator("#t-message-count")).to_have_class(re.compile("over"))
    page.fill("#t-message", "é" * 100)
    expect(page.locator("#t-message-count")).to_have_text("200/200 bytes")
    page.select_option("#t-expiry", "at")
    page.fill("#t-expiry-at", "2020-01-01T00:00:00")
    page.click("#t-submit")
    expect(error).to_have_text("expiresAt is in the past (INVALID_ORDER)")
    page.select_option("#t-expiry", "")
    page.fill("#t-message", "")
    assert len(destiladores.frames("ORDER")) == sent_before


def test_a_server_rejection_is_explained_next_to_the_ticket(destiladores: PageProbe) -> None:
    page = destiladores.page
    cl_ord_id = place_order(destiladores, "BUY", "GUACA", 1000, "999")
    expect(page.locator("#ticket-error")).to_have_text(
        re.compile(r"^Insufficient balance: need 999000\.00, available [\d.]+ \(INVALID_ORDER\)$"))
    expect(page.locator(f"#order-history tbody tr[data-key='{cl_ord_id}'] .status")).to_have_text(
        re.compile(r"^REJECTED: Insufficient balance: need 999000\.00"))
    expect(open_row(page, cl_ord_id)).to_have_count(0)


def test_two_teams_trade_from_the_ticket_and_see_each_others_messages(
        destiladores: PageProbe, monjes: PageProbe) -> None:
    d, m = destiladores.page, monjes.page
    d_cash, m_cash = amount(d, "#cash-total"), amount(m, "#cash-total")
    d_guaca, m_guaca = goods(d, "GUACA"), goods(m, "GUACA")

    sell = place_order(destiladores, "SELL", "GUACA", 5, "16.00", message="fresh guaca")
    expect(open_row(d, sell).locator(".status")).to_have_text("PENDING")
    expect_goods(d, "GUACA", d_guaca[0], d_guaca[1] - 5)
    # The ask reaches the other team's market table and order book.
    expect(m.locator("#market-table tbody tr[data-key='GUACA'] .ask")).to_have_text("16.00")

    buy = place_order(monjes, "BUY", "GUACA", 3, "17", message="gracias")
    m_fill = fill_rows(m, buy)
    expect(m_fill).to_have_count(1)
    expect(m_fill).to_contain_text(DESTILADORES)
    expect(m_fill).to_contain_text("fresh guaca")
    expect(m_fill).to_contain_text("16.00")
    d_fill = fill_rows(d, sell)
    expect(d_fill).to_have_count(1)
    expect(d_fill).to_contain_text(MONJES)
    expect(d_fill).to_contain_text("gracias")
    expect(d_fill).to_contain_text("SELL")

    # 3 × 16.00 = 48.00 moves; the buyer's reservation at 17 is released.
    expect_amount(d, "#cash-total", d_cash + 48)
    expect_amount(m, "#cash-total", m_cash - 48)
    expect_amount(m, "#cash-reserved", Decimal(0))
    expect_goods(d, "GUACA", d_guaca[0] - 3, d_guaca[1] - 5)
    expect_goods(m, "GUACA", m_guaca[0] + 3, m_guaca[1] + 3)
    expect(open_row(d, sell).locator(".rem")).to_have_text("2")
    expect(open_row(d, sell).locator(".status")).to_have_text("PARTIALLY_FILLED")
    expect(m.locator(f"#order-history tbody tr[data-key='{buy}'] .status")).to_have_text("FILLED")

    # Ticker and book on both pages.
    for page in (d, m):
        row = page.locator("#market-table tbody tr[data-key='GUACA']")
        expect(row.locator(".last")).to_have_text("16.00")
        expect(row.locator(".vol")).to_have_text("3")
        expect(row.locator(".ask")).to_have_text("16.00")
        expect(row.locator(".last")).to_have_class(re.compile("flash"))
        ask = page.locator("#book-asks tbody tr.level")
        expect(ask).to_have_count(1)
        expect(ask.locator(".qty")).to_have_text("2")
    expect(d.locator("#book-asks tbody tr.level")).to_contain_text("★ 16.00")
    expect(m.locator("#book-asks tbody tr.level")).not_to_contain_text("★")
    expect(m.locator("#chart circle.own.buy")).to_have_count(1)

    # One click cancels the rest of the SELL.
    open_row(d, sell).locator("button[data-action='cancel']").click()
    expect(open_row(d, sell)).to_have_count(0)
    d.click("#tab-history")
    expect(d.locator(f"#order-history tbody tr[data-key='{sell}'] .status")).to_have_text("CANCELLED (USER)")
    d.click("#tab-open")
    expect_goods(d, "GUACA", d_guaca[0] - 3, d_guaca[0] - 3)
    expect(d.locator("#book-asks tbody tr.empty-row")).to_have_text("no asks")
    expect(m.locator("#market-table tbody tr[data-key='GUACA'] .ask")).to_have_text("—")
    assert destiladores.frames("CANCEL")[-1] == {"type": "CANCEL", "clOrdID": sell}


def test_an_offer_is_accepted_from_the_inbox(destiladores: PageProbe, monjes: PageProbe) -> None:
    d, m = destiladores.page, monjes.page
    d_cash = amount(d, "#cash-total")
    m_fosfo = goods(m, "FOSFO")
    # A resting BUY for FOSFO: Monjes hold FOSFO, so they get its OFFER.
    bid = place_order(destiladores, "BUY", "FOSFO", 4, "12.00", message="need fosfo")
    expect(open_row(d, bid).locator(".status")).to_have_text("PENDING")
    offer = m.locator("#offers li.offer").filter(has_text=DESTILADORES)
    expect(offer).to_have_count(1)
    expect(offer.locator(".offer-what")).to_contain_text("wants 4 FOSFO at up to 12.00")
    expect(offer.locator(".offer-timer")).to_have_text(re.compile(r"expires in [45]:\d\d"))
    qty_in, price_in = offer.locator("input").nth(0), offer.locator("input").nth(1)
    expect(qty_in).to_have_value("4")
    expect(price_in).to_have_value("12.00")

    # Outside the rules: refused in the page, nothing sent.
    price_in.fill("12.50")
    offer.locator("button[data-action='accept-offer']").click()
    expect(offer.locator(".offer-error")).to_have_text("Price 12.50 exceeds maxPrice 12.00 (INVALID_ORDER)")
    assert not monjes.frames("ACCEPT_OFFER")

    qty_in.fill("2")
    price_in.fill("12")
    offer.locator("button[data-action='accept-offer']").click()
    expect(offer.locator(".offer-note")).to_have_text(f"Sold 2 FOSFO @ 12.00 to {DESTILADORES}")
    frame = monjes.frames("ACCEPT_OFFER")[-1]
    assert frame["accept"] is True and frame["quantityOffered"] == 2 and frame["priceOffered"] == 12
    m_fill = m.locator("#fills-table tbody tr", has_text="FOSFO")
    expect(m_fill).to_have_count(1)
    expect(m_fill).to_contain_text("SELL")
    expect(m_fill).to_contain_text(DESTILADORES)
    expect(m_fill).to_contain_text("need fosfo")
    expect_goods(m, "FOSFO", m_fosfo[0] - 2, m_fosfo[1] - 2)
    expect(fill_rows(d, bid)).to_contain_text(MONJES)
    expect(open_row(d, bid).locator(".rem")).to_have_text("2")
    expect_amount(d, "#cash-total", d_cash - 24)
    expect_amount(d, "#cash-reserved", Decimal(24))

    # Declining dismisses it (ACCEPT_OFFER accept:false); the buyer then cancels the rest.
    offer.locator("button[data-action='decline-offer']").click()
    expect(offer).to_have_count(0)
    assert monjes.frames("ACCEPT_OFFER")[-1] == {"type": "ACCEPT_OFFER", "offerId": frame["offerId"], "accept": False}
    cancel_all(d)
    expect_amount(d, "#cash-reserved", Decimal(0))


def test_production_adds_goods_and_shows_the_cooldown(open_page: OpenPage, monjes: PageProbe) -> None:
    m = monjes.page
    fosfo = goods(m, "FOSFO")
    item = m.locator("#production-list li[data-key='FOSFO']")
    expect(item.locator("input")).to_have_value("113")
    item.locator("button[data-action='produce']").click()
    expect(m.locator("#production-note")).to_have_text(f"Produced 113 FOSFO: inventory {fosfo[0]} → {fosfo[0] + 113}")
    expect_goods(m, "FOSFO", fosfo[0] + 113, fosfo[1] + 113)
    expect(m.locator("#cooldown")).to_have_text(re.compile(r"Cooldown: ready in 1[0-5] s"))
    expect(item.locator("button")).to_be_disabled()
    assert monjes.frames("PRODUCTION_UPDATE")[-1] == {"type": "PRODUCTION_UPDATE", "product": "FOSFO", "quantity": 113}

    # A second tab of the same team does not know about the cooldown: the server's answer is shown.
    other = open_page(context=m.context)
    expect(other.page.locator("#conn")).to_have_attribute("data-state", "online")
    other.page.locator("#production-list li[data-key='FOSFO'] input").fill("1")
    other.page.locator("#production-list li[data-key='FOSFO'] button").click()
    expect(other.page.locator("#production-error")).to_have_text(
        re.compile(r"Production cooldown: retry in 1[0-5] s \(RATE_LIMIT_EXCEEDED\)"))
    expect(other.page.locator("#cooldown")).to_have_text(re.compile(r"Cooldown: ready in 1[0-5] s"))
    other.page.close()


def test_the_page_fits_a_phone(open_page: OpenPage, artifacts: Path) -> None:
    probe = open_page("TK-DEMO-CARTOGRAFOS", width=390, height=844)
    page = probe.page
    expect(page.locator("#team-name")).to_have_text("Cartógrafos de Fosfolima")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than a phone screen"
    for label in ("t-qty", "t-price", "t-product", "t-message", "t-expiry"):
        expect(page.locator(f"label[for='{label}']")).to_have_count(1)
    page.screenshot(path=str(artifacts / "trader-phone.png"), full_page=True, animations="disabled")
    page.click("#logout")
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator("#conn")).to_have_text("Offline")
    assert page.evaluate("localStorage.getItem('avex.token')") is None


def test_an_admin_is_sent_to_the_admin_page(open_page: OpenPage) -> None:
    page = open_page().page
    page.fill("#token-input", "TK-DEMO-ADMIN")
    page.click("#login-button")
    page.wait_for_url(re.compile(r"/admin$"))
    # Handed over to the admin page in this tab only, and no longer remembered by the trader page.
    assert page.evaluate("sessionStorage.getItem('avex.admin.token')") == "TK-DEMO-ADMIN"
    assert page.evaluate("localStorage.getItem('avex.token')") is None
    page.close()


@contextmanager
def _admin_socket(server: AvexServer) -> Iterator[Any]:
    with connect(server.ws_url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "LOGIN", "token": "TK-DEMO-ADMIN"}))
        assert json.loads(ws.recv(timeout=10))["admin"] is True
        yield ws


def _admin_do(ws: Any, frame: dict[str, Any]) -> dict[str, Any]:
    ws.send(json.dumps(frame))
    while True:
        reply = json.loads(ws.recv(timeout=10))
        if reply["type"] in ("ADMIN_ACTION_RESPONSE", "ERROR"):
            return dict(reply)


def test_referee_broadcasts_and_a_pause_are_shown_prominently(
        avex_server: AvexServer, destiladores: PageProbe) -> None:
    page = destiladores.page
    ends = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _admin_socket(avex_server) as ws:
        assert _admin_do(ws, {"type": "ADMIN_BROADCAST", "message": "Round two starts now"})["success"]
        expect(page.locator("#broadcasts li").first).to_contain_text("Referee (admin) at ")
        expect(page.locator("#broadcasts li").first).to_contain_text("Round two starts now")

        assert _admin_do(ws, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "PAUSE", "endsAt": ends})["success"]
        expect(page.locator("#market-banner")).to_be_visible()
        expect(page.locator("#market-banner")).to_contain_text("PAUSED")
        expect(page.locator("#tstate")).to_have_text("Market paused")
        expect(page.locator("#ends")).to_have_text(re.compile(r"^Ends in (1:00:00|59:\d\d)$"))
        expect(page.locator("#broadcasts li").first).to_contain_text("Market is paused")
        sent = len(destiladores.frames("ORDER"))
        page.fill("#t-qty", "1")
        page.fill("#t-price", "1")
        page.click("#t-submit")
        expect(page.locator("#ticket-error")).to_have_text("Market is paused: orders are refused (SERVICE_UNAVAILABLE)")
        assert len(destiladores.frames("ORDER")) == sent

        assert _admin_do(ws, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN", "endsAt": ""})["success"]
        expect(page.locator("#market-banner")).to_be_hidden()
        expect(page.locator("#ends")).to_be_hidden()
        expect(page.locator("#tstate")).to_have_text("Market open")
        expect(page.locator("#broadcasts li").first).to_contain_text("Market is open")
    items = page.locator("#broadcasts li")
    for left in range(items.count() - 1, -1, -1):
        items.first.locator("button[data-action='dismiss-broadcast']").click()
        expect(items).to_have_count(left)


class Bot:
    """A team as a plain socket client (like the students' programs)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.count = 0

    def order(self, side: str, product: str, qty: int, price: float, message: str = "") -> list[dict[str, Any]]:
        """One LIMIT order; returns the frames up to its ORDER_ACK (and its FILLs) or ERROR."""
        self.count += 1
        cl_ord_id = f"bot-{os.getpid()}-{id(self)}-{self.count}"
        self.ws.send(json.dumps({"type": "ORDER", "clOrdID": cl_ord_id, "side": side, "mode": "LIMIT",
                                 "product": product, "qty": qty, "limitPrice": price, "message": message}))
        frames: list[dict[str, Any]] = []
        ack_seq = None
        while True:
            frame = json.loads(self.ws.recv(timeout=10))
            frames.append(frame)
            if frame["type"] == "ERROR" and frame.get("clOrdID") == cl_ord_id:
                return frames
            if frame["type"] == "ORDER_ACK" and frame["clOrdID"] == cl_ord_id and ack_seq is None:
                ack_seq = frame["seq"]
            # A LIMIT order that rests or trades always ends its command with a balance/inventory update.
            if ack_seq is not None and frame["type"] in ("BALANCE_UPDATE", "INVENTORY_UPDATE") \
                    and frame["seq"] == ack_seq:
                return frames


@contextmanager
def bot(server: AvexServer, token: str) -> Iterator[Bot]:
    with connect(server.ws_url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "LOGIN", "token": token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "LOGIN_OK"
        yield Bot(ws)


def test_the_page_survives_a_server_restart_without_missing_a_fill(
        avex_server: AvexServer, destiladores: PageProbe, monjes: PageProbe, probes: list[PageProbe]) -> None:
    d = destiladores.page
    for probe in probes:
        probe.tolerated.append(REFUSED_SOCKET)  # Chromium logs each refused reconnection attempt
    cancel_all(d)
    bid = place_order(destiladores, "BUY", "FOSFO", 2, "11.00")
    expect(open_row(d, bid).locator(".status")).to_have_text("PENDING")
    cash = amount(d, "#cash-total")
    seq_before = d.evaluate("window.avexTrader.state.lastSeq")
    resyncs_before = len(destiladores.frames("RESYNC"))

    avex_server.stop()
    expect(d.locator("#conn")).not_to_have_attribute("data-state", "online")
    avex_server.start()
    # While the page is still away (or just back), another client hits its bid.
    with bot(avex_server, "TK-DEMO-MONJES") as monjes_bot:
        frames = monjes_bot.order("SELL", "FOSFO", 2, 11, "sold while you were away")
    assert "FILL" in [f["type"] for f in frames], frames

    expect(d.locator("#conn")).to_have_attribute("data-state", "online", timeout=20_000)
    expect(d.locator("#conn")).to_have_text("● Online")
    rows = fill_rows(d, bid)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("sold while you were away")
    expect(open_row(d, bid)).to_have_count(0)
    expect_amount(d, "#cash-total", cash - 22)
    expect_amount(d, "#cash-reserved", Decimal(0))
    resyncs = [f for f in destiladores.frames("RESYNC")[resyncs_before:] if "lastSeq" in f]
    assert resyncs and resyncs[0]["lastSeq"] >= seq_before
    expect(monjes.page.locator("#conn")).to_have_attribute("data-state", "online", timeout=20_000)

    # A replay of the team's whole history changes nothing: every message is deduplicated by seq + content.
    fills, history = d.locator("#fills-table tbody tr").count(), d.locator("#order-history tbody tr").count()
    cash = amount(d, "#cash-total")
    d.evaluate("window.avexTrader.link.send({type: 'RESYNC', lastSeq: 0})")
    d.wait_for_timeout(700)
    expect(d.locator("#fills-table tbody tr")).to_have_count(fills)
    expect(d.locator("#order-history tbody tr")).to_have_count(history)
    expect_amount(d, "#cash-total", cash)
    assert fill_rows(d, bid).count() == 1


def test_the_chart_and_the_book_follow_a_busy_market(
        avex_server: AvexServer, monjes: PageProbe, artifacts: Path) -> None:
    m = monjes.page
    m.click("#market-table button[data-product='GUACA']")
    expect(m.locator("#chart-h")).to_have_text("Price — GUACA")
    with bot(avex_server, "TK-DEMO-CARTOGRAFOS") as seller, bot(avex_server, "TK-DEMO-AVOCULTORES") as buyer, \
            bot(avex_server, "TK-DEMO-HERREROS") as other:
        for price in (16.10, 16.40, 16.20, 16.60, 16.50, 16.90, 16.70):
            seller.order("SELL", "GUACA", 2, price, "fresh from the grove")
            assert "FILL" in [f["type"] for f in buyer.order("BUY", "GUACA", 2, price, "thanks")]
            m.wait_for_timeout(300)  # one TICKER per trade (pushes are at most one per 250 ms)
        seller.order("SELL", "GUACA", 3, 16.80, "last ones")
        for side, team, qty, price in (("SELL", seller, 4, 17.10), ("SELL", seller, 2, 17.40),
                                       ("BUY", buyer, 5, 15.60), ("BUY", other, 2, 15.90), ("BUY", buyer, 3, 15.40)):
            team.order(side, "GUACA", qty, price)
        bought = place_order(monjes, "BUY", "GUACA", 1, "16.80", message="one for the monastery")
        expect(fill_rows(m, bought)).to_contain_text("last ones")

    row = m.locator("#market-table tbody tr[data-key='GUACA']")
    expect(row.locator(".last")).to_have_text("16.80")
    expect(row.locator(".bid")).to_have_text("15.90")
    expect(row.locator(".ask")).to_have_text("16.80")
    expect(row.locator(".mid")).to_have_text("16.35")
    expect(m.locator("#book-bids tbody tr.level")).to_have_count(3)
    expect(m.locator("#book-asks tbody tr.level")).to_have_count(3)
    expect(m.locator("#book-asks tbody tr.level").first.locator(".qty")).to_have_text("2")
    points = m.locator("#chart polyline.trade").get_attribute("points") or ""
    assert len(points.split()) >= 8, points
    expect(m.locator("#chart circle.own.buy")).to_have_count(2)
    # The resting bids reached Monjes (who hold GUACA) as offers.
    expect(m.locator("#offers li.offer").filter(has_text=re.compile(r"wants \d+ GUACA"))).to_have_count(3)

    m.bring_to_front()
    m.screenshot(path=str(artifacts / "trader.png"), full_page=True, animations="disabled")
    docs = ROOT / "docs" / "trader.png"
    if os.environ.get("AVEX_UPDATE_SCREENSHOT") or not docs.exists():
        docs.write_bytes((artifacts / "trader.png").read_bytes())


def test_a_new_tab_logs_in_by_itself_and_restores_fills_and_offers(open_page: OpenPage, monjes: PageProbe) -> None:
    m = monjes.page
    fills = m.locator("#fills-table tbody tr").count()
    assert fills >= 4
    tab = open_page(context=m.context)  # same browser profile: the remembered token logs in
    page = tab.page
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    expect(page.locator("#team-name")).to_have_text(MONJES)
    assert tab.frames("LOGIN")[0]["token"] == "TK-DEMO-MONJES"
    # The team's fills of the last 24 h come back with RESYNC (lastSync form), offers from this device.
    assert {"type": "RESYNC"} in tab.sent
    expect(page.locator("#fills-table tbody tr")).to_have_count(fills)
    expect(page.locator("#fills-table tbody tr").first).to_contain_text("last ones")
    expect(page.locator("#offers li.offer").filter(has_text=re.compile(r"wants \d+ GUACA"))).to_have_count(3)
    page.click("#tab-history")
    expect(page.locator("#order-history tbody tr")).not_to_have_count(0)
    page.close()
