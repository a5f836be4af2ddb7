#!/usr/bin/env bash
# Builds the podpass wasm package (crates/podpass-wasm), two builds for every JavaScript host:
#   full (crate feature `full`): every configuration form, lint, importScript, signatures
#        verified in wasm (`login`) and by the host's WebCrypto (`loginAsync`)
#   edge (no default features): Vault API JSON configurations, loginAsync, authorize,
#        capabilities, decodeJwt; a fraction of the size, for Workers and gateways
# Each build is bound for four hosts:
#   web      ES module for browsers (call the default `init()` first)
#   nodejs   CommonJS for Node and Bun (`require`), loads the wasm synchronously
#   bundler  ES module importing the .wasm (webpack, Vite, Rollup; Deno, which imports
#            wasm modules itself, so needs no permission to read the file)
#   workerd  the web glue plus an entry that instantiates the .wasm module a Cloudflare
#            Worker imports (workerd, wrangler)
# Layout: crates/podpass-wasm/pkg/{web,nodejs,bundler,workerd} is the full build and
# pkg/edge/{…} the edge build; pkg/package.json maps them to `exports` conditions ("." and
# "./edge"). The four bindings of one build share one .wasm (only the JS glue differs), so it is
# shrunk once (wasm-opt -Oz, binaryen from tests/node_modules) and shipped once, in bundler/;
# the other glues load it from there. Each directory also gets a package.json, which gives its
# .js files their module type.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ensure_wasm_tools

# The module's layout for gzip, the same as the playground's: the options are written once, in
# web/index.html's data-wasm-opt-params (Trunk reads them only there). They inline a function
# that has one caller only where it is tiny (binaryen inlines every such function by default)
# and order functions by name, which puts a crate's and a type's functions side by side: the
# module is a few KB larger raw and gzip finds more repeats, 16 KB less gzip for the edge build
# and 49 KB for the full one, at the same speed.
read -r -a WASM_OPT_LAYOUT < <(sed -n 's/.*data-wasm-opt-params="\([^"]*\)".*/\1/p' web/index.html) || true
if [ "${#WASM_OPT_LAYOUT[@]}" -eq 0 ]; then
  echo "build-wasm-package: no data-wasm-opt-params in web/index.html" >&2
  exit 1
fi

# Nightly's toolchain with the standard library built in, when it can be had (scripts/setup.sh).
use_wasm_size_toolchain || true

say() { printf '\033[1m[wasm-package]\033[0m %s\n' "$*" >&2; }

relocate() { # file, text, replacement: replaces text that must be there exactly once
  local found
  found=$(grep -cF -- "$2" "$1" || true)
  if [ "$found" != 1 ]; then
    echo "build-wasm-package: expected one \`$2\` in $1, found $found" >&2
    exit 1
  fi
  FROM=$2 TO=$3 perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/' "$1"
}

crate=crates/podpass-wasm
out=$crate/pkg
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
license=$(awk -F'"' '/^license = / { print $2; exit }' Cargo.toml)

package_json() { # directory, build, target, module type, main file, types file
  cat > "$1/package.json" <<JSON
{
  "name": "podpass-wasm",
  "version": "$version",
  "description": "Vault Kubernetes-auth logins and ACL decisions, explained, for JavaScript ($2 build, $3)",
  "license": "$license",
  "type": "$4",
  "main": "$5",
  "types": "$6",
  "files": ["*.js", "*.d.ts", "*.wasm", "snippets"],
  "sideEffects": $( [ "$3" = bundler ] || [ "$3" = workerd ] && echo '["./podpass_wasm.js", "./index.js"]' || echo false )
}
JSON
}

