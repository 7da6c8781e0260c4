"""Reading live engine state from HTTP handlers: through the driver's queue, between commands.

``at_engine(hub, fn)`` runs ``fn(engine, now)`` in the driver between commands (so it sees exactly the
commands ≤ the engine's ``seq``) and resolves after that batch is committed, so nothing uncommitted can
leak into an HTTP answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from avex.engine.engine import Engine
    from avex.gateway.hub import Hub

T = TypeVar("T")
TIMEOUT_S = 15.0


class EngineUnavailable(RuntimeError):
    """The engine is stopping or stopped (the HTTP answer is 503)."""


async def at_engine(hub: Hub, fn: Callable[[Engine, int], T], timeout: float = TIMEOUT_S) -> T:
    if hub.shutting_down or hub.driver.failed is not None:
        raise EngineUnavailable("server is shutting down")
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[Any] = loop.create_future()

    def query(engine: Engine, now: int) -> Callable[[], None]:
        try:
            value: Any = fn(engine, now)
            error: BaseException | None = None
        except Exception as exc:  # reported to the HTTP caller, never to the driver
            value, error = None, exc

        def release() -> None:
            if fut.done():
                return
            if error is not None:
                fut.set_exception(error)
            else:
                fut.set_result(value)

        return release

    hub.driver.query(None, query)
    try:
        return await asyncio.wait_for(fut, timeout)
    except TimeoutError as exc:
        raise EngineUnavailable("the engine did not answer in time") from exc
