# Conversations on Co-production: developer commands. `make` (or `make help`) lists them.
#
# Tools with dependency pins that clash with ours live in their own venvs under .tools/:
# SAM CLI (pins an older boto3), checkov (pins old shared libraries) and schemathesis (its own
# hypothesis and requests).

.DEFAULT_GOAL := help
SHELL := /bin/bash

# The Python Lambda runs (template.yaml Globals: Runtime python$(LAMBDA_PYTHON); a test keeps the two
# equal) and the oldest the project supports (pyproject's requires-python, mypy's python_version,
# ruff's target-version). `make` builds .venv with the first when this machine has it (on PATH or
# under pyenv), else with python3; `make test` also runs the email header tests on the oldest, in
# .tools/py311 (runtime packages and pytest only). docs/decisions.md says why.
LAMBDA_PYTHON := 3.13
OLDEST_PYTHON := 3.11
# $(call find_python,X.Y): the first python X.Y here that can make a venv, or nothing.
find_python = $(shell for candidate in python$(1) $$(pyenv root 2>/dev/null)/versions/$(1).*/bin/python$(1); do \
	"$$candidate" -c 'import ensurepip, venv' >/dev/null 2>&1 && { command -v "$$candidate"; break; }; done)
ifeq ($(origin PYTHON),undefined)
PYTHON := $(or $(call find_python,$(LAMBDA_PYTHON)),python3)
endif
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
ifeq ($(origin PYTHON_OLDEST),undefined)
PYTHON_OLDEST = $(call find_python,$(OLDEST_PYTHON))# looked for only when .tools/py311 is made
endif
VENV := .venv
VENV_PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed-from-pyproject-py$(PYTHON_VERSION)

TOOLS := .tools
# The oldest Python's venv: requirements.txt (what Lambda ships) and pyproject's pytest pin, nothing else.
OLDEST_VENV := $(TOOLS)/py$(subst .,,$(OLDEST_PYTHON))
OLDEST_STAMP := $(OLDEST_VENV)/.installed-from-requirements
# What runs there: every test of how an email is written and read back, on the oldest email package.
OLDEST_TESTS := tests/unit/test_email_headers.py tests/unit/test_email_render.py
# Their pins live in pyproject.toml ([tool.separate-venvs]) with every other pin.
tool_pin = $(shell $(PYTHON) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["tool"]["separate-venvs"]["$(1)"])')
SAM_PIN := $(call tool_pin,sam)
CHECKOV_PIN := $(call tool_pin,checkov)
SCHEMATHESIS_PIN := $(call tool_pin,schemathesis)
# The tools' venvs are not Lambda's code: whatever python3 is here.
TOOLS_PYTHON ?= python3
SAM := $(TOOLS)/sam/bin/sam
CHECKOV := $(TOOLS)/checkov/bin/checkov
SAM_STAMP := $(TOOLS)/sam/.installed-$(SAM_PIN)
CHECKOV_STAMP := $(TOOLS)/checkov/.installed-$(CHECKOV_PIN)
SCHEMATHESIS_STAMP := $(TOOLS)/schemathesis/.installed-$(SCHEMATHESIS_PIN)

# `make test`: pytest-xdist workers (auto: one per CPU; TEST_WORKERS=0 runs in this process). Each
# folder whose tests share a session-scoped local stack is one group (tests/conftest.py), so each
# stack starts once, on one worker; every other test goes to whichever worker is free.
TEST_WORKERS ?= auto

# `make run`: passed through to the local stack (infra.local).
PORT ?= 3000
SEED ?= 1
SIGNUP_LIMITS ?= on

# What Lambda runs: Python $(LAMBDA_PYTHON) (above) on arm64. Wheels only, for that platform.
LAMBDA_PLATFORM := --platform manylinux2014_aarch64 --only-binary=:all: --python-version $(LAMBDA_PYTHON) --implementation cp
# The only source trees a function ships (shared/ includes the email templates, shared/mail/templates/).
LAMBDA_SOURCES := functions shared
# pip used by the build targets; any pip works, since the target platform is given explicitly.
LAMBDA_PIP ?= $(PYTHON) -m pip

