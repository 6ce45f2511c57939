# Two commands: `make run` and `make test`; `make fuzz` fuzzes longer. The rest are helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where `make run` serves, e.g. `make run PORT=8123`. Another HOST must be in ALLOWED_HOSTS.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test fuzz bench bench-mou lighthouse install lint format migrate demo graph collectstatic clean

$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Development defaults that every manage.py command reads (settings.py reads .env for what the
# environment leaves unset): DEBUG on and a secret key of this checkout's own. Written once,
# when missing, and never committed (.gitignore); edit it freely.
.env:
	(umask 077 && $(PYTHON) -c "import secrets; print('DEBUG=1'); \
		print('SECRET_KEY=' + secrets.token_urlsafe(50))" > $@)

migrate: install .env
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py demo

# Development server on SQLite unless DATABASE_URL says otherwise, at http://HOST:PORT; links
# in e-mails name that address unless SITE_URL is set. Each step that was done before is
# skipped: the venv by its stamp, migrate and the demo by dev_setup's look at the database.
# No collectstatic: with DEBUG on, whitenoise serves static files from the apps.
run: export DEBUG ?= 1
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install .env
	$(BIN)/python manage.py dev_setup
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite, browser tests included; on PostgreSQL when DATABASE_URL is set. In parallel,
# one xdist worker per core (PYTEST_WORKERS=0: one process), each with a database of its own
# (test_<name>_gw0, ...), its own live server and Chromium. A module's tests stay on one worker
# (--dist loadscope), so what a module stages once is staged once and its tests keep their order.
# The suite reads no .env (tests/support/no_dotenv.py): a developer's, which `make run` writes
# with DEBUG=1, changes nothing it tests, as in CI's clean clone.
PYTEST_WORKERS ?= auto
test: export SECRET_KEY ?= test-only-not-secret
test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# Thousands of hostile requests at every address, new ones on each run (tests/core/test_fuzz.py).
# `make test` runs the same tests with a few hundred cases, the same ones every time.
fuzz: export SECRET_KEY ?= test-only-not-secret
fuzz: export FUZZ_EXAMPLES ?= 5000
fuzz: export FUZZ_RANDOM ?= 1
fuzz: install
	$(BIN)/python -m pytest -m fuzz $(PYTEST_ARGS)

# The benchmark (docs/performance.md), not part of `make test`: drops and fills the database
# BENCH_DATABASE_URL names with 100,000 requests, then measures every page under gunicorn.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/hmis_bench
bench bench-mou: export DATABASE_URL = $(BENCH_DATABASE_URL)
# Measured as in production: no development .env (DEBUG=1 would record every query).
bench bench-mou: export ENV_FILE =
bench bench-mou: export SECRET_KEY ?= bench-only-not-secret
bench bench-mou: export PRIVATE_FILES_ROOT ?= $(CURDIR)/var/bench
bench: export BENCH_PAGES = 1
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python manage.py bench generate
	$(BIN)/python manage.py bench run

# The MOU's render beside a plain WeasyPrint document of as many pages, on `make bench`'s data.
bench-mou: install
	$(BIN)/python manage.py bench mou

# Lighthouse's accessibility and best-practices audits, each required at 100, on the sign-in
# page, a requestor's list, an application step, the queue and a request page, served by gunicorn
# with DEBUG off from a database of its own, dropped and filled with the demo data each run
# (manage.py lighthouse, docs/accessibility.md). Lighthouse
# comes from npm (package-lock.json) and drives Debian's Chromium: no browser is downloaded.
LIGHTHOUSE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/hmis_lighthouse
lighthouse: export DATABASE_URL = $(LIGHTHOUSE_DATABASE_URL)
lighthouse: export SECRET_KEY ?= lighthouse-only-not-secret
lighthouse: export PRIVATE_FILES_ROOT ?= $(CURDIR)/var/lighthouse
lighthouse: export EMAIL_URL = dummymail://
lighthouse: export PUPPETEER_SKIP_DOWNLOAD = 1
lighthouse: export CHROME_PATH ?= /usr/bin/chromium
lighthouse: install
	npm ci --no-audit --no-fund --loglevel=error
	LIGHTHOUSE_DATABASE_URL=$(LIGHTHOUSE_DATABASE_URL) $(BIN)/python manage.py lighthouse

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Redraw the workflow diagrams from the state machines themselves, and the person's access
# from its table (requests_app/agreement/life.py).
graph: export DEBUG ?= 1
graph: install
	$(BIN)/python manage.py graph_transitions requests_app.AccessRequest > docs/workflow.gv
	dot -Tsvg docs/workflow.gv -o docs/workflow.svg
	$(BIN)/python manage.py graph_transitions requests_app.Agreement > docs/agreement.gv
	dot -Tsvg docs/agreement.gv -o docs/agreement.svg
	$(BIN)/python manage.py graph_access > docs/access.gv
	dot -Tsvg docs/access.gv -o docs/access.svg

collectstatic: install
	$(BIN)/python manage.py collectstatic --noinput

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
