"""`make k8s-validate`: render k8s/ (base and every overlay) and validate every object offline.

Built-in kinds are checked against the strict OpenAPI schemas of KUBERNETES_VERSION that kubernetes-validate
ships (unknown fields fail; loaded once, every error reported); custom resources against
tools/k8s_crd_schemas.py. Then memgrid's own rules
(`check_policies`): probes, limits, hardened security contexts, grace above the drain, named ports, image
tags, resolvable ConfigMap/Secret references. Prints a summary; exits 1 on any error.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from referencing import Registry, Resource

from tools.k8s_crd_schemas import CRD_SCHEMAS
from tools.kustomize_lite import KustomizeError, pod_spec, render, split_image

KUBERNETES_VERSION = "1.34.0"
ROOT = Path(__file__).resolve().parent.parent
K8S_DIR = ROOT / "k8s"
TARGETS = ("base", "overlays/dev", "overlays/prod")
PART_OF = "app.kubernetes.io/part-of"
COMPONENT = "app.kubernetes.io/component"
MEMGRID = "memgrid"
CONFIG_MAP = "memgrid-config"
DRAIN_KEY = "MEMGRID_SHUTDOWN_DRAIN_DELAY_SECONDS"
GRACE_KEY = "MEMGRID_SHUTDOWN_GRACE_SECONDS"
# Seconds granted on top of drain + grace for closing channels and engines after the gRPC server stops.
SHUTDOWN_SLACK_SECONDS = 5
PLACEHOLDER = "placeholder"
# Secrets an overlay references but does not render, and who creates them (docs/deploy.md "Secrets").
EXTERNAL_SECRETS = {
    "base": {"memgrid-secrets": "an overlay provides it"},
    "overlays/dev": {},
    "overlays/prod": {
        "memgrid-secrets": "created out of band (External Secrets, sealed-secrets or kubectl create secret)",
        "memgrid-pg-app": "created by CloudNativePG for the Cluster memgrid-pg",
    },
}


@dataclass(frozen=True, slots=True)
class Problem:
    target: str
    obj: str
    message: str

    def __str__(self) -> str:
        return f"{self.target}: {self.obj}: {self.message}"


def describe(obj: dict[str, Any]) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


# The schema file's apiVersion part: rbac.authorization.k8s.io/v1 -> rbac-v1, apps/v1 -> apps-v1, v1 -> v1.
API_GROUP_PREFIX = re.compile(r"^([^./]*)(?:\.[^/]*)?/")
SCHEMA_DIR = (
    Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{KUBERNETES_VERSION}-local-strict"
)


def schema_errors(obj: dict[str, Any]) -> list[str]:
    """Schema violations of one object (empty when valid): every error, each with its path."""
    validator = _validator(str(obj.get("apiVersion")), str(obj.get("kind")))
    if validator is None:
        return [f"no schema for {obj.get('kind')} {obj.get('apiVersion')} in Kubernetes {KUBERNETES_VERSION}"]
    return [f"{_path(e.absolute_path)}: {e.message}" for e in validator.iter_errors(obj)]


@functools.cache
def _definitions() -> Registry:
    return Resource.from_contents(json.loads((SCHEMA_DIR / "_definitions.json").read_text())) @ Registry()


@functools.cache
def _validator(api_version: str, kind: str) -> jsonschema.Draft202012Validator | None:
    """kubernetes-validate's strict schema of a built-in kind (loaded once), or ours of a custom resource.
    Same file layout and draft as kubernetes_validate.validate(), which re-reads 1.5 MB of definitions per
    object and stops at the first error."""
    crd_schema = CRD_SCHEMAS.get((api_version, kind))
    if crd_schema is not None:
        return jsonschema.Draft202012Validator(crd_schema)
    version_part = API_GROUP_PREFIX.sub(r"\1-", api_version)
    file = SCHEMA_DIR / f"{kind.lower()}-{version_part}.json"
    if not file.is_file():
        return None
    schema = json.loads(file.read_text())
    return jsonschema.Draft202012Validator(schema, registry=Resource.from_contents(schema) @ _definitions())


def _path(parts: Any) -> str:
    return ".".join(str(p) for p in parts) or "<root>"


def memgrid_workloads(objects: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for obj in objects:
        if obj["metadata"].get("labels", {}).get(PART_OF) == MEMGRID and pod_spec(obj) is not None:
            yield obj


def config_values(objects: list[dict[str, Any]]) -> dict[str, str]:
    for obj in objects:
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == CONFIG_MAP:
            return {str(k): str(v) for k, v in obj.get("data", {}).items()}
    return {}


def container_env(container: dict[str, Any], objects: list[dict[str, Any]]) -> dict[str, str]:
    """The literal env of a container: envFrom ConfigMaps (rendered) overlaid with its `value` entries."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        name = source.get("configMapRef", {}).get("name")
        for obj in objects:
            if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == name:
                env.update({str(k): str(v) for k, v in obj.get("data", {}).items()})
    env.update({e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e})
    return env


