"""uvicorn's httptools protocol with a cap on the request head and a read timeout.

uvicorn caps nothing for httptools (``h11_max_incomplete_event_size`` is h11's only), and its
keep-alive timer runs only after a response: a connection that never finishes its request head, or
stops halfway through a body, was held open forever (200 slow clients, all kept), and an 8 MB header
was answered 200.

- Head cap: the request line plus headers of one request may hold ``max_head_bytes``; beyond that the
  reply is 431 and the connection closes. Counted as bytes arrive, so a never-ending header is cut off
  too, not buffered whole.
- Read timeout: the whole head must arrive within ``read_timeout`` seconds of the connection (or of the
  previous response), and a body may not stall longer than that between two reads. Otherwise the
  connection is closed. Time spent by the app itself (a fault's delay) is never counted.

Each request's replies go through ``CorkedTransport`` (``corked.py``): a head and its body in one write.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .corked import CorkedTransport
from .faults import CLOSE_CONNECTION

REFUSAL = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json; charset=utf-8\r\n"
           b"connection: close\r\ncontent-length: %d\r\n\r\n%s")


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    max_head_bytes = 64 * 1024
    read_timeout = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0  # exact: request line and headers of the current request
        self._raw_head_bytes = 0  # bytes received since the last head was complete
        self._in_head = True  # from a connection (or a response) until a request's last header
        self._in_body = False
        self._refused = False
        self._read_timer: asyncio.TimerHandle | None = None

    # --- the read timer ---------------------------------------------------------------
    def _arm(self) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            self.transport.close()  # an app waiting for the body sees a disconnect

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._corked = CorkedTransport(transport, self.loop)  # a reply's head and body in one write (corked.py)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._corked.flush()
        super().on_response_complete()  # arms uvicorn's keep-alive timer for the idle wait
        self._in_head, self._raw_head_bytes = True, 0

    # --- the head cap ---------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head:
            self._raw_head_bytes += len(data)
            if self._read_timer is None:
                self._arm()  # the first bytes of a next request on a kept-alive connection
        elif self._in_body:
            self._arm()  # a body may be slow, not stalled
        super().data_received(data)
        # Still inside a head after this chunk and over the cap: a header that does not end is cut off
        # as it arrives, not buffered whole by the parser.
        if self._in_head and self._raw_head_bytes > self.max_head_bytes:
            self._refuse()

    def _refuse(self) -> None:
        if self._refused:
            return
        self._refused = True
        self._disarm()
        body = (b'{"statusCode":431,"message":"request headers are larger than %d bytes",'
                b'"error":"Request Header Fields Too Large"}' % self.max_head_bytes)
        if not self.transport.is_closing():
            self.transport.write(REFUSAL % (len(body), body))
            self.transport.close()

    def _count(self, size: int) -> bool:
        """Count head bytes; False once over the cap (then the request is refused, not started)."""
        self._head_bytes += size
        if self._head_bytes > self.max_head_bytes:
            self._refuse()
        return not self._refused

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0

    def on_url(self, url: bytes) -> None:
        if self._count(len(url)):
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._count(len(name) + len(value) + 4):
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._in_head, self._in_body, self._raw_head_bytes = False, True, 0
        self._arm()
        super().on_headers_complete()
        self.cycle.transport = self._corked  # type: ignore[assignment]
        # The request's task starts on the next loop turn: the scope still takes the extension now.
        self.scope.setdefault("extensions", {})[CLOSE_CONNECTION] = {"close": self._close_connection}

    def _close_connection(self) -> None:
        """For the drop fault (http/faults.py): the client sees the connection end mid-response."""
        if not self.transport.is_closing():
            self._corked.close()  # the reply's head first: the client sees a body cut short

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._in_body = False
        self._disarm()  # the app's own time (a fault's delay) is not the client's
        super().on_message_complete()


def limited_protocol(max_head_bytes: int, read_timeout: float) -> type[LimitedHttpToolsProtocol]:
    """The protocol class for uvicorn's ``http=``, with these limits."""
    return type("LimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,),
                {"max_head_bytes": max_head_bytes, "read_timeout": read_timeout})
