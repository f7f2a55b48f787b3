"""The `memgrid` CLI run as a subprocess against the real stack: the data commands over REST, export → import
into another project, and `memgrid doctor` on a healthy stack and with a service down."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cli.app import app, bench_argv
from services.extraction.server import start_service as start_extraction
from services.extraction.settings import ExtractionSettings
from tests.conftest import Stack

CLI_SECONDS = 120
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


@dataclass(frozen=True, slots=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def _env(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without MEMGRID_* settings (the CLI must only see what a test gives it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMGRID_")}
    env.update(COLUMNS="200", NO_COLOR="1", **(overrides or {}))
    return env


async def memgrid_process(*args: str, env: dict[str, str] | None = None) -> Run:
    """`python -m cli ...` as its own process (what a user runs)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        *args,
        env=env or _env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), CLI_SECONDS)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


async def memgrid(*args: str) -> Run:
    """The data commands (plain httpx, no event loop of their own) through typer's runner, in a thread so the
    in-process stack keeps serving: the same code without a Python start-up per call."""
    hidden = {k: None for k in os.environ if k.startswith("MEMGRID_")}
    env = {**hidden, "COLUMNS": "200", "NO_COLOR": "1"}
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    # The in-process stack logs to the same (captured) stdout meanwhile: keep the CLI's own lines.
    own = "\n".join(line for line in result.stdout.splitlines() if not LOG_LINE.match(line))
    return Run(result.exit_code, own, result.stderr)


def _rest(stack: Stack, key: str | None = None) -> list[str]:
    return ["--url", stack.rest_url, "--api-key", key or stack.key_a]


async def test_add_search_list_history(stack: Stack) -> None:
    user = f"cli-{uuid.uuid4().hex[:8]}"
    added = await memgrid(
        "add", "Noor restores old sailing boats", "--user-id", user, "--no-infer", "--json", *_rest(stack)
    )
    assert added.code == 0, added.stderr
    [change] = added.json()["results"]
    assert change["event"] == "ADD" and change["memory"] == "Noor restores old sailing boats"
    other = await memgrid("add", "Noor drinks green tea", "--user-id", user, "--no-infer", *_rest(stack))
    assert other.code == 0, other.stderr
    assert "Noor drinks green tea" in other.stdout  # the table

    found = await memgrid("search", "wooden boat repair", "--user-id", user, "--json", *_rest(stack))
    assert found.code == 0, found.stderr
    assert found.json()[0]["id"] == change["id"]

    everyone = await memgrid("search", "Noor restores old sailing boats", "--top-k", "50", "--json", *_rest(stack))
    assert everyone.code == 0, everyone.stderr  # no entity given: every entity's memories
    assert change["id"] in [hit["id"] for hit in everyone.json()]

    listed = await memgrid("list", "--user-id", user, "--json", *_rest(stack))
    assert listed.code == 0, listed.stderr
    assert listed.json()["count"] == 2
    assert {m["memory"] for m in listed.json()["results"]} == {
        "Noor restores old sailing boats",
        "Noor drinks green tea",
    }

    history = await memgrid("history", change["id"], "--json", *_rest(stack))
    assert history.code == 0, history.stderr
    assert [(e["event"], e["new_memory"]) for e in history.json()] == [("ADD", "Noor restores old sailing boats")]

    table = await memgrid("history", change["id"], *_rest(stack))
    assert "ADD" in table.stdout and "Noor restores old sailing boats" in table.stdout


async def test_errors_are_reported_with_a_non_zero_exit(stack: Stack) -> None:
    wrong_key = await memgrid("list", "--url", stack.rest_url, "--api-key", "not-a-key")
    assert wrong_key.code == 1 and "HTTP 401" in wrong_key.stderr
    bad_filters = await memgrid("search", "x", "--filters", "[1]", *_rest(stack))
    assert bad_filters.code == 1 and "--filters: must be a JSON object" in bad_filters.stderr
    missing = await memgrid("history", "no-such-memory", *_rest(stack))
    assert missing.code == 1 and "HTTP 404" in missing.stderr
    nobody = await memgrid("list", "--url", "http://127.0.0.1:9", "--api-key", "k")
    assert nobody.code == 1 and "ConnectError" in nobody.stderr


