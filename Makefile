# One-word targets. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
SHARED ?= ../shared
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Offline tokenizer files for tests and benchmarks, when the shared folder is beside the repo.
TIKTOKEN_ENV := $(if $(wildcard $(SHARED)/tiktoken),TIKTOKEN_CACHE_DIR=$(abspath $(SHARED)/tiktoken),)

# The agent CLIs the end-to-end tests drive (issue 7), from the npm registry, pinned.
E2E := .e2e
E2E_STAMP := $(E2E)/.installed-stamp
CLAUDE_CODE_VERSION ?= 2.1.329
CODEX_VERSION ?= 0.169.0

.PHONY: run test lint bench format clean e2e-tools browser-tools

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(TIKTOKEN_ENV) $(BIN)/headroom proxy

$(E2E_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix $(E2E) --no-audit --no-fund --loglevel=error \
	    @anthropic-ai/claude-code@$(CLAUDE_CODE_VERSION) @openai/codex@$(CODEX_VERSION) \
	  && touch $@ \
	  || echo "make: npm install failed; the agent CLI end-to-end tests will skip (fail under CI=true)"; \
	else echo "make: npm not found; the agent CLI end-to-end tests will skip (fail under CI=true)"; fi

e2e-tools: $(E2E_STAMP)

# Debian's chromium, which the dashboard's browser test drives through Playwright
# (Playwright never downloads a browser of its own here).
# A fresh image may have no package lists yet, hence the second try after an update.
browser-tools:
	@command -v chromium >/dev/null 2>&1 || (apt-get install -y chromium || sudo -n apt-get install -y chromium \
	  || (apt-get update -q && apt-get install -y chromium)) \
	  || echo "make: could not install chromium (apt-get install -y chromium); the dashboard browser test will skip (fail under CI=true)"

test: $(STAMP) $(E2E_STAMP) browser-tools
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
	rm -rf $(VENV) $(E2E) .mypy_cache .pytest_cache .ruff_cache
