"""A small kustomize renderer for the subset memgrid's k8s/ tree uses, so CI renders it without a binary.

Supported kustomization fields (anything else is an error, never silently ignored):
- `resources`: YAML files (several documents allowed) and directories holding a Kustomization;
- `components`: directories holding a `kind: Component` (its resources, components and patches apply to
  the objects accumulated so far, as kustomize does);
- `patches`: strategic-merge patches from `path`, aimed at the object the patch names (kind + name) or, with
  `target`, at every object matching `kind`, `name` and `labelSelector` (`k=v,k2=v2`);
- `images`: `name` → `newName`, `newTag`, `digest` in every pod template;
- `namespace`: set on every namespaced object.

Strategic merge follows Kubernetes' patch keys for the lists we patch (containers and volumes by name, env
by name, volumeMounts by mountPath, ports by containerPort/port); other lists are replaced; a null deletes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "resources", "components", "patches", "images", "namespace"}
PATCH_FIELDS = {"path", "target"}
TARGET_FIELDS = {"kind", "name", "labelSelector"}
IMAGE_FIELDS = {"name", "newName", "newTag", "digest"}
# Lists merged item by item (by this key) instead of replaced, as in the Kubernetes strategic merge patch.
MERGE_KEYS = {
    "containers": ("name",),
    "initContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "ports": ("containerPort", "port"),
    "imagePullSecrets": ("name",),
}
CLUSTER_SCOPED_KINDS = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
}
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


class KustomizeError(Exception):
    """The tree uses something this renderer does not support, or is inconsistent."""


@dataclass
class Rendered:
    """The objects of one rendered kustomization, in order."""

    objects: list[dict[str, Any]] = field(default_factory=list)

    def add(self, obj: dict[str, Any], source: Path) -> None:
        if not isinstance(obj, dict) or "kind" not in obj or "metadata" not in obj:
            raise KustomizeError(f"{source}: not a Kubernetes object (needs kind and metadata)")
        identity = object_id(obj)
        if any(object_id(existing) == identity for existing in self.objects):
            raise KustomizeError(f"{source}: {identity} is defined twice")
        self.objects.append(obj)


def object_id(obj: dict[str, Any]) -> str:
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    namespace = obj["metadata"].get("namespace", "")
    return f"{obj['kind']}.{group}/{namespace}/{obj['metadata'].get('name')}"


def render(directory: Path) -> list[dict[str, Any]]:
    """Render the Kustomization in `directory` into a list of objects."""
    rendered = Rendered()
    _apply_kustomization(Path(directory), rendered, expect_kind="Kustomization")
    return rendered.objects


def _load_kustomization(directory: Path, expect_kind: str) -> dict[str, Any]:
    for name in KUSTOMIZATION_FILES:
        path = directory / name
        if path.is_file():
            spec = yaml.safe_load(path.read_text()) or {}
            break
    else:
        raise KustomizeError(f"{directory}: no kustomization.yaml")
    unknown = set(spec) - KUSTOMIZATION_FIELDS
    if unknown:
        raise KustomizeError(f"{path}: unsupported fields {sorted(unknown)}")
    kind = spec.get("kind", "Kustomization")
    if kind != expect_kind:
        raise KustomizeError(f"{path}: kind {kind}, expected {expect_kind}")
    return spec


def _apply_kustomization(directory: Path, into: Rendered, expect_kind: str) -> None:
    spec = _load_kustomization(directory, expect_kind)
    for entry in spec.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            for obj in render(path):
                into.add(obj, path)
        elif path.is_file():
            for obj in yaml.safe_load_all(path.read_text()):
                if obj is not None:
                    into.add(obj, path)
        else:
            raise KustomizeError(f"{directory}: resource {entry} does not exist")
    for entry in spec.get("components", []):
        path = (directory / entry).resolve()
        if not path.is_dir():
            raise KustomizeError(f"{directory}: component {entry} is not a directory")
        _apply_kustomization(path, into, expect_kind="Component")
    for patch in spec.get("patches", []):
        _apply_patch(directory, patch, into.objects)
    for image in spec.get("images", []):
        _apply_image(directory, image, into.objects)
    if "namespace" in spec:
        for obj in into.objects:
            if obj["kind"] not in CLUSTER_SCOPED_KINDS:
                obj["metadata"]["namespace"] = spec["namespace"]


def _apply_patch(directory: Path, entry: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    if not isinstance(entry, dict) or "path" not in entry or set(entry) - PATCH_FIELDS:
        raise KustomizeError(f"{directory}: a patch needs `path` (and optionally `target`), got {entry}")
    path = directory / entry["path"]
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    if len(documents) != 1:
        raise KustomizeError(f"{path}: a patch file holds exactly one object")
    patch = documents[0]
    target = entry.get("target")
    if target is None:
        target = {"kind": patch.get("kind"), "name": patch.get("metadata", {}).get("name")}
    if set(target) - TARGET_FIELDS:
        raise KustomizeError(f"{path}: unsupported target fields {sorted(set(target) - TARGET_FIELDS)}")
    matched = [obj for obj in objects if _matches(obj, target)]
    if not matched:
        raise KustomizeError(f"{path}: the patch matches no object ({target})")
    body = {key: value for key, value in patch.items() if key not in ("apiVersion", "kind", "metadata")}
    metadata = {key: value for key, value in patch.get("metadata", {}).items() if key not in ("name", "namespace")}
    for obj in matched:
        strategic_merge(obj, body)
        if metadata:
            strategic_merge(obj["metadata"], metadata)


def _matches(obj: dict[str, Any], target: dict[str, Any]) -> bool:
    if "kind" in target and obj["kind"] != target["kind"]:
        return False
    if "name" in target and obj["metadata"].get("name") != target["name"]:
        return False
    labels = obj["metadata"].get("labels", {})
    for requirement in filter(None, str(target.get("labelSelector", "")).split(",")):
        key, sep, value = requirement.partition("=")
        if not sep:
            raise KustomizeError(f"labelSelector {requirement!r}: only key=value requirements are supported")
        if labels.get(key.strip()) != value.strip():
            return False
    return True


def strategic_merge(base: dict[str, Any], patch: dict[str, Any]) -> None:
    """Merge `patch` into `base` in place (see the module doc for the rules)."""
    for key, value in patch.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            strategic_merge(base[key], value)
        elif isinstance(value, list) and isinstance(base.get(key), list) and key in MERGE_KEYS:
            _merge_list(base[key], value, MERGE_KEYS[key], key)
        else:
            base[key] = copy.deepcopy(value)


def _merge_list(base: list[Any], patch: list[Any], keys: tuple[str, ...], name: str) -> None:
    for item in patch:
        key = next((k for k in keys if isinstance(item, dict) and k in item), None)
        if key is None:
            raise KustomizeError(f"patch of list {name}: every item needs one of {list(keys)}")
        existing = next((b for b in base if isinstance(b, dict) and b.get(key) == item[key]), None)
        if existing is None:
            base.append(copy.deepcopy(item))
        else:
            strategic_merge(existing, item)


def _apply_image(directory: Path, entry: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    if not isinstance(entry, dict) or "name" not in entry or set(entry) - IMAGE_FIELDS:
        raise KustomizeError(f"{directory}: an images entry needs `name` and only {sorted(IMAGE_FIELDS)}")
    for obj in objects:
        pod = pod_spec(obj)
        if pod is None:
            continue
        for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
            name, tag, digest = split_image(container.get("image", ""))
            if name != entry["name"]:
                continue
            new = str(entry.get("newName", name))
            if "digest" in entry:
                container["image"] = f"{new}@{entry['digest']}"
            elif "newTag" in entry:
                container["image"] = f"{new}:{entry['newTag']}"
            else:
                container["image"] = new + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """("registry:5000/repo/name", tag or None, digest or None) of an image reference."""
    rest, _, digest = image.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :], digest or None
    return rest, None, digest or None


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec of a workload object (None for other kinds)."""
    path = POD_TEMPLATE_PATHS.get(obj["kind"])
    node: Any = obj
    for step in path or ():
        node = node.get(step) if isinstance(node, dict) else None
    return node if path and isinstance(node, dict) else None
