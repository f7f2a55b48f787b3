"""The REST client of the CLI's data commands (`memgrid add/search/list/history/export/import`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

SCOPE_FIELDS = ("user_id", "agent_id", "app_id", "run_id")
# v3 search needs an entity filter; without one the CLI searches every entity ("*" matches any value).
ANY_ENTITY = {"OR": [{field: "*"} for field in SCOPE_FIELDS]}
EXPORT_PAGE_SIZE = 200


class RestError(Exception):
    """A REST call failed: the status and the server's detail, or why the server could not be reached."""


def entity_filters(ids: dict[str, str | None], extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The v2 `filters` of the given entity ids (None values left out) and an extra filter, AND-ed."""
    clauses: list[dict[str, Any]] = [{name: value} for name, value in ids.items() if value]
    if extra:
        clauses.append(extra)
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"AND": clauses}


class RestClient:
    def __init__(self, url: str, api_key: str, *, timeout_seconds: float = 60.0) -> None:
        self._http = httpx.Client(
            base_url=url.rstrip("/"), headers={"Authorization": f"Token {api_key}"}, timeout=timeout_seconds
        )

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def call(self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        try:
            response = self._http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise RestError(f"{method} {path}: {error.__class__.__name__}: {error}") from error
        if response.is_error:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise RestError(f"{method} {path}: HTTP {response.status_code}: {detail}")
        return response.json()

    def add(self, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        # Synchronous (`async_mode: false`): the CLI shows what was stored, and import counts it.
        return self.call("POST", "/v3/memories/add/", body={**body, "async_mode": False}, headers=headers)

    def search(self, query: str, filters: dict[str, Any] | None, top_k: int) -> list[dict[str, Any]]:
        body = {"query": query, "filters": filters or ANY_ENTITY, "top_k": top_k}
        return self.call("POST", "/v3/memories/search/", body=body)["results"]

    def list_page(self, filters: dict[str, Any] | None, page: int, page_size: int) -> dict[str, Any]:
        body = {"filters": filters} if filters else {}
        return self.call("POST", f"/v3/memories/?page={page}&page_size={page_size}", body=body)

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/v1/memories/{memory_id}/history/")

    def iter_pages(
        self, filters: dict[str, Any] | None, page_size: int = EXPORT_PAGE_SIZE
    ) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """(total count, memories) for each page, until a page comes back without a next link."""
        page = 1
        while True:
            data = self.list_page(filters, page, page_size)
            yield data["count"], data["results"]
            if not data.get("next") or not data["results"]:
                return
            page += 1
