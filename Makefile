# Two commands matter: `make dev` runs the app, `make test` runs every test suite (after `make lint`).
# Before a commit: `make lint` and `make test-fast` (under a minute). Each installs what it needs first,
# from the pinned requirements and package-lock.json.

VENV := .venv
NODE_LTS := 26.10.0
PY := $(VENV)/bin/python
# pyenv and similar shims pick 3.12 from .python-version; plain systems need python3.12 on PATH.
PYTHON312 := $(shell command -v python3.12 2>/dev/null || command -v python3)

.PHONY: install dev lint test test-fast bench soak clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt .python-version
	@echo "Installing the Python packages into $(VENV)..."
	@$(PYTHON312) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12) and "Python 3.12 is required (see .python-version)")'
	@$(PYTHON312) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# npm errors only: npm 11 lists every package with install scripts not in package.json's advisory
# allowScripts, mostly `prepare` scripts that it never runs for packages from the registry.
node_modules/.installed: package.json package-lock.json
	@echo "Installing the npm packages (npm ci)..."
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

dev: install
	@$(PY) -m scripts.dev

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The unit tier: the functions in-process, the emulator's core on the fake clock, the client's units.
# Tests are marked slow by place and fixture in tests/support/tiers.py.
test-fast: install
	$(PY) -m pytest -m "not slow"
	node --test tests/client/unit/*.test.mjs

test: lint
	$(PY) -m pytest
	node --test tests/client/unit/*.test.mjs
	# The same unit suite on the newest Node LTS, fetched from the npm registry (package.json allows >=20).
	npx --yes node@$(NODE_LTS) --test tests/client/unit/*.test.mjs

bench: install
	$(PY) -m bench

# The reliability and fuzz suites at a size too slow for every test run.
soak: install
	CHURN_SUBSCRIBERS=100 CHURN_PY_SUBSCRIBERS=20 CHURN_MESSAGES=2000 CHURN_CUT_EVERY_MS=30 FUZZ_EXAMPLES=5000 \
	LOAD_CONNECTIONS=1000 LOAD_HOLD_S=60 FLOOD_FRAMES=200000 FLOOD_BAD_CONNECTIONS=200 \
		$(PY) -m pytest -s tests/reliability tests/functions/test_fuzz.py

clean:
	rm -rf $(VENV) node_modules .vercel dist .pytest_cache test-artifacts
