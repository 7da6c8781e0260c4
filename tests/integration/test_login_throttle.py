"""Failed-login throttle (PROTOCOL.md §4.2 row 3, §3.6): a server started with --login-failures-per-minute 3."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from avex.client import Client, ClientClosed, LoginError

from .harness import CONFORMANCE_TOML, ServerProcess, start_server


@pytest.fixture(scope="module")
def throttled_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("throttle")
    server = start_server(str(tmp / "avex.db"), CONFORMANCE_TOML, login_failures=3, log_dir=tmp)
    yield server
    server.stop()


async def _login_error(c: Client, token: str) -> LoginError:
    with pytest.raises(LoginError) as info:
        await c.login(token)
    return info.value


async def test_fourth_bad_login_in_a_minute_is_refused_and_closes_the_connection(
    throttled_server: ServerProcess,
) -> None:
    url = throttled_server.url
    async with Client.connect(url, ping_interval=None) as c:
        # an empty token is not a failure of row 4 and does not count
        err = await _login_error(c, "")
        assert (err.code, err.reason) == ("AUTH_FAILED", "Token is required")
        for token in ("BAD-TOKEN", "TK-NOPE", "TK-WRONG"):
            err = await _login_error(c, token)
            assert (err.code, err.reason) == ("AUTH_FAILED", "Invalid token")
        assert not c.closed  # three failures: the connection stays
        err = await _login_error(c, "TK-STILL-WRONG")
        assert (err.code, err.reason) == ("AUTH_FAILED", "Too many failed login attempts")
        assert set(err.frame) == {"type", "code", "reason", "timestamp"}
        await c.wait_closed(5)
        with pytest.raises(ClientClosed):
            await c.recv(timeout=1)

    # a new connection from the same IP is throttled at once, and closed too
    async with Client.connect(url, ping_interval=None) as c:
        err = await _login_error(c, "TK-NOPE")
        assert err.reason == "Too many failed login attempts"
        await c.wait_closed(5)

    # a correct token always logs in, even while the IP is throttled
    async with Client.connect(url, ping_interval=None) as c:
        ok = await c.login("TK-A")
        assert ok["team"] == "TeamA"
        await c.ping()
        assert (await c.expect("PONG"))["type"] == "PONG"
        # a failed re-login over the limit closes the connection (the old login is of no help)
        err = await _login_error(c, "TK-BAD")
        assert err.reason == "Too many failed login attempts"
        await c.wait_closed(5)


async def test_the_throttle_is_per_server_and_not_in_the_token_check(
    throttled_server: ServerProcess, tmp_path: Path, servers: Callable[..., ServerProcess],
) -> None:
    # a server with the limit disabled (0) never throttles, whatever the failures
    free = servers(str(tmp_path / "free.db"), CONFORMANCE_TOML, login_failures=0)
    async with Client.connect(free.url, ping_interval=None) as c:
        for i in range(12):
            err = await _login_error(c, f"TK-NOPE-{i}")
            assert err.reason == "Invalid token"
        assert not c.closed
        assert (await c.login("TK-B"))["team"] == "TeamB"
