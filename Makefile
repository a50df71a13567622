# Emergence: build, test and benchmark from a fresh clone.
# Every target creates the virtual environment it needs from the pinned files.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNELS := $(VENV)/.kernels-compiled
BOOK_FLAGS := --builder html -W -n --keep-going
TIMES  := _build/test-times.tsv

# Tests and benchmarks run one BLAS/OpenMP thread per process: their parallelism
# comes from processes (pytest-xdist workers, chapters side by side), one per
# CPU this machine really grants (emergence.threads.usable_cpus).
ONE_THREAD = eval "$$($(BIN)/python -m emergence.threads --export 1)"
JOBS       = $$($(BIN)/python -m emergence.threads)
# $(call timed,PHASE,COMMAND): run COMMAND and append "PHASE<tab>seconds" to $(TIMES).
timed = @echo ">>> $(1)"; mkdir -p _build; s=$$(date +%s%N); $(2); rc=$$?; \
	printf '%s\t%s\n' "$(1)" "$$(( ($$(date +%s%N) - s) / 1000000 ))" >> $(TIMES); exit $$rc

.PHONY: book student test bench lab clean venv book-under-load

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	@echo ">>> install: $(VENV) from requirements.txt and requirements-test.txt"; s=$$(date +%s); \
	$(PYTHON) -m venv $(VENV) && \
	$(BIN)/python -m pip install --quiet --upgrade pip && \
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-test.txt && \
	echo $$(( $$(date +%s) - s )) > $(VENV)/.install-seconds
	touch $(STAMP)

venv: $(STAMP)

# Compile every numba kernel once, the model families side by side, whenever the library changed,
# so that chapters executing in parallel load machine code instead of each compiling it.
$(KERNELS): $(STAMP) $(wildcard lib/emergence/*.py)
	$(BIN)/python -m emergence.warmup
	touch $(KERNELS)

## make book: build the whole book strictly (warnings and notebook errors fail) into _build/html.
## Stale chapters execute side by side first, one single-threaded kernel per usable CPU
## (EMERGENCE_BUILD_JOBS=N overrides the count).
book: $(STAMP) $(KERNELS)
	$(BIN)/jupyter-book build . $(BOOK_FLAGS)

## make student: the student edition into _build/student/html: the same book with every exercise
## solution removed (not collapsed) and notebooks without solutions. It reuses the execution cache
## of `make book`, so after it no chapter executes again.
student: $(STAMP) $(KERNELS)
	EMERGENCE_EDITION=student $(BIN)/jupyter-book build . $(BOOK_FLAGS) --path-output _build/student
	ln -sfn _build/html _build/student/html

## make test: library tests, the strict book build of both editions, then tests of the built pages
## (and downloadable notebooks) in Chromium.
## Prints the time of each phase at the end (also kept in _build/test-times.tsv).
test: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || printf '\n%s\n%s\n%s\n\n' \
	  "!!!!!!!!!! Chromium not found: the browser tests of the built pages will be SKIPPED !!!!!!!!!!" \
	  "!!!!!!!!!! Install it with: sudo apt-get install -y chromium   (CI does, in .ci/run)  !!!!!!!!!!" \
	  "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	@mkdir -p _build; rm -f $(TIMES) _build/test-durations.json
	$(call timed,compile kernels,$(MAKE) --no-print-directory $(KERNELS))
	$(call timed,library tests,$(ONE_THREAD); EMERGENCE_TEST_TIMES=$(TIMES) EMERGENCE_TEST_PHASE="library tests" $(BIN)/python -m pytest -n $(JOBS) --dist worksteal -m "not build and not browser" -q)
	$(call timed,book build,$(MAKE) --no-print-directory book)
	$(call timed,student edition,$(MAKE) --no-print-directory student)
	$(call timed,page tests,$(ONE_THREAD); EMERGENCE_TEST_TIMES=$(TIMES) EMERGENCE_TEST_PHASE="page tests" $(BIN)/python -m pytest -n $(JOBS) --dist worksteal -m "build or browser" -q --durations=10)

## make bench: kernel speed against numpy, explorer latency, chapter execution alone and beside a CPU hog,
## and the phases of the last `make test` with their projection to 21 chapters.
## `make bench SECTIONS="load phases"` runs only those (kernels, explorers, load, phases).
bench: $(STAMP) $(KERNELS)
	MPLBACKEND=Agg $(BIN)/python benchmarks/run.py $(SECTIONS)

## make book-under-load: build the book from scratch alone, then again beside one busy process per CPU;
## fails if any chapter executes more than 2.5x slower under load
book-under-load: $(STAMP) $(KERNELS)
	MPLBACKEND=Agg $(BIN)/python benchmarks/under_load.py --build

## make lab: JupyterLab on the chapters (MyST files open as notebooks), thread pools sized to the usable CPUs
lab: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH bash postBuild
	eval "$$($(BIN)/python -m emergence.threads --export)"; \
	$(BIN)/jupyter lab --LabApp.default_url=/lab/tree/chapters/ising.md $(if $(filter 0,$(shell id -u)),--allow-root)

clean:
	rm -rf _build $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
