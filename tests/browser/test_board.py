"""The big board (GET /board) in Debian's Chromium: public, read-only, polling /api/board about once a second;
tickers with price charts, the leaderboard and the latest trades with their messages. Any console error
fails the test; screenshots go to test-artifacts/ (and docs/board.png)."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
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
    ask,
    base_url,
    chromium_missing,
    connect,
    start_referee,
    until,
    update_doc_screenshot,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(chromium_missing() is not None, reason=chromium_missing() or ""),
]

# (seller, buyer, product, qty, price, seller's message, buyer's message)
TRADES = [
    ("TeamA", "TeamB", "GUACA", 2, "15.60", "first batch", "yum"),
    ("TeamA", "TeamC", "GUACA", 1, "16.10", "", "for the lab"),
    ("TeamB", "TeamA", "PITA", 3, "8.90", "fresh pita", ""),
    ("TeamA", "TeamB", "FOSFO", 2, "12.20", "glows nicely", "ok"),
    ("TeamA", "TeamB", "GUACA", 1, "15.80", "", ""),
    ("TeamB", "TeamC", "PITA", 2, "9.40", "last call", "deal"),
    ("TeamA", "TeamC", "FOSFO", 1, "12.90", "", "need it"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_referee(tmp_path_factory.mktemp("board"))
    yield srv
    srv.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        await b.close()


async def _trade(clients: dict[str, Any], n: int, seller: str, buyer: str, product: str, qty: int, price: str,
                 sell_msg: str, buy_msg: str) -> dict[str, Any]:
    s, b = clients[seller], clients[buyer]
    await s.order(f"S-{n}", "SELL", "LIMIT", product, qty, price, message=sell_msg or None)
    await until(s, "ORDER_ACK")
    await b.order(f"B-{n}", "BUY", "LIMIT", product, qty, price, message=buy_msg or None)
    return await until(b, "FILL")


async def test_board_shows_markets_leaderboard_and_trades_live(browser: Any, server: ServerProcess) -> None:
    from playwright.async_api import expect

    clients = {team: await connect(server, token) for team, token in TOKENS.items()}
    adm = await connect(server, ADMIN)
    context = await browser.new_context(viewport={"width": 1600, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    board_requests: list[str] = []
    page.on("request", lambda r: board_requests.append(r.url) if "/api/board" in r.url else None)
    try:
        for n, trade in enumerate(TRADES[:-1]):
            await _trade(clients, n, *trade)
            await asyncio.sleep(0.15)  # spread in time, so the charts have a shape
        ends = (datetime.now(UTC) + timedelta(minutes=47)).isoformat().replace("+00:00", "Z")
        await ask(adm, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN", "endsAt": ends})
        await page.goto(base_url(server) + "/board")
        await expect(page.locator("#state")).to_have_text("OPEN")
        await expect(page.locator("#countdown")).to_have_text(re.compile(r"^closes in 4[67]:[0-5]\d$"))
        tape = page.locator("#tape")
        await expect(tape).to_contain_text("seller: “last call”")
        await expect(tape).to_contain_text("buyer: “deal”")
        await expect(tape.locator("li").first).to_contain_text("PITA 2 @ 9.40")
        guaca = page.locator('.tick[data-product="GUACA"]')
        await expect(guaca.locator(".last")).to_have_text("15.80")
        await expect(guaca).to_contain_text("vol 4")
        assert await guaca.locator("svg path").count() == 1  # the price chart
        rows = page.locator("#leaderboard tbody tr")
        await expect(rows).to_have_count(3)  # players only, no admin
        await expect(page.locator("#leaderboard")).not_to_contain_text("admin")

        # Live: a new trade appears without reloading (the page polls about once a second).
        before = len(board_requests)
        fill = await _trade(clients, len(TRADES), *TRADES[-1])
        await expect(tape.locator(f'li[data-fill="{fill["fillId"]}"]')).to_contain_text("buyer: “need it”",
                                                                                         timeout=4000)
        await expect(page.locator('.tick[data-product="FOSFO"] .last')).to_have_text("12.90")
        assert len(board_requests) > before
        await page.wait_for_timeout(2100)
        assert len(board_requests) - before >= 2
        html = await page.content()
        assert "TK-" not in html and "S-1" not in html  # no tokens, no order ids
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "board.png"))
        if update_doc_screenshot("board.png"):
            await page.screenshot(path=str(DOCS / "board.png"))
        assert errors == [], errors
    finally:
        await context.close()
        await ask(adm, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN", "endsAt": ""})
        for c in (*clients.values(), adm):
            await c.close()


async def test_board_follows_the_tournament_state(browser: Any, server: ServerProcess) -> None:
    from playwright.async_api import expect

    adm = await connect(server, ADMIN)
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        await page.goto(base_url(server) + "/board")
        await expect(page.locator("#state")).to_have_text("OPEN")
        await ask(adm, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "PAUSE"})
        await expect(page.locator("#state")).to_have_text("PAUSED", timeout=4000)
        await expect(page.locator("#state")).to_have_class("state PAUSED")
        await ask(adm, {"type": "ADMIN_TOURNAMENT_CONTROL", "action": "OPEN"})
        await expect(page.locator("#state")).to_have_text("OPEN", timeout=4000)
        assert errors == [], errors
    finally:
        await context.close()
        await adm.close()
