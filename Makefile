# Two commands on a fresh machine (only python3 needed):
#   make demo   set up .venv and build the sample dataset into build/demo
#   make test   set up .venv with the test extras and run the whole suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint bench clean

# The modules of src/builder/compiled.py (the parser, the inputs' readers, the batch
# step) are compiled to C by the install (setup.py, mypyc): installing again after they
# change compiles them again. (A stale compiled module is never run: builder then runs
# them as Python and says so; see src/builder/compiled.py.)
COMPILED_SOURCES := setup.py src/builder/compiled.py src/builder/parse/_lid.cpp $(wildcard src/builder/parse/*.py src/builder/parse/layouts/*.py) \
	$(wildcard src/builder/inputs/*.py) src/builder/engines/partitioned.py src/builder/merge.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The rest of the editable install runs from src/: it is compiled to bytecode once, as a
# wheel's install is, or every run (and each pool's fork server) compiles it again
# where PYTHONDONTWRITEBYTECODE is set (0.08 s of CPU per process here).
$(VENV)/.base: $(VENV)/bin/python pyproject.toml $(COMPILED_SOURCES)
	$(PY) -m pip install --quiet -e .
	$(PY) -m compileall -q src
	touch $@

$(VENV)/.test: $(VENV)/bin/python pyproject.toml $(COMPILED_SOURCES)
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m compileall -q src
	touch $@

demo: $(VENV)/.base
	rm -rf build/demo
	HF_HUB_OFFLINE=1 $(VENV)/bin/builder make samples/dumps --out build/demo --captured-at 2025-07-01T12:00:00Z
	HF_HUB_OFFLINE=1 $(PY) -c "import datasets; print(datasets.load_dataset('build/demo', split='train'))"
	@echo "report: $$(ls build/demo/versions/*/report.html) (open it in a browser)"

# The whole suite, slow tests included (CI runs this).
test: $(VENV)/.test
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

# Everything but the slow tests, for local iteration.
test-fast: $(VENV)/.test
	$(PY) -m pytest -n auto -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.test
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

bench: $(VENV)/.test
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) benchmarks/run.py

clean:
	rm -rf build benchmarks/out .pytest_cache .mypy_cache .ruff_cache
	find src -name '*.so' -delete
