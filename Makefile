# Two commands for a new machine: `make baseline` and `make test` (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
# torch is pinned to the CPU build this machine provides; an unpinned torch pulls GBs of CUDA.
TORCH ?= torch==2.13.0

.PHONY: baseline compare encoder test test-quick bench bench-ingest lint clean

$(VENV)/.core: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[fast,datasets]"
	touch $@

# The tests also smoke-run the benchmarks, so they need the peers of the `bench` extra.
$(VENV)/.dev: $(VENV)/.core
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[fast,datasets,tsfresh,torch,dask,dev,bench]"
	touch $@

baseline: $(VENV)/.core
	$(PY) pipelines/baseline.py $(if $(DATA),--data "$(DATA)") $(if $(OUT),--out "$(OUT)") \
		$(if $(RATES),--rates $(RATES))

compare: $(VENV)/.core
	$(PY) pipelines/compare.py $(if $(OUT),--out "$(OUT)")

encoder: $(VENV)/.dev
	$(PY) pipelines/train_encoder.py --out $(or $(OUT),encoder.pt)

# Everything, doctests included. --dist loadfile keeps each test module on one worker, so
# its module fixtures (and the session fixtures of tests/conftest.py) are built once.
test: $(VENV)/.dev
	$(PY) -m pytest -q -n 2 --dist loadfile

# The quick tier (under 2 minutes on 2 cores): leaves out tests marked slow or bench.
test-quick: $(VENV)/.dev
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not slow and not bench"

bench: $(VENV)/.dev
	$(PY) benchmarks/run_all.py

bench-ingest: $(VENV)/.dev
	$(PY) benchmarks/ingest_speed.py

# Lint, format and type checks (CI runs them after the tests).
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .featurekit-cache
