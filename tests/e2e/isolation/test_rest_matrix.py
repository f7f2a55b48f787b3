"""Every REST endpoint, called by acme/app1 with acme/app2's and globex/app1's ids, names and filters.

A route the app serves without an entry here fails `test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest

from gateway.limits import InputLimits
from gateway.rest.app import NOT_YET_AVAILABLE, create_app
from tests.e2e.isolation.world import SHARED_USER, World, changed_parts

Case = Callable[[World], Awaitable[str]]
# How often `settled` looks at a queued add's event (every 50 ms) before giving up.
EVENT_POLLS = 1200
# FastAPI's own documentation routes: no authentication, no tenant data.
# The dashboard's static files likewise (tests/e2e/test_dashboard.py): the page calls the routes below itself.
DOCUMENTATION_ROUTES = {
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/dashboard/",
    "/dashboard/{name}/",
}
# The Prometheus scrape endpoint: no authentication (scrapers have no API key) and no tenant data: its labels are
# method names, route templates and status codes only (tests/e2e/test_observability.py checks no key, org,
# project, user id or memory text appears in it).
OPERATIONAL_ROUTES = {"/metrics"}


def expect(response: httpx.Response, *codes: int) -> httpx.Response:
    assert response.status_code in codes, f"{response.request.method} {response.request.url}: {response.text}"
    if response.status_code >= 400:
        assert response.json().get("detail"), response.text
    return response


def or_filter(world: World) -> dict:
    """Own user OR every victim's private user."""
    return {"OR": [{"user_id": SHARED_USER}, *({"user_id": v.project.private_user} for v in world.victims)]}


def victim_paths(world: World) -> list[tuple[str, str]]:
    """(org, project) pairs the attacker must not reach: each victim's, plus the cross of the attacker's
    organisation with a victim's project and a victim's organisation with the attacker's project."""
    pairs = {(v.project.org_id, v.project.project_id) for v in world.victims}
    pairs |= {(world.attacker.org_id, v.project.project_id) for v in world.victims}
    pairs |= {(v.project.org_id, world.attacker.project_id) for v in world.victims}
    pairs.discard((world.attacker.org_id, world.attacker.project_id))
    return sorted(pairs)


def foreign_ids(world: World) -> list[str]:
    return [victim.memory_ids[0] for victim in world.victims]


async def settled(world: World, response: httpx.Response) -> None:
    """Wait until every add the response queued (status PENDING) has run, so its writes are in the snapshot."""
    body = response.json()
    items = body.get("results", [body]) if isinstance(body, dict) else body
    for item in items:
        if item.get("status") != "PENDING":
            continue
        for _ in range(EVENT_POLLS):
            event = expect(await world.rest("GET", f"/v1/event/{item['event_id']}/"), 200).json()
            if event["status"] in ("SUCCEEDED", "FAILED"):
                break
            await asyncio.sleep(0.05)
        assert event["status"] == "SUCCEEDED", event


# --- cases ------------------------------------------------------------------------------------------


async def ping(world: World) -> str:
    body = expect(await world.rest("GET", "/v1/ping/"), 200).json()
    assert (body["org_id"], body["project_id"]) == (world.attacker.org_id, world.attacker.project_id)
    return "own project only"


def add(path: str) -> Case:
    async def case(world: World) -> str:
        inferred = {
            "messages": [{"role": "user", "content": "My name is Alice. I like pizza."}],
            "user_id": SHARED_USER,
        }
        await settled(world, expect(await world.rest("POST", path, json_body=inferred), 200))
        for victim in world.victims:
            verbatim = {
                "messages": [{"role": "user", "content": "alice loves pizza"}],
                "user_id": victim.project.private_user,
                "infer": False,
            }
            await settled(world, expect(await world.rest("POST", path, json_body=verbatim), 200))
            queued = {**verbatim, "async_mode": True}
            await settled(world, expect(await world.rest("POST", path, json_body=queued), 200))
        return "writes own project only (inferred and verbatim, sync and queued, victims' user names)"

    return case


