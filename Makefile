# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test e2e lint install install-dev migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed --if-empty
	$(BIN)/flask search reindex --if-missing

run: seed
	@$(BIN)/flask demo-accounts
	@echo "Serving the CME Exchange at http://127.0.0.1:5000  (Ctrl-C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: install-dev
	$(BIN)/python -m pytest

e2e: install-dev
	$(BIN)/python -m pytest -m e2e -p no:cacheprovider tests/e2e

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache
