# The two commands of the README: `make serve` and `make test`. Both set up what they need first:
# a virtual environment of the project's own in .venv/, with the locked versions of requirements.lock.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCK := requirements.lock
STAMP := $(VENV)/.setup-done
# PIP_CONSTRAINT reaches pip's isolated build environment too, so the build backend is locked as well.
PIP := PIP_CONSTRAINT=$(CURDIR)/$(LOCK) PIP_DISABLE_PIP_VERSION_CHECK=1 $(PY) -m pip

.PHONY: setup serve build check test test-fast lock screenshots clean

$(STAMP): pyproject.toml $(LOCK) package.json package-lock.json
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "error: cannot create $(VENV); on Debian or Ubuntu install python3-venv (sudo apt-get install python3-venv)" >&2; exit 2; }
	$(PIP) install -q pip setuptools
	$(PIP) install -q -e '.[test]'
	npm ci --no-audit --no-fund --silent
	sh scripts/install-browser.sh
	touch $(STAMP)

setup: $(STAMP)

serve: $(STAMP)  ## build the site and preview it at http://127.0.0.1:8000/ with live reload
	$(PY) -m sitegen serve

build: $(STAMP)
	$(PY) -m sitegen build

check: $(STAMP)
	$(PY) -m sitegen check

test: $(STAMP)  ## the whole suite: unit, whole-site, invalid input, deploy and browser tests
	$(PY) -m pytest

test-fast: $(STAMP)  ## everything but the browser tests
	$(PY) -m pytest -m "not browser"

# Refresh the lock to the newest versions pyproject.toml allows, in a fresh .venv, then run the
# whole suite against them. Commit requirements.lock only if the suite passes.
lock:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	PIP_DISABLE_PIP_VERSION_CHECK=1 $(PY) -m pip install -q --upgrade pip setuptools
	PIP_DISABLE_PIP_VERSION_CHECK=1 $(PY) -m pip install -q --upgrade -e '.[test]'
	{ echo "# Exact versions of everything 'make setup' installs (runtime, test and build tools)."; \
	  echo "# Used as pip constraints by the Makefile and so by .ci/run; refresh with 'make lock'."; \
	  $(PY) -m pip freeze --all --exclude-editable | LC_ALL=C sort -f; } > $(LOCK)
	npm ci --no-audit --no-fund --silent
	sh scripts/install-browser.sh
	touch $(STAMP)
	$(PY) -m pytest

# Retake the pictures in docs/screenshots/ (a test run never writes there).
screenshots: $(STAMP)
	$(PY) -m sitegen build
	$(PY) docs/screenshots/take.py
	SITEGEN_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/test_serve.py -k shows_the_error

clean:
	rm -rf site .sitegen-cache $(VENV) .setup-done
