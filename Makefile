# The two commands of the README:  `make all` (set-up + main job)  and  `make test` (set-up + tests).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TEST_CACHE := $(CURDIR)/cache-test

.PHONY: all setup main samples notebooks book test test-fast clean

all: main

# A virtual environment in the checkout with everything installed (editable, so notebooks import the checkout).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e .
	touch $(STAMP)

setup: $(STAMP)

# The main job: every notebook executed headless with the default (smoke) preset, then the book.
main: setup
	$(BIN)/repro run --preset smoke --output-dir runs/smoke
	$(MAKE) book
	.ci/install-chromium
	$(BIN)/python -m repro.bookcheck --no-build

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
test: setup
	.ci/install-chromium
	rm -rf $(TEST_CACHE)
	REPRO_CACHE=$(TEST_CACHE) $(BIN)/python -m pytest tests notebooks --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:randomly -v -rs

test-fast: setup
	$(BIN)/python -m pytest tests -m "not slow" -q

clean:
	rm -rf _build runs cache cache-test
