"""Bad input (PROTOCOL.md §1.3, §1.4, §2.1, §3.6): undecodable and mistyped frames, binary frames, frames over
--max-message-bytes, unknown types and message floods. The server answers as specified, stays up, and two other
teams keep trading meanwhile."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from avex.client import Client

from .harness import ServerProcess, check_time_field, start_server, strip_times, tournament_toml
from .trading import trade_round_trips

MAX_BYTES = 4096
INVALID_JSON = "Message processing failed: invalid JSON: "
NOT_OBJECT = INVALID_JSON + "message must be a JSON object"
TEAMS = [
    ("Seller", "TK-SELLER", 100_000, {"GUACA": 1000}),
    ("Buyer", "TK-BUYER", 100_000, {}),
    ("Noisy", "TK-NOISY", 1000, {"GUACA": 10}),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("bad")
    toml = tmp / "t.toml"
    toml.write_text(tournament_toml(TEAMS, market={"orders_per_minute": 0}))
    s = start_server(str(tmp / "avex.db"), toml, extra=["--max-message-bytes", str(MAX_BYTES)], log_dir=tmp)
    yield s
    s.stop()


async def _answer(c: Client, data: str | bytes) -> dict:
    await c.send_raw(data)
    frame = await c.recv(timeout=5)
    check_time_field(frame)
    return strip_times(frame)


UNDECODABLE = ["hello", "", "   ", "\n", '{"type":"PING"', '{"type":"PING"}}', "NaN", '{"type":"PING","x":NaN}',
               '{"type":"PING","x":Infinity}', '{"type":"PING","x":-Infinity}', "{'type':'PING'}",
               '{"type":"PING",}', '{"type":"PING"} {"type":"PING"}']
NOT_OBJECTS = ["[1,2]", "[]", '"PING"', "42", "1.5", "true", "null"]


async def test_undecodable_and_non_object_frames_get_invalid_message_and_the_connection_stays(
    server: ServerProcess,
) -> None:
    async with Client.connect(server.url, ping_interval=None) as c:
        for text in UNDECODABLE:
            frame = await _answer(c, text)
            assert frame["type"] == "ERROR" and frame["code"] == "INVALID_MESSAGE", (text, frame)
            assert frame["reason"].startswith(INVALID_JSON), (text, frame)
        for text in NOT_OBJECTS:
            assert await _answer(c, text) == {"type": "ERROR", "code": "INVALID_MESSAGE", "reason": NOT_OBJECT}, text
        for text in ('{"type":5}', '{"type":["PING"]}', '{"type":{"a":1}}', '{"type":true}'):
            assert await _answer(c, text) == {"type": "ERROR", "code": "INVALID_MESSAGE",
                                              "reason": INVALID_JSON + "type must be a string"}, text
        for data in (b"\x00\x01\x02", b'{"type":"PING"}', b""):
            assert await _answer(c, data) == {
                "type": "ERROR", "code": "INVALID_MESSAGE",
                "reason": "Message processing failed: binary frames are not supported"}, data
        assert await _answer(c, '{"type":"PING"}') == {"type": "PONG"}
        assert not c.closed


async def test_unknown_and_absent_types_are_echoed(server: ServerProcess) -> None:
    async with Client.connect(server.url, ping_interval=None) as c:
        for text, original in (('{"type":"HELLO","x":1}', "HELLO"), ('{"type":"order"}', "order"),
                               ('{"type":"ping"}', "ping"), ('{"type":""}', ""), ("{}", ""),
                               ('{"type":null,"token":"TK-SELLER"}', ""), ('{"Type":"HELLO"}', "HELLO")):
            assert await _answer(c, text) == {"type": "ECHO", "original": {"type": original},
                                              "authenticated": False}, text
        await c.login("TK-NOISY")
        assert await _answer(c, '{"type":"NOPE"}') == {"type": "ECHO", "original": {"type": "NOPE"},
                                                       "authenticated": True}


WRONG_TYPES = [
    ('{"type":"LOGIN","token":5}', "Invalid LOGIN message format"),
    ('{"type":"ORDER","clOrdID":"w1","side":"SELL","mode":"LIMIT","product":"GUACA","qty":5.0,"limitPrice":20}',
     "Invalid ORDER message format"),
    ('{"type":"ORDER","clOrdID":"w2","side":"SELL","mode":"LIMIT","product":"GUACA","qty":1e1,"limitPrice":20}',
     "Invalid ORDER message format"),
    ('{"type":"ORDER","clOrdID":"w3","side":"SELL","mode":"LIMIT","product":"GUACA","qty":"5","limitPrice":20}',
     "Invalid ORDER message format"),
    ('{"type":"ORDER","clOrdID":"w4","side":"SELL","mode":"LIMIT","product":"GUACA","qty":5,"limitPrice":"20"}',
     "Invalid ORDER message format"),
    ('{"type":"ORDER","clOrdID":7,"side":"SELL","mode":"LIMIT","product":"GUACA","qty":5,"limitPrice":20}',
     "Invalid ORDER message format"),
    ('{"type":"ORDER","clOrdID":"w5","side":true,"mode":"LIMIT","product":"GUACA","qty":5,"limitPrice":20}',
     "Invalid ORDER message format"),
    ('{"type":"CANCEL","clOrdID":5}', "Invalid CANCEL message format"),
    ('{"type":"ACCEPT_OFFER","offerId":"OFF-1","accept":"yes"}', "Invalid ACCEPT_OFFER message format"),
    ('{"type":"PRODUCTION_UPDATE","product":"GUACA","quantity":true}', "Invalid PRODUCTION_UPDATE message format"),
    ('{"type":"RESYNC","lastSeq":"1"}', "Invalid RESYNC message format"),
    ('{"type":"REQUEST_PERFORMANCE_REPORT","scope":1}', "Invalid REQUEST_PERFORMANCE_REPORT message format"),
]


async def test_wrong_field_types_get_invalid_message_without_cl(server: ServerProcess) -> None:
    async with Client.connect(server.url, token="TK-NOISY", ping_interval=None) as c:
        for text, reason in WRONG_TYPES:
            assert await _answer(c, text) == {"type": "ERROR", "code": "INVALID_MESSAGE", "reason": reason}, text
        # field names fold, the last spelling wins, null is absent
        await c.send_raw('{"TYPE":"ORDER","clordid":"ok1","Side":"SELL","MODE":"LIMIT","product":"GUACA",'
                         '"qty":"bad","QTY":1,"limitPrice":25,"message":null}')
        ack = await c.expect("ORDER_ACK")
        assert (ack["clOrdID"], ack["status"]) == ("ok1", "PENDING")
        await c.expect("INVENTORY_UPDATE")
        await c.cancel("ok1")
        assert (await c.expect("ORDER_ACK"))["reason"] == "USER"


async def test_a_frame_over_max_message_bytes_closes_with_1009(server: ServerProcess) -> None:
    async def abuse() -> None:
        async with Client.connect(server.url, token="TK-NOISY", ping_interval=None) as c:
            at_limit = '{"type":"PING","pad":"' + "x" * (MAX_BYTES - 24) + '"}'
            assert len(at_limit.encode()) == MAX_BYTES
            assert await _answer(c, at_limit) == {"type": "PONG"}
            await c.send_raw('{"type":"PING","pad":"' + "x" * MAX_BYTES + '"}')
            await c.wait_closed(5)
            assert c.close_code == 1009
        # binary frames too, and anonymous connections alike
        async with Client.connect(server.url, ping_interval=None) as c:
            await c.send_raw(b"x" * (MAX_BYTES + 1))
            await c.wait_closed(5)
            assert c.close_code == 1009

    await asyncio.gather(abuse(), trade_round_trips(server.url, "TK-SELLER", "TK-BUYER", 5, prefix="big"))
    assert server.alive()


async def test_a_message_flood_is_refused_with_at_most_one_notice_per_second(server: ServerProcess) -> None:
    async def flood() -> tuple[list[dict], float]:
        async with Client.connect(server.url, token="TK-NOISY", ping_interval=None) as c:
            started = time.monotonic()
            for _ in range(10):  # 10 bursts of 100 PINGs within ~2.5 s: 1000 frames against 50/s
                for _ in range(100):
                    await c.ping()
                await asyncio.sleep(0.25)
            frames = await c.collect(1.0, skip=("TICKER",))
            elapsed = time.monotonic() - started  # the server may still be refusing frames after the last send
            # the bucket refills: the connection is still usable
            await c.ping()
            assert (await c.expect("PONG"))["type"] == "PONG"
            return frames, elapsed

    (frames, elapsed), _ = await asyncio.gather(
        flood(), trade_round_trips(server.url, "TK-SELLER", "TK-BUYER", 10, prefix="flood"),
    )
    notices = [f for f in frames if f["type"] == "ERROR"]
    pongs = [f for f in frames if f["type"] == "PONG"]
    assert len(notices) + len(pongs) == len(frames), frames[:5]
    assert all(strip_times(n) == {"type": "ERROR", "code": "RATE_LIMIT_EXCEEDED",
                                  "reason": "Too many messages per second"} for n in notices)
    assert 1 <= len(notices) <= int(elapsed) + 2, (len(notices), elapsed)
    times = [datetime.fromisoformat(n["timestamp"].replace("Z", "+00:00")) for n in notices]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert all(g >= 0.99 for g in gaps), gaps
    # a bucket of 50 refilled at 50/s: about 50 + 50 × elapsed PONGs, never all 1000
    assert 50 <= len(pongs) <= 50 + 50 * (elapsed + 1), (len(pongs), elapsed)
    assert server.alive()
