"""The two ways to reach an avex server: WebSocket (``ws://``, ``wss://``) and raw TCP NDJSON (``tcp://``).

A transport moves text frames and nothing else; the client above it owns JSON, sessions and reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

__all__ = ["TcpTransport", "Transport", "TransportClosed", "WebSocketTransport", "open_transport"]


class TransportClosed(Exception):
    """The connection ended; ``code``/``reason`` are the WebSocket close frame's, when there was one."""

    def __init__(self, code: int | None = None, reason: str = "") -> None:
        super().__init__(f"closed (code {code}) {reason}".rstrip())
        self.code = code
        self.reason = reason


class Transport(Protocol):
    async def send(self, data: str | bytes) -> None:
        """Send one frame: ``str`` as a text frame (TCP: one line), ``bytes`` as a binary frame (TCP: raw)."""
        ...

    async def recv(self) -> str | bytes:
        """The next frame; ``TransportClosed`` once the connection is gone."""
        ...

    async def close(self) -> None: ...


class WebSocketTransport:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, url: str, timeout: float) -> WebSocketTransport:
        try:
            ws = await ws_connect(
                url, open_timeout=timeout, max_size=None, ping_interval=None, compression=None,
                user_agent_header="avex-client", proxy=None,
            )
        except (InvalidHandshake, InvalidURI) as exc:
            raise OSError(f"WebSocket handshake with {url} failed: {exc}") from exc
        return cls(ws)

    async def send(self, data: str | bytes) -> None:
        try:
            await self.ws.send(data)
        except ConnectionClosed as exc:
            raise _closed(exc) from exc

    async def recv(self) -> str | bytes:
        try:
            return await self.ws.recv()
        except ConnectionClosed as exc:
            raise _closed(exc) from exc

    async def close(self) -> None:
        await self.ws.close()


def _closed(exc: ConnectionClosed) -> TransportClosed:
    frame = exc.rcvd
    return TransportClosed(frame.code if frame is not None else None, frame.reason if frame is not None else "")


class TcpTransport:
    """One JSON object per line (PROTOCOL.md §1.5). ``bytes`` are written as they are, with the newline."""

    LINE_LIMIT = 1 << 26

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int, timeout: float) -> TcpTransport:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, limit=cls.LINE_LIMIT), timeout,
        )
        return cls(reader, writer)

    async def send(self, data: str | bytes) -> None:
        raw = data.encode() if isinstance(data, str) else data
        try:
            self.writer.write(raw + b"\n")
            await self.writer.drain()
        except (ConnectionError, RuntimeError) as exc:
            raise TransportClosed(None, str(exc)) from exc

    async def recv(self) -> str | bytes:
        try:
            line = await self.reader.readline()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError) as exc:
            raise TransportClosed(None, str(exc)) from exc
        if not line:
            raise TransportClosed(None, "end of stream")
        return line.rstrip(b"\r\n").decode("utf-8", "replace")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


async def open_transport(url: str, timeout: float = 10.0) -> Transport:
    """Open ``ws://…``/``wss://…`` as a WebSocket, ``tcp://host:port`` as NDJSON over TCP. Raises OSError
    (or TimeoutError) when the server cannot be reached; ValueError for an unsupported URL."""
    parts = urlsplit(url)
    if parts.scheme in ("ws", "wss"):
        return await WebSocketTransport.open(url, timeout)
    if parts.scheme == "tcp":
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"a TCP URL needs a host and a port: {url}")
        return await TcpTransport.open(parts.hostname, parts.port, timeout)
    raise ValueError(f"unsupported URL (use ws://, wss:// or tcp://): {url}")
