# Baolian: `make app` starts the workbench on the demo corpus, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   ?= demo.sqlite
PORT   ?= 8501

.PHONY: install app demo test bench model clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/baolian demo --project $(DEMO)

app: demo
	BAOLIAN_PROJECT=$(DEMO) $(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

# The whole suite on SQLite, then every database test again on a throwaway PostgreSQL server
# (skipped with the reason where PostgreSQL is not installed; CI sets BAOLIAN_REQUIRE_PG=1).
test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --db=postgresql

bench: $(STAMP)
	$(BIN)/python benchmarks/pipeline.py

# A model trained on the development gold (benchmarks/train_files.txt, the files the evaluation trains on), for --model
TRAIN_FILES := $(shell grep -v '^\#' benchmarks/train_files.txt)
model: $(STAMP)
	$(BIN)/baolian train $(foreach f,$(TRAIN_FILES),--gold corpus/gold/$(f)) --out models/gold

clean:
	rm -rf $(VENV) models/gold $(DEMO) $(DEMO)-wal $(DEMO)-shm .pytest_cache
