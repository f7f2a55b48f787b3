"""The Mem0-compatible REST API (paths exactly as the official SDKs call them)."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any
from urllib.parse import unquote, urlencode

import structlog
from fastapi import Body, Depends, FastAPI, Header, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import exports
from gateway.auth import Authenticator, owner_of, writer_tenant
from gateway.dashboard.routes import install_dashboard
from gateway.limits import InputLimits
from gateway.orchestrator import Orchestrator
from gateway.rest import openapi, parse, render
from gateway.rest import telemetry as rest_telemetry
from gateway.rest.schemas import (
    AddBody,
    BatchDeleteBody,
    BatchUpdateBody,
    EntityBody,
    ExportBody,
    ExportGetBody,
    FeedbackBody,
    ListBody,
    MemberBody,
    ProjectBody,
    SearchBody,
    SummaryBody,
    UpdateBody,
    WebhookBody,
)
from gateway.webhooks import event_types_from_names
from libs import domain
from libs.domain import MemoryPatch
from libs.errors import InvalidArgument, MemgridError, NotFound, NotImplementedYet
from libs.filters import parse_filters
from libs.logging import REQUEST_ID_HEADER, bind_request_id, new_request_id
from libs.observability.telemetry import Telemetry
from libs.rpc.deadline import deadline_scope

log = structlog.get_logger()

_SLASHES = re.compile(r"/{2,}")


# A `/` that was percent-encoded inside one path segment (`/v2/entities/run/run%201%2Fx/`) stays encoded
# through routing, so the segment still matches one path parameter; handlers decode it with `_segment`.
_ENCODED_SLASH = "%2F"


def _segment(value: str) -> str:
    return value.replace(_ENCODED_SLASH, "/")


class NormalisePathMiddleware:
    """Route on the raw path: collapse repeated slashes (`//v1/ping/` from the async SDK), keep encoded
    slashes inside segments, and add the trailing slash Mem0 paths have."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
            segments = _SLASHES.sub("/", raw).split("/")
            path = "/".join(unquote(segment).replace("/", _ENCODED_SLASH) for segment in segments)
            if not path.endswith("/") and not path.startswith(("/docs", "/openapi", "/redoc", "/metrics")):
                path += "/"
            if path != scope["path"]:
                scope = dict(scope, path=path)
        await self.app(scope, receive, send)


class RequestContextMiddleware:
    """Bind the caller's `X-Request-Id` (or a new one) for every log line and downstream RPC of the request, and
    the request's deadline (its budget) that every downstream call is capped by; echo the id in the response
    and write one access line."""

    def __init__(self, app: ASGIApp, request_timeout_seconds: float) -> None:
        self.app = app
        self.request_timeout_seconds = request_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")[:128] or new_request_id()
        bind_request_id(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = dict(
                    message, headers=[*message.get("headers", []), (REQUEST_ID_HEADER.encode(), request_id.encode())]
                )
            await send(message)

        try:
            with deadline_scope(self.request_timeout_seconds):
                await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "http.completed",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )


