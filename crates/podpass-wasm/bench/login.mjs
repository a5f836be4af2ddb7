// engine.login / engine.loginAsync (full build) and loginAsync (edge build) against npm jose's
// jwtVerify plus the claim checks a JS gateway would write by hand, on the same RS256 tokens
// (the tutorial key, rsa-2048), in one process: Node, or Deno or Bun (scripts/bench-wasm.sh runs
// all three; they load the same nodejs glue). Prints a markdown table; latency per login,
// logins one after another. A second table times the engine's own work in each build (no
// signature: a copy of the scenario without `pem_keys`), for the tutorial role and a role with
// globs, with and without `authorize` in the same call, and decodeJwt.
import { jose, keys, loadNodePackage, tutorialJson } from "../tests/node/fixtures.mjs";
import { joseLogin as joseGateway } from "./jose-gateway.mjs";
import { TOKENS, ask, engineWorkJson, gradeApiTokens, subject } from "./scenario.mjs";

const podpass = loadNodePackage("full");
const edgePodpass = loadNodePackage("edge");
const engine = new podpass.Engine(tutorialJson);
const edgeEngine = new edgePodpass.Engine(tutorialJson);
const webcryptoEngine = new podpass.Engine(tutorialJson, { hostCrypto: "webcrypto" });
const edgeWebcryptoEngine = new edgePodpass.Engine(tutorialJson, { hostCrypto: "webcrypto" });
// The same, keeping verified tokens: the tokens rotate, so after the warm-up every login's token
// was verified before (a pod sends its token with every request); every other check still runs.
const edgeCachingEngine = new edgePodpass.Engine(tutorialJson, { hostCrypto: "webcrypto", verifiedTokenCache: 1024 });
const cachingEngine = new podpass.Engine(tutorialJson, { verifiedTokenCache: 1024 });
const tokens = await gradeApiTokens();

/** What a hand-written JS gateway does with jose: verify, then the role's bindings. */
const joseLogin = (jwt) => joseGateway(jose, keys.tutorialPublic, jwt);

/**
 * Median µs per login of each path, measured in alternating rounds (every path once per round,
 * a 50-login batch at a time for `slice` seconds), so that the machine's drift during the run
 * falls on every path alike and the ratios stay fair.
 */
async function measureAlternating(paths, { rounds = 10, slice = 0.25 } = {}) {
  const samples = paths.map(() => []);
  for (const [, fn] of paths) for (let i = 0; i < 200; i++) await fn(tokens[i % TOKENS]);
  let i = 0;
  for (let round = 0; round < rounds; round++) {
    for (const [p, [, fn]] of paths.entries()) {
      const until = performance.now() + slice * 1000;
      while (performance.now() < until) {
        const batch = 50;
        const t0 = performance.now();
        for (let j = 0; j < batch; j++, i++) await fn(tokens[i % TOKENS]);
        samples[p].push(((performance.now() - t0) * 1000) / batch);
      }
    }
  }
  return paths.map(([label], p) => {
    const sorted = samples[p].sort((a, b) => a - b);
    return { label, median: sorted[Math.floor(sorted.length / 2)] };
  });
}

// Sanity: every path grants the same tokens.
for (const jwt of tokens.slice(0, 2)) {
  if (engine.login({ role: "grade-api", jwt }).outcome.result !== "allowed") throw new Error("sync login denied");
  if ((await engine.loginAsync({ role: "grade-api", jwt })).outcome.result !== "allowed") throw new Error("async login denied");
  if ((await edgeEngine.loginAsync({ role: "grade-api", jwt })).outcome.result !== "allowed") throw new Error("edge login denied");
  await joseLogin(jwt);
}

const rows = await measureAlternating([
  ["jose jwtVerify + JS claim checks", joseLogin],
  ["engine.login (signature in wasm, RustCrypto)", (jwt) => engine.login({ role: "grade-api", jwt })],
  ["engine.loginAsync (the host's crypto: node:crypto where the host has it)", (jwt) => engine.loginAsync({ role: "grade-api", jwt })],
  [
    "engine.loginAsync with hostCrypto: \"webcrypto\" (crypto.subtle, as in browsers and workerd)",
    (jwt) => webcryptoEngine.loginAsync({ role: "grade-api", jwt }),
  ],
  ["edge build: engine.loginAsync", (jwt) => edgeEngine.loginAsync({ role: "grade-api", jwt })],
  [
    "edge build: engine.loginAsync with authorize in the same call",
    (jwt) => edgeEngine.loginAsync({ role: "grade-api", jwt, authorize: ask }),
  ],
  [
    "edge build: engine.loginAsync with hostCrypto: \"webcrypto\"",
    (jwt) => edgeWebcryptoEngine.loginAsync({ role: "grade-api", jwt }),
  ],
  [
    "edge build: engine.loginAsync with hostCrypto: \"webcrypto\" and authorize in the same call",
    (jwt) => edgeWebcryptoEngine.loginAsync({ role: "grade-api", jwt, authorize: ask }),
  ],
  [
    "engine.login (RustCrypto) with verifiedTokenCache, each token seen before",
    (jwt) => cachingEngine.login({ role: "grade-api", jwt }),
  ],
  [
    "edge build: engine.loginAsync with hostCrypto: \"webcrypto\" and verifiedTokenCache, each token seen before",
    (jwt) => edgeCachingEngine.loginAsync({ role: "grade-api", jwt }),
  ],
]);
const jose_ = rows[0];
const runtime = globalThis.Deno
  ? `Deno ${globalThis.Deno.version.deno}`
  : globalThis.Bun
    ? `Bun ${globalThis.Bun.version}`
    : `Node ${process.version}`;
