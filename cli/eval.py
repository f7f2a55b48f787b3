"""`memgrid eval locomo PATH`: retrieval quality on a LOCOMO-format file (the harness lives in bench/eval)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from libs.logging import configure_logging

app = typer.Typer(help="Retrieval-quality evaluations.", no_args_is_help=True)


@app.command("locomo")
def locomo(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="LOCOMO-format JSON file")],
    name: Annotated[str, typer.Option(help="Result file name in --out (default locomo-<UTC time>)")] = "",
    out: Annotated[Path | None, typer.Option(help="Results directory (default bench/results)")] = None,
    url: Annotated[str | None, typer.Option(help="A running server's REST URL (default: start one)")] = None,
    api_key: Annotated[str | None, typer.Option(help="API key for --url")] = None,
    configs: Annotated[str, typer.Option(help="Search configurations: dense, hybrid, hybrid-rerank")] = "dense,hybrid",
    conversations: Annotated[str, typer.Option(help="Only these sample ids, comma-separated")] = "",
    infer: Annotated[bool, typer.Option(help="Add turns with infer=true (extraction), not verbatim")] = False,
    concurrency: Annotated[int, typer.Option(help="Add calls in flight while ingesting")] = 4,
    progress: Annotated[bool, typer.Option(help="Progress bars")] = True,
) -> None:
    """Ingest each conversation through the REST API, run its questions (categories 1-4) under each search
    configuration and a local BM25 baseline, and write JSON + markdown (any@k, all@k, latency)."""
    from bench.eval.run import RESULTS_DIR, EvalSettings, evaluate  # dev tooling: imported only when used

    configure_logging(service="eval", level="warning")  # the in-process services' logs would drown the bars

    settings = EvalSettings(
        path=path,
        name=name or f"locomo-{datetime.now(UTC):%Y%m%d-%H%M%S}",
        out=out or RESULTS_DIR,
        url=url,
        api_key=api_key,
        configurations=tuple(c.strip() for c in configs.split(",") if c.strip()),
        conversations=tuple(c.strip() for c in conversations.split(",") if c.strip()),
        infer=infer,
        concurrency=concurrency,
        progress=progress,
    )
    report = asyncio.run(evaluate(settings))
    for config, table in report["results"].items():
        overall = table["overall"]
        typer.echo(f"{config:>14}: any@10 {overall['any@10']:.3f}  all@10 {overall['all@10']:.3f}")
    typer.echo(f"wrote {settings.out / settings.name}.json and .md")
