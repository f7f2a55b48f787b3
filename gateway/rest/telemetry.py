"""REST telemetry: an ASGI middleware counting and timing requests by route template and status (a SERVER span
each, continuing the caller's W3C `traceparent`), and the Prometheus scrape endpoint GET /metrics."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from fastapi import FastAPI, HTTPException, Response
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.observability.metrics import CONTENT_TYPE
from libs.observability.telemetry import Telemetry
from libs.observability.tracing import extract_headers

# The route label of a request no route matched: its raw path could be anything (cardinality, data).
UNMATCHED_ROUTE = "<unmatched>"


def route_template(scope: Scope) -> str:
    """The matched route's path template ("/v1/memories/{memory_id}/"), never the request's own path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class TelemetryMiddleware:
    def __init__(self, app: ASGIApp, telemetry: Telemetry) -> None:
        self._app = app
        self._telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        telemetry = self._telemetry
        if scope["type"] != "http" or (telemetry.metrics is None and telemetry.tracer is None):
            await self._app(scope, receive, send)
            return
        status = 500  # what the client gets when the app fails before answering

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        method = str(scope["method"])
        span_scope: contextlib.AbstractContextManager[Any] = (
            telemetry.tracer.start_as_current_span(
                f"{method} {UNMATCHED_ROUTE}",
                context=extract_headers(_headers(scope)),
                kind=SpanKind.SERVER,
                attributes={"http.request.method": method},
                set_status_on_exception=False,
            )
            if telemetry.tracer is not None
            else contextlib.nullcontext()
        )
        started = time.perf_counter()
        with span_scope as span:
            try:
                await self._app(scope, receive, send_recording_status)
            finally:
                route = route_template(scope)
                if telemetry.metrics is not None:
                    telemetry.metrics.http_requests.labels(method, route, str(status)).inc()
                    telemetry.metrics.http_duration.labels(method, route).observe(time.perf_counter() - started)
                if span is not None:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR, str(status)))


def _headers(scope: Scope) -> dict[str, str]:
    return {key.decode("latin-1"): value.decode("latin-1") for key, value in scope.get("headers", ())}


def install(app: FastAPI, telemetry: Telemetry) -> None:
    """Add the middleware and GET /metrics (no authentication: it carries no tenant data; not in the OpenAPI
    document, which describes the Mem0-compatible API). With metrics off, /metrics answers 404."""
    app.add_middleware(TelemetryMiddleware, telemetry=telemetry)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        if telemetry.metrics is None:
            raise HTTPException(status_code=404, detail="metrics are disabled (MEMGRID_METRICS__ENABLED=false)")
        return Response(telemetry.metrics.exposition(), media_type=CONTENT_TYPE)
