# The two commands: `make run` and `make test`. Everything else is a step they share.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The CPU-only torch wheel lives in a local folder on this project's machines; pip looks there too.
WHEELS ?= /opt/wheels
PIP_LINKS := $(if $(wildcard $(WHEELS)),--find-links $(WHEELS),)
FLASK := $(BIN)/flask --app wsgi
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: run test install db model demo lint bench bench-training clean

$(BIN)/.installed: pyproject.toml requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -c requirements/constraints.txt $(PIP_LINKS) -e '.[dev]'
	touch $@

install: $(BIN)/.installed

db: install
	$(FLASK) db upgrade

model: install
	$(BIN)/python -m moderation train --if-stale

demo: db
	$(FLASK) demo load --if-empty

# The forum serves at once; a missing or stale model builds in the background (its progress
# lines start with [screening model]). Until it is ready posts are held, never lost; when it
# is, the workers pick it up on the next post and the posts held meanwhile are screened again.
# `flask jobs run` (on-call alerts for urgent cases) runs beside gunicorn.
run: db demo
	@echo
	@echo "  No Contact Forum: http://127.0.0.1:8000"
	@echo "  Demo moderator: username 'mod_willow', password 'demo-moderator-pass'"
	@echo "  (Ctrl-C stops it; the data stays in instance/.)"
	@echo
	@set -m; \
	( ( $(BIN)/python -m moderation train --if-stale && \
	    $(FLASK) moderation rescore --unavailable-only ) 2>&1 | sed -u 's/^/[screening model] /' ) & \
	builder=$$!; \
	$(FLASK) jobs run 2>&1 | sed -u 's/^/[jobs] /' & \
	worker=$$!; trap 'kill -- -$$builder -$$worker 2>/dev/null' EXIT; \
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

lint: install
	$(BIN)/ruff check .

test: install model lint
	$(BIN)/python -m pytest

# The quick benchmarks (a few minutes). compare_training.py retrains the model k times per
# recipe (about 30 minutes), so it has its own target.
bench: install model
	for script in bench/*.py; do \
	  [ "$$script" = bench/compare_training.py ] && continue; \
	  echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done

bench-training: install
	$(BIN)/python bench/compare_training.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
