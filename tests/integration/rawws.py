"""A bare-socket WebSocket client (RFC 6455 by hand) for the slow-reader test: a client that can decide not to
read at all, with a tiny receive buffer, which no real WebSocket library lets you be."""

from __future__ import annotations

import base64
import json
import os
import socket
from typing import Any

OP_TEXT, OP_BINARY, OP_CLOSE = 0x1, 0x2, 0x8


def connect(port: int, *, rcvbuf: int | None = None, path: str = "/ws", timeout: float = 5.0) -> socket.socket:
    """Open a WebSocket on 127.0.0.1:port and return its socket, positioned after the 101 response."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)  # one byte at a time: frames may follow the headers
        if not byte:
            raise ConnectionError("closed during the handshake")
        head += byte
    status = head.split(b"\r\n", 1)[0]
    if b" 101 " not in status:
        raise ConnectionError(f"handshake refused: {status!r}")
    return sock


def frame(payload: bytes, opcode: int = OP_TEXT) -> bytes:
    """One masked client frame."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = bytes([0x80 | opcode, 0x80 | n])
    elif n < 1 << 16:
        header = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def send_json(sock: socket.socket, obj: dict[str, Any]) -> None:
    sock.sendall(frame(json.dumps(obj).encode()))


def _exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("end of stream")
        data += chunk
    return data


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    """(opcode, payload) of the next server frame (unmasked, unfragmented)."""
    b0, b1 = _exactly(sock, 2)
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(_exactly(sock, 2), "big")
    elif n == 127:
        n = int.from_bytes(_exactly(sock, 8), "big")
    return b0 & 0x0F, _exactly(sock, n)


def read_until_closed(sock: socket.socket, timeout: float = 10.0) -> tuple[int, int | None]:
    """Read everything left; returns (data frames read, close code or None if the socket just ended).
    TimeoutError if the connection is still open after ``timeout`` seconds of silence."""
    sock.settimeout(timeout)
    frames = 0
    try:
        while True:
            opcode, payload = read_frame(sock)
            if opcode == OP_CLOSE:
                return frames, int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            frames += 1
    except TimeoutError:
        raise
    except (ConnectionError, OSError):
        return frames, None
