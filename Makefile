# memgrid — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The official mem0ai SDK pins protobuf<7, so the end-to-end SDK tests drive it from its own venv.
SDK_VENV ?= .venv-sdk
SDK_STAMP := $(SDK_VENV)/.installed
MEM0AI_VERSION ?= 2.2.1
# A real Milvus server for the server-path test tier and benchmarks: the PyPI `milvus` package (embedded
# Milvus standalone, no Python dependencies) in its own venv; it only ever runs in a private netns.
MILVUS_VENV ?= .venv-milvus
MILVUS_STAMP := $(MILVUS_VENV)/.installed
MILVUS_VERSION ?= 2.3.5
WITH_MILVUS := MILVUS_SERVER=$(CURDIR)/$(MILVUS_VENV)/bin/milvus-server tests/support/with_milvus_server.sh
# Test files run in parallel, one worker per core (at most 4); a file's tests stay on one worker, so a module's
# fixtures (a stack, a server) start once. Most tests wait on sockets and subprocesses: on 2 cores the suite
# takes ~5 min instead of ~8.
PARALLEL ?= --numprocesses auto --maxprocesses 4 --dist loadfile
PROTOS := $(shell find protos -name '*.proto' | sort)
PROTOC = $(PY) -m grpc_tools.protoc -Iprotos --python_out=$(1) --pyi_out=$(1) --grpc_python_out=$(1) $(PROTOS)

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The CPU build of torch first: a bare `torch` requirement would pull the multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(SDK_STAMP):
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/pip install -q mem0ai==$(MEM0AI_VERSION)
	touch $@

$(MILVUS_STAMP):
	$(PYTHON) -m venv $(MILVUS_VENV)
	$(MILVUS_VENV)/bin/pip install -q milvus==$(MILVUS_VERSION)
	touch $@

install: $(STAMP) ## Create the venv and install memgrid with its dev tools

run: $(STAMP) ## Run the embedded stack (all four services, Milvus Lite, SQLite) on 127.0.0.1
	$(VENV)/bin/memgrid up

test: $(STAMP) $(SDK_STAMP) $(MILVUS_STAMP) ## Run the test suite (real services on loopback), then the Milvus server tier
	MEM0_SDK_PYTHON=$(CURDIR)/$(SDK_VENV)/bin/python $(PY) -m pytest -q $(PARALLEL)
	$(MAKE) --no-print-directory test-milvus-server

test-milvus-server: $(STAMP) $(MILVUS_STAMP) ## Run tests/vectorsearch against a real Milvus server (root: private netns)
	$(WITH_MILVUS) $(PY) -m pytest -q $(PARALLEL) tests/vectorsearch

proto: $(STAMP) ## Regenerate the Python stubs in memgrid/ from protos/
	rm -rf memgrid
	$(call PROTOC,.)

proto-check: $(STAMP) ## Fail if the committed stubs differ from freshly generated ones
	@tmp=$$(mktemp -d) && $(call PROTOC,$$tmp) && \
	  diff -r -x __pycache__ $$tmp/memgrid memgrid && echo "stubs are up to date"; \
	  status=$$?; rm -rf $$tmp; exit $$status

FUZZ_CASES ?= 20000
fuzz: $(STAMP) ## Nightly-style fuzzing: FUZZ_CASES schemathesis and gRPC cases each (default 20000)
	MEMGRID_FUZZ_CASES=$(FUZZ_CASES) $(PY) -m pytest -q -s tests/fuzz -k fuzz_finds

bench: $(STAMP) ## Benchmark: 10k memories, 1k users, 50 clients x 60 s (NAME=..., ARGS=...)
	$(PY) -m bench run $(if $(NAME),--name $(NAME)) $(ARGS)

bench-quick: $(STAMP) ## Quick benchmark run (~45 s)
	$(PY) -m bench run --quick $(ARGS)

# The private namespace has no network: with --mem0-baseline, mem0's venv is created from the package index first.
bench-milvus-server: $(STAMP) $(MILVUS_STAMP) ## Benchmark on a real Milvus server in a private netns (NAME=..., ARGS=...)
	$(if $(findstring --mem0-baseline,$(ARGS)),$(PY) -m bench.mem0_baseline.venv)
	$(WITH_MILVUS) bash -c '$(PY) -m bench run --milvus-uri "$$MEMGRID_TEST_MILVUS_URI" $(if $(NAME),--name $(NAME)) $(ARGS)'

bench-add-infer: $(STAMP) ## add(infer=true) vs a 200 ms scripted LLM, beside the mem0 OSS library (own venv)
	$(PY) -m bench add-infer --name add-infer-200ms --runs 20 --mem0-baseline $(ARGS)

# LOCOMO-format file of `make eval` (licence CC BY-NC 4.0: kept outside this repository).
LOCOMO ?= ../shared/data/locomo/locomo-dev.json

eval: $(STAMP) ## Retrieval quality on LOCOMO: BM25, dense and hybrid search (LOCOMO=path NAME=... ARGS=...)
	$(PY) -m cli eval locomo $(LOCOMO) $(if $(NAME),--name $(NAME)) $(ARGS)

k8s-validate: $(STAMP) ## Render k8s/ (base, overlays) and validate every object offline (Kubernetes schemas, strict)
	$(PY) -m tools.k8s_validate

lint: $(STAMP) ## Lint with ruff
	$(VENV)/bin/ruff check .

clean: ## Remove the venvs and local data
	rm -rf $(VENV) $(SDK_VENV) $(MILVUS_VENV) .venv-mem0 .npm-compat .memgrid .pytest_cache

.PHONY: help install run test test-milvus-server bench-milvus-server proto proto-check fuzz bench bench-quick bench-add-infer eval k8s-validate lint clean
