# The README's two commands: `make demo` and `make test`. Each builds the venv
# it needs from pyproject.toml, so both work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast bench cassettes clean

$(BIN)/exactsync: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Every step against the embedded sandbox, each printed as its command; leaves nothing behind.
demo: $(BIN)/exactsync
	$(BIN)/exactsync demo

# The lint gate first (a finding fails CI), then every test. pytest exits 5 when it
# collects nothing; that is a failure here, never a pass.
test: $(BIN)/exactsync
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The edit-test loop: all but the tests marked slow (several processes, kill -9, waits on the clock,
# soak-style runs, the full demo); the -m here replaces the "not soak" of pyproject's addopts.
test-fast: $(BIN)/exactsync
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow and not soak"

bench: $(BIN)/exactsync
	$(BIN)/python -m bench

# Re-record the HTTP cassettes against the embedded sandbox (no network needed).
cassettes: $(BIN)/exactsync
	EXACTSYNC_RECORD=1 $(BIN)/python -m pytest tests/test_cassettes.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
