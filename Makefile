# The two set-up commands: `make run` and `make test`. Each builds .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

# The whole suite on every core (pytest-xdist); PYTEST_ARGS adds to it.
PYTEST := $(PY) -m pytest -n auto
# The inner loop: no browser, no PostgreSQL, no process starts (well under 2 minutes).
QUICK  := -m "not browser and not postgres and not slow"

.PHONY: run test quick coverage clean chromium

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(PY) run.py serve

test: $(VENV)/.installed chromium
	$(PYTEST) $(PYTEST_ARGS)

quick: $(VENV)/.installed
	$(PYTEST) $(QUICK) $(PYTEST_ARGS)

# Line coverage of the whole suite (figures in docs/benchmarks.md).
coverage: $(VENV)/.installed chromium
	$(PY) -m coverage erase
	$(PYTEST) --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

# Browser tests drive Debian's chromium with Playwright (no browser download).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

clean:
	rm -rf $(VENV) var .pytest_cache .coverage .coverage.*
