"""The referee dashboard (GET /admin) in Debian's Chromium: log in with the admin token, watch a trade made by
two API clients reach the tape and the leaderboard, pause and resume trading, cancel an order, export CSV.
Any console error fails the test; screenshots go to test-artifacts/ (and docs/admin.png)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integration.harness import ServerProcess
from integration.test_admin_support import (
    ADMIN,
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DOCS,
    TOKENS,
    base_url,
    chromium_missing,
    connect,
    http_get,
    start_referee,
    until,
    update_doc_screenshot,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(chromium_missing() is not None, reason=chromium_missing() or ""),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_referee(tmp_path_factory.mktemp("dashboard"))
    yield srv
    srv.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        await b.close()


class Page:
    """A fresh page with console errors collected."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def no_errors(self) -> None:
        assert self.errors == [], self.errors


@pytest_asyncio.fixture(loop_scope="module")
async def dashboard(browser: Any, server: ServerProcess) -> AsyncIterator[Page]:
    """The dashboard, logged in as the admin."""
    from playwright.async_api import expect

    context = await browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    p = Page(await context.new_page())
    await p.page.goto(base_url(server) + "/admin")
    await p.page.fill("#token", ADMIN)
    await p.page.click("#login-form button[type=submit]")
    await expect(p.page.locator("#dash")).to_be_visible()
    await expect(p.page.locator("#conn")).to_have_text("live")
    await expect(p.page.locator("#t-state")).to_have_text("OPEN")
    yield p
    p.no_errors()
    await context.close()


