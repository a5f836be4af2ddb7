#!/usr/bin/env bash
# Replicas on PostgreSQL against the single redb server, in one run: service-token logins per
# second (RS256, pem_keys) and KV v2 reads with 1, 2 and 3 `podpass serve` replicas on a
# throwaway PostgreSQL 15 (fsync on), and on redb; each with p50/p99 and the CPU time the
# podpass processes and PostgreSQL spend per request (from /proc), since wrk shares the
# machine's cores. Then how long a policy change and a revocation on one replica take to be in
# force on another (p50/p99 over many changes). With BASELINE_BIN=<an older podpass binary>,
# the redb rows are repeated with it, so the redb path is compared in the same run.
# Not part of the test suite: `./scripts/bench-replicas.sh [seconds]`; results go to stdout and
# tests/out/bench-replicas/, and are copied by hand into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_postgresql
DURATION=${1:-10}
CONNECTIONS=${CONNECTIONS:-16}
out=tests/out/bench-replicas
rm -rf "$out"; mkdir -p "$out"
command -v wrk >/dev/null || { apt-get install -y -qq wrk; }

cargo build --release --locked -p podpass
bin=$PWD/target/release/podpass
JWT=$("$bin" token mint --key tests/fixtures/keys/rsa-2048.key.pem --namespace grade-api --name grade-api-sa --ttl 1h)
export JWT ROLE=service

pg() { # program, args...: as the postgres user when root (initdb refuses root)
  local pgbin; pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$pgbin/$1" "${@:2}"; else "$pgbin/$1" "${@:2}"; fi
}
pg_dir=$(mktemp -d); [ "$(id -u)" = 0 ] && chown postgres: "$pg_dir"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pg initdb -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
pg pg_ctl -D "$pg_dir/data" -l "$pg_dir/log" -w -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
cleanup() { # every server started (start() runs in a subshell: its pid files are the record)
  local file
  for file in "$out"/*/*.pid; do [ -f "$file" ] && kill "$(cat "$file")" 2>/dev/null || true; done
  pg pg_ctl -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap cleanup EXIT
new_database() { # name
  pg psql -h 127.0.0.1 -p "$port" -U postgres -q -c "CREATE DATABASE $1"
}

# podpass.hcl: the tutorial's mount (pem_keys), a service-token role and policy; $1 = storage block.
write_config() {
  local dir=$1 storage=$2
  mkdir -p "$dir"
  cp tests/fixtures/keys/rsa-2048.pub.pem "$dir/key.pem"
  cat >"$dir/podpass.hcl" <<EOF
$storage
auth "kubernetes" {
  config {
    kubernetes_host      = "https://k8s:443"
    pem_keys             = [file("key.pem")]
    disable_token_review = true
  }
  role "service" {
    bound_service_account_names      = ["grade-api-sa"]
    bound_service_account_namespaces = ["grade-api"]
    token_policies                   = ["grade-api"]
    token_ttl                        = "1h"
  }
}
policy "grade-api" {
  path "secret/data/grade-api/*" {
    capabilities = ["read"]
  }
}
EOF
}

# Starts replica $2 of binary $1 on config dir $3; prints its address.
start() {
  local binary=$1 name=$2 dir=$3
  PODPASS_SEAL_KEY=$SEAL_KEY RUST_LOG=warn "$binary" serve --config "$dir/podpass.hcl" \
    --data-dir "$dir/$name" --listen 127.0.0.1:0 >"$dir/$name.out" 2>"$dir/$name.log" &
  echo $! >"$dir/$name.pid"
  for _ in $(seq 1 200); do
    local addr; addr=$(sed -n 's/^podpass listening on //p' "$dir/$name.out")
    if [ -n "$addr" ]; then echo "$addr"; return 0; fi
    sleep 0.05
  done
  cat "$dir/$name.log" >&2; return 1
}
SEAL_KEY=$(head -c 32 /dev/urandom | base64)

cpu_ticks() { # pids...: utime + stime, in clock ticks
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$(( total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat") ))
  done
  echo "$total"
}
postgres_pids() { pgrep -f "postgres: .*|$pg_dir/data" || true; }
hz=$(getconf CLK_TCK)

# Runs wrk ($2 lua) against every address in $3.. with CONNECTIONS split between them; prints one
# table row named $1. CPU per request: podpass processes ($PODPASS_PIDS) and PostgreSQL.
load() {
  local name=$1 script=$2; shift 2
  local addrs=("$@") n=${#addrs[@]}
  local per=$(( CONNECTIONS / n )); [ "$per" -ge 1 ] || per=1
  local podpass_before pg_before; podpass_before=$(cpu_ticks $PODPASS_PIDS); pg_before=$(cpu_ticks $(postgres_pids))
  local i wrks=()
  for i in "${!addrs[@]}"; do
    wrk -t1 -c"$per" -d"${DURATION}s" --latency -s "$script" "${addrs[$i]}" >"$out/$name.$i.txt" &
    wrks+=($!)
  done
  wait "${wrks[@]}"
  local podpass_cpu pg_cpu
  podpass_cpu=$(( $(cpu_ticks $PODPASS_PIDS) - podpass_before ))
  pg_cpu=$(( $(cpu_ticks $(postgres_pids)) - pg_before ))
  python3 - "$name" "$hz" "$podpass_cpu" "$pg_cpu" "$out/$name".*.txt <<'PY'
import re, sys
name, hz, podpass_cpu, pg_cpu, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
def ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = requests = 0.0; p50 = p99 = 0.0; errors = 0
for f in files:
    t = open(f).read()
    rps += float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    requests += int(re.search(r"(\d+) requests in", t).group(1))
    p50 = max(p50, ms(re.search(r"\s50%\s+(\S+)", t).group(1)))
    p99 = max(p99, ms(re.search(r"\s99%\s+(\S+)", t).group(1)))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    errors += int(m.group(1)) if m else 0
us = lambda ticks: ticks / hz * 1e6 / max(requests, 1)
print(f"| {name} | {rps:,.0f}/s | {p50:.2f} ms | {p99:.2f} ms | {us(podpass_cpu):.0f} µs | {us(pg_cpu):.0f} µs | {errors} |")
PY
}

# Logs in once on $1 and writes the KV secret the read benchmark reads; exports TOKEN.
prepare_reads() {
  local addr=$1 root=$2
  curl -sf -H "X-Vault-Token: $root" -X POST "$addr/v1/secret/data/grade-api/db" --data '{"data":{"password":"grades"}}' >/dev/null
  TOKEN=$(curl -sf -X POST "$addr/v1/auth/kubernetes/login" --data "{\"role\":\"service\",\"jwt\":\"$JWT\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["auth"]["client_token"])')
  export TOKEN
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg) · $(nproc) cores · ${DURATION}s per run, $CONNECTIONS connections (split over the replicas)"
echo "| setup | requests/s | p50 | p99 (worst replica) | podpass CPU per request | PostgreSQL CPU per request | non-2xx |"
echo "|---|---|---|---|---|---|---|"

redb_rows() { # label, binary
  local dir="$out/redb-$1"
  write_config "$dir" ""
  local addr; addr=$(start "$2" a "$dir")
  PODPASS_PIDS=$(cat "$dir/a.pid")
  local root; root=$(cat "$dir/a/root-token")
  load "redb $1: service logins" crates/podpass-server/bench/login.lua "$addr"
  prepare_reads "$addr" "$root"
  load "redb $1: KV reads" crates/podpass-server/bench/kv_read.lua "$addr"
  kill "$PODPASS_PIDS"
}
redb_rows "this build" "$bin"
if [ -n "${BASELINE_BIN:-}" ]; then redb_rows "baseline" "$BASELINE_BIN"; fi

for replicas in 1 2 3; do
  dir="$out/pg-$replicas"
  new_database "podpass_$replicas"
  write_config "$dir" "storage \"postgresql\" {
  connection_url  = \"postgres://postgres@127.0.0.1:$port/podpass_$replicas?sslmode=disable\"
  max_connections = 10
}"
  addrs=(); PODPASS_PIDS=""
  for name in $(seq 1 "$replicas"); do
    addrs+=("$(start "$bin" "r$name" "$dir")")
    PODPASS_PIDS="$PODPASS_PIDS $(cat "$dir/r$name.pid")"
  done
  root=$(cat "$dir"/r*/root-token 2>/dev/null | head -1)
  load "PostgreSQL, $replicas replica(s): service logins" crates/podpass-server/bench/login.lua "${addrs[@]}"
  prepare_reads "${addrs[0]}" "$root"
  load "PostgreSQL, $replicas replica(s): KV reads" crates/podpass-server/bench/kv_read.lua "${addrs[@]}"
  if [ "$replicas" = 2 ]; then
    echo
    python3 - "${addrs[0]}" "${addrs[1]}" "$root" <<'PY'
