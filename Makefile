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

.PHONY: setup serve build test test-native test-wasm test-e2e check bench bench-page fuzz clean

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

## Everything: setup, fmt + clippy (`make check`), native tests, site build, browser (wasm) tests,
## end-to-end test.
test: setup
	$(MAKE) --no-print-directory check
	$(call step,native tests: cargo test)
	cargo test
	$(MAKE) --no-print-directory build
	$(call step,wasm tests in headless Chromium: cargo test --target wasm32-unknown-unknown --test web)
	cargo test --target wasm32-unknown-unknown --test web
	$(call step,release CLI for the end-to-end tests' page = CLI checks: cargo build --release --bin fourfold)
	cargo build --release --bin fourfold
	$(call step,end-to-end: cd tests/e2e && node --test)
	cd tests/e2e && node --test

test-native:
	cargo test
test-wasm:
	cargo test --target wasm32-unknown-unknown --test web
test-e2e: build
	cargo build --release --bin fourfold
	cd tests/e2e && node --test

## Formatting, lints (native and wasm32, warnings are errors) and the wasm32 build check.
check:
	$(call step,cargo fmt --check)
	cargo fmt --check
	$(call step,clippy native)
	cargo clippy --all-targets -- -D warnings
	$(call step,clippy + check wasm32)
	cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings

## Benchmarks: in-process fit times (median/min) per model and the full subgroup + LOO analysis;
## instructions of one exact fit (callgrind, when valgrind is installed); whole analysis of synthetic
## tables of 1 000 – 40 000 studies; the page's own timings (paste → results) when
## tests/e2e/bench.mjs exists.
bench:
	cargo run --release --quiet -- bench ../shared/refs/data/schuetz.csv ../shared/refs/data/audit_c.csv ../shared/refs/data/smoking.csv \
		$$(command -v valgrind >/dev/null && echo --instructions)
	cargo run --release --quiet -- bench --synthetic 1000,2500,10000,40000
	$(MAKE) --no-print-directory bench-page

## Page timing in Chromium (schuetz, covariate `test`) and dist/ bundle sizes; not part of `make test`.
bench-page: build
	cd tests/e2e && node bench.mjs

## Fuzzing on stable: 1 000 000 mutated inputs per target (parser, permalink decoder); see fuzz/README.md.
## Then 20 000 generated data sets through the whole pipeline (parse → analysis → JSON → report,
## plots, exports), failing on any panic and on any case slower than the stated 2 s bound.
fuzz:
	FOURFOLD_FUZZ_ITERS=1000000 cargo test --release --test fuzz_smoke -- --nocapture --test-threads 1
	FOURFOLD_FUZZ_PIPELINE_ITERS=20000 FOURFOLD_FUZZ_PIPELINE_ENFORCE=1 \
	  cargo test --release --test fuzz_pipeline -- --nocapture --test-threads 1

clean:
	cargo clean
	rm -rf dist tests/e2e/artifacts
