# Two commands do all the set-up: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-setup clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first: the CPU wheel 2.13.0; a bare `torch` requirement would pull CUDA wheels.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev,encoder,studio,dask,ner]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/explicate demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check explicate tests benchmarks
	$(BIN)/mypy

$(VENV)/.bench: $(STAMP)
	$(BIN)/pip install -q -e ".[dev,bench,dask]"
	touch $(VENV)/.bench

bench-setup: $(VENV)/.bench

bench: bench-setup
	$(BIN)/python benchmarks/apply_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info
