# Every target that runs code does its own set-up first: a fresh clone needs only `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STACK ?= staging
DEBIAN_PACKAGES := redis-server redis-sentinel redis-tools nginx wrk

.PHONY: setup system-packages test lint preview bench clean

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

test: setup system-packages
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .

preview: setup
	$(PY) -m preview --stack $(STACK) $(ARGS)

bench: setup system-packages
	$(PY) -m tests.bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build
