# Two entry points: `make run` (paperbot on its embedded default) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean i18n

$(BIN)/paperbot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

run: $(BIN)/paperbot
	$(BIN)/paperbot run

test: $(BIN)/paperbot
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The message catalogs (bot/i18n.py): extract the .pot from the code, merge it into each .po, compile the .mo
# files shipped in the wheel. Run after changing a user-facing string, then translate the new ko entries.
LOCALES := bot/locale
i18n: $(BIN)/paperbot
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --project=paperbot \
		--msgid-bugs-address="" -o $(LOCALES)/paperbot.pot .
	$(BIN)/pybabel update -D paperbot -i $(LOCALES)/paperbot.pot -d $(LOCALES) --no-fuzzy-matching --width=120 \
		--ignore-obsolete
	$(BIN)/pybabel compile -D paperbot -d $(LOCALES) --statistics

bench: $(BIN)/paperbot
	$(BIN)/python -m bench.store

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
