"""Proto ↔ domain mapping specific to the metadata service (the shared parts live in libs.mappers)."""

from __future__ import annotations

import uuid

from libs import mappers
from libs.domain import ApiKeyInfo, MemoryPatch, NewMemory
from libs.errors import InvalidArgument
from memgrid.metadata.v1 import metadata_service_pb2 as pb


def new_memory_from_proto(message: pb.NewMemory, index: int) -> NewMemory:
    where = f"memories[{index}]"
    return NewMemory(
        id=message.id or str(uuid.uuid4()),
        text=message.text,
        scope=mappers.scope_from_proto(message.scope),
        metadata=mappers.struct_from_proto(message.metadata, present=message.HasField("metadata")),
        categories=list(message.categories),
        immutable=message.immutable,
        expiration_date=mappers.date_from_text(message.expiration_date, f"{where}.expiration_date"),
        created_at=mappers.timestamp_from_proto(
            message.created_at, present=message.HasField("created_at"), field=f"{where}.created_at"
        ),
        actor_id=message.actor_id or None,
        role=mappers.role_from_proto(message.role),
        source_message_ids=list(message.source_message_ids),
    )


def patch_from_proto(message: pb.MemoryPatch, index: int) -> MemoryPatch:
    where = f"patches[{index}]"
    if not message.memory_id:
        raise InvalidArgument(f"{where}.memory_id: must not be empty", field=f"{where}.memory_id")
    expiration = message.WhichOneof("expiration")
    return MemoryPatch(
        memory_id=message.memory_id,
        text=message.text if message.HasField("text") else None,
        metadata=mappers.struct_from_proto(message.metadata, present=message.HasField("metadata")),
        expiration_date=(
            mappers.date_from_text(message.expiration_date, f"{where}.expiration_date")
            if expiration == "expiration_date"
            else None
        ),
        clear_expiration_date=expiration == "clear_expiration_date" and message.clear_expiration_date,
        created_at=mappers.timestamp_from_proto(
            message.created_at, present=message.HasField("created_at"), field=f"{where}.created_at"
        ),
        respect_immutable=message.respect_immutable,
        add_source_message_ids=list(message.add_source_message_ids),
    )


def api_key_to_proto(info: ApiKeyInfo) -> pb.ApiKeyInfo:
    message = pb.ApiKeyInfo(
        key_id=info.key_id,
        tenant=mappers.tenant_to_proto(info.tenant),
        name=info.name,
        prefix=info.prefix,
        created_at=mappers.timestamp_to_proto(info.created_at),
        role=mappers.MEMBER_ROLE_TO_PROTO[info.role],
        member_email=info.member_email or "",
    )
    if info.revoked_at is not None:
        message.revoked_at.CopyFrom(mappers.timestamp_to_proto(info.revoked_at))
    return message
