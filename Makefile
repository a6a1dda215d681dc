# The few commands people need. `make run` and `make test` each set up everything they use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
VENDOR := web/static/vendor

.PHONY: run serve init setup vendor test lint typecheck pytest bench bench-deadlines bench-completion bench-http clean-vendor

run: setup
	$(BIN)/ykt init --demo
	$(BIN)/ykt serve --host $(HOST) --port $(PORT)

setup: $(VENV)/.installed vendor

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end libraries are copied from node_modules at set-up; none is committed.
vendor: node_modules/.installed
	mkdir -p $(VENDOR)/bpmn-js $(VENDOR)/properties-panel $(VENDOR)/chart.js $(VENDOR)/axe-core
	cp -r node_modules/bpmn-js/dist/. $(VENDOR)/bpmn-js/
	cp node_modules/bpmn-js-properties-panel/dist/bpmn-js-properties-panel.umd.js $(VENDOR)/properties-panel/
	cp node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css $(VENDOR)/properties-panel/
	cp node_modules/camunda-bpmn-moddle/resources/camunda.json $(VENDOR)/properties-panel/
	cp node_modules/chart.js/dist/chart.umd.js $(VENDOR)/chart.js/
	cp node_modules/axe-core/axe.min.js $(VENDOR)/axe-core/

# The whole suite: lint, types, tests. The database under test is YKT_TEST_DATABASE_URL
# (a PostgreSQL server URL) or, when unset, a throwaway SQLite file.
test: setup lint typecheck pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy

pytest: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The engine benchmark (bench/engine/, docs/performance.md). PostgreSQL is measured on the server
# named by YKT_BENCH_POSTGRESQL_URL or, when that is unset and the server binaries are installed,
# on a throwaway cluster removed afterwards; otherwise only SQLite. BENCH_ARGS go to the
# command, e.g. `make bench BENCH_ARGS=--json`. `make bench-deadlines` (20,000 deadlines due at
# once), `make bench-completion` (statements and cost of one completion) and `make bench-http`
# (many API users against real server processes, docs/scale.md; e.g.
# `make bench-http BENCH_ARGS='--baseline-ref main'`) run the same way.
BENCH_PG_PORT ?= 55491
BENCH_CMD ?= bench
bench: setup
	@set -eu; url="$${YKT_BENCH_POSTGRESQL_URL:-}"; \
	if [ -z "$$url" ] && ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then \
		dir=$$(mktemp -d "$${TMPDIR:-/tmp}/ykt-bench-pg.XXXXXX"); \
		trap '.ci/postgres.sh stop "$$dir"' EXIT; trap 'exit 130' INT TERM; \
		url=$$(.ci/postgres.sh start "$$dir" $(BENCH_PG_PORT)) || url=""; \
	fi; \
	[ -n "$$url" ] || echo "No PostgreSQL server (set YKT_BENCH_POSTGRESQL_URL or install" \
		"postgresql): PostgreSQL will be skipped." >&2; \
	YKT_BENCH_POSTGRESQL_URL="$$url" $(BIN)/python -m cli.main $(BENCH_CMD) $(BENCH_ARGS)

bench-deadlines bench-completion bench-http:
	$(MAKE) bench BENCH_CMD=$@

clean-vendor:
	rm -rf $(VENDOR) node_modules/.installed
