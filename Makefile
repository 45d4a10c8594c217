# For Syria — the two commands a newcomer needs: `make run` and `make test`.
# Everything else here is what those two call. Needs only Python 3.11+ and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := app
TRANSLATIONS := conference/translations
CATALOGS := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test bench screens lint format setup db content translations extract-messages clean

# `make run PORT=8000` serves elsewhere; links in pages and emails follow the address
# served (BASE_URL, unless given). Mail goes to the development mailbox at /dev/mailbox
# (`make run DEV_MAILBOX=0` to use the MAIL_SERVER of your .env instead).
# HOST only from the command line (`make run HOST=0.0.0.0`): shells set HOST to the
# machine's name. PORT also from the environment.
HOST := 127.0.0.1
PORT ?= 5000
BASE_URL ?= http://$(HOST):$(PORT)
DEV_MAILBOX ?= 1
DEV := BASE_URL=$(BASE_URL) DEV_MAILBOX=$(DEV_MAILBOX)

run: setup ## Serve the site at http://127.0.0.1:$(PORT) (SQLite, mail in the development mailbox)
	@echo "Serving For Syria at $(BASE_URL) once ready  (Ctrl+C to stop)"
	@$(DEV) $(BIN)/flask dev run --host $(HOST) --port $(PORT)

# In parallel on every core (pytest-xdist); tests marked xdist_group run in one worker.
# PYTEST_ARGS comes last and wins: `make test PYTEST_ARGS="-n0 tests/site"` runs serially.
PYTEST_PARALLEL ?= -n auto --dist loadgroup

test: setup lint ## Run the linter and the whole test suite
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# Speed under load against baselines in the same run: gunicorn, wrk, Lighthouse (Debian's
# wrk, sqlite3 and chromium; npm's lighthouse). PostgreSQL too when TEST_DATABASE_URL is set,
# and then two app groups behind Debian's nginx (Redis on 127.0.0.1): without nginx, that
# figure says it did not run.
bench: setup
	@command -v wrk >/dev/null && command -v sqlite3 >/dev/null && command -v psql >/dev/null \
		&& test -x /usr/bin/chromium || \
		(apt-get update -qq && apt-get install -y -qq wrk sqlite3 postgresql-client chromium >/dev/null)
	@test -x /usr/sbin/nginx || (apt-get update -qq && apt-get install -y -qq nginx >/dev/null) \
		|| echo "nginx could not be installed: two app groups behind nginx will not run"
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Pictures of the back office in both languages, phone and desktop: docs/screens/*.png.
screens: setup
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	$(BIN)/python docs/screens/shoot.py

# ruff for style; lint-imports for the layers (the contracts in pyproject.toml).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo --no-cache

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

setup: $(STAMP) translations

# Re-install only when the project's requirements change.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,production]'
	touch $(STAMP)

translations: $(COMPILED)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d $(TRANSLATIONS) -l $* --statistics

# After adding or changing text: extract, then translate the new entries in the .po files.
extract-messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 --no-location --sort-output --ignore-dirs ".* __pycache__" \
		--project "For Syria" --copyright-holder "For Syria organizers" \
		-o $(TRANSLATIONS)/messages.pot conference templates
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --width 88 --ignore-obsolete --no-fuzzy-matching

# What `flask dev prepare` (in `make run`) does, as the separate commands production runs.
db: setup
	$(BIN)/flask db upgrade

content: db
	$(BIN)/flask content load
	$(BIN)/flask content sample
	$(BIN)/flask users demo

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(COMPILED)
