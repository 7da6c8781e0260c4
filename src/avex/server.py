"""`avex serve`: open the store, load or initialise the tournament, rebuild the engine, and run the gateway,
driver and router until Ctrl-C / SIGTERM. Every problem a person can fix ends in one clear line."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn

from avex.config import (
    ConfigError,
    builtin_tournament,
    load_tournament,
    tournament_from_dict,
    tournament_hash,
    tournament_to_dict,
)
from avex.domain.catalogue import Tournament
from avex.driver import StorageFailed
from avex.engine.engine import Engine
from avex.gateway.app import build_app
from avex.gateway.hub import Hub
from avex.gateway.tcp import serve_tcp
from avex.gateway.wsproto import BatchingWebSocketProtocol
from avex.store.errors import StoreError
from avex.store.recovery import recover
from avex.store.store import open_store

log = logging.getLogger("avex")


class StartupError(Exception):
    """A problem that stops the server before it serves (bad file, busy port, unreachable database)."""


@dataclass
class ServeOptions:
    port: int = 9000
    host: str = "0.0.0.0"
    db: str = "./avex.db"
    tournament: str | None = None
    tcp_port: int | None = None
    log_level: str = "info"
    max_message_bytes: int = 16384
    login_failures_per_minute: int = 10
    forwarded_allow_ips: str | None = None
    permessage_deflate: bool = False


def _storable(t: Tournament) -> str:
    """The tournament as stored in the database: tokens replaced by placeholders (the teams table keeps their
    SHA-256), so no token is ever written in clear."""
    teams = tuple(dataclasses.replace(team, token=f"TK-REDACTED-{i}") for i, team in enumerate(t.teams))
    return json.dumps(tournament_to_dict(dataclasses.replace(t, teams=teams)), sort_keys=True)


def open_tournament(opts: ServeOptions) -> tuple[Any, Tournament, Engine, bool]:
    """(store, tournament, engine, is_new_demo). Raises StartupError with one line on any problem."""
    given: Tournament | None = None
    if opts.tournament is not None:
        try:
            given = load_tournament(opts.tournament)
        except ConfigError as exc:
            raise StartupError(str(exc)) from exc
    try:
        store = open_store(opts.db)
    except StoreError as exc:
        raise StartupError(str(exc)) from exc
    try:
        meta = store.meta()
        demo = False
        if meta is None:
            tournament = given if given is not None else builtin_tournament()
            demo = given is None
            genesis = Engine(tournament).genesis_events()
            store.init(_storable(tournament), tournament_hash(tournament), genesis)
        else:
            stored_json, stored_hash = meta
            if given is not None:
                if tournament_hash(given) != stored_hash:
                    raise StartupError(
                        f"{opts.tournament} differs from the tournament stored in {opts.db}; "
                        "use that database without --tournament, or a new database for this file"
                    )
                tournament = given
            else:
                try:
                    tournament = tournament_from_dict(json.loads(stored_json))
                except (ConfigError, ValueError) as exc:
                    raise StartupError(f"the tournament stored in {opts.db} cannot be loaded: {exc}") from exc
        engine = recover(store, tournament)
    except StoreError as exc:
        store.close()
        raise StartupError(str(exc)) from exc
    except StartupError:
        store.close()
        raise
    return store, tournament, engine, demo


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn with our shutdown first: refuse new frames, drain committed messages, close with 1001."""

    hub: Hub

    async def shutdown(self, sockets: Any = None) -> None:
        await graceful_stop(self.hub)
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Like uvicorn's, but a handled SIGTERM/SIGINT ends in a clean exit 0 instead of being re-raised."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


async def graceful_stop(hub: Hub) -> None:
    if hub.shutting_down:
        return
    hub.shutting_down = True
    hub.driver.stop()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(_wait_idle(hub), 10)
    for conn in list(hub.connections):
        await conn.drain(2.0)
        conn.drop(1001, "server shutting down")
    if hub.driver.failed is None:
        with contextlib.suppress(Exception):
            await hub.driver.snapshot()


async def _wait_idle(hub: Hub) -> None:
    while not hub.driver.queue.empty() or not hub.driver.idle:
        await asyncio.sleep(0.01)


