"""`python -m services.vectorsearch`: run the vectorsearch service until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio

import structlog

from libs.errors import MemgridError
from libs.logging import configure_logging
from services.vectorsearch.server import serve
from services.vectorsearch.settings import VectorSearchSettings


def main() -> None:
    settings = VectorSearchSettings()
    configure_logging(service="vectorsearch", log_format=settings.log_format, level=settings.log_level)
    try:
        asyncio.run(serve(settings))
    except MemgridError as error:  # e.g. a collection that does not match the embedder
        structlog.get_logger().error("service.start_failed", reason=error.reason, error=error.message)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
