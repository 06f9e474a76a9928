# The two commands a newcomer needs: `make run` starts the whole hub; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# One test process per core, at most four (each starts its own Redis, PostgreSQL, Dovecot and Chromium):
# `make test PYTEST_WORKERS=-n0` runs the suite in one process, in file order.
PYTEST_WORKERS ?= --numprocesses=auto --maxprocesses=4 --dist=worksteal
# Bytecode caches for every interpreter make starts, kept in the venv rather than beside the sources: the suite
# starts hundreds (the hub's commands, its servers, the workers), and where the shell sets PYTHONDONTWRITEBYTECODE
# each would compile the whole project again (a quarter of a command's start).
export PYTHONPYCACHEPREFIX ?= $(abspath $(VENV))/bytecode
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-at lint bench bench-deps system-deps clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' Makefile | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## install, migrate and start the hub (web, SMTP, worker, dispatcher, embedded Redis)
	$(BIN)/switchboard up

system-deps:  ## Debian packages the tests use (PostgreSQL, Redis, Chromium, Dovecot, Alertmanager...); needs root
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		need=""; \
		command -v redis-server >/dev/null || need="$$need redis-server"; \
		ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$$need postgresql"; \
		command -v chromium >/dev/null || need="$$need chromium"; \
		test -x /usr/lib/dovecot/imap || need="$$need dovecot-imapd"; \
		command -v prometheus-alertmanager >/dev/null || need="$$need prometheus-alertmanager"; \
		for tool in curl jq; do command -v $$tool >/dev/null || need="$$need $$tool"; done; \
		command -v node >/dev/null || need="$$need nodejs"; \
		ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || need="$$need faketime"; \
		if [ -n "$$need" ]; then \
			echo "installing:$$need"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
		fi; \
	else \
		echo "not root: skipping apt-get; tests needing PostgreSQL or Chromium are skipped if they are missing"; \
	fi

test: $(STAMP) system-deps  ## install what the tests need and run the whole suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_WORKERS)

# `make test-at AT="2027-03-28 01:30:00" TESTS=tests/hub/test_sla.py`: the clock starts at AT (UTC) and runs on, in
# the test process and the Python and PostgreSQL servers it starts. Chromium and Alertmanager (Go reads the clock
# without libc) keep the real clock: their tests are left out. Try the traps: 00:05 and 23:59 UTC, a weekend, the last day of a month, 29 Feb, Europe's clock changes.
AT    ?= 2027-03-28 01:30:00
TESTS ?= tests
LIBFAKETIME = $(firstword $(wildcard /usr/lib/*/faketime/libfaketime.so.1))

test-at: $(STAMP) system-deps  ## run TESTS (default: all) with the clock starting at AT (UTC), under libfaketime
	@# An offset, not "@AT": every process (the tests' and the servers they start later) then reads the same clock.
	offset=$$(printf '%+d' $$(( $$(date -ud "$(AT)" +%s) - $$(date +%s) ))); \
	LD_PRELOAD=$(LIBFAKETIME) FAKETIME="$$offset" FAKETIME_DONT_FAKE_MONOTONIC=1 \
		FAKETIME_ONLY_CMDS=python,python3,postgres,initdb,pg_ctl PYTHONPATH=tests/fake_clock $(BIN)/python -m pytest -n0 -p no:cacheprovider -m "not browser" -k "not alertmanager" $(TESTS)

lint: $(STAMP)  ## ruff lint and format check, mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

BENCHES := webhook_ingest alertmanager_compare alert_storm smtp_ingest sla_sweep imap_latency notify_latency notify_throughput \
           rules_eval rules_backtest rules_workbench startup

bench-deps: system-deps  ## what the benchmarks add to the tests' packages: wrk, the HTTP load generator; needs root
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! command -v wrk >/dev/null; then \
		echo "installing: wrk"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

bench: $(STAMP) bench-deps  ## run every benchmark in bench/ (each prints its figure and its baseline; exit 1: a target missed)
	@status=0; for b in $(BENCHES); do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || status=1; done; exit $$status

clean:  ## remove the virtualenv and local data
	rm -rf $(VENV) var
