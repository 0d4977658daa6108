# One command per chore. `make run` and `make test` are the two a newcomer needs (see README.md).
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: install run test test-postgres lint schema bench

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

run: install
	$(VENV)/bin/patrol serve

test: install
	$(VENV)/bin/pytest

test-postgres: install
	PATROL_TEST_DATABASE_URL=$(POSTGRES_URL) PATROL_TEST_REDIS_URL=$(REDIS_URL) $(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check app workers tests bench
	$(VENV)/bin/mypy app workers
	$(VENV)/bin/lint-imports

schema: install
	$(VENV)/bin/patrol export-schema
