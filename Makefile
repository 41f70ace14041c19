# The two commands: `make run` and `make test`. Both create .venv and install everything first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
BWRAP := /usr/bin/bwrap
# The cohort deployment's services, run for real by the store, knowledge and deploy tests:
# PostgreSQL (pg_ctlcluster comes with Debian's server package) and nginx.
PG_SERVER := /usr/bin/pg_ctlcluster
NGINX := /usr/sbin/nginx
# systemd-analyze checks the shipped units (deploy/*.service) as systemd loads them.
SYSTEMD_ANALYZE := /usr/bin/systemd-analyze

.PHONY: run test install kb lint bench load clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# CPU build first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# Local mode. llama-cpp-python builds from source (about 5 minutes on 2 cores); the native
	# build (AVX-512/AMX picked from the build machine) crashes on these CPUs.
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF" \
		$(BIN)/python -m pip install --quiet -e '.[local]'
	touch $(STAMP)

install: $(STAMP)

kb: install
	$(BIN)/mock-interview ingest

run: install
	@[ -x $(BWRAP) ] || ( $(call APT_GET,bubblewrap) ) || echo "warning: bubblewrap is not \
	installed: candidate code runs with rlimits only (see the README's Coding questions)" >&2
	# First run: build the knowledge base and embed every rubric before the app starts (about
	# a minute, once), so the first answers are graded at full speed.
	@[ -f "$${INTERVIEWER_DATA_DIR:-data}/vector_cache.sqlite" ] || $(BIN)/mock-interview ingest
	$(BIN)/mock-interview app

# Debian packages, installed with apt when missing (CI runs as root): Chromium for the browser
# tests (Playwright drives it; never a Playwright browser download) and bubblewrap, the sandbox
# candidate code runs in.
APT_GET = if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "missing $(1): run 'sudo apt-get install -y $(1)'" >&2; exit 1; fi; \
	$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $(1)

$(CHROMIUM):
	@$(call APT_GET,chromium)

$(BWRAP):
	@$(call APT_GET,bubblewrap)

$(PG_SERVER):
	@$(call APT_GET,postgresql)

$(NGINX):
	@$(call APT_GET,nginx)

$(SYSTEMD_ANALYZE):
	@$(call APT_GET,systemd)

# TEST_REQUIRE_SERVICES: a test whose PostgreSQL, Chroma server or nginx is missing fails here
# instead of skipping (tests/services.py starts and stops them on free ports).
test: install $(CHROMIUM) $(BWRAP) $(PG_SERVER) $(NGINX) $(SYSTEMD_ANALYZE)
	$(BIN)/ruff check .
	TEST_REQUIRE_SERVICES=1 $(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/run.py

# The cohort load test (JSON on stdout): one process on SQLite, then two replicas behind nginx
# on PostgreSQL and a Chroma server. LOAD_ARGS, e.g. LOAD_ARGS="--sizes 10 --quick".
load: install $(PG_SERVER) $(NGINX)
	$(BIN)/python bench/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) data
