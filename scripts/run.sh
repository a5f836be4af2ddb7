#!/usr/bin/env bash
# The main job: a dev server like `vault server -dev`, with the tutorial's scenario loaded (a
# demo key, five roles, three policies) and the playground at /ui/. Prints the address, the
# root token and a ready login command. Installs what it needs first; skips what is there.
#   LISTEN=0.0.0.0:8200 ./scripts/run.sh      (default 127.0.0.1:8200)
#
# The server starts as soon as its own binary is built; the playground (Trunk, wasm-bindgen,
# binaryen, a WebAssembly build) follows while it runs, and /ui/ says it is on its way until
# then. Stop both with Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh

log "building podpass"
cargo build --release --locked -p podpass
target/release/podpass dev --demo --listen "${LISTEN:-127.0.0.1:8200}" --ui web/dist "$@" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT INT TERM

# The playground, built behind the running server. Its output goes to the log so that the
# server's banner stays readable; a failed build leaves the server running.
mkdir -p tests/out
playground_log=tests/out/playground-build.log
if {
  ensure_wasm_tools   # binaryen's wasm-opt among them, first on PATH for trunk
  ensure_trunk
  with_wasm_size_build trunk build --release --locked
} >"$playground_log" 2>&1; then
  log "the playground is built: /ui/ serves it now"
else
  log "the playground did not build (see $playground_log); the server keeps running"
fi
wait "$server"