async def test_export_then_import_into_another_project_gives_the_same_memories(stack: Stack, tmp_path: Path) -> None:
    user = f"cli-x-{uuid.uuid4().hex[:8]}"
    texts = ["Ivo speaks Croatian and German", "Ivo's daughter is called Mila", 'Ivo wrote "<b>hi</b>" & left']
    for text in texts:
        run = await memgrid(
            "add",
            text,
            "--user-id",
            user,
            "--no-infer",
            "--metadata",
            '{"src": "cli"}',
            "--category",
            "bio",
            *_rest(stack),
        )
        assert run.code == 0, run.stderr
    source = (await memgrid("list", "--user-id", user, "--json", *_rest(stack))).json()["results"]

    exported = tmp_path / "export.jsonl"
    run = await memgrid("export", str(exported), "--user-id", user, *_rest(stack))
    assert run.code == 0, run.stderr
    lines = exported.read_text().splitlines()
    assert len(lines) == 3 and "exported 3 memories" in run.stderr
    assert {json.loads(line)["memory"] for line in lines} == set(texts)

    into_b = _rest(stack, stack.key_b)
    assert (await memgrid("list", "--user-id", user, "--json", *into_b)).json()["count"] == 0
    first = await memgrid("import", str(exported), *into_b)
    assert first.code == 0, first.stderr
    assert "imported 3 of 3 lines" in first.stderr and "0 failed" in first.stderr
    again = await memgrid("import", str(exported), *into_b)  # same lines, same idempotency keys: nothing new
    assert again.code == 0, again.stderr

    copied = (await memgrid("list", "--user-id", user, "--json", *into_b)).json()
    assert copied["count"] == 3

    def essence(memory: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(memory.get(name) for name in ("memory", "user_id", "metadata", "categories", "created_at", "role"))

    assert sorted(map(essence, copied["results"])) == sorted(map(essence, source))


async def test_import_reports_bad_lines_and_keeps_the_good_ones(stack: Stack, tmp_path: Path) -> None:
    user = f"cli-bad-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"memory": "Lea grows tomatoes", "user_id": user}),
                "{not json",
                json.dumps({"memory": "no owner"}),
                json.dumps({"memory": "Lea has a tandem bike", "user_id": user}),
            ]
        )
        + "\n"
    )
    run = await memgrid("import", str(path), *_rest(stack))
    assert run.code == 1
    assert "imported 2 of 4 lines" in run.stderr and "2 failed" in run.stderr
    assert "line 2: not JSON" in run.stderr and "line 3: one of user_id" in run.stderr
    listed = (await memgrid("list", "--user-id", user, "--json", *_rest(stack))).json()
    assert {m["memory"] for m in listed["results"]} == {"Lea grows tomatoes", "Lea has a tandem bike"}


# --- doctor -------------------------------------------------------------------------------------


def _stack_env(stack: Stack, **overrides: str) -> dict[str, str]:
    grpc_host, grpc_port = stack.grpc_target.rsplit(":", 1)
    return _env(
        {
            "MEMGRID_METADATA_ADDR": stack.metadata_target,
            "MEMGRID_VECTORSEARCH_ADDR": stack.vectorsearch_target,
            "MEMGRID_EXTRACTION_ADDR": stack.extraction_target,
            "MEMGRID_HOST": grpc_host,
            "MEMGRID_GRPC_PORT": grpc_port,
            **overrides,
        }
    )


def _rows(output: str) -> dict[str, str]:
    """check name -> OK/FAIL/SKIP from the doctor's table."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if len(cells) >= 2 and cells[1] in ("OK", "FAIL", "SKIP"):
            rows[cells[0]] = cells[1]
    return rows


CHECKS = ("config", "metadata", "vectorsearch", "extraction", "gateway grpc", "database", "milvus", "gateway rest")


async def test_doctor_is_ok_on_a_healthy_stack(stack: Stack) -> None:
    run = await memgrid_process("doctor", *_rest(stack), env=_stack_env(stack))
    rows = _rows(run.stdout)
    assert run.code == 0, run.stdout + run.stderr
    assert {name: rows.get(name) for name in CHECKS} == dict.fromkeys(CHECKS, "OK")
    assert rows["llm"] == "SKIP"  # no LLM configured: the offline extractor
    assert "acme/app1" in run.stdout


async def test_doctor_fails_with_a_service_down(stack: Stack, tmp_path: Path) -> None:
    # An extraction service that ran and stopped: its address now refuses connections.
    stopped = await start_extraction(ExtractionSettings(data_dir=tmp_path, extraction_port=0))
    await stopped.stop(grace=0.5)
    env = _stack_env(stack, MEMGRID_EXTRACTION_ADDR=f"127.0.0.1:{stopped.port}")
    run = await memgrid_process("doctor", *_rest(stack), env=env)
    rows = _rows(run.stdout)
    assert run.code == 1
    assert rows["extraction"] == "FAIL" and "not SERVING" in run.stdout
    assert rows["metadata"] == rows["milvus"] == rows["gateway rest"] == "OK"


async def test_doctor_fails_on_a_refused_key_an_unreachable_llm_and_bad_config(stack: Stack) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    env = _stack_env(stack, MEMGRID_LLM__BASE_URL=f"http://127.0.0.1:{closed}/v1")
    run = await memgrid_process("doctor", "--url", stack.rest_url, "--api-key", "wrong", env=env)
    rows = _rows(run.stdout)
    assert run.code == 1
    assert rows["gateway rest"] == "FAIL" and rows["llm"] == "FAIL" and rows["metadata"] == "OK"

    bad = await memgrid_process("doctor", *_rest(stack), env=_stack_env(stack, MEMGRID_RPC_TIMEOUT_SECONDS="soon"))
    assert bad.code == 1 and _rows(bad.stdout) == {"config": "FAIL"} and "rpc_timeout_seconds" in bad.stdout


def test_bench_passes_everything_to_the_harness() -> None:
    # (Running it would import the whole benchmark stack, ~10 s: the delegation is what the CLI adds.)
    assert bench_argv(["run", "--quick", "--help"]) == [sys.executable, "-m", "bench", "run", "--quick", "--help"]
