# The two commands of the README, plus the benchmarks. Everything installs itself into .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench install stop clean-var

run: $(STAMP)          ## start the whole portal (web, worker, beat) with demo data
	$(PY) scripts/dev.py run

test: $(STAMP)         ## ruff, import-linter contracts and the whole pytest suite
	$(PY) scripts/dev.py test $(ARGS)

bench: $(STAMP)        ## run the benchmarks under bench/ (BENCH_SCALE=small for a quick run)
	$(PY) scripts/dev.py bench $(ARGS)

install: $(STAMP)

stop:                  ## stop the project-local PostgreSQL and Redis under var/
	$(PY) scripts/dev.py stop

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,local]'
	touch $(STAMP)
