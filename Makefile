# The two commands: `make run` serves the site, `make test` runs the whole suite.
PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test setup lint format css bench lighthouse loadtest

run: $(VENV)/.installed setup
	./scripts/serve.sh

# Everything `make run` needs before serving; safe to repeat, keeps the data.
setup: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_starting_content
	$(PY) manage.py ensure_admin

test: $(VENV)/.installed-dev
	./scripts/install-chromium.sh
	./scripts/install-nginx.sh
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The one stylesheet (Bootstrap + static/css/site.css); run after editing either.
css: $(VENV)/.installed
	$(PY) manage.py build_css

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

$(VENV)/bin/python:
	@command -v $(PYTHON_BIN) >/dev/null || { echo "Python 3.11 is needed: install it, or run make PYTHON_BIN=/path/to/python3.11"; exit 1; }
	$(PYTHON_BIN) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python requirements.txt
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

# Benchmarks (not part of the test suite): see README, "Benchmarks".
bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "The benchmark needs wrk: apt-get install wrk"; exit 1; }
	./scripts/install-nginx.sh
	$(PY) bench/run.py $(BENCH_ARGS)

lighthouse: $(VENV)/.installed-dev
	./scripts/install-chromium.sh
	cd bench/lighthouse && npm ci --no-audit --no-fund --silent
	$(PY) bench/lighthouse.py $(LIGHTHOUSE_ARGS)

# Production shape under load and faults (nginx, PostgreSQL and Redis on this machine).
loadtest: $(VENV)/.installed-dev
	./scripts/install-nginx.sh
	cd bench && ../$(PY) loadtest.py $(LOADTEST_ARGS)
