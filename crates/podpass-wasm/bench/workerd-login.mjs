// podpass against jose inside workerd, the edge runtime the edge build is for: one worker holds
// both packages' workerd builds (edge and full) and npm jose, and answers a request by running
// `n` logins one after another on one path. The paths are jose `jwtVerify` plus the role's
// checks by hand (bench/jose-gateway.mjs), `engine.loginAsync` (the host's crypto here is
// WebCrypto, workerd having no node:crypto by default) and `loginAsync` with `authorize` in
// the same call. The same 16 RS256 tokens as bench/login.mjs.
//
// Workers cannot time themselves (their clock stands still while they compute), so Node times
// each request from outside, and reads the CPU time workerd spent on it from /proc (all its
// threads). A request with n = 0 measures the request itself, which is subtracted. Paths
// alternate, round after round, so the machine's drift falls on all of them alike.
//
//   node crates/podpass-wasm/bench/workerd-login.mjs     (after scripts/build-wasm-package.sh)
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

import { pkg, read, root, tutorialJson } from "../tests/node/fixtures.mjs";
import { startWorkerd } from "../examples/edge-worker/workerd.mjs";
import { TOKENS, ask, gradeApiTokens } from "./scenario.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const LOGINS = Number(process.env.LOGINS ?? 200);

const tokens = await gradeApiTokens();

// The worker's modules, copied into a scratch directory that workerd's config embeds from.
const dir = mkdtempSync(join(tmpdir(), "podpass-workerd-login-"));
cpSync(join(root, "tests/node_modules/jose"), join(dir, "jose"), { recursive: true });
// The worker imports jose by its package entry (exports "." → dist/webapi/index.js).
writeFileSync(join(dir, "jose/index.js"), `export * from "./dist/webapi/index.js";\n`);
// Each build's workerd glue and, where the package keeps it, the .wasm the glue imports.
for (const [build, from] of [["edge", join(pkg, "edge")], ["full", pkg]]) {
  cpSync(join(from, "workerd"), join(dir, build, "workerd"), { recursive: true });
  cpSync(join(from, "bundler/podpass_wasm_bg.wasm"), join(dir, build, "bundler/podpass_wasm_bg.wasm"));
}
cpSync(join(root, "crates/podpass-wasm/bench/jose-gateway.mjs"), join(dir, "jose-gateway.mjs"));
writeFileSync(
  join(dir, "worker.mjs"),
  `import * as jose from "./jose/index.js";
import { Engine as EdgeEngine } from "./edge/workerd/index.js";
import { Engine as FullEngine } from "./full/workerd/index.js";
import { joseLogin } from "./jose-gateway.mjs";

let ready;
async function setup(env) {
  const key = await jose.importSPKI(env.PUBLIC_KEY, "RS256");
  const edge = new EdgeEngine(env.PODPASS_CONFIG);
  const full = new FullEngine(env.PODPASS_CONFIG);
  // Keeping verified tokens: after the warm-up every token was verified before.
  const cached = new EdgeEngine(env.PODPASS_CONFIG, { verifiedTokenCache: 1024 });
  const ask = JSON.parse(env.ASK);
  const allowed = (login) => login.outcome.result === "allowed";
  return {
    tokens: JSON.parse(env.TOKENS),
    paths: {
      jose: (jwt) => joseLogin(jose, key, jwt).then(() => true, () => false),
      edge: async (jwt) => allowed(await edge.loginAsync({ role: "grade-api", jwt })),
      "edge+authorize": async (jwt) => (await edge.loginAsync({ role: "grade-api", jwt, authorize: ask })).authorization?.allowed === true,
      full: async (jwt) => allowed(await full.loginAsync({ role: "grade-api", jwt })),
      "edge+cache": async (jwt) => allowed(await cached.loginAsync({ role: "grade-api", jwt })),
    },
  };
}

export default {
  async fetch(request, env) {
    ready ??= setup(env);
    const { tokens, paths } = await ready;
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? 0);
    const run = paths[url.searchParams.get("path") ?? "jose"];
    if (!run) return new Response("unknown path", { status: 404 });
    let allowed = 0;
    for (let i = 0; i < n; i++) if (await run(tokens[i % tokens.length])) allowed++;
    return new Response(String(allowed));
  },
};
`,
);

