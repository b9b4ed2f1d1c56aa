# FirstStop: `make run` sets up and starts everything; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_WARN_20 := 1
export PYTHONPATH := $(CURDIR)

# Rasa 3.6 runs on Python 3.10 only: find one on PATH or in pyenv.
PYTHON310 := $(shell command -v python3.10 2>/dev/null || ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python3.10 2>/dev/null | tail -n 1)

.PHONY: run test eval bench lint admin clean

$(VENV)/.installed: requirements.txt
	@if [ -z "$(PYTHON310)" ]; then \
	  echo "FirstStop needs Python 3.10 (Rasa 3.6 supports no newer Python)."; \
	  echo "Install it, e.g. 'pyenv install 3.10' or 'apt-get install python3.10 python3.10-venv', then run make again."; \
	  exit 1; fi
	rm -rf $(VENV)
	$(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<25"
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip check
	touch $@

run: $(VENV)/.installed
	$(PY) -m firststop.launcher

# axe-core (a pinned devDependency) for the widget's accessibility test; reinstalled when the lock changes.
web_widget/node_modules/.package-lock.json: web_widget/package-lock.json
	npm ci --prefix web_widget --no-audit --no-fund

test: $(VENV)/.installed web_widget/node_modules/.package-lock.json
	$(VENV)/bin/ruff check .
	node --test web_widget/tests/
	$(PY) -m pytest

eval: $(VENV)/.installed
	$(PY) -m eval.run

bench: $(VENV)/.installed
	node web_widget/size.mjs
	$(PY) -m bench.run
	$(PY) -m bench.console_bench

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

admin: $(VENV)/.installed
	$(PY) -m flask --app console:create_app create-user admin@example.org --role admin

clean:
	rm -rf var models
