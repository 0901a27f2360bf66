# The two commands a new user needs:  make run   and   make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
ASSETS := audit_tool/static/build/.built

.PHONY: run test install install-dev assets db demo lint format system-deps bench clean

run: install assets db demo  ## Set everything up and serve on http://127.0.0.1:5000
	AUDIT_TOOL_ENV=$${AUDIT_TOOL_ENV:-development} $(FLASK) run --host 127.0.0.1 --port 5000

test: install-dev assets system-deps  ## Lint, then the whole suite on SQLite and on PostgreSQL
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r audit_tool
	$(BIN)/pytest
	.ci/with-postgres $(BIN)/pytest

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

assets: $(ASSETS)
$(ASSETS): package.json package-lock.json $(wildcard audit_tool/static/src/*)
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $@

db: install
	AUDIT_TOOL_ENV=$${AUDIT_TOOL_ENV:-development} $(FLASK) init-db

demo: install
	AUDIT_TOOL_ENV=$${AUDIT_TOOL_ENV:-development} $(FLASK) seed-demo --if-empty $(if $(DEMO_PASSWORD),--password "$(DEMO_PASSWORD)")

# Debian's chromium drives the browser tests; PostgreSQL is the production database.
system-deps:
	@.ci/system-deps

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-dev  ## Benchmarks, printed as ratios against floors measured in the same run
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules audit_tool/static/build
