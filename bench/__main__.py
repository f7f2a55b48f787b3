"""`python -m bench run [--memories N] [--users U] [--duration S] [--clients C] [--name NAME] [--quick]
[--mem0-baseline]`;
`python -m bench add-infer [--llm-latency-ms 200] [--runs 20] [--name NAME] [--mem0-baseline]` times
add(infer=True) against a scripted LLM (bench/add_infer.py), with --mem0-baseline beside the mem0 OSS library;
`python -m bench report bench/results/NAME.json` writes NAME.md again from the JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import add_infer
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
    bench.add_argument(
        "--milvus-uri",
        help="a Milvus server (http://host:19530) instead of Milvus Lite; a fresh collection per run "
        "(`make bench-milvus-server` starts one in a private network namespace)",
    )
    bench.add_argument(
        "--mem0-baseline",
        action="store_true",
        help="then the same data and queries through the mem0 OSS library on the same Milvus backend kind "
        "(creates .venv-mem0 on first use)",
    )
    infer = commands.add_parser(
        "add-infer", help="time add(infer=True) end to end against a scripted LLM with a fixed latency"
    )
    infer.add_argument("--llm-latency-ms", type=float, default=200.0, help="latency of every LLM call (default 200)")
    infer.add_argument("--runs", type=int, default=20, help="measured adds per surface and case (default 20)")
    infer.add_argument("--warmup", type=int, default=2, help="unmeasured adds per surface and case first (default 2)")
    infer.add_argument("--slack-ms", type=float, default=100.0, help="allowed overhead beyond the LLM (default 100)")
    infer.add_argument("--name", help="result file name (default add-infer-<UTC time>)")
    infer.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory (default bench/results)")
    infer.add_argument("--data-dir", type=Path, help="data directory (default: a temporary one, removed after)")
    infer.add_argument("--milvus-uri", help="a Milvus server (http://host:19530) instead of Milvus Lite")
    infer.add_argument(
        "--mem0-baseline",
        action="store_true",
        help="also time the same adds through the mem0 OSS library (creates .venv-mem0 on first use)",
    )
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
    settings.milvus_uri = args.milvus_uri
    settings.mem0_baseline = args.mem0_baseline
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
        md_path.write_text(
            add_infer.markdown(result) if result.get("workload") == add_infer.WORKLOAD else markdown(result)
        )
        print(f"bench: wrote {md_path}")
        return
    command = shlex.join(["python", "-m", "bench", *argv])
    if args.command == "add-infer":
        if args.runs < 1 or args.warmup < 0 or args.llm_latency_ms < 0 or args.slack_ms < 0:
            raise SystemExit("bench: --runs must be positive; --warmup, --llm-latency-ms, --slack-ms not negative")
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        infer_settings = add_infer.Settings(
            name=args.name or f"add-infer-{stamp}",
            llm_latency_ms=args.llm_latency_ms,
            runs=args.runs,
            warmup=args.warmup,
            slack_ms=args.slack_ms,
            out_dir=args.out,
            data_dir=args.data_dir,
            mem0_baseline=args.mem0_baseline,
            milvus_uri=args.milvus_uri,
        )
        result = asyncio.run(add_infer.run_add_infer(infer_settings, command))
        baseline = "mem0 OSS baseline measured" if args.mem0_baseline else add_infer.BASELINE_NOTE
        print(f"bench: add-infer {result['verdict']}; {baseline}", flush=True)
        return
    settings = settings_from(args)
    asyncio.run(run(settings, command))


if __name__ == "__main__":
    main()
