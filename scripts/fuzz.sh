#!/usr/bin/env bash
# Runs the fuzz targets (fuzz/fuzz_targets; all of them unless named) for SECONDS each (default
# 60), each from a seed corpus written by fuzz/seeds.py from the repository's fixtures plus
# whatever earlier runs on this machine added to target/fuzz-corpus/. Needs the nightly
# toolchain and cargo-fuzz (installed here when missing).
#   ./scripts/fuzz.sh [seconds per target] [target ...]
# Crashes land in fuzz/artifacts/<target>/ and fail the run (after every target has run).
# Each run appends "date target seconds-taken executions" to target/fuzz-stats.tsv; the totals
# per target are printed at the end (docs/benchmarks.md records them).
#
# Built without a sanitizer: podpass forbids unsafe code, so AddressSanitizer would mostly
# slow the search down; overflow checks and debug assertions stay on (-a).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_cargo_fuzz

seconds=${1:-60}
shift || true
corpus_root=target/fuzz-corpus
stats=target/fuzz-stats.tsv
mkdir -p "$corpus_root"
python3 fuzz/seeds.py "$corpus_root"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir fuzz)
flags=(--fuzz-dir fuzz --sanitizer none --debug-assertions)
cargo +nightly fuzz build "${flags[@]}"

failed=()
for target in "${targets[@]}"; do
  printf '\n\033[1m== fuzz %s for %ss\033[0m\n' "$target" "$seconds"
  log=target/fuzz-$target.log
  mkdir -p "$corpus_root/$target"
  started=$(date +%s)
  # The fuzzer's own status decides (grep finding nothing is fine), so no `|| true` here: it
  # would replace PIPESTATUS with its own.
  set +e
  cargo +nightly fuzz run "${flags[@]}" "$target" "$corpus_root/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    2>&1 | tee "$log" | grep -aE '^(#[0-9]+ +(INITED|DONE)|stat::number_of_executed_units|==|SUMMARY|thread .* panicked)'
  status=${PIPESTATUS[0]}
  set -e
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  printf '%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$(($(date +%s) - started))" "${executions:-0}" >>"$stats"
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    tail -40 "$log"
  fi
done

printf '\n\033[1m== executions per target on this machine, all runs (%s)\033[0m\n' "$stats"
awk -F'\t' '{ n[$2] += $4 } END { for (t in n) printf "%-24s %12d\n", t, n[t] }' "$stats" | sort
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
