"""A real HTTP receiver for webhook tests, on 127.0.0.1 port 0 (a thread of http.server).

Each path answers a scripted sequence of statuses (then 200), or waits until released (`hold`), and every
request is recorded with its headers and raw body.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    # time.perf_counter() when the request had been read.
    at: float


class _Server(ThreadingHTTPServer):
    # The dispatcher POSTs up to MEMGRID_WEBHOOKS__BATCH_SIZE (50) deliveries at once; http.server's default
    # backlog of 5 refuses connections beyond it.
    request_queue_size = 128


class WebhookReceiver:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, list[int]] = {}
        self._always: dict[str, int] = {}
        self._holds: dict[str, threading.Event] = {}
        self.received: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.perf_counter()
                hold = receiver._holds.get(self.path)
                if hold is not None:
                    hold.wait(timeout=60)
                status = receiver._next_status(self.path)
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body, status, at))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        for hold in self._holds.values():
            hold.set()
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def script(self, path: str, statuses: list[int]) -> None:
        """Answer these statuses in turn, then 200."""
        self._scripts[path] = list(statuses)

    def always(self, path: str, status: int) -> None:
        self._always[path] = status

    def hold(self, path: str) -> threading.Event:
        """Requests to `path` wait until the returned event is set."""
        event = threading.Event()
        self._holds[path] = event
        return event

    def _next_status(self, path: str) -> int:
        with self._lock:
            if path in self._always:
                return self._always[path]
            script = self._scripts.get(path)
            return script.pop(0) if script else 200

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [item for item in self.received if item.path == path]

    async def wait_for(self, condition: Callable[[], bool], within_seconds: float = 30.0) -> None:
        """Until `condition()` holds (a test that waits for something to happen, not one that measures it)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_seconds
        while not condition():
            if loop.time() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)