# build_one NAME DIRECTORY PROFILE CARGO-FEATURE-ARGS...: one build, bound for the four hosts in
# DIRECTORY.
build_one() {
  local name=$1 dir=$2 profile=$3
  shift 3
  local wasm=target/wasm32-unknown-unknown/$profile/podpass_wasm.wasm
  say "building podpass-wasm, $name build (wasm32, $profile profile)"
  cargo build -p podpass-wasm --target wasm32-unknown-unknown --profile "$profile" --locked \
    "${WASM_PACKAGE_STD_CONFIG[@]}" "$@"
  for target in web nodejs bundler; do
    wasm-bindgen --target "$target" --out-dir "$dir/$target" --out-name podpass_wasm "$wasm"
  done
  # Kept, with its function names, for the size profile (scripts/bench-wasm.sh, twiggy).
  cp "$wasm" "target/podpass_wasm-$name-unstripped.wasm"
  say "$name: wasm-opt -Oz"
  # Names and producer sections are for debugging; the features section only informs tools.
  # WASM_OPT_LAYOUT is about gzip, not raw bytes (docs/benchmarks.md, "the module's layout").
  shrink() {
    wasm-opt -Oz "${WASM_OPT_LAYOUT[@]}" --strip-debug --strip-producers --strip-target-features "$1" -o "$1"
  }
  for target in web nodejs; do
    if ! cmp -s "$dir/bundler/podpass_wasm_bg.wasm" "$dir/$target/podpass_wasm_bg.wasm"; then
      echo "build-wasm-package: wasm-bindgen's $target .wasm differs from the bundler one" >&2
      exit 1
    fi
    rm "$dir/$target/podpass_wasm_bg.wasm" "$dir/$target/podpass_wasm_bg.wasm.d.ts"
  done
  # The one copy stays in bundler/: there the host resolves the module's imports (its JS glue,
  # the snippets) relative to the .wasm itself. The other glues load it from there; the
  # substitutions are checked, so a wasm-bindgen that writes the path another way fails the
  # build instead of shipping glue that loads nothing.
  shrink "$dir/bundler/podpass_wasm_bg.wasm"
  relocate "$dir/web/podpass_wasm.js" "new URL('podpass_wasm_bg.wasm', import.meta.url)" \
    "new URL('../bundler/podpass_wasm_bg.wasm', import.meta.url)"
  relocate "$dir/nodejs/podpass_wasm.js" '`${__dirname}/podpass_wasm_bg.wasm`' \
    '`${__dirname}/../bundler/podpass_wasm_bg.wasm`'

  # The crate's own JS modules (js/, wasm-bindgen snippets) are ES modules; the nodejs glue
  # requires them, so there each one's closing export statement becomes CommonJS.
  find "$dir/nodejs/snippets" -name '*.js' -print0 |
    xargs -0 -r sed -i -E 's/^export \{ (.*) \};$/module.exports = { \1 };/'

  # workerd: Workers import a .wasm file as a compiled WebAssembly.Module (no fetch, no
  # top-level instantiation of the bytes), which the web glue's initSync accepts.
  mkdir -p "$dir/workerd/snippets"
  cp "$dir/web/podpass_wasm.js" "$dir/web/podpass_wasm.d.ts" "$dir/workerd/"
  # The glue imports the crate's own JS modules from snippets/<crate>-<hash>/; workerd embeds
  # each module by name (examples/edge-worker/config.capnp), so there the directory gets a fixed
  # name: snippets/podpass-wasm/.
  for snippet in "$dir/web/snippets"/*/; do
    cp -r "$snippet" "$dir/workerd/snippets/podpass-wasm"
    # Only the import statements: the wasm's import module names stay as they are.
    sed -i "/^import /s#./snippets/$(basename "$snippet")/#./snippets/podpass-wasm/#" "$dir/workerd/podpass_wasm.js"
  done
  cat > "$dir/workerd/index.js" <<'JS'
// The podpass engine for Cloudflare Workers / workerd: the module is compiled by the runtime
// when the worker loads, and instantiated here once per isolate.
import wasmModule from "../bundler/podpass_wasm_bg.wasm";
import { initSync } from "./podpass_wasm.js";

initSync({ module: wasmModule });

export * from "./podpass_wasm.js";
JS
  cat > "$dir/workerd/index.d.ts" <<'TS'
export * from "./podpass_wasm.js";
TS

  package_json "$dir/web" "$name" web module podpass_wasm.js podpass_wasm.d.ts
  package_json "$dir/nodejs" "$name" nodejs commonjs podpass_wasm.js podpass_wasm.d.ts
  package_json "$dir/bundler" "$name" bundler module podpass_wasm.js podpass_wasm.d.ts
  package_json "$dir/workerd" "$name" workerd module index.js index.d.ts
  rm -f "$dir"/*/.gitignore

  local raw gz
  raw=$(stat -c %s "$dir/bundler/podpass_wasm_bg.wasm")
  gz=$(gzip -9 -c "$dir/bundler/podpass_wasm_bg.wasm" | wc -c)
  say "$name build: podpass_wasm_bg.wasm $raw bytes, $gz gzipped"
}

rm -rf "$out"
# Both builds tune the package's own layer for speed (Cargo.toml, profile wasm-package); the edge
# build leaves out the features an edge proxy does not need.
build_one full "$out" wasm-package
build_one edge "$out/edge" wasm-package --no-default-features

# The package root: one name, the builds as `exports` conditions. Runtimes pick their entry
# (workerd, Deno, Node and Bun, browsers); bundlers that match none get the bundler glue. The
# first key a runtime knows wins, and Deno knows `node` too, so `deno` comes before it.
conditions() { # path prefix
  cat <<JSON
    {
      "workerd": { "types": "./$1workerd/index.d.ts", "default": "./$1workerd/index.js" },
      "deno": { "types": "./$1bundler/podpass_wasm.d.ts", "default": "./$1bundler/podpass_wasm.js" },
      "node": { "types": "./$1nodejs/podpass_wasm.d.ts", "default": "./$1nodejs/podpass_wasm.js" },
      "browser": { "types": "./$1web/podpass_wasm.d.ts", "default": "./$1web/podpass_wasm.js" },
      "default": { "types": "./$1bundler/podpass_wasm.d.ts", "default": "./$1bundler/podpass_wasm.js" }
    }
JSON
}
cat > "$out/package.json" <<JSON
{
  "name": "podpass-wasm",
  "version": "$version",
  "description": "Vault Kubernetes-auth logins and ACL decisions, explained, for JavaScript: a full build and an edge build",
  "license": "$license",
  "exports": {
    ".": $(conditions ""),
    "./edge": $(conditions "edge/"),
    "./package.json": "./package.json",
    "./*": "./*"
  },
  "types": "./bundler/podpass_wasm.d.ts",
  "files": ["web", "nodejs", "bundler", "workerd", "edge", "README.md"],
  "sideEffects": ["./bundler/podpass_wasm.js", "./workerd/*.js", "./edge/bundler/podpass_wasm.js", "./edge/workerd/*.js"]
}
JSON
sed -e "1s/.*/# podpass-wasm $version/" "$crate/README.md" > "$out/README.md"
say "built $out (full) and $out/edge, each for web, nodejs, bundler and workerd"
