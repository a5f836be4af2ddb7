#!/usr/bin/env bash
# The playground's quality-bar numbers (not part of the test run): evaluation time per edit,
# wasm + JS gzip size and time to interactive in headless Chromium, on the release build served
# from a local static server. Prints a Markdown table for docs/benchmarks.md ("Playground").
#   BENCH_EDITS=500 BENCH_LOADS=15 ./scripts/bench-web.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_wasm_tools
ensure_chromium
ensure_trunk

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  with_wasm_size_build trunk build --release --locked
fi
node web/tests/bench.mjs
