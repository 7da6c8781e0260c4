"""The SQLite commit process: applies prepared batches to the database file, one transaction each.

Run by ``avex.store.commit_process`` as ``python -I commit_child.py PATH BUSY_MS`` (isolated mode, standard
library only, so it starts in milliseconds and never imports the package). It reads length-prefixed pickled
requests on stdin and answers each on stdout:

* at start: ``("ready", sqlite_version)`` or ``("error", reason)``;
* for ``[(sql, [params, ...]), ...]``: BEGIN IMMEDIATE, one ``executemany`` per statement, COMMIT, then
  ``("ok",)``; on any error the transaction is rolled back and ``("error", reason)`` is sent, for that
  batch and every later one (a later batch alone would leave a gap in the journal).

It exits when stdin closes: the server closed it, or the server died. Why a process: Python's sqlite3
releases the GIL around each row's step and takes it back after, and while the event loop keeps the GIL
busy each take can wait up to the interpreter's switch interval (5 ms), so a 50-row commit in a thread
could last tens of milliseconds. Here the commit has an interpreter to itself.
"""

from __future__ import annotations

import pickle
import signal
import sqlite3
import struct
import sys
from typing import Any, BinaryIO

_HEADER = struct.Struct(">I")


def _read(stream: BinaryIO) -> Any:
    """The next request, or None at end of input."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        return None
    return pickle.loads(body)


def _write(stream: BinaryIO, reply: tuple[Any, ...]) -> None:
    body = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def _open(path: str, busy_ms: int) -> sqlite3.Connection:
    # The same settings as the server's own connections (avex.store.backend.db): WAL, a committed batch
    # survives power loss, no checkpoint inside a commit (the server's checkpointer thread does them).
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise sqlite3.OperationalError(f"the database is not in WAL mode ({mode})")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn


def _commit(conn: sqlite3.Connection, statements: list[tuple[str, list[Any]]]) -> None:
    cur = conn.cursor()
    try:
        cur.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in statements:
                cur.executemany(sql, params)
            cur.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                cur.execute("ROLLBACK")
            raise
    finally:
        cur.close()


def main(argv: list[str]) -> int:
    # Ctrl-C in the server's terminal (or a SIGTERM to its process group) reaches this process too: the
    # server shuts down cleanly and still needs it for its last batch, then closes stdin. The server's
    # death closes stdin as well, so this process never outlives it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    try:
        conn = _open(argv[1], int(argv[2]))
    except (sqlite3.Error, IndexError, ValueError) as exc:
        _write(out, ("error", f"{type(exc).__name__}: {exc}"))
        return 1
    _write(out, ("ready", sqlite3.sqlite_version))
    failed: str | None = None
    while (statements := _read(inp)) is not None:
        if failed is not None:
            # After a failed batch nothing more is committed: a later batch would leave a gap in the journal.
            _write(out, ("error", f"an earlier batch failed: {failed}"))
            continue
        try:
            _commit(conn, statements)
        except Exception as exc:  # reported to the server, which stops: nothing of the batch is stored
            failed = f"{type(exc).__name__}: {exc}"
            _write(out, ("error", failed))
        else:
            _write(out, ("ok",))
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
