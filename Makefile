.PHONY: test test-fast lint format screenshots bench soak

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

soak:  # memory over 200 runs and one 10,000-epoch run (benchmarks/soak.py --quick: 20 and 500)
	$(PY) benchmarks/soak.py
