# Two commands from a fresh clone: `make demo` and `make test`.
# Both create .venv when it is missing and install what they need into it.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BUF := tools/buf/node_modules/.bin/buf
NODE_OPCUA := tests/interop/node_modules/node-opcua-client/package.json
NODE_MODULE := tests/interop/node_module/node_modules/node-opcua/package.json

.PHONY: demo test lint proto bench clean chromium postgresql

demo: $(VENV)/.installed
	$(VENV)/bin/pnp demo

# On two workers (pytest-xdist); tests that must not overlap share an xdist_group.
# The slowest tests are listed at the end: the ones to watch against the 120 s timeout.
TEST_WORKERS ?= 2

test: $(VENV)/.installed-dev $(BUF) $(NODE_OPCUA) $(NODE_MODULE) chromium postgresql
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

# The fast loop: pure and contract tests only, none that starts a server or a pnp, node
# or browser process (the `servers` marker; tests/kinds.py fails any test that does),
# nor the slow ones (building and installing the wheels).
.PHONY: check
check: $(VENV)/.installed-dev $(BUF)
	$(PY) -m pytest -m "not servers and not slow"

# The Gantt page tests open our HTML in headless Chromium, and the web console's tests
# drive it through chromedriver (Debian's packages, versions matched); the secured
# console's tests give Chromium a planner's certificate with NSS's certutil/pk12util
# (libnss3-tools). Install whichever is missing where we may (root, apt); otherwise
# those tests skip and say why.
chromium:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	  [ -x /usr/bin/chromedriver ] || missing="$$missing chromium-driver"; \
	  command -v pk12util >/dev/null 2>&1 || missing="$$missing libnss3-tools"; \
	  [ -z "$$missing" ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get install -y -q $$missing >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null)) \
	  || echo "note: $$missing not installed; browser tests will skip"; }

# The store and HA tests start a throwaway PostgreSQL cluster (tests/postgres.py) from
# Debian's server package. Install it where missing and we may (root, apt); otherwise
# those tests skip and say why.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] \
	  && command -v apt-get >/dev/null \
	  && (apt-get install -y -q postgresql >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null)) \
	  || echo "note: postgresql not installed; PostgreSQL tests will skip"; }

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

# Regenerate pnp.v1 after editing proto/pnp/v1/*.proto or pnp/v1/opcua.py (commit the result).
proto: $(VENV)/.installed-dev
	$(PY) proto/generate.py
	$(PY) proto/generate_nodeset.py

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml sdk/pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ./sdk -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml sdk/pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ./sdk -e ".[dev]"
	touch $@ $(VENV)/.installed

# `npm install` (which keeps the locked versions) rather than `npm ci`: the registry
# mirror we resolve against has only the Linux builds of buf's per-platform optional
# packages, so the lockfile lists those alone and `npm ci` calls it out of sync.
$(BUF): tools/buf/package.json tools/buf/package-lock.json
	cd tools/buf && npm install --no-audit --no-fund --loglevel=error
	touch $@

$(NODE_OPCUA): tests/interop/package.json tests/interop/package-lock.json
	cd tests/interop && npm install --no-audit --no-fund --loglevel=error
	touch $@

# The Node.js module built from docs/module-contract.md (node-opcua, @grpc/grpc-js).
$(NODE_MODULE): tests/interop/node_module/package.json tests/interop/node_module/package-lock.json
	cd tests/interop/node_module && npm install --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) tools/buf/node_modules tests/interop/node_modules tests/interop/node_module/node_modules .pytest_cache .ruff_cache
