"""What happens to one inbound frame (PROTOCOL.md §1.4), whatever the transport.

The gateway decodes, checks login, rights and limits, and turns a frame into an engine command or a query
for the driver. It never touches engine state itself: everything stateful runs in the driver between
commands, and its answer comes back through the driver's release, after the commit, in receive order.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from avex.domain.errors import AUTH_FAILED, INVALID_MESSAGE, RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE
from avex.domain.timeutil import format_ms, now_us
from avex.engine.commands import Command
from avex.engine.engine import Engine
from avex.gateway import reads
from avex.gateway.connection import Connection
from avex.gateway.limits import NoticeGate, TokenBucket
from avex.gateway.views import login_ok
from avex.protocol import queries as Q
from avex.protocol.codec import decode_frame, encode
from avex.protocol.dispatch import ADMIN_TYPES, PARSERS, TEAM_TYPES
from avex.protocol.errors import WireError
from avex.router import error_frame

if TYPE_CHECKING:
    from avex.gateway.hub import Hub

log = logging.getLogger("avex.gateway")

_BINARY = WireError(INVALID_MESSAGE, "Message processing failed: binary frames are not supported")
_MUST_LOGIN = WireError(AUTH_FAILED, "Must login first")
_ADMIN_ONLY = WireError(AUTH_FAILED, "Admin access required")
_SHUTTING_DOWN = WireError(SERVICE_UNAVAILABLE, "Server is shutting down")
# admin messages with a teamName checked in engine order, and the refusals that come before that check
_TEAM_CHECKED = frozenset({
    "ADD_INVENTORY", "UPDATE_TEAM", "UPDATE_TEAM_MEMBERS", "RESET_TEAM_BALANCE", "RESET_TEAM_INVENTORY",
    "RESET_TEAM_PRODUCTION", "ADMIN_CANCEL_ORDER", "ADMIN_CREATE_ORDER", "GET_TEAM_ACTIVITY",
})
_BEFORE_TEAM_CHECK = frozenset({"TeamName is required", "Order ID is required"})


class Session:
    """Per-connection protocol state: limits and the LOGIN barrier."""

    def __init__(self, hub: Hub, conn: Connection) -> None:
        self.hub = hub
        self.conn = conn
        market = hub.tournament.market
        self.messages = TokenBucket(market.messages_per_second, market.messages_per_second)
        self.rate_notice = NoticeGate()

    def error(self, err: WireError) -> None:
        self.conn.send_frame(error_frame(err.code, err.reason, err.cl))

    async def on_frame(self, data: str | bytes, *, text_bytes: bool = False) -> None:
        """Handle one frame; returns once the next frame may be read (LOGIN is a barrier).

        ``bytes`` are a binary frame, unless ``text_bytes`` (a TCP line, not yet decoded: invalid UTF-8 is then
        reported as invalid JSON, §1.4 step 4)."""
        conn = self.conn
        if conn.closing:
            return  # closing after a refusal (§4.2 row 3): nothing more is handled
        conn.last_activity = now_us()
        if not self.messages.take():
            if self.rate_notice.allow():
                self.error(WireError(RATE_LIMIT_EXCEEDED, "Too many messages per second"))
            return
        if isinstance(data, bytes) and not text_bytes:
            self.error(_BINARY)
            return
        fields = decode_frame(data)
        if isinstance(fields, WireError):
            self.error(fields)
            return
        msg_type = fields.get("type")
        parser = PARSERS.get(msg_type) if msg_type is not None else None
        if parser is None:
            conn.send_frame({
                "type": "ECHO", "original": {"type": msg_type or ""}, "time": format_ms(now_us()),
                "authenticated": conn.team is not None,
            })
            return
        if msg_type == "PING":
            conn.send_frame({"type": "PONG", "timestamp": format_ms(now_us())})
            return
        hub = self.hub
        if msg_type in TEAM_TYPES:
            if conn.team is None:
                self.error(_MUST_LOGIN)
                return
            if msg_type == "ORDER" and not hub.order_bucket(conn.team).take():
                if hub.order_notice(conn).allow():
                    cl = fields.get("clordid")
                    self.error(WireError(RATE_LIMIT_EXCEEDED, "Too many orders per minute",
                                         cl if isinstance(cl, str) else None))
                return
        elif msg_type in ADMIN_TYPES and not conn.admin:
            self.error(_ADMIN_ONLY)
            return
        if hub.shutting_down and msg_type != "LOGIN":
            self.error(_SHUTTING_DOWN)
            return
        if msg_type in _TEAM_CHECKED:
            self._admin_in_engine_order(parser, fields)
            return
        result = parser(fields, conn.team or "", hub.tournament, now_us())
        if isinstance(result, WireError):
            self.error(result)
        elif isinstance(result, Command):
            hub.driver.submit(conn, result)
            hub.metrics.command_in()
        elif isinstance(result, Q.Login):
            await self.login(result)
        else:
            reads.dispatch(hub, conn, result)

    def _admin_in_engine_order(self, parser: Any, fields: dict[str, Any]) -> None:
        """Admin messages naming a team: `Team not found` is checked in engine order (§3.4, §4.11), after the
        field types and `TeamName is required` but before the message's own checks."""
        conn, hub = self.conn, self.hub
        admin = conn.team or ""

        def at_engine(engine: Engine, now: int) -> Any:
            result = parser(fields, admin, hub.tournament, now)
            name = fields.get("teamname")
            if (
                isinstance(name, str) and name and engine.account(name) is None
                and not (isinstance(result, WireError) and result.reason in _BEFORE_TEAM_CHECK)
                and not (isinstance(result, WireError) and result.reason.endswith("message format"))
            ):
                result = WireError(INVALID_MESSAGE, f"Team not found: {name}")
            if isinstance(result, WireError):
                frame = error_frame(result.code, result.reason, result.cl)
                return lambda: conn.send_frame(frame)
            if isinstance(result, Command):
                return result
            return reads.answer(hub, conn, result, engine, now)

        hub.driver.query(conn, at_engine)

    # --- LOGIN (§4.2): rows 3-5 in engine order, then join the fan-out at LOGIN_OK's seq ------------------
    async def login(self, req: Q.Login) -> None:
        hub = self.hub
        conn = self.conn
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        token_hash = req.token_hash if req.well_formed else ""

        def at_engine(engine: Engine, now: int) -> Any:
            acct = engine.login(token_hash) if token_hash else None
            frame = None if acct is None else (acct.name, acct.admin, login_ok(engine, acct, now))

            def at_release() -> None:
                try:
                    self._finish_login(frame)
                finally:
                    if not done.done():
                        done.set_result(None)

            return at_release

        hub.driver.query(conn, at_engine)
        await done

    def _finish_login(self, found: tuple[str, bool, dict[str, Any]] | None) -> None:
        hub, conn = self.hub, self.conn
        if found is None:
            if hub.login_failures.blocked(conn.remote_addr):
                self.error(WireError(AUTH_FAILED, "Too many failed login attempts"))
                conn.close_after_flush(1008, "too many failed login attempts")
                return
            hub.login_failures.record(conn.remote_addr)
            self.error(WireError(AUTH_FAILED, "Invalid token"))
            return
        team, admin, frame = found
        others = hub.router.team_connections(team) - (1 if conn.team == team else 0)
        if others >= hub.tournament.market.max_connections_per_team:
            self.error(WireError(AUTH_FAILED, "too many connections"))
            return
        if conn.team is not None:
            hub.router.leave(conn)
            hub.session_closed(conn)
        conn.team, conn.admin = team, admin
        conn.send_texts((encode(frame),))
        hub.router.join(conn)
        hub.session_opened(conn)


__all__ = ["Session"]
