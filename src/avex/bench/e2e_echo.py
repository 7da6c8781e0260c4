"""The baseline of the end-to-end benchmark: a bare ``websockets`` server that answers every text frame with
one small JSON frame. It parses nothing and stores nothing, so it is the floor of a Python WebSocket server
on this machine; avex's orders/s divided by its messages/s says what the exchange costs on top.

Run as ``python -m avex.bench.e2e_echo PORT``; listens on 127.0.0.1, stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from websockets.asyncio.server import ServerConnection, serve

REPLY = '{"type":"ECHO","ok":true}'


async def handler(ws: ServerConnection) -> None:
    send = ws.send
    async for _ in ws:
        await send(REPLY)


async def run(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, compression=None, ping_interval=None, max_size=None):
        await stop


def main() -> int:
    port = int(sys.argv[1])
    try:
        import uvloop

        uvloop.run(run(port))
    except ImportError:  # same event loop as `avex serve` when available, for a fair floor
        asyncio.run(run(port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
