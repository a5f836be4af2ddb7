#!/usr/bin/env bash
# Soak test of `podpass serve`: a mixed load (service and batch logins, KV v2 reads and writes,
# renewals, revocations, policy writes; crates/podpass/examples/soak.rs) first as fast as it goes
# to measure the maximum, then at 80 % of it for [seconds] (default 60), sampling the server's
# RSS, open file descriptors and CPU time every 5 s; then kill -9, a restart on the same data
# directory, and a check that every acknowledged write is still there. Exits non-zero on any
# unexpected answer, a lost write, or a restart that treated the data directory as new.
# Not part of the test suite (scripts/test-server.sh runs a 10-second smoke of it). Results:
# stdout and tests/out/soak/summary.txt, copied by hand into docs/benchmarks.md.
#   SOAK_MAX_SECONDS  length of the max-rate phase (default: a quarter of the run, 3 to 10 s)
#   SOAK_THREADS      load threads, one connection each (default 16)
#   SOAK_PROFILE      release (default) or debug: the smoke reuses test-server.sh's debug build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
duration=${1:-60}
quarter=$(( duration / 4 ))
max_seconds=${SOAK_MAX_SECONDS:-$(( quarter < 3 ? 3 : quarter > 10 ? 10 : quarter ))}
threads=${SOAK_THREADS:-16}
profile=${SOAK_PROFILE:-release}
out=tests/out/soak
rm -rf "$out"
mkdir -p "$out"

case "$profile" in
  release) cargo build --release --locked -p podpass --bin podpass --example soak ;;
  debug) cargo build --locked -p podpass --bin podpass --example soak ;;
  *) echo "SOAK_PROFILE is release or debug, not $profile" >&2; exit 2 ;;
esac
target=${CARGO_TARGET_DIR:-target}
bin="$target/$profile/podpass"
loadgen="$target/$profile/examples/soak"

# The names here are the ones soak.rs uses (its SERVICE_ROLE, BATCH_ROLE and soak/ paths).
cat >"$out/podpass.hcl" <<'EOF'
auth "kubernetes" {
  config {
    kubernetes_host      = "https://k8s:443"
    pem_keys             = [file("../../fixtures/keys/rsa-2048.pub.pem")]
    disable_token_review = true
  }

  role "soak-service" {
    bound_service_account_names      = ["soak-sa"]
    bound_service_account_namespaces = ["soak"]
    token_policies                   = ["soak"]
    token_ttl                        = "1h"
  }

  role "soak-batch" {
    bound_service_account_names      = ["soak-sa"]
    bound_service_account_namespaces = ["soak"]
    token_policies                   = ["soak"]
    token_ttl                        = "1h"
    token_type                       = "batch"
  }
}

policy "soak" {
  path "secret/data/soak/*" {
    capabilities = ["create", "read", "update"]
  }
}
EOF

pid=""
stop_server() { if [ -n "$pid" ]; then { kill "$pid" && wait "$pid"; } 2>/dev/null || true; pid=""; fi; }
trap stop_server EXIT

# Starts `podpass serve` on a free port and the soak's data directory; sets pid and addr.
start_server() {
  local name=$1
  # Created here, not by the background job's redirection, which may come after the first read.
  : >"$out/$name.stdout"
  env -u PODPASS_SEAL_KEY "$bin" serve --config "$out/podpass.hcl" --data-dir "$out/data" \
    --listen 127.0.0.1:0 >"$out/$name.stdout" 2>"$out/$name.log" &
  pid=$!
  for _ in $(seq 1 100); do
    addr=$(sed -n 's/^podpass listening on //p' "$out/$name.stdout")
    [ -n "$addr" ] && curl -sf "$addr/v1/sys/health" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "podpass serve did not start; its log:" >&2
  cat "$out/$name.log" >&2
  return 1
}

