"""Input limits of the public API (REST and gRPC alike), each checked by one method here.

Configured with MEMGRID_LIMITS__<NAME> env vars (e.g. MEMGRID_LIMITS__MAX_TOP_K=200). The orchestrator runs the
checks, so both surfaces share them; the filter parsers take `max_filter_depth` from here. A request over a
limit gets INVALID_ARGUMENT / HTTP 400 with a message naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gateway.commands import DEFAULT_PAGE_SIZE, DEFAULT_TOP_K
from libs import domain
from libs.errors import InvalidArgument
from libs.filters import MAX_SUPPORTED_FILTER_DEPTH

# A message id (kept as provenance on the memories it produced) fits the store's name columns.
MAX_MESSAGE_ID_CHARS = 255


class InputLimits(BaseModel):
    model_config = ConfigDict(frozen=True)

    # Characters in one message's content, a memory's text (update) and a search query.
    max_text_chars: int = Field(100_000, ge=1)
    # Messages in one add call.
    max_messages_per_add: int = Field(1000, ge=1)
    # Results of one search (the default top_k is 10).
    max_top_k: int = Field(1000, ge=DEFAULT_TOP_K, le=domain.MAX_VECTOR_HITS)
    # Items of one page of memories, entities or events (the default page size is 100), and the last page number.
    max_page_size: int = Field(1000, ge=DEFAULT_PAGE_SIZE)
    max_page: int = Field(1_000_000, ge=1, le=2**31 - 1)
    # Memories in one batch update or batch delete.
    max_batch_items: int = Field(1000, ge=1)
    # Nesting of a metadata object ({"a": 1} is 1 level, {"a": {"b": 1}} is 2) and its size as UTF-8 JSON.
    max_metadata_depth: int = Field(8, ge=1)
    max_metadata_bytes: int = Field(64 * 1024, ge=2)
    # Nesting of a filter: AND/OR/NOT operators and nested metadata keys each add a level.
    max_filter_depth: int = Field(16, ge=1, le=MAX_SUPPORTED_FILTER_DEPTH // 2)

    def text(self, value: str, field: str) -> None:
        if len(value) > self.max_text_chars:
            raise InvalidArgument(f"{field}: at most {self.max_text_chars} characters, got {len(value)}", field=field)

    def messages(self, messages: Sequence[domain.Message]) -> None:
        if len(messages) > self.max_messages_per_add:
            raise InvalidArgument(
                f"messages: at most {self.max_messages_per_add} messages per add, got {len(messages)}",
                field="messages",
            )
        for index, message in enumerate(messages):
            self.text(message.content, f"messages[{index}].content")
            if message.id is not None and len(message.id) > MAX_MESSAGE_ID_CHARS:
                raise InvalidArgument(
                    f"messages[{index}].id: at most {MAX_MESSAGE_ID_CHARS} characters, got {len(message.id)}",
                    field=f"messages[{index}].id",
                )

    def top_k(self, value: int) -> None:
        if not 1 <= value <= self.max_top_k:
            raise InvalidArgument(f"top_k: must be between 1 and {self.max_top_k}, got {value}", field="top_k")

    def page(self, page: int, page_size: int) -> None:
        if not 1 <= page <= self.max_page:
            raise InvalidArgument(f"page: must be between 1 and {self.max_page}, got {page}", field="page")
        if not 1 <= page_size <= self.max_page_size:
            raise InvalidArgument(
                f"page_size: must be between 1 and {self.max_page_size}, got {page_size}", field="page_size"
            )

    def batch(self, items: Sequence[object], field: str) -> None:
        if not items:
            raise InvalidArgument(f"{field}: at least one item is required", field=field)
        if len(items) > self.max_batch_items:
            raise InvalidArgument(
                f"{field}: at most {self.max_batch_items} items per batch, got {len(items)}", field=field
            )

    def metadata(self, value: dict[str, Any] | None, field: str = "metadata") -> None:
        if value is None:
            return
        depth = _depth(value)
        if depth > self.max_metadata_depth:
            raise InvalidArgument(
                f"{field}: nests {depth} levels, at most {self.max_metadata_depth} are allowed", field=field
            )
        try:
            size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode())
        except ValueError:
            raise InvalidArgument(f"{field}: numbers must be finite (no NaN or Infinity)", field=field) from None
        if size > self.max_metadata_bytes:
            raise InvalidArgument(
                f"{field}: {size} bytes as JSON, at most {self.max_metadata_bytes} are allowed", field=field
            )


def _depth(value: Any) -> int:
    """Levels of objects and lists: a scalar is 0, {"a": 1} is 1, {"a": [1]} is 2."""
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    return 0
