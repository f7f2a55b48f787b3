"""Settings of the metadata service (MEMGRID_* env vars, read only when MetadataSettings() is built)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from libs.config import DEFAULT_METADATA_PORT, BaseServiceSettings
from libs.domain import Tenant

DATABASE_FILE = "memgrid.db"
# Plain PostgreSQL URLs (as CloudNativePG writes them into its <cluster>-app Secret) are served by psycopg,
# the async driver memgrid ships; SQLAlchemy would otherwise pick psycopg2.
PLAIN_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
ASYNC_POSTGRES_SCHEME = "postgresql+psycopg://"


@dataclass(frozen=True, slots=True)
class BootstrapKey:
    """An API key given in configuration (`key=org/project`)."""

    api_key: str
    tenant: Tenant


class MetadataSettings(BaseServiceSettings):
    metadata_port: int = DEFAULT_METADATA_PORT
    # SQLAlchemy async URL; None means an SQLite file in data_dir.
    database_url: str | None = None
    # Migrate the schema to head at start-up. False (Kubernetes: a migrations Job runs first) only checks
    # that the schema is at head and refuses to start otherwise.
    auto_migrate: bool = True
    # Finished events, jobs and webhook deliveries are deleted this many days after they were written
    # (services/metadata/retention.py); 0 keeps them forever. A pass at start-up, then every interval.
    event_retention_days: float = Field(default=30.0, ge=0)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    # MEMGRID_API_KEYS: "key1=org1/projA,key2=org1/projB", upserted (hashed) at start-up. Checked by
    # bootstrap_keys() (called first thing by start_service), not by a pydantic validator, because pydantic
    # errors echo the input value, i.e. the keys.
    api_keys: str = Field(default="", repr=False)

    def resolved_database_url(self) -> str:
        """The database URL (postgresql:// served by psycopg); creates data_dir for the default SQLite file."""
        if self.database_url:
            for scheme in PLAIN_POSTGRES_SCHEMES:
                if self.database_url.startswith(scheme):
                    return ASYNC_POSTGRES_SCHEME + self.database_url.removeprefix(scheme)
            return self.database_url
        directory = self.data_dir.expanduser().resolve()
        directory.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{directory / DATABASE_FILE}"

    def bootstrap_keys(self) -> list[BootstrapKey]:
        """The configured keys; ValueError naming the bad entry (never echoing a key) when malformed."""
        return parse_bootstrap_keys(self.api_keys)


def parse_bootstrap_keys(text: str) -> list[BootstrapKey]:
    """Parse "key1=org1/projA,key2=org1/projB". Errors name the entry by position, never echo a key."""
    keys: list[BootstrapKey] = []
    for position, raw in enumerate(text.split(","), start=1):
        entry = raw.strip()
        if not entry:
            continue
        key, sep, target = entry.partition("=")
        org_id, slash, project_id = target.strip().partition("/")
        key, org_id, project_id = key.strip(), org_id.strip(), project_id.strip()
        if not sep or not slash or not key or not org_id or not project_id or "/" in project_id:
            raise ValueError(
                f"MEMGRID_API_KEYS entry {position} is malformed: expected key=org/project "
                "(entries separated by commas)"
            )
        keys.append(BootstrapKey(api_key=key, tenant=Tenant(org_id=org_id, project_id=project_id)))
    return keys
