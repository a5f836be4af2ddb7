#!/usr/bin/env bash
# Real Vault clients against a running `podpass dev`: Vault's Python client (hvac) and
# node-vault, unchanged, and OpenBao 2.7.2's `bao` CLI and `bao agent`, each against its own
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
trap stop_server EXIT

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

echo "== hvac (Python) against podpass dev"
start_server hvac
tests/.venv/bin/python tests/clients/hvac_test.py
stop_server

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
