// The engine's own work per call (no signature: the scenario without `pem_keys`), and the
// latency of `loginAsync` on the keyed tutorial through WebCrypto (its key first, and after
// another key, as in a key rotation), in several builds of the
// nodejs package, loaded into one Node process and measured in alternating rounds, so a change
// is compared with its baseline under the same load. This machine's cores
// are shared: the minimum of the rounds is the steadier figure, the median is printed beside it.
//
//   node crates/podpass-wasm/bench/compare.mjs <nodejs package dir> [<dir> ...]
//
// e.g. a copy of crates/podpass-wasm/pkg built from the previous commit against the current one.
import { createRequire } from "node:module";
import { resolve } from "node:path";

import { read, tutorialJson } from "../tests/node/fixtures.mjs";
import { ask, engineWorkJson, gradeApiTokens, subject } from "./scenario.mjs";

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error("usage: node compare.mjs <nodejs package dir> [<dir> ...]");
  process.exit(2);
}
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const CALLS = 2000;
/** The async rows (each call awaited before the next) take fewer calls a round. */
const ASYNC_CALLS = 200;

const tokens = await gradeApiTokens();

/** The tutorial with another key first (a key rotation): WebCrypto refuses it, the second verifies. */
const rotatedJson = (() => {
  const config = JSON.parse(tutorialJson);
  const { pem_keys: keys } = config.auth.kubernetes.config;
  config.auth.kubernetes.config.pem_keys = [read("tests/fixtures/keys/other-rsa-2048.pub.pem"), ...keys];
  return JSON.stringify(config);
})();

/** The calls timed for one package. */
function calls(dir) {
  const podpass = createRequire(import.meta.url)(resolve(dir, "podpass_wasm.js"));
  const engine = new podpass.Engine(engineWorkJson);
  // The keyed tutorial, its signatures verified by WebCrypto as in browsers and workerd: the
  // latency of one login after another, the host's verify included.
  const keyed = new podpass.Engine(tutorialJson, { hostCrypto: "webcrypto" });
  const rotated = new podpass.Engine(rotatedJson, { hostCrypto: "webcrypto" });
  return {
    "login, tutorial role": (jwt) => engine.login({ role: "grade-api", jwt }).outcome,
    "login, glob role": (jwt) => engine.login({ role: "grade-glob", jwt }).outcome,
    "login + authorize": (jwt) => engine.login({ role: "grade-api", jwt, authorize: ask }).authorization,
    decodeJwt: (jwt) => podpass.decodeJwt(jwt),
    authorize: () => engine.authorize(subject, ask),
    "loginAsync, WebCrypto (keyed)": async (jwt) => (await keyed.loginAsync({ role: "grade-api", jwt })).outcome,
    "loginAsync, WebCrypto, the second key verifies": async (jwt) =>
      (await rotated.loginAsync({ role: "grade-api", jwt })).outcome,
  };
}

const builds = dirs.map(calls);
const samples = builds.map(() => ({}));
for (let round = 0; round < ROUNDS; round++) {
  for (const [b, build] of builds.entries()) {
    for (const [name, call] of Object.entries(build)) {
      const sample = call.constructor.name === "AsyncFunction" ? timeAsync : timeSync;
      (samples[b][name] ??= []).push(await sample(call));
    }
  }
}
/** µs per call of a synchronous call, after a warm-up. */
async function timeSync(call) {
  for (let i = 0; i < CALLS / 2; i++) call(tokens[i % tokens.length]);
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) call(tokens[i % tokens.length]);
  return ((performance.now() - t0) * 1000) / CALLS;
}

/** µs per call of an async call, each awaited before the next. */
async function timeAsync(call) {
  for (let i = 0; i < ASYNC_CALLS / 2; i++) await call(tokens[i % tokens.length]);
  const t0 = performance.now();
  for (let i = 0; i < ASYNC_CALLS; i++) await call(tokens[i % tokens.length]);
  return ((performance.now() - t0) * 1000) / ASYNC_CALLS;
}

const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
console.log(`µs per call, min (median) of ${ROUNDS} alternating rounds of ${CALLS} calls (${ASYNC_CALLS} awaited one by one for loginAsync):\n`);
console.log(`| call | ${dirs.join(" | ")} |`);
console.log(`|---|${dirs.map(() => "---:").join("|")}|`);
for (const name of Object.keys(samples[0])) {
  const cells = samples.map((s) => `${Math.min(...s[name]).toFixed(1)} (${median(s[name]).toFixed(1)})`);
  console.log(`| ${name} | ${cells.join(" | ")} |`);
}
