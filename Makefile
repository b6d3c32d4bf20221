.PHONY: run test lint format bench

run:  ## Run the platform with the programme and demo data (SQLite, tasks in-process)
	scripts/run

test:  ## The whole test suite on a throwaway PostgreSQL (what CI runs)
	scripts/test

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports && DJANGO_DEBUG=true .venv/bin/mypy .

format:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

bench:  ## Every benchmark on a throwaway PostgreSQL; results table in docs/benchmarks.md
	scripts/bench all
