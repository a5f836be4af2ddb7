// Hostile and odd arguments, as a gateway or an attacker might pass them: every exported
// function refuses them with a PodpassError `invalid_argument` (never a wasm trap), time values
// are checked, and loginAsync settles whatever the host's WebCrypto returns. Runs on both builds
// (PODPASS_BUILD): lint and importScript are checked on the full build and asserted absent on the
// edge build, whose sync login answers only for a mount without pem_keys.
import assert from "node:assert/strict";
import test from "node:test";

import { decide, edge, loadNodePackage, mintToken, tutorialJson, tutorialJsonWithoutKeys } from "./fixtures.mjs";

const podpass = loadNodePackage();
const engine = new podpass.Engine(tutorialJson);
const jwt = await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa" });
const subject = { policies: ["default", "grade-api"] };

/** Asserts `run` throws a PodpassError with `code` whose message mentions `words`. */
function refuses(run, code, words) {
  assert.throws(run, (error) => {
    assert.equal(error.name, "PodpassError", `${error.name}: ${error.message}`);
    assert.equal(error.code, code, error.message);
    if (words) assert.match(error.message, words);
    return true;
  });
}

test("non-string arguments are invalid_argument, not a trap", () => {
  if (edge) {
    // The edge build has no lint or importScript to check.
    assert.equal(podpass.lint, undefined);
    assert.equal(podpass.importScript, undefined);
    assert.equal(engine.lint, undefined);
  }
  const odd = [123, {}, null, undefined, [], () => 1, Symbol("s"), 10n, true];
  for (const value of odd) {
    refuses(() => new podpass.Engine(value), "invalid_argument", /configuration: expected a string/);
    refuses(() => podpass.decodeJwt(value), "invalid_argument", /token: expected a string/);
    if (!edge) {
      refuses(() => podpass.lint(value), "invalid_argument", /configuration: expected a string/);
      refuses(() => podpass.importScript(value), "invalid_argument", /text: expected a string/);
    }
    refuses(() => podpass.operationForHttp(value), "invalid_argument", /method: expected a string/);
    refuses(() => engine.capabilities(subject, value), "invalid_argument", /path: expected a string/);
    if (value !== null && value !== undefined) {
      refuses(() => engine.roles(value), "invalid_argument", /mount: expected a string/);
    }
  }
  // The type is named, so the caller knows what they passed.
  refuses(() => podpass.decodeJwt(42), "invalid_argument", /got number/);
  refuses(() => new podpass.Engine([]), "invalid_argument", /got an array/);
  if (!edge) refuses(() => podpass.lint(() => 1), "invalid_argument", /got function/);
  refuses(() => podpass.operationForHttp(() => 1), "invalid_argument", /got function/);
  // Optional arguments still take undefined and null.
  assert.deepEqual(engine.roles(undefined), engine.roles(null));
});

test("objects that are not JSON-like are refused by name", () => {
  refuses(() => engine.login(() => 1), "invalid_argument", /login request: expected a JSON-like object, got function/);
  refuses(() => engine.login(42), "invalid_argument", /login request/);
  refuses(() => engine.authorize(subject, Symbol("x")), "invalid_argument", /authorize request/);
  refuses(() => engine.capabilities({ policies: [1n] }, "a"), "invalid_argument", /subject/);
  if (!edge) refuses(() => podpass.lint("x", 42), "invalid_argument", /lint options/);
});

test("lone UTF-16 surrogates are refused instead of becoming U+FFFD", () => {
  refuses(() => engine.capabilities(subject, "secret/data/grade-api/\ud800"), "invalid_argument", /surrogate/);
  refuses(() => podpass.decodeJwt("a\udc00.b.c"), "invalid_argument", /surrogate/);
  refuses(
    () => engine.authorize(subject, { operation: "read", path: "secret/data/\ud800" }),
    "invalid_argument",
    /authorize request/,
  );
  // A well-formed pair (an emoji) is ordinary text.
  assert.deepEqual(engine.capabilities(subject, "secret/data/grade-api/\ud83d\ude00"), ["read"]);
});

test("long text (copied by the host's encoder) keeps every character, and refuses lone surrogates", () => {
  // Past 64 UTF-16 units text is encoded straight into wasm memory, with room for ASCII first
  // and again with room for three bytes a unit: non-ASCII text of each width must come through.
  const wide = "é".repeat(40) + "日本".repeat(30) + "\ud83d\ude00".repeat(20);
  const path = `secret/data/${wide}/db`;
  const policy = { path: { [`secret/data/${wide}/*`]: { capabilities: ["read"] } } };
  const config = JSON.parse(tutorialJsonWithoutKeys);
  config.policies.wide = JSON.stringify(policy);
  const wideEngine = new podpass.Engine(JSON.stringify(config));
  assert.deepEqual(wideEngine.capabilities({ policies: ["wide"] }, path), ["read"]);
  assert.deepEqual(wideEngine.capabilities({ policies: ["wide"] }, `secret/data/${wide}x/db`), ["deny"]);
  // A JWT is the long text of every login: a non-ASCII one is refused as not base64url,
  // naming the part, exactly as short text would be.
  refuses(() => podpass.decodeJwt(`${"é".repeat(70)}.b.c`), "invalid_jwt", /header/);
  refuses(() => podpass.decodeJwt(`${"a".repeat(70)}\udc00.b.c`), "invalid_argument", /surrogate/);
});

