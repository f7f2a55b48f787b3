"""One Prometheus registry per service with the metrics every memgrid service records, and its HTTP listener.

Labels carry only method names, route templates, status codes and fixed dependency/queue names: never a tenant,
user, API key or any request value (they would leak data and explode cardinality).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, start_http_server
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

# Seconds: from a cache hit (sub-millisecond) to an LLM call with retries.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


class ServiceMetrics:
    """The metric families of one service, registered in its own registry (never the global default one)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # process_cpu_seconds_total, process_resident_memory_bytes, ... of this process.
        ProcessCollector(registry=r)
        self.rpc_server_handled = Counter(
            "memgrid_rpc_server_handled", "gRPC calls served, by method and status code", ["method", "code"], registry=r
        )
        self.rpc_server_duration = Histogram(
            "memgrid_rpc_server_duration_seconds",
            "Time to serve one gRPC call, by method",
            ["method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rpc_client_duration = Histogram(
            "memgrid_rpc_client_duration_seconds",
            "Time of one outgoing gRPC call to another memgrid service, by method and status code",
            ["method", "code"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.http_requests = Counter(
            "memgrid_http_requests",
            "REST requests served, by HTTP method, route template and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "memgrid_http_request_duration_seconds",
            "Time to serve one REST request, by HTTP method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.dependency_duration = Histogram(
            "memgrid_dependency_duration_seconds",
            "Time spent in a dependency (llm, embedder, milvus, db), by operation and outcome (ok/error)",
            ["dependency", "operation", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        # Queues set their depth under their own label: queue_depth.labels("<queue>").set(n).
        self.queue_depth = Gauge(
            "memgrid_queue_depth", "Entries waiting in a work queue, by queue", ["queue"], registry=r
        )

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format (CONTENT_TYPE)."""
        return generate_latest(self.registry)


@dataclass(slots=True)
class MetricsListener:
    """A started metrics HTTP listener (a daemon thread answering GET /metrics)."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(metrics: ServiceMetrics, host: str, port: int) -> MetricsListener:
    """Serve the registry over HTTP on host:port (0 picks a free port) from a daemon thread."""
    server, thread = start_http_server(port, addr=host, registry=metrics.registry)
    return MetricsListener(server=server, thread=thread)
