# The two commands: `make run` and `make test`. Both create .venv and install everything first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: run test install kb lint bench clean

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
	$(BIN)/mock-interview app

# The browser tests drive Debian's Chromium through Playwright (never a Playwright browser
# download); installed with apt when missing (CI runs as root).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "make test needs $(CHROMIUM): run 'sudo apt-get install -y chromium'" >&2; exit 1; fi; \
	$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

test: install $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) data
