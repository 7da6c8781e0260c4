"""The store's errors: one line each, ready for a command-line message (no traceback needed)."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot be opened, read or written (or refuses an operation, e.g. a second init)."""


class RecoveryError(StoreError):
    """The stored state does not rebuild consistently: the server must not start on it."""


def first_line(exc: BaseException) -> str:
    """The first line of a driver error: its message without SQL, parameters or background links."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the DBAPI error; its text is the useful part
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
