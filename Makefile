# make dev  — set everything up and run the platform (web + worker)
# make test — set everything up and run the whole suite
# Needs only Python 3.11+. The database is an embedded PostgreSQL under .data/
# unless DATABASE_URL is set.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
MANAGE := $(PY) manage.py
PORT   ?= 8000
# `make test BROWSER=no` skips the browser journeys (no chromium needed).
BROWSER ?= yes

.PHONY: dev test setup install migrate seed demo run bench messages check stop clean chromium

dev: setup seed run

ifeq ($(BROWSER),no)
test: setup
	$(BIN)/pytest -m "not browser"
else
test: setup chromium
	$(BIN)/pytest
endif

# Debian's chromium for the browser journeys: installed when missing and we are root
# (or have password-less sudo), as on CI; otherwise the script says how.
chromium:
	@sh .ci/ensure-chromium

setup: install migrate

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Shared (public) and every clinic schema, the cache table, then the platform row,
# plans and the clone template (created on first run, refused if it lags the code).
migrate: install
	$(MANAGE) migrate_schemas --executor=multiprocessing -v0
	$(MANAGE) createcachetable
	$(MANAGE) move_private_uploads -v0
	$(MANAGE) setup_platform

# seed_demo's URLs and logins go to a file: `make dev` prints them once the server
# answers (portal.devbanner), `make demo` at once.
seed: migrate
	@mkdir -p .data
	$(MANAGE) seed_demo > .data/demo-logins.txt

demo: seed
	@cat .data/demo-logins.txt

# The worker (and localstripe, unless STRIPE_SECRET_KEY is set) run beside the web
# server and stop with it (Ctrl-C). The URLs and demo logins are printed once the
# server answers, after the start-up log lines.
run: install
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) -m portal.devstripe & \
	$(MANAGE) qcluster & \
	$(PY) -m portal.devbanner --wait http://localhost:$(PORT)/ .data/demo-logins.txt & \
	$(MANAGE) runserver 0.0.0.0:$(PORT)

# Every benchmark, one report (also written to benchmarks/results.md). The HTTP one uses
# Debian's wrk (installed when missing and we are root) and a database of its own.
# `make bench BENCH_ARGS='--only-http --http-args "--seconds 4"'` for a quicker look.
BENCH_ARGS ?=
bench: setup
	@sh .ci/ensure-wrk
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

messages: install
	$(MANAGE) makemessages -l es -l en --ignore=.venv --ignore=tests --ignore=benchmarks --ignore=.data --ignore=staticfiles
	$(MANAGE) compilemessages --ignore=.venv

check: install
	DJANGO_SETTINGS_MODULE=portal.settings.production SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	DATABASE_URL=postgres://localhost/portal STRIPE_SECRET_KEY=sk_x STRIPE_PUBLISHABLE_KEY=pk_x STRIPE_WEBHOOK_SECRET=whsec_x \
	PLATFORM_LEGAL_NAME='Clinic Portal S.L.' PLATFORM_TAX_ID=B87654323 PLATFORM_ADDRESS='Calle Ejemplo 1, Madrid' \
	$(MANAGE) check --deploy --fail-level WARNING

stop:
	$(PY) -c 'from pathlib import Path; from portal.devdb import stop; print("stopped" if stop(Path(".").resolve()) else "not running")'

clean: stop
	rm -rf $(VENV) .data staticfiles
