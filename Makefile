# dcflex: two commands on a fresh machine with Python 3.11 and make.
#   make demo   install into .venv and run the bundled example scenario
#   make test   install with the test and notebooks extras into .venv and run the whole suite

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,notebooks]"
	touch $@ $(STAMP)

demo: $(STAMP)
	$(BIN)/dcflex run scenarios/example.yaml --out out/example --png

test: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

clean:
	rm -rf out .pytest_cache
