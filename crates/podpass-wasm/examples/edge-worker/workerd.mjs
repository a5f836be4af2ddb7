// Starts the edge example in workerd on a free local port, for the test and the benchmark.
// The process is killed when the returned `stop` is called, and in any case when Node exits.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { pkg, root } from "../../tests/node/fixtures.mjs";

export const workerd = join(root, "tests/node_modules/.bin/workerd");
const here = dirname(fileURLToPath(import.meta.url));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * The example's workerd configuration for a build of the package: config.capnp itself for the
 * full build; for the edge build, a copy whose embedded package modules (the glue and the .wasm)
 * are the edge build's (every other embed still points at the same files). With `podpassConfig`
 * (Vault API JSON text), a copy whose PODPASS_CONFIG binding is that text. Copies are written
 * under target/edge-worker/, never into the package.
 */
export function configFor(build, { podpassConfig } = {}) {
  const config = join(here, "config.capnp");
  if (build !== "edge" && podpassConfig === undefined) return config;
  const out = join(root, "target/edge-worker", build === "edge" ? "edge" : "full");
  mkdirSync(out, { recursive: true });
  let text = readFileSync(config, "utf8").replace(/embed "([^"]+)"/g, (_, path) => {
    const file = resolve(here, path);
    const built = build === "edge" ? file.replace(`${pkg}/`, `${join(pkg, "edge")}/`) : file;
    return `embed "${relative(out, built)}"`;
  });
  let name = "edge-worker.capnp";
  if (podpassConfig !== undefined) {
    writeFileSync(join(out, "podpass-config.json"), podpassConfig);
    text = text.replace(/(name = "PODPASS_CONFIG", text = embed )"[^"]+"/, '$1"podpass-config.json"');
    name = "edge-worker-given-config.capnp";
  }
  const written = join(out, name);
  writeFileSync(written, text);
  return written;
}

/**
 * Spawns `workerd serve <config>` and waits until its socket answers, trying every `pollMs`
 * (the cold-start benchmark polls every millisecond, so the wait does not round its figures).
 */
export async function startWorkerd(config = join(here, "config.capnp"), { timeoutMs = 20000, pollMs = 25 } = {}) {
  const port = await freePort();
  const child = spawn(workerd, ["serve", config, "--socket-addr", `http=127.0.0.1:${port}`], {
    stdio: ["ignore", "inherit", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const stop = () => {
    process.removeListener("exit", stop);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", stop);
  const started = performance.now();
  const base = `http://127.0.0.1:${port}`;
  while (performance.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}: ${stderr}`);
    try {
      await fetch(`${base}/`);
      return { base, stop, child, startedAt: started };
    } catch {
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  stop();
  throw new Error(`workerd did not answer within ${timeoutMs} ms: ${stderr}`);
}
