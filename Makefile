# Fourfold developer commands. `make serve` and `make test` are all a newcomer needs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# Tools installed by .ci/setup: ~/.cargo/bin (trunk, wasm-bindgen, wasm-bindgen-test-runner) and
# npm's global bin (wasm-opt from binaryen).
NPM_BIN := $(shell npm prefix -g 2>/dev/null)/bin
export PATH := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(NPM_BIN):$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON := $(CURDIR)/tests/webdriver.json

# Prints a timestamped step header (seconds since the top-level make started).
T0 ?= $(shell date +%s)
export T0
step = @echo "== [$$(( $$(date +%s) - $(T0) ))s] $(1)"

.PHONY: setup serve build test test-native test-wasm test-e2e check bench fuzz clean

## Install every tool (idempotent; ~15 min on a bare machine, seconds afterwards).
setup:
	bash .ci/setup

## Build and serve the page at http://127.0.0.1:8080. Setup first: it installs only what is
## missing or at the wrong version (a couple of seconds when everything is there).
serve: setup
	trunk serve --release

## Build the static site into dist/ (relative URLs: deployable under any sub-path).
build:
	$(call step,trunk build --release)
	trunk build --release

## Everything: setup, native tests, site build, browser (wasm) tests, end-to-end test.
test: setup
	$(call step,native tests: cargo test)
	cargo test
	$(MAKE) --no-print-directory build
	$(call step,wasm tests in headless Chromium: cargo test --target wasm32-unknown-unknown --test web)
	cargo test --target wasm32-unknown-unknown --test web
	$(call step,end-to-end: cd tests/e2e && node --test)
	cd tests/e2e && node --test

test-native:
	cargo test
test-wasm:
	cargo test --target wasm32-unknown-unknown --test web
test-e2e: build
	cd tests/e2e && node --test

## Formatting, lints (native and wasm32, warnings are errors) and the wasm32 build check.
check:
	$(call step,cargo fmt --check)
	cargo fmt --check
	$(call step,clippy native)
	cargo clippy --all-targets -- -D warnings
	$(call step,clippy + check wasm32)
	cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings

## Benchmarks (placeholder until the CLI has a `bench` subcommand).
bench:
	@if grep -q '"bench"' src/cli.rs; then cargo run --release -- bench; \
	 else echo "bench: no 'fourfold bench' subcommand yet (src/cli.rs)"; fi

## Fuzzing (placeholder until fuzz/ exists; needs cargo-fuzz and nightly).
fuzz:
	@if [ -d fuzz ]; then cargo fuzz list; else echo "fuzz: no fuzz/ targets yet"; fi

clean:
	cargo clean
	rm -rf dist tests/e2e/artifacts
