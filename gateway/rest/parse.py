"""REST bodies and query strings → orchestrator commands, with errors that name the field."""

from __future__ import annotations

import ast
import json
from datetime import UTC, date, datetime
from typing import Any

from gateway.commands import (
    DEFAULT_KEYWORD_SEARCH,
    DEFAULT_PAGE_SIZE,
    DEFAULT_THRESHOLD,
    DEFAULT_TOP_K,
    AddCommand,
    ListCommand,
    SearchCommand,
)
from gateway.rest.schemas import (
    PROJECT_SETTING_KEYS,
    AddBody,
    EntityBody,
    ListBody,
    ProjectBody,
    ScopeIds,
    SearchBody,
    UpdateBody,
)
from libs import domain
from libs.errors import InvalidArgument
from libs.filters import Condition, FilterNode, Op, conjoin, ids_equal, parse_filters
from libs.filters.parser import parse_datetime
from libs.mappers import date_from_text


def scope_from_ids(ids: dict[str, str]) -> domain.Scope:
    return domain.Scope(**ids)


def _entity_ids_in_filters(filters: dict[str, Any] | None) -> dict[str, str]:
    """Plain `{"user_id": "alex"}` entries of a filters object (used for add)."""
    found: dict[str, str] = {}
    for name in domain.SCOPE_FIELDS:
        value = (filters or {}).get(name)
        if isinstance(value, str) and value and value != "*":
            found[name] = value
    return found


def _timestamp(value: float | str | None, field: str) -> datetime | None:
    """Unix seconds (number or numeric string) or an ISO-8601 date/time."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return parse_datetime(value, field)
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidArgument(f"{field}: not a valid unix timestamp", field=field) from None


def _date_of(moment: datetime | None) -> date | None:
    return None if moment is None else moment.date()


def custom_categories(raw: list[dict[str, str]] | dict[str, str] | None) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    merged: dict[str, str] = {}
    for item in raw:
        merged.update({str(k): str(v) for k, v in item.items()})
    return merged


def add_command(body: AddBody) -> AddCommand:
    ids = {**_entity_ids_in_filters(body.filters), **body.given_ids()}
    return AddCommand(
        messages=[
            domain.Message(role=domain.Role(m.role), content=m.content, name=m.name, id=m.id or None)
            for m in body.messages
        ],
        scope=scope_from_ids(ids),
        metadata=body.metadata,
        infer=body.infer,
        immutable=body.immutable,
        expiration_date=date_from_text(body.expiration_date or ""),
        created_at=_timestamp(body.timestamp, "timestamp"),
        custom_instructions=body.custom_instructions or "",
        custom_categories=custom_categories(body.custom_categories),
        includes=body.includes or "",
        excludes=body.excludes or "",
        categories=list(body.categories or []),
    )


def _reject_top_level_ids(body: ScopeIds, call: str) -> None:
    given = body.given_ids()
    if given:
        name = next(iter(given))
        raise InvalidArgument(
            f"{name}: entity ids go inside 'filters' in {call} (e.g. filters={{\"{name}\": ...}})", field=name
        )


def search_command(body: SearchBody, *, allow_top_level_ids: bool, max_filter_depth: int) -> SearchCommand:
    if not allow_top_level_ids:
        _reject_top_level_ids(body, "v3 search")
    top_k = body.top_k if body.top_k is not None else body.limit if body.limit is not None else DEFAULT_TOP_K
    threshold = DEFAULT_THRESHOLD if body.threshold is None else body.threshold
    if not 0.0 <= threshold <= 1.0:
        raise InvalidArgument(f"threshold: must be between 0 and 1, got {threshold}", field="threshold")
    node = conjoin(
        ids_equal(body.given_ids()),
        parse_filters(body.filters, max_depth=max_filter_depth),
        parse_filters({"metadata": body.metadata}, name="metadata", max_depth=max_filter_depth)
        if body.metadata
        else None,
    )
    return SearchCommand(
        query=body.query,
        filter=node,
        top_k=top_k,
        threshold=threshold,
        categories=list(body.categories or []),
        show_expired=body.show_expired,
        keyword_search=DEFAULT_KEYWORD_SEARCH if body.keyword_search is None else body.keyword_search,
        rerank=body.rerank,
        reference_date=_date_of(_timestamp(body.reference_date, "reference_date")),
        require_entity=not allow_top_level_ids,
    )


def page_numbers(page: int | None, page_size: int | None) -> tuple[int, int]:
    """The defaults for what was not given; the orchestrator checks the ranges."""
    return 1 if page is None else page, DEFAULT_PAGE_SIZE if page_size is None else page_size


def list_command(
    body: ListBody, page: int | None, page_size: int | None, *, allow_top_level_ids: bool, max_filter_depth: int
) -> ListCommand:
    if not allow_top_level_ids:
        _reject_top_level_ids(body, "v3 get_all")
    page, page_size = page_numbers(
        page if page is not None else body.page, page_size if page_size is not None else body.page_size
    )
    dates = [
        Condition("created_at", op, parse_datetime(value, name))
        for name, op, value in (("start_date", Op.GTE, body.start_date), ("end_date", Op.LTE, body.end_date))
        if value
    ]
    node = conjoin(
        ids_equal(body.given_ids()),
        parse_filters(body.filters, max_depth=max_filter_depth),
        Condition("categories", Op.IN, tuple(body.categories)) if body.categories else None,
        Condition("keywords", Op.ICONTAINS, body.keywords) if body.keywords else None,
        *dates,
    )
    return ListCommand(filter=node, page=page, page_size=page_size, show_expired=body.show_expired)


def update_patch(memory_id: str, body: UpdateBody) -> domain.MemoryPatch:
    fields_sent = body.model_fields_set
    return domain.MemoryPatch(
        memory_id=memory_id,
        text=body.text,
        metadata=body.metadata,
        expiration_date=date_from_text(body.expiration_date or ""),
        clear_expiration_date="expiration_date" in fields_sent and not body.expiration_date,
        created_at=_timestamp(body.timestamp, "timestamp"),
    )


def filters_query(raw: str | None) -> dict[str, Any] | None:
    """`?filters=` as JSON, or as the Python repr the Python SDK sends (`{'user_id': 'alice'}`)."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            raise InvalidArgument("filters: not a JSON object", field="filters") from None
    if not isinstance(value, dict):
        raise InvalidArgument("filters: must be an object", field="filters")
    return value


