# Emergence: build, test and benchmark from a fresh clone.
# Every target creates the virtual environment it needs from the pinned files.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BOOK_FLAGS := --builder html -W -n --keep-going

.PHONY: book test bench lab clean venv

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-test.txt
	touch $(STAMP)

venv: $(STAMP)

## make book: build the whole book strictly (warnings and notebook errors fail) into _build/html
book: $(STAMP)
	$(BIN)/jupyter-book build . $(BOOK_FLAGS)

## make test: library tests, the strict book build, then tests of the built pages in Chromium
test: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || printf '\n%s\n%s\n%s\n\n' \
	  "!!!!!!!!!! Chromium not found: the browser tests of the built pages will be SKIPPED !!!!!!!!!!" \
	  "!!!!!!!!!! Install it with: sudo apt-get install -y chromium   (CI does, in .ci/run)  !!!!!!!!!!" \
	  "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	$(BIN)/python -m pytest -m "not build and not browser" -q
	@start=$$(date +%s); $(MAKE) --no-print-directory book; \
	  echo "book build took $$(( $$(date +%s) - start )) s"
	$(BIN)/python -m pytest -m "build or browser" -q

## make bench: kernel speed against numpy, explorer latency, chapter execution time
bench: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python benchmarks/run.py

## make lab: JupyterLab on the chapters (MyST files open as notebooks)
lab: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH bash postBuild
	$(BIN)/jupyter lab --LabApp.default_url=/lab/tree/chapters/ising.md $(if $(filter 0,$(shell id -u)),--allow-root)

clean:
	rm -rf _build $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
