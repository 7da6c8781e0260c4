"""A pair of well-behaved traders, run next to abusive clients to show that the server keeps trading."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from avex.client import Client


async def trade_round_trips(
    url: str, seller_token: str, buyer_token: str, rounds: int, *, product: str = "GUACA", prefix: str = "rt",
    pause: float = 0.05, max_latency: float = 3.0,
) -> float:
    """``rounds`` times: the seller rests 1 unit at 10, the buyer takes it; both must see their FILL within
    ``max_latency`` seconds. Returns the slowest round trip in seconds."""
    slowest = 0.0
    async with Client.connect(url, token=seller_token, ping_interval=None) as seller, \
            Client.connect(url, token=buyer_token, ping_interval=None) as buyer:
        for i in range(rounds):
            started = time.monotonic()
            await seller.order(f"{prefix}-s{i}", "SELL", "LIMIT", product, 1, limit_price=10)
            ack = await seller.expect("ORDER_ACK", timeout=max_latency)
            assert (ack["clOrdID"], ack["status"]) == (f"{prefix}-s{i}", "PENDING"), ack
            await seller.expect("INVENTORY_UPDATE", timeout=max_latency)
            await buyer.order(f"{prefix}-b{i}", "BUY", "LIMIT", product, 1, limit_price="10.00")
            ack = await buyer.expect("ORDER_ACK", timeout=max_latency)
            assert (ack["clOrdID"], ack["status"]) == (f"{prefix}-b{i}", "PENDING"), ack
            fill = await buyer.expect("FILL", timeout=max_latency)
            assert (fill["fillQty"], fill["fillPrice"], fill["remainingQty"]) == (1, Decimal(10), 0), fill
            fill = await seller.expect("FILL", timeout=max_latency)
            assert fill["clOrdID"] == f"{prefix}-s{i}", fill
            for c in (buyer, seller):
                await c.expect("BALANCE_UPDATE", timeout=max_latency)
                await c.expect("INVENTORY_UPDATE", timeout=max_latency)
            slowest = max(slowest, time.monotonic() - started)
            await asyncio.sleep(pause)
    return slowest
