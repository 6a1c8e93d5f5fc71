.PHONY: test test-fast lint format screenshots bench

PY ?= .venv/bin/python

test:
	$(PY) -m pytest -q -n 2

test-fast:  # everything but the tests that start Python subprocesses
	$(PY) -m pytest -q -n 2 -m "not process"

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	.venv/bin/lint-imports

format:
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

screenshots:
	$(PY) scripts/screenshots.py

bench:
	$(PY) benchmarks/bench.py
