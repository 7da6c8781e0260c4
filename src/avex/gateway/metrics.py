"""Prometheus metrics for operators (GET /metrics): connections, commands, batches, commits, drops."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge("avex_connections", "Open client connections", registry=r)
        self.commands = Counter("avex_commands_total", "Commands received from clients", registry=r)
        self.applied = Counter("avex_commands_applied_total", "Commands applied by the engine", registry=r)
        self.batch_size = Histogram(
            "avex_batch_size", "Items per driver batch", buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
            registry=r,
        )
        self.commit_seconds = Histogram(
            "avex_batch_seconds", "Apply + commit time of one batch",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0), registry=r,
        )
        self.in_server = Histogram(
            "avex_command_seconds", "From a command's receipt to the release of its results (after the commit)",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0), registry=r,
        )
        self.loop_lag = Histogram(
            "avex_loop_lag_seconds", "How late a 10 ms timer fires on the event loop (time the loop was busy)",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25), registry=r,
        )
        self.outbox_drops = Counter("avex_outbox_drops_total", "Connections closed for a full outbox", registry=r)
        self.rejections = Counter("avex_rejections_total", "Refusals and rejections by code", ["code"], registry=r)
        self.fills = Counter("avex_fills_total", "Fills executed", registry=r)
        self._orders = 0
        self._fills = 0

    async def watch_loop(self, period_s: float = 0.01) -> None:
        """Sample event-loop lag: a busy loop delays every frame read and written."""
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(period_s)
            self.loop_lag.observe(max(0.0, loop.time() - start - period_s))

    def command_in(self) -> None:
        self.commands.inc()

    def batch(self, items: int, applied: int, seconds: float) -> None:
        self.batch_size.observe(items)
        self.applied.inc(applied)
        self.commit_seconds.observe(seconds)

    def count_outcome(self, orders: int, fills: int) -> None:
        self._orders += orders
        self._fills += fills
        if fills:
            self.fills.inc(fills)

    def orders_seen(self) -> int:
        return self._orders

    def fills_seen(self) -> int:
        return self._fills

    def render(self) -> bytes:
        return generate_latest(self.registry)