def search(path: str, *, top_level: bool) -> Case:
    async def case(world: World) -> str:
        own = await world.own_memories(1)
        bodies = [{"query": "alice likes pizza", "filters": or_filter(world), "top_k": 100, "threshold": 0}]
        if top_level:
            bodies += [
                {"query": "a private note", "user_id": victim.project.private_user, "threshold": 0}
                for victim in world.victims
            ]
        found = set()
        for body in bodies:
            response = expect(await world.rest("POST", path, json_body=body), 200).json()
            results = response["results"] if isinstance(response, dict) else response
            found |= {item["id"] for item in results}
        assert own[0] in found
        return "OR on victims' users: own hits only"

    return case


async def list_v1(world: World) -> str:
    own = await world.own_memories(1)
    mine = expect(await world.rest("GET", "/v1/memories/", params={"user_id": SHARED_USER}), 200).json()
    assert own[0] in {item["id"] for item in mine}
    for victim in world.victims:
        theirs = await world.rest("GET", "/v1/memories/", params={"user_id": victim.project.private_user})
        assert expect(theirs, 200).json() == []
    return "victims' users: empty"


def list_filtered(path: str) -> Case:
    async def case(world: World) -> str:
        own = await world.own_memories(1)
        response = expect(await world.rest("POST", path, json_body={"filters": or_filter(world)}), 200).json()
        results = response["results"] if isinstance(response, dict) else response
        assert own[0] in {item["id"] for item in results}
        return "OR on victims' users: own memories only"

    return case


def by_foreign_id(method: str, template: str, body: dict | None = None) -> Case:
    async def case(world: World) -> str:
        for memory_id in foreign_ids(world):
            expect(await world.rest(method, template.format(id=memory_id), json_body=body), 404)
        return "foreign id: 404"

    return case


async def delete_all(world: World) -> str:
    await world.own_memories(1)
    filters = json.dumps(or_filter(world))
    deleted = expect(await world.rest("DELETE", "/v1/memories/", params={"filters": filters}), 200).json()
    assert deleted["deleted_count"] >= 1
    for victim in world.victims:
        response = await world.rest("DELETE", "/v1/memories/", params={"user_id": victim.project.private_user})
        assert expect(response, 200).json()["deleted_count"] == 0
    return "OR / victims' users: own rows only"


async def batch_update(world: World) -> str:
    own = await world.own_memories(1)
    before = await world.own_texts(own)
    for foreign in foreign_ids(world):
        body = {"memories": [{"memory_id": own[0], "text": "changed"}, {"memory_id": foreign, "text": "pwned"}]}
        response = expect(await world.rest("PUT", "/v1/batch/", json_body=body), 404)
        assert foreign in response.json()["detail"]
    assert await world.own_texts(own) == before, "a rejected batch must change nothing, own memories included"
    return "mixed ids: 404 naming the foreign id, nothing written"


async def batch_delete(world: World) -> str:
    own = await world.own_memories(1)
    for foreign in foreign_ids(world):
        body = {"memories": [{"memory_id": own[0]}, {"memory_id": foreign}]}
        response = expect(await world.rest("DELETE", "/v1/batch/", json_body=body), 404)
        assert foreign in response.json()["detail"]
    assert set(await world.own_texts(own)) == set(own), "a rejected batch must delete nothing"
    return "mixed ids: 404 naming the foreign id, nothing deleted"


async def entities(world: World) -> str:
    await world.own_memories(1)
    body = expect(await world.rest("GET", "/v1/entities/", params={"page_size": 100}), 200).json()
    names = {item["name"] for item in body["results"]}
    assert SHARED_USER in names
    return "own entities only"


def delete_entity(version: str) -> Case:
    async def case(world: World) -> str:
        for victim in world.victims:
            expect(await world.rest("DELETE", f"/{version}/entities/user/{victim.project.hidden_user}/"), 404)
        await world.own_memories(1)
        deleted = expect(await world.rest("DELETE", f"/{version}/entities/user/{SHARED_USER}/"), 200).json()
        assert deleted["deleted_count"] >= 1
        return "victims' user: 404; shared name: own memories only"

    return case


def create_entity(kind: str) -> Case:
    async def case(world: World) -> str:
        names = ["shared-app" if kind == "app" else "run-1" if kind == "run" else SHARED_USER]
        names += [victim.project.private_user for victim in world.victims]
        for name in names:
            body = {f"{kind}_id": name, "metadata": {"pwned": True}}
            expect(await world.rest("POST", f"/v1/{kind}s/", json_body=body), 200)
        return "victims' entity names: own entities only"

    return case


