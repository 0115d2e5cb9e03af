# Extranet platform: `make run` starts everything on this machine, `make test` runs every test.
# Both do their own set-up first (deploy/embedded/setup.sh: venv, packages, PostgreSQL, Kafka jars),
# quick when already done. State lives in .stack/ (git-ignored). See deploy/embedded/README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
# devstack from its source folder, with whichever Python exists (stop/clean work without the venv).
DEVSTACK_SRC := PYTHONPATH=deploy/embedded/src$${PYTHONPATH:+:$$PYTHONPATH} $$( [ -x $(PY) ] && echo $(PY) || echo python3 ) -m devstack

.PHONY: help setup run test stop clean bench status faults

help:
	@echo "make setup   install what the stack needs (venv, packages, PostgreSQL, Kafka jars)"
	@echo "make run     set up, then start Kafka, PostgreSQL, the services and demo data (Ctrl-C stops)"
	@echo "make test    set up, then run every test"
	@echo "make status  what runs, ports, logs"
	@echo "make stop    stop what a run or a test left running"
	@echo "make clean   stop, then remove .stack/ (data, logs, secrets, Kafka jars)"
	@echo "make bench   set up, start Kafka and PostgreSQL if needed, run the benchmarks, print their ratios (QUICK=1: small sizes)"
	@echo "make faults  set up, then the fault suite on a stack of its own: kills, restarts, outages, poison; lost/doubled per fault (QUICK=1: small sizes)"

setup:
	@bash deploy/embedded/setup.sh

run: setup
	@$(VENV)/bin/devstack run

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

status:
	@$(DEVSTACK_SRC) status

stop:
	@if [ -d .stack ]; then $(DEVSTACK_SRC) stop; fi

clean: stop
	@$(DEVSTACK_SRC) clean

bench: setup
	@$(PY) bench/run.py $(if $(QUICK),--quick) $(BENCH_ARGS)

faults: setup
	@$(PY) faults/run.py $(if $(QUICK),--quick) $(FAULTS_ARGS)