# One sample of the server: seconds since t0, VmRSS (kB), open fds, CPU ticks (user + system).
sample() {
  local t rss fds cpu
  t=$(awk -v now="$(date +%s%N)" -v t0="$t0" 'BEGIN { printf "%.1f", (now - t0) / 1e9 }')
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
  fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
  cpu=$(cpu_ticks)
  echo "$t $rss $fds $cpu"
}
# Fields 14 and 15 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
cpu_ticks() { sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }'; }
clk_tck=$(getconf CLK_TCK)
# The value of key=… on the generator's SOAK or VERIFY line in a file.
field() { sed -n "s/^$1 .*\b$2=\([^ ]*\).*/\1/p" "$3"; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
start_server first
root=$(cat "$out/data/root-token")
# As an operator would: so that a restart writing it again (a data directory taken for new) shows.
rm "$out/data/root-token"
SOAK_JWT=$("$bin" token mint --key tests/fixtures/keys/rsa-2048.key.pem --namespace soak \
  --name soak-sa --ttl $(( duration + max_seconds + 3600 )))
export SOAK_JWT VAULT_TOKEN="$root"

status=0
echo "== phase 1: ${max_seconds} s as fast as $threads threads go"
cpu_before=$(cpu_ticks)
"$loadgen" run --addr "$addr" --out "$out" --seconds "$max_seconds" --rate 0 \
  --threads "$threads" --phase max 2>&1 | tee "$out/max.txt" || status=1
cpu_max=$(( $(cpu_ticks) - cpu_before ))
max_rate=$(field SOAK rate "$out/max.txt")
max_requests=$(field SOAK requests "$out/max.txt")
soak_rate=$(awk -v r="${max_rate:-0}" 'BEGIN { printf "%.0f", r * 0.8 }')
if [ "$soak_rate" -le 0 ]; then
  echo "phase 1 measured no rate; not soaking" >&2
  exit 1
fi

echo "== phase 2: $duration s at 80 % of $max_rate = $soak_rate req/s, sampled every 5 s"
t0=$(date +%s%N)
"$loadgen" run --addr "$addr" --out "$out" --seconds "$duration" --rate "$soak_rate" \
  --threads "$threads" --phase soak >"$out/soak.txt" 2>&1 &
loadgen_pid=$!
# Samples at 0, 5, 10 … s while the load runs (the one at the very end could land after the
# generator closed its connections); CPU time is read once more when it is done.
next=0
: >"$out/samples.txt"
while kill -0 "$loadgen_pid" 2>/dev/null; do
  if [ "$next" -lt "$duration" ] && [ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge "$next" ]; then
    sample >>"$out/samples.txt"
    next=$(( next + 5 ))
  fi
  sleep 0.1
done
wait "$loadgen_pid" || status=1
read -r _ rss_after fds_after cpu_after < <(sample)
cat "$out/soak.txt"
soak_requests=$(field SOAK requests "$out/soak.txt")
soak_achieved=$(field SOAK rate "$out/soak.txt")
unexpected_max=$(field SOAK unexpected "$out/max.txt")
unexpected_soak=$(field SOAK unexpected "$out/soak.txt")

warm=$(( quarter > 10 ? quarter : 10 ))
# Least squares of RSS (MB) over time (min) for the samples after the warm-up.
read -r slope fd_min fd_max rss_first rss_last cpu_start < <(awk -v warm="$warm" '
  NR == 1 { cpu0 = $4; fmin = $3; fmax = $3; first = $2 }
  { if ($3 < fmin) fmin = $3; if ($3 > fmax) fmax = $3; last = $2 }
  $1 >= warm { x = $1 / 60; y = $2 / 1024; n++; sx += x; sy += y; sxx += x * x; sxy += x * y }
  END {
    slope = (n >= 2 && n * sxx - sx * sx > 0) ? sprintf("%+.2f", (n * sxy - sx * sy) / (n * sxx - sx * sx)) : "n/a"
    printf "%s %d %d %.1f %.1f %d\n", slope, fmin, fmax, first / 1024, last / 1024, cpu0
  }' "$out/samples.txt")
cpu_soak=$(( cpu_after - cpu_start ))
per_request() { awk -v t="$1" -v n="$2" -v hz="$clk_tck" 'BEGIN { printf "%.3f", (n > 0 ? t * 1000 / hz / n : 0) }'; }
cpu_per_request_max=$(per_request "$cpu_max" "$max_requests")
cpu_per_request_soak=$(per_request "$cpu_soak" "$soak_requests")
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

echo "== kill -9 $pid, restart on the same data directory, verify every acknowledged write"
# In braces, so bash's "Killed" notice goes to /dev/null too.
{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true
pid=""
start_server restart
restart_note="kept the data directory (no new root token)"
if [ -e "$out/data/root-token" ]; then
  restart_note="WROTE A NEW ROOT TOKEN: the data directory was taken for new"
  status=1
fi
"$loadgen" verify --addr "$addr" --out "$out" 2>&1 | tee "$out/verify.txt" || status=1
verify_line=$(grep '^verify:' "$out/verify.txt" || echo "verify: no result")
stop_server

{
  echo "podpass soak, $started_at, $(nproc) cores, load average $load_start at the start, $load_end before the kill"
  echo "build: $profile; $threads load threads (one keep-alive connection each) on the same machine"
  echo "max rate: $max_rate req/s over $max_seconds s (closed loop), server CPU $cpu_per_request_max ms/request"
  echo "soak: $duration s at 80 % = $soak_rate req/s offered, $soak_achieved req/s achieved, $soak_requests requests"
  echo "unexpected answers: ${unexpected_max:-?} in phase 1, ${unexpected_soak:-?} in the soak"
  echo
  sed -n '/^kind /,/^schedule lag/p' "$out/soak.txt"
  echo
  echo "samples (soak phase):"
  printf '%8s %9s %5s %12s\n' "t (s)" "RSS (MB)" "fds" "CPU (s)"
  awk -v hz="$clk_tck" 'NR == 1 { c0 = $4 } { printf "%8s %9.1f %5d %12.2f\n", $1, $2 / 1024, $3, ($4 - c0) / hz }' "$out/samples.txt"
  echo "RSS $rss_first → $rss_last MB; slope after the first $warm s: $slope MB/min"
  echo "open fds: $fd_min–$fd_max"
  awk -v r="$rss_after" -v f="$fds_after" 'BEGIN { printf "once the load stopped: RSS %.1f MB, %d fds\n", r / 1024, f }'
  echo "server CPU in the soak: $cpu_per_request_soak ms/request"
  echo "restart after kill -9: $restart_note"
  echo "$verify_line"
  if [ "$status" = 0 ]; then echo "result: PASS"; else echo "result: FAIL"; fi
} | tee "$out/summary.txt"
exit "$status"