def project(method: str) -> Case:
    async def case(world: World) -> str:
        body = {"custom_instructions": "pwned"} if method == "PATCH" else None
        for org_id, project_id in victim_paths(world):
            path = f"/api/v1/orgs/organizations/{org_id}/projects/{project_id}/"
            expect(await world.rest(method, path, json_body=body), 404)
        own = f"/api/v1/orgs/organizations/{world.attacker.org_id}/projects/{world.attacker.project_id}/"
        expect(await world.rest(method, own, json_body=body), 200)
        return "victims' projects: 404"

    return case


async def feedback(world: World) -> str:
    for memory_id in foreign_ids(world):
        body = {"memory_id": memory_id, "feedback": "NEGATIVE"}
        expect(await world.rest("POST", "/v1/feedback/", json_body=body), 404)
    return "foreign id: 404"


async def get_event(world: World) -> str:
    for victim in world.victims:
        expect(await world.rest("GET", f"/v1/event/{victim.event_ids[0]}/"), 404)
    return "foreign id: 404"


async def list_events(world: World) -> str:
    await world.own_memories(1)
    body = expect(await world.rest("GET", "/v1/events/", params={"page_size": 100}), 200).json()
    assert body["count"] >= 1
    return "own events only"


async def create_export(world: World) -> str:
    own = await world.own_memories(1)
    body = {"schema": '{"properties": {"memory": {}, "user_id": {}}}', "filters": or_filter(world)}
    export_id = expect(await world.rest("POST", "/v1/exports/", json_body=body), 201).json()["id"]
    got = expect(await world.rest("POST", "/v1/exports/get/", json_body={"memory_export_id": export_id}), 200)
    assert own[0] in {item["id"] for item in got.json()["memories"]}
    return "OR on victims' users: own memories only"


async def get_export(world: World) -> str:
    own = await world.own_memories(1)
    for victim in world.victims:
        # The victim's own export (exports are not part of its snapshot).
        theirs = {"schema": "", "filters": {"user_id": victim.project.private_user}}
        export = await world.rest("POST", "/v1/exports/", json_body=theirs, key=victim.project.key)
        export_id = expect(export, 201).json()["id"]
        expect(await world.rest("POST", "/v1/exports/get/", json_body={"memory_export_id": export_id}), 404)
    got = expect(await world.rest("POST", "/v1/exports/get/", json_body={"filters": or_filter(world)}), 200)
    assert own[0] in {item["id"] for item in got.json()["memories"]}
    return "victims' export ids: 404; OR on victims' users: own memories only"


async def summary(world: World) -> str:
    await world.own_memories(1)
    body = expect(await world.rest("POST", "/v1/summary/", json_body={"filters": or_filter(world)}), 200).json()
    assert SHARED_USER in {item["entity_id"] for item in body}
    return "OR on victims' users: own entities only"


async def stats(world: World) -> str:
    await world.own_memories(1)
    body = expect(await world.rest("GET", "/v1/stats/"), 200).json()
    own = expect(await world.rest("GET", "/v1/memories/", params={"page": 1, "page_size": 1}), 200).json()
    assert body["total_memories"] == own["count"]
    return "own counts only"


MEMBERS = "/api/v1/orgs/organizations/{org_id}/projects/{project_id}/members/"


def members(method: str) -> Case:
    """Victims' member lists are unreachable by path, and a victim's member is unknown in the own project."""

    async def case(world: World) -> str:
        own = MEMBERS.format(org_id=world.attacker.org_id, project_id=world.attacker.project_id)
        for victim in world.victims:
            email = victim.project.member_email
            body = {"email": email, "role": "OWNER"} if method in ("POST", "PUT") else None
            params = {"email": email} if method == "DELETE" else None
            for org_id, project_id in victim_paths(world):
                path = MEMBERS.format(org_id=org_id, project_id=project_id)
                expect(await world.rest(method, path, json_body=body, params=params), 404)
            if method in ("PUT", "DELETE"):
                expect(await world.rest(method, own, json_body=body, params=params), 404)
        if method == "GET":
            expect(await world.rest("GET", own), 200)
        if method == "POST":
            email = f"attacker-{uuid.uuid4().hex[:8]}@example.com"
            expect(await world.rest("POST", own, json_body={"email": email, "role": "OWNER"}), 200)
        return "victims' projects: 404; victims' members unknown in own project"

    return case