.PHONY: help venv run test lint bench requirements deploy tools-sam tools-checkov clean distclean \
	build-ApiFunction build-AdminFunction build-SenderFunction build-DispatchFunction build-SesEventsFunction

help: ## List the commands
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# ---------------------------------------------------------------------------------------------
# Developer environment
# ---------------------------------------------------------------------------------------------
$(VENV_STAMP): pyproject.toml
	@if [ -x $(VENV_PY) ] && [ "$$($(VENV_PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$(PYTHON_VERSION)" ]; then \
		echo "$(VENV) is not on Python $(PYTHON_VERSION) ($(PYTHON)): making it again"; rm -rf $(VENV); fi
	@test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --upgrade pip
	$(VENV_PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV_STAMP) ## Create or update .venv from pyproject.toml (reinstalls when its pins change)

run: $(VENV_STAMP) ## Run the whole system locally on moto (PORT=3000, SEED=0 skips demo data, SIGNUP_LIMITS=off)
	PORT=$(PORT) SEED=$(SEED) SIGNUP_LIMITS=$(SIGNUP_LIMITS) $(VENV_PY) -m infra.local

lint: $(VENV_STAMP) ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: $(VENV_STAMP) $(OLDEST_STAMP) tools-checkov tools-schemathesis lint ## Lint, check template.yaml offline, run every test
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup
	@echo "The email tests again, on the oldest Python the project supports ($(OLDEST_VENV)):"
	$(OLDEST_VENV)/bin/python -m pytest --noconftest -p no:cacheprovider -q $(OLDEST_TESTS)

$(OLDEST_STAMP): requirements.txt pyproject.toml
	@test -n "$(PYTHON_OLDEST)" || { echo "make test runs the email tests on Python $(OLDEST_PYTHON) too, and none was \
	found (python$(OLDEST_PYTHON) on PATH, or pyenv's): install it (pyenv install $(OLDEST_PYTHON), or Debian's \
	python$(OLDEST_PYTHON)-venv), or name one with PYTHON_OLDEST=/path/to/python$(OLDEST_PYTHON)" >&2; exit 2; }
	rm -rf $(OLDEST_VENV)
	$(PYTHON_OLDEST) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST_VENV)/bin/python -m pip install --quiet --requirement requirements.txt \
		"$$($(PYTHON_OLDEST) -c 'import tomllib; print(next(r for r in tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["dev"] if r.startswith("pytest==")))')"
	@touch $@

print-%: # `make -s print-PYTHON` prints a variable (the tests read LAMBDA_PYTHON, PYTHON_VERSION, ...)
	@echo '$($*)'

bench: $(VENV_STAMP) ## Run the benchmarks and print their table
	$(VENV_PY) -m bench

# requirements.txt = pyproject's [project].dependencies plus every transitive dependency, pinned,
# resolved by pip for Lambda's platform (a dry run: nothing is installed).
requirements: $(VENV_STAMP) ## Regenerate requirements.txt (what Lambda ships) from pyproject.toml
	@tmp=$$(mktemp -d) && \
	$(VENV_PY) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
		> $$tmp/direct.txt && \
	$(VENV_PY) -m pip install --quiet --dry-run --ignore-installed $(LAMBDA_PLATFORM) \
		--report $$tmp/report.json -r $$tmp/direct.txt && \
	$(VENV_PY) -c 'import json, re, sys; \
		report = json.load(open(sys.argv[1])); \
		pins = sorted({(re.sub(r"[-_.]+", "-", p["metadata"]["name"]).lower(), p["metadata"]["version"]) for p in report["install"]}); \
		print("# Generated by `make requirements` from pyproject.toml [project].dependencies: do not edit."); \
		print("# Every runtime dependency, transitive ones included, pinned as pip resolves them for Lambda"); \
		print("# (python$(LAMBDA_PYTHON), manylinux2014_aarch64). The build targets install exactly this file."); \
		print("\n".join(f"{name}=={version}" for name, version in pins))' $$tmp/report.json > requirements.txt; \
	status=$$?; rm -rf $$tmp; exit $$status
	@echo "requirements.txt: $$(grep -vc '^#' requirements.txt) pinned packages"

