# fashion_assets — every target installs what it needs first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
export FASHION_HOME ?= $(CURDIR)/.fashion_home
export DAGSTER_HOME ?= $(FASHION_HOME)/dagster
STAMP := $(VENV)/.installed
# uv installs from uv.lock; this pinned uv lives in .tools/ (pip puts it there once)
UV_VERSION := 0.13.9
UV := $(CURDIR)/.tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
DEV_PORT ?= 3000
# pytest-xdist workers for make test (a module per worker at a time: see conftest.py)
TEST_WORKERS ?= 2
# dg finds the project's .venv; saying it is the active one silences its mismatch warning
DG := VIRTUAL_ENV=$(CURDIR)/$(VENV) $(VENV)/bin/dg

.PHONY: install lock browser demo test lint dev serve bench db-stop clean deploy-lock

$(UV):
	$(PY) -m pip install -q --target $(CURDIR)/.tools uv==$(UV_VERSION)

## install: .venv exactly as uv.lock says (the project editable, the dev group); refuses a
## uv.lock that no longer matches pyproject.toml (run make lock)
$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PY)
	touch $(STAMP)

install: $(STAMP)

## lock: re-resolve uv.lock after a change to pyproject.toml, then the deploy image's lock
lock: | $(UV)
	$(UV) lock --python $(PY)
	$(MAKE) deploy-lock

## browser: Debian's chromium + chromedriver for the web page tests (apt, as root or with sudo)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver; }

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	cp deploy/dagster_home/dagster.sqlite.yaml $@

## demo: install, crawl the demo shop for today and load it into the embedded PostgreSQL
demo: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(VENV)/bin/python -m fashion_assets.cli demo

## test: install, lint, run the whole test suite
test: $(STAMP) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadgroup

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

## dev: the Dagster UI on http://127.0.0.1:3000 (webserver + daemon for schedules and sensors)
dev: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(DG) dev -h 127.0.0.1 -p $(DEV_PORT)

## serve: every service and the web page on http://127.0.0.1:8000 (API docs at /docs)
serve: $(STAMP)
	$(VENV)/bin/python -m serving --service all --port 8000

bench: $(STAMP)
	$(VENV)/bin/python bench/crawl_throughput.py
	$(VENV)/bin/python bench/instruction_throughput.py
	$(VENV)/bin/python bench/embedding_throughput.py
	$(VENV)/bin/python bench/vector_search.py
	$(VENV)/bin/python bench/item_tower_training.py
	$(VENV)/bin/python bench/search_quality.py --scale 100000
	$(VENV)/bin/python bench/search_api.py

## deploy-lock: the deploy image's requirements (deploy/requirements.lock), exported from uv.lock
## with hashes, without the dev group. torch, torchvision and what only their CUDA build needs stay
## out: the image installs the CPU build of the same torch first.
NOT_LOCKED := torch torchvision triton cuda-bindings cuda-pathfinder cuda-toolkit nvidia-cublas \
	nvidia-cuda-cupti nvidia-cuda-nvrtc nvidia-cuda-runtime nvidia-cudnn-cu13 nvidia-cufft \
	nvidia-cufile nvidia-curand nvidia-cusolver nvidia-cusparse nvidia-cusparselt-cu13 \
	nvidia-nccl-cu13 nvidia-nvjitlink nvidia-nvshmem-cu13 nvidia-nvtx
deploy-lock: | $(UV)
	$(UV) export --frozen --no-dev --no-emit-project --no-header --quiet \
	  $(foreach p,$(NOT_LOCKED),--no-emit-package $(p)) -o deploy/requirements.lock

db-stop: $(STAMP)
	$(VENV)/bin/python -m fashion_assets.cli db-stop

clean: db-stop
	rm -rf $(FASHION_HOME)
