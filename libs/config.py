"""Settings shared by every service. Read from MEMGRID_* env vars only when a settings object is built."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.observability.settings import MetricsSettings, TracingSettings

DEFAULT_EXTRACTION_PORT = 50061
DEFAULT_VECTORSEARCH_PORT = 50062
DEFAULT_METADATA_PORT = 50063
DEFAULT_GRPC_PORT = 50051
DEFAULT_HTTP_PORT = 8000


class TlsSettings(BaseModel):
    """Mutual TLS on the internal hops (gateway and CLI → metadata, vectorsearch, extraction).

    Off unless all three files are given (MEMGRID_INTERNAL_TLS__CERT_FILE, __KEY_FILE, __CA_FILE). Servers
    present cert_file and, with require_client_auth, refuse clients without a certificate signed by ca_file;
    clients present cert_file and trust only servers whose certificate ca_file signed.
    """

    # This process's certificate (PEM, chain allowed).
    cert_file: Path | None = None
    # Its private key (PEM).
    key_file: Path | None = None
    # The CA that signs every memgrid certificate (PEM).
    ca_file: Path | None = None
    # Servers only: refuse a client that presents no certificate signed by ca_file.
    require_client_auth: bool = True
    # Clients only: the name expected in the servers' certificates when it is not the host dialled.
    server_name: str | None = None

    @model_validator(mode="after")
    def _all_or_nothing(self) -> TlsSettings:
        given = [self.cert_file, self.key_file, self.ca_file]
        if any(given) and not all(given):
            raise ValueError("internal_tls: set cert_file, key_file and ca_file together (or none of them)")
        return self

    @property
    def enabled(self) -> bool:
        return self.cert_file is not None


class BaseServiceSettings(BaseSettings):
    """Fields every service has. Subclasses add their own; env vars use the MEMGRID_ prefix."""

    model_config = SettingsConfigDict(env_prefix="MEMGRID_", env_nested_delimiter="__", extra="ignore")

    host: str = "127.0.0.1"
    data_dir: Path = Path(".memgrid")
    log_format: Literal["console", "json"] = "console"
    log_level: str = "info"
    # Seconds in-flight RPCs get to finish after SIGTERM.
    shutdown_grace_seconds: float = 5.0
    # Seconds between reporting NOT_SERVING on SIGTERM and refusing new calls, so load balancers and
    # Kubernetes endpoints stop routing here first (in-flight calls then get shutdown_grace_seconds).
    shutdown_drain_delay_seconds: float = 0.0
    # Optional mutual TLS between the gateway (and CLI) and the internal services.
    internal_tls: TlsSettings = TlsSettings()
    # Prometheus metrics (MEMGRID_METRICS__ENABLED, MEMGRID_METRICS__PORT): see libs/observability/settings.py.
    metrics: MetricsSettings = MetricsSettings()
    # OpenTelemetry tracing (MEMGRID_TRACING__ENABLED, __EXPORTER, __OTLP_ENDPOINT, __SERVICE_NAME).
    tracing: TracingSettings = TracingSettings()
