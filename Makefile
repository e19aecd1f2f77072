# Two entry points: `make run` (paperbot on its embedded default) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/paperbot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

run: $(BIN)/paperbot
	$(BIN)/paperbot run

test: $(BIN)/paperbot
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(BIN)/paperbot
	$(BIN)/python -m bench.store

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
