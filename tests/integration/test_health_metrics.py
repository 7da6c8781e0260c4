"""GET /healthz and GET /metrics on a real server (PROTOCOL.md §1.2)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from avex.client import Client

from .harness import CONFORMANCE_TOML, start_server


def _get(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
        return resp.read().decode()


async def test_healthz_gives_the_last_seq_and_metrics_count_commands_and_rejections(tmp_path: Path) -> None:
    server = start_server(str(tmp_path / "m.db"), CONFORMANCE_TOML, log_dir=tmp_path)
    try:
        assert json.loads(_get(server.port, "/healthz")) == {"status": "ok", "seq": 0}
        async with await Client.connect(server.url) as c:
            await c.login("TK-C")
            await c.order("c1", "BUY", "LIMIT", "GUACA", 4, limit_price=15)  # 60.00 > 50.00: rejected, seq 1
            await c.expect("ERROR")
            await c.cancel("nope")  # refused, no seq
            await c.expect("ERROR")
        assert json.loads(_get(server.port, "/healthz"))["seq"] == 1
        text = _get(server.port, "/metrics")
        assert 'avex_rejections_total{code="INVALID_ORDER"} 2.0' in text
        assert "avex_commands_applied_total 1.0" in text
        assert "avex_batch_seconds_count" in text
        assert "avex_connections" in text
    finally:
        server.stop()
