"""The hand-built server text frames equal what the websockets library frames (RFC 6455 §5.2)."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode

from avex.gateway.wsproto import text_frame


def _reference(payload: bytes) -> bytes:
    return Frame(Opcode.TEXT, payload).serialize(mask=False)


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_text_frame_matches_the_websockets_library_at_every_length_boundary(size: int) -> None:
    payload = b"x" * size
    assert text_frame(payload) == _reference(payload)