WEBHOOKS = "/api/v1/webhooks/projects/{project_id}/"
WEBHOOK = "/api/v1/webhooks/{webhook_id}/"
WEBHOOK_DELIVERIES = "/api/v1/webhooks/{webhook_id}/deliveries/"


def project_webhooks(method: str) -> Case:
    """A victim's project id in the path: 404, unless it is also the attacker's own id (globex/app1 and
    acme/app1 share `app1`), where the attacker gets (or adds to) its own webhooks only."""

    async def case(world: World) -> str:
        body = {"name": "pwned", "url": "http://127.0.0.1:9/pwned", "event_types": ["memory_add", "memory_delete"]}
        for victim in world.victims:
            own = victim.project.project_id == world.attacker.project_id
            response = await world.rest(
                method,
                WEBHOOKS.format(project_id=victim.project.project_id),
                json_body=body if method == "POST" else None,
            )
            expect(response, (201 if method == "POST" else 200) if own else 404)
            if own and method == "GET":
                assert victim.webhook_ids[0] not in {hook["webhook_id"] for hook in response.json()}
        return "victims' project ids: 404 (a shared project id: own webhooks only)"

    return case


def foreign_webhook(method: str, template: str) -> Case:
    async def case(world: World) -> str:
        body = {"url": "http://127.0.0.1:9/pwned", "event_types": ["memory_add"], "is_active": False}
        for victim in world.victims:
            path = template.format(webhook_id=victim.webhook_ids[0])
            expect(await world.rest(method, path, json_body=body if method == "PUT" else None), 404)
        return "foreign webhook id: 404"

    return case


def not_yet(method: str, template: str) -> Case:
    """Endpoints memgrid does not serve yet: with a victim's identifiers they answer an error, never data."""

    async def case(world: World) -> str:
        for victim in world.victims:
            values = {
                "org_id": victim.project.org_id,
                "project_id": victim.project.project_id,
                "entity_type": "user",
                "entity_id": victim.project.private_user,
                "job_id": victim.event_ids[0],
                "webhook_id": victim.memory_ids[0],
            }
            path = template.format(**values)
            body = {"filters": {"user_id": victim.project.private_user}, "memory_ids": victim.memory_ids}
            expect(await world.rest(method, path, json_body=body if method != "GET" else None), 404, 501)
        return "victims' identifiers: 404/501"

    return case


REST_MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/v1/ping/"): ping,
    ("POST", "/v1/memories/"): add("/v1/memories/"),
    ("POST", "/v3/memories/add/"): add("/v3/memories/add/"),
    ("POST", "/v1/memories/search/"): search("/v1/memories/search/", top_level=True),
    ("POST", "/v2/memories/search/"): search("/v2/memories/search/", top_level=True),
    ("POST", "/v3/memories/search/"): search("/v3/memories/search/", top_level=False),
    ("GET", "/v1/memories/"): list_v1,
    ("POST", "/v2/memories/"): list_filtered("/v2/memories/"),
    ("POST", "/v3/memories/"): list_filtered("/v3/memories/"),
    ("GET", "/v1/memories/{memory_id}/"): by_foreign_id("GET", "/v1/memories/{id}/"),
    ("PUT", "/v1/memories/{memory_id}/"): by_foreign_id("PUT", "/v1/memories/{id}/", {"text": "pwned"}),
    ("DELETE", "/v1/memories/{memory_id}/"): by_foreign_id("DELETE", "/v1/memories/{id}/"),
    ("GET", "/v1/memories/{memory_id}/history/"): by_foreign_id("GET", "/v1/memories/{id}/history/"),
    ("DELETE", "/v1/memories/"): delete_all,
    ("PUT", "/v1/batch/"): batch_update,
    ("DELETE", "/v1/batch/"): batch_delete,
    ("GET", "/v1/entities/"): entities,
    ("DELETE", "/v2/entities/{entity_type}/{entity_id}/"): delete_entity("v2"),
    ("DELETE", "/v1/entities/{entity_type}/{entity_id}/"): delete_entity("v1"),
    **{("POST", f"/v1/{kind}s/"): create_entity(kind) for kind in ("user", "agent", "app", "run")},
    ("GET", "/api/v1/orgs/organizations/{org_id}/projects/{project_id}/"): project("GET"),
    ("PATCH", "/api/v1/orgs/organizations/{org_id}/projects/{project_id}/"): project("PATCH"),
    ("POST", "/v1/feedback/"): feedback,
    ("GET", "/v1/event/{event_id}/"): get_event,
    ("GET", "/v1/events/"): list_events,
    ("POST", "/v1/exports/"): create_export,
    ("POST", "/v1/exports/get/"): get_export,
    ("POST", "/v1/summary/"): summary,
    ("GET", "/v1/stats/"): stats,
    **{("GET", MEMBERS): members("GET"), ("POST", MEMBERS): members("POST")},
    **{("PUT", MEMBERS): members("PUT"), ("DELETE", MEMBERS): members("DELETE")},
    ("GET", WEBHOOKS): project_webhooks("GET"),
    ("POST", WEBHOOKS): project_webhooks("POST"),
    ("PUT", WEBHOOK): foreign_webhook("PUT", WEBHOOK),
    ("DELETE", WEBHOOK): foreign_webhook("DELETE", WEBHOOK),
    ("GET", WEBHOOK_DELIVERIES): foreign_webhook("GET", WEBHOOK_DELIVERIES),
    **{(method, path): not_yet(method, path) for method, path, _ in NOT_YET_AVAILABLE},
}


