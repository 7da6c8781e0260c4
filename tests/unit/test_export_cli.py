"""`avex export` (PROTOCOL.md §1.1, §4.15): the EXPORT_DATA rows read from a database alone.

The database is made the way `avex serve` makes one (``open_tournament``), then written through the engine
directly: two trades, a production, a cancel, a snapshot half-way (the team rows are rebuilt from it and the
journal after it) and a session. No token may appear in any output.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from avex.admin import rows as R
from avex.cli import main
from avex.engine import commands as C
from avex.engine.outcome import Applied
from avex.server import ServeOptions, open_tournament

T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in epoch µs
S = 1_000_000
TOKENS = ("TK-SECRET-ALPHA-1234", "TK-SECRET-BETA-5678", "TK-SECRET-ADMIN-9012")
TOURNAMENT = f"""
[production]
cooldown_s = 0

[[teams]]
name = "alpha"
token = "{TOKENS[0]}"
species = "Monjes de Fosforescencia"
balance = 1000
inventory = {{ FOSFO = 20 }}

[[teams]]
name = "beta"
token = "{TOKENS[1]}"
species = "Cosechadores de Pita"
balance = 1000
inventory = {{ PITA = 10 }}

[[teams]]
name = "admin"
token = "{TOKENS[2]}"
balance = 0
"""


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(database path, the team rows of the engine that wrote it)."""
    tmp = tmp_path_factory.mktemp("export")
    toml = tmp / "t.toml"
    toml.write_text(TOURNAMENT)
    db = str(tmp / "avex.db")
    store, _tournament, engine, _demo = open_tournament(ServeOptions(db=db, tournament=str(toml)))
    try:
        def run(*commands: C.Command, start: int) -> None:
            applied = []
            for i, cmd in enumerate(commands):
                out = engine.apply(cmd, T0 + (start + i) * S)
                assert isinstance(out, Applied), out
                applied.append(out)
            store.write_batch(applied)

        run(
            C.PlaceOrder("beta", "b1", "BUY", "LIMIT", "FOSFO", 5, 1300, message="=HYPERLINK(\"x\")"),
            C.PlaceOrder("alpha", "a1", "SELL", "LIMIT", "FOSFO", 3, 1250, message='hello, "world"'),
            start=0,
        )  # seq 2: 3 FOSFO @ 13.00, 2 left on b1
        store.save_snapshot(engine.seq, engine.export())
        run(
            C.Produce("alpha", "FOSFO", 5),
            C.PlaceOrder("alpha", "a2", "SELL", "LIMIT", "FOSFO", 1, 1300),  # seq 4: 1 @ 13.00
            C.CancelOrder("beta", "b1"),
            C.PlaceOrder("beta", "b2", "SELL", "LIMIT", "PITA", 4, 900),  # rests
            start=3600,
        )
        sid = store.open_session("alpha", "10.0.0.7", "pytest", "Unknown", T0)
        store.close_session(sid, T0 + 60 * S, T0 + 30 * S)
        teams = json.loads(json.dumps([R.team_row(engine, a, False) for a in engine.teams()]))
    finally:
        store.close()
    yield db, teams


def _export(*args: str) -> int:
    return main(["export", *args])


