"""The store: journal, query tables, snapshots and sessions in SQLite or PostgreSQL (ARCHITECTURE.md item 4).

Public names:

* ``open_store(url_or_path) -> Store`` — a path (default ``avex.db``) is an SQLite file (WAL,
  synchronous=FULL), a ``postgresql://`` URL is PostgreSQL; migrations run at open.
* ``Store`` — ``init``, ``meta``, ``write_batch``, ``save_snapshot``, ``latest_snapshot``,
  ``journal_after``, ``ledger_sums``, ``account_totals``, token and session helpers, ``reader()``.
* ``HistoryReader`` — RESYNC, exports, reports and admin views (rows in ``avex.store.rows``).
* ``StoreError`` / ``RecoveryError`` — one-line failures.
* ``avex.store.recovery.recover(store, tournament) -> Engine`` — rebuild the engine at startup (imported
  from its module: it needs the engine, which the rest of the store does not).
"""

from avex.store.errors import RecoveryError, StoreError
from avex.store.reader import HistoryReader
from avex.store.store import Store, open_store

__all__ = ["HistoryReader", "RecoveryError", "Store", "StoreError", "open_store"]
