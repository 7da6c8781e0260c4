"""HTTP + WebSocket on one port (Starlette on uvicorn): the socket on ``/ws`` and ``/``, the pages, health
and metrics. Handlers only move frames between sockets and sessions; state lives behind the driver."""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from avex.gateway.connection import Connection
from avex.gateway.http_api import api_routes
from avex.gateway.hub import Hub
from avex.gateway.wsproto import SEND_MANY, WRITE_NOW

log = logging.getLogger("avex.gateway")


def client_type_of(user_agent: str) -> str:
    if not user_agent:
        return "Java/Native Client"
    if any(k in user_agent for k in ("Mozilla", "Chrome", "Safari")):
        return "Web Browser"
    return "Unknown"


def _page(name: str) -> str:
    try:
        return resources.files("avex.web").joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return "<!doctype html><title>avex</title><p>avex is running.</p>"


def build_app(hub: Hub) -> Starlette:
    async def socket(ws: WebSocket) -> None:
        await ws.accept()
        headers = ws.headers
        user_agent = headers.get("user-agent", "")
        remote = ws.client.host if ws.client else "unknown"

        async def close(code: int, reason: str) -> None:
            await ws.close(code, reason[:120])

        raw_send = ws._send  # the ASGI send: our protocol class understands websocket.send_many

        async def send_many(frames: list[bytes]) -> None:
            await raw_send({"type": SEND_MANY, "frames": frames})

        write_now = ws.scope.get("extensions", {}).get(WRITE_NOW)
        conn = Connection(
            send_many, close, remote, user_agent, client_type_of(user_agent), hub.on_drop, write_now=write_now
        )
        session = hub.attach(conn)
        try:
            while not conn.closed:
                message = await ws.receive()
                kind = message["type"]
                if kind == "websocket.disconnect":
                    break
                text = message.get("text")
                await session.on_frame(text if text is not None else (message.get("bytes") or b""))
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            hub.disconnected(conn)

    async def trader(request: Request) -> Response:
        return HTMLResponse(_page("index.html"))

    async def admin(request: Request) -> Response:
        return HTMLResponse(_page("admin.html"))

    async def ws_plain(request: Request) -> Response:
        return PlainTextResponse("426 Upgrade Required: connect with a WebSocket", status_code=426,
                                 headers={"Upgrade": "websocket"})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "seq": hub.driver.committed_seq})

    async def metrics(request: Request) -> Response:
        return Response(hub.metrics.render(), media_type="text/plain; version=0.0.4")

    routes: list[Any] = [
        WebSocketRoute("/ws", socket),
        WebSocketRoute("/", socket),
        Route("/", trader),
        Route("/ws", ws_plain),
        Route("/admin", admin),
        Route("/admin.html", admin),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        *api_routes(hub),
        Mount("/static", StaticFiles(packages=[("avex.web", "static")], check_dir=False), name="static"),
    ]
    return Starlette(routes=routes)
