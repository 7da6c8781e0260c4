"""Raw TCP, newline-delimited JSON (PROTOCOL.md §1.5): same sessions and messages as the WebSocket."""

from __future__ import annotations

import asyncio
import socket

from avex.gateway.connection import Connection
from avex.gateway.hub import Hub


def _keepalive(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)


async def serve_tcp(hub: Hub, host: str, port: int) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _keepalive(writer)
        peer = writer.get_extra_info("peername")
        remote = peer[0] if peer else "unknown"

        async def send(frames: list[bytes]) -> None:
            writer.write(b"\n".join(frames) + b"\n")
            await writer.drain()

        async def close(code: int, reason: str) -> None:
            writer.close()

        conn = Connection(send, close, remote, "", "TCP", hub.on_drop)
        session = hub.attach(conn)
        limit = hub.max_message_bytes
        try:
            while not conn.closed:
                try:
                    line = await reader.readuntil(b"\n")
                except asyncio.IncompleteReadError as exc:
                    if not exc.partial.strip():
                        break
                    line = exc.partial
                except asyncio.LimitOverrunError:
                    conn.drop(1009, "line over the size limit")
                    break
                if len(line) > limit + 2:
                    conn.drop(1009, "line over the size limit")
                    break
                text = line.rstrip(b"\r\n")
                if not text.strip():
                    continue  # blank lines are ignored on TCP
                await session.on_frame(text, text_bytes=True)  # the codec reports invalid UTF-8
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            hub.disconnected(conn)
            writer.close()

    return await asyncio.start_server(handle, host, port, limit=hub.max_message_bytes + 2)
