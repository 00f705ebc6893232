"""What every stand-in shares: an HTTP/1.1 server on 127.0.0.1 in a daemon thread, JSON replies.

Connections are kept alive between requests, as the providers' own servers keep them, so a client that pools its
connections is measured (and tested) reusing them. Every reply therefore carries a Content-Length, and every
request's body is read whole before the reply (`request_body`), or its bytes would be taken for the next request.
`stop()` also closes the connections clients still hold open, so no handler thread outlives its stand-in."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _KeepAliveServer(ThreadingHTTPServer):
    """A thread per connection (daemon threads), with the open connections known so `stop()` can close them."""

    daemon_threads = True

    def __init__(self, address, handler):
        self.open_connections: set[socket.socket] = set()
        self.connections_accepted = 0
        self._connections_lock = threading.Condition()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        with self._connections_lock:
            self.open_connections.add(request)
            self.connections_accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        super().shutdown_request(request)
        with self._connections_lock:
            self.open_connections.discard(request)
            self._connections_lock.notify_all()

    def close_connections(self, wait: float = 2.0) -> None:
        """End every kept-alive connection: a handler waiting for a client's next request reads the end and exits
        (waited for, at most `wait` seconds)."""
        with self._connections_lock:
            connections = list(self.open_connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        with self._connections_lock:
            self._connections_lock.wait_for(lambda: not self.open_connections, timeout=wait)


class LoopbackServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.server = _KeepAliveServer(("127.0.0.1", 0), handler)
        # polled 20 times a second for shutdown: `stop()` returns within 50 ms (the default, 0.5 s, in every test)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far: clients that reuse theirs open few, however many requests they send."""
        return self.server.connections_accepted

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.close_connections()
        self.server.server_close()


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # persistent connections, as the providers' servers
    disable_nagle_algorithm = True  # headers and body go out as two writes: no waiting on the client's delayed ACK

    def parse_request(self) -> bool:
        self._body: bytes | None = None
        return super().parse_request()

    def request_body(self) -> bytes:
        """The request's body, read once (by Content-Length, or chunk by chunk)."""
        if getattr(self, "_body", None) is None:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                self._body = self._read_chunked()
            else:
                length = int(self.headers.get("Content-Length") or 0)
                self._body = self.rfile.read(length) if length > 0 else b""
        return self._body

    def _read_chunked(self) -> bytes:
        data = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers, then the blank line
                    pass
                return bytes(data)
            data += self.rfile.read(size)
            self.rfile.readline()  # the CRLF after each chunk

    def end_headers(self) -> None:
        # A reply sent without looking at the body (a refusal, a 404) still consumes it: the connection goes on.
        if getattr(self, "headers", None) is not None and not self.close_connection:
            self.request_body()
        super().end_headers()

    def reply_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass
