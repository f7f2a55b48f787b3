"""Settings shared by every service. Read from MEMGRID_* env vars only when a settings object is built."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EXTRACTION_PORT = 50061
DEFAULT_VECTORSEARCH_PORT = 50062
DEFAULT_METADATA_PORT = 50063
DEFAULT_GRPC_PORT = 50051
DEFAULT_HTTP_PORT = 8000


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
