# One command each: make demo, make test, make lint, make bench.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/berdaya

.PHONY: install demo test test-sqlite test-postgres lint bench bench-quick bench-web browser-deps

$(BIN)/berdaya: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(BIN)/berdaya

install: $(BIN)/berdaya

# Builds the demo world on an embedded SQLite file and serves it on http://127.0.0.1:8000
demo: install
	$(BIN)/berdaya demo

# The whole suite on SQLite, then again on PostgreSQL (127.0.0.1:5432).
test: install lint test-sqlite test-postgres

test-sqlite: install
	DATABASE_URL=sqlite:///$(CURDIR)/test-db.sqlite3 $(BIN)/python -m pytest -q

test-postgres: install
	@pg_isready -q -h 127.0.0.1 -p 5432 || (echo "PostgreSQL is not listening on 127.0.0.1:5432: it is required for make test" && exit 1)
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy berdaya/engine

bench: install
	$(BIN)/python bench/screening.py

bench-quick: install
	$(BIN)/python bench/screening.py --quick

# Pages under 20 signed-in users (gunicorn + Locust) and the city PDF, on the city demo world built
# beforehand into both databases (see bench/web.py). The bench extra is installed here only: CI uses dev.
bench-web: install
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	$(BIN)/python bench/web.py --json-out bench-web.json
