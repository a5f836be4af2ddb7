// The package as Node, Deno and Bun import it by name. A scratch project's
// node_modules/podpass-wasm is the built package (crates/podpass-wasm/pkg) as `npm pack` packs it,
// so only the files npm would publish are there, and each runtime picks its entry through the
// package's `exports` conditions, as it would from npm. In each runtime,
// Deno with no permissions at all:
// - "podpass-wasm" and "podpass-wasm/edge" load without an `init()` call;
// - both builds decide the shared vectors (tests/node/vectors.mjs) with loginAsync, through the
//   runtime's node:crypto and through its WebCrypto, exactly as the full build decides them
//   with `login` in Node;
// - the package README's examples (but the Worker, which workerd's test runs) run as written and
//   assert their own results.
// And the types a TypeScript user gets by the package's name check, in Deno and with tsc.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { after } from "node:test";
import { pathToFileURL } from "node:url";

import { jsBlocks, loadNodePackage, packageReadmePrelude, pkg, root } from "../node/fixtures.mjs";
import { answer, configuration, describe, request, vectors } from "../node/vectors.mjs";

const bin = (name) => join(root, "tests/node_modules/.bin", name);

/** Each runtime: how it runs a module, and the glue it should take from the `exports` map. */
const runtimes = [
  { name: "node", command: process.execPath, args: [], entry: "nodejs" },
  // No permission flags: a prompt would wait forever, so a missing one must fail instead.
  { name: "deno", command: bin("deno"), args: ["run", "--no-prompt"], entry: "bundler" },
  { name: "bun", command: bin("bun"), args: ["run"], entry: "nodejs" },
];

/** tsc as a Node project compiles: resolution by `exports`, strict, nothing emitted. */
const typeCheck = { strict: true, noEmit: true, target: "es2022", lib: ["esnext", "dom"], module: "nodenext", types: [] };

/** Decides every request with each build and host crypto, and says which entries it loaded. */
const decideModule = (requests) => `
import * as full from "podpass-wasm";
import * as edge from "podpass-wasm/edge";
import { answer } from "./answer.mjs";

const configuration = ${JSON.stringify(configuration)};
const requests = ${JSON.stringify(requests)};
const answers = {};
for (const [build, podpass] of Object.entries({ full, edge })) {
  for (const hostCrypto of ["auto", "webcrypto"]) {
    const engine = new podpass.Engine(configuration, { source: "scenario.json", hostCrypto });
    const decided = [];
    for (const request of requests) decided.push(answer(engine, await engine.loginAsync(request)));
    answers[build + " build, " + hostCrypto] = decided;
  }
}
const entries = { full: import.meta.resolve("podpass-wasm"), edge: import.meta.resolve("podpass-wasm/edge") };
console.log(JSON.stringify({ entries, answers }));
`;

/** Installs the package into `dir`'s node_modules from the tarball `npm pack` makes of it. */
function installPacked(dir) {
  const packed = spawnSync("npm", ["pack", pkg, "--pack-destination", dir, "--json"], { encoding: "utf8" });
  assert.equal(packed.status, 0, `npm pack failed: ${packed.stderr}`);
  const [{ filename }] = JSON.parse(packed.stdout);
  const into = join(dir, "node_modules/podpass-wasm");
  mkdirSync(into, { recursive: true });
  const unpacked = spawnSync("tar", ["xzf", join(dir, filename), "-C", into, "--strip-components=1"], { encoding: "utf8" });
  assert.equal(unpacked.status, 0, `tar failed: ${unpacked.stderr}`);
}

/** A scratch project that has the package under its name, with the test's modules in it. */
async function project() {
  const dir = mkdtempSync(join(tmpdir(), "podpass-runtimes-"));
  installPacked(dir);
  // Deno resolves bare names from this node_modules instead of fetching from npm.
  writeFileSync(join(dir, "deno.json"), JSON.stringify({ nodeModulesDir: "manual" }));
  copyFileSync(join(root, "crates/podpass-wasm/tests/node/answer.mjs"), join(dir, "answer.mjs"));
  copyFileSync(join(root, "crates/podpass-wasm/tests/runtimes/by-name.ts"), join(dir, "by-name.ts"));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: typeCheck, files: ["by-name.ts"] }));
  writeFileSync(join(dir, "decide.mjs"), decideModule(vectors.map(request)));
  const prelude = await packageReadmePrelude();
  // The Worker example is a module for workerd (examples/edge-worker/test.mjs runs its like), and
  // Bun would serve its `export default { fetch }` instead of running it to the end.
  const blocks = jsBlocks("crates/podpass-wasm/README.md").filter((block) => !block.code.includes("export default {"));
  const examples = blocks.map((block) => {
    const file = `example-at-line-${block.line}.mjs`;
    writeFileSync(join(dir, file), `${prelude}\n${block.code}\n`);
    return file;
  });
  return { dir, examples };
}

/** Runs `args` in the project with `command`; its output, or a failure naming what it printed. */
function run({ command, args = [], name = command }, dir, ...more) {
  const result = spawnSync(command, [...args, ...more], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  const what = `${name} ${more.join(" ")}`;
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  assert.equal(result.status, 0, `${what} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

const { dir, examples } = await project();
after(() => rmSync(dir, { recursive: true, force: true }));
const node = new (loadNodePackage("full").Engine)(configuration, { source: "scenario.json" });
const expected = vectors.map((vector) => answer(node, node.login(request(vector))));

for (const runtime of runtimes) {
  test(`${runtime.name} loads both builds by name and decides what the full build decides in Node`, () => {
    const { entries, answers } = JSON.parse(run(runtime, dir, "decide.mjs"));
    const installed = realpathSync(join(dir, "node_modules/podpass-wasm"));
    const glue = (build) => pathToFileURL(join(installed, build, runtime.entry, "podpass_wasm.js")).href;
    assert.deepEqual(entries, { full: glue(""), edge: glue("edge") });
    assert.equal(Object.keys(answers).length, 4);
    for (const [engine, decided] of Object.entries(answers)) {
      vectors.forEach((vector, i) => {
        assert.deepEqual(decided[i], expected[i], `${runtime.name}, ${engine}: ${describe(vector)}`);
      });
    }
  });

  test(`the package README's JavaScript runs as written in ${runtime.name}`, () => {
    assert.ok(examples.length >= 3, "the package README lost its examples");
    for (const example of examples) run(runtime, dir, example);
  });
}

test("the package's types by name check in Deno (its `deno` entry) and in tsc (the `node` entry)", () => {
  run({ command: bin("deno"), name: "deno" }, dir, "check", "by-name.ts");
  run({ command: bin("tsc"), name: "tsc" }, dir, "-p", "tsconfig.json");
});
