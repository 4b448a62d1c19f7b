# OrderHub: `make run` starts the demo, `make test` runs every test. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_WORKERS ?= 2
PORT ?= 8000
SANDBOX_PORT ?= 8700

.PHONY: install run test lint migrations-check format

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: export ORDERHUB_SANDBOX_URL = http://127.0.0.1:$(SANDBOX_PORT)
run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	PORT=$(PORT) SANDBOX_PORT=$(SANDBOX_PORT) PY=$(PY) bash scripts/run-demo.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

test: lint migrations-check
	$(PY) -m pytest -n $(TEST_WORKERS) -p no:cacheprovider

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
