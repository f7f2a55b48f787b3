"""`python -m services.metadata`: run the metadata service until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio

from libs.logging import configure_logging
from services.metadata.server import serve
from services.metadata.settings import MetadataSettings


def main() -> None:
    settings = MetadataSettings()
    configure_logging(service="metadata", log_format=settings.log_format, level=settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
