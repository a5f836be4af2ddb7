// The JavaScript examples of the documentation, run under Node against the built nodejs
// package: README.md's ```js blocks as written (CommonJS, from the repository root), and the
// package README's with `podpass-wasm` (and `podpass-wasm/edge`) resolved to the nodejs builds
// and the inputs it leaves to the reader (`setupScript`, `configurationJson`,
// `serviceAccountToken`) defined first. Every block must
// run to the end; the examples assert their own results.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { jsBlocks, packageReadmePrelude, root } from "./fixtures.mjs";

const nodePackage = join(root, "crates/podpass-wasm/pkg/nodejs/podpass_wasm.js");
const edgeNodePackage = join(root, "crates/podpass-wasm/pkg/edge/nodejs/podpass_wasm.js");

function run(code, inputType) {
  const result = spawnSync("node", [`--input-type=${inputType}`, "-"], {
    cwd: root,
    input: code,
    encoding: "utf8",
  });
  return `${result.stdout}${result.stderr}`.trim() + (result.status === 0 ? "" : `\n(exit ${result.status})`);
}

test("README.md's JavaScript runs as written", () => {
  const blocks = jsBlocks("README.md");
  assert.ok(blocks.length >= 1, "no ```js block in README.md");
  for (const block of blocks) {
    const output = run(block.code, "commonjs");
    assert.ok(!output.includes("(exit "), `README.md:${block.line}:\n${output}`);
  }
});

test("the package README's JavaScript runs against the nodejs build", async () => {
  const prelude = await packageReadmePrelude();
  const blocks = jsBlocks("crates/podpass-wasm/README.md");
  assert.ok(blocks.length >= 2, "the package README lost its examples");
  for (const block of blocks) {
    const code = block.code
      .replaceAll('from "podpass-wasm"', `from ${JSON.stringify(pathToFileURL(nodePackage).href)}`)
      .replaceAll('from "podpass-wasm/edge"', `from ${JSON.stringify(pathToFileURL(edgeNodePackage).href)}`);
    const output = run(`${prelude}\n${code}`, "module");
    assert.ok(!output.includes("(exit "), `crates/podpass-wasm/README.md:${block.line}:\n${output}`);
  }
});
