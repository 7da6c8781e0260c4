"""Per-product market statistics inside the statistics window (GAME.md §9): last price, 24 h volume and
the volume-weighted mark. Only bounded windows are kept: 24 h of (time, qty) and ``mark_window`` of
(time, price × qty, qty)."""

from __future__ import annotations

from collections import deque

DAY_US = 86_400 * 1_000_000


class ProductStats:
    __slots__ = ("last_price", "mark_pq", "mark_q", "mark_window", "marks", "vol", "vol_sum")

    def __init__(self, mark_window_us: int) -> None:
        self.mark_window = mark_window_us
        self.last_price: int | None = None
        self.vol: deque[tuple[int, int]] = deque()
        self.vol_sum = 0
        self.marks: deque[tuple[int, int, int]] = deque()
        self.mark_pq = 0
        self.mark_q = 0

    def record(self, now: int, price: int, qty: int) -> None:
        self.last_price = price
        self.vol.append((now, qty))
        self.vol_sum += qty
        pq = price * qty
        self.marks.append((now, pq, qty))
        self.mark_pq += pq
        self.mark_q += qty
        # evict only when the oldest entry has left a window (keeps memory bounded, the common case cheap)
        if self.vol[0][0] <= now - DAY_US or self.marks[0][0] <= now - self.mark_window:
            self.evict(now)

    def evict(self, now: int) -> None:
        vol = self.vol
        edge = now - DAY_US
        while vol and vol[0][0] <= edge:
            self.vol_sum -= vol.popleft()[1]
        marks = self.marks
        edge = now - self.mark_window
        while marks and marks[0][0] <= edge:
            _, pq, q = marks.popleft()
            self.mark_pq -= pq
            self.mark_q -= q

    def volume24h(self, now: int) -> int:
        self.evict(now)
        return self.vol_sum

    def mark(self, now: int, reference_price: int) -> int:
        """VWAP of the mark window, half-even to the cent; else the last price; else the reference."""
        self.evict(now)
        if self.mark_q:
            q, r = divmod(self.mark_pq, self.mark_q)
            twice = 2 * r
            if twice > self.mark_q or (twice == self.mark_q and q % 2 == 1):
                q += 1
            return q
        if self.last_price is not None:
            return self.last_price
        return reference_price

    def export(self) -> dict:
        return {"last": self.last_price, "vol": list(self.vol), "marks": list(self.marks)}

    def load(self, data: dict) -> None:
        self.last_price = data["last"]
        self.vol = deque(tuple(x) for x in data["vol"])
        self.vol_sum = sum(q for _, q in self.vol)
        self.marks = deque(tuple(x) for x in data["marks"])
        self.mark_pq = sum(pq for _, pq, _ in self.marks)
        self.mark_q = sum(q for _, _, q in self.marks)
