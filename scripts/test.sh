#!/usr/bin/env bash
# The whole test suite: installs what it needs, then format, lints (native and wasm32), every
# Rust test, the core under wasm32 in Node, the core's wasm32 release build, a short run of
# every fuzz target (scripts/fuzz.sh), and each face's own checks: the wasm package
# (test-wasm.sh), the playground (test-web.sh) and the server with real Vault clients
# (test-server.sh).
#
# `scripts/test.sh --quick` is the fast tier for the edit-compile-test loop: format, clippy
# (native and wasm32), rustdoc's link check and every Rust test natively; it installs nothing
# but the wasm32 target and PostgreSQL (the replica tests start throwaway clusters).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh

quick=false
case "${1:-}" in
  --quick) quick=true ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--quick]" >&2; exit 2 ;;
esac

if $quick; then ensure_wasm_target; ensure_postgresql; else setup_all; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native, all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy (wasm32: the crates that run in browsers and at the edge; the core's full and edge builds)"
cargo clippy -p podpass-core --target wasm32-unknown-unknown --locked -- -D warnings
cargo clippy -p podpass-core --target wasm32-unknown-unknown --no-default-features --locked -- -D warnings
cargo clippy -p podpass-wasm --target wasm32-unknown-unknown --no-default-features --locked -- -D warnings

step "rustdoc (no broken or private intra-doc links)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

step "tests (native)"
cargo test --workspace --locked

if $quick; then
  step "done (quick tier: the wasm, playground, fuzz and server suites did not run)"
  exit 0
fi

step "tests (podpass-core in wasm32, under Node)"
cargo test -p podpass-core --target wasm32-unknown-unknown --test wasm --features rust-crypto --locked

step "build podpass-core for wasm32 (wasm-release profile)"
cargo build -p podpass-core --target wasm32-unknown-unknown --profile wasm-release --locked

step "fuzz smoke: every fuzz target for 15 s from its seed corpus (nightly, cargo-fuzz)"
bash scripts/fuzz.sh 15

step "the wasm package: Node and Chromium, TypeScript, the edge worker in workerd"
bash scripts/test-wasm.sh

step "the playground: release build and end-to-end test in headless Chromium"
bash scripts/test-web.sh

step "the server: real Vault clients against podpass dev, and a soak smoke of podpass serve"
bash scripts/test-server.sh

step "done"