console.log(`${runtime}, RS256 (2048-bit), ${TOKENS} tokens in rotation, median of 50-login batches, the paths measured in 10 alternating rounds:\n`);
console.log("| path | µs per login | × jose |");
console.log("|---|---:|---:|");
for (const row of rows) console.log(`| ${row.label} | ${row.median.toFixed(1)} | ${(row.median / jose_.median).toFixed(2)} |`);

// The engine's own work per call: the scenario without `pem_keys` (no signature to verify), a
// glob role beside the tutorial's, the result's outcome read (its trace is computed only when
// read). Synchronous loops; median of 1000-call batches.
function measureSync(label, fn, { seconds = 1 } = {}) {
  try {
    fn(tokens[0]);
  } catch (error) {
    return { label, error: `${error.code ?? error.name}: ${error.message}`.slice(0, 80) };
  }
  for (let i = 0; i < 2000; i++) fn(tokens[i % TOKENS]);
  const samples = [];
  const until = performance.now() + seconds * 1000;
  let i = 0;
  while (performance.now() < until) {
    const batch = 1000;
    const t0 = performance.now();
    for (let j = 0; j < batch; j++, i++) fn(tokens[i % TOKENS]);
    samples.push(((performance.now() - t0) * 1000) / batch);
  }
  samples.sort((a, b) => a - b);
  return { label, median: samples[Math.floor(samples.length / 2)] };
}

function engineWork(build) {
  const fast = new build.Engine(engineWorkJson);
  for (const role of ["grade-api", "grade-glob"]) {
    const outcome = fast.login({ role, jwt: tokens[0] }).outcome;
    if (outcome.result !== "allowed") throw new Error(`${role}: ${JSON.stringify(outcome)}`);
  }
  return [
    measureSync("login, tutorial role (grade-api)", (jwt) => fast.login({ role: "grade-api", jwt }).outcome),
    measureSync("login, glob role (names, namespaces, audience)", (jwt) => fast.login({ role: "grade-glob", jwt }).outcome),
    measureSync("login + authorize, tutorial role", (jwt) => fast.login({ role: "grade-api", jwt, authorize: ask }).authorization),
    measureSync("login + authorize, glob role", (jwt) => fast.login({ role: "grade-glob", jwt, authorize: ask }).authorization),
    measureSync("login, tutorial role, trace read", (jwt) => fast.login({ role: "grade-api", jwt }).trace),
    measureSync("decodeJwt", (jwt) => build.decodeJwt(jwt)),
    measureSync("authorize ({policies})", () => fast.authorize(subject, ask)),
    measureSync("capabilities ({policies})", () => fast.capabilities(subject, ask.path)),
  ];
}
const fullWork = engineWork(podpass);
const edgeWork = engineWork(edgePodpass);
const cell = (row) => (row.error ? `n/a (${row.error})` : row.median.toFixed(1));
console.log(`\nEngine work per call (no signature: pem_keys removed), µs, median of 1000-call batches:\n`);
console.log("| call | full build | edge build |");
console.log("|---|---:|---:|");
fullWork.forEach((row, i) => console.log(`| ${row.label} | ${cell(row)} | ${cell(edgeWork[i])} |`));

// jose's decoders on the same tokens, for the decodeJwt row: jose's `decodeJwt` gives the
// claims alone, `decodeProtectedHeader` the header; podpass's decodeJwt gives both, the
// algorithm, kid and signature, after checking the token as the engine reads it.
const joseDecode = measureSync("jose decodeJwt (claims)", (jwt) => jose.decodeJwt(jwt));
const joseBoth = measureSync("jose decodeProtectedHeader + decodeJwt", (jwt) => [jose.decodeProtectedHeader(jwt), jose.decodeJwt(jwt)]);
console.log(`\njose in the same process, µs per call: ${joseDecode.label} ${cell(joseDecode)}, ${joseBoth.label} ${cell(joseBoth)}`);
