"""``Client``: one connection to an avex server, as an async stream of decoded messages.

    async with Client.connect("ws://localhost:9000/ws") as c:
        ok = await c.login("TK-…")                      # LOGIN_OK, or LoginError(code, reason)
        await c.order("b1", "BUY", "LIMIT", "GUACA", 5, limit_price=Decimal("16.50"))
        ack = await c.expect("ORDER_ACK")               # skips TICKER / ORDER_BOOK_UPDATE pushes
        async for msg in c:                             # everything else, in arrival order
            ...

A background task reads the socket, tracks ``last_seq`` and queues messages; another sends ``PING`` every
30 s (its PONGs are swallowed). With ``reconnect=True`` a lost connection is reopened with backoff, logged in
again with the last token, and ``RESYNC lastSeq`` replays what was missed; replayed and live copies of a
message are delivered once, in ``seq`` order (PROTOCOL.md §3.4). ``close()`` never reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Iterable
from types import TracebackType
from typing import Any

import msgspec

from avex.client import wire
from avex.client.errors import ClientClosed, LoginError, UnexpectedMessage
from avex.client.tracking import Deduper, SeqTracker
from avex.client.transport import Transport, TransportClosed, open_transport
from avex.client.wire import Money, Timestamp

__all__ = ["DEFAULT_SKIP", "REPLAYED_TYPES", "Client", "Connecting"]

log = logging.getLogger("avex.client")

DEFAULT_SKIP: tuple[str, ...] = ("TICKER", "ORDER_BOOK_UPDATE")
"""Market-data pushes ``expect`` passes over unless asked for."""
REPLAYED_TYPES = frozenset({"ORDER_ACK", "FILL", "BALANCE_UPDATE", "INVENTORY_UPDATE", "OFFER"})
"""Team-scope messages a RESYNC ``lastSeq`` replays (§4.7): the ones that may arrive twice."""
_LOGIN_FAILURES = frozenset({"Must login first", "Admin access required"})  # AUTH_FAILED that are not LOGIN's


class Client:
    """A connection to an avex server. Create it with ``await Client.connect(url)`` (or ``async with``)."""

    def __init__(
        self,
        url: str,
        *,
        ping_interval: float | None = 30.0,
        reconnect: bool = False,
        reconnect_delay: tuple[float, float] = (0.5, 10.0),
        open_timeout: float = 10.0,
        opener: Callable[[str, float], Awaitable[Transport]] = open_transport,
    ) -> None:
        self.url = url
        self.ping_interval = ping_interval
        self.reconnect = reconnect
        self.reconnect_delay = reconnect_delay
        self.open_timeout = open_timeout
        self._opener = opener
        self._transport: Transport | None = None
        self._inbox: deque[dict[str, Any]] = deque()
        self._arrived = asyncio.Event()
        self._ready = asyncio.Event()
        self._finished = asyncio.Event()
        self._closing = False
        self._tracker = SeqTracker()
        self._dedupe = Deduper()
        self._auto_pongs = 0
        self._token: str | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.login_ok: dict[str, Any] | None = None
        """The last LOGIN_OK (also after an automatic re-login)."""
        self.close_code: int | None = None
        self.close_reason: str = ""
        self.reconnects = 0
        """How many times the connection was reopened automatically."""

    # --- opening and closing ---------------------------------------------------------------------------
    @classmethod
    def connect(cls, url: str, *, token: str | None = None, **options: Any) -> Connecting:
        """Open a connection: ``c = await Client.connect(url)`` or ``async with Client.connect(url) as c``.

        ``token`` logs in at once. Options: ``ping_interval`` (seconds, None = no automatic PING),
        ``reconnect`` (reopen, log in again and RESYNC when the connection is lost), ``reconnect_delay``
        (first and longest wait), ``open_timeout``.
        """
        return Connecting(cls(url, **options), token)

    async def _start(self, token: str | None) -> Client:
        self._transport = await self._opener(self.url, self.open_timeout)
        self._ready.set()
        self._tasks.append(asyncio.get_running_loop().create_task(self._read_loop()))
        if self.ping_interval:
            self._tasks.append(asyncio.get_running_loop().create_task(self._ping_loop(self.ping_interval)))
        if token is not None:
            try:
                await self.login(token)
            except BaseException:
                await self.close()
                raise
        return self

    async def close(self) -> None:
        """Close the connection (no reconnect). Messages already received can still be read."""
        self._closing = True
        transport = self._transport
        if transport is not None:
            with contextlib.suppress(Exception):
                await transport.close()
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._finish()

    def _finish(self, code: int | None = None, reason: str | None = None) -> None:
        if not self._finished.is_set():
            if code is not None:
                self.close_code = code
            if reason is not None:
                self.close_reason = reason
            self._finished.set()
            self._ready.clear()
            self._arrived.set()

    @property
    def closed(self) -> bool:
        """True once the connection has ended for good (closed, or lost without reconnect)."""
        return self._finished.is_set()

    async def wait_closed(self, timeout: float | None = None) -> None:
        """Wait until the connection has ended for good (e.g. the server closed it)."""
        await asyncio.wait_for(self._finished.wait(), timeout)

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- state -----------------------------------------------------------------------------------------
    @property
    def last_seq(self) -> int:
        """The highest ``seq`` this connection has been brought up to: live, by snapshots or by RESYNC."""
        return self._tracker.last_seq

    @property
    def team(self) -> str | None:
        return None if self.login_ok is None else self.login_ok.get("team")

    @property
    def admin(self) -> bool:
        return bool(self.login_ok and self.login_ok.get("admin"))

    # --- receiving -------------------------------------------------------------------------------------
    async def recv(self, timeout: float | None = None) -> dict[str, Any]:
        """The next message. ``TimeoutError`` after ``timeout`` seconds; ``ClientClosed`` when the connection
        has ended and every received message has been read."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._inbox:
            if self._finished.is_set():
                raise ClientClosed(self.close_code, self.close_reason)
            self._arrived.clear()
            if deadline is None:
                await self._arrived.wait()
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no message within {timeout} s")
                try:
                    await asyncio.wait_for(self._arrived.wait(), remaining)
                except TimeoutError:
                    raise TimeoutError(f"no message within {timeout} s") from None
        return self._inbox.popleft()

    async def expect(
        self, type_: str | Iterable[str], timeout: float = 5.0, skip: Iterable[str] = DEFAULT_SKIP,
    ) -> dict[str, Any]:
        """The next message whose type is not in ``skip``; ``UnexpectedMessage`` if it is not of ``type_``
        (one type or several), ``TimeoutError`` if none comes within ``timeout`` seconds."""
        wanted = (type_,) if isinstance(type_, str) else tuple(type_)
        skipped = frozenset(skip) - frozenset(wanted)
        deadline = time.monotonic() + timeout
        while True:
            message = await self.recv(max(deadline - time.monotonic(), 0.0))
            kind = message.get("type")
            if kind in skipped:
                continue
            if kind in wanted:
                return message
            raise UnexpectedMessage(wanted, message)

    async def collect(self, duration: float, skip: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Every message that arrives within ``duration`` seconds (plus those already queued), minus the
        types in ``skip``. Useful to check that nothing else arrives."""
        skipped = frozenset(skip)
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + duration
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 and not self._inbox:
                return out
            try:
                message = await self.recv(max(remaining, 0.0))
            except (TimeoutError, ClientClosed):
                return out
            if message.get("type") not in skipped:
                out.append(message)

    def pending(self) -> list[dict[str, Any]]:
        """Take every message already received, without waiting."""
        out = list(self._inbox)
        self._inbox.clear()
        return out

    def __aiter__(self) -> Client:
        return self

    async def __anext__(self) -> dict[str, Any]:
        try:
            return await self.recv()
        except ClientClosed:
            raise StopAsyncIteration from None

    # --- sending ---------------------------------------------------------------------------------------
    async def send(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send any message (admin messages included) and return it. ``Decimal`` values go out as JSON
        numbers. While reconnecting (``reconnect=True``), waits until the connection is back; a frame whose
        send failed because the connection dropped is sent again then."""
        await self._send_text(wire.encode(frame))
        return frame

    async def send_raw(self, data: str | bytes) -> None:
        """Send a frame exactly as given: ``str`` as text, ``bytes`` as a binary frame (TCP: raw bytes)."""
        await self._send_text(data)

    async def _send_text(self, data: str | bytes) -> None:
        while True:
            transport = await self._usable()
            try:
                await transport.send(data)
                return
            except TransportClosed as exc:
                if not self.reconnect or self._closing:
                    raise ClientClosed(exc.code, exc.reason) from exc
                # The frame did not go out: send it again once the connection is back.
                if self._transport is transport:
                    self._ready.clear()

    async def _usable(self) -> Transport:
        while not self._ready.is_set():
            if self._finished.is_set():
                raise ClientClosed(self.close_code, self.close_reason)
            ready = asyncio.ensure_future(self._ready.wait())
            finished = asyncio.ensure_future(self._finished.wait())
            try:
                await asyncio.wait((ready, finished), return_when=asyncio.FIRST_COMPLETED)
            finally:
                ready.cancel()
                finished.cancel()
        if self._finished.is_set() or self._transport is None:
            raise ClientClosed(self.close_code, self.close_reason)
        return self._transport

    async def login(self, token: str, timeout: float = 10.0) -> dict[str, Any]:
        """LOGIN and wait for the answer: the LOGIN_OK, or ``LoginError(code, reason)``. Neither is queued
        for ``recv``; replies to earlier frames that arrive first stay queued, in order."""
        await self.send(wire.login(token))
        stash: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        try:
            while True:
                message = await self.recv(max(deadline - time.monotonic(), 0.0))
                if message.get("type") == "LOGIN_OK":
                    self._token = token
                    self.login_ok = message
                    return message
                if _is_login_error(message):
                    raise LoginError(str(message.get("code")), str(message.get("reason")), message)
                stash.append(message)
        finally:
            self._inbox.extendleft(reversed(stash))
            if self._inbox:
                self._arrived.set()

    async def ping(self) -> dict[str, Any]:
        return await self.send(wire.ping())

    async def order(
        self,
        cl: str,
        side: wire.Side | str,
        mode: wire.Mode | str,
        product: str,
        qty: int,
        limit_price: Money | None = None,
        expires_at: Timestamp | None = None,
        message: str | None = None,
        debug_mode: str | None = None,
    ) -> dict[str, Any]:
        """ORDER. The answer (ORDER_ACK, FILLs, updates, or an ERROR) arrives on the stream."""
        return await self.send(wire.order(cl, side, mode, product, qty, limit_price, expires_at, message,
                                          debug_mode))

    async def cancel(self, cl: str) -> dict[str, Any]:
        return await self.send(wire.cancel(cl))

    async def accept_offer(
        self, offer_id: str, quantity: int | None = None, price: Money | None = None,
    ) -> dict[str, Any]:
        return await self.send(wire.accept_offer(offer_id, quantity, price))

    async def decline_offer(self, offer_id: str) -> dict[str, Any]:
        return await self.send(wire.decline_offer(offer_id))

    async def produce(self, product: str, quantity: int) -> dict[str, Any]:
        return await self.send(wire.produce(product, quantity))

    async def resync(self, last_seq: int | None = None, last_sync: Timestamp | None = None) -> dict[str, Any]:
        return await self.send(wire.resync(last_seq, last_sync))

    async def get_inventory(self) -> dict[str, Any]:
        return await self.send(wire.get_inventory())

    async def request_all_orders(self) -> dict[str, Any]:
        return await self.send(wire.request_all_orders())

    async def request_order_book(self, product: str) -> dict[str, Any]:
        return await self.send(wire.request_order_book(product))

    async def request_performance_report(
        self, scope: str | None = None, team_name: str | None = None, start_time: Timestamp | None = None,
    ) -> dict[str, Any]:
        return await self.send(wire.request_performance_report(scope, team_name, start_time))

    # --- background tasks ------------------------------------------------------------------------------
    def _deliver(self, message: dict[str, Any]) -> None:
        """Queue one message: swallow our own PONGs, track seq, drop replayed duplicates."""
        kind = message.get("type")
        if kind == "PONG" and self._auto_pongs > 0:
            self._auto_pongs -= 1
            return
        if kind in REPLAYED_TYPES and self._dedupe.seen(message):
            return
        self._tracker.observe(message)
        self._inbox.append(message)
        self._arrived.set()

    async def _read_loop(self) -> None:
        while True:
            transport = self._transport
            assert transport is not None
            try:
                while True:
                    message = _decode(await transport.recv())
                    if message is not None:
                        self._deliver(message)
            except TransportClosed as exc:
                self._ready.clear()
                if self._closing or not self.reconnect:
                    self._finish(exc.code, exc.reason)
                    return
                self.close_code, self.close_reason = exc.code, exc.reason
                log.info("connection lost (%s); reconnecting", exc)
            except Exception as exc:  # a bug here must end the stream, not leave readers waiting forever
                log.exception("client reader failed")
                self._ready.clear()
                with contextlib.suppress(Exception):
                    await transport.close()
                self._finish(None, f"reader failed: {exc!r}")
                return
            if not await self._reconnect():
                return

    async def _reconnect(self) -> bool:
        first, longest = self.reconnect_delay
        delay = first
        while not self._closing:
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)
            try:
                transport = await self._opener(self.url, self.open_timeout)
            except (OSError, TimeoutError) as exc:
                log.info("reconnect failed: %s", exc)
                continue
            try:
                await self._resume(transport)
            except LoginError as exc:
                log.warning("re-login refused: %s", exc)
                with contextlib.suppress(Exception):
                    await transport.close()
                self._finish(None, f"re-login refused: {exc}")
                return False
            except (TransportClosed, TimeoutError, OSError) as exc:
                log.info("resume failed: %s", exc)
                with contextlib.suppress(Exception):
                    await transport.close()
                continue
            self._transport = transport
            self._auto_pongs = 0
            self.reconnects += 1
            self._ready.set()
            return True
        self._finish()
        return False

    async def _resume(self, transport: Transport, timeout: float = 30.0) -> None:
        """Log in again and replay what was missed (RESYNC lastSeq, following ``more``). Live messages that
        arrive meanwhile are held back and delivered after the replay, duplicates dropped."""
        if self._token is None:
            return
        held: list[dict[str, Any]] = []

        async def next_message() -> dict[str, Any]:
            while True:
                message = _decode(await asyncio.wait_for(transport.recv(), timeout))
                if message is not None:
                    return message

        await transport.send(wire.encode(wire.login(self._token)))
        while True:
            message = await next_message()
            if message.get("type") == "LOGIN_OK":
                self.login_ok = message
                break
            if _is_login_error(message):
                raise LoginError(str(message.get("code")), str(message.get("reason")), message)
            held.append(message)
        since = self.last_seq
        await transport.send(wire.encode(wire.resync(last_seq=since)))
        while True:
            message = await next_message()
            if message.get("type") != "EVENT_DELTA":
                held.append(message)
                continue
            events = [e for e in message.get("events") or () if isinstance(e, dict)]
            for event in events:
                self._deliver(event)
            if not message.get("more") or not events:
                self._tracker.observe({"seq": message.get("seq")})
                break
            since = max(since, *(e.get("seq", since) for e in events))
            await transport.send(wire.encode(wire.resync(last_seq=since)))
        self._tracker.observe({"seq": self.login_ok.get("seq")} if self.login_ok else {})
        for message in held:
            self._deliver(message)

    async def _ping_loop(self, interval: float) -> None:
        while not self._closing:
            await asyncio.sleep(interval)
            if not self._ready.is_set() or self._transport is None:
                continue
            if self._auto_pongs >= 3:  # three PINGs unanswered (90 s): the connection is dead
                log.info("no PONG for %d PINGs; dropping the connection", self._auto_pongs)
                with contextlib.suppress(Exception):
                    await self._transport.close()
                continue
            self._auto_pongs += 1
            try:
                await self._transport.send(wire.encode(wire.ping()))
            except TransportClosed:
                self._auto_pongs -= 1


class Connecting:
    """What ``Client.connect`` returns: await it for a ``Client``, or use it as ``async with``."""

    def __init__(self, client: Client, token: str | None) -> None:
        self._client = client
        self._token = token

    def __await__(self) -> Generator[Any, None, Client]:
        return self._client._start(self._token).__await__()

    async def __aenter__(self) -> Client:
        return await self._client._start(self._token)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None,
    ) -> None:
        await self._client.close()


def _decode(data: str | bytes) -> dict[str, Any] | None:
    try:
        message = wire.decode(data)
    except msgspec.DecodeError:
        log.warning("undecodable frame from the server: %.200r", data)
        return None
    if not isinstance(message, dict):
        log.warning("non-object frame from the server: %.200r", data)
        return None
    return message


def _is_login_error(message: dict[str, Any]) -> bool:
    if message.get("type") != "ERROR":
        return False
    code, reason = message.get("code"), message.get("reason")
    if code == "AUTH_FAILED":
        return reason not in _LOGIN_FAILURES
    return code == "INVALID_MESSAGE" and reason == "Invalid LOGIN message format"
