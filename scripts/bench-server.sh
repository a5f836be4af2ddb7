#!/usr/bin/env bash
# Load test of the native server on loopback with wrk: Kubernetes logins per second (pem_keys
# mode, RS256) for service and batch tokens, KV v2 reads per second, p50/p99, next to the bare
# RS256-verify limit measured in the same run; RSS idle and with many live tokens.
# Not part of the test suite: `./scripts/bench-server.sh [seconds]`; results go to stdout and
# tests/out/bench-server/, and are copied by hand into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION=${1:-10}
CONNECTIONS=${CONNECTIONS:-16}
out=tests/out/bench-server
mkdir -p "$out"
command -v wrk >/dev/null || { apt-get install -y -qq wrk; }

cargo build --release --locked -p podpass
cargo build --release --locked -p podpass-core --example login_profile
bin=target/release/podpass

# The bare limit: jsonwebtoken (aws-lc-rs) RS256 verifications of the tutorial token, one core.
n=20000
start=$(date +%s%N)
target/release/examples/login_profile jsonwebtoken $n >/dev/null
verify_us=$(awk -v ns=$(( $(date +%s%N) - start )) -v n=$n 'BEGIN { printf "%.1f", ns / n / 1000 }')
cores=$(nproc)
limit=$(awk -v us="$verify_us" -v c="$cores" 'BEGIN { printf "%d", c * 1000000 / us }')
echo "bare RS256 verify: ${verify_us} µs → limit on $cores cores: ${limit} logins/s"

root="hvs.bench-root"
"$bin" dev --listen 127.0.0.1:0 --root-token "$root" >"$out/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  addr=$(sed -n "s/.*export VAULT_ADDR='\(.*\)'.*/\1/p" "$out/server.log")
  [ -n "$addr" ] && curl -sf "$addr/v1/sys/health" >/dev/null && break
  sleep 0.1
done
sleep 1
rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/$pid/status; }
echo "RSS idle: $(rss) MB"
rss_idle=$(rss)

api() { curl -sf -H "X-Vault-Token: $root" "$@"; }
api -X POST "$addr/v1/auth/kubernetes/config" \
  --data "$(python3 -c 'import json,sys; print(json.dumps({"kubernetes_host":"https://k8s:443","disable_token_review":True,"pem_keys":[open("tests/fixtures/keys/rsa-2048.pub.pem").read()]}))')" >/dev/null
api -X PUT "$addr/v1/sys/policies/acl/grade-api" \
  --data "$(python3 -c 'import json; print(json.dumps({"policy":open("tests/fixtures/tutorial/policies/grade-api.hcl").read()}))')" >/dev/null
for type in service batch; do
  api -X POST "$addr/v1/auth/kubernetes/role/$type" --data "{\"bound_service_account_names\":\"grade-api-sa\",\"bound_service_account_namespaces\":\"grade-api\",\"token_policies\":\"grade-api\",\"token_ttl\":\"1h\",\"token_type\":\"$type\"}" >/dev/null
done
api -X POST "$addr/v1/secret/data/grade-api/db" --data '{"data":{"password":"grades"}}' >/dev/null
JWT=$("$bin" token mint --key tests/fixtures/keys/rsa-2048.key.pem --namespace grade-api --name grade-api-sa --ttl 1h)
export JWT

run() { # name, lua, env...
  local name=$1 script=$2
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "$addr" >"$out/$name.txt"
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ { printf "%d", $2 }' "$out/$name.txt")
  p50=$(awk '$1 == "50%" { print $2 }' "$out/$name.txt")
  p99=$(awk '$1 == "99%" { print $2 }' "$out/$name.txt")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$out/$name.txt")
  echo "$name: ${rps}/s p50 ${p50} p99 ${p99} non-2xx ${non2xx:-0}"
}

ROLE=batch run login-batch crates/podpass-server/bench/login.lua
ROLE=service run login-service crates/podpass-server/bench/login.lua
# Keep logging in until at least 100k service tokens are live (each login leaves one), for RSS.
requests() { awk '/requests in/ { print $1 }' "$1"; }
live=$(requests "$out/login-service.txt")
while [ "$live" -lt 100000 ]; do
  ROLE=service wrk -t2 -c"$CONNECTIONS" -d10s -s crates/podpass-server/bench/login.lua "$addr" >"$out/fill.txt"
  live=$(( live + $(requests "$out/fill.txt") ))
done
sleep 2
echo "RSS with $live live service tokens: $(rss) MB (idle $rss_idle MB)"
TOKEN=$(curl -sf -X POST "$addr/v1/auth/kubernetes/login" --data "{\"role\":\"service\",\"jwt\":\"$JWT\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["auth"]["client_token"])')
export TOKEN
run kv-read crates/podpass-server/bench/kv_read.lua
# Lighter loads, for latency below the peak: two connections of each kind.
CONNECTIONS=2 ROLE=batch run login-batch-light crates/podpass-server/bench/login.lua
CONNECTIONS=4 ROLE=service run login-service-light crates/podpass-server/bench/login.lua
CONNECTIONS=128 ROLE=service run login-service-128 crates/podpass-server/bench/login.lua
