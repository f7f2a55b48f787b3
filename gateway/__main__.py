"""`python -m gateway`: run the gateway until SIGTERM."""

import asyncio

from gateway.server import serve
from gateway.settings import GatewaySettings
from libs.logging import configure_logging


def main() -> None:
    settings = GatewaySettings()
    configure_logging(service="gateway", log_format=settings.log_format, level=settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
