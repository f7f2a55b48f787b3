"""Request bodies of the Mem0-compatible REST API.

Models allow unknown keys: the official SDKs forward any extra keyword argument (`version`,
`output_format`, `enable_graph`, `org_id`, ...), and a strict server would reject older client code.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from libs.domain import SCOPE_FIELDS, MemberRole


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str = Field("user", description="user, assistant, system or tool")
    content: str = Field(..., description="The message text")
    name: str | None = Field(None, description="Author name, kept as the memory's actor_id")
    id: str | None = Field(None, description="Message id, kept as provenance; default '<event_id>:<index>'")

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        if value not in {"user", "assistant", "system", "tool"}:
            raise ValueError("must be one of user, assistant, system, tool")
        return value

    @field_validator("content", mode="before")
    @classmethod
    def _text_content(cls, value: Any) -> Any:
        # Multimodal content parts: keep the text parts.
        if isinstance(value, list):
            return " ".join(str(p.get("text", "")) for p in value if isinstance(p, dict)).strip()
        if isinstance(value, dict) and "text" in value:
            return str(value["text"])
        return value


class ScopeIds(BaseModel):
    """Entity ids given at the top level of a request body."""

    model_config = ConfigDict(extra="allow")

    user_id: str | None = None
    agent_id: str | None = None
    app_id: str | None = None
    run_id: str | None = None

    def given_ids(self) -> dict[str, str]:
        return {name: value for name in SCOPE_FIELDS if (value := getattr(self, name))}


class AddBody(ScopeIds):
    messages: list[MessageIn] = Field(..., description="The conversation; a string or one message also works")
    filters: dict[str, Any] | None = Field(None, description="Entity ids may also be given here")
    metadata: dict[str, Any] | None = None
    infer: bool = True
    async_mode: bool | None = None
    output_format: str | None = None
    immutable: bool = False
    expiration_date: str | None = None
    timestamp: int | float | str | None = Field(None, description="Creation time: unix seconds or ISO-8601")
    custom_categories: list[dict[str, str]] | dict[str, str] | None = None
    custom_instructions: str | None = None
    includes: str | None = None
    excludes: str | None = None
    categories: list[str] | None = Field(
        None, description="memgrid: with infer=false, the stored memories' categories (e.g. from an export)"
    )
    request_id: str | None = Field(
        None, description="Idempotency key (also the Idempotency-Key header): a repeat within 24 h replays the result"
    )

    @field_validator("messages", mode="before")
    @classmethod
    def _coerce_messages(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [{"role": "user", "content": value}]
        if isinstance(value, dict):
            return [value]
        return value


class SearchBody(ScopeIds):
    query: str = Field(..., description="The query text")
    filters: dict[str, Any] | None = None
    top_k: int | None = Field(None, description="1-1000, default 10")
    limit: int | None = Field(None, description="Legacy alias of top_k")
    threshold: float | None = Field(None, description="Minimum score in [0, 1]")
    categories: list[str] | None = None
    metadata: dict[str, Any] | None = None
    rerank: bool = Field(False, description="Rerank a wider candidate set before cutting to top_k")
    reference_date: int | float | str | None = Field(
        None, description="'Today' for relative times in the query: unix seconds or ISO-8601; default: now"
    )
    keyword_search: bool | None = Field(None, description="Fuse full-text matches in (hybrid); absent: the default")
    fields: list[str] | None = None
    show_expired: bool = False
    output_format: str | None = None


class ListBody(ScopeIds):
    filters: dict[str, Any] | None = None
    categories: list[str] | None = None
    keywords: str | None = Field(None, description="Only memories whose text contains this (case-insensitive)")
    start_date: str | None = None
    end_date: str | None = None
    show_expired: bool = False
    page: int | None = None
    page_size: int | None = None


class UpdateBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    text: str | None = None
    metadata: dict[str, Any] | None = None
    timestamp: int | float | str | None = Field(None, description="New creation time: unix seconds or ISO-8601")
    expiration_date: str | None = None


class BatchUpdateItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    memory_id: str
    text: str | None = None
    metadata: dict[str, Any] | None = None


class BatchUpdateBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    memories: list[BatchUpdateItem]
    request_id: str | None = Field(
        None, description="Idempotency key (also the Idempotency-Key header): a repeat within 24 h replays the result"
    )


class BatchDeleteItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    memory_id: str


class BatchDeleteBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    memories: list[BatchDeleteItem | str]
    request_id: str | None = Field(
        None, description="Idempotency key (also the Idempotency-Key header): a repeat within 24 h replays the result"
    )


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    memory_id: str
    feedback: str | None = Field(None, description="POSITIVE, NEGATIVE, VERY_NEGATIVE or null")
    feedback_reason: str | None = None


class EntityBody(BaseModel):
    """`POST /v1/users/` and friends: the id under its Mem0 name (`user_id`, ...) or as `name`."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    user_id: str | None = None
    agent_id: str | None = None
    app_id: str | None = None
    run_id: str | None = None
    metadata: dict[str, Any] | None = None


PROJECT_SETTING_KEYS = ("multilingual", "decay", "memory_depth", "usecase_setting", "agent_custom_instructions")


class ProjectBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str | None = None
    description: str | None = None
    custom_instructions: str | None = None
    custom_categories: list[dict[str, str]] | dict[str, str] | None = None
    multilingual: bool | None = None
    decay: bool | None = None
    memory_depth: str | None = None
    usecase_setting: str | None = None
    agent_custom_instructions: str | None = None


class MemberBody(BaseModel):
    """`POST` / `PUT …/members/`: `{"email": ..., "role": "READER" | "OWNER"}` (case-insensitive)."""

    model_config = ConfigDict(extra="allow")

    email: str = Field(..., description="The member's e-mail address")
    role: MemberRole | None = Field(None, description="READER or OWNER; adding without a role means READER")

    @field_validator("role", mode="before")
    @classmethod
    def _known_role(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str) or value.upper() not in MemberRole.__members__:
            raise ValueError("must be READER or OWNER")
        return value.upper()


class WebhookBody(BaseModel):
    """`POST /api/v1/webhooks/projects/{project_id}/` (`url`, `name`, `event_types` required) and
    `PUT /api/v1/webhooks/{webhook_id}/` (any of them, plus `is_active`)."""

    model_config = ConfigDict(extra="allow")

    url: str | None = Field(None, description="The http(s) URL events are POSTed to")
    name: str | None = Field(None, description="Display name")
    event_types: list[str] | None = Field(
        None, description="memory_add, memory_update, memory_delete and/or memory_categorize"
    )
    is_active: bool | None = Field(None, description="Turn deliveries on or off (update only)")


class ExportBody(BaseModel):
    """`POST /v1/exports/`: the schema (a JSON string, as the Python SDK sends it, or an object) and filters."""

    model_config = ConfigDict(extra="allow")

    schema_: str | dict[str, Any] | None = Field(None, alias="schema")
    filters: dict[str, Any] | None = None


class ExportGetBody(BaseModel):
    """`POST /v1/exports/get/`: a stored export by id, or (without an id) the memories under `filters` now."""

    model_config = ConfigDict(extra="allow")

    memory_export_id: str | None = None
    filters: dict[str, Any] | None = None


class SummaryBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    filters: dict[str, Any] | None = None
