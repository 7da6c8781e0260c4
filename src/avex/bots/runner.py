"""``avex bots``: run one bot per token with one strategy until ``--duration`` ends or Ctrl-C (SIGINT or
SIGTERM); on stop each bot cancels its open orders and closes its connection. A second Ctrl-C stops at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from collections.abc import Sequence

from avex.bots.strategies import make_bot

log = logging.getLogger("avex.bots")


async def run_bots(url: str, tokens: Sequence[str], strategy: str, duration: float | None = None,
                   seed: int | None = None, order_interval: float = 1.0) -> int:
    """0 when every bot ran and stopped cleanly, 1 if one could not log in or lost its connection for good."""
    if seed is None:
        seed = random.SystemRandom().randrange(1 << 31)
    log.info("%d %s bot(s) on %s, seed %d%s", len(tokens), strategy, url, seed,
             f", for {duration:g} s" if duration else "")
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    main = asyncio.current_task()

    def on_signal() -> None:
        if stop.is_set():  # the second Ctrl-C: no more waiting for cancels
            if main is not None:
                main.cancel()
            return
        log.info("stopping (Ctrl-C again to quit at once)")
        stop.set()

    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal)
            handled.append(sig)
    if duration:
        loop.call_later(duration, stop.set)
    bots = [make_bot(strategy, url, token, i, seed, order_interval) for i, token in enumerate(tokens)]
    try:
        results = await asyncio.gather(*(bot.run(stop) for bot in bots))
    except asyncio.CancelledError:
        log.info("stopped at once")
        return 130
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
    return 1 if any(results) else 0
