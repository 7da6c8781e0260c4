"""`avex bots` against a real server (the demo tournament): a market maker and two takers, each an ordinary
team, trade within seconds; the market maker stops at ``--duration``, the takers on Ctrl-C; both cancel their
open orders on the way out, never crash, and the server stays healthy. `avex export` then reads the same
fills back from the database with the server stopped."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from avex.client import Client

from .harness import ROOT, ServerProcess

MAKER = ("TK-DEMO-COSECHADORES", "Cosechadores de Pita")
TAKERS = (("TK-DEMO-MONJES", "Monjes de Fosforescencia"), ("TK-DEMO-MINEROS", "Mineros del Sebo"))
BOT_TEAMS = {MAKER[1], *(name for _, name in TAKERS)}


def bots(url: str, strategy: str, tokens: list[str], *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "avex.cli", "bots", "--url", url, "--strategy", strategy, "--seed", "7", *extra]
    for token in tokens:
        cmd += ["--token", token]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=str(ROOT))


async def admin_view(url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(every fill, the bots' open orders) as the admin sees them; waits a little for the last cancels."""
    async with Client.connect(url, token="TK-DEMO-ADMIN") as admin:
        await admin.send({"type": "EXPORT_DATA", "dataType": "fills"})
        fills = (await admin.expect("EXPORT_DATA_RESPONSE", skip=("TICKER", "ORDER_BOOK_UPDATE", "FILL")))["data"]
        deadline = time.monotonic() + 3
        while True:
            await admin.request_all_orders()
            orders = (await admin.expect("ALL_ORDERS", skip=("TICKER", "ORDER_BOOK_UPDATE", "FILL")))["orders"]
            left = [o for o in orders if o["teamName"] in BOT_TEAMS]
            if not left or time.monotonic() > deadline:
                return fills, left
            await asyncio.sleep(0.2)


def test_market_maker_and_takers_trade_and_stop_cleanly(
    servers: Callable[..., ServerProcess], tmp_path: Path,
) -> None:
    db = str(tmp_path / "avex.db")
    server = servers(db)  # no file: the demo tournament
    maker = bots(server.url, "market-maker", [MAKER[0]], "--duration", "6")
    takers = bots(server.url, "taker", [token for token, _ in TAKERS])  # until Ctrl-C
    try:
        maker_log, _ = maker.communicate(timeout=30)
        takers.send_signal(signal.SIGINT)
        takers_log, _ = takers.communicate(timeout=15)
    finally:
        for proc in (maker, takers):
            if proc.poll() is None:
                proc.kill()
    assert (maker.returncode, takers.returncode) == (0, 0), maker_log + takers_log
    for log in (maker_log, takers_log):
        assert "Traceback" not in log and "TK-" not in log, log
        assert log.count(": stopped") == log.count("logged in as a"), log
    assert "Cosechadores de Pita: logged in as a market maker" in maker_log
    assert "Cosechadores de Pita: SELL " in maker_log and "Cosechadores de Pita: BUY " in maker_log
    assert "stopping (Ctrl-C again to quit at once)" in takers_log

    fills, left_open = asyncio.run(admin_view(server.url))
    traded = [f for f in fills if {f["buyTeam"], f["sellTeam"]} <= BOT_TEAMS]
    assert traded, fills
    assert any(MAKER[1] in (f["buyTeam"], f["sellTeam"]) for f in traded), traded
    assert left_open == [], left_open  # quotes do not outlive their bots
    health = server.health()
    assert server.alive() and health is not None and health["status"] == "ok", server.log()

    # the same fills, read offline from the database
    assert server.stop() == 0
    out = subprocess.run([sys.executable, "-m", "avex.cli", "export", "--db", db, "--type", "fills"],
                         capture_output=True, text=True, cwd=str(ROOT), timeout=30)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert [f["fillId"] for f in body["data"]] == [f["fillId"] for f in fills]
    assert body["count"] == len(fills) and "TK-" not in out.stdout