# How long a change on replica A takes to be in force on replica B: a policy narrowed and
# widened again (B's answer to a read flips 200 <-> 403), and a revocation (B's lookup turns
# 403). Timed from A's answer to the first answer from B that shows the change.
import http.client, json, sys, time, urllib.parse
a, b, root = sys.argv[1:4]
def conn(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port)
ca, cb = conn(a), conn(b)
def call(c, method, path, token, body=None):
    c.request(method, "/v1/" + path, body=json.dumps(body) if body is not None else None,
              headers={"X-Vault-Token": token})
    r = c.getresponse(); data = r.read()
    return r.status, (json.loads(data) if data else None)
allow = 'path "secret/data/probe/*" { capabilities = ["read"] }'
deny = 'path "secret/data/elsewhere/*" { capabilities = ["read"] }'
call(ca, "PUT", "secret/data/probe/x", root, {"data": {"v": 1}})
call(ca, "PUT", "sys/policies/acl/probe", root, {"policy": allow})
_, created = call(ca, "POST", "auth/token/create", root, {"policies": ["probe"], "ttl": "1h"})
token = created["auth"]["client_token"]
def until(check):
    start = time.perf_counter()
    while not check():
        pass
    return (time.perf_counter() - start) * 1000
policy = []
for i in range(200):
    text, want = (deny, 403) if i % 2 == 0 else (allow, 200)
    call(ca, "PUT", "sys/policies/acl/probe", root, {"policy": text})
    policy.append(until(lambda: call(cb, "GET", "secret/data/probe/x", token)[0] == want))
revoke = []
for i in range(200):
    _, created = call(ca, "POST", "auth/token/create", root, {"policies": ["default"], "ttl": "1h"})
    doomed = created["auth"]["client_token"]
    assert call(cb, "GET", "auth/token/lookup-self", doomed)[0] == 200
    call(ca, "POST", "auth/token/revoke", root, {"token": doomed})
    revoke.append(until(lambda: call(cb, "GET", "auth/token/lookup-self", doomed)[0] == 403))
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(len(xs) * p))]
for name, xs in (("policy change", policy), ("revocation", revoke)):
    print(f"propagation A → B, {name}: p50 {pct(xs, .5):.2f} ms, p99 {pct(xs, .99):.2f} ms, max {max(xs):.2f} ms ({len(xs)} changes)")
PY
    echo
  fi
  for pid in $PODPASS_PIDS; do kill "$pid"; done
done
