"""The SQLite commit process: batches committed in a child process, answered in order, failures final."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from avex.store.commit_process import CommitProcess
from avex.store.errors import StoreError

INSERT = "INSERT INTO t (k, v) VALUES (?, ?)"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "c.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    return path


@pytest.fixture
def proc(db: Path) -> Iterator[CommitProcess]:
    p = CommitProcess(str(db), 1000)
    yield p
    p.close()


def rows(db: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT k, v FROM t ORDER BY k").fetchall()


async def test_batches_are_committed_in_order_and_visible_to_other_connections(
    proc: CommitProcess, db: Path
) -> None:
    first = proc.commit([(INSERT, [(1, "a"), (2, "b")])])
    second = proc.commit([(INSERT, [(3, "c")]), ("UPDATE t SET v = ? WHERE k = ?", [("B", 2)])])
    await asyncio.gather(first, second)
    assert rows(db) == [(1, "a"), (2, "B"), (3, "c")]
    assert proc.sqlite_version == sqlite3.sqlite_version


async def test_the_child_uses_wal_and_full_sync(proc: CommitProcess, db: Path) -> None:
    # The child's own settings are per connection: check them through its effect (a WAL file appears)
    # and by asking it to record them.
    await proc.commit([
        ("CREATE TABLE settings (name TEXT, value)", [()]),
        ("INSERT INTO settings SELECT 'journal_mode', journal_mode FROM pragma_journal_mode", [()]),
        ("INSERT INTO settings SELECT 'synchronous', synchronous FROM pragma_synchronous", [()]),
        ("INSERT INTO settings SELECT 'busy_timeout', timeout FROM pragma_busy_timeout", [()]),
    ])
    with sqlite3.connect(db) as conn:
        settings = dict(conn.execute("SELECT name, value FROM settings").fetchall())
    assert settings == {"journal_mode": "wal", "synchronous": 2, "busy_timeout": 1000}


async def test_a_failing_batch_stores_nothing_and_every_later_batch_is_refused(
    proc: CommitProcess, db: Path
) -> None:
    await proc.commit([(INSERT, [(1, "a")])])
    # The second row repeats a primary key: the first row of the batch must be rolled back with it.
    with pytest.raises(StoreError, match="IntegrityError: UNIQUE constraint failed"):
        await proc.commit([(INSERT, [(2, "b"), (1, "again")])])
    with pytest.raises(StoreError, match="an earlier batch failed: IntegrityError"):
        await proc.commit([(INSERT, [(3, "c")])])
    assert rows(db) == [(1, "a")]


async def test_a_dead_child_fails_waiting_and_later_commits(proc: CommitProcess, db: Path) -> None:
    await proc.commit([(INSERT, [(1, "a")])])
    os.kill(proc.pid, signal.SIGKILL)
    with pytest.raises(StoreError, match=r"commit process (exited|is gone)"):
        await proc.commit([(INSERT, [(2, "b")])])
    with pytest.raises(StoreError, match="commit process"):
        await proc.commit([(INSERT, [(3, "c")])])
    assert rows(db) == [(1, "a")]


def test_close_ends_the_child_and_leaves_an_empty_wal(db: Path) -> None:
    p = CommitProcess(str(db), 1000)
    pid = p.pid

    async def commit() -> None:
        await p.commit([(INSERT, [(i, "x" * 1000) for i in range(100)])])

    asyncio.run(commit())
    assert Path(f"{db}-wal").stat().st_size > 0
    p.close()
    assert p._proc.returncode == 0
    assert Path(f"{db}-wal").stat().st_size == 0  # checkpointed into the database and truncated
    assert len(rows(db)) == 100
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_child_ignores_ctrl_c_and_sigterm_until_its_input_closes(db: Path) -> None:
    # Ctrl-C and a SIGTERM to the process group reach the child too; the server still needs it for the
    # batch it commits while shutting down.
    p = CommitProcess(str(db), 1000)
    try:
        os.kill(p.pid, signal.SIGINT)
        os.kill(p.pid, signal.SIGTERM)
        time.sleep(0.2)
        assert p._proc.poll() is None
        async def commit() -> None:
            await p.commit([(INSERT, [(1, "a")])])

        asyncio.run(commit())
        assert rows(db) == [(1, "a")]
    finally:
        p.close()
    assert p._proc.returncode == 0


def test_a_child_that_cannot_open_the_database_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"the SQLite commit process did not start: .*unable to open"):
        CommitProcess(str(tmp_path / "missing-dir" / "x.db"), 1000)


def test_the_wal_stays_bounded_under_commits_that_never_pause(db: Path) -> None:
    """A checkpoint beside the writer never catches up with a writer that never pauses, so the WAL would
    only grow; past its limit the child checkpoints between two batches and the WAL starts over."""
    limit = 256 * 1024
    p = CommitProcess(str(db), 1000, wal_limit_bytes=limit)
    wal = Path(f"{db}-wal")
    sizes = []

    async def run() -> None:
        for i in range(200):  # about 40 KB of pages per batch: 8 MB in all, 30 times the limit
            await p.commit([(INSERT, [(i * 10 + j, "x" * 3000) for j in range(10)])])
            sizes.append(wal.stat().st_size)

    try:
        asyncio.run(run())
    finally:
        p.close()
    assert max(sizes) < 4 * limit, max(sizes)
    assert len(rows(db)) == 2000
