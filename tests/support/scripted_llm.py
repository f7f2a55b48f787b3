"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for tests and benchmarks.

A real HTTP peer (stdlib `http.server`, one thread per connection, HTTP/1.1 keep-alive) so the real
`openai` client — which runs on httpx2 and escapes httpx mocking — is exercised end to end.

Endpoints: POST /v1/chat/completions (incl. `response_format={"type": "json_object"}`), POST /v1/embeddings
(deterministic bag-of-words vectors, float or base64), GET /v1/models.

Scripting: chat replies are taken from a FIFO queue (`script(...)`); when it is empty, `handler(request)`
decides; with neither, the server answers HTTP 418 "no reply scripted" (not retryable, so a missing script
fails fast). A reply is one of:
    Completion("…") / json_reply({...}) / garbage()   a 200 chat completion with that content
    HttpError(status, body, headers) / rate_limited(retry_after) / server_error()
    Stall(seconds, then=reply)                         sleep (past the client's timeout), then answer
    Disconnect()                                       close the connection without answering
    RawResponse(status, body, content_type)            any bytes, e.g. a non-JSON body
`latency` adds a fixed delay before every chat reply (and `embedding_latency` before every embedding).
Every request is recorded (`requests`, `chat_requests`) so tests can assert on prompts.

    with ScriptedLLM() as llm:
        llm.script(rate_limited(0.01), json_reply({"facts": []}))
        ... point the client at llm.base_url ...
        assert len(llm.chat_requests) == 2
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import re
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

DEFAULT_MODEL = "scripted-model"
DEFAULT_EMBEDDING_DIMS = 64


# --- what the server received -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float  # time.monotonic()

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def system_prompt(self) -> str:
        return "\n".join(m.get("content") or "" for m in self.messages if m.get("role") == "system")

    @property
    def user_prompt(self) -> str:
        """The content of the last user message."""
        users = [m.get("content") or "" for m in self.messages if m.get("role") == "user"]
        return users[-1] if users else ""

    def user_json(self) -> Any:
        """The last user message parsed as JSON (memgrid's prompts send their data as one JSON document)."""
        return json.loads(self.user_prompt)

    @property
    def response_format(self) -> Any:
        return self.body.get("response_format") if isinstance(self.body, dict) else None


# --- replies ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Completion:
    content: str | None
    finish_reason: str = "stop"


@dataclass(frozen=True, slots=True)
class HttpError:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stall:
    seconds: float
    then: Reply | None = None


@dataclass(frozen=True, slots=True)
class Disconnect:
    pass


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    body: bytes
    content_type: str = "text/plain"


Reply = Completion | HttpError | Stall | Disconnect | RawResponse
Handler = Callable[[RecordedRequest], Reply]


def json_reply(payload: Any) -> Completion:
    return Completion(json.dumps(payload, ensure_ascii=False))


def garbage(text: str = "Sure! Here are the facts: - likes sushi") -> Completion:
    """A 200 completion whose content is not JSON."""
    return Completion(text)


def rate_limited(retry_after: float | None = 0.0) -> HttpError:
    headers = {} if retry_after is None else {"retry-after": _seconds(retry_after)}
    return HttpError(429, _error_body("Rate limit reached", "rate_limit_exceeded"), headers)


def server_error(status: int = 500) -> HttpError:
    return HttpError(status, _error_body("The server had an error while processing your request", "server_error"))


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": code, "param": None, "code": code}}


# --- embeddings ---------------------------------------------------------------------------------


def embed(text: str, dims: int = DEFAULT_EMBEDDING_DIMS) -> list[float]:
    """A deterministic unit vector: hashed lower-case words, so texts sharing words are similar."""
    vector = [0.0] * dims
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dims
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        vector[0], norm = 1.0, 1.0
    return [v / norm for v in vector]


# --- the server ---------------------------------------------------------------------------------


class ScriptedLLM:
    """See the module docstring. Start with `with ScriptedLLM() as llm:` or start()/stop()."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        embedding_latency: float = 0.0,
        model: str = DEFAULT_MODEL,
        embedding_dims: int = DEFAULT_EMBEDDING_DIMS,
        handler: Handler | None = None,
    ) -> None:
        self.latency = latency
        self.embedding_latency = embedding_latency
        self.model = model
        self.embedding_dims = embedding_dims
        self.handler = handler
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> ScriptedLLM:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler_class(self))
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="scripted-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> ScriptedLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the scripted LLM is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as base_url."""
        return f"http://127.0.0.1:{self.port}/v1"

    # scripting

    def script(self, *replies: Reply) -> None:
        """Queue chat replies, answered in order before the handler is consulted."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        """Forget queued replies, the handler, the latency and the recorded requests."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
        self.handler = None
        self.latency = 0.0
        self.embedding_latency = 0.0

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # used by the request handler thread

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_chat_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.handler is not None:
            return self.handler(request)
        return HttpError(418, _error_body("scripted LLM: no reply scripted for this request", "no_script"))

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True when it slept the whole time."""
        return seconds <= 0 or not self._stopping.wait(seconds)


def _make_handler_class(llm: ScriptedLLM) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._record(None)
            if self.path.rstrip("/").endswith("/models"):
                self._send_json(200, {"object": "list", "data": [{"id": llm.model, "object": "model"}]})
            else:
                self._send_json(404, _error_body(f"no route {self.path}", "not_found"))

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            request = self._record(body)
            path = self.path.split("?", 1)[0].rstrip("/")
            try:
                if path.endswith("/chat/completions"):
                    if not llm._sleep(llm.latency):
                        return
                    self._reply(llm._next_chat_reply(request), request)
                elif path.endswith("/embeddings"):
                    if not llm._sleep(llm.embedding_latency):
                        return
                    self._send_json(200, _embeddings(body, llm))
                else:
                    self._send_json(404, _error_body(f"no route {self.path}", "not_found"))
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _record(self, body: Any) -> RecordedRequest:
            request = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                received_at=time.monotonic(),
            )
            llm._record(request)
            return request

        def _reply(self, reply: Reply, request: RecordedRequest) -> None:
            if isinstance(reply, Stall):
                if llm._sleep(reply.seconds) and reply.then is not None:
                    self._reply(reply.then, request)
                else:
                    self._drop()
            elif isinstance(reply, Completion):
                self._send_json(200, _completion(reply, request, llm.model))
            elif isinstance(reply, HttpError):
                if isinstance(reply.body, (bytes, str)):
                    data = reply.body.encode() if isinstance(reply.body, str) else reply.body
                    self._send(reply.status, data, "text/plain", reply.headers)
                else:
                    self._send_json(reply.status, reply.body, reply.headers)
            elif isinstance(reply, RawResponse):
                self._send(reply.status, reply.body, reply.content_type)
            else:
                self._drop()

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json", headers)

        def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

    return _Handler


def _completion(reply: Completion, request: RecordedRequest, model: str) -> dict[str, Any]:
    prompt_chars = sum(len(m.get("content") or "") for m in request.messages)
    completion_chars = len(reply.content or "")
    return {
        "id": f"chatcmpl-scripted-{int(request.received_at * 1e6)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": (request.body or {}).get("model", model) if isinstance(request.body, dict) else model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content, "refusal": None},
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_chars // 4,
            "completion_tokens": completion_chars // 4,
            "total_tokens": (prompt_chars + completion_chars) // 4,
        },
    }


def _embeddings(body: Any, llm: ScriptedLLM) -> dict[str, Any]:
    body = body if isinstance(body, dict) else {}
    inputs = body.get("input", [])
    texts = [inputs] if isinstance(inputs, str) else [str(item) for item in inputs]
    dims = int(body.get("dimensions") or llm.embedding_dims)
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vector = embed(text, dims)
        encoded: Any = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode() if as_base64 else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(len(text.split()) for text in texts)
    return {
        "object": "list",
        "data": data,
        "model": body.get("model", "scripted-embedding"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


@pytest.fixture
def scripted_llm() -> Iterator[ScriptedLLM]:
    """A running ScriptedLLM for one test (import this fixture into a conftest to use it)."""
    with ScriptedLLM() as llm:
        yield llm
