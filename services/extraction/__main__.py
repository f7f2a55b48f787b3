"""`python -m services.extraction`: run the extraction service until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio

from libs.logging import configure_logging
from services.extraction.server import serve
from services.extraction.settings import ExtractionSettings


def main() -> None:
    settings = ExtractionSettings()
    configure_logging(service="extraction", log_format=settings.log_format, level=settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
