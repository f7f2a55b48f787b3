"""k8s/: every target renders and validates offline (make k8s-validate), and memgrid's deployment rules hold."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import BaseModel

from gateway.settings import GatewaySettings
from services.extraction.settings import ExtractionSettings
from services.metadata.settings import MetadataSettings
from services.vectorsearch.settings import VectorSearchSettings
from tools.k8s_crd_schemas import CRD_SCHEMAS
from tools.k8s_validate import (
    K8S_DIR,
    KUBERNETES_VERSION,
    ROOT,
    TARGETS,
    check_policies,
    container_env,
    memgrid_workloads,
    schema_errors,
    validate_target,
    workload_problems,
)
from tools.kustomize_lite import KustomizeError, pod_spec, render, strategic_merge

SERVICES = ("gateway", "metadata", "vectorsearch", "extraction")
BACKENDS = ("metadata", "vectorsearch", "extraction")
OVERLAYS = ("overlays/dev", "overlays/prod")


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {target: render(K8S_DIR / target) for target in TARGETS}


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def deployments(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        o["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]: o
        for o in objects
        if o["kind"] == "Deployment"
    }


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_renders_and_validates_with_no_errors(target):
    objects, problems = validate_target(target)
    assert [str(p) for p in problems] == []
    assert set(deployments(objects)) == set(SERVICES)


def test_make_k8s_validate_prints_a_summary_and_exits_0():
    done = subprocess.run(
        [sys.executable, "-m", "tools.k8s_validate"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith(f"k8s-validate: {len(TARGETS)} targets,") and last.endswith(", 0 errors")


def test_an_unknown_field_in_a_manifest_fails_validation(tmp_path):
    tree = tmp_path / "k8s"
    shutil.copytree(K8S_DIR, tree)
    manifest = tree / "base" / "metadata.yaml"
    text = manifest.read_text()
    assert "  revisionHistoryLimit: 5\n" in text
    manifest.write_text(
        text.replace("  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 5\n  revisionHistoryLimt: 5\n")
    )
    for target in TARGETS:
        _, problems = validate_target(target, tree)
        assert any("revisionHistoryLimt" in p.message and p.obj == "Deployment/memgrid-metadata" for p in problems)


def test_an_unsupported_kustomization_field_fails_instead_of_being_ignored(tmp_path):
    tree = tmp_path / "k8s"
    shutil.copytree(K8S_DIR, tree)
    kustomization = tree / "overlays" / "dev" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "commonLabels:\n  team: memory\n")
    _, problems = validate_target("overlays/dev", tree)
    assert [p.obj for p in problems] == ["<render>"]
    assert "commonLabels" in problems[0].message


def test_our_schema_check_agrees_with_kubernetes_validate(rendered):
    """schema_errors() loads kubernetes-validate's schema files itself (once); its verdicts match the library's."""
    samples = {}
    for obj in rendered["overlays/dev"] + rendered["overlays/prod"]:
        if (obj["apiVersion"], obj["kind"]) not in CRD_SCHEMAS:
            samples.setdefault(obj["kind"], obj)
    assert {"Deployment", "Service", "NetworkPolicy", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= set(samples)
    for obj in samples.values():
        assert schema_errors(obj) == []
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        broken = copy.deepcopy(obj)
        broken["spec" if "spec" in broken else "metadata"]["unknownField"] = 1
        assert any("unknownField" in e for e in schema_errors(broken))
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_a_misspelt_custom_resource_field_fails(rendered):
    cluster = copy.deepcopy(find(rendered["overlays/prod"], "Cluster", "memgrid-pg"))
    assert schema_errors(cluster) == []
    cluster["spec"]["instance"] = 3
    assert any("instance" in e for e in schema_errors(cluster))


@pytest.mark.parametrize("target", TARGETS)
def test_every_deployment_has_grpc_probes_on_its_grpc_port_and_limits(rendered, target):
    for component, deployment in deployments(rendered[target]).items():
        (container,) = pod_spec(deployment)["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == ports["grpc"], (component, probe)
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), (component, kind)


@pytest.mark.parametrize("target", TARGETS)
def test_pods_run_as_the_image_user_with_a_read_only_root_and_no_capabilities(rendered, target):
    for workload in memgrid_workloads(rendered[target]):
        pod = pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's USER
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            volumes = {v["name"]: v for v in pod["volumes"]}
            assert "emptyDir" in volumes[mounts["/tmp"]] and "emptyDir" in volumes[mounts["/data"]]


@pytest.mark.parametrize("target", TARGETS)
def test_termination_grace_outlasts_the_drain_and_the_grace(rendered, target):
    for component, deployment in deployments(rendered[target]).items():
        (container,) = pod_spec(deployment)["containers"]
        env = container_env(container, rendered[target])
        drain = float(env["MEMGRID_SHUTDOWN_DRAIN_DELAY_SECONDS"])
        grace = float(env["MEMGRID_SHUTDOWN_GRACE_SECONDS"])
        assert drain > 0, component  # endpoints get time to drop the pod before it refuses calls
        assert pod_spec(deployment)["terminationGracePeriodSeconds"] > drain + grace, component


def test_the_policy_checker_catches_each_broken_rule(rendered):
    objects = rendered["overlays/prod"]
    deployment = find(objects, "Deployment", "memgrid-vectorsearch")
    assert workload_problems(deployment, objects) == []
    breakages = {
        "readinessProbe must be a native gRPC probe": lambda c, p: c.pop("readinessProbe"),
        "resources.limits lacks ['memory']": lambda c, p: c["resources"]["limits"].pop("memory"),
        "runAsNonRoot": lambda c, p: p["securityContext"].update(runAsNonRoot=False),
        "readOnlyRootFilesystem must be true": lambda c, p: c["securityContext"].pop("readOnlyRootFilesystem"),
        "capabilities must drop ALL": lambda c, p: c["securityContext"]["capabilities"].update(drop=[]),
        "terminationGracePeriodSeconds 20 <": lambda c, p: p.update(terminationGracePeriodSeconds=20),
    }
    for expected, breaking in breakages.items():
        broken = copy.deepcopy(deployment)
        pod = pod_spec(broken)
        breaking(pod["containers"][0], pod)
        problems = workload_problems(broken, objects)
        assert any(expected in p for p in problems), (expected, problems)


@pytest.mark.parametrize("target", TARGETS)
def test_every_service_port_is_named_and_grpc_ports_are_named_grpc(rendered, target):
    for service in (o for o in rendered[target] if o["kind"] == "Service"):
        for port in service["spec"]["ports"]:
            assert port["name"], service["metadata"]["name"]
            if port.get("appProtocol") == "grpc":
                assert port["name"] == "grpc"
    for component in SERVICES:
        names = {p["name"] for p in find(rendered[target], "Service", f"memgrid-{component}")["spec"]["ports"]}
        assert "grpc" in names
        assert ("http" in names) == (component == "gateway")


def test_an_unnamed_service_port_is_reported(rendered):
    objects = copy.deepcopy(rendered["overlays/dev"])
    find(objects, "Service", "memgrid-metadata")["spec"]["ports"][0].pop("name")
    assert any("has no name" in p.message for p in check_policies("overlays/dev", objects))


@pytest.mark.parametrize("target", TARGETS)
def test_the_gateway_dials_the_cluster_ip_services(rendered, target):
    objects = rendered[target]
    (gateway,) = pod_spec(deployments(objects)["gateway"])["containers"]
    env = container_env(gateway, objects)
    for backend in BACKENDS:
        host, _, port = env[f"MEMGRID_{backend.upper()}_ADDR"].rpartition(":")
        service = find(objects, "Service", host)
        assert service["spec"]["type"] == "ClusterIP"
        assert service["spec"]["selector"]["app.kubernetes.io/component"] == backend
        assert int(port) in {p["port"] for p in service["spec"]["ports"] if p["name"] == "grpc"}


def _settings_env_names(model: type[BaseModel], prefix: str = "MEMGRID_") -> set[str]:
    names = set()
    for name, info in model.model_fields.items():
        env = f"{prefix}{name.upper()}"
        names.add(env)
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            names |= _settings_env_names(info.annotation, f"{env}__")
    return names


@pytest.mark.parametrize("target", OVERLAYS)
def test_every_memgrid_env_var_set_is_a_real_setting(rendered, target):
    known: set[str] = set()
    for settings in (GatewaySettings, MetadataSettings, VectorSearchSettings, ExtractionSettings):
        known |= _settings_env_names(settings)
    objects = rendered[target]
    used = set()
    for obj in objects:
        if obj["kind"] in ("ConfigMap", "Secret"):
            used |= {k for k in {**obj.get("data", {}), **obj.get("stringData", {})} if k.startswith("MEMGRID_")}
    for workload in memgrid_workloads(objects):
        for container in pod_spec(workload)["containers"]:
            used |= {e["name"] for e in container.get("env", [])}
    assert "MEMGRID_MILVUS__URI" in used and "MEMGRID_DATABASE_URL" in used
    assert used - known == set()


@pytest.mark.parametrize("target", TARGETS)
def test_every_container_runs_a_module_of_this_repository(rendered, target):
    entrypoint = ["python", "-m"]  # the Dockerfile's ENTRYPOINT (tests/deploy/test_dockerfile.py checks it)
    for workload in memgrid_workloads(rendered[target]):
        for container in pod_spec(workload)["containers"]:
            module = container["args"][0]
            assert importlib.util.find_spec(f"{module}.__main__") is not None, (entrypoint, module)
    job = find(rendered[target], "Job", "memgrid-migrate")
    assert pod_spec(job)["containers"][0]["args"] == ["services.metadata", "migrate"]


def test_prod_reads_the_database_from_cloudnativepg_and_dev_from_its_secret(rendered):
    for target, secret in (("overlays/prod", ("memgrid-pg-app", "uri")), ("overlays/dev", ("memgrid-secrets", None))):
        for kind, name in (("Deployment", "memgrid-metadata"), ("Job", "memgrid-migrate")):
            (container,) = pod_spec(find(rendered[target], kind, name))["containers"]
            (url,) = [e for e in container["env"] if e["name"] == "MEMGRID_DATABASE_URL"]
            assert set(url) == {"name", "valueFrom"}
            assert url["valueFrom"]["secretKeyRef"]["name"] == secret[0]
            assert url["valueFrom"]["secretKeyRef"]["key"] == (secret[1] or "MEMGRID_DATABASE_URL")
    cluster = find(rendered["overlays/prod"], "Cluster", "memgrid-pg")
    assert cluster["spec"]["bootstrap"]["initdb"]["database"] == "memgrid"


# --- NetworkPolicy reachability: which pods may open a connection to which named port ---


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if set(selector) - {"matchLabels"}:
        raise AssertionError(f"only matchLabels selectors are evaluated here: {selector}")
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def allowed(policies: list[dict[str, Any]], target: dict[str, str], source: dict[str, str] | None, port: str) -> bool:
    """Whether a pod labelled `source` in the same namespace (None: a client outside the namespace) may reach
    `port` of a pod labelled `target`, under Kubernetes' additive ingress semantics."""
    selecting = [p for p in policies if _selects(p["spec"]["podSelector"], target)]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            ports = [p["port"] for p in rule.get("ports", [])]
            if ports and port not in ports:
                continue
            peers = rule.get("from")
            if peers is None:
                return True
            for peer in peers:
                if "podSelector" in peer and "namespaceSelector" not in peer and source is not None:
                    if _selects(peer["podSelector"], source):
                        return True
    return False


