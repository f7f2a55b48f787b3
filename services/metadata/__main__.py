"""`python -m services.metadata`: run the metadata service until SIGTERM/SIGINT.

`python -m services.metadata migrate` only brings the database schema to head and exits (a Kubernetes Job
runs it before a rollout; the Deployment then sets MEMGRID_AUTO_MIGRATE=false).
"""

from __future__ import annotations

import asyncio
import sys

import structlog

from libs.errors import MemgridError
from libs.logging import configure_logging
from services.metadata.server import migrate, serve
from services.metadata.settings import MetadataSettings

COMMANDS = ("serve", "migrate")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "serve"
    if len(args) > 1 or command not in COMMANDS:
        raise SystemExit(f"usage: python -m services.metadata [{'|'.join(COMMANDS)}]")
    settings = MetadataSettings()
    configure_logging(service="metadata", log_format=settings.log_format, level=settings.log_level)
    try:
        asyncio.run(migrate(settings) if command == "migrate" else serve(settings))
    except MemgridError as error:  # e.g. a schema that is not at head with auto-migrate off
        structlog.get_logger().error("service.start_failed", reason=error.reason, error=error.message)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
