"""The contract: every RPC in every descriptor is implemented, and the committed stubs match protos/."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf.descriptor import FileDescriptor

from gateway.grpc_api.servicer import MemoryServicer
from memgrid.extraction.v1 import extraction_service_pb2
from memgrid.memory.v1 import memory_service_pb2
from memgrid.metadata.v1 import metadata_service_pb2
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2
from services.extraction.servicer import ExtractionServicer
from services.metadata.servicer import MetadataServicer
from services.vectorsearch.servicer import VectorSearchServicer

ROOT = Path(__file__).resolve().parents[2]

IMPLEMENTATIONS: list[tuple[FileDescriptor, str, type]] = [
    (memory_service_pb2.DESCRIPTOR, "MemoryService", MemoryServicer),
    (extraction_service_pb2.DESCRIPTOR, "ExtractionService", ExtractionServicer),
    (metadata_service_pb2.DESCRIPTOR, "MetadataService", MetadataServicer),
    (vectorsearch_service_pb2.DESCRIPTOR, "VectorSearchService", VectorSearchServicer),
]


@pytest.mark.parametrize(("descriptor", "service", "servicer"), IMPLEMENTATIONS, ids=[i[1] for i in IMPLEMENTATIONS])
def test_every_rpc_is_implemented(descriptor: FileDescriptor, service: str, servicer: type) -> None:
    methods = [method.name for method in descriptor.services_by_name[service].methods]
    generated_base = servicer.__mro__[1]
    missing = [name for name in methods if getattr(servicer, name) is getattr(generated_base, name, None)]
    assert not missing, f"{servicer.__name__} does not implement {missing}"


def test_every_rpc_has_its_own_request_and_response() -> None:
    for descriptor, service, _ in IMPLEMENTATIONS:
        for method in descriptor.services_by_name[service].methods:
            assert method.input_type.name == f"{method.name}Request", method.full_name
            assert method.output_type.name == f"{method.name}Response", method.full_name


def test_enums_start_with_unspecified() -> None:
    from memgrid.common.v1 import common_pb2

    for module in (common_pb2, memory_service_pb2):
        for enum in module.DESCRIPTOR.enum_types_by_name.values():
            assert enum.values[0].number == 0 and enum.values[0].name.endswith("_UNSPECIFIED"), enum.name


def test_committed_stubs_match_the_protos(tmp_path: Path) -> None:
    protos = sorted(str(p.relative_to(ROOT / "protos")) for p in (ROOT / "protos").rglob("*.proto"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-Iprotos",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            f"--grpc_python_out={tmp_path}",
            *[f"protos/{p}" for p in protos],
        ],
        cwd=ROOT,
        check=True,
    )
    fresh = sorted(p.relative_to(tmp_path) for p in (tmp_path / "memgrid").rglob("*.py*"))
    committed = sorted(p.relative_to(ROOT) for p in (ROOT / "memgrid").rglob("*.py*") if "__pycache__" not in p.parts)
    assert fresh == committed, "generated file set differs: run `make proto`"
    changed = [str(p) for p in fresh if not filecmp.cmp(tmp_path / p, ROOT / p, shallow=False)]
    assert not changed, f"stubs out of date (run `make proto`): {changed}"
