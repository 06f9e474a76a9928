"""A real HTTP receiver on a free loopback port, for webhook and chat deliveries: it keeps every request, can
answer with scripted failures first, and can hold requests until a test lets them go."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hub.net import free_port


@dataclass(frozen=True)
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    peer_port: int  # the client's port: one port for several hits means one kept-alive connection


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Receiver:
    """Answers 200 unless `replies` scripts other answers first; `hits` are the requests it answered 2xx."""

    def __init__(self) -> None:
        self.port = free_port()
        self.hits: list[Hit] = []
        self.refused: list[Hit] = []
        self.replies: list[Reply] = []
        self.hold = threading.Event()  # set: requests wait until `release` ...
        self.released = threading.Event()
        self.arrived = threading.Event()  # ... and this tells the test one is waiting
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the worker's connection reuse expects

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                hit = Hit(self.command, self.path, headers, body, self.client_address[1])
                if receiver.hold.is_set():
                    receiver.arrived.set()
                    receiver.released.wait(30)
                with receiver._cond:
                    reply = receiver.replies.pop(0) if receiver.replies else Reply(200, body=b"ok")
                    (receiver.hits if 200 <= reply.status < 300 else receiver.refused).append(hit)
                    receiver._cond.notify_all()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_PUT = do_PATCH = do_POST

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Hit]:
        """Block until `count` requests were answered 2xx (poll with a deadline, no fixed sleeps)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.hits) >= count, timeout):
                raise AssertionError(f"expected {count} delivery(ies) at the receiver, got {len(self.hits)}")
            return list(self.hits)
