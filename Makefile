# FirstStop: `make run` sets up and starts everything; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_WARN_20 := 1
export PYTHONPATH := $(CURDIR)

# uv installs the pinned tree in one resolver run, like pip but in about 15 s instead of 80 s (`pip check` still judges it).
UV := uv==0.13.9
# Rasa 3.6 runs on Python 3.10 only: find one on PATH or in pyenv.
PYTHON310 := $(shell command -v python3.10 2>/dev/null || ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python3.10 2>/dev/null | tail -n 1)

.PHONY: run test check conversations eval bench lint admin clean deploy-local soak nginx

$(VENV)/.installed: requirements.txt
	@if [ -z "$(PYTHON310)" ]; then \
	  echo "FirstStop needs Python 3.10 (Rasa 3.6 supports no newer Python)."; \
	  echo "Install it, e.g. 'pyenv install 3.10' or 'apt-get install python3.10 python3.10-venv', then run make again."; \
	  exit 1; fi
	rm -rf $(VENV)
	$(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<25" $(UV)
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements.txt
	$(PY) -m pip check
	touch $@

run: $(VENV)/.installed
	$(PY) -m launch.launcher

# The production shape on this machine (README, "Running it in production"): nginx, 2 Rasa servers, 2 action
# servers, the Redis lock store, PostgreSQL, the console under gunicorn, the worker, the local mail sink.
DEPLOY_ENV ?= deploy/firststop.env.example
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }

deploy-local: $(VENV)/.installed nginx
	@mkdir -p var && chmod 700 var
	@[ -s var/secret-key ] || $(PY) -c 'import secrets; print(secrets.token_urlsafe(48))' > var/secret-key
	SECRET_KEY=$${SECRET_KEY:-$$(cat var/secret-key)} FIRSTSTOP_VAR=$${FIRSTSTOP_VAR:-$(CURDIR)/var} \
	  DATABASE_URL=$${DATABASE_URL:-postgresql+psycopg2://postgres@127.0.0.1:5432/postgres} \
	  $(PY) -m launch.launcher --deploy-local $(DEPLOY_ENV) --mail-sink

# 50 conversations through nginx while a Rasa server and an action server are killed (SOAK_SECONDS, default 60).
SOAK_SECONDS ?= 60
soak: $(VENV)/.installed nginx
	SOAK_SECONDS=$(SOAK_SECONDS) $(PY) -m pytest tests/deploy/test_soak.py -q -s

# axe-core (a pinned devDependency) for the widget's accessibility test; reinstalled when the lock changes.
web_widget/node_modules/.package-lock.json: web_widget/package-lock.json
	npm ci --prefix web_widget --no-audit --no-fund

# The suite on TEST_WORKERS processes (pytest-xdist); tests/conftest.py keeps the fault and deploy tests in one group,
# the soak test among them (it waits more than it works, so the other worker's tests fill its minute).
TEST_WORKERS ?= 2
test: $(VENV)/.installed web_widget/node_modules/.package-lock.json nginx
	$(VENV)/bin/ruff check .
	node --test web_widget/tests/
	$(MAKE) conversations
	SOAK_SECONDS=$(SOAK_SECONDS) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

# The fast tier: lint, the widget's unit tests and every test that needs no server, model or browser, on SQLite
# (`make test` runs them on PostgreSQL too, with everything else).
check: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	node --test web_widget/tests/
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not full" -k "not postgresql" -q

# Rasa conversation tests (tests/conversations/*.yml): any wrong prediction fails the build.
conversations: $(VENV)/.installed
	$(PY) -c "from pathlib import Path; from launch import stack; stack.build_knowledge(); \
	  Path('var/log').mkdir(parents=True, exist_ok=True); stack.train_if_needed(Path('var/log'))"
	$(VENV)/bin/rasa test core --model models --stories tests/conversations --fail-on-prediction-errors \
	  --out var/conversation-tests

eval: $(VENV)/.installed
	$(PY) -m eval.run
	$(PY) -m eval.scenarios

bench: $(VENV)/.installed
	node web_widget/size.mjs
	$(PY) -m bench.run
	$(PY) -m bench.run --deploy
	$(PY) -m bench.console_bench

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

admin: $(VENV)/.installed
	$(PY) -m flask --app console:create_app create-user admin@example.org --role admin

clean:
	rm -rf var models
