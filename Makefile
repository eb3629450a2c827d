# make run: install into .venv (created if missing) and start errorscape.
# make test: install with the test extra, then lint, format check, type check and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint jstest bench lock clean chromium node

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/errorscape serve

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Browser tests drive Debian's chromium (never a downloaded browser); install it if missing,
# with the CJK fonts the Chinese screenshots need (Simplified and Traditional forms; for the
# screenshots only, so a failed font install does not stop the tests).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	@fc-list 2>/dev/null | grep -q "Noto Sans CJK" || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk) || true

# The page's pure modules (state changes, chart data) under Node's own test runner; Node from
# Debian where it is missing, like chromium.
node:
	@command -v node >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs)

jstest: node
	node --test tests/js/

test: lint jstest chromium
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.engine

# The versions the Docker image pins: the runtime dependencies resolved in a fresh venv.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet .
	(echo "# Pinned runtime dependencies of the Docker image (make lock regenerates this file)."; \
	 .lock-venv/bin/python -m pip freeze --exclude errorscape) > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
