"""The end-to-end benchmark: a valid tournament, an order stream that never self-trades, and a short run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict

from avex.bench.e2e_bench import N_TEAMS, PER_TEAM, tournament_toml
from avex.bench.e2e_load import MIDS, PRODUCTS, order_frame
from avex.config import check_file, load_tournament


def test_tournament_file_loads_with_limits_off(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(tournament_toml([f"TK-BENCH-{i:02d}" for i in range(N_TEAMS)]))
    errors, _warnings = check_file(str(path))
    assert errors == []
    t = load_tournament(str(path))
    assert [p.code for p in t.products] == list(PRODUCTS)
    assert len(t.teams) == N_TEAMS + 1
    m = t.market
    assert (m.orders_per_minute, m.messages_per_second, m.max_open_orders_per_team, m.offer_ttl_s) == (0, 0, 0, 0)
    assert m.ticker_interval_s == 0
    assert m.max_connections_per_team >= PER_TEAM


def test_stream_has_one_side_per_team_and_product_and_half_crosses():
    sides: dict[tuple[int, str], set[str]] = defaultdict(set)
    crossing = total = 0
    ids = set()
    for conn in range(N_TEAMS * PER_TEAM):
        team = conn // PER_TEAM
        for k in range(180):
            o = json.loads(order_frame(team, conn, k, f"T{conn}-"))
            assert o["type"] == "ORDER" and o["mode"] == "LIMIT" and 1 <= o["qty"] <= 5
            ids.add((team, o["clOrdID"]))
            sides[(team, o["product"])].add(o["side"])
            mid = MIDS[PRODUCTS.index(o["product"])] / 100
            price = o["limitPrice"]
            crossing += (price > mid) if o["side"] == "BUY" else (price < mid)
            total += 1
    assert len(ids) == total  # clOrdIDs unique per team
    assert all(len(s) == 1 for s in sides.values())  # never both sides: no self-trade possible
    for code in PRODUCTS:  # five buying and five selling teams meet in every book
        buyers = sum(1 for t in range(N_TEAMS) if sides[(t, code)] == {"BUY"})
        assert buyers == N_TEAMS // 2
    assert abs(crossing / total - 0.5) < 0.05


def test_latency_only_run_answers_every_order_and_ends_with_its_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "avex.cli", "bench", "e2e", "--latency-only", "--duration", "1", "--results", ""],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert re.fullmatch(r"e2e latency only: 2000 orders/s offered, p99 ack \d+\.\d ms", lines[-1]), lines[-1]
    assert not any(line.startswith("anomaly") for line in lines), out.stdout
    assert any(line.startswith("latency order-to-ACK (from the actual send") for line in lines)
