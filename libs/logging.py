"""structlog set-up and the request id that travels across RPC hops."""

from __future__ import annotations

import logging
import sys
import uuid

import structlog
from opentelemetry import trace

REQUEST_ID_KEY = "request_id"
REQUEST_ID_HEADER = "x-request-id"


def configure_logging(*, service: str, log_format: str = "console", level: str = "info") -> None:
    """Configure structlog for one process: key-value events to stderr, JSON or console."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if log_format == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_trace_id,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.dict_tracebacks if log_format == "json" else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return structlog.contextvars.get_contextvars().get(REQUEST_ID_KEY)


def bind_request_id(request_id: str) -> None:
    structlog.contextvars.bind_contextvars(**{REQUEST_ID_KEY: request_id})


def add_trace_id(_logger: object, _method: str, event: structlog.typing.EventDict) -> structlog.typing.EventDict:
    """structlog processor: the current span's trace id as `trace_id` (only while tracing records a span)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", trace.format_trace_id(context.trace_id))
    return event
