"""A minimal WebSocket client for the load generator (RFC 6455, text frames, no extensions).

The benchmark measures the server; a general-purpose client spends more CPU per received frame than the
server spends per sent one, and on a 2-core machine the two share the cores. This client parses frames
straight from the socket buffer and hands out their text. It sends masked frames with an all-zero mask key
(a client must mask; the key's value is not checked by servers, and zero leaves the payload unchanged).
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections import deque
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed

_ZERO_MASK = b"\x00\x00\x00\x00"


class RawWebSocket(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._frames: deque[tuple[float, str]] = deque()
        self.last_arrival = 0.0
        """When the frame last returned by ``recv`` came off the socket (``time.perf_counter``): latency is
        measured to arrival, not to when this process's loop got round to the frame."""
        self._waiter: asyncio.Future[None] | None = None
        self._open: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._closed = False

    # --- asyncio.Protocol ---------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        if not self._open.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end])
            del buf[: end + 4]
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                self._open.set_exception(ConnectionError(f"upgrade refused: {head[:80]!r}"))
                return
            self._open.set_result(None)
        pos, n_buf, frames = 0, len(buf), self._frames
        arrived = time.perf_counter()
        while n_buf - pos >= 2:
            n = buf[pos + 1] & 0x7F
            start = pos + 2
            if n == 126:
                if n_buf - pos < 4:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                start = pos + 4
            elif n == 127:
                if n_buf - pos < 10:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            if n_buf - start < n:
                break
            opcode = buf[pos] & 0x0F
            if opcode == 1:
                frames.append((arrived, buf[start : start + n].decode()))
            elif opcode == 9:  # ping: answer with a pong of the same payload
                self._write(0x8A, bytes(buf[start : start + n]))
            elif opcode == 8:
                self._closed = True
            pos = start + n
        if pos:
            del buf[:pos]
        if (frames or self._closed) and self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if not self._open.done():
            self._open.set_exception(ConnectionError("connection lost during the upgrade"))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # --- API -------------------------------------------------------------------------------------------------
    def _write(self, first: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            header = bytes((first, 0x80 | n))
        elif n < 65536:
            header = bytes((first, 0xFE)) + n.to_bytes(2, "big")
        else:
            header = bytes((first, 0xFF)) + n.to_bytes(8, "big")
        assert self.transport is not None
        self.transport.write(header + _ZERO_MASK + payload)

    async def send(self, text: str) -> None:
        if self._closed:
            raise ConnectionClosed(None, None)
        self._write(0x81, text.encode())

    async def recv(self) -> str:
        frames = self._frames
        while not frames:
            if self._closed:
                raise ConnectionClosed(None, None)
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        self.last_arrival, text = frames.popleft()
        return text

    async def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            if not self._closed:
                self._write(0x88, (1000).to_bytes(2, "big"))
            self.transport.close()


async def connect(url: str) -> RawWebSocket:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(RawWebSocket, host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert proto.transport is not None
    proto.transport.write(request.encode())
    await asyncio.wait_for(proto._open, 30)
    return proto
