"""Raw TCP, newline-delimited JSON (PROTOCOL.md §1.5): same router, messages and rules as the WebSocket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from avex.client import Client

from .harness import ServerProcess, check_time_field, start_server, strip_times, tournament_toml

MAX_BYTES = 2048
TEAMS = [
    ("Socket", "TK-SOCKET", 10_000, {"GUACA": 100}),
    ("Web", "TK-WEB", 10_000, {}),
    ("Lib", "TK-LIB", 10_000, {"FOSFO": 10}),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("tcp")
    toml = tmp / "t.toml"
    toml.write_text(tournament_toml(TEAMS))
    s = start_server(str(tmp / "avex.db"), toml, tcp=True, extra=["--max-message-bytes", str(MAX_BYTES)],
                     log_dir=tmp)
    yield s
    s.stop()


class Line:
    """A raw TCP connection: bytes out, one JSON object per ``\\n``-terminated line in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, server: ServerProcess) -> Line:
        assert server.tcp_port is not None
        return cls(*await asyncio.open_connection("127.0.0.1", server.tcp_port))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def recv(self, timeout: float = 5.0, skip: tuple[str, ...] = ("TICKER",)) -> dict[str, Any]:
        while True:
            raw = await asyncio.wait_for(self.reader.readline(), timeout)
            assert raw.endswith(b"\n") and not raw.endswith(b"\r\n"), raw
            frame = json.loads(raw, parse_float=Decimal)
            assert isinstance(frame, dict), raw
            if frame.get("type") not in skip:
                check_time_field(frame)
                return frame

    async def nothing(self, duration: float = 0.3) -> None:
        with pytest.raises(TimeoutError):
            frame = await self.recv(duration)
            pytest.fail(f"unexpected frame: {frame}")

    async def close(self) -> None:
        self.writer.close()


async def test_login_order_and_ping_over_raw_tcp_with_blank_lines_ignored(server: ServerProcess) -> None:
    line = await Line.open(server)
    try:
        await line.send(b"\n\r\n   \n\t\r\n")
        await line.nothing()  # blank lines are ignored, not undecodable JSON
        await line.send(b'{"type":"PING"}\n')
        assert strip_times(await line.recv()) == {"type": "PONG"}
        await line.send(b'{"type":"LOGIN","token":"TK-SOCKET"}\r\n\n')
        ok = await line.recv()
        assert (ok["type"], ok["team"], ok["admin"]) == ("LOGIN_OK", "Socket", False)
        assert ok["inventory"] == {"GUACA": 100, "FOSFO": 0}
        await line.send(b'{"type":"ORDER","clOrdID":"t1","side":"SELL","mode":"LIMIT","product":"GUACA",'
                        b'"qty":3,"limitPrice":15.25,"message":"by socket"}\n')
        ack = strip_times(await line.recv())
        seq = ack["seq"]
        assert ack == {"type": "ORDER_ACK", "clOrdID": "t1", "status": "PENDING", "seq": seq}
        assert strip_times(await line.recv()) == {
            "type": "INVENTORY_UPDATE", "inventory": {"GUACA": 100, "FOSFO": 0},
            "available": {"GUACA": 97, "FOSFO": 0}, "seq": seq}

        # a WebSocket client trades with it: same engine, same router
        async with Client.connect(server.url, token="TK-WEB", ping_interval=None) as web:
            await web.order("w1", "BUY", "LIMIT", "GUACA", 2, limit_price="15.25")
            assert (await web.expect("ORDER_ACK"))["status"] == "PENDING"
            fill = await web.expect("FILL")
            assert (fill["counterparty"], fill["counterpartyMessage"]) == ("Socket", "by socket")
        fill = strip_times(await line.recv())
        assert fill == {"type": "FILL", "clOrdID": "t1", "fillQty": 2, "fillPrice": Decimal("15.25"), "side": "SELL",
                        "product": "GUACA", "counterparty": "Web", "counterpartyMessage": "", "remainingQty": 1,
                        "totalQty": 3, "fillId": f"F-{seq + 1}-1", "teamName": "Socket", "seq": seq + 1}
        assert (await line.recv())["type"] == "BALANCE_UPDATE"
        assert (await line.recv())["type"] == "INVENTORY_UPDATE"

        await line.send(b'{"type":"PING"}\n{"type":"HELLO"}\n')
        assert strip_times(await line.recv()) == {"type": "PONG"}
        assert strip_times(await line.recv()) == {"type": "ECHO", "original": {"type": "HELLO"},
                                                  "authenticated": True}
        # bad lines get the same errors as bad frames, and the connection stays
        await line.send(b"hello\n")
        err = await line.recv()
        assert err["code"] == "INVALID_MESSAGE"
        assert err["reason"].startswith("Message processing failed: invalid JSON: ")
        await line.send(b'{"type":"PING","x":"\xff\xfe"}\n')
        err = await line.recv()
        assert (err["code"], err["reason"]) == ("INVALID_MESSAGE",
                                                "Message processing failed: invalid JSON: invalid UTF-8"), err
        await line.send('{"type":"PING","x":"ñandú"}\n'.encode())
        assert (await line.recv())["type"] == "PONG"
        await line.send(b'{"type":"CANCEL","clOrdID":"t1"}\n')
        assert strip_times(await line.recv()) == {"type": "ORDER_ACK", "clOrdID": "t1", "status": "CANCELLED",
                                                  "reason": "USER", "seq": seq + 2}
    finally:
        await line.close()


async def test_tcp_sessions_show_client_type_tcp(server: ServerProcess) -> None:
    line = await Line.open(server)
    try:
        await line.send(b'{"type":"LOGIN","token":"TK-SOCKET"}\n')
        assert (await line.recv())["type"] == "LOGIN_OK"
        async with Client.connect(server.url, token="TK-ADMIN", ping_interval=None) as admin:
            await admin.send({"type": "REQUEST_CONNECTED_SESSIONS"})
            sessions = (await admin.expect("CONNECTED_SESSIONS"))["sessions"]
        kinds = {s["clientType"] for s in sessions if s["teamName"] == "Socket"}
        assert kinds == {"TCP"}, sessions
    finally:
        await line.close()


async def test_a_line_over_the_size_limit_closes_the_tcp_connection(server: ServerProcess) -> None:
    line = await Line.open(server)
    try:
        await line.send(b'{"type":"PING","pad":"' + b"x" * (MAX_BYTES - 24) + b'"}\n')  # exactly the limit
        assert (await line.recv())["type"] == "PONG"
        await line.send(b'{"type":"PING","pad":"' + b"x" * MAX_BYTES + b'"}\n')
        assert await asyncio.wait_for(line.reader.read(), 5) == b""  # closed, nothing sent
    finally:
        await line.close()


async def test_the_client_library_speaks_tcp_too(server: ServerProcess) -> None:
    async with Client.connect(server.tcp_url, token="TK-LIB") as c:
        assert c.team == "Lib"
        await c.order("l1", "SELL", "LIMIT", "FOSFO", 1, limit_price=Decimal("20.10"))
        ack = await c.expect("ORDER_ACK")
        assert ack["clOrdID"] == "l1" and c.last_seq == ack["seq"]
        await c.send_raw("")  # an empty line is a blank line on TCP: nothing comes back
        await c.ping()
        assert (await c.expect("PONG", skip=("TICKER", "INVENTORY_UPDATE")))["type"] == "PONG"