def _pod_labels(objects: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    labels = {}
    for obj in objects:
        if pod_spec(obj) is not None:
            template = obj["spec"]["jobTemplate"]["spec"]["template"] if obj["kind"] == "CronJob" else obj["spec"]
            labels[obj["metadata"]["name"]] = template["template"]["metadata"]["labels"]
    return labels


@pytest.mark.parametrize("target", OVERLAYS)
def test_network_policies_let_only_the_gateway_in_from_outside(rendered, target):
    objects = rendered[target]
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    pods = _pod_labels(objects)
    stranger = {"app": "something-else"}
    assert allowed(policies, pods["memgrid-gateway"], None, "http")
    assert allowed(policies, pods["memgrid-gateway"], stranger, "grpc")
    for backend in BACKENDS:
        name = f"memgrid-{backend}"
        sources = {source for source, labels in pods.items() if allowed(policies, pods[name], labels, "grpc")}
        assert sources == {"memgrid-gateway"}, (backend, sources)
        assert not allowed(policies, pods[name], None, "grpc")
        assert not allowed(policies, pods[name], stranger, "grpc")
    # A port no rule names stays closed, even for the gateway.
    assert not allowed(policies, pods["memgrid-metadata"], pods["memgrid-gateway"], "http-metrics")


def test_dev_databases_take_connections_only_from_their_clients(rendered):
    objects = rendered["overlays/dev"]
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    pods = _pod_labels(objects)
    for database, port, clients in (
        ("memgrid-postgres", "postgres", {"memgrid-metadata", "memgrid-migrate"}),
        ("memgrid-milvus", "grpc", {"memgrid-vectorsearch"}),
    ):
        sources = {source for source, labels in pods.items() if allowed(policies, pods[database], labels, port)}
        assert sources == clients, database


def test_every_network_policy_selects_a_rendered_pod(rendered):
    for target in OVERLAYS:
        objects = rendered[target]
        labels = list(_pod_labels(objects).values())
        for policy in (o for o in objects if o["kind"] == "NetworkPolicy"):
            selector = policy["spec"]["podSelector"]
            if "cnpg.io/cluster" in selector.get("matchLabels", {}):
                continue  # CloudNativePG's instance pods are created by the operator
            assert any(_selects(selector, pod) for pod in labels), policy["metadata"]["name"]


# --- the renderer itself ---


def test_strategic_merge_merges_keyed_lists_replaces_others_and_deletes_nulls():
    base = {
        "containers": [{"name": "a", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}],
        "args": ["one"],
        "keep": 1,
    }
    strategic_merge(
        base,
        {
            "containers": [{"name": "a", "env": [{"name": "X", "valueFrom": None, "value": "v"}, {"name": "Y"}]}],
            "args": ["two"],
        },
    )
    assert base == {
        "containers": [{"name": "a", "env": [{"name": "X", "value": "v"}, {"name": "Y"}]}],
        "args": ["two"],
        "keep": 1,
    }


def test_a_patch_that_matches_nothing_and_a_duplicate_object_are_errors(tmp_path):
    (tmp_path / "cm.yaml").write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    )
    (tmp_path / "patch.yaml").write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other"}, "data": {"a": "b"}})
    )
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump({"resources": ["cm.yaml"], "patches": [{"path": "patch.yaml"}]})
    )
    with pytest.raises(KustomizeError, match="matches no object"):
        render(tmp_path)
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({"resources": ["cm.yaml", "cm.yaml"]}))
    with pytest.raises(KustomizeError, match="defined twice"):
        render(tmp_path)


