# osrs-diff: `make run` starts everything locally, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run demo test lint format bench fuzz services browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

## run: API + admin, a Celery worker and beat in one foreground command (Ctrl-C stops all).
run: export DJANGO_DEBUG ?= true
run: export OSRS_DIFF_HOST := $(HOST)
run: export OSRS_DIFF_PORT := $(PORT)
# Web, worker and beat write their Prometheus counters here; /metrics merges them.
run: export PROMETHEUS_MULTIPROC_DIR ?= $(or $(OSRS_DIFF_VAR_DIR),$(CURDIR)/var)/prometheus
run: $(RUN_STAMP)
	@mkdir -p var "$$PROMETHEUS_MULTIPROC_DIR"
	@find "$$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_superuser
	@echo ""
	@echo "osrs-diff is starting on http://$(HOST):$(PORT)/  (API docs: /docs, admin: /admin/)"
	@echo "Create a user with: $(BIN)/python manage.py createsuperuser"
	@echo "Database: $${DATABASE_URL:-SQLite in var/}  Broker: $${REDIS_URL:-filesystem queue in var/}"
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

## demo: `make run` pointed at the fake hiscores server with sample players (no internet needed).
FAKE_HISCORES_PORT ?= 8900
demo: export DJANGO_DEBUG ?= true
demo: export OSRS_HISCORES_BASE_URL := http://127.0.0.1:$(FAKE_HISCORES_PORT)
demo: $(RUN_STAMP)
	@mkdir -p var
	@$(BIN)/python manage.py fake_hiscores --sample \
		--port $(FAKE_HISCORES_PORT) & fake=$$!; \
	trap 'kill $$fake 2>/dev/null' EXIT INT TERM; \
	$(MAKE) --no-print-directory run

## test: lint, format check, import contracts and the whole pytest suite against local PostgreSQL and Redis.
test: $(DEV_STAMP) services browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the layering and no-cycle contracts in .importlinter
	$(BIN)/pytest --create-db  # a fresh test database each run: no state left by earlier runs

services:
	@scripts/ensure_services.sh

# Debian's chromium + chromium-driver for tests/browser (installed with apt when root).
browser:
	@scripts/ensure_browser.sh

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var

## bench: every benchmark under bench/ and one summary table (BENCH="parse drops" for some).
bench: $(DEV_STAMP) services
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/14} $(BIN)/python -m bench.run_all $(BENCH)

## fuzz: the long schemathesis run against the API's own OpenAPI schema.
fuzz: $(DEV_STAMP) services
	bench/fuzz.sh
