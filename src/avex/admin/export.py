"""EXPORT_DATA (PROTOCOL.md §4.15): the rows of one data type, or of all five.

Runs in a worker thread on the history reader, restricted to ``seq`` ≤ the watermark of the request; the
team rows (live balances) are built beforehand, between commands. Over WebSocket each array is capped
(oldest rows first, ``truncated: true`` marks a cut); the HTTP route passes ``cap=None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from avex.admin import rows as R

WS_ROW_CAP = 10_000
DATA_TYPES = ("orders", "fills", "teams", "ledger", "sessions")


def _history(reader: Any, data_type: str, start: int | None, end: int | None, upto: int,
             limit: int | None) -> list[dict[str, Any]]:
    if data_type == "orders":
        return [R.order_row(o) for o in reader.orders(since=start, until=end, upto_seq=upto, limit=limit)]
    if data_type == "fills":
        return [R.fill_row(f) for f in reader.fills(since=start, until=end, upto_seq=upto, limit=limit)]
    if data_type == "ledger":
        return [R.ledger_row(g) for g in reader.ledger(since=start, until=end, upto_seq=upto, limit=limit)]
    if data_type == "sessions":
        return [R.session_row(s) for s in reader.sessions(since=start, until=end, limit=limit)]
    raise ValueError(f"unknown data type {data_type}")


def export_body(
    reader: Any,
    data_type: str,
    start: int | None,
    end: int | None,
    upto: int,
    team_rows: Callable[[], list[dict[str, Any]]] | list[dict[str, Any]],
    cap: int | None = WS_ROW_CAP,
) -> dict[str, Any]:
    """``{dataType, data, count}`` (+ ``truncated: true`` when a capped array was cut)."""
    truncated = False

    def one(kind: str) -> list[dict[str, Any]]:
        nonlocal truncated
        if kind == "teams":
            data = team_rows() if callable(team_rows) else list(team_rows)
        else:
            data = _history(reader, kind, start, end, upto, None if cap is None else cap + 1)
        if cap is not None and len(data) > cap:
            truncated = True
            data = data[:cap]
        return data

    if data_type == "all":
        parts = {kind: one(kind) for kind in DATA_TYPES}
        body: dict[str, Any] = {"dataType": "all", "data": parts, "count": sum(len(v) for v in parts.values())}
    else:
        data = one(data_type)
        body = {"dataType": data_type, "data": data, "count": len(data)}
    if truncated:
        body["truncated"] = True
    return body
