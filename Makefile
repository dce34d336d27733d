# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv with the project's own dependencies when it is missing (or pyproject.toml
# changed), and reuse it otherwise.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MLFLOW_DISABLE_TELEMETRY := true
export MPLBACKEND := Agg

.PHONY: install demo test lint typecheck pytest sample benchmark benchmark-features clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Simulate a company and validate it; validate the bundled sample, train both models on it into
## the local MLflow registry (./mlflow.db, artifacts in ./mlruns: `mlflow ui` shows them), and
## write the ranked action list for the day after the sample ends (top 10 printed).
demo: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/stagnation sample "$$tmp/company" --seed 11 && \
	$(BIN)/stagnation validate "$$tmp/company" && \
	$(BIN)/stagnation validate data/sample && \
	$(BIN)/stagnation train data/sample && \
	$(BIN)/stagnation score data/sample --as-of 2026-01-01 --out actions.csv

## Lint, type-check and run the whole test suite (slow tests included).
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

## Regenerate the bundled sample (same seed, same bytes).
sample: $(STAMP)
	$(BIN)/stagnation sample data/sample

## Time the large simulated company (1,000 reps, 100,000 customers).
benchmark: $(STAMP)
	$(BIN)/python benchmarks/simulate_large.py

## Time features and snapshots at 1M, 3M and 10M activities.
benchmark-features: $(STAMP)
	$(BIN)/python benchmarks/features_scaling.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
