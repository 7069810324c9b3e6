# The two commands: `make run` starts the whole stack, `make test` runs every test.
# Both create or update the virtualenv in .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint audit bench clean console

COMPOSER := tools/compose/node_modules/.installed

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The web console (console/, served by the gateway at /): built with npm into console/dist,
# which is not committed; rebuilt when a source, the lock or the build settings change.
CONSOLE_MODULES := console/node_modules/.installed
CONSOLE := console/dist/index.html
CONSOLE_SOURCES := $(shell find console/src -type f 2>/dev/null) console/index.html \
	console/vite.config.ts console/tsconfig.json

$(CONSOLE_MODULES): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $(CONSOLE_MODULES)

$(CONSOLE): $(CONSOLE_MODULES) $(CONSOLE_SOURCES)
	cd console && npm run --silent build
	touch $(CONSOLE)

console: $(CONSOLE)

# make run PORT=4100 serves the gateway elsewhere (or set TANDEM_PORT, or port in a --config file)
run: $(STAMP) $(CONSOLE)
	$(BIN)/tandem dev $(if $(PORT),--port $(PORT))

# The composer (Node.js) lets the tests check that OA and ERP compose into the supergraph.
$(COMPOSER): tools/compose/package.json
	cd tools/compose && npm install --no-audit --no-fund --no-package-lock --loglevel=error
	touch $(COMPOSER)

test: $(STAMP) $(COMPOSER) $(CONSOLE)
	$(BIN)/python -m pytest --durations=30  # the slowest listed: the suite is kept well under 20 min

lint: $(STAMP)
	$(BIN)/ruff check gateway tests
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache console/node_modules console/dist
