"""The public big board (``GET /api/board``): tickers, the 50 newest fills with their messages and the
leaderboard — public data only (no order ids, no team names on fills, no balances).

The live part is taken between commands; the newest fills come from the store (``seq`` ≤ that watermark)
through ``RecentFills``, which keeps the tail in memory and reads only what is new (fills are written in
``seq`` order with non-decreasing times, so everything new has ``executed_at`` ≥ the newest one held).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Any

from avex.admin import rows as R
from avex.domain.money import wire
from avex.domain.timeutil import format_ms
from avex.render import ticker_frame
from avex.store.rows import FillRow

if TYPE_CHECKING:
    from avex.engine.engine import Engine

BOARD_FILLS = 50
_FIRST_WINDOW_US = 60 * 1_000_000
_LAST_WINDOW_US = 400 * 86_400 * 1_000_000


class RecentFills:
    """The newest ``size`` fills up to a watermark, refreshed incrementally (thread-safe)."""

    def __init__(self, size: int = BOARD_FILLS) -> None:
        self.size = size
        self._tail: deque[FillRow] = deque(maxlen=size)
        self._upto = -1  # the watermark the tail reflects; -1 = not loaded
        self._lock = threading.Lock()

    def newest(self, reader: Any, upto: int, now: int) -> list[FillRow]:
        """The newest fills with ``seq`` ≤ ``upto``, newest first."""
        with self._lock:
            if self._upto < 0 or upto < self._upto:
                self._load(reader, upto, now)
            elif upto > self._upto:
                last = self._tail[-1] if self._tail else None
                since = None if last is None else last.executed_at
                key = (0, 0) if last is None else (last.seq, last.n)
                for f in reader.fills(since=since, upto_seq=upto):
                    if (f.seq, f.n) > key:
                        self._tail.append(f)
                self._upto = upto
            return list(reversed(self._tail))

    def _load(self, reader: Any, upto: int, now: int) -> None:
        window = _FIRST_WINDOW_US
        while True:
            since = None if window > _LAST_WINDOW_US else now - window
            found = reader.fills(since=since, upto_seq=upto)
            if len(found) >= self.size or since is None:
                break
            window *= 16
        self._tail = deque(found[-self.size:], maxlen=self.size)
        self._upto = upto


def live_part(engine: Engine, now: int) -> dict[str, Any]:
    """State, tickers and leaderboard; call between commands."""
    stamp = format_ms(now)
    t = max(now, engine.now)
    tickers = []
    for code in engine.codes:
        book = engine.books.get(code)
        if book is None:
            continue
        stats = engine.stats[code]
        frame = ticker_frame(code, book.best_bid(), book.best_ask(), stats.last_price, stats.volume24h(t),
                             engine.seq, stamp)
        del frame["type"]
        tickers.append(frame)
    leaderboard = [
        {"teamName": v.team, "rank": i + 1, "roi": R.roi_2(v.roi), "profitLoss": wire(v.profit_loss)}
        for i, v in enumerate(engine.ranking(now))
    ]
    body: dict[str, Any] = {"tournamentState": engine.state}
    if engine.ends_at is not None:
        body["endsAt"] = format_ms(engine.ends_at)
    body.update(tickers=tickers, leaderboard=leaderboard, seq=engine.seq, serverTime=stamp)
    return body


def board_body(live: dict[str, Any], fills: list[FillRow]) -> dict[str, Any]:
    return {
        "tournamentState": live["tournamentState"],
        **({"endsAt": live["endsAt"]} if "endsAt" in live else {}),
        "tickers": live["tickers"],
        "fills": [R.board_fill(f) for f in fills],
        "leaderboard": live["leaderboard"],
        "seq": live["seq"],
        "serverTime": live["serverTime"],
    }
