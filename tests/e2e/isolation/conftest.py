"""The isolation matrix's stack, victims and per-endpoint ledger (printed at the end of the run)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import grpc
import httpx
import pytest

from tests.e2e.isolation.world import SHARED_AGENT, SHARED_USER, Project, Victim, World, changed_parts
from tests.support.stack import start_stack

ATTACKER = Project("acme", "app1", "iso-key-acme-app1")
VICTIMS = (Project("acme", "app2", "iso-key-acme-app2"), Project("globex", "app1", "iso-key-globex-app1"))
API_KEYS = ",".join(f"{p.key}={p.org_id}/{p.project_id}" for p in (ATTACKER, *VICTIMS))


@dataclass(frozen=True, slots=True)
class LedgerRow:
    surface: str
    endpoint: str
    outcome: str
    cross_reads: int
    cross_writes: int


LEDGER = pytest.StashKey[list[LedgerRow]]()


async def _seed(http: httpx.AsyncClient, project: Project) -> str:
    """A victim with memories under a shared user and agent name and a private user, history, an entity with
    metadata, feedback, events, project settings and a webhook with a delivery; returns the webhook's secret."""
    auth = {"Authorization": f"Token {project.key}"}
    marker = project.marker

    async def ok(method: str, path: str, body: object) -> dict:
        response = await http.request(method, path, json=body, headers=auth)
        assert response.status_code == 200, response.text
        return response.json()

    verbatim = [
        ({"user_id": SHARED_USER}, f"{marker} alice likes pizza"),
        ({"user_id": SHARED_USER, "run_id": "run-1"}, f"{marker} alice run memory"),
        ({"agent_id": SHARED_AGENT}, f"{marker} agent memory"),
        ({"user_id": project.private_user}, f"{marker} a private note"),
        ({"user_id": project.hidden_user}, f"{marker} a hidden note"),
        ({"app_id": "shared-app"}, f"{marker} app memory"),
    ]
    ids = []
    for scope, text in verbatim:
        added = await ok(
            "POST",
            "/v3/memories/add/",
            {
                "messages": [{"role": "user", "content": text}],
                **scope,
                "infer": False,
                "async_mode": False,
                "metadata": {"owner": marker},
            },
        )
        ids.append(added["results"][0]["id"])
    await ok(
        "POST",
        "/v3/memories/add/",
        {
            "messages": [{"role": "user", "content": f"I love sushi. {marker}"}],
            "user_id": SHARED_USER,
            "async_mode": False,
        },
    )
    await ok("PUT", f"/v1/memories/{ids[0]}/", {"text": f"{marker} alice loves pizza"})
    await ok("POST", "/v1/users/", {"user_id": SHARED_USER, "metadata": {"owner": marker}})
    await ok("POST", "/v1/feedback/", {"memory_id": ids[1], "feedback": "POSITIVE"})
    project_path = f"/api/v1/orgs/organizations/{project.org_id}/projects/{project.project_id}/"
    await ok("PATCH", project_path, {"custom_instructions": f"{marker} instructions"})
    await ok("POST", f"{project_path}members/", {"email": project.member_email, "role": "READER"})
    # A webhook (its URL carries the marker; nothing listens there, so its deliveries fail and are retried),
    # created after the memories were written; one more memory gives it a delivery.
    hook = {"name": f"{marker} hook", "url": f"http://127.0.0.1:9/{marker}", "event_types": ["memory_add"]}
    created = await http.post(f"/api/v1/webhooks/projects/{project.project_id}/", json=hook, headers=auth)
    assert created.status_code == 201, created.text
    await ok(
        "POST",
        "/v3/memories/add/",
        {"messages": [{"role": "user", "content": f"{marker} webhook memory"}], "user_id": SHARED_USER, "infer": False},
    )
    return created.json()["secret"]


@pytest.fixture(scope="package")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    # Writes made straight to the metadata service (the internal matrix) leave vector syncs for the reconciler:
    # a short interval lets a project settle (World.settled_snapshot) in seconds, not a minute.
    running = await start_stack(tmp_path_factory.mktemp("isolation"), API_KEYS, vector_sync_seconds=0.5)
    try:
        async with (
            httpx.AsyncClient(base_url=running.rest_url, timeout=60) as http,
            grpc.aio.insecure_channel(running.grpc_target) as public,
            grpc.aio.insecure_channel(running.metadata_target) as metadata,
            grpc.aio.insecure_channel(running.vectorsearch_target) as vectors,
        ):
            webhook_secrets = [await _seed(http, project) for project in VICTIMS]
            victims = [Victim(project) for project in VICTIMS]
            built = World(http, public, metadata, vectors, ATTACKER, victims)
            for victim, webhook_secret in zip(victims, webhook_secrets, strict=True):
                await built.learn_secrets(victim)
                victim.secrets.add(webhook_secret)
            yield built
    finally:
        await running.stop()


Case = Callable[[World], Awaitable[str]]


@pytest.fixture
def run_case(world: World, request: pytest.FixtureRequest) -> Callable[[str, str, Case], Awaitable[None]]:
    """Run one matrix case: snapshot every victim, run it, snapshot again; fail on any leak or change, and
    write the endpoint's row in the ledger either way."""

    async def run(surface: str, endpoint: str, case: Case) -> None:
        before = [await world.snapshot(victim) for victim in world.victims]
        world.leaks.clear()
        outcome = "error"
        try:
            outcome = await case(world)
        finally:
            after = [await world.snapshot(victim) for victim in world.victims]
            changed = {
                victim.project.tag: changed_parts(old, new)
                for victim, old, new in zip(world.victims, before, after, strict=True)
            }
            writes = sum(len(parts) for parts in changed.values())
            leaks = list(world.leaks)
            request.config.stash.setdefault(LEDGER, []).append(
                LedgerRow(surface, endpoint, outcome, len(leaks), writes)
            )
        assert not leaks, f"cross-tenant reads: {leaks}"
        assert writes == 0, f"cross-tenant writes: {changed}"

    return run


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    rows = config.stash.get(LEDGER, [])
    if not rows:
        return
    terminalreporter.section("tenant isolation matrix")
    width = max(len(row.endpoint) for row in rows)
    terminalreporter.write_line(f"{'surface':7}  {'endpoint':{width}}  cross-reads  cross-writes  outcome")
    for row in sorted(rows, key=lambda r: (r.surface, r.endpoint)):
        terminalreporter.write_line(
            f"{row.surface:7}  {row.endpoint:{width}}  {row.cross_reads:11}  {row.cross_writes:12}  {row.outcome}"
        )
    reads = sum(row.cross_reads for row in rows)
    writes = sum(row.cross_writes for row in rows)
    terminalreporter.write_line(
        f"{len(rows)} endpoints checked against {len(VICTIMS)} other tenants: "
        f"{reads} cross-tenant reads, {writes} cross-tenant writes"
    )
