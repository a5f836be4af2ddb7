// Memory over a long run. An engine in a long-lived isolate (a Worker, a gateway) sees a new
// token for every pod and every hour, and a gateway builds a new engine whenever the cluster's
// keys rotate. Wasm memory only ever grows, so anything kept per login or per engine would show
// as growth: after a warm-up, thousands more logins, and engines built and freed, must leave the
// module's memory where the warm-up left it. The module is instantiated from the build's web glue
// (`initSync`), which hands back its exports and so its memory. Runs on both builds
// (PODPASS_BUILD).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import test from "node:test";
import { pathToFileURL } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";

import { build, keys, mintToken, pkg, tutorialJson } from "./fixtures.mjs";

const dir = build === "edge" ? join(pkg, "edge") : pkg;
const podpass = await import(pathToFileURL(join(dir, "web/podpass_wasm.js")).href);
// The package keeps a build's one .wasm in bundler/ (scripts/build-wasm-package.sh).
const { memory } = podpass.initSync({ module: readFileSync(join(dir, "bundler/podpass_wasm_bg.wasm")) });

const TOKENS = 600;
const ROUNDS = 8;
const now = Math.floor(Date.now() / 1000);
const ask = { operation: "read", path: "secret/data/grade-api/db" };

/** Distinct tokens, as many pods would send: most admitted, some denied at different checks. */
function tokens() {
  const minted = [];
  for (let i = 0; i < TOKENS; i++) {
    const forged = i % 10 === 7 ? { key: keys.other } : {};
    const namespace = i % 10 === 8 ? "payment" : "grade-api";
    minted.push(mintToken({ namespace, serviceAccount: "grade-api-sa", issuedAt: now - 60 - i, ...forged }));
  }
  return Promise.all(minted);
}

const bytes = () => memory.buffer.byteLength;

// The host's garbage collector, on demand (as `node --expose-gc` gives it).
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

/** Lets the collector take what is unreachable and the finalizers of the glue's handles run. */
async function collect() {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(1);
  }
}

test("logins with ever new tokens leave the module's memory where the warm-up left it", async () => {
  const jwts = await tokens();
  // The cache of verified tokens is smaller than the set, so it keeps starting over.
  const engine = new podpass.Engine(tutorialJson, { verifiedTokenCache: 100 });
  const results = { allowed: 0, denied: 0 };
  const round = async () => {
    for (const [i, jwt] of jwts.entries()) {
      const role = i % 10 === 9 ? "no-such-role" : "grade-api";
      const login = await engine.loginAsync({ role, jwt, now, authorize: ask });
      results[login.outcome.result] += 1;
      // Some callers read the explanation, and ask more of the issued token.
      if (i % 7 === 0) assert.ok(login.trace.length > 0);
      if (login.outcome.result === "allowed" && i % 5 === 0) {
        assert.equal(engine.authorize(login, { operation: "delete", path: "secret/data/payment/db" }).allowed, false);
      }
      if (i % 11 === 0) assert.equal(podpass.decodeJwt(jwt).algorithm, "RS256");
    }
  };
  await round();
  const warm = bytes();
  for (let r = 1; r < ROUNDS; r++) await round();
  assert.equal(bytes(), warm, `memory grew from ${warm} to ${bytes()} bytes over ${(ROUNDS - 1) * TOKENS} logins`);
  // Every login was decided: the admitted tokens, and the three kinds of denial.
  assert.equal(results.allowed, ROUNDS * TOKENS * 0.7);
  assert.equal(results.denied, ROUNDS * TOKENS * 0.3);
  engine.free();
});

// A freed engine's contents go at once; what its results shared (one handle per engine, through
// which they explain themselves) is a JavaScript object, so its last few hundred bytes go when
// the collector finalizes that handle: 3,000 engines in a tight loop with no collection grew the
// edge build's memory by 0.85 MB (about 280 B each), and with one every 100 engines not at all
// (docs/benchmarks.md, "Memory over a long run").
test("engines built and freed, as key rotation does, leave the module's memory as it was", async () => {
  const jwt = await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa" });
  const rotate = async (count) => {
    for (let i = 0; i < count; i++) {
      const engine = new podpass.Engine(tutorialJson, { verifiedTokenCache: 16, requireSignatures: true });
      const login = await engine.loginAsync({ role: "grade-api", jwt, now, authorize: ask });
      assert.equal(login.authorization.allowed, true);
      engine.free();
    }
  };
  // The warm-up settles the allocator: its first hundred engines take the module's one page more.
  await rotate(100);
  await collect();
  const warm = bytes();
  for (let i = 0; i < 10; i++) {
    await rotate(100);
    await collect();
  }
  assert.equal(bytes(), warm, `memory grew from ${warm} to ${bytes()} bytes over 1000 engines`);
});
