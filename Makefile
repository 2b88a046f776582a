# One-word targets. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
SHARED ?= ../shared
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Offline tokenizer files for tests and benchmarks, when the shared folder is beside the repo.
TIKTOKEN_ENV := $(if $(wildcard $(SHARED)/tiktoken),TIKTOKEN_CACHE_DIR=$(abspath $(SHARED)/tiktoken),)

.PHONY: run test lint bench format clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(TIKTOKEN_ENV) $(BIN)/headroom proxy

test: $(STAMP)
	$(TIKTOKEN_ENV) $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check headroom tests benchmarks
	$(BIN)/ruff format --check headroom tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(TIKTOKEN_ENV) $(BIN)/headroom bench --corpus $(SHARED)/corpus --format table

format: $(STAMP)
	$(BIN)/ruff format headroom tests
	$(BIN)/ruff check --fix headroom tests

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