def print_banner(opts: ServeOptions, tournament: Tournament, engine: Engine, demo: bool) -> None:
    shown = "localhost" if opts.host in ("0.0.0.0", "::") else opts.host
    print(f"avex listening on http://{shown}:{opts.port}/ (WebSocket ws://{shown}:{opts.port}/ws)", flush=True)
    if opts.tcp_port:
        print(f"raw TCP (NDJSON) on {opts.host}:{opts.tcp_port}", flush=True)
    print(f"database: {opts.db} (last seq {engine.seq}); {len(tournament.teams)} teams, "
          f"{len(tournament.products)} products; tournament {engine.state}", flush=True)
    if demo:
        print("WARNING: this is the built-in demo tournament. Its tokens are public; use `avex init FILE` and "
              "`--tournament FILE` for a real event.", flush=True)
        for team in tournament.teams:
            print(f"  {team.token:<24} {team.name}", flush=True)


async def run_server(
    opts: ServeOptions, store: Any, tournament: Tournament, engine: Engine, sock: socket.socket
) -> int:
    hub = Hub(
        tournament, engine, store, login_failures_per_minute=opts.login_failures_per_minute,
        max_message_bytes=opts.max_message_bytes,
    )
    with contextlib.suppress(Exception):
        await asyncio.to_thread(store.close_open_sessions)
    try:
        store.start_commit_process()
    except StoreError as exc:
        sock.close()
        raise StartupError(str(exc)) from exc
    tcp_server = None
    if opts.tcp_port:
        try:
            tcp_server = await serve_tcp(hub, opts.host, opts.tcp_port)
        except OSError as exc:
            sock.close()
            raise StartupError(f"cannot listen on {opts.host}:{opts.tcp_port} (TCP): {exc.strerror or exc}") from exc
    config = uvicorn.Config(
        build_app(hub), log_level=opts.log_level, ws=BatchingWebSocketProtocol, http="httptools", loop="none",
        ws_max_size=opts.max_message_bytes, ws_ping_interval=20.0, ws_ping_timeout=20.0,
        ws_per_message_deflate=opts.permessage_deflate, lifespan="off", access_log=False,
        forwarded_allow_ips=opts.forwarded_allow_ips, proxy_headers=opts.forwarded_allow_ips is not None,
        timeout_graceful_shutdown=5,
    )
    server = _Server(config)
    server.hub = hub
    failure: list[BaseException] = []

    async def on_failure(exc: BaseException) -> None:
        failure.append(exc)
        for conn in list(hub.connections):
            conn.drop(1011, "storage failure")
        server.should_exit = True

    hub.driver.on_failure = on_failure
    driver_task = asyncio.create_task(hub.driver.run())

    def driver_ended(task: asyncio.Task[None]) -> None:
        # the exchange cannot run without its driver: any unexpected end stops the server (clients get 1011)
        if not task.cancelled() and task.exception() is not None and not failure:
            log.critical("the driver stopped: %r", task.exception())
            failure.append(task.exception())  # type: ignore[arg-type]
            for conn in list(hub.connections):
                conn.drop(1011, "internal error")
            server.should_exit = True

    driver_task.add_done_callback(driver_ended)
    interval = float(tournament.market.ticker_interval_s)
    ticker_task = asyncio.create_task(hub.router.periodic_tickers(interval)) if interval > 0 else None
    lag_task = asyncio.create_task(hub.metrics.watch_loop())
    activity_task = asyncio.create_task(hub.record_activity())
    try:
        await server.serve(sockets=[sock])
    finally:
        hub.driver.stop()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(driver_task, 10)
        if ticker_task is not None:
            ticker_task.cancel()
        lag_task.cancel()
        activity_task.cancel()
        if tcp_server is not None:
            tcp_server.close()
        store.close()
    if failure or isinstance(driver_task.exception() if driver_task.done() else None, StorageFailed):
        print(f"avex: stopped after a storage failure: {failure[0] if failure else 'see log'}", file=sys.stderr)
        return 3
    return 0


def serve(opts: ServeOptions) -> int:
    logging.basicConfig(level=opts.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations are routine, not news
    try:
        store, tournament, engine, demo = open_tournament(opts)
    except StartupError as exc:
        print(f"avex: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind(opts.host, opts.port)
    except StartupError as exc:
        store.close()
        print(f"avex: {exc}", file=sys.stderr)
        return 2
    print_banner(opts, tournament, engine, demo)
    # The engine's long-lived state is built now: keep it out of every future collection, and collect the
    # young generation less often, so collector pauses do not show up as order-to-ACK latency.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # uvloop is optional on platforms without it
        runner = asyncio.run
    try:
        return runner(run_server(opts, store, tournament, engine, sock))
    except StartupError as exc:
        print(f"avex: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


__all__ = ["ServeOptions", "serve"]
