# The README's two commands: `make demo` and `make test`. Each builds the venv
# it needs from pyproject.toml, so both work on a fresh clone: the demo only what
# exactsync runs with (as a server install has), the tests add the test tools.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast bench cassettes catalogs clean

$(BIN)/exactsync: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# The test extra (pytest, ruff, Babel, ...): for the tests, the benches, the cassettes and the catalog.
$(BIN)/pytest: $(BIN)/exactsync
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Every step against the embedded sandbox, each printed as its command; leaves nothing behind.
demo: $(BIN)/exactsync
	$(BIN)/exactsync demo

# The tests keep compiled modules (__pycache__, ignored by git) even where the environment says
# not to write them: else each test worker and each exactsync the tests start compiles them again.
TEST_ENV = PYTHONDONTWRITEBYTECODE=

# The lint gate first (a finding fails CI), then every test, on every core (pytest-xdist): no test
# needs the machine to itself (they wait for events, not for the clock). pytest exits 5 when it
# collects nothing; that is a failure here, never a pass.
test: $(BIN)/pytest
	$(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/python -m pytest -n auto

# The edit-test loop: all but the tests marked slow (several processes, kill -9, waits on the clock,
# soak-style runs, the full demo); the -m here replaces the "not soak" of pyproject's addopts.
test-fast: $(BIN)/pytest
	$(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/python -m pytest -n auto -m "not slow and not soak"

bench: $(BIN)/pytest
	$(BIN)/python -m bench

# Re-record the HTTP cassettes against the embedded sandbox (no network needed).
cassettes: $(BIN)/pytest
	EXACTSYNC_RECORD=1 $(BIN)/python -m pytest tests/test_cassettes.py

# The Dutch catalogs: extract every marked message and help text (babel.cfg, whose extractor is
# exactsync.cli_language.extract, so the package must be installed), add the new ones to the .po
# (untranslated until someone writes their Dutch) and compile the .mo that ships in the package.
# Click's own texts (usage, errors, prompts) come from the installed click's source into click.po.
CLICK_SOURCE = $(shell $(BIN)/python -c 'import click, os; print(os.path.dirname(click.__file__))')
catalogs: $(BIN)/pytest
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project exactsync -o build/exactsync.pot .
	$(BIN)/pybabel extract --no-location --sort-output --project click -o build/click.pot $(CLICK_SOURCE)
	for domain in exactsync click; do \
	  $(BIN)/pybabel update -i build/$$domain.pot -d exactsync/locale -D $$domain --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date && \
	  $(BIN)/pybabel compile -d exactsync/locale -D $$domain --statistics || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
