"""avex's Python client: an asyncio connection to the exchange over WebSocket or raw TCP (NDJSON).

    from avex.client import Client

    async with Client.connect("ws://localhost:9000/ws", token="TK-…") as c:
        await c.order("b1", "BUY", "LIMIT", "GUACA", 5, limit_price="16.50")
        print(await c.expect("ORDER_ACK"))

Modules: ``client`` (the connection, receive helpers, automatic PING, reconnect + RESYNC), ``wire`` (pure frame
builders, exact money encoding), ``tracking`` (``last_seq`` and duplicate suppression), ``transport``
(WebSocket and TCP), ``errors``.
"""

from avex.client.client import DEFAULT_SKIP, Client, Connecting
from avex.client.errors import ClientClosed, ClientError, LoginError, UnexpectedMessage
from avex.client.tracking import Deduper, SeqTracker
from avex.client.wire import Money

__all__ = [
    "DEFAULT_SKIP",
    "Client",
    "ClientClosed",
    "ClientError",
    "Connecting",
    "Deduper",
    "LoginError",
    "Money",
    "SeqTracker",
    "UnexpectedMessage",
]
