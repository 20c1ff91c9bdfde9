# Set-up and the two main commands: `make demo` (the main job) and `make test` (every check).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SHARED_DATA := $(wildcard ../shared/data)
DATA_FLAG := $(if $(SHARED_DATA),--data-dir $(SHARED_DATA),)

.PHONY: install chromium demo test lint typecheck unit integration bench bench-quick local-start local-stop clean

# llama-cpp-python compiles llama.cpp for the building CPU by default, and pip's wheel cache
# hands that build to any machine later: built instead for a fixed, common instruction set
# (AVX2 where the CPU has it), once per machine, into a folder of our own.
LLAMA_VERSION := $(shell grep -o 'llama-cpp-python\[server\]==[0-9.]*' pyproject.toml | cut -d= -f3)
LLAMA_ISA := $(if $(shell grep -m1 -ow avx2 /proc/cpuinfo 2>/dev/null),avx2,baseline)
LLAMA_CMAKE_avx2 := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
LLAMA_CMAKE_baseline := -DGGML_NATIVE=OFF
LLAMA_WHEELS := $(HOME)/.cache/tg_core/wheels/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_ISA)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	ls $(LLAMA_WHEELS)/*.whl >/dev/null 2>&1 || { \
		echo "building llama-cpp-python $(LLAMA_VERSION) (the local model's server) from source for"; \
		echo "the $(LLAMA_ISA) instruction set, once per machine: about 4-10 minutes on two cores;"; \
		echo "a dot every 30 s while it builds, the wheel is kept in $(LLAMA_WHEELS)"; \
		( while sleep 30; do printf .; done ) & ticker=$$!; \
		CMAKE_ARGS="$(LLAMA_CMAKE_$(LLAMA_ISA))" $(PY) -m pip wheel --quiet --no-cache-dir \
			--no-deps -w $(LLAMA_WHEELS) "llama-cpp-python==$(LLAMA_VERSION)"; status=$$?; \
		kill $$ticker 2>/dev/null; echo; exit $$status; }
	$(PY) -m pip install --quiet --find-links $(LLAMA_WHEELS) -e ".[dev,dspy,langchain,langgraph,mlflow,local]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP) chromium

## Chromium renders the run report in a browser test; installed with apt-get in CI, or when
## it is missing and we are root. Anyone else gets a message and the test is skipped.
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "chromium: no apt-get here; the report's browser test will be skipped"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif [ "$$CI" = true ] && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "chromium: not root, not installed; the report's browser test will be skipped"; \
		exit 0; fi; \
	echo "chromium: installing Debian's chromium with apt-get (for the report's browser test)"; \
	$$sudo apt-get update -qq >/dev/null && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null 2>&1 || \
	{ echo "chromium: apt-get could not install it; the report's browser test will be skipped"; }

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
