#!/usr/bin/env bash
# The web playground's checks: clippy for the browser build, the release build with Trunk
# (public URL /ui/, as the native server serves it), and the end-to-end test in headless
# Chromium against web/dist served by a small local static server. Screenshots land in
# tests/out/playground/. The playground's plain-Rust logic is tested natively by
# `cargo test --workspace`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_wasm_target
ensure_wasm_bindgen_cli
ensure_npm_packages   # also puts tests/node_modules/.bin (binaryen's wasm-opt) first on PATH
ensure_chromium
ensure_trunk

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "clippy (podpass-web, wasm32)"
cargo clippy -p podpass-web --target wasm32-unknown-unknown --all-targets --locked -- -D warnings

step "trunk build --release (web/dist, public URL /ui/)"
trunk build --release --locked

step "end-to-end test (headless Chromium)"
mkdir -p tests/out/playground
node --test --test-reporter=spec web/tests/

step "playground checks done"
