#!/usr/bin/env bash
# The wasm package's tests: clippy for wasm32, the wasm-bindgen-test suite in Node and in
# headless Chromium, the built package under Node (node:test), its TypeScript definitions
# (tsc --noEmit), and the edge example in Cloudflare's workerd. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_wasm_target
ensure_wasm_bindgen_cli
ensure_npm_packages
ensure_chromium

step() { printf '\n\033[1m== wasm: %s\033[0m\n' "$*"; }

step "clippy podpass-wasm (wasm32, all targets)"
cargo clippy -p podpass-wasm --target wasm32-unknown-unknown --all-targets --locked -- -D warnings

step "wasm-bindgen-test suite under Node"
cargo test -p podpass-wasm --target wasm32-unknown-unknown --test web --locked

step "the same suite under headless Chromium"
WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  cargo test -p podpass-wasm --target wasm32-unknown-unknown --test web --locked

step "build the package (web, nodejs, bundler, workerd)"
./scripts/build-wasm-package.sh

step "the nodejs package under node:test"
node --test crates/podpass-wasm/tests/node/login.test.mjs crates/podpass-wasm/tests/node/hostile.test.mjs \
  crates/podpass-wasm/tests/node/lazy.test.mjs

step "the documentation's JavaScript examples (README.md, the package README) under Node"
node --test crates/podpass-wasm/tests/node/docs-examples.test.mjs

step "TypeScript definitions (tsc --noEmit)"
tsc -p crates/podpass-wasm/tests/node/tsconfig.json

step "edge example in workerd"
node --test crates/podpass-wasm/examples/edge-worker/test.mjs

step "done"
