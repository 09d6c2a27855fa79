# Switchyard: two commands on a fresh Debian 12 machine.
#   make run      installs what is missing, builds, and opens the app (demo fleet without a config)
#   make test     installs what is missing and runs every check and test, end-to-end included
#   make package  the .deb (switchyard, switchyard-cli, desktop entry, icons) from the same build
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# One build directory outside the clone, so a fresh checkout (and CI) reuses what was
# built before; it still works when empty.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/switchyard-target
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo
XVFB := dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24"

.PHONY: run test check-tools system-deps ui-deps tauri-driver tauri-cli ui app lint ui-check rust-test package test-package bindings fmt fuzz-tools fuzz-build fuzz-smoke fuzz

# The release build: see `app`.
APP := $(CARGO_TARGET_DIR)/release/switchyard

run: app
	"$(APP)" $(ARGS)

# The fuzz smoke run comes last: about 4 minutes with a warm build cache; a machine that
# never built the fuzz targets adds about 20 minutes once (BENCHMARKS.md, "In make test").
test: ui-check lint app tauri-driver rust-test test-package fuzz-smoke

check-tools:
	@command -v $(CARGO) >/dev/null || { echo "cargo is missing: install Rust with rustup first"; exit 2; }
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 or newer first"; exit 2; }
	@rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy rustfmt

system-deps:
	@./scripts/install-system-deps.sh

# Reinstall the UI's packages only when the lock file changes.
ui-deps: ui/node_modules/.installed
ui/node_modules/.installed: ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

tauri-driver:
	@command -v tauri-driver >/dev/null || $(CARGO) install tauri-driver --locked

# Tauri's bundler, for `make package` (major version 2, like the tauri crate).
tauri-cli:
	@command -v cargo-tauri >/dev/null || $(CARGO) install tauri-cli --locked --version "^2"

# Rebuilt only when a UI source changes: the shell embeds ui/dist, and rewriting it would
# make cargo recompile the (release) app on every `make run`.
UI_SOURCES := $(shell find ui/src ui/index.html ui/vite.config.ts ui/tsconfig.json ui/package.json -type f)
ui: ui/dist/index.html
ui/dist/index.html: ui/node_modules/.installed $(UI_SOURCES)
	cd ui && npm run build
	touch $@

# One optimized build of the app, shared by `make run`, the end-to-end tests and the
# package, so CI compiles the app once. Release rather than an optimized dev profile: the
# package must be a release build anyway, and a second optimized profile would compile
# every dependency a second time (README, "Two commands", has the figures). The CLI is
# built in the same invocation: built alone, the dependencies it shares with the app get
# other features and compile a second time.
app: check-tools system-deps ui
	$(CARGO) build --release -p switchyard-app -p switchyard-cli

# The .deb, from the release build (scripts/package.sh says what it adds to the bundler's).
package: app tauri-cli
	./scripts/package.sh

# Installs the package on this machine, runs it under Xvfb and removes it again.
test-package: package
	$(XVFB) ./scripts/test-package.sh

lint: check-tools system-deps ui
	./scripts/check-references.sh
	python3 scripts/check-module-cycles.py
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

ui-check: ui-deps
	cd ui && npm run check

# The shell embeds ui/dist at compile time, so anything that compiles it (clippy
# included) needs the UI built first.

# Unit, integration and end-to-end tests: the window needs a display, so all of them
# run under Xvfb, in a private D-Bus session that ends with them.
# The end-to-end tests get a D-Bus session of their own: a test that asks for the
# Secret Service makes D-Bus start the system's keyring daemon on the bus, which the
# first-run test's own keyring must not have to compete with.
rust-test:
	RUST_BACKTRACE=1 $(XVFB) $(CARGO) test --workspace --exclude switchyard-tests
	RUST_BACKTRACE=1 SWITCHYARD_BIN="$(APP)" $(XVFB) $(CARGO) test -p switchyard-tests

# Regenerate ui/src/bindings from the Rust model (a test fails while they are stale).
bindings:
	SWITCHYARD_UPDATE_BINDINGS=1 $(CARGO) test -p switchyard-core --lib bindings

fmt:
	$(CARGO) fmt --all

# Fuzzing (fuzz/, cargo fuzz with libFuzzer): one target per reader of outside input.
# cargo fuzz needs nightly-only flags; RUSTC_BOOTSTRAP lets the stable toolchain take
# them, with the address sanitizer whose runtime stable ships. Inputs are bounded:
# an allocation over 64 MiB (fuzz/src/lib.rs) or an RSS over 2 GiB is a finding.
FUZZ_TARGETS := prometheus health_contract health_levels breaker_registry single_breaker \
	emergency_controls spring_actuator json_mapping ws_messages config engine_answers \
	alertmanager_answers
FUZZ_SECONDS ?= 20
FUZZ := RUSTC_BOOTSTRAP=1 $(CARGO) fuzz
FUZZ_LIMITS := -rss_limit_mb=2048 -malloc_limit_mb=64 -timeout=10

fuzz-tools:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked

fuzz-build: fuzz-tools
	$(FUZZ) build

# A short run of every target from the committed corpus (new inputs go to a temporary
# directory, so the checkout stays clean): a reader that regressed fails here.
fuzz-smoke: fuzz-build
	@scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	for target in $(FUZZ_TARGETS); do \
		mkdir -p "$$scratch/$$target"; \
		if ! $(FUZZ) run $$target "$$scratch/$$target" fuzz/corpus/$$target -- \
			$(FUZZ_LIMITS) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			> "$$scratch/$$target.log" 2>&1; then \
			tail -n 40 "$$scratch/$$target.log"; \
			echo "fuzz target $$target failed; the input is in fuzz/artifacts/$$target"; \
			exit 1; \
		fi; \
		echo "fuzz $$target: $(FUZZ_SECONDS) s clean," \
			"$$(grep -o 'number_of_executed_units: [0-9]*' "$$scratch/$$target.log" | grep -o '[0-9]*') runs"; \
	done

# One target for longer, growing the committed corpus: make fuzz TARGET=config FUZZ_SECONDS=600
fuzz: fuzz-build
	RUSTC_BOOTSTRAP=1 nice -n 19 $(CARGO) fuzz run $(TARGET) fuzz/corpus/$(TARGET) -- $(FUZZ_LIMITS) \
		-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1
