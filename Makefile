# The few commands a newcomer needs. `make help` lists them.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export MPLBACKEND := Agg

.DEFAULT_GOAL := help
.PHONY: help setup report check test bench lint format lab demo-data clean-outputs

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# Installing also makes nbstripout this clone's git filter, so outputs of notebooks opened in JupyterLab
# never reach a commit.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	if git rev-parse --git-dir >/dev/null 2>&1; then $(VENV)/bin/nbstripout --install; fi
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the package with its dependencies

report: $(STAMP)  ## run the whole pipeline on the shipped (simulated) demo register into reports/demo/
	$(VENV)/bin/analysis run --out reports/demo

check: $(STAMP)  ## the fast tier for the edit-test loop: unit tests only, no notebook runs (under a minute)
	OPENBLAS_NUM_THREADS=1 $(PY) -m pytest -q -n 2 -m "not (notebook or batch or report or coverage or slow)"

test: $(STAMP)  ## run every test, as CI does (unit tests, the papermill chain, batches, the demo report)
	OPENBLAS_NUM_THREADS=1 $(PY) -m pytest -q -n 2 --dist loadgroup

bench: $(STAMP)  ## time cleaning, cost and baseline at 10k/100k/1M rows, the bootstrap and a whole run -> reports/bench.md; coverage of the headline intervals (200 replications each) -> reports/coverage.md
	mkdir -p reports
	{ $(PY) benchmarks/bench_clean.py; echo; $(PY) benchmarks/bench_models.py; echo; \
	  $(PY) benchmarks/bench_bootstrap.py; echo; $(PY) benchmarks/bench_run.py; echo; \
	  $(PY) benchmarks/bench_reuse.py; echo; $(PY) benchmarks/bench_start.py; echo; \
	  $(PY) benchmarks/bench_figures.py; echo; $(PY) benchmarks/bench_batch.py; } | tee reports/bench.md
	{ echo "## Spending shift (demo design)"; $(PY) scripts/did_coverage.py 200 20261201; echo; \
	  echo "## Baseline (specialised organizations, place shocks)"; $(PY) scripts/baseline_coverage.py --reps 200; echo; \
	  echo "## Exit event study"; $(PY) scripts/exit_coverage.py 200 20261202 cr3 county; } | tee reports/coverage.md

lint: $(STAMP)  ## ruff check and format check, import contracts, notebooks without outputs
	$(VENV)/bin/ruff check src tests scripts benchmarks
	$(VENV)/bin/ruff format --check src tests scripts benchmarks
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/nbstripout --verify notebooks/*.ipynb

format: $(STAMP)  ## ruff format and fix, strip notebook outputs
	$(VENV)/bin/ruff check --fix src tests scripts benchmarks
	$(VENV)/bin/ruff format src tests scripts benchmarks
	$(VENV)/bin/nbstripout notebooks/*.ipynb

lab: $(STAMP)  ## JupyterLab on notebooks/ with the project's kernel (.venv); first makes the lab run folder reports/lab/ if there is none, so every notebook opens and runs in any order
	test -e reports/lab || $(VENV)/bin/analysis run --out reports/lab
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

demo-data: $(STAMP)  ## regenerate data/raw/demo_register.csv, demo_overhead.csv and demo_truth.json (seeded)
	$(VENV)/bin/analysis demo-data --out data/raw

clean-outputs:  ## remove generated outputs (data/processed, reports)
	rm -rf reports data/processed/*.parquet data/processed/*.csv data/processed/*.json