def test_images_and_namespace_are_applied(rendered):
    for target in OVERLAYS:
        for workload in memgrid_workloads(rendered[target]):
            assert (
                workload["metadata"]["namespace"] == {"overlays/dev": "memgrid-dev", "overlays/prod": "memgrid"}[target]
            )
            for container in pod_spec(workload)["containers"]:
                assert container["image"] == "registry.example.com/memgrid:0.1.0"
    assert all("namespace" not in o["metadata"] for o in rendered["base"])


def test_the_checked_in_tree_is_all_rendered():
    """Every YAML file under k8s/ is a kustomization or reachable from one (no forgotten manifest)."""
    referenced = set()
    for kustomization in K8S_DIR.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text())
        referenced.add(kustomization.resolve())
        for entry in [*spec.get("resources", []), *(p["path"] for p in spec.get("patches", []))]:
            path = (kustomization.parent / entry).resolve()
            if path.is_file():
                referenced.add(path)
    files = {p.resolve() for p in K8S_DIR.rglob("*.yaml")}
    assert files - referenced == set()


def test_prod_autoscales_and_guards_every_deployment(rendered):
    objects = rendered["overlays/prod"]
    hpas = {o["spec"]["scaleTargetRef"]["name"]: o for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    pdbs = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    for component, deployment in deployments(objects).items():
        name = deployment["metadata"]["name"]
        assert "replicas" not in deployment["spec"], name  # the HPA owns the count
        assert hpas[name]["spec"]["minReplicas"] >= 2, name
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        (pdb,) = [p for p in pdbs if _selects(p["spec"]["selector"], labels)]
        assert pdb["spec"]["maxUnavailable"] == 1, component
    assert all(d["spec"]["replicas"] == 1 for d in deployments(rendered["overlays/dev"]).values())


@pytest.mark.skipif(
    not os.environ.get("MEMGRID_KUSTOMIZE"),
    reason="set MEMGRID_KUSTOMIZE to a kustomize binary to compare our renderer with it (none is installed in CI)",
)
@pytest.mark.parametrize("target", TARGETS)
def test_our_renderer_matches_real_kustomize(rendered, target):
    built = subprocess.run(
        [os.environ["MEMGRID_KUSTOMIZE"], "build", str(K8S_DIR / target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    theirs = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(built.stdout) if o}
    ours = {(o["kind"], o["metadata"]["name"]): o for o in rendered[target]}
    assert set(theirs) == set(ours)
    for key, obj in ours.items():
        assert json.dumps(obj, sort_keys=True) == json.dumps(theirs[key], sort_keys=True), key
