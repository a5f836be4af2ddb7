#!/usr/bin/env bash
# Builds the podpass wasm package (crates/podpass-wasm) for every JavaScript host:
#   crates/podpass-wasm/pkg/web      ES module for browsers (call the default `init()` first)
#   crates/podpass-wasm/pkg/nodejs   CommonJS for Node (`require`), loads the wasm synchronously
#   crates/podpass-wasm/pkg/bundler  ES module importing the .wasm (webpack, Vite, Rollup)
#   crates/podpass-wasm/pkg/workerd  the web glue plus an entry that instantiates the .wasm
#                                    module a Cloudflare Worker imports (workerd, wrangler)
# Each directory gets a package.json and the README (from crates/podpass-wasm/README.md).
# wasm-opt -Oz (binaryen 132 from tests/node_modules) shrinks every .wasm after wasm-bindgen.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_wasm_target
ensure_wasm_bindgen_cli
ensure_npm_packages

say() { printf '\033[1m[wasm-package]\033[0m %s\n' "$*" >&2; }

crate=crates/podpass-wasm
out=$crate/pkg
wasm=target/wasm32-unknown-unknown/wasm-release/podpass_wasm.wasm
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
license=$(awk -F'"' '/^license = / { print $2; exit }' Cargo.toml)

say "building podpass-wasm (wasm32, wasm-release profile)"
cargo build -p podpass-wasm --target wasm32-unknown-unknown --profile wasm-release --locked

rm -rf "$out"
bind_and_shrink() {
  wasm-bindgen --target "$1" --out-dir "$out/$1" --out-name podpass_wasm "$wasm"
  # Names and producer sections are for debugging; the features section only informs tools.
  wasm-opt -Oz --strip-debug --strip-producers --strip-target-features \
    "$out/$1/podpass_wasm_bg.wasm" -o "$out/$1/podpass_wasm_bg.wasm"
}
# The three bindings differ only in their JS glue and wasm import names; shrink them side by side.
pids=()
for target in web nodejs bundler; do
  say "wasm-bindgen --target $target, then wasm-opt -Oz"
  bind_and_shrink "$target" &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid"
done

# The crate's own JS modules (js/, wasm-bindgen snippets) are ES modules; the nodejs build
# requires them, so there each one's closing export statement becomes CommonJS.
find "$out/nodejs/snippets" -name '*.js' -print0 |
  xargs -0 -r sed -i -E 's/^export \{ (.*) \};$/module.exports = { \1 };/'

# workerd: Workers import a .wasm file as a compiled WebAssembly.Module (no fetch, no
# top-level instantiation of the bytes), which the web glue's initSync accepts.
mkdir -p "$out/workerd"
cp "$out/web/podpass_wasm.js" "$out/web/podpass_wasm.d.ts" "$out/web/podpass_wasm_bg.wasm" "$out/workerd/"
# The glue imports the crate's own JS modules (js/, wasm-bindgen snippets) from
# snippets/<crate>-<hash>/; workerd embeds each module by name (examples/edge-worker/config.capnp),
# so there the directory gets a fixed name: snippets/podpass-wasm/.
mkdir -p "$out/workerd/snippets"
for dir in "$out/web/snippets"/*/; do
  cp -r "$dir" "$out/workerd/snippets/podpass-wasm"
  # Only the import statements: the wasm's import module names stay as they are.
  sed -i "/^import /s#./snippets/$(basename "$dir")/#./snippets/podpass-wasm/#" "$out/workerd/podpass_wasm.js"
done
cat > "$out/workerd/index.js" <<'JS'
// The podpass engine for Cloudflare Workers / workerd: the module is compiled by the runtime
// when the worker loads, and instantiated here once per isolate.
import wasmModule from "./podpass_wasm_bg.wasm";
import { initSync } from "./podpass_wasm.js";

initSync({ module: wasmModule });

export * from "./podpass_wasm.js";
JS
cat > "$out/workerd/index.d.ts" <<'TS'
export * from "./podpass_wasm.js";
TS

package_json() { # target, module type, main file, types file
  cat > "$out/$1/package.json" <<JSON
{
  "name": "podpass-wasm",
  "version": "$version",
  "description": "Vault Kubernetes-auth logins and ACL decisions, explained, for JavaScript ($1 build)",
  "license": "$license",
  "type": "$2",
  "main": "$3",
  "types": "$4",
  "files": ["*.js", "*.d.ts", "*.wasm", "snippets/", "README.md"],
  "sideEffects": $( [ "$1" = bundler ] || [ "$1" = workerd ] && echo '["./podpass_wasm.js", "./index.js"]' || echo false )
}
JSON
}
package_json web module podpass_wasm.js podpass_wasm.d.ts
package_json nodejs commonjs podpass_wasm.js podpass_wasm.d.ts
package_json bundler module podpass_wasm.js podpass_wasm.d.ts
package_json workerd module index.js index.d.ts

for target in web nodejs bundler workerd; do
  # The title names the build; the source README's title has neither, so it reads well as is.
  sed -e "1s/.*/# podpass-wasm $version ($target build)/" "$crate/README.md" > "$out/$target/README.md"
done

raw=$(stat -c %s "$out/web/podpass_wasm_bg.wasm")
gz=$(gzip -9 -c "$out/web/podpass_wasm_bg.wasm" | wc -c)
say "built $out/{web,nodejs,bundler,workerd}: podpass_wasm_bg.wasm $raw bytes, $gz gzipped"
