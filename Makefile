# Two commands for a newcomer: `make run` and `make test`. Everything else is installed from here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: install run serve test site clean bench debian-packages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# site/node_modules is installed with `npm ci` from site/package-lock.json by docmost_pipeline.sitebuild whenever
# it is missing or older than the lockfile (the site tests and `make site` call it).
install: $(STAMP)

# Debian packages the tests need, installed only when their program is missing (as root, or through sudo):
# PostgreSQL 15's server binaries (the tests start a throwaway cluster of their own) and Chromium (headless browser
# tests). Each entry is <package>:<program that proves it is installed>.
DEBIAN_PACKAGES := postgresql-15:/usr/lib/postgresql/15/bin/initdb chromium:/usr/bin/chromium
debian-packages:
	@missing=""; for entry in $(DEBIAN_PACKAGES); do \
	  test -x "$${entry#*:}" || missing="$$missing $${entry%%:*}"; done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "installing Debian packages:$$missing"; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# devrun writes $(DAGSTER_HOME)/dagster.yaml from dagster.yaml at every start (the run queue limit as a number).
run: $(STAMP)
	$(BIN)/python -m docmost_pipeline.devrun $(if $(DAGSTER_PORT),--port $(DAGSTER_PORT))

# The production processes (docs/deploy.md): code server (gRPC, 127.0.0.1:4000), webserver (127.0.0.1:3030 or
# DAGSTER_PORT) and daemon, as separate processes over DAGSTER_HOME; Ctrl-C (or SIGTERM) stops all three.
serve: $(STAMP)
	$(BIN)/docmost-pipeline serve all $(if $(DAGSTER_PORT),--port $(DAGSTER_PORT))

test: $(STAMP) debian-packages
	$(BIN)/python -m pytest

# The Docusaurus site over OUTPUT_DIR (from `make site OUTPUT_DIR=...`, the environment or .env, else ./output):
# build into site/build, name every problem, print how to serve it.
site: $(STAMP)
	$(BIN)/python -m docmost_pipeline.sitebuild $(if $(OUTPUT_DIR),"$(OUTPUT_DIR)") --out-dir site/build

# Speed and memory figures (not pass/fail tests): download of a 500 MB export, conversion of a 2,000-page export,
# full / unchanged / one-edit syncs of a 2,000-page space, what a daemon-launched run costs next to the same sync
# in-process and how long an edit takes to go live (about 3 minutes: it starts dagster dev as make run does), and
# the site build of a 2,000-page space with and without Docusaurus Faster.
bench: $(STAMP)
	$(BIN)/python benchmarks/download.py
	$(BIN)/python benchmarks/convert.py
	$(BIN)/python benchmarks/incremental.py
	$(BIN)/python benchmarks/documents.py
	$(BIN)/python benchmarks/run_latency.py
	$(BIN)/python benchmarks/git_publish.py
	$(BIN)/python benchmarks/site_build.py

clean:
	rm -rf $(VENV) .dagster_home output site/node_modules site/build
