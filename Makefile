# The two commands of the README:  `make all` (set-up + main job)  and  `make test` (set-up + tests).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TEST_CACHE := $(CURDIR)/cache-test

.PHONY: all setup lock main samples notebooks book test test-fast clean

all: main

# A virtual environment in the checkout with exactly requirements.lock installed (every package, transitive
# ones included, pinned with ==; --no-deps so pip adds nothing the lock does not name), then the project
# itself, editable (notebooks import the checkout), without dependencies and built with the locked setuptools.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --no-deps -r requirements.lock
	$(BIN)/python -m pip install --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

setup: $(STAMP)

# The main job: every notebook executed headless with the default (smoke) preset, then the book.
main: setup
	$(BIN)/repro run --preset smoke --output-dir runs/smoke
	$(MAKE) book
	.ci/install-chromium
	$(BIN)/python -m repro.bookcheck --no-build

# Regenerate requirements.lock (and the pins of environment.yml) from pyproject.toml's ranges with pip-compile
# (pip-tools, itself in the lock), through pip's configured indexes. A lock change can change stored outputs:
# commit it together with refreshed outputs (`make notebooks`) and results (`make all`, then copy
# runs/smoke/results.json to results/smoke.json), in the same commit.
lock: setup
	$(BIN)/pip-compile --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	  --no-emit-trusted-host --upgrade -o requirements.lock pyproject.toml
	$(BIN)/python -m repro.lockfile environment.yml
	@echo "lock: requirements.lock regenerated. Next: make setup && make notebooks && make all, then commit the"
	@echo "lock: lock, environment.yml, notebooks/*.ipynb and results/smoke.json (= runs/smoke/results.json) together."

samples: setup
	$(BIN)/repro samples

# Refresh the outputs stored in the paired notebooks/*.ipynb (what the book renders and nbval compares).
notebooks: setup
	$(BIN)/repro run --refresh

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