# ---------------------------------------------------------------------------------------------
# Lambda build (called by `sam build`, BuildMethod: makefile; ARTIFACTS_DIR is set by SAM)
# ---------------------------------------------------------------------------------------------
build-ApiFunction build-AdminFunction build-SenderFunction build-DispatchFunction build-SesEventsFunction:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: run sam build, not make $@" >&2; exit 2; }
	mkdir -p "$(ARTIFACTS_DIR)"
	cp -R $(LAMBDA_SOURCES) "$(ARTIFACTS_DIR)/"
	find "$(ARTIFACTS_DIR)" -name __pycache__ -type d -prune -exec rm -rf {} +
	$(LAMBDA_PIP) install --quiet --no-compile --requirement requirements.txt --target "$(ARTIFACTS_DIR)" $(LAMBDA_PLATFORM)

# ---------------------------------------------------------------------------------------------
# Tools in their own venvs, and deployment
# ---------------------------------------------------------------------------------------------
$(SAM_STAMP):
	rm -rf $(TOOLS)/sam
	$(TOOLS_PYTHON) -m venv $(TOOLS)/sam
	$(TOOLS)/sam/bin/pip install --quiet '$(SAM_PIN)'
	@touch $@

tools-sam: $(SAM_STAMP) ## Install SAM CLI into .tools/sam

$(CHECKOV_STAMP):
	rm -rf $(TOOLS)/checkov
	$(TOOLS_PYTHON) -m venv $(TOOLS)/checkov
	$(TOOLS)/checkov/bin/pip install --quiet '$(CHECKOV_PIN)'
	@touch $@

tools-checkov: $(CHECKOV_STAMP) ## Install checkov into .tools/checkov (used by tests/template)

$(SCHEMATHESIS_STAMP):
	rm -rf $(TOOLS)/schemathesis
	$(TOOLS_PYTHON) -m venv $(TOOLS)/schemathesis
	$(TOOLS)/schemathesis/bin/pip install --quiet '$(SCHEMATHESIS_PIN)'
	@touch $@

tools-schemathesis: $(SCHEMATHESIS_STAMP) ## Install schemathesis into .tools/schemathesis (used by tests/openapi)

# `make test` fuzzes the local stack against its OpenAPI document for about a minute
# (tests/openapi); `make fuzz-api` for longer, with its own stack.
FUZZ_API_SECONDS ?= 600
FUZZ_API_SEED ?= 20261130
.PHONY: fuzz fuzz-api fuzz-property tools-schemathesis
fuzz-api: $(VENV_STAMP) tools-schemathesis ## Fuzz the local stack against /openapi.json (FUZZ_API_SECONDS=600, FUZZ_API_SEED)
	$(VENV_PY) -m tests.openapi.runner --seconds $(FUZZ_API_SECONDS) --seed $(FUZZ_API_SEED)

# The property tests (tests/property) run 500 derandomised cases each in `make test`; here 5,000
# new random ones each (PROPERTY_PROFILE=fuzz, tests/property/strategies.py).
fuzz-property: $(VENV_STAMP) ## Property tests, 5,000 random cases each: any admin event, any POST request
	PROPERTY_PROFILE=fuzz $(VENV)/bin/pytest -n $(TEST_WORKERS) tests/property

fuzz: fuzz-api fuzz-property ## The long fuzzing runs

# samconfig.toml (repository root) sets build_in_source and the stack's deploy defaults.
deploy: tools-sam ## sam build, then sam deploy --guided (needs an AWS account)
	$(SAM) build
	$(SAM) deploy --guided

clean: ## Remove build output and caches
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache build dist
	find . -path ./$(VENV) -prune -o -path ./$(TOOLS) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv and .tools
	rm -rf $(VENV) $(TOOLS)
