# Set-up and the two main commands: `make demo` (the main job) and `make test` (every check).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SHARED_DATA := $(wildcard ../shared/data)
DATA_FLAG := $(if $(SHARED_DATA),--data-dir $(SHARED_DATA),)

.PHONY: install demo test lint typecheck unit integration bench bench-quick local-start local-stop clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -e ".[dev,dspy,langchain,local]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## The main job: a real optimization on the embedded local model (no API key).
demo: install
	$(PY) -m tg_core local start
	$(PY) -m tg_core demo $(DATA_FLAG)

## Every check: lint, format, types, unit and integration tests, and the quick benchmark gate.
test: install lint typecheck
	$(PY) -m pytest tests -q -ra
	TG_CORE_HOME=$$(mktemp -d) $(PY) -m pytest -q --doctest-modules tg_core tg_adapters -p no:cacheprovider
	$(PY) -m benchmarks.run --quick

## Benchmarks side by side with TextGrad 0.1.8 (installed in its own venv): see benchmarks/RESULTS.md.
bench: install
	$(PY) -m benchmarks.run

bench-quick: install
	$(PY) -m benchmarks.run --quick

lint: install
	$(PY) -m ruff check tg_core tg_adapters tests examples benchmarks
	$(PY) -m ruff format --check tg_core tg_adapters tests examples benchmarks

typecheck: install
	$(PY) -m mypy --strict tg_core tg_adapters

unit: install
	$(PY) -m pytest tests -q -m "not integration"

integration: install
	$(PY) -m pytest tests -q -m integration

local-start: install
	$(PY) -m tg_core local start

local-stop: install
	$(PY) -m tg_core local stop

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache runs