def test_json_export_of_everything(made: tuple[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    db, teams = made
    out = tmp_path / "all.json"
    assert _export("--db", db, "--out", str(out)) == 0  # the .json suffix picks the format
    text = out.read_text(encoding="utf-8")
    assert "TK-" not in text
    body = json.loads(text)
    assert (body["type"], body["dataType"], body["seq"]) == ("EXPORT_DATA_RESPONSE", "all", 6)
    data = body["data"]
    assert set(data) == {"orders", "fills", "teams", "ledger", "sessions"}
    assert body["count"] == sum(len(rows) for rows in data.values())
    assert [f["fillId"] for f in data["fills"]] == ["F-2-1", "F-4-1"]
    assert data["fills"][0] == {
        "fillId": "F-2-1", "seq": 2, "product": "FOSFO", "quantity": 3, "price": 13, "buyTeam": "beta",
        "buyClOrdID": "b1", "sellTeam": "alpha", "sellClOrdID": "a1", "aggressorSide": "SELL", "source": "BOOK",
        "executedAt": "2026-01-01T00:00:01.000Z",
    }
    assert [(o["clOrdID"], o["status"]) for o in data["orders"]] == [
        ("b1", "CANCELLED"), ("a1", "FILLED"), ("a2", "FILLED"), ("b2", "PENDING")]
    # rebuilt from the snapshot and the journal after it: exactly the engine that wrote the database
    assert data["teams"] == teams
    alpha = next(t for t in data["teams"] if t["teamName"] == "alpha")
    assert (alpha["currentBalance"], alpha["inventory"]["FOSFO"]) == (1052, 21)
    beta = next(t for t in data["teams"] if t["teamName"] == "beta")
    assert (beta["reservedBalance"], beta["availableInventory"]["PITA"]) == (0, 6)
    assert {g["reason"] for g in data["ledger"]} == {"INITIAL", "TRADE", "PRODUCTION_OUTPUT"}
    assert data["sessions"] == [{
        "teamName": "alpha", "remoteAddr": "10.0.0.7", "userAgent": "pytest", "clientType": "Unknown",
        "connectedAt": "2026-01-01T00:00:00.000Z", "disconnectedAt": "2026-01-01T00:01:00.000Z",
        "lastActivity": "2026-01-01T00:00:30.000Z",
    }]


def _read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw  # what spreadsheets open as is
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_export_writes_one_file_per_type(made: tuple[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    db, _ = made
    out = tmp_path / "csv"
    assert _export("--db", db, "--type", "all", "--format", "csv", "--out", str(out)) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"avex-{k}.csv" for k in ("fills", "ledger", "orders", "sessions", "teams")]
    for path in out.iterdir():
        assert "TK-" not in path.read_text(encoding="utf-8-sig")
    fills = _read_csv(out / "avex-fills.csv")
    assert list(fills[0]) == ["fillId", "seq", "product", "quantity", "price", "buyTeam", "buyClOrdID", "sellTeam",
                              "sellClOrdID", "aggressorSide", "source", "executedAt"]
    assert (fills[1]["fillId"], fills[1]["price"], fills[1]["quantity"]) == ("F-4-1", "13", "1")
    orders = {o["clOrdID"]: o for o in _read_csv(out / "avex-orders.csv")}
    assert orders["b1"]["message"] == "'=HYPERLINK(\"x\")"  # never run as a formula
    assert orders["a1"]["message"] == 'hello, "world"'
    assert orders["b1"]["reason"] == "USER" and orders["b2"]["price"] == "9"
    teams = {t["teamName"]: t for t in _read_csv(out / "avex-teams.csv")}
    assert set(teams) == {"alpha", "beta", "admin"}
    assert (teams["alpha"]["inventory.FOSFO"], teams["beta"]["availableInventory.PITA"]) == ("21", "6")
    assert teams["admin"]["admin"] == "true"


def test_one_type_to_stdout_with_a_time_window(
    made: tuple[str, list[dict[str, Any]]], capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    db, _ = made
    assert _export("--db", db, "--type", "orders", "--format", "csv", "--since", "2026-01-01T00:30:00Z",
                   "--until", "2026-01-01T01:00:03+00:00") == 0
    rows = list(csv.DictReader(io.StringIO(capsysbinary.readouterr().out.decode("utf-8-sig"), newline="")))
    assert [r["clOrdID"] for r in rows] == ["a2"]  # a2 created at +3601 s; b2 at +3603 s is not before --until
    assert _export("--db", db, "--type", "fills") == 0  # JSON by default on standard output
    body = json.loads(capsysbinary.readouterr().out)
    assert (body["dataType"], body["count"]) == ("fills", 2)


def test_a_directory_for_one_type_gets_a_named_file(made: tuple[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    db, _ = made
    assert _export("--db", db, "--type", "teams", "--format", "json", "--out", str(tmp_path)) == 0
    body = json.loads((tmp_path / "avex-teams.json").read_text())
    assert body["count"] == 3 and "TK-" not in json.dumps(body)


@pytest.mark.parametrize(("args", "message"), [
    (["--db", "{tmp}/missing.db"], "no database file at"),
    (["--db", "{tmp}/not-avex.db"], "is not an avex database"),
    (["--db", "{tmp}/junk.db"], "cannot open the database"),
    (["--db", "mysql://host/db"], "unsupported database"),
    (["--db", "{db}", "--since", "yesterday"], "--since is not an RFC 3339 timestamp"),
    (["--db", "{db}", "--format", "csv"], "give --out DIR"),
    (["--db", "{db}", "--type", "fills", "--out", "{tmp}/no/such/dir/f.csv"], "cannot write"),
])
def test_problems_give_one_line_and_exit_code_2(
    made: tuple[str, list[dict[str, Any]]], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    args: list[str], message: str,
) -> None:
    import sqlite3

    sqlite3.connect(tmp_path / "not-avex.db").execute("CREATE TABLE t (x)").connection.close()
    (tmp_path / "junk.db").write_bytes(b"not a database at all, just some bytes" * 10)
    before = (tmp_path / "not-avex.db").read_bytes()
    argv = [a.format(tmp=tmp_path, db=made[0]) for a in args]
    assert _export(*argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("avex: ") and message in err, err
    assert (tmp_path / "not-avex.db").read_bytes() == before  # nothing written to a foreign database
    assert not (tmp_path / "missing.db").exists()

