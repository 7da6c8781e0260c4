"""uvicorn's sans-I/O WebSocket protocol with one addition: ``websocket.send_many``.

Sending frame by frame through ASGI costs a coroutine chain and a socket write per frame, and a trade fans
out to many frames per connection. ``{"type": "websocket.send_many", "frames": [bytes, ...]}`` frames every
already-encoded UTF-8 JSON text into the WebSocket and writes them with one ``transport.write``, under the
same flow control (``writable``) as a plain send. Everything else is uvicorn's behaviour (handshake,
20 s pings with a 1011 on timeout, max size 1009, close handshake).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

SEND_MANY = "websocket.send_many"


class BatchingWebSocketProtocol(WebSocketsSansIOProtocol):
    async def send(self, message: Any) -> None:
        if message["type"] != SEND_MANY:
            await super().send(message)
            return
        await self.writable.wait()
        if self.disconnected:
            raise ClientDisconnected()
        if self.close_sent or not self.handshake_complete:
            return
        conn = self.conn
        for frame in message["frames"]:
            conn.send_text(frame)
        self.transport.write(b"".join(conn.data_to_send()))
