#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets) for SECONDS each (default 60), with a seed corpus
# built from the repository's fixtures. Needs the nightly toolchain and cargo-fuzz (installed
# here when missing). Crashes land in fuzz/artifacts/<target>/; a crash is a failure.
#   ./scripts/fuzz.sh [seconds per target]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_cargo_fuzz

seconds=${1:-60}
corpus_root=target/fuzz-corpus

# The page's fields joined by the unit separator, as the playground target reads them.
fields() {
  local IFS=$'\x1f'
  printf '%s' "$*"
}

# Seeds for the playground: every fixture configuration as the config field, with the tutorial's
# mount, role, labels, a clock offset and a path.
seed_playground() {
  local dir=$corpus_root/playground_evaluate i=0 file
  mkdir -p "$dir"
  for file in tests/fixtures/configuration/* tests/fixtures/tutorial/*; do
    [ -f "$file" ] || continue
    i=$((i + 1))
    fields "$(cat "$file")" "" kubernetes grade-api "team=grade" "" "+1h" \
      "secret/data/grade-api/db" read >"$dir/fixture-$i"
  done
}

seed_playground
for target in $(cargo +nightly fuzz list --fuzz-dir fuzz); do
  printf '\n\033[1m== fuzz %s for %ss\033[0m\n' "$target" "$seconds"
  cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$corpus_root/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
done
