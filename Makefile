# Two commands matter: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
HTMX_VERSION ?= 4.0.1
CHROMIUM ?= $(shell command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null)

.PHONY: run test lint fmt vendor migrate chromium bench clean screenshots

# The stamps make a second run fast: nothing is reinstalled unless pyproject.toml changed.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

# A page that stops reading (its tab frozen, its network gone) misses pings and is closed
# within 50 s, so what waits to be sent to it never grows without bound.
PING_FLAGS := --ping-interval 20 --ping-timeout 30

# Twice the app's frame limit (chat/conversations/frames.py), so a frame over it is answered.
WS_MAX_BYTES := 8388608

run: migrate
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) --websocket-max-message-size $(WS_MAX_BYTES) --websocket-max-frame-size $(WS_MAX_BYTES) $(PING_FLAGS) playground.asgi:application

# Browser tests drive the system Chromium; install Debian's when we can, never skip.
chromium:
	@if [ -z "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: the browser tests need it. Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM=/path/to/chromium." >&2; \
	    exit 1; \
	  fi; \
	fi

test: $(VENV)/.installed-test chromium
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The main pages, light, dark and on a phone, into screenshots/ (git ignores it).
screenshots: $(VENV)/.installed-test chromium
	$(PY) scripts/screenshots.py --out screenshots

# The same checks run in CI (.ci/run) and before each commit (.pre-commit-config.yaml).
lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

fmt: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Refresh the vendored htmx from the npm registry and record its checksums.
vendor:
	rm -rf build/htmx && mkdir -p build/htmx
	cd build/htmx && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null && tar xzf htmx.org-$(HTMX_VERSION).tgz
	cp build/htmx/package/dist/htmx.min.js build/htmx/package/dist/ext/hx-ws.js build/htmx/package/LICENSE static/vendor/htmx/
	printf '# Vendored from the npm package htmx.org; refresh with `make vendor`.\nhtmx.org %s\n' $(HTMX_VERSION) > static/vendor/htmx/VERSION
	cd static/vendor/htmx && sha256sum htmx.min.js hx-ws.js > SHA256SUMS
	rm -rf build/htmx

# bench/relay.py runs K = 5, 50, 100, 300 and 1000 (about 4 minutes on 2 cores); fewer with
# RELAY_ARGS="--k 5,50"; DATABASE_URL=postgres://... runs it on PostgreSQL. bench/pages.py
# fills 10,000 conversations of 50 messages first; smaller: PAGES_ARGS="--conversations 1000".
bench: $(VENV)/.installed-test
	$(PY) bench/stream_path.py
	$(PY) bench/relay.py $(RELAY_ARGS)
	$(PY) bench/pages.py $(PAGES_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3* test-db*.sqlite3*
