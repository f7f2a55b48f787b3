"""`python -m services.metadata migrate` (the Kubernetes migrations Job) and start-up with auto-migrate off."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from libs.errors import FailedPrecondition
from libs.rpc.client import call, open_channel
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from memgrid.metadata.v1 import metadata_service_pb2_grpc
from services.metadata.server import start_service
from services.metadata.settings import MetadataSettings

from .conftest import service_settings

COMMAND_TIMEOUT_SECONDS = 120


def run_metadata_command(*args: str, database_url: str, data_dir: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MEMGRID_DATABASE_URL": database_url, "MEMGRID_DATA_DIR": data_dir}
    return subprocess.run(
        [sys.executable, "-m", "services.metadata", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )


async def test_without_auto_migrate_an_unmigrated_database_is_refused(tmp_path, database_url):
    settings = service_settings(tmp_path, database_url).model_copy(update={"auto_migrate": False})
    with pytest.raises(FailedPrecondition) as raised:
        await start_service(settings)
    assert raised.value.field == "database_url"
    assert "services.metadata migrate" in raised.value.message


async def test_migrate_command_prepares_the_database_for_a_service_that_does_not_migrate(tmp_path, database_url):
    # On PostgreSQL the Job gets the plain postgresql:// form CloudNativePG writes into its app Secret.
    plain_url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    done = run_metadata_command("migrate", database_url=plain_url, data_dir=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "database.migrated" in done.stdout + done.stderr

    settings = service_settings(tmp_path, database_url, api_keys="k-job=acme/app").model_copy(
        update={"auto_migrate": False}
    )
    service = await start_service(settings)
    channel = open_channel(f"127.0.0.1:{service.port}")
    try:
        stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
        auth = await call(stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key="k-job")))
        assert (auth.tenant.org_id, auth.tenant.project_id) == ("acme", "app")
    finally:
        await channel.close()
        await service.stop(0)


def test_an_unknown_command_is_refused_with_the_usage(tmp_path):
    done = run_metadata_command(
        "migrat", database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", data_dir=str(tmp_path)
    )
    assert done.returncode != 0
    assert "usage: python -m services.metadata [serve|migrate]" in done.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("scheme", ["postgresql://", "postgres://"])
def test_plain_postgres_urls_are_served_by_psycopg(scheme):
    settings = MetadataSettings(database_url=f"{scheme}u:p@db-rw.memgrid:5432/memgrid")
    assert settings.resolved_database_url() == "postgresql+psycopg://u:p@db-rw.memgrid:5432/memgrid"


def test_other_database_urls_are_kept_as_given(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    assert MetadataSettings(database_url=url).resolved_database_url() == url
