# Switchyard: two commands on a fresh Debian 12 machine.
#   make run    installs what is missing, builds, and opens the app (demo fleet without a config)
#   make test   installs what is missing and runs every check and test, end-to-end included
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# One build directory outside the clone, so a fresh checkout (and CI) reuses what was
# built before; it still works when empty.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/switchyard-target
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo
XVFB := dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24"

.PHONY: run test check-tools system-deps ui-deps tauri-driver ui app lint ui-check rust-test bindings fmt

run: app
	"$(CARGO_TARGET_DIR)/debug/switchyard" $(ARGS)

test: ui-check lint app tauri-driver rust-test

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

ui: ui-deps
	cd ui && npm run build

app: check-tools system-deps ui
	$(CARGO) build -p switchyard-app

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
rust-test:
	RUST_BACKTRACE=1 $(XVFB) $(CARGO) test --workspace

# Regenerate ui/src/bindings from the Rust model (a test fails while they are stale).
bindings:
	SWITCHYARD_UPDATE_BINDINGS=1 $(CARGO) test -p switchyard-core --lib bindings

fmt:
	$(CARGO) fmt --all
