"""`avex` command line: serve, init, check, token, bench, bots, export."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from exc
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range: {port}")
    return port


def _nonneg(value: str) -> int:
    try:
        n = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from exc
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="avex", description="avex, the Avocado Exchange: a trading-tournament server")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="run the exchange server")
    env_port = os.environ.get("AVEX_PORT")
    s.add_argument("--port", type=_port, default=_port(env_port) if env_port else 9000,
                   help="HTTP + WebSocket port (env AVEX_PORT; default 9000)")
    s.add_argument("--host", default="0.0.0.0", help="listen address (default 0.0.0.0)")
    s.add_argument("--db", default="./avex.db", help="SQLite file or postgresql://… URL (default ./avex.db)")
    s.add_argument("--tournament", metavar="FILE.toml", help="tournament file (default: stored, else the demo)")
    s.add_argument("--tcp-port", type=_port, help="also accept newline-delimited JSON over raw TCP")
    s.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    s.add_argument("--max-message-bytes", type=_nonneg, default=16384, help="largest inbound frame (default 16384)")
    s.add_argument("--login-failures-per-minute", type=_nonneg, default=10,
                   help="failed LOGINs per client IP per 60 s; 0 = no limit (default 10)")
    s.add_argument("--forwarded-allow-ips", help="proxies trusted for X-Forwarded-For")
    s.add_argument("--permessage-deflate", action="store_true", help="enable WebSocket compression")

    i = sub.add_parser("init", help="write a new tournament file with fresh random tokens")
    i.add_argument("file")

    c = sub.add_parser("check", help="validate a tournament file (errors and design warnings)")
    c.add_argument("file")

    t = sub.add_parser("token", help="replace a team's token in the database (server stopped)")
    t.add_argument("team")
    t.add_argument("--db", default="./avex.db")

    b = sub.add_parser("bench", help="benchmarks (results go to bench/RESULTS.md)")
    b.add_argument("what", choices=["engine", "e2e"])
    b.add_argument("--quick", action="store_true", help="a short run (under a minute)")
    b.add_argument("--commands", type=int, help="engine: number of commands")
    b.add_argument("--duration", type=float, help="e2e: seconds of load")
    b.add_argument("--latency-only", action="store_true",
                   help="e2e: only the paced latency phase, on a fresh database")
    b.add_argument("--results", default="bench/RESULTS.md", help="where to record results ('' = nowhere)")

    bo = sub.add_parser("bots", help="practice bots: ordinary teams that trade on a running server")
    bo.add_argument("--url", default="ws://127.0.0.1:9000/ws", help="server WebSocket URL (default %(default)s)")
    bo.add_argument("--token", action="append", required=True, metavar="TK-…",
                    help="a team token; repeat for several bots (one per token)")
    bo.add_argument("--strategy", default="market-maker", choices=["market-maker", "taker", "producer"])
    bo.add_argument("--duration", type=float, default=0, metavar="S", help="stop after S seconds (default: Ctrl-C)")
    bo.add_argument("--seed", type=int, help="random seed: the same seed makes the same choices")
    bo.add_argument("--order-interval", type=float, default=1.0, metavar="S",
                    help="seconds between two orders of a bot (default 1; the server allows 100/min per team)")
    bo.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    e = sub.add_parser("export", help="export orders, fills, teams, ledger, sessions from the database (offline)")
    e.add_argument("--db", default="./avex.db", help="SQLite file or postgresql://… URL (default ./avex.db)")
    e.add_argument("--type", default="all", choices=["orders", "fills", "teams", "ledger", "sessions", "all"])
    e.add_argument("--since", metavar="RFC3339", help="keep rows with time ≥ this")
    e.add_argument("--until", metavar="RFC3339", help="keep rows with time < this")
    e.add_argument("--format", choices=["csv", "json"],
                   help="default: from the --out suffix; csv for a directory; json on standard output")
    e.add_argument("--out", metavar="FILE|DIR", help="file, or directory for one file per type (default: stdout)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from avex.server import ServeOptions, serve

        return serve(ServeOptions(
            port=args.port, host=args.host, db=args.db, tournament=args.tournament, tcp_port=args.tcp_port,
            log_level=args.log_level, max_message_bytes=args.max_message_bytes,
            login_failures_per_minute=args.login_failures_per_minute,
            forwarded_allow_ips=args.forwarded_allow_ips, permessage_deflate=args.permessage_deflate,
        ))
    if args.command == "init":
        from avex.config import ConfigError, new_tournament_file

        try:
            t = new_tournament_file(args.file)
        except ConfigError as exc:
            print(f"avex: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {args.file}: {len(t.teams)} teams with fresh tokens (keep this file private)")
        return 0
    if args.command == "check":
        from avex.config import check_file

        errors, warnings = check_file(args.file)
        for e in errors:
            print(f"error: {e}")
        for w in warnings:
            print(f"warning: {w}")
        if errors:
            return 1
        print(f"{args.file}: ok ({len(warnings)} design warnings)")
        return 0
    if args.command == "token":
        return _token(args.team, args.db)
    if args.command == "bench":
        return _bench(args)
    if args.command == "bots":
        return _bots(args)
    if args.command == "export":
        return _export(args)
    return 2


def _token(team: str, db: str) -> int:
    from avex.config import random_token
    from avex.domain.catalogue import token_hash
    from avex.store.errors import StoreError
    from avex.store.store import open_store

    try:
        store = open_store(db)
        try:
            token = random_token()
            store.set_token_hash(team, token_hash(token))
        finally:
            store.close()
    except StoreError as exc:
        print(f"avex: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _bench(args: argparse.Namespace) -> int:
    results = args.results or None
    if args.what == "engine":
        from avex.bench.engine_bench import main as engine_main

        n = args.commands or (100_000 if args.quick else 1_000_000)
        engine_main(n, results)
        return 0
    from avex.bench.e2e_bench import main as e2e_main

    return e2e_main(quick=args.quick, duration=args.duration, results=results, latency_only=args.latency_only)


def _bots(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from avex.bots.runner import run_bots

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    if not all(t.startswith("TK-") for t in args.token):
        print("avex: every --token starts with TK-", file=sys.stderr)
        return 2
    if not args.url.startswith(("ws://", "wss://", "tcp://")):
        print(f"avex: --url must be ws://HOST:PORT/ws (or wss://, tcp://HOST:PORT), not {args.url}", file=sys.stderr)
        return 2
    return asyncio.run(run_bots(args.url, args.token, args.strategy, args.duration or None, args.seed,
                                args.order_interval))


class _ExportError(Exception):
    """A problem of `avex export` a person can fix: one line, exit code 2."""


def _export(args: argparse.Namespace) -> int:
    from avex.domain.timeutil import parse_rfc3339
    from avex.store.errors import StoreError

    try:
        window = []
        for name in ("since", "until"):
            text = getattr(args, name)
            try:
                window.append(None if not text else parse_rfc3339(text))
            except ValueError:
                raise _ExportError(f"--{name} is not an RFC 3339 timestamp: {text!r}") from None
        out = Path(args.out) if args.out else None
        fmt = args.format or ("json" if out is None or out.suffix.lower() == ".json" else "csv")
        if fmt == "csv" and args.type == "all" and out is None:
            raise _ExportError("--type all as CSV writes one file per type: give --out DIR (or --format json)")
        body = _export_body(args.db, args.type, window[0], window[1])
        _write_export(body, fmt, out)
    except (_ExportError, StoreError) as exc:
        print(f"avex: {exc}", file=sys.stderr)
        return 2
    return 0


def _export_body(db: str, data_type: str, since: int | None, until: int | None) -> dict[str, Any]:
    """EXPORT_DATA_RESPONSE as the HTTP export route gives it, read from the database alone (PROTOCOL.md §4.15).
    Team rows need live balances: the engine is rebuilt from the newest snapshot and the journal, read only."""
    import json

    from avex.admin import rows as R
    from avex.admin.export import export_body
    from avex.config import ConfigError, tournament_from_dict
    from avex.domain.timeutil import format_ms, now_us
    from avex.engine.engine import Engine
    from avex.store.backend.db import database_url
    from avex.store.store import open_store

    url = database_url(db)
    if url.get_backend_name() == "sqlite" and url.database:
        _check_sqlite_export(Path(url.database))
    store = open_store(db)
    try:
        meta = store.meta()
        if meta is None:
            raise _ExportError(f"{store.name} holds no avex tournament")
        team_rows: list[dict[str, Any]] = []
        if data_type in ("teams", "all"):
            try:
                tournament = tournament_from_dict(json.loads(meta[0]))
            except (ConfigError, ValueError) as exc:
                raise _ExportError(f"the tournament stored in {store.name} cannot be loaded: {exc}") from exc
            snapshot = store.latest_snapshot()
            upto = store.last_seq()  # after the snapshot: a running server may have written more since
            try:
                engine = Engine(tournament) if snapshot is None else Engine.from_export(tournament, snapshot[1])
                for seq, time, cmd, _events in store.journal_after(engine.seq):
                    if seq > upto:
                        break
                    engine.apply(cmd, time)
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                raise _ExportError(f"cannot rebuild the teams from {store.name}: {exc!r}") from exc
            online = {s.team for s in store.reader().sessions() if s.disconnected_at is None}
            team_rows = [R.team_row(engine, a, a.name in online) for a in engine.teams()]
        else:
            upto = store.last_seq()
        body = export_body(store.reader(), data_type, since, until, upto, team_rows, cap=None)
    finally:
        store.close()
    return {"type": "EXPORT_DATA_RESPONSE", **body, "seq": upto, "serverTime": format_ms(now_us())}


def _check_sqlite_export(path: Path) -> None:
    """Refuse, without writing anything, a missing file or one that is not an avex database (opening the store
    would create or migrate it)."""
    import sqlite3

    if not path.is_file():
        raise _ExportError(f"no database file at {path}")
    try:
        con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            found = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise _ExportError(f"cannot open the database {path}: {exc}") from exc
    if found is None:
        raise _ExportError(f"{path} is not an avex database")


def _write_export(body: dict[str, Any], fmt: str, out: Path | None) -> None:
    import json

    from avex.admin.csvout import to_csv
    from avex.gateway.http_api import COLUMNS

    data_type = body["dataType"]
    if fmt == "json":
        text = (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
        files = {(out / f"avex-{data_type}.json") if out is not None and out.is_dir() else out: text}
    else:
        session_columns = ("teamName", "remoteAddr", "userAgent", "clientType", "connectedAt", "disconnectedAt",
                           "lastActivity")
        base = {**COLUMNS, "sessions": session_columns,
                "fills": tuple(c for c in COLUMNS["fills"] if not c.endswith("Message"))}  # §4.15 rows
        parts = body["data"] if data_type == "all" else {data_type: body["data"]}
        if data_type == "all":
            assert out is not None
            if out.exists() and not out.is_dir():
                raise _ExportError(f"{out} is a file: --type all as CSV needs a directory")
            try:
                out.mkdir(exist_ok=True)
            except OSError as exc:
                raise _ExportError(f"cannot create the directory {out}: {exc.strerror or exc}") from exc
        files = {
            (out / f"avex-{kind}.csv" if out is not None and out.is_dir() else out): to_csv(rows, base[kind])
            for kind, rows in parts.items()
        }
    for path, data in files.items():
        if path is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            continue
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise _ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
        rows = body["count"] if len(files) == 1 else len(body["data"][path.stem.removeprefix("avex-")])
        print(f"wrote {rows} rows to {path}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
