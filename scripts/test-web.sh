#!/usr/bin/env bash
# The web playground's checks: clippy for the browser build, the release build with Trunk
# (public URL /ui/, as the native server serves it), and the end-to-end test in headless
# Chromium against web/dist served by a small local static server. Screenshots land in
# tests/out/playground/. The playground's plain-Rust logic is tested natively by
# `cargo test --workspace`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_wasm_tools   # also puts tests/node_modules/.bin (binaryen's wasm-opt) first on PATH
ensure_chromium
ensure_trunk

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "clippy (podpass-web, wasm32)"
cargo clippy -p podpass-web --target wasm32-unknown-unknown --all-targets --locked -- -D warnings

step "trunk build --release (web/dist, public URL /ui/)"
with_wasm_size_build trunk build --release --locked

step "end-to-end test (headless Chromium)"
mkdir -p tests/out/playground
node --test --test-reporter=spec web/tests/

step "the playground built into the binary (podpass --features embed-ui) at /ui/"
cargo build -p podpass --features embed-ui --locked
port=18297
target/debug/podpass dev --listen "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/v1/sys/health" >/dev/null 2>&1 && break
  sleep 0.2
done
page=$(curl -fsS "http://127.0.0.1:$port/ui/")
kill "$server"
trap - EXIT
case "$page" in
  *podpass*wasm*|*wasm*podpass*) echo "ok: /ui/ serves the embedded playground" ;;
  *) echo "not ok: /ui/ did not serve the embedded playground:"; echo "$page" | head -20; exit 1 ;;
esac

step "playground checks done"
