# One command to set up and run, one to set up and test. Works on a fresh machine with
# Python 3.11: the virtual environment is created on first use and requirements are
# reinstalled only when requirements.txt changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SECTION ?=
PORT ?= 8501

.PHONY: run dev test bench lint setup pretrain clean-venv

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

test: $(STAMP)
	$(BIN)/python -m pytest

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
