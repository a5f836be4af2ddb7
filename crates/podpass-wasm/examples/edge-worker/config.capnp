# workerd configuration of the edge example: the podpass worker on the `http` socket, in front of
# an echo upstream. Run it (after scripts/build-wasm-package.sh) with
#   tests/node_modules/.bin/workerd serve crates/podpass-wasm/examples/edge-worker/config.capnp \
#     --socket-addr http=127.0.0.1:8787
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "podpass", worker = .podpassWorker),
    (name = "upstream", worker = .echoWorker),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:8787", http = (), service = "podpass"),
  ],
);

const podpassWorker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    # The package's workerd build: its glue (crates/podpass-wasm/pkg/workerd) and the .wasm it
    # imports (pkg/bundler), named as the package lays them out.
    (name = "podpass/workerd/index.js", esModule = embed "../../pkg/workerd/index.js"),
    (name = "podpass/workerd/podpass_wasm.js", esModule = embed "../../pkg/workerd/podpass_wasm.js"),
    (name = "podpass/bundler/podpass_wasm_bg.wasm", wasm = embed "../../pkg/bundler/podpass_wasm_bg.wasm"),
    # The package's own JS (crates/podpass-wasm/js), imported by the glue.
    (name = "podpass/workerd/snippets/podpass-wasm/js/lazy.js", esModule = embed "../../pkg/workerd/snippets/podpass-wasm/js/lazy.js"),
    (name = "podpass/workerd/snippets/podpass-wasm/js/node_crypto.js", esModule = embed "../../pkg/workerd/snippets/podpass-wasm/js/node_crypto.js"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [
    # The tutorial scenario (Vault API JSON, keys inline).
    (name = "PODPASS_CONFIG", text = embed "../../../../tests/fixtures/configuration/tutorial.json"),
    (name = "UPSTREAM", service = "upstream"),
  ],
);

const echoWorker :Workerd.Worker = (
  modules = [(name = "upstream.mjs", esModule = embed "upstream.mjs")],
  compatibilityDate = "2025-09-01",
);
