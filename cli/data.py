"""The CLI's data commands: add, search, list, history, export, import (over the REST API)."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.rest import SCOPE_FIELDS, RestClient, RestError, entity_filters
from cli.transfer import LineError, add_body, export_line, idempotency_key, parse_line

Url = Annotated[str, typer.Option(envvar="MEMGRID_URL", help="The gateway's REST URL")]
ApiKey = Annotated[str, typer.Option(envvar="MEMGRID_API_KEY", help="API key (or MEMGRID_API_KEY)")]
UserId = Annotated[str | None, typer.Option("--user-id", help="Entity: user id")]
AgentId = Annotated[str | None, typer.Option("--agent-id", help="Entity: agent id")]
AppId = Annotated[str | None, typer.Option("--app-id", help="Entity: app id")]
RunId = Annotated[str | None, typer.Option("--run-id", help="Entity: run id")]
Filters = Annotated[str | None, typer.Option(help="A v2 filters JSON object, AND-ed with the entity options")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table")]
DEFAULT_URL = "http://127.0.0.1:8000"


def _console() -> Console:
    return Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    _console().print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    return typer.Exit(1)


def _json_option(raw: str | None, name: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise _fail(f"--{name}: not JSON ({error.msg})") from None
    if not isinstance(value, dict):
        raise _fail(f"--{name}: must be a JSON object")
    return value


def _filters(
    user_id: str | None, agent_id: str | None, app_id: str | None, run_id: str | None, raw: str | None
) -> dict[str, Any] | None:
    ids = {"user_id": user_id, "agent_id": agent_id, "app_id": app_id, "run_id": run_id}
    return entity_filters(ids, _json_option(raw, "filters"))


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _memory_table(memories: list[dict[str, Any]], title: str, *, scores: bool = False) -> Table:
    table = Table(title=title, show_lines=False)
    if scores:
        table.add_column("score", justify="right")
    table.add_column("id", overflow="fold")
    table.add_column("memory", overflow="fold")
    table.add_column("entity")
    table.add_column("categories")
    table.add_column("created_at")
    for m in memories:
        entity = " ".join(f"{f.removesuffix('_id')}={m[f]}" for f in SCOPE_FIELDS if m.get(f))
        row = [m["id"], m["memory"], entity, ", ".join(m.get("categories") or []), m.get("created_at") or ""]
        table.add_row(*([f"{m.get('score', 0):.3f}"] if scores else []), *row)
    return table


def _print(renderable: Any) -> None:
    Console(highlight=False).print(renderable)


def add(
    text: Annotated[str, typer.Argument(help="The memory (or a message to extract memories from with --infer)")],
    api_key: ApiKey,
    url: Url = DEFAULT_URL,
    user_id: UserId = None,
    agent_id: AgentId = None,
    app_id: AppId = None,
    run_id: RunId = None,
    metadata: Annotated[str | None, typer.Option(help="Metadata JSON object")] = None,
    category: Annotated[
        list[str] | None, typer.Option(help="A category of the memory (with --no-infer; repeatable)")
    ] = None,
    infer: Annotated[bool, typer.Option(help="Extract facts (default) or store the text verbatim")] = True,
    as_json: AsJson = False,
) -> None:
    """Add a memory."""
    body: dict[str, Any] = {"messages": [{"role": "user", "content": text}], "infer": infer}
    body.update({k: v for k, v in dict(user_id=user_id, agent_id=agent_id, app_id=app_id, run_id=run_id).items() if v})
    if metadata is not None:
        body["metadata"] = _json_option(metadata, "metadata")
    if category:
        body["categories"] = category
    try:
        with RestClient(url, api_key) as rest:
            result = rest.add(body)
    except RestError as error:
        raise _fail(str(error)) from None
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"event {result.get('event_id', '')}")
    for column in ("event", "id", "memory"):
        table.add_column(column, overflow="fold")
    for change in result["results"]:
        table.add_row(change["event"], change["id"], change["memory"])
    _print(table)


def search(
    query: Annotated[str, typer.Argument(help="What to look for")],
    api_key: ApiKey,
    url: Url = DEFAULT_URL,
    user_id: UserId = None,
    agent_id: AgentId = None,
    app_id: AppId = None,
    run_id: RunId = None,
    filters: Filters = None,
    top_k: Annotated[int, typer.Option(help="Results, 1-1000")] = 10,
    as_json: AsJson = False,
) -> None:
    """Search memories (every entity's unless an entity or filters are given)."""
    try:
        with RestClient(url, api_key) as rest:
            hits = rest.search(query, _filters(user_id, agent_id, app_id, run_id, filters), top_k)
    except RestError as error:
        raise _fail(str(error)) from None
    if as_json:
        _print_json(hits)
    else:
        _print(_memory_table(hits, f"{len(hits)} results for {query!r}", scores=True))


def list_memories(
    api_key: ApiKey,
    url: Url = DEFAULT_URL,
    user_id: UserId = None,
    agent_id: AgentId = None,
    app_id: AppId = None,
    run_id: RunId = None,
    filters: Filters = None,
    page: Annotated[int, typer.Option(help="Page number, from 1")] = 1,
    page_size: Annotated[int, typer.Option(help="Memories per page")] = 25,
    as_json: AsJson = False,
) -> None:
    """List memories, a page at a time."""
    try:
        with RestClient(url, api_key) as rest:
            data = rest.list_page(_filters(user_id, agent_id, app_id, run_id, filters), page, page_size)
    except RestError as error:
        raise _fail(str(error)) from None
    if as_json:
        _print_json(data)
    else:
        _print(_memory_table(data["results"], f"{data['count']} memories (page {page})"))


def history(
    memory_id: Annotated[str, typer.Argument(help="The memory's id")],
    api_key: ApiKey,
    url: Url = DEFAULT_URL,
    as_json: AsJson = False,
) -> None:
    """A memory's history: every change, oldest first."""
    try:
        with RestClient(url, api_key) as rest:
            entries = rest.history(memory_id)
    except RestError as error:
        raise _fail(str(error)) from None
    if as_json:
        _print_json(entries)
        return
    table = Table(title=f"history of {memory_id}")
    for column in ("event", "old_memory", "new_memory", "created_at"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(entry["event"], entry.get("old_memory") or "", entry.get("new_memory") or "", entry["created_at"])
    _print(table)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console(),
    )


def export(
    path: Annotated[Path, typer.Argument(help="JSONL file to write ('-': stdout)", dir_okay=False)],
    api_key: ApiKey,
    url: Url = DEFAULT_URL,
    user_id: UserId = None,
    agent_id: AgentId = None,
    app_id: AppId = None,
    run_id: RunId = None,
    filters: Filters = None,
) -> None:
    """Export memories as JSONL, one memory per line (re-import with `memgrid import`)."""
    node = _filters(user_id, agent_id, app_id, run_id, filters)
    out = sys.stdout if str(path) == "-" else path.open("w", encoding="utf-8")
    written = 0
    try:
        with RestClient(url, api_key) as rest, _progress() as progress:
            task = progress.add_task("exporting", total=None)
            for total, memories in rest.iter_pages(node):
                progress.update(task, total=total)
                for memory in memories:
                    out.write(export_line(memory) + "\n")
                    written += 1
                progress.advance(task, len(memories))
    except RestError as error:
        raise _fail(str(error)) from None
    finally:
        if out is not sys.stdout:
            out.close()
    _console().print(f"exported {written} memories to {path}", highlight=False)


def import_memories(
    path: Annotated[Path, typer.Argument(help="JSONL file written by `memgrid export`", exists=True, dir_okay=False)],
    api_key: ApiKey,
    url: Url = DEFAULT_URL,
    batch_size: Annotated[int, typer.Option(min=1, max=64, help="Adds in flight at once")] = 8,
) -> None:
    """Import a JSONL export: each line added verbatim (infer=false) with an Idempotency-Key derived from the
    line, so running the same import again adds nothing twice."""
    lines = [(n, line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.strip()]
    failures: list[str] = []
    records: list[tuple[int, dict[str, Any]]] = []
    for number, line in lines:
        try:
            records.append((number, parse_line(line, number)))
        except LineError as error:
            failures.append(str(error))
    added = imported = 0

    def send(rest: RestClient, number: int, record: dict[str, Any]) -> int | str:
        try:
            return len(rest.add(add_body(record), idempotency_key(record))["results"])
        except RestError as error:
            return f"line {number}: {error}"

    with RestClient(url, api_key) as rest, ThreadPoolExecutor(batch_size) as pool, _progress() as progress:
        task = progress.add_task("importing", total=len(records))
        for start in range(0, len(records), batch_size):
            batch = records[start : start + batch_size]
            for outcome in pool.map(lambda item: send(rest, *item), batch):
                if isinstance(outcome, str):
                    failures.append(outcome)
                else:
                    imported += 1
                    added += outcome
            progress.advance(task, len(batch))
    console = _console()
    console.print(
        f"imported {imported} of {len(lines)} lines "
        f"({added} memories written or already there), {len(failures)} failed",
        highlight=False,
    )
    for failure in failures:
        console.print(f"  {failure}", highlight=False, markup=False)
    if failures:
        raise typer.Exit(1)
