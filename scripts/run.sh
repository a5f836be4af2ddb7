#!/usr/bin/env bash
# The main job: a dev server like `vault server -dev`, with the tutorial's scenario loaded (a
# demo key, five roles, three policies) and the playground at /ui/. Prints the address, the
# root token and a ready login command. Installs what it needs first; skips what is there.
#   LISTEN=0.0.0.0:8200 ./scripts/run.sh      (default 127.0.0.1:8200)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_wasm_target
ensure_wasm_bindgen_cli
ensure_npm_packages   # binaryen's wasm-opt, first on PATH for trunk
ensure_trunk

log "building the playground (web/dist)"
trunk build --release --locked
log "building podpass"
cargo build --release --locked -p podpass
exec target/release/podpass dev --demo --listen "${LISTEN:-127.0.0.1:8200}" --ui web/dist "$@"
