// The package's web glue in headless Chromium (Debian's, driven by playwright-core): the edge
// and the full build are loaded in one page from a local static server and decide the shared
// vectors (tests/node/vectors.mjs) with loginAsync and authorize; both must answer exactly what
// the full build answers in Node.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import test from "node:test";

import { serveStatic } from "../../../../web/tests/serve.mjs";
import { loadNodePackage, pkg } from "../node/fixtures.mjs";
import { answer, configuration, describe, paths, request, vectors } from "../node/vectors.mjs";

const { chromium } = createRequire(new URL("../../../../tests/package.json", import.meta.url))("playwright-core");

test("the edge and full web builds decide in Chromium what the full build decides in Node", async () => {
  const node = new (loadNodePackage("full").Engine)(configuration, { source: "scenario.json" });
  const expected = [];
  for (const vector of vectors) expected.push(answer(node, node.login(request(vector))));

  const { server, base } = await serveStatic(pkg, "/pkg/");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(`${base}package.json`);
    const answers = await page.evaluate(
      async ({ configuration, requests, paths }) => {
        const decide = async (glue) => {
          const podpass = await import(glue);
          await podpass.default();
          const engine = new podpass.Engine(configuration, { source: "scenario.json" });
          const out = [];
          for (const request of requests) {
            const result = await engine.loginAsync(request);
            const decisions =
              result.outcome.result === "allowed"
                ? paths.map((path) => engine.authorize(result, { operation: "read", path }))
                : [];
            out.push(JSON.parse(JSON.stringify({ login: { outcome: result.outcome, trace: result.trace }, decisions })));
          }
          return out;
        };
        return { full: await decide("./web/podpass_wasm.js"), edge: await decide("./edge/web/podpass_wasm.js") };
      },
      { configuration, requests: vectors.map(request), paths },
    );
    assert.deepEqual(problems, []);
    vectors.forEach((vector, i) => {
      assert.deepEqual(answers.full[i], expected[i], `full build in Chromium: ${describe(vector)}`);
      assert.deepEqual(answers.edge[i], expected[i], `edge build in Chromium: ${describe(vector)}`);
    });
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
