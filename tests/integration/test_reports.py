"""PERFORMANCE_REPORT and GLOBAL_PERFORMANCE_REPORT figures on a real server (PROTOCOL.md §4.9, §5.13-5.14,
GAME.md §9)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from avex.client import Client

from .harness import CONFORMANCE_TOML, start_server


async def test_global_report_ranks_every_player_and_sums_product_statistics(tmp_path: Path) -> None:
    server = start_server(str(tmp_path / "r.db"), CONFORMANCE_TOML, log_dir=tmp_path)
    try:
        async with await Client.connect(server.url) as a, await Client.connect(server.url) as b:
            await a.login("TK-A")
            await b.login("TK-B")
            await a.order("s1", "SELL", "LIMIT", "GUACA", 2, limit_price=16)
            await a.order("s2", "SELL", "LIMIT", "GUACA", 1, limit_price=17)
            noise = ("TICKER", "ORDER_BOOK_UPDATE", "FILL", "BALANCE_UPDATE", "INVENTORY_UPDATE", "ORDER_ACK")
            await a.request_all_orders()  # answered after both orders: they are in the book
            await a.expect("ALL_ORDERS", skip=noise)
            await b.order("b1", "BUY", "LIMIT", "GUACA", 3, limit_price=17)
            await b.request_performance_report(scope="global")
            report = await b.expect("GLOBAL_PERFORMANCE_REPORT", skip=noise)
        assert report["totalTrades"] == 2
        assert Decimal(str(report["totalVolume"])) == Decimal("49")
        stats = report["productStats"]["GUACA"]
        assert stats["totalTrades"] == 2 and stats["totalQty"] == 3
        assert Decimal(str(stats["avgPrice"])) == Decimal("16.33")  # 49.00 / 3 = 16.333…, half-even to the cent
        assert Decimal(str(stats["minPrice"])) == 16 and Decimal(str(stats["maxPrice"])) == 17
        assert Decimal(str(stats["lastPrice"])) == 17
        names = [t["teamName"] for t in report["topTraders"]]
        assert sorted(names) == ["TeamA", "TeamB", "TeamC", "TeamD"]  # every player, the admin excluded
        assert [t["rank"] for t in report["topTraders"]] == [1, 2, 3, 4]
    finally:
        server.stop()
