"""The ghz configs call real MemoryService methods with request data that parses into their request types."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from google.protobuf import json_format

from memgrid.memory.v1 import memory_service_pb2 as pb

GHZ_DIR = Path(__file__).resolve().parents[2] / "bench" / "ghz"
# Stand-ins for what ghz renders from its templates.
TEMPLATE = re.compile(r"\{\{[^}]*\}\}")


@pytest.mark.parametrize("name", ["ping", "search", "add"])
def test_config_matches_the_contract(name: str) -> None:
    config = json.loads((GHZ_DIR / f"{name}.json").read_text())
    service_name, method = config["call"].rsplit(".", 1)
    descriptor = pb.DESCRIPTOR.services_by_name["MemoryService"]
    assert service_name == descriptor.full_name
    method_descriptor = descriptor.methods_by_name[method]
    rendered = TEMPLATE.sub("00042", json.dumps(config["data"]))
    request_class = getattr(pb, method_descriptor.input_type.name)
    request = json_format.Parse(rendered, request_class())
    assert config["metadata"]["authorization"] == "Token ${MEMGRID_API_KEY}"
    assert config["insecure"] is True and config["host"] == "127.0.0.1:50051"
    if name == "search":
        assert request.filter.condition.field == "user_id" and request.top_k == 10
    if name == "add":
        assert not request.infer and request.scope.user_id.startswith("user-00")
