# Two commands: `make serve` (install, then start the server on stdio) and `make test` (install what
# the tests need, start nothing by hand — the tests start their own servers — and run everything).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
#: The tools `make serve` installs; every other plugin under plugins/ is one `pip install` away.
SERVE_PLUGINS := -e plugins/zen-tool-chat -e plugins/zen-tool-consensus -e plugins/zen-tool-review
#: The tests cover every plugin.
ALL_PLUGINS := $(foreach p,$(sort $(wildcard plugins/*/pyproject.toml)),-e $(dir $(p)))

#: Test processes at once (pytest-xdist): at least 4, as many tests mostly wait on servers and sleeps.
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(max(4, os.cpu_count() or 1))")
#: Nothing written into the source tree: no bytecode (installed packages have theirs already; a prefix dir
#: would make every test process recompile LiteLLM on a fresh clone), Hypothesis' database in the venv.
TEST_ENV := PYTHONDONTWRITEBYTECODE=1 HYPOTHESIS_STORAGE_DIRECTORY=$(abspath $(VENV))/hypothesis

.PHONY: serve test bench lint install install-test docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml plugins/*/pyproject.toml
	$(BIN)/pip install --quiet -e . $(SERVE_PLUGINS)
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]' $(ALL_PLUGINS)
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## Install Zen with the chat, consensus and review plugins and serve MCP on stdio (ARGS="--http" for HTTP).
serve: $(VENV)/.installed
	@$(BIN)/zen serve $(ARGS)

## Install test dependencies (and redis-server if missing), then lint, type-check and run all tests.
test: $(VENV)/.installed-test
	bash .ci/ensure-tools.sh
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/mypy || status=1; \
	$(TEST_ENV) $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS) || status=1; \
	stray=$$(find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .hypothesis \) -print); \
	if [ -n "$$stray" ]; then echo "tests wrote into the source tree:"; echo "$$stray"; status=1; fi; \
	exit $$status

## Run every benchmark against the loopback fake LLM; prints one table, writes bench/results.json.
bench: $(VENV)/.installed-test
	bash .ci/ensure-tools.sh
	$(BIN)/python -m bench

docs: $(VENV)/.installed-test
	$(BIN)/mkdocs build --strict
