# One command per chore. `make run` and `make test` are the two a newcomer needs (see README.md).
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
REDIS_URL ?= redis://127.0.0.1:6379/1

CHROMIUM ?= /usr/bin/chromium
CONSOLE_SOURCES := $(shell find console/src -type f -not -path '*/generated/*') console/index.html \
	console/package.json console/vite.config.ts console/svelte.config.js console/codegen.ts \
	console/tsconfig.json graphql/schema.graphql

.PHONY: install run test test-postgres lint schema bench console browser

install: $(STAMP) console

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

# The web console (console/, Svelte + Vite): npm installs the lockfile's exact versions, the build
# checks every GraphQL operation against graphql/schema.graphql and the types, then bundles.
console: console/dist/index.html

console/node_modules/.installed: console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	touch $@

console/dist/index.html: console/node_modules/.installed $(CONSOLE_SOURCES)
	cd console && npm run build

# Browser tests drive Debian's Chromium headless.
browser:
	@test -x $(CHROMIUM) || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

run: install
	$(VENV)/bin/patrol serve

test: install browser
	$(VENV)/bin/pytest

test-postgres: install browser
	PATROL_TEST_DATABASE_URL=$(POSTGRES_URL) PATROL_TEST_REDIS_URL=$(REDIS_URL) $(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check app workers tests bench
	$(VENV)/bin/mypy app workers
	cd console && npm run check
	$(VENV)/bin/lint-imports

schema: install
	$(VENV)/bin/patrol export-schema
