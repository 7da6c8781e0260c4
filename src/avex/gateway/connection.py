"""One client connection: a bounded outbox and one writer task, whatever the transport.

Frames are queued already encoded. A reply that needs a store read after the commit is queued as a
future, so the writer keeps the connection's order while the read runs in a thread. A client that falls
more than 10 000 frames or 16 MiB behind is disconnected (close 1008), checked before a command's frames
are added so one command's burst always goes whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from avex.domain.timeutil import now_us
from avex.protocol.codec import encode

log = logging.getLogger("avex.gateway")

MAX_QUEUED_FRAMES = 10_000
MAX_QUEUED_BYTES = 16 * 1024 * 1024


class _CloseMark:
    """An outbox entry: close the connection once the frames queued before it have been written."""

    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class Connection:
    def __init__(
        self,
        send: Callable[[list[bytes]], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
        remote_addr: str,
        user_agent: str,
        client_type: str,
        on_drop: Callable[[Connection, str], None] | None = None,
        write_now: Callable[[list[bytes]], bool] | None = None,
    ) -> None:
        self._send = send
        # a synchronous write that succeeds only when the transport can take it now (not paused, open)
        self._write_now = write_now
        self._flush_scheduled = False
        self._writer_busy = False
        self._loop = asyncio.get_running_loop()
        self._close = close
        self.remote_addr = remote_addr
        self.user_agent = user_agent
        self.client_type = client_type
        self.on_drop = on_drop
        self.team: str | None = None
        self.admin = False
        self.closed = False
        self.closing = False
        """Set by ``close_after_flush``: no further frame of this connection is handled."""
        self.connected_at = now_us()
        self.last_activity = self.connected_at
        self.session_id: int | None = None
        self._outbox: deque[bytes | asyncio.Future[list[bytes]] | _CloseMark] = deque()
        self._bytes = 0
        self._wake = asyncio.Event()
        self.writer_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.writer_task = asyncio.get_running_loop().create_task(self._writer())

    # --- queueing ---------------------------------------------------------------------------------------
    def send_texts(self, texts: Iterable[bytes]) -> None:
        if self.closed:
            return
        if len(self._outbox) > MAX_QUEUED_FRAMES or self._bytes > MAX_QUEUED_BYTES:
            self.drop(1008, "outbox limit exceeded")
            return
        for text in texts:
            self._outbox.append(text)
            self._bytes += len(text)
        if not self._flush_scheduled:
            # everything queued during this loop step (a whole release of the driver) goes out together
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Write the queued frames now when the transport is writable (no task switch); otherwise, or for
        replies still being computed, the writer task takes over, in order."""
        self._flush_scheduled = False
        if self.closed:
            return
        outbox = self._outbox
        if self._write_now is not None and not self._writer_busy and outbox and isinstance(outbox[0], bytes):
            batch: list[bytes] = []
            size = 0
            while outbox and isinstance(outbox[0], bytes):
                frame: bytes = outbox.popleft()  # type: ignore[assignment]
                batch.append(frame)
                size += len(frame)
            if self._write_now(batch):
                self._bytes -= size
            else:
                outbox.extendleft(reversed(batch))
        if outbox:
            self._wake.set()

    def send_frame(self, frame: dict[str, Any]) -> None:
        self.send_texts((encode(frame),))

    def send_later(self, fut: asyncio.Future[list[bytes]]) -> None:
        """Reserve this place in the connection's order for frames that are still being computed."""
        if self.closed:
            return
        self._outbox.append(fut)
        self._wake.set()

    def close_after_flush(self, code: int, reason: str) -> None:
        """Close after the frames already queued are written (a refusal the client must still read, e.g. the
        throttled LOGIN's ERROR, §4.2 row 3)."""
        if self.closed or self.closing:
            return
        self.closing = True
        self._outbox.append(_CloseMark(code, reason))
        self._wake.set()

    def drop(self, code: int, reason: str) -> None:
        """Disconnect (slow reader, throttled login, shutdown, storage failure)."""
        if self.closed:
            return
        self.closed = True
        log.info("closing connection %s (team %s): %s", self.remote_addr, self.team, reason)
        self._outbox.clear()
        self._wake.set()
        if self.on_drop is not None:
            self.on_drop(self, reason)
        asyncio.get_running_loop().create_task(self._safe_close(code, reason))

    async def _safe_close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):  # the peer may be gone already
            await self._close(code, reason)

    async def drain(self, timeout: float) -> None:
        """Wait until everything queued has been written (shutdown)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._outbox and not self.closed and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)

    # --- the writer -------------------------------------------------------------------------------------
    async def _writer(self) -> None:
        outbox = self._outbox
        try:
            while not self.closed:
                if not outbox:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                item = outbox[0]
                if isinstance(item, bytes):
                    # everything queued goes out in one write: one syscall for a whole release, not per frame
                    batch: list[bytes] = []
                    while outbox and isinstance(outbox[0], bytes):
                        frame = outbox.popleft()
                        batch.append(frame)  # type: ignore[arg-type]
                        self._bytes -= len(frame)  # type: ignore[arg-type]
                    self._writer_busy = True
                    try:
                        await self._send(batch)
                    finally:
                        self._writer_busy = False
                    continue
                outbox.popleft()
                if isinstance(item, _CloseMark):
                    self.drop(item.code, item.reason)
                    return
                self._writer_busy = True
                try:
                    frames = await item
                    if frames and not self.closed:
                        await self._send(frames)
                finally:
                    self._writer_busy = False
        except Exception as exc:  # the peer went away mid-write
            if not self.closed:
                self.closed = True
                if self.on_drop is not None:
                    self.on_drop(self, f"write failed: {exc!r}")
