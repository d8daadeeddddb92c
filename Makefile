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

## The same example as a `dg` project (example_project/dg: components in YAML): validate, then run it all.
example-dg: bootstrap
	@mkdir -p $(DAGSTER_HOME) && touch $(DAGSTER_HOME)/dagster.yaml
	cd example_project/dg && VIRTUAL_ENV=$(CURDIR)/$(VENV) PYTHONPATH=$(CURDIR):$(CURDIR)/example_project/dg \
		$(CURDIR)/$(BIN)/dg check defs
	cd example_project/dg && VIRTUAL_ENV=$(CURDIR)/$(VENV) PYTHONPATH=$(CURDIR):$(CURDIR)/example_project/dg \
		$(CURDIR)/$(BIN)/dg launch --assets '*'

## Lint, type-check and run the whole test suite.
test: bootstrap lint
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check dagster_lineage tests example_project benchmarks
	$(BIN)/mypy
	$(BIN)/vulture dagster_lineage vulture_whitelist.py --min-confidence 60

clean:
	rm -rf $(STATE) .pytest_cache
