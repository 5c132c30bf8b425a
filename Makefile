# The two commands: `make run` serves the site, `make test` runs the whole suite.
PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test setup lint format install install-dev

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
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

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
