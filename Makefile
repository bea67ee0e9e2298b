# One command to set up and run, one to set up and test. Works on a fresh machine with
# Python 3.11: the virtual environment is created on first use and requirements are
# reinstalled only when requirements.txt changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SECTION ?=
PORT ?= 8501

.PHONY: run dev test test-fast browser bench lint setup pretrain clean-venv

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.port $(PORT)

# For working on the code: reload pages when a source file is saved.
dev: $(STAMP)
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.fileWatcherType auto \
		--server.runOnSave true

test: $(STAMP) browser
	$(BIN)/python -m pytest

# While working: everything but the browser tests and the tests that train on Ray.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not slow"

# The browser tests need Chromium. Unless RNNLAB_CHROMIUM names one, or one is found, this
# installs it the usual way: Playwright's own download, else Debian's package when root.
# Where neither works, the browser tests are skipped with one line that says why.
PLAYWRIGHT_CHROMIUM = $(BIN)/python -c "from playwright.sync_api import sync_playwright as p; \
	s = p().start(); print(s.chromium.executable_path); s.stop()"
browser: $(STAMP)
	@if [ -n "$$RNNLAB_CHROMIUM" ] || [ -x /usr/bin/chromium ] \
		|| [ -x "$$($(PLAYWRIGHT_CHROMIUM))" ]; then :; \
	elif timeout 600 $(BIN)/python -m playwright install chromium >/dev/null 2>&1; then \
		echo "Installed Playwright's Chromium for the browser tests."; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium; } >/dev/null 2>&1; then \
		echo "Installed Debian's chromium for the browser tests."; \
	else echo "No Chromium could be installed: the browser tests will be skipped."; fi

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(SECTION)

# Rebuild the shipped models in assets/ (about an hour on 2 CPU cores; needs the dataset).
# The language model first: the LM-pretrained LSTM starts from it.
pretrain: $(STAMP)
	$(BIN)/python -m core.pretrain_lm
	$(BIN)/python -m core.pretrain

lint: $(STAMP)
	$(BIN)/ruff check .

clean-venv:
	rm -rf $(VENV)
