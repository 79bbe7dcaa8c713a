# The two commands of the README:  `make all` (set-up + main job)  and  `make test` (set-up + tests).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TEST_CACHE := $(CURDIR)/cache-test

.PHONY: all help setup lock main samples notebooks book rehearse test test-fast clean

all: main

help:
	@echo "make all        set-up (.venv = requirements.lock) + main job: every notebook (smoke preset) + the book"
	@echo "make test       set-up + unit tests, nbval on every notebook, results within tolerances, book, browser"
	@echo "make setup      install exactly requirements.lock into .venv, then the project (editable)"
	@echo "make lock       regenerate requirements.lock + environment.yml from pyproject.toml (pip-compile);"
	@echo "                a lock change means refreshing the stored outputs (make notebooks) in the same commit"
	@echo "make notebooks  refresh notebooks/*.ipynb and results/smoke.json (commit them with the lock)"
	@echo "make book       build the book into _build/html"
	@echo "make rehearse   every chapter with --preset paper on tiny data in the real layouts, then the book;"
	@echo "                refreshes the paper-scale cost table book/paper_costs.inc (about 10 minutes)"

# A virtual environment in the checkout with exactly requirements.lock installed (every package, transitive
# ones included, pinned with ==; --no-deps so pip adds nothing the lock does not name; pip-sync, from the
# lock, then removes what an earlier lock had and this one does not), then the project itself, editable
# (notebooks import the checkout), without dependencies and built with the locked setuptools.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --no-deps -r requirements.lock
	$(BIN)/pip-sync --pip-args "--no-deps" requirements.lock
	$(BIN)/python -m pip install --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

setup: $(STAMP)

# The main job: every notebook executed headless with the default (smoke) preset, then the book.
main: setup
	$(BIN)/repro run --preset smoke --output-dir runs/smoke
	$(MAKE) book
	.ci/install-chromium
	$(BIN)/python -m tools.bookcheck --no-build

# Regenerate requirements.lock (and the pins of environment.yml) from pyproject.toml's ranges with pip-compile
# (pip-tools, itself in the lock), through pip's configured indexes. A lock change can change stored outputs:
# commit it together with refreshed outputs (`make notebooks`) and results (`make all`, then copy
# runs/smoke/results.json to results/smoke.json), in the same commit.
# `make lock` keeps every pin that still satisfies pyproject.toml; `make lock LOCK_FLAGS=--upgrade` moves
# every package to the newest release its range allows.
LOCK_FLAGS ?=
lock: setup
	$(BIN)/pip-compile --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	  --no-emit-trusted-host $(LOCK_FLAGS) -o requirements.lock pyproject.toml
	$(BIN)/python -m repro.lockfile environment.yml
	@echo "lock: requirements.lock and environment.yml regenerated. A lock change can change stored outputs:"
	@echo "lock: run make notebooks (refreshes notebooks/*.ipynb and results/smoke.json) and commit all four together."

samples: setup
	$(BIN)/repro samples

# Refresh the outputs stored in the paired notebooks/*.ipynb (what the book renders and nbval compares) and
# the committed default run's numbers, results/smoke.json (what make test compares within tolerances).
notebooks: setup
	$(BIN)/repro run --refresh
	cp runs/refresh/results.json results/smoke.json

# The rehearsal of the paper preset (repro/rehearse): tiny datasets in every real layout, every chapter with
# --preset paper, the book; it times each unit of work and writes the paper-scale cost table into the book.
rehearse: setup
	$(BIN)/repro rehearse --write-costs

book: setup
	$(BIN)/jupyter-book build . --all --builder html -W -n --keep-going

# The test suite: unit tests, then nbval on every committed notebook against a fresh execution in a
# fresh cache (so nothing left over from the main job can hide a problem), the book build, and the
# browser check of the rendered book (headless Chromium; installed on CI by .ci/install-chromium).
# nbval compares exactly only the outputs any machine reproduces bit for bit; the chapters' numbers that
# move in the last digits across CPUs are recorded by that fresh execution into $(TEST_CACHE)/results and
# compared with results/smoke.json within stated tolerances by the second pytest run.
TEST_ENV := REPRO_CACHE=$(TEST_CACHE) REPRO_RESULTS_DIR=$(TEST_CACHE)/results
test: setup
	.ci/install-chromium
	rm -rf $(TEST_CACHE)
	$(TEST_ENV) $(BIN)/python -m pytest tests notebooks --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -m "not fresh_run" -p no:randomly -v -rs
	$(TEST_ENV) $(BIN)/python -m pytest tests/test_results.py -m fresh_run \
	  --fresh-results $(TEST_CACHE)/results -p no:randomly -v -rs

test-fast: setup
	$(BIN)/python -m pytest tests -m "not slow and not fresh_run" -q

clean:
	rm -rf _build runs cache cache-test
