"""Shared pieces of the referee's tests (admin messages, HTTP API, atomicity, browser): the tournament, a
server on a fresh database, connections and HTTP calls. No tests here."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from avex.client import Client

from .harness import ServerProcess, start_server

ADMIN = "TK-ADMIN"
TOKENS = {"TeamA": "TK-A", "TeamB": "TK-B", "TeamC": "TK-C"}
PUSHES = ("TICKER", "ORDER_BOOK_UPDATE")
ADMIN_TYPES = (
    "ADD_INVENTORY", "UPDATE_TEAM", "UPDATE_TEAM_MEMBERS", "RESET_TEAM_BALANCE", "RESET_TEAM_INVENTORY",
    "RESET_TEAM_PRODUCTION", "ADMIN_CANCEL_ORDER", "ADMIN_CANCEL_ALL_ORDERS", "ADMIN_CREATE_ORDER",
    "ADMIN_BROADCAST", "ADMIN_TOURNAMENT_CONTROL", "RESET_TOURNAMENT_CONFIG", "SEED_TEAMS", "UPDATE_ALL_RECIPES",
    "EXPORT_DATA", "REQUEST_HISTORICAL_ORDERS", "REQUEST_CONNECTED_SESSIONS", "GET_AVAILABLE_TEAMS",
    "GET_ALL_TEAMS", "GET_TEAM_ACTIVITY", "SDK_EMULATOR",
)
API_ROUTES = ("/api/teams", "/api/orders", "/api/fills", "/api/ledger", "/api/leaderboard", "/api/products")


def referee_toml(*, public_board: bool = True, debug_mode: bool = False, rich: bool = False) -> str:
    """Three players and an admin; GUACA, FOSFO and PITA; no limits, periodic tickers or offers. ``rich``
    gives every player plenty of cash and goods (load tests)."""
    balance = "100000.0" if rich else "1000.0"
    many = "{ GUACA = 100000, FOSFO = 100000, PITA = 100000 }"
    inv_a = many if rich else "{ GUACA = 20, FOSFO = 10 }"
    inv_b = many if rich else "{ PITA = 10 }"
    inv_c = many if rich else "{}"
    return f"""
[market]
ticker_interval_s = 0
offer_ttl_s = 0
orders_per_minute = 0
messages_per_second = 0
public_board = {str(public_board).lower()}
debug_mode = {str(debug_mode).lower()}
[production]
cooldown_s = 60
[[products]]
code = "GUACA"
reference_price = 15.30
[[products]]
code = "FOSFO"
reference_price = 12.50
[[products]]
code = "PITA"
reference_price = 8.75
[[species]]
name = "Monjes de Fosforescencia"
basic = "FOSFO"
[species.premium.GUACA]
PITA = 2
[[species]]
name = "Cosechadores de Pita"
basic = "PITA"
[[teams]]
name = "TeamA"
token = "TK-A"
species = "Monjes de Fosforescencia"
balance = {balance}
inventory = {inv_a}
[[teams]]
name = "TeamB"
token = "TK-B"
species = "Cosechadores de Pita"
balance = {balance}
inventory = {inv_b}
[[teams]]
name = "TeamC"
token = "TK-C"
balance = {"100000.0" if rich else "500.0"}
inventory = {inv_c}
[[teams]]
name = "admin"
token = "TK-ADMIN"
balance = 0
"""


def start_referee(tmp: Path, **options: Any) -> ServerProcess:
    """``avex serve`` with ``referee_toml(**options)`` on a fresh SQLite database in ``tmp``."""
    toml = tmp / "referee.toml"
    toml.write_text(referee_toml(**options), encoding="utf-8")
    return start_server(str(tmp / "avex.db"), toml, log_dir=tmp)


def base_url(server: ServerProcess) -> str:
    return f"http://127.0.0.1:{server.port}"


def http_get(server: ServerProcess, path: str, token: str | None = None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(base_url(server) + path, headers=headers, params=params or None, timeout=15)


async def connect(server: ServerProcess, token: str | None = None) -> Client:
    return await Client.connect(server.url, token=token, ping_interval=None)


async def until(client: Client, wanted: str | Iterable[str], timeout: float = 5.0) -> dict[str, Any]:
    """The next message of the wanted type(s), skipping anything else."""
    kinds = (wanted,) if isinstance(wanted, str) else tuple(wanted)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        msg = await client.recv(max(0.0, deadline - loop.time()))
        if msg.get("type") in kinds:
            return msg


async def ask(client: Client, frame: dict[str, Any], wanted: str | Iterable[str] = (), timeout: float = 5.0) -> dict[
        str, Any]:
    """Send ``frame``; the next reply that is not a push (or of a ``wanted`` type, skipping others)."""
    await client.send(frame)
    if wanted:
        return await until(client, wanted, timeout)
    return await client.expect(("ERROR", *_REPLIES), timeout=timeout, skip=(*PUSHES, "FILL", "BROADCAST_NOTIFICATION",
                                                                           "TOURNAMENT_STATE"))


_REPLIES = (
    "ADMIN_ACTION_RESPONSE", "INVENTORY_ADDED", "TEAM_UPDATED", "TEAM_MEMBERS_UPDATED", "TOURNAMENT_RESET_COMPLETE",
    "TEAMS_SEEDED", "RECIPES_UPDATED", "EXPORT_DATA_RESPONSE", "HISTORICAL_ORDERS", "CONNECTED_SESSIONS",
    "AVAILABLE_TEAMS", "ALL_TEAMS", "TEAM_ACTIVITY", "SDK_EMULATOR_ACK",
)


def no_tokens(value: Any) -> None:
    """No token of the tournament appears anywhere in ``value`` (a frame, a body, a text)."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    for token in (ADMIN, *TOKENS.values()):
        assert f'"{token}"' not in text and f",{token}," not in text, f"token {token} leaked"


def ledger_consistent(ledger: list[dict[str, Any]], teams: list[dict[str, Any]]) -> None:
    """For every team and asset: Σ delta = the last balanceAfter = the team's current total."""
    sums: dict[tuple[str, str], Any] = {}
    last: dict[tuple[str, str], Any] = {}
    for row in ledger:
        key = (row["teamName"], row["asset"])
        sums[key] = sums.get(key, 0) + _cents(row["delta"], row["asset"])
        last[key] = _cents(row["balanceAfter"], row["asset"])
        assert sums[key] == last[key], f"ledger of {key} breaks at row {row}"
    for team in teams:
        name = team["teamName"]
        assert sums.get((name, "CASH"), 0) == _cents(team["currentBalance"], "CASH"), f"cash of {name}"
        for product, qty in team["inventory"].items():
            assert sums.get((name, product), 0) == qty, f"{product} of {name}"


def _cents(value: Any, asset: str) -> int:
    from decimal import Decimal

    return int(Decimal(str(value)) * 100) if asset == "CASH" else int(value)


# --- browser tests (tests/browser) ------------------------------------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOCS = ROOT / "docs"


def update_doc_screenshot(name: str) -> bool:
    """README screenshots are refreshed only on request (AVEX_UPDATE_SCREENSHOT=1) or when missing, so a test
    run never leaves tracked files changed."""
    return bool(os.environ.get("AVEX_UPDATE_SCREENSHOT")) or not (DOCS / name).exists()


def chromium_missing() -> str | None:
    """Why the browser tests cannot run, or None (Debian's chromium; Playwright never downloads one)."""
    if not CHROMIUM.exists():
        return f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None
