"""A request id given to the REST API reaches the internal services' logs (all services run in this process)."""

from __future__ import annotations

import uuid

import httpx
import structlog
from structlog.testing import capture_logs

from tests.conftest import Stack


async def test_request_id_travels_from_rest_to_every_service(stack: Stack) -> None:
    request_id = f"rid-{uuid.uuid4().hex[:12]}"
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        async with httpx.AsyncClient(
            base_url=stack.rest_url, headers={"Authorization": f"Token {stack.key_a}"}
        ) as http:
            response = await http.post(
                "/v3/memories/add/",
                json={
                    "async_mode": False,
                    "messages": "I'm training for a marathon.",
                    "user_id": f"rid-{uuid.uuid4().hex[:6]}",
                },
                headers={"X-Request-Id": request_id},
            )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == request_id
    methods = {e["method"] for e in logs if e["event"] == "rpc.completed" and e.get("request_id") == request_id}
    assert {
        "/memgrid.extraction.v1.ExtractionService/ExtractFacts",
        "/memgrid.vectorsearch.v1.VectorSearchService/SearchVectors",
        "/memgrid.metadata.v1.MetadataService/CreateMemories",
        "/memgrid.vectorsearch.v1.VectorSearchService/UpsertVectors",
    } <= methods, methods
    access = [e for e in logs if e["event"] == "http.completed" and e.get("request_id") == request_id]
    assert access and access[0]["status"] == 200
