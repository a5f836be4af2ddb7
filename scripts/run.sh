#!/usr/bin/env bash
# The main job available today: evaluate the tutorial scenario offline and print each login's
# explained outcome. (The native server issue turns this into `podpass dev --demo` with the
# playground at /ui/.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_wasm_target
cargo run --quiet -p podpass-core --example tutorial
