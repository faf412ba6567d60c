"""The control client's kept connection (the pytest plugin's): one connection for the creating thread's
calls, a new one when the server closed it while idle, and the same replies and errors as without it."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from mock_server.control_client import ControlError, MockControl
from mock_server.server import MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    running = MockServer(port=0).start()
    yield running
    running.stop()


def test_one_connection_serves_the_creating_threads_calls(server: MockServer) -> None:
    control = MockControl(server.url, token=server.settings.control_token, keep_alive=True)
    try:
        key = "sk_test_kept_one"
        control.freeze(key=key)
        first = control._kept._conn.sock  # type: ignore[union-attr]
        assert first is not None
        assert control.advance(60, key=key)["frozen"] is True
        assert control.running_conversations(key) == []
        assert control._kept._conn.sock is first  # type: ignore[union-attr]
        with pytest.raises(ControlError) as refused:  # an error reply keeps its status and body
            control.delete_organization(key="sk_test_kept_never_used")
        assert refused.value.status == 404
        assert control.delete_organization(key=key)
        assert control._kept._conn.sock is first  # type: ignore[union-attr]
    finally:
        control.close()
    assert control._kept._conn is None  # type: ignore[union-attr]


def test_another_thread_gets_its_own_connection_per_call(server: MockServer) -> None:
    control = MockControl(server.url, token=server.settings.control_token, keep_alive=True)
    seen: list[object] = []
    try:
        control.clock()
        kept = control._kept._conn  # type: ignore[union-attr]
        worker = threading.Thread(target=lambda: seen.append(control.clock()["scope"]))
        worker.start()
        worker.join(10)
        assert seen == ["app"]
        assert control._kept._conn is kept  # type: ignore[union-attr]  # not used by the other thread
    finally:
        control.close()


class _ClosesAfterEachReply(http.server.BaseHTTPRequestHandler):
    """Answers keep-alive, then closes the connection without saying so (as an idle timeout does)."""

    protocol_version = "HTTP/1.1"
    connections: list[int] = []

    def setup(self) -> None:
        super().setup()
        self.connections.append(1)

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


def test_a_connection_the_server_closed_while_idle_is_opened_again() -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ClosesAfterEachReply)
    _ClosesAfterEachReply.connections = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    control = MockControl(f"http://127.0.0.1:{httpd.server_address[1]}", keep_alive=True)
    try:
        assert control.request("GET", "clock") == {"path": "/_mock/clock"}
        # The server has closed that connection since; the call still gets its answer, on a new one.
        assert control.request("GET", "journal", query={"key": "k"}) == {"path": "/_mock/journal?key=k"}
        assert len(_ClosesAfterEachReply.connections) == 2
    finally:
        control.close()
        httpd.shutdown()
        httpd.server_close()


def test_a_base_url_with_a_path_keeps_it() -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ClosesAfterEachReply)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    control = MockControl(f"http://127.0.0.1:{httpd.server_address[1]}/behind/a/proxy/", keep_alive=True)
    try:
        assert control.request("GET", "clock") == {"path": "/behind/a/proxy/_mock/clock"}
    finally:
        control.close()
        httpd.shutdown()
        httpd.server_close()
