"""`memgrid` command line: `memgrid up` runs the embedded stack."""

from __future__ import annotations

import asyncio

import typer

from cli.supervisor import run_stack
from gateway.settings import GatewaySettings
from libs.logging import configure_logging

app = typer.Typer(help="memgrid — long-term memory for AI agents.", no_args_is_help=True)


@app.command()
def up() -> None:
    """Start all four services on loopback (Milvus Lite, SQLite, local embedder, offline extractor)."""
    settings = GatewaySettings()
    configure_logging(service="memgrid-up", log_format=settings.log_format, level=settings.log_level)
    raise typer.Exit(asyncio.run(run_stack(settings, typer.echo)))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo("memgrid 0.1.0")


def main() -> None:
    app()
