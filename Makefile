# The two commands of the README: `make serve` and `make test`. Both set up what they need first.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
STAMP := .setup-done

.PHONY: setup serve build check test test-fast clean

$(STAMP): pyproject.toml package.json
	$(PIP) install -q -e '.[test]'
	npm install --no-audit --no-fund --silent
	sh scripts/install-browser.sh
	touch $(STAMP)

setup: $(STAMP)

serve: $(STAMP)  ## build the site and preview it at http://127.0.0.1:8000/ with live reload
	$(PYTHON) -m sitegen serve

build: $(STAMP)
	$(PYTHON) -m sitegen build

check: $(STAMP)
	$(PYTHON) -m sitegen check

test: $(STAMP)  ## the whole suite: unit, whole-site, invalid input, deploy and browser tests
	$(PYTHON) -m pytest

test-fast: $(STAMP)  ## everything but the browser tests
	$(PYTHON) -m pytest -m "not browser"

clean:
	rm -rf site .sitegen-cache $(STAMP)
