// Cold start: loading the package (compiling and instantiating the wasm) and constructing an
// engine from the tutorial scenario, in fresh Node processes and in fresh workerd processes.
// Prints a markdown table of medians.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { pkg, root } from "../tests/node/fixtures.mjs";
import { configFor, startWorkerd } from "../examples/edge-worker/workerd.mjs";

const RUNS = Number(process.env.RUNS ?? 9);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Node: a fresh process per run, timing inside it.
const probe = (dir) => `
  const t0 = performance.now();
  const podpass = require(${JSON.stringify(join(pkg, dir, "podpass_wasm.js"))});
  const t1 = performance.now();
  const text = require("node:fs").readFileSync(${JSON.stringify(join(root, "tests/fixtures/configuration/tutorial.json"))}, "utf8");
  const t2 = performance.now();
  new podpass.Engine(text);
  const t3 = performance.now();
  console.log(JSON.stringify({ load: t1 - t0, engine: t3 - t2 }));
`;
const nodeRuns = (dir) =>
  Array.from({ length: RUNS }, () => JSON.parse(execFileSync(process.execPath, ["-e", probe(dir)], { encoding: "utf8" })));
const node = nodeRuns("nodejs");
const nodeEdge = nodeRuns("edge/nodejs");

// workerd: time from spawning the runtime to the first answer, for the podpass worker (the
// first request, the poll that finds the socket answering, constructs the engine) and for
// workers without podpass, the difference being what podpass adds. The example runs two workers
// (podpass in front of an echo upstream), so the like-for-like baseline is the same two workers
// with a front worker that passes every request upstream without podpass; a lone echo worker
// (the runtime's own start) is measured too.
const baselineDir = mkdtempSync(join(tmpdir(), "podpass-bench-"));
copyFileSync(join(root, "crates/podpass-wasm/examples/edge-worker/upstream.mjs"), join(baselineDir, "upstream.mjs"));
writeFileSync(
  join(baselineDir, "proxy.mjs"),
  "export default { fetch: (request, env) => env.UPSTREAM.fetch(request) };\n",
);
/** A workerd config of `services`, its socket served by the service named `serving`. */
const capnp = (serving, services) => `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [${services.join(", ")}],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "${serving}")],
);
`;
const echo = `(name = "echo", worker = (modules = [(name = "upstream.mjs", esModule = embed "upstream.mjs")], compatibilityDate = "2025-09-01"))`;
const front = `(name = "front", worker = (modules = [(name = "proxy.mjs", esModule = embed "proxy.mjs")], compatibilityDate = "2025-09-01", bindings = [(name = "UPSTREAM", service = "echo")]))`;
const baseline = join(baselineDir, "baseline.capnp");
writeFileSync(baseline, capnp("echo", [echo]));
const twoWorkers = join(baselineDir, "two-workers.capnp");
writeFileSync(twoWorkers, capnp("front", [front, echo]));
async function firstAnswer(config) {
  const spawned = performance.now();
  const server = await startWorkerd(config, { pollMs: 1 });
  const ready = performance.now();
  // The next two requests, logins with an ACL check: the engine is ready since the poll's answer.
  const t0 = performance.now();
  await (await fetch(`${server.base}/v1/secret/data/x`, { headers: { "x-podpass-role": "grade-api" } })).text();
  const first = performance.now() - t0;
  const t1 = performance.now();
  await (await fetch(`${server.base}/v1/secret/data/x`, { headers: { "x-podpass-role": "grade-api" } })).text();
  const second = performance.now() - t1;
  server.stop();
  return { listening: ready - spawned, first, second };
}
const workerdRuns = { podpass: [], edge: [], twoWorkers: [], baseline: [] };
for (let i = 0; i < RUNS; i++) {
  workerdRuns.podpass.push(await firstAnswer(configFor("full")));
  workerdRuns.edge.push(await firstAnswer(configFor("edge")));
  workerdRuns.twoWorkers.push(await firstAnswer(twoWorkers));
  workerdRuns.baseline.push(await firstAnswer(baseline));
}

const ms = (x) => x.toFixed(1);
console.log(`Medians of ${RUNS} fresh processes (Node ${process.version}; workerd from npm):\n`);
console.log("| host | measure | ms |");
console.log("|---|---|---:|");
console.log(`| Node | load the nodejs package (compile + instantiate the wasm) | ${ms(median(node.map((r) => r.load)))} |`);
console.log(`| Node | \`new Engine(tutorial.json)\` | ${ms(median(node.map((r) => r.engine)))} |`);
console.log(`| Node | load the edge build's nodejs package | ${ms(median(nodeEdge.map((r) => r.load)))} |`);
console.log(`| Node | \`new Engine(tutorial.json)\`, edge build | ${ms(median(nodeEdge.map((r) => r.engine)))} |`);
const pick = (runs, key) => median(runs.map((r) => r[key]));
console.log(`| workerd | spawn → socket answering, podpass worker | ${ms(pick(workerdRuns.podpass, "listening"))} |`);
console.log(`| workerd | spawn → socket answering, podpass worker on the edge build | ${ms(pick(workerdRuns.edge, "listening"))} |`);
console.log(`| workerd | spawn → socket answering, the same two workers without podpass (a pass-through front) | ${ms(pick(workerdRuns.twoWorkers, "listening"))} |`);
console.log(`| workerd | spawn → socket answering, one worker without podpass (an echo) | ${ms(pick(workerdRuns.baseline, "listening"))} |`);
const ratio = (runs, base) => (pick(runs, "listening") / pick(base, "listening")).toFixed(2);
console.log(`| workerd | spawn → answering, × the same two workers without podpass: full build, edge build | ${ratio(workerdRuns.podpass, workerdRuns.twoWorkers)}, ${ratio(workerdRuns.edge, workerdRuns.twoWorkers)} |`);
console.log(`| workerd | spawn → answering, × one echo worker: full build, edge build | ${ratio(workerdRuns.podpass, workerdRuns.baseline)}, ${ratio(workerdRuns.edge, workerdRuns.baseline)} |`);
console.log(`| workerd | first login after the socket answers (engine built for the poll's answer) | ${ms(pick(workerdRuns.podpass, "first"))} |`);
console.log(`| workerd | first login, edge build | ${ms(pick(workerdRuns.edge, "first"))} |`);
console.log(`| workerd | the same request through the two workers without podpass | ${ms(pick(workerdRuns.twoWorkers, "first"))} |`);
console.log(`| workerd | second login | ${ms(pick(workerdRuns.podpass, "second"))} |`);
