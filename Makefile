# The two commands a newcomer needs: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
# The first Python 3.12+ on PATH (pyenv users get the version in .python-version).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)

# make run: development mode with embedded defaults (SQLite, tasks in-process) unless
# DATABASE_URL / REDIS_URL are set in the environment.
# In development the routing key sits in var/keys (the worker reads it; with tasks in-process, so
# does the web process: never so in production). VAR and ADDRESS let tests/test_make_run.py run
# the same commands in a folder and on a port of its own.
VAR ?= var
ADDRESS ?= 127.0.0.1:8000
DEV_ENV = DEBUG=1 SECRET_KEY_FILE=$(VAR)/dev-secret-key ROUTING_KEY_FILE=$(VAR)/keys/routing.key \
	PACKAGE_SIGNING_KEY_FILE=$(VAR)/keys/package_signing.key \
	PACKAGE_SIGNING_PUBLIC_KEY_FILE=$(VAR)/keys/package-signing.pub \
	MEDIA_ROOT=$(abspath $(VAR))/media
# Commands that read settings but sign, look up or encrypt nothing (compiling translations, type
# checking) get throwaway secrets.
BUILD_ENV := SECRET_KEY=build RECEIPT_LOOKUP_KEY=build MFA_SECRETS_KEY=build
RANDOM_SECRET = $$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')

.PHONY: help
help:
	@echo "make run      serve the portal on http://127.0.0.1:8000 (creates .venv, migrates, seeds demo data)"
	@echo "make demo-code EMAIL=amina@demo.invalid   the sign-in code of a demo account (QR=1: a QR code too)"
	@echo "make test     lint, type check and the whole test suite"
	@echo "make worker   a Celery worker with beat (needs REDIS_URL)"
	@echo "make bench    benchmarks (see docs/performance.md)"
	@echo "make deploy-check  the Docker deployment, for real: HTTPS, onion, backup, restore (root)"
	@echo "make messages extract translatable strings into locale/*/LC_MESSAGES/django.po"
	@echo "make error-pages  rebuild deploy/errors/ (Caddy's page for a body over the limit)"
	@echo "make lock     re-pin requirements*.txt from pyproject.toml"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (python3.12 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever a pin changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

.PHONY: install
install: $(VENV)/.installed translations

$(VAR):
	@mkdir -p $(VAR) $(VAR)/media

$(VAR)/dev-secret-key: | $(VAR)
	@umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# Compiled catalogues (.mo) are build output, never committed.
.PHONY: translations
translations: $(VENV)/.installed
	@if command -v msgfmt >/dev/null 2>&1; then \
		$(BUILD_ENV) $(BIN)/python manage.py compilemessages --ignore=.venv -v0; \
	else \
		$(BIN)/python -m portal.msgfmt locale; \
	fi

.PHONY: run
run: install dev-site
	$(DEV_ENV) $(BIN)/python manage.py runserver $(ADDRESS)

# Everything make run does before serving: on a fresh database, the service keys, the demo staff
# and the example survivor accounts (intake/management/commands/setup_dev_site.py).
.PHONY: dev-site
dev-site: $(VENV)/.installed $(VAR)/dev-secret-key
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input -v0
	$(DEV_ENV) $(BIN)/python manage.py setup_dev_site --var-dir $(VAR) --address $(ADDRESS)

# The sign-in code of a demo account, for trying the portal without an authenticator app.
.PHONY: demo-code
demo-code: $(VENV)/.installed $(VAR)/dev-secret-key
	@test -n "$(EMAIL)" || { echo "usage: make demo-code EMAIL=amina@demo.invalid [QR=1]"; exit 1; }
	@$(DEV_ENV) $(BIN)/python manage.py demo_code $(EMAIL) $(if $(QR),--qr)

.PHONY: worker
worker: install $(VAR)/dev-secret-key
	@test -n "$$REDIS_URL" || { echo "make worker needs REDIS_URL (and DATABASE_URL); without them make run runs tasks in-process"; exit 1; }
	$(DEV_ENV) $(BIN)/celery -A portal worker --beat -Q portal-urgent,portal --loglevel=INFO --schedule=$(VAR)/celerybeat-schedule

.PHONY: lint
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

.PHONY: typecheck
typecheck: $(VENV)/.installed
	$(BUILD_ENV) $(BIN)/mypy .

# make test: the whole suite. With DATABASE_URL and REDIS_URL it uses real PostgreSQL and Redis and
# starts a Celery worker; REQUIRE_SERVICES=1 turns a missing service into a failure.
# Tests run with production settings (DEBUG off) except for HTTPS redirects, which the live test
# server cannot serve, static files, which come from the source folders instead of a
# collectstatic run, and the admin, mounted so that its pages are tested.
# tests/test_deploy_settings.py checks the real production settings.
.PHONY: test
test: install lint typecheck
	SECRET_KEY=$(RANDOM_SECRET) RECEIPT_LOOKUP_KEY=$(RANDOM_SECRET) MFA_SECRETS_KEY=$(RANDOM_SECRET) \
	SECURE_SSL_REDIRECT=0 STATIC_FROM_FINDERS=1 ALLOWED_HOSTS=testserver,localhost,127.0.0.1 \
	ADMIN_ENABLED=1 $(BIN)/pytest $(PYTEST_ARGS)

.PHONY: bench
bench: install
	$(BIN)/python -m bench

# make deploy-check: build the image, run the whole stack with Docker and prove the deployment
# path (README, "Deployment"; scripts/deploy_check.py). Needs root and Debian's docker.io,
# docker-compose, debootstrap and age; starts Docker's engine if none runs.
.PHONY: deploy-check
deploy-check: $(VENV)/.installed
	$(BIN)/python scripts/deploy_check.py

# The page Caddy answers a body over the upload limit with, in every language (deploy/Caddyfile):
# run after changing templates/portal/too_large*.html or a translation of their strings
# (tests/test_error_pages.py fails until then).
.PHONY: error-pages
error-pages: translations
	$(BUILD_ENV) $(BIN)/python manage.py build_error_pages

.PHONY: messages
messages: $(VENV)/.installed
	$(BUILD_ENV) $(BIN)/python manage.py makemessages --all --no-obsolete --ignore=.venv --ignore=tests --ignore=bench --add-location=file

.PHONY: lock
lock: $(BIN)/python
	bash scripts/lock.sh

.PHONY: clean
clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
	find . -name '*.mo' -not -path './.venv/*' -delete
