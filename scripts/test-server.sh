#!/usr/bin/env bash
# Real Vault clients against a running `podpass dev`: Vault's Python client (hvac) and
# node-vault, unchanged (hvac also against two `podpass serve` replicas on PostgreSQL), and OpenBao 2.7.2's `bao` CLI and `bao agent`, each against its own
# fresh server; then the differential conformance run against OpenBao 2.7.2
# (tests/conformance/); last, a 10-second smoke of the soak test (scripts/soak.sh). Called by
# scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_npm_packages
ensure_python_clients
ensure_openbao

cargo build -p podpass --locked
PODPASS_BIN="$PWD/target/debug/podpass"
export PODPASS_BIN FIXTURES="$PWD/tests/fixtures"
out=tests/out/server
mkdir -p "$out"

server_pid=""
stop_server() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi; }

# Starts `podpass dev` on a free port; sets PODPASS_ADDR and PODPASS_ROOT_TOKEN.
start_server() {
  local log="$out/$1.log"
  PODPASS_ROOT_TOKEN="hvs.test-root-$RANDOM$RANDOM"
  "$PODPASS_BIN" dev --listen 127.0.0.1:0 --root-token "$PODPASS_ROOT_TOKEN" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    PODPASS_ADDR=$(sed -n "s/.*export VAULT_ADDR='\(.*\)'.*/\1/p" "$log")
    if [ -n "$PODPASS_ADDR" ] && curl -sf "$PODPASS_ADDR/v1/sys/health" >/dev/null; then
      export PODPASS_ADDR PODPASS_ROOT_TOKEN
      return 0
    fi
    sleep 0.1
  done
  echo "podpass dev did not start; its log:" >&2
  cat "$log" >&2
  return 1
}

# A throwaway PostgreSQL (trust auth, loopback, a free port) and two `podpass serve` replicas
# on it; sets PODPASS_ADDR, PODPASS_ADDR_B and PODPASS_ROOT_TOKEN.
replica_pids=()
pg_dir=""
pg() { # program, args...: as the postgres user when root (initdb refuses root)
  local bin; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/$1" "${@:2}"; else "$bin/$1" "${@:2}"; fi
}
stop_replicas() {
  for pid in "${replica_pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  replica_pids=()
  if [ -n "$pg_dir" ]; then pg pg_ctl -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; pg_dir=""; fi
}
start_replicas() {
  ensure_postgresql
  pg_dir=$(mktemp -d)
  [ "$(id -u)" = 0 ] && chown postgres: "$pg_dir"
  local port; port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  pg initdb -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  pg pg_ctl -D "$pg_dir/data" -l "$pg_dir/log" -w -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1" start >/dev/null
  pg psql -h 127.0.0.1 -p "$port" -U postgres -q -c "CREATE DATABASE podpass"
  local dir="$out/replicas"; rm -rf "$dir"; mkdir -p "$dir"
  printf 'storage "postgresql" {\n  connection_url = "postgres://postgres@127.0.0.1:%s/podpass?sslmode=disable"\n}\n' "$port" >"$dir/podpass.hcl"
  PODPASS_SEAL_KEY=$(head -c 32 /dev/urandom | base64)
  local name addrs=()
  for name in a b; do
    PODPASS_SEAL_KEY=$PODPASS_SEAL_KEY "$PODPASS_BIN" serve --config "$dir/podpass.hcl" --data-dir "$dir/$name" \
      --listen 127.0.0.1:0 >"$dir/$name.out" 2>"$dir/$name.log" &
    replica_pids+=($!)
  done
  for name in a b; do
    local addr=""
    for _ in $(seq 1 100); do
      addr=$(sed -n 's/^podpass listening on //p' "$dir/$name.out")
      [ -n "$addr" ] && break
      sleep 0.1
    done
    [ -n "$addr" ] || { echo "replica $name did not start:" >&2; cat "$dir/$name.log" >&2; return 1; }
    addrs+=("$addr")
  done
  PODPASS_ADDR=${addrs[0]} PODPASS_ADDR_B=${addrs[1]}
  # Exactly one replica initialised the store and wrote the root-token file.
  PODPASS_ROOT_TOKEN=$(cat "$dir"/a/root-token "$dir"/b/root-token 2>/dev/null || true)
  export PODPASS_ADDR PODPASS_ADDR_B PODPASS_ROOT_TOKEN
}
trap 'stop_server; stop_replicas' EXIT

echo "== hvac (Python) against podpass dev"
start_server hvac
tests/.venv/bin/python tests/clients/hvac_test.py
stop_server

echo "== hvac (Python) against two podpass serve replicas on one PostgreSQL"
start_replicas
tests/.venv/bin/python tests/clients/hvac_replicas_test.py
stop_replicas

echo "== node-vault against podpass dev"
start_server node-vault
node --test tests/clients/node-vault.test.mjs
stop_server

export BAO_BIN
echo "== the bao CLI (OpenBao $OPENBAO_VERSION) running the tutorial against podpass dev"
start_server bao-cli
tests/.venv/bin/python tests/clients/bao_cli_test.py
stop_server

echo "== bao agent with Kubernetes auto-auth against podpass dev"
start_server bao-agent
tests/.venv/bin/python tests/clients/bao_agent_test.py
stop_server

echo "== differential conformance: the same requests to OpenBao $OPENBAO_VERSION and podpass dev"
tests/.venv/bin/python tests/conformance/run.py --bao "$BAO_BIN" --podpass "$PODPASS_BIN" --out "$out/conformance"

echo "== soak smoke: 3 s at the maximum, 10 s at 80 % of it on podpass serve, kill -9, every acknowledged write checked"
# The debug build above serves: a release build only for this would cost minutes, and the smoke
# is about errors and lost writes, not rates.
SOAK_PROFILE=debug bash scripts/soak.sh 10
