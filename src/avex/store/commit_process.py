"""The server's side of the SQLite commit process (``avex.store.commit_child``).

The driver prepares a batch's SQL and parameters on the event loop; ``CommitProcess.commit`` sends them to
the child and returns a future that the event loop resolves when the child's answer arrives on its stdout
(``add_reader``: no thread, no GIL hand-off). Requests are answered in order, one at a time. If the child
fails a batch, or exits, every waiting commit fails with ``StoreError`` and the server stops: an
unanswered batch is never acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import Any, BinaryIO

from avex.store.commit_child import HEADER, WAL_LIMIT_BYTES, read_message, write_message
from avex.store.errors import StoreError

_CHILD = Path(__file__).with_name("commit_child.py")


class CommitProcess:
    def __init__(self, path: str, busy_ms: int, wal_limit_bytes: int = WAL_LIMIT_BYTES) -> None:
        # -I: isolated mode, standard library only (the script's directory is not on sys.path either)
        self._proc = subprocess.Popen(
            [sys.executable, "-I", str(_CHILD), path, str(busy_ms), str(wal_limit_bytes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
        )
        self._stdin: BinaryIO = self._proc.stdin  # type: ignore[assignment]
        self._stdout: BinaryIO = self._proc.stdout  # type: ignore[assignment]
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._buffer = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dead: str | None = None
        reply = read_message(self._stdout)
        if reply is None or reply[0] != "ready":
            reason = "it exited" if reply is None else reply[1]
            self.close()
            raise StoreError(f"the SQLite commit process did not start: {reason}")
        self.sqlite_version: str = reply[1]

    @property
    def pid(self) -> int:
        return self._proc.pid

    # --- commits ----------------------------------------------------------------------------------------
    def commit(self, statements: list[tuple[str, list[Any]]]) -> asyncio.Future[None]:
        """Send one batch; the future completes once it is durable (or fails with StoreError)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._attach(loop)
        fut: asyncio.Future[None] = loop.create_future()
        if self._dead is not None:
            fut.set_exception(StoreError(self._dead))
            return fut
        try:
            # A blocking write: the child reads its input as soon as it is idle, so this only waits when a
            # batch is larger than the pipe's buffer.
            write_message(self._stdin, statements)
        except OSError as exc:
            self._die(f"the SQLite commit process is gone: {exc.strerror or exc}")
            fut.set_exception(StoreError(self._dead or "the SQLite commit process is gone"))
            return fut
        self._waiting.append(fut)
        return fut

    def _attach(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self._stdout.fileno())
        self._loop = loop
        os.set_blocking(self._stdout.fileno(), False)
        loop.add_reader(self._stdout.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        try:
            data = os.read(self._stdout.fileno(), 65536)
        except BlockingIOError:
            return
        except OSError as exc:
            self._die(f"the SQLite commit process is gone: {exc.strerror or exc}")
            return
        if not data:
            code = self._proc.poll()
            self._die("the SQLite commit process exited" + (f" with code {code}" if code is not None else ""))
            return
        buf = self._buffer
        buf += data
        while len(buf) >= HEADER.size:
            (size,) = HEADER.unpack_from(buf)
            if len(buf) < HEADER.size + size:
                break
            reply = pickle.loads(bytes(buf[HEADER.size : HEADER.size + size]))
            del buf[: HEADER.size + size]
            self._answer(reply)

    def _answer(self, reply: tuple[Any, ...]) -> None:
        if not self._waiting:
            self._die(f"the SQLite commit process answered an unknown request: {reply!r}")
            return
        fut = self._waiting.popleft()
        if reply[0] == "ok":
            if not fut.done():  # a cancelled waiter: the batch is stored all the same
                fut.set_result(None)
        else:
            if not fut.done():
                fut.set_exception(StoreError(str(reply[1])))
            self._die(f"an earlier batch failed: {reply[1]}")

    def _die(self, reason: str) -> None:
        """The process cannot be trusted any more: fail everything waiting, and every later commit."""
        if self._dead is None:
            self._dead = reason
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._stdout.fileno())
        while self._waiting:
            fut = self._waiting.popleft()
            if not fut.done():
                fut.set_exception(StoreError(reason))

    # --- lifecycle --------------------------------------------------------------------------------------
    def close(self, timeout: float = 10.0) -> None:
        """Close the child's input (it finishes the batch in hand and exits); kill it if it does not."""
        if self._dead is None:
            self._die("the SQLite commit process is closed")
        with contextlib.suppress(OSError):
            self._stdin.close()
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(5)
        with contextlib.suppress(OSError):
            self._stdout.close()
