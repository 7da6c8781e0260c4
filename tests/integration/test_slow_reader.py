"""A slow reader (PROTOCOL.md §1.3): a raw socket that never reads while its team's messages pour in is
disconnected (close 1008, or the socket just ends) once its outbox passes 10 000 frames / 16 MiB; the engine
and every other client keep going."""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from collections.abc import Iterator

import pytest

from avex.client import Client

from . import rawws
from .harness import ServerProcess, start_server, tournament_toml
from .trading import trade_round_trips

TEAMS = [
    ("Maker", "TK-MAKER", 10**7, {"GUACA": 10**6}),
    ("Taker", "TK-TAKER", 10**7, {}),
    ("Seller", "TK-SELLER", 100_000, {"FOSFO": 1000}),
    ("Buyer", "TK-BUYER", 100_000, {}),
]
FLOOD_LIMIT_S = 60.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("slow")
    toml = tmp / "t.toml"
    toml.write_text(tournament_toml(TEAMS, market={
        "orders_per_minute": 0, "messages_per_second": 0, "max_open_orders_per_team": 0,
    }))
    s = start_server(str(tmp / "avex.db"), toml, log_dir=tmp)
    yield s
    s.stop()


def outbox_drops(server: ServerProcess) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as r:
        text = r.read().decode()
    match = re.search(r"^avex_outbox_drops_total (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


async def test_a_client_that_never_reads_is_disconnected_and_others_keep_trading(server: ServerProcess) -> None:
    # The slow reader: TeamMaker's second connection, with a tiny receive buffer, logged in, then never read.
    sock = rawws.connect(server.port, rcvbuf=4096)
    rawws.send_json(sock, {"type": "LOGIN", "token": "TK-MAKER"})
    opcode, payload = rawws.read_frame(sock)
    assert opcode == rawws.OP_TEXT and b'"LOGIN_OK"' in payload

    stop = asyncio.Event()

    async def flood() -> int:
        """Maker rests 200 asks, Taker lifts them, again and again: 5 frames per pair for every Maker
        connection, with 200-byte counterparty messages."""
        note = "n" * 200
        rounds = 0
        async with Client.connect(server.url, token="TK-MAKER", ping_interval=None) as maker, \
                Client.connect(server.url, token="TK-TAKER", ping_interval=None) as taker:
            started = time.monotonic()
            while not stop.is_set():
                assert time.monotonic() - started < FLOOD_LIMIT_S, "the slow reader was never disconnected"
                for i in range(200):
                    await maker.order(f"s{rounds}-{i}", "SELL", "LIMIT", "GUACA", 1, limit_price=10, message=note)
                    await taker.order(f"b{rounds}-{i}", "BUY", "LIMIT", "GUACA", 1, limit_price=10, message=note)
                while True:  # the flooders read everything: they are fast readers
                    m = await taker.recv(timeout=10)
                    if m.get("type") == "ORDER_ACK" and m["clOrdID"] == f"b{rounds}-199":
                        break
                maker.pending()
                rounds += 1
                if outbox_drops(server) >= 1:
                    stop.set()
            # the flooding clients themselves are unaffected
            await maker.order("after", "SELL", "LIMIT", "GUACA", 1, limit_price=11)
            assert (await maker.expect("ORDER_ACK", timeout=10))["clOrdID"] == "after"
        return rounds

    async def others() -> float:
        slowest = 0.0
        i = 0
        while not stop.is_set() or i < 2:  # keep trading through the flood, and twice after the drop
            slowest = max(slowest, await trade_round_trips(
                server.url, "TK-SELLER", "TK-BUYER", 3, product="FOSFO", prefix=f"o{i}", max_latency=10.0))
            i += 1
        return slowest

    rounds, slowest = await asyncio.gather(flood(), others())
    assert rounds >= 10  # at least 2000 pairs went by before the drop
    frames, code = await asyncio.to_thread(rawws.read_until_closed, sock, 10.0)
    sock.close()
    assert code in (1008, None), code
    assert frames < 200 * 5 * rounds  # the outbox was dropped, not delivered
    assert outbox_drops(server) == 1
    assert server.alive() and server.health() is not None
    assert slowest < 10.0
