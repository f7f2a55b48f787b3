"""`python -m bench.observability_overhead [--requests N] [--rounds R]`: what metrics and tracing cost a request.

Starts the in-process stack (hashing embedder, so the model does not drown the difference) once per setting —
telemetry off, metrics on (the default), metrics + tracing with spans made but not exported — loads a few
memories, then times N sequential REST searches and N sequential gRPC searches, R rounds, settings interleaved.
Prints p50/p95 per setting and surface in milliseconds. First it prints the cost of the recording itself: the
metrics of one RPC, and one client + server span pair with the traceparent going through metadata.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import timeit
from pathlib import Path

import grpc
import httpx
from google.protobuf import struct_pb2
from opentelemetry.trace import SpanKind

from libs.observability.metrics import ServiceMetrics
from libs.observability.settings import MetricsSettings, TracingSettings
from libs.observability.tracing import extract_metadata, inject_metadata, tracer_provider
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc
from tests.support.stack import start_stack

KEY = "bench-obs-key"
USER = "bench-user"
SETTINGS = {
    "off": (MetricsSettings(enabled=False), TracingSettings()),
    "metrics": (MetricsSettings(port=0), TracingSettings()),
    "metrics+tracing": (MetricsSettings(port=0), TracingSettings(enabled=True, exporter="none")),
}


async def measure(name: str, requests: int, data_dir: Path) -> tuple[list[float], list[float]]:
    metrics, tracing = SETTINGS[name]
    stack = await start_stack(data_dir, f"{KEY}=bench/obs", embedder="hashing", metrics=metrics, tracing=tracing)
    try:
        async with httpx.AsyncClient(base_url=stack.rest_url, headers={"Authorization": f"Token {KEY}"}) as http:
            for index in range(20):
                body = {
                    "messages": f"I like hobby number {index}.",
                    "user_id": USER,
                    "infer": False,
                    "async_mode": False,
                }
                (await http.post("/v3/memories/add/", json=body)).raise_for_status()
            search = {"query": "hobbies", "filters": {"user_id": USER}, "top_k": 5}
            rest = []
            for _ in range(requests):
                started = time.perf_counter()
                (await http.post("/v2/memories/search/", json=search)).raise_for_status()
                rest.append((time.perf_counter() - started) * 1000)
        user = struct_pb2.Value(string_value=USER)
        request = pb2.SearchMemoriesRequest(
            query="hobbies",
            top_k=5,
            filter=common_pb2.Filter(
                condition=common_pb2.FieldCondition(field="user_id", op=common_pb2.FILTER_OPERATOR_EQ, value=user)
            ),
        )
        rpc = []
        async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
            stub = pb2_grpc.MemoryServiceStub(channel)
            for _ in range(requests):
                started = time.perf_counter()
                await stub.SearchMemories(request, metadata=[("authorization", f"Token {KEY}")])
                rpc.append((time.perf_counter() - started) * 1000)
        return rest, rpc
    finally:
        await stack.stop()


def micro(calls: int = 20_000) -> None:
    metrics = ServiceMetrics()
    method = "/memgrid.metadata.v1.MetadataService/GetMemories"

    def record_rpc() -> None:
        metrics.rpc_server_handled.labels(method, "OK").inc()
        metrics.rpc_server_duration.labels(method).observe(0.001)

    tracer = tracer_provider(TracingSettings(enabled=True, exporter="none"), "bench").get_tracer("bench")

    def span_pair() -> None:
        metadata: list[tuple[str, str]] = []
        with tracer.start_as_current_span(method, kind=SpanKind.CLIENT):
            inject_metadata(metadata)
        with tracer.start_as_current_span(method, context=extract_metadata(metadata), kind=SpanKind.SERVER):
            pass

    for name, function in (("metrics of one RPC", record_rpc), ("client+server span pair", span_pair)):
        print(f"{name:<24} {timeit.timeit(function, number=calls) / calls * 1e6:8.1f} µs")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def main(requests: int, rounds: int) -> None:
    micro()
    samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in SETTINGS}
    for _ in range(rounds):
        for name in SETTINGS:
            with tempfile.TemporaryDirectory() as directory:
                rest, rpc = await measure(name, requests, Path(directory))
            samples[name][0].extend(rest)
            samples[name][1].extend(rpc)
    print(
        f"{'setting':<16} {'REST p50':>9} {'REST p95':>9} {'gRPC p50':>9} {'gRPC p95':>9}   (ms, n={requests * rounds})"
    )
    for name, (rest, rpc) in samples.items():
        print(
            f"{name:<16} {percentile(rest, 50):9.2f} {percentile(rest, 95):9.2f} "
            f"{percentile(rpc, 50):9.2f} {percentile(rpc, 95):9.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.observability_overhead")
    parser.add_argument("--requests", type=int, default=300, help="sequential searches per surface and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the settings are interleaved")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds))