/** Every .js file under `sub` as a workerd ES module named by its path. */
function esModules(sub) {
  const found = [];
  const walk = (at) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".js")) found.push(relative(dir, path));
    }
  };
  walk(join(dir, sub));
  return found.map((name) => `(name = "${name}", esModule = embed "${name}")`);
}
const embedText = (name, text) => {
  writeFileSync(join(dir, name), text);
  return `(name = "${name.replace(/\.[a-z]+$/, "").toUpperCase()}", text = embed "${name}")`;
};
const modules = [
  `(name = "worker.mjs", esModule = embed "worker.mjs")`,
  `(name = "jose-gateway.mjs", esModule = embed "jose-gateway.mjs")`,
  `(name = "jose/index.js", esModule = embed "jose/index.js")`,
  ...esModules("jose/dist/webapi"),
  ...esModules("edge"),
  ...esModules("full"),
  `(name = "edge/bundler/podpass_wasm_bg.wasm", wasm = embed "edge/bundler/podpass_wasm_bg.wasm")`,
  `(name = "full/bundler/podpass_wasm_bg.wasm", wasm = embed "full/bundler/podpass_wasm_bg.wasm")`,
];
const bindings = [
  embedText("podpass_config.json", tutorialJson),
  embedText("public_key.pem", read("tests/fixtures/keys/rsa-2048.pub.pem")),
  embedText("tokens.json", JSON.stringify(tokens)),
  embedText("ask.json", JSON.stringify(ask)),
];
const config = join(dir, "bench.capnp");
writeFileSync(
  config,
  `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "bench", worker = (
    modules = [${modules.join(",\n      ")}],
    compatibilityDate = "2025-09-01",
    bindings = [${bindings.join(", ")}],
  ))],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "bench")],
);
`,
);

/** CPU time (ns) all of the process's threads have used. */
function cpuNs(pid) {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return total;
}

const server = await startWorkerd(config);
try {
  const request = async (path, n) => {
    const cpu0 = cpuNs(server.child.pid);
    const t0 = performance.now();
    const response = await fetch(`${server.base}/?path=${encodeURIComponent(path)}&n=${n}`);
    const body = await response.text();
    const ms = performance.now() - t0;
    if (!response.ok || Number(body) !== n) throw new Error(`${path}: ${response.status} ${body} (expected ${n} allowed)`);
    return { ms, cpuMs: (cpuNs(server.child.pid) - cpu0) / 1e6 };
  };
  const paths = ["jose", "edge", "edge+authorize", "full", "edge+cache"];
  // Warm-up: every path's code compiled and tiered up, every key imported.
  for (let i = 0; i < 5; i++) for (const path of paths) await request(path, LOGINS);
  const samples = Object.fromEntries([...paths, "(request)"].map((p) => [p, { ms: [], cpuMs: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of paths) {
      const { ms, cpuMs } = await request(path, LOGINS);
      samples[path].ms.push(ms);
      samples[path].cpuMs.push(cpuMs);
    }
    const { ms, cpuMs } = await request("jose", 0);
    samples["(request)"].ms.push(ms);
    samples["(request)"].cpuMs.push(cpuMs);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const overhead = { ms: median(samples["(request)"].ms), cpuMs: median(samples["(request)"].cpuMs) };
  const perLogin = (path, key) => ((median(samples[path][key]) - overhead[key]) * 1000) / LOGINS;
  const labels = {
    jose: "jose jwtVerify + JS claim checks",
    edge: "edge build: engine.loginAsync",
    "edge+authorize": "edge build: engine.loginAsync with authorize in the same call",
    full: "full build: engine.loginAsync",
    "edge+cache": "edge build: engine.loginAsync with verifiedTokenCache, each token seen before",
  };
  console.log(`workerd (npm), RS256 (2048-bit), ${TOKENS} tokens in rotation, ${LOGINS} logins one after another per request, median of ${ROUNDS} alternating rounds, the request's own cost (${overhead.ms.toFixed(2)} ms, ${overhead.cpuMs.toFixed(2)} ms CPU) subtracted:\n`);
  console.log("| path | µs per login | × jose | workerd CPU µs per login | × jose |");
  console.log("|---|---:|---:|---:|---:|");
  const jose = { wall: perLogin("jose", "ms"), cpu: perLogin("jose", "cpuMs") };
  for (const path of paths) {
    const wall = perLogin(path, "ms");
    const cpu = perLogin(path, "cpuMs");
    console.log(`| ${labels[path]} | ${wall.toFixed(1)} | ${(wall / jose.wall).toFixed(2)} | ${cpu.toFixed(1)} | ${(cpu / jose.cpu).toFixed(2)} |`);
  }
} finally {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
}
