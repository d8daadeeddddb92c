# The two quickstart commands:  `make example`  and  `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STATE := example_project/.state
export DAGSTER_HOME := $(CURDIR)/$(STATE)/dagster_home

.PHONY: example example-dg test lint bootstrap clean

bootstrap:
	@bash scripts/bootstrap.sh

## Run the example pipeline end to end (DuckDB warehouse, SQLite Dagster instance), then show lineage.
example: bootstrap
	@mkdir -p $(DAGSTER_HOME) && touch $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster asset materialize -m example_project.definitions --select '*'
	$(BIN)/dagster-lineage graph raw_orders -m example_project.definitions

## The same example through `dg` (example_project is a dg project: defs/ of components): validate, run it all.
example-dg: bootstrap
	@mkdir -p $(DAGSTER_HOME) && touch $(DAGSTER_HOME)/dagster.yaml
	VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dg check defs
	VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dg launch --assets '*'

## Lint, type-check and run the whole test suite.
test: bootstrap lint
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check dagster_lineage tests example_project benchmarks
	$(BIN)/mypy
	$(BIN)/vulture dagster_lineage vulture_whitelist.py --min-confidence 60

clean:
	rm -rf $(STATE) .pytest_cache
