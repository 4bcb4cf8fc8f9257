# osrs-diff: `make run` starts everything locally, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run demo manage demo-manage test lint format bench fuzz services browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

# `make run`, `make demo` and `make manage` share these defaults (real environment variables win):
# debug on, human-readable logs, embedded state under OSRS_DIFF_VAR_DIR (var/; the demo: var/demo).
# They are also written to $(OSRS_DIFF_VAR_DIR)/settings.env, which settings.py reads, so a plain
# `.venv/bin/python manage.py ...` from this checkout runs with them too.
LOCAL_TARGETS := run manage
$(LOCAL_TARGETS): export DJANGO_DEBUG ?= true
$(LOCAL_TARGETS): export LOG_FORMAT ?= console
$(LOCAL_TARGETS): export OSRS_DIFF_VAR_DIR ?= $(CURDIR)/var
define write_local_settings
	@mkdir -p "$$OSRS_DIFF_VAR_DIR"
	@{ echo "# Written by make: the defaults of make run/demo/manage (real environment wins)."; \
	  echo "DJANGO_DEBUG=$$DJANGO_DEBUG"; echo "LOG_FORMAT=$$LOG_FORMAT"; \
	  if [ -n "$$OSRS_DIFF_DEMO" ]; then \
	    echo "OSRS_HISCORES_BASE_URL=$$OSRS_HISCORES_BASE_URL"; \
	    echo "OSRS_HISCORES_RATE=$$OSRS_HISCORES_RATE"; fi; \
	} > "$$OSRS_DIFF_VAR_DIR/settings.env"
endef

## run: API + admin, Celery workers and beat in one foreground command (Ctrl-C stops all).
run: export OSRS_DIFF_HOST := $(HOST)
run: export OSRS_DIFF_PORT := $(PORT)
# Web, worker and beat write their Prometheus counters here; /metrics merges them.
run: export PROMETHEUS_MULTIPROC_DIR ?= $(OSRS_DIFF_VAR_DIR)/prometheus
run: $(RUN_STAMP)
	$(write_local_settings)
	@mkdir -p "$$PROMETHEUS_MULTIPROC_DIR"
	@find "$$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_superuser
	@if [ -n "$$OSRS_DIFF_DEMO" ]; then $(BIN)/python manage.py prepare_demo; fi
	@echo ""
	@echo "osrs-diff is starting on http://$(HOST):$(PORT)/  (API docs: /docs, admin: /admin/)"
	@if [ -n "$$OSRS_DIFF_DEMO" ]; then \
	  echo "Demo: log in as demo / demo; state in $$OSRS_DIFF_VAR_DIR (fresh each start)"; \
	  echo "Commands against the demo: make demo-manage ARGS=\"check_game_modes\""; \
	else echo "Create a user with: make manage ARGS=\"createsuperuser\""; fi
	@echo "Database: $${DATABASE_URL:-SQLite in $$OSRS_DIFF_VAR_DIR}  Broker: $${REDIS_URL:-filesystem queue in $$OSRS_DIFF_VAR_DIR}"
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

## manage: any manage.py command with the settings of `make run`: make manage ARGS="createsuperuser"
manage: $(RUN_STAMP)
	$(write_local_settings)
	@$(BIN)/python manage.py $(ARGS)

## demo: `make run` on its own state (var/demo, fresh each start) against the fake hiscores server:
## sample players on 5-minute schedules, a hardcore who dies and an ironman who de-irons.
FAKE_HISCORES_PORT ?= 8900
DEMO_VAR := $(CURDIR)/var/demo
DEMO_EVENTS_AFTER ?= 3
demo demo-manage: export OSRS_DIFF_VAR_DIR := $(DEMO_VAR)
demo demo-manage: export OSRS_DIFF_DEMO := 1
demo demo-manage: export OSRS_HISCORES_BASE_URL := http://127.0.0.1:$(FAKE_HISCORES_PORT)
demo demo-manage: export OSRS_HISCORES_RATE := 5
demo: export DJANGO_SUPERUSER_USERNAME := demo
demo: export DJANGO_SUPERUSER_PASSWORD := demo
demo: $(RUN_STAMP)
	@rm -rf "$(DEMO_VAR)" && mkdir -p "$(DEMO_VAR)"
	@DJANGO_DEBUG=true LOG_FORMAT=console $(BIN)/python manage.py fake_hiscores --sample \
		--events-after $(DEMO_EVENTS_AFTER) --data "$(DEMO_VAR)/fake_hiscores" \
		--port $(FAKE_HISCORES_PORT) & fake=$$!; \
	trap 'kill $$fake 2>/dev/null' EXIT INT TERM; \
	$(MAKE) --no-print-directory run

## demo-manage: a manage.py command against the running demo: make demo-manage ARGS="check_game_modes"
demo-manage: $(RUN_STAMP)
	@$(MAKE) --no-print-directory manage ARGS='$(ARGS)'

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
