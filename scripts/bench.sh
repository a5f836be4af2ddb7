#!/usr/bin/env bash
# Runs the criterion benchmarks and prints the medians (and ratios) for docs/benchmarks.md.
# Usage: scripts/bench.sh [login|acl|configuration]...   (default: all)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(login acl configuration)
for bench in "${benches[@]}"; do
  cargo bench -p podpass-core --bench "$bench" -- --warm-up-time 2 --measurement-time 5
done
python3 - <<'PY'
import json, pathlib
root = pathlib.Path("target/criterion")
rows = {}
for est in sorted(root.glob("*/*/new/estimates.json")):
    group, name = est.parts[-4], est.parts[-3]
    rows[f"{group}/{name}"] = json.loads(est.read_text())["median"]["point_estimate"]
for key, ns in rows.items():
    print(f"{key:60s} {ns/1000:10.3f} µs")
full = rows.get("login/podpass_full_login_rs256")
bare = rows.get("login/jsonwebtoken_decode_verify_rs256")
if full and bare:
    print(f"login ratio (podpass full login / bare jsonwebtoken verify): {full/bare:.3f}")
PY

# Instruction counts per login (deterministic, unlike wall time on a shared machine).
if command -v valgrind >/dev/null 2>&1; then
  cargo build --release --quiet -p podpass-core --example login_profile
  count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/login_profile "$1" "$2" 2>&1 \
      | awk '/Collected/ {print $4}'
  }
  base=$(count podpass 0)
  ours=$(( ($(count podpass 200) - base) / 200 ))
  bare=$(( ($(count jsonwebtoken 200) - base) / 200 ))
  echo "instructions per login: podpass ${ours}, bare jsonwebtoken decode+verify ${bare}"
  python3 -c "print(f'instruction ratio (podpass / jsonwebtoken): {${ours}/${bare}:.3f}')"
fi
