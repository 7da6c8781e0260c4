"""CSV for the referee's read API: one header row, nested maps flattened (``inventory.GUACA``), lists joined
with ``;``, UTF-8 with a byte-order mark and CRLF lines so spreadsheets open it as is. Text cells that a
spreadsheet would run as a formula (a team's order message ``=HYPERLINK(…)``) get a leading apostrophe."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def columns(rows: Sequence[dict[str, Any]], base: Iterable[str]) -> list[str]:
    """``base`` in order (dict-valued ones expanded to ``name.key``), then any other keys seen."""
    names = list(base)
    seen = set(names)
    for row in rows:
        for k in row:
            if k not in seen:
                seen.add(k)
                names.append(k)
    out: list[str] = []
    for name in names:
        keys: list[str] = []
        for row in rows:
            value = row.get(name)
            if isinstance(value, dict):
                keys.extend(k for k in value if k not in keys)
        if keys:
            out.extend(f"{name}.{k}" for k in keys)
        else:
            out.append(name)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return _cell(";".join(str(v) for v in value))
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _lookup(row: dict[str, Any], column: str) -> Any:
    if column in row:
        return row[column]
    head, _, key = column.partition(".")
    value = row.get(head)
    return value.get(key) if isinstance(value, dict) else None


def to_csv(rows: Sequence[dict[str, Any]], base: Iterable[str]) -> bytes:
    cols = columns(rows, base)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([_cell(_lookup(row, c)) for c in cols])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
