#!/usr/bin/env bash
# Where the wasm faces' generic code goes (not part of the test run): builds the edge and the full
# package and the playground with Rust's v0 symbol mangling, which keeps every instance's type
# arguments in its name, shrinks each as its real build does (wasm-opt -Oz with the layout
# options) but keeping names, and prints crates/podpass-wasm/bench/generics.mjs's tables: the
# generic functions with the most instances, and the instances compiled twice. The builds go to
# target/generics (a target directory of their own, so the usual builds stay cached).
#   ./scripts/size-generics.sh [edge|full|playground ...] [TOP=25]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_wasm_tools
ensure_twiggy

out=target/generics
mkdir -p "$out"
read -r -a layout < <(sed -n 's/.*data-wasm-opt-params="\([^"]*\)".*/\1/p' web/index.html)

# profile NAME WASM: the named module's tables.
profile() {
  local name=$1 wasm=$2
  wasm-bindgen --target web --keep-debug --out-dir "$out/$name" "$wasm"
  local bound
  bound=$(ls "$out/$name"/*_bg.wasm)
  wasm-opt -Oz -g "${layout[@]}" "$bound" -o "$out/$name.wasm"
  twiggy top -n 1000000 --format csv "$out/$name.wasm" > "$out/$name.csv"
  node crates/podpass-wasm/bench/generics.mjs "$out/$name.csv" "${TOP:-25}"
}

export RUSTFLAGS="-C symbol-mangling-version=v0"
export CARGO_TARGET_DIR=$out/cargo
use_wasm_size_toolchain || true   # the toolchain the real builds use (scripts/setup.sh)
for name in "${@:-edge}"; do
  case $name in
    edge | full)
      features=()
      [ "$name" = edge ] && features=(--no-default-features)
      cargo build -q -p podpass-wasm --target wasm32-unknown-unknown --profile wasm-package --locked \
        "${WASM_PACKAGE_STD_CONFIG[@]}" "${features[@]}"
      profile "$name" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-package/podpass_wasm.wasm"
      ;;
    playground)
      cargo build -q -p podpass-web --bin podpass-web --target wasm32-unknown-unknown --profile wasm-release --locked
      profile "$name" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/podpass-web.wasm"
      ;;
    *)
      echo "size-generics: unknown module '$name' (edge, full or playground)" >&2
      exit 2
      ;;
  esac
done
