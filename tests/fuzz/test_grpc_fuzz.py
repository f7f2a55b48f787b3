"""Hypothesis-generated requests to every RPC: the public MemoryService and the internal services.

Requests are built from the message descriptors (tests/fuzz/proto_strategies.py). No answer may be INTERNAL or
UNKNOWN (or UNAVAILABLE / DEADLINE_EXCEEDED, which would mean a crash or a hang), and every error must carry a
message. The sentinel memory of another project must come out unchanged.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import grpc
import pytest
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message_factory import GetMessageClass
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from memgrid.common.v1 import common_pb2
from memgrid.extraction.v1 import extraction_service_pb2
from memgrid.memory.v1 import memory_service_pb2
from memgrid.metadata.v1 import metadata_service_pb2
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2
from tests.fuzz.conftest import FUZZ_KEY, FUZZ_ORG, FUZZ_PROJECT, Sentinel, fuzz_cases, fuzz_timeout
from tests.fuzz.proto_strategies import ProtoStrategies
from tests.support.stack import InProcessStack

PUBLIC = memory_service_pb2.DESCRIPTOR.services_by_name["MemoryService"]
INTERNAL = [
    metadata_service_pb2.DESCRIPTOR.services_by_name["MetadataService"],
    vectorsearch_service_pb2.DESCRIPTOR.services_by_name["VectorSearchService"],
    extraction_service_pb2.DESCRIPTOR.services_by_name["ExtractionService"],
]
# A crash (INTERNAL, UNKNOWN), a dead or hung server (UNAVAILABLE, DEADLINE_EXCEEDED) or lost data.
BAD_CODES = {
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.DATA_LOSS,
}
FUZZ_TENANT = common_pb2.Tenant(org_id=FUZZ_ORG, project_id=FUZZ_PROJECT)


@dataclass
class Findings:
    codes: Counter = field(default_factory=Counter)
    problems: dict[tuple[str, str], str] = field(default_factory=dict)


def _call(channel: grpc.Channel, method: MethodDescriptor, request: object, metadata: list) -> grpc.StatusCode:
    path = f"/{method.containing_service.full_name}/{method.name}"
    response_type = GetMessageClass(method.output_type)
    # Raw bytes go out as they are: they need not parse as the request type at all.
    serializer = _as_is if isinstance(request, bytes) else GetMessageClass(method.input_type).SerializeToString
    try:
        if method.server_streaming:
            stream = channel.unary_stream(
                path, request_serializer=serializer, response_deserializer=response_type.FromString
            )
            for _ in stream(request, metadata=metadata, timeout=60):
                pass
        else:
            unary = channel.unary_unary(
                path, request_serializer=serializer, response_deserializer=response_type.FromString
            )
            unary(request, metadata=metadata, timeout=60)
    except grpc.RpcError as error:
        if error.code() in BAD_CODES or not (error.details() or "").strip():
            raise _Problem(error.code(), error.details() or "") from None
        return error.code()
    return grpc.StatusCode.OK


def _as_is(data: bytes) -> bytes:
    return data


class _Problem(Exception):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details[:200] or '(no message)'}")
        self.code = code


def run_grpc_fuzz(targets: dict[str, str], cases: int, strings: list[str]) -> Findings:
    strategies = ProtoStrategies(strings, also={"memgrid.common.v1.Tenant": [FUZZ_TENANT]})
    methods = [method for service in [PUBLIC, *INTERNAL] for method in service.methods]
    # One call in ten sends arbitrary bytes instead of a message.
    calls = st.sampled_from(methods).flatmap(
        lambda method: st.tuples(
            st.just(method),
            st.one_of(*[strategies.message(method.input_type)] * 9, st.binary(max_size=64)),
        )
    )
    channels = {name: grpc.insecure_channel(target) for name, target in targets.items()}
    findings = Findings()

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(call=calls)
    def exercise(call: tuple[MethodDescriptor, object]) -> None:
        method, request = call
        service = method.containing_service.full_name
        metadata = [("authorization", f"Token {FUZZ_KEY}")] if service == PUBLIC.full_name else []
        label = f"{method.containing_service.name}.{method.name}"
        try:
            code = _call(channels[service], method, request, metadata)
        except _Problem as problem:
            findings.codes[(label, problem.code.name)] += 1
            findings.problems.setdefault((label, str(problem)), repr(request)[:1500])
            return
        findings.codes[(label, code.name)] += 1

    try:
        exercise()
    finally:
        for channel in channels.values():
            channel.close()
    return findings


@pytest.mark.timeout(fuzz_timeout())
async def test_grpc_fuzz_finds_no_internal_errors(
    fuzz_stack: InProcessStack, sentinel: Sentinel, seed_ids: list[str]
) -> None:
    cases = fuzz_cases()
    targets = {
        PUBLIC.full_name: fuzz_stack.grpc_target,
        INTERNAL[0].full_name: fuzz_stack.metadata_target,
        INTERNAL[1].full_name: fuzz_stack.vectorsearch_target,
        INTERNAL[2].full_name: fuzz_stack.extraction_target,
    }
    strings = [*seed_ids, FUZZ_ORG, FUZZ_PROJECT]
    findings = await asyncio.to_thread(run_grpc_fuzz, targets, cases, strings)

    total = sum(findings.codes.values())
    by_code = Counter()
    for (_, code), count in findings.codes.items():
        by_code[code] += count
    answered_ok = {label for (label, code) in findings.codes if code == "OK"}
    print(f"\ngRPC fuzz: {total} calls, codes {dict(sorted(by_code.items()))}")
    print(f"RPCs answered OK at least once: {len(answered_ok)} of {len({k[0] for k in findings.codes})}")
    for (label, problem), request in findings.problems.items():
        print(f"PROBLEM {label}: {problem}\n    request: {request}")
    assert total >= cases
    assert not findings.problems, f"{len(findings.problems)} distinct problems (printed above)"
    await sentinel.assert_intact()
