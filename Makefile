.PHONY: test lint format screenshots bench

PY ?= .venv/bin/python

test:
	$(PY) -m pytest -q

lint:
	$(PY) -m ruff check tui_trainer tests
	$(PY) -m ruff format --check tui_trainer tests

format:
	$(PY) -m ruff format tui_trainer tests
	$(PY) -m ruff check --fix tui_trainer tests

screenshots:
	$(PY) scripts/screenshots.py

bench:
	$(PY) benchmarks/bench.py
