#!/usr/bin/env bash
# Installs what podpass's build and tests need, skipping whatever is already there.
# Sourced by scripts/test.sh and scripts/run.sh; safe to run on its own.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# wasm-bindgen's CLI must be exactly the version Cargo.lock pins for the wasm-bindgen crate.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_bindgen_cli() {
  local want have
  want=$(wasm_bindgen_version)
  if [ -z "$want" ]; then
    log "Cargo.lock pins no wasm-bindgen; generating the lockfile"
    cargo generate-lockfile
    want=$(wasm_bindgen_version)
  fi
  have=$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (a few minutes, once)"
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

setup_all() {
  ensure_wasm_target
  ensure_wasm_bindgen_cli
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  setup_all
fi
