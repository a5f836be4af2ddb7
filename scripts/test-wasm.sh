#!/usr/bin/env bash
# The wasm package's tests: clippy for wasm32 (full and edge builds), the wasm-bindgen-test
# suite in Node and in headless Chromium, both built packages under Node (node:test) with the
# cross-build comparison against the native engine, the package as Node, Deno and Bun import it
# by name, its TypeScript definitions (tsc --noEmit), and the edge example in Cloudflare's
# workerd on both builds. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_wasm_tools
ensure_chromium

step() { printf '\n\033[1m== wasm: %s\033[0m\n' "$*"; }

step "clippy podpass-wasm (wasm32, all targets; and the edge build's library)"
cargo clippy -p podpass-wasm --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
cargo clippy -p podpass-wasm --target wasm32-unknown-unknown --no-default-features --locked -- -D warnings

step "wasm-bindgen-test suite under Node"
cargo test -p podpass-wasm --target wasm32-unknown-unknown --test web --locked

step "the same suite under headless Chromium"
WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  cargo test -p podpass-wasm --target wasm32-unknown-unknown --test web --locked

step "build the package: full and edge builds (web, nodejs, bundler, workerd)"
./scripts/build-wasm-package.sh

step "the native CLI, which the cross-build test compares against"
cargo build -p podpass --locked

step "the nodejs package under node:test (full build, then edge build), and its memory over a long run"
node --test crates/podpass-wasm/tests/node/login.test.mjs crates/podpass-wasm/tests/node/hostile.test.mjs \
  crates/podpass-wasm/tests/node/lazy.test.mjs crates/podpass-wasm/tests/node/soak.test.mjs
PODPASS_BUILD=edge node --test crates/podpass-wasm/tests/node/login.test.mjs \
  crates/podpass-wasm/tests/node/hostile.test.mjs crates/podpass-wasm/tests/node/lazy.test.mjs \
  crates/podpass-wasm/tests/node/soak.test.mjs

step "edge, full and native decide the same vectors (Node), and both web builds in Chromium"
node --test crates/podpass-wasm/tests/node/builds.test.mjs
node --test crates/podpass-wasm/tests/browser/builds.test.mjs

step "the documentation's JavaScript examples (README.md, the package README) under Node"
node --test crates/podpass-wasm/tests/node/docs-examples.test.mjs

step "the package imported by name in Node, Deno and Bun: entries, decisions, the README's examples"
node --test crates/podpass-wasm/tests/runtimes/runtimes.test.mjs

step "TypeScript definitions (tsc --noEmit)"
tsc -p crates/podpass-wasm/tests/node/tsconfig.json

step "edge example in workerd (full build, then edge build)"
node --test crates/podpass-wasm/examples/edge-worker/test.mjs
PODPASS_BUILD=edge node --test crates/podpass-wasm/examples/edge-worker/test.mjs

step "done"
