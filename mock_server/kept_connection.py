"""One HTTP/1.1 connection kept open between requests, for the control client the pytest plugin uses.

A new connection per control call (``urllib``) costs both sides a TCP connect and accept and the whole
opener chain: about half of the CPU a test's fixtures spend (benchmarks/plugin_cpu.py). Only the
thread that made the object uses the connection (``owned``); other threads, which ``http.client``
could not share it with, go the old way.
"""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlsplit

# What a reused connection raises when the server closed it while it was idle (its keep-alive or read
# timeout), before reading the request: sending it again on a new connection repeats nothing.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class KeptConnection:
    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"a kept connection is for an http:// URL, not {base_url!r}")
        self._host, self._port, self._prefix = parts.hostname, parts.port or 80, parts.path.rstrip("/")
        self._owner = threading.get_ident()
        self._conn: http.client.HTTPConnection | None = None

    def owned(self) -> bool:
        return threading.get_ident() == self._owner

    def exchange(self, method: str, target: str, body: bytes | None, headers: dict[str, str], timeout: float
                 ) -> tuple[int, bytes, dict[str, str]]:
        """Status, body and headers (lower-case names) of one request; ``target`` is the path and query
        below the base URL's."""
        reused = self._conn is not None
        try:
            return self._once(method, target, body, headers, timeout)
        except _STALE:
            self.close()
            if not reused:
                raise
        except BaseException:
            self.close()  # a timeout or an interrupted read: the connection's state is unknown
            raise
        try:
            return self._once(method, target, body, headers, timeout)
        except BaseException:
            self.close()
            raise

    def _once(self, method: str, target: str, body: bytes | None, headers: dict[str, str], timeout: float
              ) -> tuple[int, bytes, dict[str, str]]:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        else:
            self._conn.timeout = timeout
            if self._conn.sock is not None:
                self._conn.sock.settimeout(timeout)
        self._conn.request(method, self._prefix + target, body=body, headers=headers)
        response = self._conn.getresponse()
        raw = response.read()
        got = {k.lower(): v for k, v in response.getheaders()}
        if response.will_close:
            self.close()
        return response.status, raw, got

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