test("now must be a finite number of seconds in range, in login and loginAsync", async () => {
  // Without pem_keys, sync login answers on the edge build too.
  const unkeyed = new podpass.Engine(tutorialJsonWithoutKeys);
  for (const now of [NaN, Infinity, -Infinity, 1e300, -1, "soon", {}, 253402300800]) {
    // The request is checked before the edge build refuses sync login on a mount with keys.
    refuses(() => engine.login({ role: "grade-api", jwt, now }), "invalid_argument", /`now`/);
    refuses(() => unkeyed.login({ role: "grade-api", jwt, now }), "invalid_argument", /`now`/);
    await assert.rejects(engine.loginAsync({ role: "grade-api", jwt, now }), {
      name: "PodpassError",
      code: "invalid_argument",
    });
  }
  // Absent and null mean the host's clock.
  const now = Math.floor(Date.now() / 1000);
  for (const given of [undefined, null, now]) {
    const result = await decide(engine, { role: "grade-api", jwt, now: given });
    assert.equal(result.outcome.result, "allowed", JSON.stringify(result.outcome));
    const plain = unkeyed.login({ role: "grade-api", jwt, now: given });
    assert.equal(plain.outcome.result, "allowed", JSON.stringify(plain.outcome));
  }
  if (edge) {
    refuses(() => engine.login({ role: "grade-api", jwt, now }), "not_in_this_build", /loginAsync/);
  }
});

test("a namespace selector nested 90,000 deep is refused at once", () => {
  const config = JSON.parse(tutorialJson);
  const role = Object.values(config.auth.kubernetes.roles)[0];
  role.bound_service_account_namespace_selector = `a: ${"{".repeat(90_000)}`;
  // Vault's own message for a selector it cannot read.
  refuses(() => new podpass.Engine(JSON.stringify(config)), "invalid_configuration", /invalid "bound_service_account_namespace_selector"/);
  // The same depth as a JSON selector, which the edge build reads too (it refuses YAML ones).
  role.bound_service_account_namespace_selector = '{"a":'.repeat(90_000);
  refuses(() => new podpass.Engine(JSON.stringify(config)), "invalid_configuration", /invalid "bound_service_account_namespace_selector"/);
  // A shallow JSON selector is read on both builds.
  role.bound_service_account_namespace_selector = '{"matchLabels":{"team":"grades"}}';
  assert.ok(new podpass.Engine(JSON.stringify(config)).roles().length > 0);
});

/** Runs `body` with `globalThis.crypto` replaced by `{ subtle }`, then restores it. */
async function withSubtle(subtle, body) {
  const original = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  Object.defineProperty(globalThis, "crypto", { value: { subtle }, configurable: true, writable: true });
  try {
    return await body();
  } finally {
    Object.defineProperty(globalThis, "crypto", original);
  }
}

/** Fails if `promise` does not settle soon: a promise that never settles is the bug. */
function settles(promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("the promise never settled")), 5000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

test("loginAsync settles whatever the host's WebCrypto returns", async () => {
  const real = globalThis.crypto.subtle;
  const importKey = (...args) => real.importKey(...args);
  const hosts = {
    // verify answers synchronously, with a plain boolean.
    plainTrue: { importKey, verify: () => true, expect: "allowed" },
    plainFalse: { importKey, verify: () => false, expect: "denied" },
    nothing: { importKey, verify: () => undefined, expect: "denied" },
    // A thenable whose then throws: the verification fails, the login settles as denied.
    badThenable: { importKey, verify: () => ({ then() { throw new Error("boom"); } }), expect: "denied" },
    // verify throws synchronously.
    throws: { importKey, verify: () => { throw new Error("no"); }, expect: "denied" },
    // importKey returns a plain value that verify then refuses.
    plainKey: { importKey: () => ({}), verify: () => Promise.reject(new Error("bad key")), expect: "denied" },
  };
  // Under Node, loginAsync verifies with node:crypto unless told to use WebCrypto.
  const webcrypto = { hostCrypto: "webcrypto" };
  for (const [name, host] of Object.entries(hosts)) {
    const fresh = new podpass.Engine(tutorialJson, webcrypto);
    const result = await withSubtle(host, () => settles(fresh.loginAsync({ role: "grade-api", jwt })));
    assert.equal(result.outcome.result, host.expect, `${name}: ${JSON.stringify(result.outcome)}`);
  }
  // importKey throwing, at once or through its promise, is the host refusing the key: a
  // PodpassError naming the key and the host's reason. The engine then answers the next login,
  // once the host imports the key.
  const refusals = {
    throws: () => { throw new Error("unsupported"); },
    rejects: () => Promise.reject(new Error("unsupported")),
  };
  for (const [name, refuse] of Object.entries(refusals)) {
    const fresh = new podpass.Engine(tutorialJson, webcrypto);
    let refused = false;
    const host = {
      importKey: (...args) => (refused ? importKey(...args) : ((refused = true), refuse())),
      verify: (...args) => real.verify(...args),
    };
    await withSubtle(host, async () => {
      await assert.rejects(
        settles(fresh.loginAsync({ role: "grade-api", jwt })),
        {
          name: "PodpassError",
          code: "host_crypto_unavailable",
          message: /^WebCrypto refused RSA 2048-bit key pem_keys\[0\] for RS256: unsupported$/,
        },
        name,
      );
      const after = await settles(fresh.loginAsync({ role: "grade-api", jwt }));
      assert.equal(after.outcome.result, "allowed", `${name}: the next login`);
    });
  }
  // The default (`auto`) uses node:crypto here, and a host that lies through WebCrypto is not
  // asked; an unknown choice is refused by name.
  const auto = new podpass.Engine(tutorialJson);
  const honest = await withSubtle(hosts.plainFalse, () => settles(auto.loginAsync({ role: "grade-api", jwt })));
  assert.equal(honest.outcome.result, "allowed");
  refuses(() => new podpass.Engine(tutorialJson, { hostCrypto: "openssl" }), "invalid_argument", /hostCrypto: unknown value "openssl"/);
});
