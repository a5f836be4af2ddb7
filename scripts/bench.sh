#!/usr/bin/env bash
# Runs the criterion benchmarks and prints the medians (and ratios) for docs/benchmarks.md.
# Usage: scripts/bench.sh [login|acl]...   (default: all)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(login acl)
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
