"""`avex` command line: serve, init, check, token, bench."""

from __future__ import annotations

import argparse
import os
import sys


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
    b.add_argument("--results", default="bench/RESULTS.md", help="where to record results ('' = nowhere)")
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
    return 2


def _token(team: str, db: str) -> int:
    from avex.config import random_token, token_digest
    from avex.store.errors import StoreError
    from avex.store.store import open_store

    try:
        store = open_store(db)
        try:
            token = random_token()
            store.set_token_hash(team, token_digest(token))
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

    return e2e_main(quick=args.quick, duration=args.duration, results=results)


if __name__ == "__main__":
    sys.exit(main())
