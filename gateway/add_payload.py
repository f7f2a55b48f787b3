"""An AddCommand as the JSON payload of a queued job (and back): what the worker runs is what was validated."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from gateway.commands import AddCommand
from libs import domain

# Bumped if the shape changes; a worker refuses a payload of a version it does not know.
PAYLOAD_VERSION = 1


def encode(command: AddCommand) -> str:
    return json.dumps(
        {
            "version": PAYLOAD_VERSION,
            "messages": [
                {"role": m.role.value, "content": m.content, "name": m.name, "id": m.id} for m in command.messages
            ],
            "scope": command.scope.as_dict(),
            "metadata": command.metadata,
            "infer": command.infer,
            "immutable": command.immutable,
            "expiration_date": command.expiration_date.isoformat() if command.expiration_date else None,
            "created_at": command.created_at.isoformat() if command.created_at else None,
            "custom_instructions": command.custom_instructions,
            "custom_categories": command.custom_categories,
            "includes": command.includes,
            "excludes": command.excludes,
            "categories": command.categories,
        },
        separators=(",", ":"),
    )


def decode(payload: str) -> AddCommand:
    """ValueError (or KeyError) when the payload is not one this version wrote."""
    data: dict[str, Any] = json.loads(payload)
    if data.get("version") != PAYLOAD_VERSION:
        raise ValueError(f"unknown add payload version {data.get('version')!r}")
    return AddCommand(
        messages=[
            domain.Message(domain.Role(m["role"]), m["content"], m["name"], m.get("id")) for m in data["messages"]
        ],
        scope=domain.Scope(**data["scope"]),
        metadata=data["metadata"],
        infer=data["infer"],
        immutable=data["immutable"],
        expiration_date=date.fromisoformat(data["expiration_date"]) if data["expiration_date"] else None,
        created_at=datetime.fromisoformat(data["created_at"]) if data["created_at"] else None,
        custom_instructions=data["custom_instructions"],
        custom_categories=data["custom_categories"],
        includes=data["includes"],
        excludes=data["excludes"],
        categories=data.get("categories", []),
    )
