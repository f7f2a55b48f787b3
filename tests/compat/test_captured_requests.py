"""Replay every request the real Mem0 clients sent (captured in ../shared/data/mem0-captured-requests.json).

Sections: mem0ai 2.2.1 (sync + async Python), the legacy Python clients 0.1.118 / 1.0.11 (v1/v2 paths,
org_id/project_id injected everywhere), and npm mem0ai 3.3.1. Each SDK call is one test; its requests are
sent byte for byte (same method, raw target incl. `//` and percent-encoding, body, client headers), with:

- the stack's own API key instead of the captured `Authorization`,
- the captured org/project (`org_local`/`proj_local`) replaced by the key's tenant,
- the captured memory ids (`3c90c3cc-…`, `m2`) replaced by ids of memories this test created first.

Every reply must be JSON (the SDKs call `response.json()`), never 5xx, and of the expected status class:
2xx for every valid request, except the documented cases in `expectation()`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from tests.compat.conftest import CAPTURED_REQUESTS, CompatTenant, TenantFactory

CAPTURED_MEMORY_ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
CAPTURED_SECOND_ID = "m2"
CAPTURED_ORG = "org_local"
CAPTURED_PROJECT = "proj_local"
# Headers that belong to the captured connection, not to the client.
_DROPPED_HEADERS = {"host", "content-length", "connection", "authorization", "accept-encoding"}

# Endpoints in the wire contract but outside the explicit scope list (exports, summary, profiles,
# webhooks, project create/delete). They must still never 5xx and answer JSON; a server
# that does not offer them must say so with 501 + {"detail"} (not a route-less 404 that reads as
# "memory not found" to the SDKs). Tighten to 2xx once implemented.
_OPTIONAL_FEATURES = (
    re.compile(r"^/v1/exports/"),
    re.compile(r"^/v1/summary/$"),
    re.compile(r"^/v2/profiles/"),
    re.compile(r"^/v2/entities/user/[^/]+/profile/$"),
    re.compile(r"^/api/v1/webhooks/"),
)
_MEMBERS = re.compile(r"^/api/v1/orgs/organizations/[^/]+/projects/[^/]+/members/$")
_PROJECTS_COLLECTION = re.compile(r"^/api/v1/orgs/organizations/[^/]+/projects/$")
_PROJECT = re.compile(r"^/api/v1/orgs/organizations/[^/]+/projects/[^/]+/$")


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    section: str
    call: str
    requests: list[dict[str, Any]]


_2XX = frozenset(range(200, 300))


@dataclass(frozen=True, slots=True)
class Expect:
    statuses: frozenset[int]
    why: str

    def allows(self, status: int) -> bool:
        return status in self.statuses

    @property
    def label(self) -> str:
        rest = sorted(self.statuses - _2XX)
        parts = (["2xx"] if _2XX <= self.statuses else []) + [str(s) for s in rest]
        return " or ".join(parts)


SUCCESS = Expect(_2XX, "a valid request")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _load_cases(path: Path) -> list[Case]:
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    cases: list[Case] = []

    def add(section: str, index: int, call: str, requests: list[dict[str, Any]]) -> None:
        if requests:  # calls the SDK rejected client-side sent nothing
            cases.append(Case(f"{section}-{index:02d}-{_slug(call)}", section, call, requests))

    for index, entry in enumerate(data["calls"]):
        add("py221", index, entry["call"], entry["requests"])
    for name, client in data["legacy_python_clients"].items():
        if not name.startswith("mem0ai_"):
            continue
        version = name.removeprefix("mem0ai_").replace(".", "")
        for index, entry in enumerate(client["calls"]):
            add(f"py{version}", index, entry["call"], entry["requests"])
    npm = data["npm_mem0ai_3.3.1"]
    # One request per call, in call order (the first is the init ping).
    for index, (result, request) in enumerate(zip(npm["sdk_results"], npm["requests"], strict=True)):
        add("npm331", index, result["call"], [request])
    return cases


CASES = _load_cases(CAPTURED_REQUESTS)
if not CASES:
    pytest.skip(f"{CAPTURED_REQUESTS} is not present", allow_module_level=True)


def _path_of(request: dict[str, Any]) -> str:
    return request["request_line"].split(" ")[1].split("?")[0]


def expectation(case: Case, request: dict[str, Any]) -> Expect:
    """The status class a correct server answers with, and why."""
    method, path = request["method"], _path_of(request)
    if path.startswith(("/prefix/", "/nothing-here/")):
        return Expect(frozenset({404}), "no such route: the client was pointed at a wrong host prefix")
    if path == "/v1/memories/id%2Fwith%20space/":
        return Expect(frozenset({404}), "unknown memory id (must be a JSON 404, which the SDK maps)")
    if case.call.startswith("delete_all()"):
        return Expect(frozenset({400}), "delete_all needs at least one filter; reset() deletes everything")
    if path == "/api/v1/webhooks/1/" or path == "/v2/profiles/jobs/abc/":
        return Expect(_2XX | {404, 501}, "unknown webhook/job id, optional feature")
    if any(p.match(path) for p in _OPTIONAL_FEATURES) or (
        _PROJECTS_COLLECTION.match(path) or (_PROJECT.match(path) and method == "DELETE")
    ):
        return Expect(_2XX | {501}, "optional feature: 2xx, or 501 when not offered")
    return SUCCESS


def _needs_memories(case: Case) -> bool:
    return any(
        CAPTURED_MEMORY_ID in request["request_line"] or CAPTURED_MEMORY_ID in (request["body_raw"] or "")
        for request in case.requests
    )


def _deletes_entities(case: Case) -> bool:
    return any(request["method"] == "DELETE" and "/entities/" in request["request_line"] for request in case.requests)


async def _add(http: httpx.AsyncClient, texts: list[str], **scope: Any) -> list[str]:
    body = {"messages": [{"role": "user", "content": t} for t in texts], "infer": False, "async_mode": False, **scope}
    response = await http.post("/v3/memories/add/", json=body)
    assert response.status_code == 200, f"seeding failed: {response.status_code} {response.text}"
    return [r["id"] for r in response.json()["results"]]


async def _seed(http: httpx.AsyncClient, case: Case) -> dict[str, str]:
    """Create what the captured call refers to; return the id substitutions."""
    ids: dict[str, str] = {}
    if _needs_memories(case):
        first, second = await _add(
            http, ["User likes tennis", "Lives in Lisbon"], user_id="alice", metadata={"food": "vegan"}
        )
        ids = {CAPTURED_MEMORY_ID: first, CAPTURED_SECOND_ID: second}
    for request in case.requests:
        await _prepare_member(http, request)
    if _deletes_entities(case):
        await _add(http, ["Enjoys climbing"], user_id="alice")
        await _add(http, ["Is a helpful bot"], agent_id="bot")
        await _add(http, ["Session note"], user_id="alice", run_id="run 1/x")
    return ids


async def _prepare_member(http: httpx.AsyncClient, request: dict[str, Any]) -> None:
    """Members calls replay one at a time: the member a call changes or removes exists, the one it adds does
    not (the replay tenant is shared by the module)."""
    if not _MEMBERS.match(_path_of(request)) or request["method"] == "GET":
        return
    ping = (await http.get("/v1/ping/")).json()
    path = f"/api/v1/orgs/organizations/{ping['org_id']}/projects/{ping['project_id']}/members/"
    email = (request["json"] or {}).get("email") or parse_qs(request["request_line"].split(" ")[1].partition("?")[2])[
        "email"
    ][0]
    if request["method"] == "POST":
        response = await http.delete(path, params={"email": email})
        assert response.status_code in (200, 404), response.text
    else:
        response = await http.post(path, json={"email": email, "role": "READER"})
        assert response.status_code in (200, 409), response.text


def _substitute(text: str, tenant: CompatTenant, ids: dict[str, str], *, quoted_second_id: bool) -> str:
    text = text.replace(CAPTURED_ORG, tenant.org_id).replace(CAPTURED_PROJECT, tenant.project_id)
    for captured_id, real_id in ids.items():
        if captured_id == CAPTURED_SECOND_ID:
            if quoted_second_id:
                text = text.replace(f'"{captured_id}"', f'"{real_id}"')
        else:
            text = text.replace(captured_id, real_id)
    return text


def _check_shape(request: dict[str, Any], tenant: CompatTenant, body: Any) -> str | None:
    """What the SDKs read from the reply (only checked on 2xx)."""
    method, path = request["method"], _path_of(request).replace("//", "/")
    sent = request["json"] or {}
    if path == "/v1/ping/":
        if body.get("status") != "ok" or body.get("org_id") != tenant.org_id:
            return f"ping must be {{status: ok, org_id: {tenant.org_id}, project_id: ...}}"
        if body.get("project_id") != tenant.project_id:
            return f"ping project_id must be {tenant.project_id}"
    elif path == "/v1/entities/" and method == "GET":
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list) or not all({"type", "name"} <= set(r) for r in results):
            return "entities must be {results: [{type, name, ...}]} (delete_users()/reset() iterate it)"
    elif path.endswith("/history/"):
        if not isinstance(body, list):
            return "history must be a JSON array"
    elif path == "/v3/memories/search/" or (path == "/v2/memories/search/" and sent.get("output_format") == "v1.1"):
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            return "search must be {results: [...]}"
    elif path == "/v2/memories/search/" or (path == "/v2/memories/" and method == "POST"):
        if not isinstance(body, list):
            return "v2 search / v2 get_all must be a bare list"
    elif path == "/v3/memories/" and method == "POST":
        if not isinstance(body, dict) or not {"count", "next", "previous", "results"} <= set(body):
            return "v3 get_all must be {count, next, previous, results}"
    elif path == "/v3/memories/add/":
        if not isinstance(body, dict) or "event_id" not in body or "status" not in body:
            return "v3 add must be {status, event_id, ...}"
    elif path == "/v1/memories/" and method == "POST" and sent.get("output_format") == "v1.1":
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            return "v1 add with output_format v1.1 must be {results: [...]}"
    elif method == "DELETE" and not (isinstance(body, dict) and body.get("message")):
        return "a delete must answer {message: ...}"
    return None


async def _replay(http: httpx.AsyncClient, tenant: CompatTenant, case: Case, ids: dict[str, str]) -> list[str]:
    problems: list[str] = []
    for request in case.requests:
        target = _substitute(request["request_line"].split(" ")[1], tenant, ids, quoted_second_id=False)
        raw_body = request["body_raw"]
        content = _substitute(raw_body, tenant, ids, quoted_second_id=True).encode() if raw_body else None
        headers = {k: v for k, v in request["headers"].items() if k.lower() not in _DROPPED_HEADERS}
        headers["Authorization"] = f"Token {tenant.api_key}"
        response = await http.request(request["method"], f"{tenant.rest_url}{target}", content=content, headers=headers)
        expect = expectation(case, request)
        where = f"{request['method']} {target}" + (f" body={content.decode()[:400]}" if content else "")
        got = f"-> {response.status_code} {response.text[:400]}"
        if response.status_code >= 500 and response.status_code not in expect.statuses:
            problems.append(f"{where} {got} (5xx; expected {expect.label}: {expect.why})")
            continue
        if not response.headers.get("content-type", "").startswith("application/json"):
            problems.append(f"{where} {got} (not JSON: content-type {response.headers.get('content-type')!r})")
            continue
        try:
            body = response.json()
        except ValueError:
            problems.append(f"{where} {got} (body is not valid JSON)")
            continue
        if not expect.allows(response.status_code):
            problems.append(f"{where} {got} (expected {expect.label}: {expect.why})")
            continue
        if response.status_code < 300 and (shape := _check_shape(request, tenant, body)):
            problems.append(f"{where} {got} ({shape})")
        if response.status_code >= 400 and not (isinstance(body, dict) and body.get("detail")):
            problems.append(f"{where} {got} (errors must carry a JSON 'detail' the SDKs show)")
    return problems


@pytest.fixture(scope="module")
async def replay_tenant(make_tenant: TenantFactory) -> CompatTenant:
    return await make_tenant("replay")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_captured_call_replays(case: Case, replay_tenant: CompatTenant, make_tenant: TenantFactory) -> None:
    destructive = any(
        r["method"] == "DELETE" and _PROJECT.match(_path_of(r)) and "/members/" not in _path_of(r)
        for r in case.requests
    )
    # project.delete() may really delete the project: give it one of its own.
    tenant = await make_tenant("replay-doomed") if destructive else replay_tenant
    async with httpx.AsyncClient(base_url=tenant.rest_url, headers=tenant.headers, timeout=60) as http:
        ids = await _seed(http, case)
        problems = await _replay(http, tenant, case, ids)
    assert not problems, f"{case.section} `{case.call}`:\n  " + "\n  ".join(problems)