def delete_all_filter(
    ids: dict[str, str], filters: dict[str, Any] | None, *, max_filter_depth: int
) -> FilterNode | None:
    return conjoin(ids_equal(ids), parse_filters(filters, max_depth=max_filter_depth))


def project_changes(body: ProjectBody) -> domain.ProjectChanges:
    sent = body.model_fields_set
    settings = {key: getattr(body, key) for key in PROJECT_SETTING_KEYS if key in sent}
    return domain.ProjectChanges(
        custom_instructions=body.custom_instructions if "custom_instructions" in sent else None,
        custom_categories=custom_categories(body.custom_categories) if "custom_categories" in sent else None,
        settings=settings or None,
        name=body.name,
        description=body.description,
    )


def entity_name(kind: domain.EntityType, body: EntityBody) -> str:
    name = getattr(body, kind.scope_field) or body.name
    if not name:
        raise InvalidArgument(f"{kind.scope_field}: required", field=kind.scope_field)
    return name


def idempotency_key(header: str | None, body_value: str | None) -> str | None:
    """The request's idempotency key: the Idempotency-Key header or the body's request_id (the same if both)."""
    if header is not None and body_value is not None and header != body_value:
        raise InvalidArgument("request_id: differs from the Idempotency-Key header; give one key", field="request_id")
    return header if header is not None else body_value


def required_text(value: str | None, field: str) -> str:
    if value is None or not value.strip():
        raise InvalidArgument(f"{field}: is required", field=field)
    return value
