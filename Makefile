# Thinline: `make run` runs the nightly pipeline on the demo; `make test` passes the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: setup run test lint fix bench bench-venv stop clean dbt-check airflow

setup: $(INSTALLED)

# The environment is exactly requirements.lock (uv pip compile of pyproject.toml), plus Thinline.
$(INSTALLED): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Thinline needs Python 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --editable .
	@touch $@

run: $(INSTALLED)
	$(BIN)/thinline run --demo

# Two workers (2 cores); tests sharing an expensive fixture run on one (tests/conftest.py).
TEST_WORKERS ?= 2
test: $(INSTALLED)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m thinline.sql_lint lint

fix: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/python -m thinline.sql_lint fix

bench: $(INSTALLED) bench-venv
	$(BIN)/python -m bench

# The peers benchmarks compare with, in an environment of their own (never Thinline's runtime):
# ChannelAttribution for the data-driven model (bench/markov.py).
bench-venv: .bench-venv/.installed
.bench-venv/.installed: $(INSTALLED)
	$(PYTHON) -m venv .bench-venv
	$(BIN)/uv pip install --quiet --python .bench-venv/bin/python \
		channelattribution==2.2.5 matplotlib pandas
	@touch $@

# Build and test only the dbt models changed since the last publish (and their children) in
# your dev schema, deferred to the published tables; sqlfluff on changed SQL; the published
# contract must hold (docs/analyst.md).
dbt-check: $(INSTALLED)
	$(BIN)/python -m thinline.analyst.check

# Airflow UI + scheduler locally: the nightly DAG runs on its schedule until Ctrl-C
# (docs/production.md). Demo sources unless THINLINE_SOURCES is set.
airflow: $(INSTALLED)
	$(BIN)/thinline airflow

stop: $(INSTALLED)
	$(BIN)/thinline warehouse stop

# Regenerate the lock after editing pyproject.toml dependencies.
lock: $(INSTALLED)
	$(BIN)/uv pip compile pyproject.toml --group dev --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -o requirements.lock
