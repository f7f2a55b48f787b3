"""`memgrid` command line: `memgrid up` runs the embedded stack; data commands talk to its REST API."""

from __future__ import annotations

import asyncio
import enum
import subprocess
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli import data
from cli.doctor import DoctorTargets, run_checks
from cli.eval import app as eval_app
from cli.keys import KeyRow, create_key, list_keys, revoke_key
from cli.supervisor import run_stack
from gateway.settings import GatewaySettings
from libs import domain
from libs.logging import configure_logging

app = typer.Typer(help="memgrid — long-term memory for AI agents.", no_args_is_help=True)


@app.command()
def up() -> None:
    """Start all four services on loopback (Milvus Lite, SQLite, local embedder, offline extractor)."""
    settings = GatewaySettings()
    configure_logging(service="memgrid-up", log_format=settings.log_format, level=settings.log_level)
    raise typer.Exit(asyncio.run(run_stack(settings, typer.echo)))


class Role(enum.StrEnum):
    owner = "owner"
    reader = "reader"


keys_app = typer.Typer(help="API keys (the stack must be running: memgrid up).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(eval_app, name="eval")


def _print_keys(rows: list[KeyRow]) -> None:
    for row in rows:
        state = "revoked" if row.revoked else "active"
        access = f"member {row.member_email}" if row.member_email else row.role
        typer.echo(
            f"{row.key_id}  {row.org_id}/{row.project_id}  {row.prefix}…  {row.name or '-'}  {access}  "
            f"{row.created_at}  {state}"
        )


@keys_app.command("create")
def keys_create(
    org: str = typer.Option("default", help="Organisation id"),
    project: str = typer.Option("default", help="Project id (created if new)"),
    name: str = typer.Option("", help="Display name"),
    role: Annotated[
        Role | None, typer.Option(help="What the key may do: owner (default) or reader (read only)")
    ] = None,
    member: str = typer.Option(
        "", help="Create the key for this project member (e-mail): it then has the member's current role"
    ),
) -> None:
    """Create a key; its secret is printed once and only its hash is stored."""
    settings = GatewaySettings()
    chosen = domain.MemberRole(role.value.upper()) if role else None
    row, secret = asyncio.run(
        create_key(
            settings.metadata_addr,
            domain.Tenant(org, project),
            name,
            role=chosen,
            member_email=member,
            tls=settings.internal_tls,
        )
    )
    _print_keys([row])
    typer.echo(f"API key (shown once): {secret}")


@keys_app.command("list")
def keys_list(all_keys: bool = typer.Option(False, "--all", help="Include revoked keys")) -> None:
    """List keys (never their secrets)."""
    settings = GatewaySettings()
    _print_keys(asyncio.run(list_keys(settings.metadata_addr, all_keys, settings.internal_tls)))


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by id."""
    settings = GatewaySettings()
    _print_keys([asyncio.run(revoke_key(settings.metadata_addr, key_id, settings.internal_tls))])


app.command("add")(data.add)
app.command("search")(data.search)
app.command("list")(data.list_memories)
app.command("history")(data.history)
app.command("export")(data.export)
app.command("import")(data.import_memories)


@app.command()
def doctor(
    url: data.Url = data.DEFAULT_URL,
    api_key: Annotated[str | None, typer.Option(envvar="MEMGRID_API_KEY", help="Also check this key")] = None,
) -> None:
    """Check the configuration, each service's health, the database, Milvus, the REST API and the LLM (when
    configured). Addresses come from the same MEMGRID_* variables the services read; exits 1 on any FAIL."""
    checks = asyncio.run(run_checks(DoctorTargets(rest_url=url, api_key=api_key)))
    table = Table(title="memgrid doctor")
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    for check in checks:
        status = {True: "[green]OK[/green]", False: "[red]FAIL[/red]", None: "[dim]SKIP[/dim]"}[check.ok]
        table.add_row(check.name, status, check.detail)
    Console(highlight=False).print(table)
    if any(check.ok is False for check in checks):
        raise typer.Exit(1)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []})
def bench(ctx: typer.Context) -> None:
    """Run the benchmark harness: `memgrid bench run --quick` is `python -m bench run --quick` (from a checkout)."""
    raise typer.Exit(subprocess.call(bench_argv(ctx.args)))


def bench_argv(args: list[str]) -> list[str]:
    """The harness's command line: this Python, so a checkout's venv runs it."""
    return [sys.executable, "-m", "bench", *args]


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo("memgrid 0.1.0")


def main() -> None:
    app()
