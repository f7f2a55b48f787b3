"""`python -m bench run [--memories N] [--users U] [--duration S] [--clients C] [--name NAME] [--quick]`;
`python -m bench report bench/results/NAME.json` writes NAME.md again from the JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.report import markdown
from bench.run import RESULTS_DIR, Settings, run


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="memgrid benchmark harness")
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser("run", help="start the stack in-process, load data, measure, write results")
    bench.add_argument("--memories", type=int, help="memories to load (default 10000; quick 500)")
    bench.add_argument("--users", type=int, help="users they are spread over (default 1000; quick 50)")
    bench.add_argument("--duration", type=float, help="seconds of concurrent load per surface (default 60; quick 5)")
    bench.add_argument("--clients", type=int, help="concurrent load clients (default 50; quick 5)")
    bench.add_argument("--search-queries", type=int, help="sequential queries per surface and filter (default 200)")
    bench.add_argument("--ingest-concurrency", type=int, help="add calls in flight while loading (default 4)")
    bench.add_argument("--name", help="result file name (default run-<UTC time>, quick-<UTC time> with --quick)")
    bench.add_argument("--quick", action="store_true", help="small, fast run: 500 memories, 50 users, 5 s x 5 clients")
    bench.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory (default bench/results)")
    bench.add_argument("--data-dir", type=Path, help="data directory (default: a temporary one, removed after)")
    bench.add_argument("--no-progress", action="store_true", help="no progress bars")
    rerender = commands.add_parser("report", help="write the markdown table of an existing result JSON again")
    rerender.add_argument("json_path", type=Path, help="bench/results/<name>.json")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = args.name or f"{'quick' if args.quick else 'run'}-{stamp}"
    settings = Settings.quick_defaults(name) if args.quick else Settings(name=name)
    for attribute, value in (
        ("memories", args.memories),
        ("users", args.users),
        ("duration_s", args.duration),
        ("clients", args.clients),
        ("search_queries", args.search_queries),
        ("ingest_concurrency", args.ingest_concurrency),
    ):
        if value is not None:
            setattr(settings, attribute, value)
    settings.out_dir = args.out
    settings.data_dir = args.data_dir
    settings.progress = not args.no_progress
    if settings.users < 1 or settings.memories < 4 * settings.users // 2 or settings.memories < 8:
        raise SystemExit("bench: need at least 2 memories per user (and 8 in all)")
    if settings.clients < 1 or settings.duration_s <= 0 or settings.search_queries < 1:
        raise SystemExit("bench: --clients, --duration and --search-queries must be positive")
    return settings


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.command == "report":
        result = json.loads(args.json_path.read_text())
        md_path = args.json_path.with_suffix(".md")
        md_path.write_text(markdown(result))
        print(f"bench: wrote {md_path}")
        return
    settings = settings_from(args)
    asyncio.run(run(settings, shlex.join(["python", "-m", "bench", *argv])))


if __name__ == "__main__":
    main()
