#!/usr/bin/env bash
# Benchmarks of the wasm package (not part of the test run): module size after wasm-opt, for
# the full and the edge build, and by crate (twiggy); engine.login / loginAsync against npm jose
# on the same RS256 tokens, in Node, Deno, Bun and inside workerd; cold start in Node and
# workerd. Prints markdown tables; results are recorded in docs/benchmarks.md ("wasm module").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/build-wasm-package.sh
source scripts/setup.sh
ensure_npm_packages
ensure_twiggy

pkg=crates/podpass-wasm/pkg
gz() { gzip -9 -c "$1" | wc -c; }
kb() { awk -v b="$1" 'BEGIN { printf "%.0f KB", b / 1024 }'; }

printf '\n## Size (wasm-opt -Oz, binaryen %s; gzip -9)\n\n' "$(wasm-opt --version | awk '{print $3}')"
echo "| file | raw | gzip |"
echo "|---|---:|---:|"
for file in "$pkg/bundler/podpass_wasm_bg.wasm" "$pkg/edge/bundler/podpass_wasm_bg.wasm" \
  "$pkg/web/podpass_wasm.js" "$pkg/nodejs/podpass_wasm.js" "$pkg/edge/web/podpass_wasm.js"; do
  echo "| \`${file#"$pkg"/}\` | $(kb "$(stat -c %s "$file")") | $(kb "$(gz "$file")") |"
done

printf '\n## Size by crate (twiggy)\n'
node crates/podpass-wasm/bench/size.mjs full edge

printf '\n## Login: podpass vs jose\n\n'
node crates/podpass-wasm/bench/login.mjs

printf '\n## Login in Deno and Bun: podpass vs jose\n\n'
DENO_NO_UPDATE_CHECK=1 deno run --allow-all crates/podpass-wasm/bench/login.mjs
echo
bun run crates/podpass-wasm/bench/login.mjs

printf '\n## Login in workerd: podpass vs jose\n\n'
node crates/podpass-wasm/bench/workerd-login.mjs

printf '\n## Cold start\n\n'
node crates/podpass-wasm/bench/coldstart.mjs
