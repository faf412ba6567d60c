"""One write per reply: a reply's head and body reach the socket together.

uvicorn writes a reply's status line and headers as soon as the app sends ``http.response.start``, and
its body with the next message: two ``send`` calls, two TCP segments and two wake-ups of the client
for every reply, though nearly every reply is one body sent right after its head. ``CorkedTransport``
stands between a request's cycle and the connection (``http/limits.py`` puts it there): a write
waits until the next write, the end of the reply or the end of the loop turn, whichever comes first,
so a streamed reply's head still leaves at once (a feed's head is not held until its first event).
"""

from __future__ import annotations

import asyncio
from typing import Any


class CorkedTransport:
    """The connection's transport, its writes joined until ``flush`` (called by the protocol when a
    reply is complete, and scheduled for the end of the loop turn by the first write held)."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        pending = self._pending
        if pending:  # the body after its head: both leave now, in one write
            pending.append(data)
            self.flush()
            return
        pending.append(data)
        self._loop.call_soon(self.flush)  # nothing is held past this loop turn

    def flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, ...: the connection's own
        return getattr(self._transport, name)