def check_policies(target: str, objects: list[dict[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    rendered_names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    external = EXTERNAL_SECRETS.get(target, {})
    for obj in objects:
        pod = pod_spec(obj)
        if pod is not None:
            problems += [Problem(target, describe(obj), m) for m in _image_problems(pod)]
            problems += [Problem(target, describe(obj), m) for m in _reference_problems(pod, rendered_names, external)]
        if obj["kind"] == "Service":
            for port in obj["spec"].get("ports", []):
                if not port.get("name"):
                    problems.append(Problem(target, describe(obj), f"port {port.get('port')} has no name"))
                elif port.get("appProtocol") == "grpc" and not port["name"].startswith("grpc"):
                    problems.append(Problem(target, describe(obj), f"gRPC port {port['name']} is not named grpc*"))
        if obj["kind"] == "ConfigMap" and target != "base":
            for key, value in obj.get("data", {}).items():
                if PLACEHOLDER in str(value):
                    problems.append(Problem(target, describe(obj), f"{key} is still a placeholder"))
    for obj in memgrid_workloads(objects):
        problems += [Problem(target, describe(obj), m) for m in workload_problems(obj, objects)]
    return problems


def _image_problems(pod: dict[str, Any]) -> list[str]:
    problems = []
    for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
        _, tag, digest = split_image(container.get("image", ""))
        if not digest and (tag is None or tag == "latest"):
            problems.append(f"container {container['name']}: image {container.get('image')!r} has no fixed tag")
    return problems


def _reference_problems(pod: dict[str, Any], rendered: set[tuple[str, str]], external: dict[str, str]) -> list[str]:
    problems = []
    for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
        refs = [("ConfigMap", s["configMapRef"]) for s in container.get("envFrom", []) if "configMapRef" in s]
        refs += [("Secret", s["secretRef"]) for s in container.get("envFrom", []) if "secretRef" in s]
        for env in container.get("env", []):
            source = env.get("valueFrom", {})
            if "secretKeyRef" in source:
                refs.append(("Secret", source["secretKeyRef"]))
            if "configMapKeyRef" in source:
                refs.append(("ConfigMap", source["configMapKeyRef"]))
        for kind, ref in refs:
            if (kind, ref["name"]) not in rendered and not (kind == "Secret" and ref["name"] in external):
                problems.append(f"container {container['name']}: {kind} {ref['name']} is neither rendered nor listed")
    for volume in pod.get("volumes", []):
        if "configMap" in volume and ("ConfigMap", volume["configMap"]["name"]) not in rendered:
            problems.append(f"volume {volume['name']}: ConfigMap {volume['configMap']['name']} is not rendered")
    return problems


def workload_problems(obj: dict[str, Any], objects: list[dict[str, Any]]) -> list[str]:
    """memgrid's rules for one of its Deployments or Jobs."""
    pod = pod_spec(obj) or {}
    problems = []
    pod_security = pod.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True or not pod_security.get("runAsUser"):
        problems.append("pod securityContext needs runAsNonRoot: true and a non-zero runAsUser")
    if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append("pod securityContext needs seccompProfile RuntimeDefault")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append("automountServiceAccountToken must be false (memgrid never calls the Kubernetes API)")
    for container in pod.get("containers", []):
        where = f"container {container['name']}"
        security = container.get("securityContext", {})
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation must be false")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem must be true")
        if "ALL" not in security.get("capabilities", {}).get("drop", []):
            problems.append(f"{where}: capabilities must drop ALL")
        if "/tmp" not in {m["mountPath"] for m in container.get("volumeMounts", [])}:
            problems.append(f"{where}: /tmp needs a writable volume under a read-only root filesystem")
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            missing = {"cpu", "memory"} - set(resources.get(kind, {}))
            if missing:
                problems.append(f"{where}: resources.{kind} lacks {sorted(missing)}")
        if obj["kind"] == "Deployment":
            for probe in ("readinessProbe", "livenessProbe"):
                if "grpc" not in container.get(probe, {}):
                    problems.append(f"{where}: {probe} must be a native gRPC probe")
            env = container_env(container, objects)
            try:
                needed = float(env[DRAIN_KEY]) + float(env[GRACE_KEY]) + SHUTDOWN_SLACK_SECONDS
            except (KeyError, ValueError):
                problems.append(f"{where}: {DRAIN_KEY} and {GRACE_KEY} must be set")
                continue
            grace = pod.get("terminationGracePeriodSeconds", 30)
            if grace < needed:
                problems.append(f"{where}: terminationGracePeriodSeconds {grace} < drain + grace + slack {needed:g}")
    return problems


def validate_target(target: str, k8s_dir: Path = K8S_DIR) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Render one target and return its objects and every problem found."""
    try:
        objects = render(k8s_dir / target)
    except (KustomizeError, OSError, ValueError) as error:
        return [], [Problem(target, "<render>", str(error))]
    problems = [Problem(target, describe(o), m) for o in objects for m in schema_errors(o)]
    return objects, problems + check_policies(target, objects)


def main() -> int:
    total_objects = 0
    all_problems: list[Problem] = []
    print(f"k8s-validate: Kubernetes {KUBERNETES_VERSION} schemas (strict), CRDs: {len(CRD_SCHEMAS)} own schemas")
    for target in TARGETS:
        objects, problems = validate_target(target)
        kinds = Counter(o["kind"] for o in objects)
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        print(f"  {target}: {len(objects)} objects ({summary}) — {len(problems)} errors")
        total_objects += len(objects)
        all_problems += problems
    for problem in all_problems:
        print(f"ERROR {problem}")
    print(f"k8s-validate: {len(TARGETS)} targets, {total_objects} objects, {len(all_problems)} errors")
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main())
