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

# The lint gate first (a finding fails CI), then every test. pytest exits 5 when it
# collects nothing; that is a failure here, never a pass.
test: $(BIN)/pytest
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The edit-test loop: all but the tests marked slow (several processes, kill -9, waits on the clock,
# soak-style runs, the full demo); the -m here replaces the "not soak" of pyproject's addopts.
test-fast: $(BIN)/pytest
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto -m "not slow and not soak"

bench: $(BIN)/pytest
	$(BIN)/python -m bench

# Re-record the HTTP cassettes against the embedded sandbox (no network needed).
cassettes: $(BIN)/pytest
	EXACTSYNC_RECORD=1 $(BIN)/python -m pytest tests/test_cassettes.py

# The Dutch catalog: extract every marked message (babel.cfg), add the new ones to the .po
# (untranslated until someone writes their Dutch) and compile the .mo that ships in the package.
catalogs: $(BIN)/pytest
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project exactsync -o build/exactsync.pot .
	$(BIN)/pybabel update -i build/exactsync.pot -d exactsync/locale -D exactsync --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel compile -d exactsync/locale -D exactsync --statistics

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