def served_routes() -> set[tuple[str, str]]:
    app = create_app(None, None, InputLimits(), request_timeout_seconds=1)  # type: ignore[arg-type]  # routes only
    return {
        (method, route.path)
        for route in app.routes
        if route.path not in DOCUMENTATION_ROUTES | OPERATIONAL_ROUTES
        for method in getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}
    }


def test_every_route_is_in_the_matrix() -> None:
    served = served_routes()
    assert served - REST_MATRIX.keys() == set(), "routes without an isolation case"
    assert REST_MATRIX.keys() - served == set(), "isolation cases for routes that no longer exist"


@pytest.mark.parametrize(("method", "path"), sorted(REST_MATRIX), ids=[f"{m} {p}" for m, p in sorted(REST_MATRIX)])
async def test_rest_endpoint(method: str, path: str, run_case) -> None:
    await run_case("REST", f"{method} {path}", REST_MATRIX[(method, path)])


async def test_the_matrix_sees_a_read_and_a_write(world: World) -> None:
    """The instruments work: a victim reading and changing its own data, seen through the attacker's
    ledger, shows up as reads and writes."""
    victim = world.victims[0]
    before = await world.snapshot(victim)
    world.leaks.clear()
    own_view = await world.rest("GET", "/v1/memories/", params={"user_id": SHARED_USER}, key=victim.project.key)
    assert expect(own_view, 200).json()
    assert world.leaks, "a victim's memories in a response must count as a read"
    world.leaks.clear()
    body = {"metadata": {"touched": True}}
    expect(
        await world.rest("PUT", f"/v1/memories/{victim.memory_ids[1]}/", json_body=body, key=victim.project.key), 200
    )
    assert {"memories", f"history {victim.memory_ids[1]}"} <= set(changed_parts(before, await world.snapshot(victim)))
    # Webhooks and their deliveries are in the snapshot too.
    before = await world.snapshot(victim)
    world.leaks.clear()
    hook = await world.rest("GET", f"/api/v1/webhooks/projects/{victim.project.project_id}/", key=victim.project.key)
    assert world.leaks, "a victim's webhook in a response must count as a read"
    webhook_id = expect(hook, 200).json()[0]["webhook_id"]
    body = {"name": f"{victim.project.marker} renamed"}
    expect(await world.rest("PUT", f"/api/v1/webhooks/{webhook_id}/", json_body=body, key=victim.project.key), 200)
    add = {"messages": [{"role": "user", "content": "victim note"}], "user_id": "victim-x", "infer": False}
    expect(await world.rest("POST", "/v3/memories/add/", json_body=add, key=victim.project.key), 200)
    assert {"webhooks", "webhook deliveries"} <= set(changed_parts(before, await world.snapshot(victim)))
