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
from websockets.protocol import State

SEND_MANY = "websocket.send_many"
_SHORT = [bytes((0x81, n)) for n in range(126)]


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked WebSocket text frame (server to client)."""
    n = len(payload)
    if n < 126:
        return _SHORT[n] + payload
    if n < 65536:
        return b"\x81\x7e" + n.to_bytes(2, "big") + payload
    return b"\x81\x7f" + n.to_bytes(8, "big") + payload


WRITE_NOW = "avex.write_now"


class BatchingWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:  # the app finds the synchronous writer in the scope's extensions
            scope["extensions"][WRITE_NOW] = self.write_now

    def write_now(self, frames: list[bytes]) -> bool:
        """Write frames at once if the transport takes them now; False (nothing written) otherwise."""
        if (
            not self.writable.is_set() or self.disconnected or self.close_sent or not self.handshake_complete
            or self.conn.extensions or self.conn.state is not State.OPEN
        ):
            return False
        self.transport.write(b"".join(map(text_frame, frames)))
        return True

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
        if conn.extensions or conn.state is not State.OPEN:
            for frame in message["frames"]:
                conn.send_text(frame)
            self.transport.write(b"".join(conn.data_to_send()))
            return
        # No extension negotiated (compression is off by default): a server text frame is FIN + opcode 1, an
        # unmasked length and the payload, so the frames are built here directly instead of through the
        # generic per-frame path (RFC 6455 §5.2).
        self.transport.write(b"".join(map(text_frame, message["frames"])))