async def shot(page: Any, name: str, doc: str | None = None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    if doc is not None and update_doc_screenshot(doc):
        await page.screenshot(path=str(DOCS / doc), full_page=True)


async def test_a_trade_between_two_clients_reaches_the_tape_and_the_leaderboard(
        dashboard: Page, server: ServerProcess) -> None:
    from playwright.async_api import expect

    page = dashboard.page
    a, b = await connect(server, TOKENS["TeamA"]), await connect(server, TOKENS["TeamB"])
    try:
        await a.order("A-1", "SELL", "LIMIT", "GUACA", 2, "16", message="fresh guac")
        await until(a, "ORDER_ACK")
        await b.order("B-1", "BUY", "LIMIT", "GUACA", 2, "16", message="thanks!")
        fill = await until(b, "FILL")
        row = page.locator(f'#tape tbody tr[data-fill="{fill["fillId"]}"]')
        await expect(row).to_contain_text("fresh guac")
        await expect(row).to_contain_text("thanks!")
        await expect(row).to_contain_text("TeamA")
        await expect(row).to_contain_text("TeamB")
        await expect(row).to_contain_text("16.00")
        # TeamA sold 2 GUACA at 16.00 (reference 15.30) and is marked at 16.00: P&L 14.00, ROI 0.98 %.
        leader = page.locator("#leaderboard tbody tr").first
        await expect(leader).to_contain_text("TeamA", timeout=8000)
        await expect(leader).to_contain_text("14.00")
        await expect(leader).to_contain_text("0.98")
        await expect(page.locator('#markets tr[data-product="GUACA"]')).to_contain_text("16.00")
        # Resting orders for the picture: the book shows them with team names.
        await a.order("A-2", "SELL", "LIMIT", "GUACA", 3, "16.40", message="last ones")
        await b.order("B-2", "BUY", "LIMIT", "GUACA", 1, "15.10")
        await page.locator('#markets tr[data-product="GUACA"]').click()
        await expect(page.locator('#book-asks tr[data-cl="A-2"]')).to_contain_text("TeamA")
        await expect(page.locator('#book-bids tr[data-cl="B-2"]')).to_contain_text("TeamB")
        await page.click("#sessions-refresh")
        await expect(page.locator("#sessions tbody")).to_contain_text("TeamB")
        await expect(page.locator('#teams tr[data-team="TeamA"]')).to_contain_text("1,032.00")
        await shot(page, "admin-dashboard.png", "admin.png")
    finally:
        await a.close()
        await b.close()


async def test_pause_and_resume_trading(dashboard: Page, server: ServerProcess) -> None:
    from playwright.async_api import expect

    page = dashboard.page
    c = await connect(server, TOKENS["TeamC"])
    try:
        await page.click('[data-control="PAUSE"]')
        await expect(page.locator("#modal")).to_be_visible()
        await expect(page.locator("#modal-body")).to_contain_text("Pause trading?")
        await page.click("#modal-ok")
        await expect(page.locator("#t-state")).to_have_text("PAUSED")
        await expect(page.locator('[data-control="PAUSE"]')).to_be_disabled()
        await c.order("C-1", "BUY", "LIMIT", "PITA", 1, "1")
        err = await until(c, "ERROR")
        assert (err["code"], err["reason"]) == ("SERVICE_UNAVAILABLE", "Market is closed")
        await shot(page, "admin-paused.png")
        await page.click('[data-control="OPEN"]')
        await expect(page.locator("#t-state")).to_have_text("OPEN")
        await c.order("C-2", "BUY", "LIMIT", "PITA", 1, "1")
        ack = await until(c, ("ORDER_ACK", "ERROR"))
        assert (ack["type"], ack["status"]) == ("ORDER_ACK", "PENDING")
    finally:
        await c.close()


async def test_cancel_an_order_after_confirmation(dashboard: Page, server: ServerProcess) -> None:
    from playwright.async_api import expect

    page = dashboard.page
    b = await connect(server, TOKENS["TeamB"])
    try:
        await b.order("to-cancel", "BUY", "LIMIT", "FOSFO", 1, "11.11")
        await until(b, "ORDER_ACK")
        await page.select_option("#book-product", "FOSFO")
        row = page.locator('#book-bids tr[data-cl="to-cancel"]')
        await expect(row).to_contain_text("TeamB")
        await row.get_by_role("button", name="Cancel").click()
        await expect(page.locator("#modal-body")).to_contain_text("to-cancel")
        await page.click("#modal-cancel")  # changed our mind: nothing happens
        await expect(page.locator("#modal")).to_be_hidden()
        await page.wait_for_timeout(300)
        await expect(row).to_be_visible()
        await row.get_by_role("button", name="Cancel").click()
        await page.click("#modal-ok")
        ack = await until(b, "ORDER_ACK")
        assert (ack["clOrdID"], ack["status"], ack["reason"]) == ("to-cancel", "CANCELLED", "ADMIN")
        await expect(row).to_have_count(0)
        await expect(page.locator("#toasts")).to_contain_text("Successfully cancelled order to-cancel")
    finally:
        await b.close()


async def test_export_fills_as_csv(dashboard: Page, server: ServerProcess) -> None:
    page = dashboard.page
    async with page.expect_download() as info:
        await page.click('[data-export="fills"]')
    download = await info.value
    assert download.suggested_filename == "avex-fills.csv"
    data = Path(await download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbffillId,seq,product,quantity,price,buyTeam")
    lines = data.decode("utf-8-sig").strip().split("\r\n")
    expected = http_get(server, "/api/fills", ADMIN).json()["count"]
    assert len(lines) == 1 + expected and expected >= 1
    assert "fresh guac" in lines[1] and "thanks!" in lines[1]


async def test_edit_a_team_view_its_ledger_create_an_order_and_broadcast(
        dashboard: Page, server: ServerProcess) -> None:
    from playwright.async_api import expect

    page = dashboard.page
    c = await connect(server, TOKENS["TeamC"])
    try:
        row = page.locator('#teams tr[data-team="TeamC"]')
        await row.get_by_role("button", name="Edit").click()
        await page.fill('#modal-body input[name="balance"]', "650.25")
        await page.fill('#modal-body input[name="inv-PITA"]', "7")
        await page.click("#modal-ok")
        assert (await until(c, "BALANCE_UPDATE"))["balance"] == Decimal("650.25")
        assert (await until(c, "INVENTORY_UPDATE"))["inventory"]["PITA"] == 7
        await expect(row).to_contain_text("650.25")
        await expect(row).to_contain_text("PITA 7")

        await row.get_by_role("button", name="Members").click()
        await page.fill('#modal-body input[name="members"]', "Ana, Bo")
        await page.click("#modal-ok")
        await expect(row).to_contain_text("Ana, Bo")

        await row.get_by_role("button", name="Ledger").click()
        ledger = page.locator("#ledger-table")
        await expect(ledger).to_contain_text("INITIAL")
        await expect(ledger.locator("tbody tr").first).to_contain_text("PITA")  # newest first
        await page.click("#modal-ok")
        await expect(page.locator("#modal")).to_be_hidden()

        form = page.locator("#create-order")
        await form.locator('select[name="teamName"]').select_option("TeamC")
        await form.locator('select[name="product"]').select_option("PITA")
        await form.locator('select[name="side"]').select_option("SELL")
        await form.locator('input[name="qty"]').fill("2")
        await form.locator('input[name="limitPrice"]').fill("30")
        await form.locator('input[name="message"]').fill("from the referee")
        await form.get_by_role("button", name="Create order").click()
        ack = await until(c, "ORDER_ACK")
        assert ack["clOrdID"].startswith("ADMIN-") and ack["status"] == "PENDING"
        await page.select_option("#book-product", "PITA")
        await expect(page.locator(f'#book-asks tr[data-cl="{ack["clOrdID"]}"]')).to_contain_text("TeamC")

        await page.fill("#broadcast textarea", "Five minutes left")
        await page.click("#broadcast button[type=submit]")
        note = await until(c, "BROADCAST_NOTIFICATION")
        assert (note["message"], note["sender"]) == ("Five minutes left", "admin")

        await page.fill("#t-ends", "2099-06-30T12:00:00")
        await page.click("#t-set-end")
        state = await until(c, "TOURNAMENT_STATE")
        assert state["state"] == "OPEN" and state["endsAt"].startswith("2099-06-30")
        await expect(page.locator("#t-countdown")).to_contain_text("closes in")
        await page.click("#t-clear-end")
        assert "endsAt" not in await until(c, "TOURNAMENT_STATE")
        await expect(page.locator("#t-countdown")).to_have_text("no scheduled end")
    finally:
        await c.close()


async def test_a_team_token_is_not_let_in(browser: Any, server: ServerProcess) -> None:
    from playwright.async_api import expect

    context = await browser.new_context()
    p = Page(await context.new_page())
    try:
        await p.page.goto(base_url(server) + "/admin")
        await p.page.fill("#token", TOKENS["TeamA"])
        await p.page.click("#login-form button[type=submit]")
        await expect(p.page.locator("#login-error")).to_contain_text("not an admin team")
        await expect(p.page.locator("#dash")).to_be_hidden()
        await p.page.fill("#token", "TK-WRONG")
        await p.page.click("#login-form button[type=submit]")
        await expect(p.page.locator("#login-error")).to_have_text("Invalid token")
        p.no_errors()
    finally:
        await context.close()