def _field_of(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation_problems(error: RequestValidationError) -> list[tuple[str, str]]:
    """(field, message) of every problem pydantic found."""
    problems = []
    for item in error.errors():
        if item.get("type") == "json_invalid":
            problems.append(("body", "invalid JSON"))
            continue
        problems.append((_field_of(tuple(item.get("loc", ()))), str(item.get("msg", "invalid"))))
    return problems or [("body", "invalid request")]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MemgridError)
    async def _memgrid_error(_: Request, error: MemgridError) -> JSONResponse:
        body = {"detail": error.message, "error": error.reason}
        if error.field:
            body["field"] = error.field
        return JSONResponse(body, status_code=error.http_status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = _validation_problems(error)
        detail = "; ".join(f"{field}: {message}" for field, message in problems)
        return JSONResponse({"detail": detail, "error": "INVALID_ARGUMENT", "field": problems[0][0]}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        body = {"detail": error.detail}
        if error.status_code == 400:
            # FastAPI's own 400s are about a body it could not read (e.g. not JSON).
            body["field"] = "body"
        return JSONResponse(body, status_code=error.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("http.failed")
        return JSONResponse({"detail": "internal error", "error": "INTERNAL"}, status_code=500)


def _page_links(request: Request, page: int, page_size: int, total: int) -> tuple[str | None, str | None]:
    def link(number: int) -> str:
        query = dict(request.query_params)
        query.update(page=str(number), page_size=str(page_size))
        return f"{request.url.replace(query=urlencode(query))}"

    next_link = link(page + 1) if page * page_size < total else None
    previous_link = link(page - 1) if page > 1 else None
    return next_link, previous_link


# Declared as the API's security scheme, so the OpenAPI document tells clients (and fuzzers) how to authenticate.
API_KEY = APIKeyHeader(
    name="Authorization",
    scheme_name="Token",
    description="`Token <API key>` (Mem0's scheme; `Bearer <API key>` works too)",
    auto_error=False,
)


async def current_caller(
    request: Request, authorization: Annotated[str | None, Security(API_KEY)] = None
) -> domain.Caller:
    authenticator: Authenticator = request.app.state.authenticator
    return await authenticator.caller_for(authorization)


Caller = Annotated[domain.Caller, Depends(current_caller)]


async def current_tenant(caller: Caller) -> domain.Tenant:
    return caller.tenant


async def current_writer(caller: Caller) -> domain.Tenant:
    return writer_tenant(caller)


# Routes that only read take `Tenant`; every route that changes something takes `Writer` (403 for READER keys).
Tenant = Annotated[domain.Tenant, Depends(current_tenant)]
Writer = Annotated[domain.Tenant, Depends(current_writer)]
ADD_QUEUED = "Memory processing has been queued for background execution"
IdempotencyKeyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", description="A repeat with the same key within 24 h replays the result")
]


NOT_YET_AVAILABLE = [
    ("GET", "/v2/entities/{entity_type}/{entity_id}/profile/", "profiles"),
    ("POST", "/v2/profiles/jobs/", "profiles"),
    ("GET", "/v2/profiles/jobs/{job_id}/", "profiles"),
    ("GET", "/v2/profiles/settings/", "profiles"),
    ("POST", "/v2/profiles/settings/", "profiles"),
    ("POST", "/api/v1/orgs/organizations/{org_id}/projects/", "creating projects over REST (use memgrid keys create)"),
    ("DELETE", "/api/v1/orgs/organizations/{org_id}/projects/{project_id}/", "deleting projects"),
]


def _not_yet(app: FastAPI, method: str, path: str, feature: str) -> None:
    async def not_yet_available(t: Tenant) -> None:
        raise NotImplementedYet(f"{feature} is not available in memgrid yet")

    # Left out of the OpenAPI document: it describes what memgrid offers.
    app.add_api_route(
        path, not_yet_available, methods=[method], name=f"not_yet_{method.lower()}_{path}", include_in_schema=False
    )


def create_app(
    orchestrator: Orchestrator,
    authenticator: Authenticator,
    limits: InputLimits,
    *,
    request_timeout_seconds: float,
    telemetry: Telemetry | None = None,
) -> FastAPI:
    app = FastAPI(
        title="memgrid",
        version="0.1.0",
        description="Long-term memory for AI agents — Mem0 Platform compatible REST API.",
    )
    app.state.authenticator = authenticator
    _install_error_handlers(app)
    rest_telemetry.install(app, telemetry or Telemetry())
    openapi.document_limits(app, limits)
    depth = limits.max_filter_depth

    # --- identity ---------------------------------------------------------------------------

    @app.get("/v1/ping/")
    async def ping(caller: Caller) -> dict[str, Any]:
        t = caller.tenant
        return {
            "status": "ok",
            "org_id": t.org_id,
            "project_id": t.project_id,
            "user_email": caller.member_email,
            "role": str(caller.role),
        }

    # --- add --------------------------------------------------------------------------------

    async def _add(t: domain.Tenant, body: AddBody, key: str | None) -> tuple[str, list[dict[str, Any]]]:
        outcome = await orchestrator.add(
            t, parse.add_command(body), idempotency_key=parse.idempotency_key(key, body.request_id)
        )
        return outcome.event_id, [render.change_json(change) for change in outcome.changes]

    async def _add_async(t: domain.Tenant, body: AddBody, key: str | None) -> dict[str, Any]:
        event_id = await orchestrator.add_async(
            t, parse.add_command(body), idempotency_key=parse.idempotency_key(key, body.request_id)
        )
        return {"message": ADD_QUEUED, "status": "PENDING", "event_id": event_id}

    @app.post("/v1/memories/")
    async def add_v1(t: Writer, body: AddBody, key: IdempotencyKeyHeader = None) -> Any:
        # Synchronous unless `async_mode: true` (what mem0ai 1.x sent by default).
        if body.async_mode:
            results = [await _add_async(t, body, key)]
        else:
            _, results = await _add(t, body, key)
        if body.output_format == "v1.0":
            return results
        return {"results": results, "relations": []}

    @app.post("/v3/memories/add/")
    async def add_v3(t: Writer, body: AddBody, key: IdempotencyKeyHeader = None) -> dict[str, Any]:
        # Queued (PENDING, follow GET /v1/event/{event_id}/) unless `async_mode: false`, as on the Mem0 Platform.
        if body.async_mode is False:
            event_id, results = await _add(t, body, key)
            return {"status": "SUCCEEDED", "event_id": event_id, "results": results}
        return await _add_async(t, body, key)

    # --- search -----------------------------------------------------------------------------

    async def _search(t: domain.Tenant, body: SearchBody, *, allow_top_level_ids: bool) -> list[dict[str, Any]]:
        hits = await orchestrator.search(
            t, parse.search_command(body, allow_top_level_ids=allow_top_level_ids, max_filter_depth=depth)
        )
        return [render.memory_json(hit.memory, hit.score, body.fields) for hit in hits]

    @app.post("/v1/memories/search/")
    async def search_v1(t: Tenant, body: SearchBody) -> Any:
        results = await _search(t, body, allow_top_level_ids=True)
        return results if body.output_format == "v1.0" else {"results": results, "relations": []}

    @app.post("/v2/memories/search/")
    async def search_v2(t: Tenant, body: SearchBody) -> Any:
        results = await _search(t, body, allow_top_level_ids=True)
        return {"results": results} if body.output_format == "v1.1" else results

    @app.post("/v3/memories/search/")
    async def search_v3(t: Tenant, body: SearchBody) -> dict[str, Any]:
        return {"results": await _search(t, body, allow_top_level_ids=False)}

    # --- get_all ----------------------------------------------------------------------------

    @app.get("/v1/memories/")
    async def list_v1(
        t: Tenant,
        request: Request,
        user_id: str | None = None,
        agent_id: str | None = None,
        app_id: str | None = None,
        run_id: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        output_format: str | None = None,
        categories: Annotated[list[str] | None, Query()] = None,
        keywords: str | None = None,
    ) -> Any:
        # `categories=a,b` (the guide's curl) and `categories=a&categories=b` (httpx, requests) both mean "any of".
        wanted = [name for value in categories or [] for name in value.split(",") if name.strip()]
        body = ListBody(
            user_id=user_id,
            agent_id=agent_id,
            app_id=app_id,
            run_id=run_id,
            categories=wanted or None,
            keywords=keywords,
        )
        result = await orchestrator.list_memories(
            t, parse.list_command(body, page, page_size, allow_top_level_ids=True, max_filter_depth=depth)
        )
        memories = [render.memory_json(m) for m in result.memories]
        if page is not None or page_size is not None:
            next_link, previous_link = _page_links(request, result.page, result.page_size, result.total_count)
            return {"count": result.total_count, "next": next_link, "previous": previous_link, "results": memories}
        return {"results": memories, "relations": []} if output_format == "v1.1" else memories

    @app.post("/v2/memories/")
    async def list_v2(
        t: Tenant, body: Annotated[ListBody, Body()] = None, page: int | None = None, page_size: int | None = None
    ) -> list[dict[str, Any]]:
        command = parse.list_command(
            body or ListBody(), page, page_size, allow_top_level_ids=True, max_filter_depth=depth
        )
        result = await orchestrator.list_memories(t, command)
        return [render.memory_json(m) for m in result.memories]

    @app.post("/v3/memories/")
    async def list_v3(
        t: Tenant,
        request: Request,
        body: Annotated[ListBody, Body()] = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> dict[str, Any]:
        command = parse.list_command(
            body or ListBody(), page, page_size, allow_top_level_ids=False, max_filter_depth=depth
        )
        result = await orchestrator.list_memories(t, command)
        next_link, previous_link = _page_links(request, result.page, result.page_size, result.total_count)
        return {
            "count": result.total_count,
            "next": next_link,
            "previous": previous_link,
            "results": [render.memory_json(m) for m in result.memories],
        }

    # --- one memory -------------------------------------------------------------------------

    @app.get("/v1/memories/{memory_id}/")
    async def get_memory(t: Tenant, memory_id: str) -> dict[str, Any]:
        return render.memory_json(await orchestrator.get_memory(t, _segment(memory_id)))

    @app.put("/v1/memories/{memory_id}/")
    async def update_memory(t: Writer, memory_id: str, body: UpdateBody) -> dict[str, Any]:
        return render.memory_json(await orchestrator.update_memory(t, parse.update_patch(_segment(memory_id), body)))

    @app.delete("/v1/memories/{memory_id}/")
    async def delete_memory(t: Writer, memory_id: str, delete_linked: bool = False) -> dict[str, Any]:
        await orchestrator.delete_memory(t, _segment(memory_id))
        return {"message": "Memory deleted successfully!"}

    @app.get("/v1/memories/{memory_id}/history/")
    async def history(t: Tenant, memory_id: str) -> list[dict[str, Any]]:
        return [render.history_json(entry) for entry in await orchestrator.history(t, _segment(memory_id))]

    @app.delete("/v1/memories/")
    async def delete_all(
        t: Writer,
        user_id: str | None = None,
        agent_id: str | None = None,
        app_id: str | None = None,
        run_id: str | None = None,
        filters: str | None = None,
    ) -> dict[str, Any]:
        ids = {k: v for k, v in dict(user_id=user_id, agent_id=agent_id, app_id=app_id, run_id=run_id).items() if v}
        node = parse.delete_all_filter(ids, parse.filters_query(filters), max_filter_depth=depth)
        deleted = await orchestrator.delete_all(t, node)
        return {"message": "Memories deleted successfully!", "deleted_count": deleted}

    # --- batch ------------------------------------------------------------------------------

    @app.put("/v1/batch/")
    async def batch_update(t: Writer, body: BatchUpdateBody, key: IdempotencyKeyHeader = None) -> dict[str, Any]:
        commands = [MemoryPatch(memory_id=m.memory_id, text=m.text, metadata=m.metadata) for m in body.memories]
        updated = await orchestrator.batch_update(
            t, commands, idempotency_key=parse.idempotency_key(key, body.request_id)
        )
        return {"message": f"Successfully updated {updated} memories"}

    @app.delete("/v1/batch/")
    async def batch_delete(t: Writer, body: BatchDeleteBody, key: IdempotencyKeyHeader = None) -> dict[str, Any]:
        ids = [m if isinstance(m, str) else m.memory_id for m in body.memories]
        deleted = await orchestrator.batch_delete(t, ids, idempotency_key=parse.idempotency_key(key, body.request_id))
        return {"message": f"Successfully deleted {deleted} memories"}

    # --- entities ---------------------------------------------------------------------------

    @app.get("/v1/entities/")
    async def entities(
        t: Tenant, request: Request, page: int | None = None, page_size: int | None = None
    ) -> dict[str, Any]:
        number, size = parse.page_numbers(page, page_size)
        result = await orchestrator.list_entities(t, None, number, size)
        next_link, previous_link = _page_links(request, number, size, result.total_count)
        return {
            "count": result.total_count,
            "next": next_link,
            "previous": previous_link,
            "results": [render.entity_json(e, t.org_id) for e in result.entities],
            **{f"total_{kind.value}s": result.totals.get(kind, 0) for kind in domain.EntityType},
        }

    async def _delete_entity(t: domain.Tenant, kind: str, name: str) -> dict[str, Any]:
        try:
            entity_type = domain.EntityType(kind)
        except ValueError:
            raise InvalidArgument(
                f"entity_type: must be one of user, agent, app, run, got {kind!r}", field="entity_type"
            ) from None
        deleted = await orchestrator.delete_entity(t, entity_type, name)
        return {"message": "Entity deleted successfully.", "deleted_count": deleted}

    @app.delete("/v2/entities/{entity_type}/{entity_id}/")
    async def delete_entity_v2(t: Writer, entity_type: str, entity_id: str) -> dict[str, Any]:
        return await _delete_entity(t, entity_type, _segment(entity_id))

    @app.delete("/v1/entities/{entity_type}/{entity_id}/")
    async def delete_entity_v1(t: Writer, entity_type: str, entity_id: str) -> dict[str, Any]:
        return await _delete_entity(t, entity_type, _segment(entity_id))

    def _entity_route(kind: domain.EntityType) -> None:
        async def create_entity(t: Writer, body: EntityBody) -> dict[str, Any]:
            entity = await orchestrator.create_entity(t, kind, parse.entity_name(kind, body), body.metadata)
            return render.entity_json(entity, t.org_id)

        app.post(f"/v1/{kind.value}s/", name=f"create_{kind.value}")(create_entity)

    for kind in domain.EntityType:
        _entity_route(kind)

    # --- project ----------------------------------------------------------------------------

    def _own_project(t: domain.Tenant, org_id: str, project_id: str) -> None:
        if (org_id, project_id) != (t.org_id, t.project_id):
            raise NotFound(f"project {org_id}/{project_id} not found", field="project_id")

    @app.get("/api/v1/orgs/organizations/{org_id}/projects/{project_id}/")
    async def get_project(
        t: Tenant, org_id: str, project_id: str, fields: Annotated[list[str] | None, Query()] = None
    ) -> dict[str, Any]:
        _own_project(t, org_id, project_id)
        return render.project_json(await orchestrator.get_project(t), fields)

    @app.patch("/api/v1/orgs/organizations/{org_id}/projects/{project_id}/")
    async def update_project(t: Writer, org_id: str, project_id: str, body: ProjectBody) -> dict[str, Any]:
        _own_project(t, org_id, project_id)
        project = await orchestrator.update_project(t, parse.project_changes(body))
        return {"message": "Updated project settings", "project": render.project_json(project)}

    # --- members ----------------------------------------------------------------------------

    members_path = "/api/v1/orgs/organizations/{org_id}/projects/{project_id}/members/"

    @app.get(members_path)
    async def list_members(t: Tenant, org_id: str, project_id: str) -> dict[str, Any]:
        _own_project(t, org_id, project_id)
        return {"members": [render.member_json(m) for m in await orchestrator.list_members(t)]}

    @app.post(members_path)
    async def add_member(t: Writer, org_id: str, project_id: str, body: MemberBody) -> dict[str, Any]:
        _own_project(t, org_id, project_id)
        member = await orchestrator.add_member(t, body.email, body.role or domain.MemberRole.READER)
        return {"message": "User added to the project successfully.", "member": render.member_json(member)}

    @app.put(members_path)
    async def update_member(t: Writer, org_id: str, project_id: str, body: MemberBody) -> dict[str, Any]:
        _own_project(t, org_id, project_id)
        if body.role is None:
            raise InvalidArgument("role: is required (READER or OWNER)", field="role")
        member = await orchestrator.update_member(t, body.email, body.role)
        return {"message": "User role updated successfully.", "member": render.member_json(member)}

    @app.delete(members_path)
    async def remove_member(t: Writer, org_id: str, project_id: str, email: str) -> dict[str, Any]:
        _own_project(t, org_id, project_id)
        member = await orchestrator.remove_member(t, email)
        return {"message": "User removed from the project successfully.", "member": render.member_json(member)}

    # --- feedback ---------------------------------------------------------------------------

    @app.post("/v1/feedback/")
    async def feedback(t: Writer, body: FeedbackBody) -> dict[str, Any]:
        stored = await orchestrator.feedback(t, body.memory_id, body.feedback, body.feedback_reason)
        return {"id": stored.id, "feedback": stored.feedback, "feedback_reason": stored.feedback_reason}

    # --- events -----------------------------------------------------------------------------

    @app.get("/v1/event/{event_id}/")
    async def get_event(t: Tenant, event_id: str) -> dict[str, Any]:
        return render.event_json(await orchestrator.get_event(t, _segment(event_id)))

    @app.get("/v1/events/")
    async def list_events(t: Tenant, page: int | None = None, page_size: int | None = None) -> dict[str, Any]:
        number, size = parse.page_numbers(page, page_size)
        events, total = await orchestrator.list_events(t, None, number, size)
        return {"count": total, "results": [render.event_json(event) for event in events]}

    # --- webhooks ---------------------------------------------------------------------------

    webhooks_path = "/api/v1/webhooks/projects/{project_id}/"

    def _own_project_id(t: domain.Tenant, project_id: str) -> None:
        if project_id != t.project_id:
            raise NotFound(f"project {project_id} not found", field="project_id")

    @app.get(webhooks_path)
    async def list_webhooks(t: Tenant, project_id: str) -> list[dict[str, Any]]:
        _own_project_id(t, _segment(project_id))
        return [render.webhook_json(webhook) for webhook in await orchestrator.list_webhooks(t)]

    @app.post(webhooks_path, status_code=201)
    async def create_webhook(caller: Caller, project_id: str, body: WebhookBody) -> dict[str, Any]:
        t = writer_tenant(caller)
        _own_project_id(t, _segment(project_id))
        webhook = await orchestrator.create_webhook(
            t,
            name=parse.required_text(body.name, "name"),
            url=parse.required_text(body.url, "url"),
            event_types=event_types_from_names(body.event_types or []),
            owner=owner_of(caller),
        )
        return render.webhook_json(webhook)

    @app.put("/api/v1/webhooks/{webhook_id}/")
    async def update_webhook(t: Writer, webhook_id: str, body: WebhookBody) -> dict[str, Any]:
        changes = domain.WebhookChanges(
            name=body.name,
            url=body.url,
            event_types=None if body.event_types is None else event_types_from_names(body.event_types),
            is_active=body.is_active,
        )
        webhook = await orchestrator.update_webhook(t, _segment(webhook_id), changes)
        return {"message": "Webhook updated successfully", "webhook": render.webhook_json(webhook)}

    @app.delete("/api/v1/webhooks/{webhook_id}/")
    async def delete_webhook(t: Writer, webhook_id: str) -> dict[str, Any]:
        await orchestrator.delete_webhook(t, _segment(webhook_id))
        return {"message": "Webhook deleted successfully"}

    @app.get("/api/v1/webhooks/{webhook_id}/deliveries/")
    async def list_webhook_deliveries(
        t: Tenant, webhook_id: str, page: int | None = None, page_size: int | None = None
    ) -> dict[str, Any]:
        number, size = parse.page_numbers(page, page_size)
        deliveries, total = await orchestrator.list_webhook_deliveries(t, _segment(webhook_id), number, size)
        return {"count": total, "results": [render.delivery_json(delivery) for delivery in deliveries]}

    # --- exports, summary, stats --------------------------------------------------------------

    @app.post("/v1/exports/", status_code=201)
    async def create_export(t: Writer, body: ExportBody) -> dict[str, Any]:
        node = parse_filters(body.filters, max_depth=depth)
        export = await orchestrator.create_export(t, exports.schema_text(body.schema_), node)
        return {
            "message": "Memory export request received. The export will be ready in a few seconds.",
            "id": export.id,
        }

    @app.post("/v1/exports/get/")
    async def get_export(t: Tenant, body: ExportGetBody) -> dict[str, Any]:
        if body.memory_export_id:
            export, memories = await orchestrator.get_export(t, body.memory_export_id)
            return render.export_json(export.id, export.created_at, memories, exports.export_fields(export.schema))
        if body.filters is not None:
            memories = await orchestrator.memories_under(t, parse_filters(body.filters, max_depth=depth))
            return render.export_json(None, None, memories, None)
        raise InvalidArgument("memory_export_id: give an export id or filters", field="memory_export_id")

    @app.post("/v1/summary/")
    async def summary(t: Tenant, body: Annotated[SummaryBody, Body()] = None) -> list[dict[str, Any]]:
        node = parse_filters((body or SummaryBody()).filters, max_depth=depth)
        return [render.entity_summary_json(item) for item in await orchestrator.summary(t, node)]

    @app.get("/v1/stats/")
    async def stats(t: Tenant) -> dict[str, Any]:
        return render.stats_json(await orchestrator.stats(t))

    # --- Mem0 endpoints memgrid does not offer yet: 501 with a detail, never a bare 404 (the SDKs turn a
    # 404 into MemoryNotFoundError, which would misreport the problem).
    for method, path, feature in NOT_YET_AVAILABLE:
        _not_yet(app, method, path, feature)

    install_dashboard(app)
    app.add_middleware(NormalisePathMiddleware)
    app.add_middleware(RequestContextMiddleware, request_timeout_seconds=request_timeout_seconds)
    return app
