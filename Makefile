# The one entry point for humans and CI. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.docs-installed
export PYO3_PYTHON := $(abspath $(PY))
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(VENV))/bin:$(PATH)
HOST ?= 127.0.0.1
PORT ?= 8000
FUZZ_SECONDS ?= 60

$(STAMP): requirements/dev.txt requirements/bench.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt -r requirements/bench.txt
	touch $@

.PHONY: install  ## Create the virtual environment with the pinned tools and peers
install: $(STAMP)

.PHONY: system-deps  ## Install Debian's chromium (browser tests), wrk (benchmarks) and redis-server (broker tests) when missing
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v wrk >/dev/null || ! command -v redis-server >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium wrk redis-server >/dev/null; \
	fi

.PHONY: build  ## Build the extension in release mode into the virtual environment
build: $(STAMP)
	maturin develop --release --quiet

.PHONY: build-dev  ## Build the extension in debug mode (overflow checks on)
build-dev: $(STAMP)
	maturin develop --quiet

.PHONY: test  ## Set everything up, then run the Rust and Python test suites
test: system-deps build
	cargo test --no-default-features --quiet
	$(PY) -m pytest

.PHONY: lint  ## cargo fmt/clippy, ruff, mypy --strict and stubtest
lint: build
	cargo fmt --all -- --check
	cargo clippy --all-targets --quiet -- -D warnings
	cargo clippy --all-targets --no-default-features --quiet -- -D warnings
	ruff check python tests benches
	ruff format --check python tests benches
	mypy
	$(PY) -m mypy.stubtest wsrs._wsrs --allowlist .mypy-stubtest-allowlist

.PHONY: wheel  ## Build the release wheel and the sdist into dist/ and check their metadata
wheel: $(STAMP)
	rm -rf dist
	maturin build --release --sdist --out dist --quiet
	$(PY) -m twine check --strict dist/*

.PHONY: test-wheel  ## Build the wheel, then run the test suite against it in a fresh venv
test-wheel: system-deps wheel
	.ci/test-installed dist/wsrs-*.whl

.PHONY: test-sdist  ## Build a wheel from the sdist alone, then run the test suite against it
test-sdist: system-deps $(STAMP)
	@ls dist/wsrs-*.tar.gz >/dev/null 2>&1 || $(MAKE) wheel
	.ci/test-sdist dist/wsrs-*.tar.gz

$(DOCS_STAMP): requirements/docs.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements/docs.txt
	touch $@

# Material for MkDocs prints a banner about its end of life (May 2027; Zensical, its successor,
# reads this mkdocs.yml); it is not a warning of this build, which --strict turns into errors.
.PHONY: docs  ## Build the documentation site into site/ (warnings are errors)
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

.PHONY: format  ## Format Rust and Python sources
format: $(STAMP)
	cargo fmt --all
	ruff check --fix-only python tests benches
	ruff format python tests benches

.PHONY: autobahn  ## The whole Autobahn suite with compression (12.*, 13.*), server and client, asyncio and trio
autobahn: build
	AUTOBAHN=full $(PY) -m pytest tests/ws/test_autobahn.py --timeout 7200 -v

.PHONY: bench-autobahn  ## The whole Autobahn suite against wsrs and websockets: verdict counts and run times
bench-autobahn: build
	$(PY) -m benches.autobahn

.PHONY: bench-zlib  ## Memory per idle zlib context and speed: stock zlib against zlib-rs
bench-zlib:
	cargo run --release --quiet --manifest-path benches/zlib_contexts/Cargo.toml

.PHONY: bench-instructions  ## Server instructions per WebSocket round trip under callgrind, wsrs beside picows
bench-instructions: build
	$(PY) -m benches.instructions

.PHONY: bench-deflate-memory  ## Memory per idle compressed session by window, memLevel and context takeover, against websockets
bench-deflate-memory: build
	$(PY) -m benches.deflate_memory

.PHONY: soak-compression  ## 100 000 compressed sends cancelled at random, with pings and fragments, asyncio and trio
soak-compression: build
	SOAK_SENDS=100000 $(PY) -m pytest tests/ws/session/test_compression_soak.py --timeout 3600 -s -v

.PHONY: demo  ## Build and start the demo server on http://$(HOST):$(PORT)/
demo: build
	$(PY) -m wsrs serve --host $(HOST) --port $(PORT)

.PHONY: bench  ## Run every benchmark against the peers and print the ratio tables
bench: system-deps build
	$(PY) -m benches.codec
	$(PY) -m benches.http_parse
	$(PY) -m benches.multipart
	$(PY) -m benches.roundtrip
	$(PY) -m benches.http_server
	$(PY) -m benches.deflate
	$(PY) -m benches.asgi_server
	$(PY) -m benches.broadcast

.PHONY: soak  ## Fan-out at full size (10 000 sessions; two servers) and 100 000 compressed sends cancelled at random
soak: system-deps build soak-compression
	WSRS_FANOUT_SESSIONS=10000 WSRS_FANOUT_MESSAGES=100 $(PY) -m pytest tests/ws/test_broadcast_fanout.py
	WSRS_CLUSTER_SESSIONS=1000 WSRS_CLUSTER_MESSAGES=10000 $(PY) -m pytest tests/broker/test_redis_processes.py

.PHONY: fuzz  ## Run each cargo-fuzz target for FUZZ_SECONDS (nightly toolchain)
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
	for target in $$(cargo +nightly fuzz list --fuzz-dir fuzz); do \
		mkdir -p fuzz/corpus/$$target; \
		cargo +nightly fuzz run --fuzz-dir fuzz $$target fuzz/corpus/$$target fuzz/seeds/$$target \
			-- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

.PHONY: clean  ## Remove build products and the virtual environment
clean:
	rm -rf target fuzz/target dist site $(VENV) python/wsrs/*.so

.PHONY: help  ## List the targets
help:
	@grep -E '^\.PHONY: [a-z-]+  ## ' $(MAKEFILE_LIST) | sed -E 's/^\.PHONY: ([a-z-]+)  ## (.*)/  \1\t\2/' | expand -t 16
