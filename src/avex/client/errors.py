"""Exceptions of the client library."""

from __future__ import annotations

from typing import Any

__all__ = ["ClientClosed", "ClientError", "LoginError", "UnexpectedMessage"]


class ClientError(Exception):
    """Base class of every error the client raises itself."""


class LoginError(ClientError):
    """LOGIN was answered with an ERROR (PROTOCOL.md §4.2): ``code`` and ``reason`` as sent."""

    def __init__(self, code: str, reason: str, frame: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.frame = frame or {}


class UnexpectedMessage(ClientError):
    """``expect`` received a message of another type than the one it waits for."""

    def __init__(self, expected: tuple[str, ...], message: dict[str, Any]) -> None:
        super().__init__(f"expected {' or '.join(expected)}, got {message!r}")
        self.expected = expected
        self.message = message


class ClientClosed(ClientError):
    """The connection is closed (by ``close()``, by the server, or lost without reconnect) and nothing is left
    to read. ``code``/``reason`` are the WebSocket close code and reason when the server sent one."""

    def __init__(self, code: int | None = None, reason: str = "") -> None:
        super().__init__(f"connection closed (code {code}{', ' + reason if reason else ''})")
        self.code = code
        self.reason = reason
