// The built nodejs package, loaded as a user would, logging in with tokens minted from the
// fixture keys. Expectations come from the scenario (tests/fixtures/tutorial/README.md: the
// grade-api role binds grade-api-sa in grade-api, issues the grade-api policy for 1h, and that
// token cannot read payment's secrets) and from npm jose verifying the same tokens. Runs on both
// builds (PODPASS_BUILD): decisions go through `decide` (sync `login` on the full build,
// `loginAsync` on the edge build, whose sync `login` refuses a mount with keys), and what the edge
// build lacks (lint, importScript, configuration forms other than API JSON) is asserted absent.
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import test from "node:test";

import {
  ISSUER,
  decide,
  edge,
  jose,
  keys,
  loadNodePackage,
  mintToken,
  read,
  tutorialJson,
  tutorialJsonWithoutKeys,
} from "./fixtures.mjs";

const podpass = loadNodePackage();
const engine = new podpass.Engine(tutorialJson, { source: "tutorial.json" });
const now = Math.floor(Date.now() / 1000);

const tokens = {
  granted: await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa" }),
  otherNamespace: await mintToken({ namespace: "payment", serviceAccount: "grade-api-sa" }),
  forged: await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa", key: keys.other }),
  expired: await mintToken({
    namespace: "grade-api",
    serviceAccount: "grade-api-sa",
    issuedAt: now - 7200,
    ttl: 600,
  }),
};

const check = (result, id) => result.trace.find((c) => c.id === id);

test("the engine reads the scenario's roles and policies", () => {
  const scenario = JSON.parse(tutorialJson);
  assert.equal(engine.format, "api_json");
  assert.deepEqual(engine.mounts(), Object.keys(scenario.auth));
  assert.deepEqual(engine.roles(), Object.keys(scenario.auth.kubernetes.roles).sort());
  assert.deepEqual(engine.policies(), Object.keys(scenario.policies).sort());
});

test("grade-api-sa logs in to grade-api and gets the grade-api policy for an hour", async () => {
  const result = await decide(engine, { role: "grade-api", jwt: tokens.granted });
  assert.equal(result.outcome.result, "allowed", JSON.stringify(result.trace));
  assert.ok(result.outcome.policies.includes("grade-api"));
  assert.equal(result.outcome.lease_duration, 3600);
  assert.equal(result.outcome.metadata.service_account_namespace, "grade-api");
  assert.ok(result.trace.every((c) => c.status !== "failed"));
});

test("the issued token reads grade-api's secrets and not payment's", async () => {
  const result = await decide(engine, { role: "grade-api", jwt: tokens.granted });
  const own = engine.authorize(result, { operation: "read", path: "secret/data/grade-api/db" });
  const other = engine.authorize(result, { operation: "read", path: "secret/data/payment/db" });
  assert.equal(own.allowed, true, own.explanation.reason);
  assert.equal(other.allowed, false);
  assert.deepEqual(engine.capabilities(result, "secret/data/payment/db"), ["deny"]);
  assert.ok(engine.capabilities(result.outcome, "secret/data/grade-api/db").includes("read"));
});

test("denials name the failing check, agreeing with jose on signature and expiry", async () => {
  const cases = [
    ["otherNamespace", "namespace"],
    ["forged", "signature"],
    ["expired", "expiry"],
  ];
  for (const [name, failing] of cases) {
    const result = await decide(engine, { role: "grade-api", jwt: tokens[name] });
    assert.equal(result.outcome.result, "denied", name);
    assert.equal(result.outcome.status, 403, name);
    assert.equal(result.outcome.check, failing, name);
    assert.equal(check(result, failing).status, "failed", name);
  }
  // jose, verifying the same tokens with the tutorial's public key, agrees on what is forged
  // and what is expired.
  for (const [name, jwt] of Object.entries(tokens)) {
    const result = await decide(engine, { role: "grade-api", jwt });
    const verdict = await jose
      .jwtVerify(jwt, keys.tutorialPublic, { issuer: ISSUER })
      .then(() => "ok", (e) => e.code);
    const signature = check(result, "signature").status === "passed";
    assert.equal(signature, verdict !== "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", name);
    assert.equal(check(result, "expiry").status === "failed", verdict === "ERR_JWT_EXPIRED", name);
  }
});

test("loginAsync (WebCrypto) answers exactly as login", async () => {
  // Without pem_keys both builds have sync login (the signature check is skipped).
  const unkeyed = new podpass.Engine(tutorialJsonWithoutKeys);
  for (const [name, jwt] of Object.entries(tokens)) {
    for (const role of ["grade-api", "shared-reader", "nope"]) {
      if (edge) {
        // The edge build verifies signatures only with WebCrypto: sync login on a mount with
        // keys is refused whatever the token and role.
        assert.throws(() => engine.login({ role, jwt, now }), {
          name: "PodpassError",
          code: "not_in_this_build",
          message: /loginAsync/,
        });
      } else {
        const sync = engine.login({ role, jwt, now });
        const hosted = await engine.loginAsync({ role, jwt, now });
        assert.deepEqual(hosted, sync, `${name} as ${role}`);
      }
      const sync = unkeyed.login({ role, jwt, now });
      const hosted = await unkeyed.loginAsync({ role, jwt, now });
      assert.deepEqual(hosted, sync, `${name} as ${role}, without pem_keys`);
      assert.equal(check(sync, "signature")?.status ?? "skipped", "skipped", `${name} as ${role}`);
    }
  }
});

test("loginAsync through WebCrypto decides as through node:crypto, whichever key verifies", async () => {
  // WebCrypto verifies off the JS thread, and the answer for "the first key verifies" is prepared
  // meanwhile: it must be used only when that key did verify. node:crypto verifies synchronously,
  // one key after the other, with nothing prepared.
  const pem = (path) => read(path);
  const tutorialKey = pem("tests/fixtures/keys/rsa-2048.pub.pem");
  const otherKey = pem("tests/fixtures/keys/other-rsa-2048.pub.pem");
  const withKeys = (pemKeys) => {
    const config = JSON.parse(tutorialJson);
    config.auth.kubernetes.config.pem_keys = pemKeys;
    return JSON.stringify(config);
  };
  const configurations = {
    "the tutorial's key first": [tutorialKey, otherKey],
    "the other key first": [otherKey, tutorialKey],
    "the tutorial's key alone": [tutorialKey],
  };
  for (const [label, pemKeys] of Object.entries(configurations)) {
    const viaWebCrypto = new podpass.Engine(withKeys(pemKeys), { hostCrypto: "webcrypto" });
    const viaNode = new podpass.Engine(withKeys(pemKeys));
    for (const [name, jwt] of Object.entries(tokens)) {
      const request = { role: "grade-api", jwt, now, authorize: { operation: "read", path: "secret/data/grade-api/db" } };
      const expected = await viaNode.loginAsync(request);
      const actual = await viaWebCrypto.loginAsync(request);
      assert.deepEqual(actual, expected, `${name}, ${label}`);
      const signature = check(actual, "signature");
      const verifies = name !== "forged" || pemKeys.includes(otherKey);
      assert.equal(signature.status, verifies ? "passed" : "failed", `${name}, ${label}: ${signature.reason}`);
    }
  }
});

test("jwks: the cluster's keys verify logins on a jwks_discovery mount, and nothing goes unverified", async () => {
  const jwk = (path, kid) => ({ ...createPublicKey(read(path)).export({ format: "jwk" }), kid, use: "sig" });
  const tutorialJwk = jwk("tests/fixtures/keys/rsa-2048.pub.pem", "tutorial");
  const otherJwk = jwk("tests/fixtures/keys/other-rsa-2048.pub.pem", "other");
  const ecJwk = jwk("tests/fixtures/keys/ec-p256.pub.pem", "ec");
  // The tutorial's mount verified podpass's JWKS way: the cluster's keys, no TokenReview.
  const discovering = JSON.parse(tutorialJsonWithoutKeys);
  Object.assign(discovering.auth.kubernetes.config, { jwks_discovery: true, disable_token_review: true });
  const configuration = JSON.stringify(discovering);
  const request = (jwt) => ({ role: "grade-api", jwt, now });

  for (const [label, jwks] of [
    ["an object", { keys: [tutorialJwk] }],
    ["JSON text, an EC key first", JSON.stringify({ keys: [ecJwk, tutorialJwk] })],
  ]) {
    for (const hostCrypto of ["auto", "webcrypto"]) {
      const engine = new podpass.Engine(configuration, { jwks, hostCrypto });
      const granted = await decide(engine, request(tokens.granted));
      assert.equal(granted.outcome.result, "allowed", `${label}, ${hostCrypto}`);
      assert.match(check(granted, "signature").reason, /^verified with RSA 2048-bit key jwks keys\[\d\] \(kid tutorial\)$/);
      assert.equal(check(granted, "token_review").status, "skipped");
      const forged = await decide(engine, request(tokens.forged));
      assert.equal(forged.outcome.result, "denied", `${label}, ${hostCrypto}: a token signed by another key`);
      assert.equal(forged.outcome.check, "signature");
    }
  }

  // During a rotation both keys verify, as Vault tries `pem_keys`.
  const rotating = new podpass.Engine(configuration, { jwks: { keys: [otherJwk, tutorialJwk] } });
  for (const jwt of [tokens.granted, tokens.forged]) {
    assert.equal((await decide(rotating, request(jwt))).outcome.result, "allowed");
  }

  // Without the keys the mount's logins would go unverified, so the engine is refused.
  assert.throws(() => new podpass.Engine(configuration), (e) => {
    assert.equal(e.code, "invalid_argument");
    assert.match(e.message, /^engine options: jwks: mount kubernetes\/ sets jwks_discovery=true/);
    return true;
  });
  // Keys no mount would use, and sets with no key to verify with, are refused by name.
  const refusals = [
    [tutorialJsonWithoutKeys, { keys: [tutorialJwk] }, /no mount sets jwks_discovery=true/],
    [configuration, 42, /expected a JWK Set/],
    [configuration, "{", /invalid JWK Set/],
    [configuration, { keys: [] }, /no usable RSA or ECDSA/],
    [configuration, { keys: [{ kty: "oct", k: "c2VjcmV0" }] }, /symmetric keys are never accepted/],
    [configuration, { keys: [{ ...tutorialJwk, use: "enc" }] }, /encryption key/],
  ];
  for (const [config, jwks, message] of refusals) {
    assert.throws(() => new podpass.Engine(config, { jwks }), (e) => {
      assert.equal(e.code, "invalid_argument", String(message));
      assert.match(e.message, message);
      return true;
    });
  }
});

test("requireSignatures: a configuration that would allow a login unverified is refused", async () => {
  const require = { requireSignatures: true };
  const refused = (configuration, mounts) =>
    assert.throws(() => new podpass.Engine(configuration, require), (e) => {
      assert.equal(e.code, "invalid_argument");
      assert.match(e.message, /^engine options: requireSignatures: /);
      assert.ok(e.message.includes(`${mounts} no pem_keys`), e.message);
      return true;
    });
  refused(tutorialJsonWithoutKeys, "mount kubernetes/ has");

  // Every mount without keys is named; one with keys, or with no config (it denies every
  // login), is not.
  const mixed = JSON.parse(tutorialJsonWithoutKeys);
  const keyed = JSON.parse(tutorialJson).auth.kubernetes;
  mixed.auth["staging"] = structuredClone(mixed.auth.kubernetes);
  mixed.auth["prod"] = keyed;
  mixed.auth["unconfigured"] = { type: "kubernetes", roles: {} };
  refused(JSON.stringify(mixed), "mounts kubernetes/, staging/ have");
  delete mixed.auth.kubernetes;
  delete mixed.auth.staging;
  const keyedOnly = new podpass.Engine(JSON.stringify(mixed), { ...require, defaultMount: "prod" });
  assert.deepEqual(keyedOnly.mounts().sort(), ["prod", "unconfigured"]);

  // Mounts that verify build as before, and decide as before.
  const discovering = JSON.parse(tutorialJsonWithoutKeys);
  Object.assign(discovering.auth.kubernetes.config, { jwks_discovery: true, disable_token_review: true });
  const jwk = { ...createPublicKey(read("tests/fixtures/keys/rsa-2048.pub.pem")).export({ format: "jwk" }), kid: "tutorial" };
  for (const verifying of [
    new podpass.Engine(tutorialJson, require),
    new podpass.Engine(JSON.stringify(discovering), { ...require, jwks: { keys: [jwk] } }),
  ]) {
    assert.equal((await decide(verifying, { role: "grade-api", jwt: tokens.granted, now })).outcome.result, "allowed");
    const forged = await decide(verifying, { role: "grade-api", jwt: tokens.forged, now });
    assert.equal(forged.outcome.check, "signature");
  }

  // Off (the default), the keyless mount answers on the claims, its signature check skipped.
  for (const options of [undefined, { requireSignatures: false }]) {
    const unverified = await decide(new podpass.Engine(tutorialJsonWithoutKeys, options), { role: "grade-api", jwt: tokens.forged, now });
    assert.equal(unverified.outcome.result, "allowed");
    assert.equal(check(unverified, "signature").status, "skipped");
  }
  assert.throws(() => new podpass.Engine(tutorialJson, { requireSignatures: "yes" }), (e) => {
    assert.equal(e.code, "invalid_argument");
    assert.match(e.message, /engine options/);
    return true;
  });
});

test("loginAsync through WebCrypto: logins waiting at once, and an engine freed while they wait", async () => {
  // Each login waiting for WebCrypto is kept by the engine until its verdict comes back; many at
  // once, some verified by the first key and some by the second, must each get their own answer.
  const config = JSON.parse(tutorialJson);
  config.auth.kubernetes.config.pem_keys = [read("tests/fixtures/keys/other-rsa-2048.pub.pem"), read("tests/fixtures/keys/rsa-2048.pub.pem")];
  const twoKeys = JSON.stringify(config);
  const requests = [];
  for (let i = 0; i < 24; i++) {
    const jwt = i % 3 === 2 ? tokens.forged : tokens.granted;
    requests.push({ role: i % 4 === 3 ? "nope" : "grade-api", jwt, now });
  }
  const viaNode = new podpass.Engine(twoKeys);
  const expected = [];
  for (const request of requests) expected.push(await viaNode.loginAsync(request));
  for (const configuration of [tutorialJson, twoKeys]) {
    const viaWebCrypto = new podpass.Engine(configuration, { hostCrypto: "webcrypto" });
    // The keys imported, so every login below starts verifying in the call.
    await viaWebCrypto.loginAsync(requests[0]);
    const reference = configuration === twoKeys ? expected : await Promise.all(requests.map((r) => new podpass.Engine(tutorialJson).loginAsync(r)));
    for (let round = 0; round < 2; round++) {
      const actual = await Promise.all(requests.map((r) => viaWebCrypto.loginAsync(r)));
      assert.deepEqual(actual.map((r) => r.outcome), reference.map((r) => r.outcome));
    }
    // Freed while its logins wait: they still settle, with the same answers.
    const pending = requests.map((r) => viaWebCrypto.loginAsync(r));
    viaWebCrypto.free();
    const settled = await Promise.all(pending);
    assert.deepEqual(settled.map((r) => r.outcome), reference.map((r) => r.outcome));
  }
});

test("verifiedTokenCache: a token verified once is not verified again, and every other check still runs", async () => {
  // WebCrypto's verify, counted; the engines below verify through it (hostCrypto: "webcrypto").
  const subtle = globalThis.crypto.subtle;
  const verify = subtle.verify;
  let verifies = 0;
  subtle.verify = function (...args) {
    verifies += 1;
    return verify.apply(this, args);
  };
  try {
    const counted = async (engine, jwts, request = {}) => {
      const before = verifies;
      const results = [];
      for (const jwt of jwts) results.push(await engine.loginAsync({ role: "grade-api", jwt, now, ...request }));
      return { verified: verifies - before, results };
    };
    const uncached = new podpass.Engine(tutorialJson, { hostCrypto: "webcrypto" });
    const cached = new podpass.Engine(tutorialJson, { hostCrypto: "webcrypto", verifiedTokenCache: 16 });
    const { granted, otherNamespace, forged } = tokens;

    // Off by default: every login verifies.
    assert.equal((await counted(uncached, [granted, granted, granted])).verified, 3);

    // On: the first login verifies, the next ones reuse its verdict and answer the same.
    const first = await counted(cached, [granted, granted, granted]);
    assert.equal(first.verified, 1);
    const reference = await uncached.loginAsync({ role: "grade-api", jwt: granted, now });
    for (const result of first.results) assert.deepEqual(result, reference);
    assert.equal(check(first.results[2], "signature").status, "passed");

    // A token that is refused later for another reason is still verified once.
    const denied = await counted(cached, [otherNamespace, otherNamespace]);
    assert.equal(denied.verified, 1);
    assert.equal(denied.results[1].outcome.result, "denied");
    assert.equal(check(denied.results[1], "namespace").status, "failed");

    // Only the exact token is reused: the same claims with another signature are verified, and
    // refused, every time; a token signed by another key likewise.
    const [header, payload, signature] = granted.split(".");
    const flipped = `${header}.${payload}.${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
    // Another token's claims under the kept token's signature: the same last characters.
    const grafted = `${otherNamespace.split(".").slice(0, 2).join(".")}.${signature}`;
    for (const jwt of [flipped, grafted, forged]) {
      const refused = await counted(cached, [jwt, jwt]);
      assert.equal(refused.verified, 2);
      for (const result of refused.results) assert.equal(check(result, "signature").status, "failed");
    }

    // The token's times are checked against each login's own `now`.
    const later = await counted(cached, [granted], { now: now + 30 * 86400 });
    assert.equal(later.verified, 0);
    assert.equal(later.results[0].outcome.result, "denied");
    assert.equal(check(later.results[0], "expiry").status, "failed");

    // A bound, not a policy: a full cache starts over.
    const one = new podpass.Engine(tutorialJson, { hostCrypto: "webcrypto", verifiedTokenCache: 1 });
    assert.equal((await counted(one, [granted, granted, otherNamespace, granted])).verified, 3);
  } finally {
    subtle.verify = verify;
  }

  // The sync login (the signature verified in wasm, full build) reuses verdicts the same way.
  if (!edge) {
    const cached = new podpass.Engine(tutorialJson, { verifiedTokenCache: 4 });
    for (const [name, jwt] of Object.entries(tokens)) {
      const expected = engine.login({ role: "grade-api", jwt, now });
      for (let i = 0; i < 2; i++) assert.deepEqual(cached.login({ role: "grade-api", jwt, now }), expected, name);
      assert.deepEqual(await cached.loginAsync({ role: "grade-api", jwt, now }), expected, `${name}, loginAsync`);
    }
  }

  // Bad sizes are refused by name.
  for (const bad of [-1, 1.5, 100001, Number.NaN, Number.POSITIVE_INFINITY, "16", true, [16]]) {
    assert.throws(() => new podpass.Engine(tutorialJson, { verifiedTokenCache: bad }), {
      name: "PodpassError",
      code: "invalid_argument",
      message: /verifiedTokenCache: expected a whole number of tokens from 0 to 100000/,
    }, String(bad));
  }
  for (const fine of [0, 100000, null, undefined]) new podpass.Engine(tutorialJson, { verifiedTokenCache: fine }).free();
});

test("loginAsync reads its request when called, not when the promise settles", async () => {
  for (const hostCrypto of ["auto", "webcrypto"]) {
    const on = new podpass.Engine(tutorialJson, { hostCrypto });
    const request = { role: "grade-api", jwt: tokens.granted, now };
    const pending = on.loginAsync(request);
    request.role = "nope";
    request.jwt = tokens.forged;
    const result = await pending;
    assert.equal(result.outcome.result, "allowed", hostCrypto);
    assert.equal(result.outcome.role, "grade-api", hostCrypto);
  }
  // A bad request rejects; it does not throw from the call.
  const rejected = engine.loginAsync({ role: "grade-api" });
  assert.ok(rejected instanceof Promise);
  await assert.rejects(rejected, { name: "PodpassError", code: "invalid_argument" });
});

test("errors are PodpassErrors with a code and, for configuration, a location", async () => {
  const bad = "vault auth enable kubernetes\nvault write auth/kubernetes/role/r token_ttl=forever\n";
  if (edge) {
    // The edge build reads Vault API JSON only: vault commands are refused, naming the feature.
    assert.throws(() => new podpass.Engine(bad, { source: "setup.sh" }), (e) => {
      assert.ok(e instanceof Error);
      assert.equal(e.name, "PodpassError");
      assert.equal(e.code, "invalid_configuration");
      assert.match(e.message, /`vault-commands` feature/);
      assert.equal(e.location.source, "setup.sh");
      return true;
    });
  } else {
    assert.throws(() => new podpass.Engine(bad, { source: "setup.sh" }), (e) => {
      assert.ok(e instanceof Error);
      assert.equal(e.name, "PodpassError");
      assert.equal(e.code, "invalid_configuration");
      assert.deepEqual([e.location.line, e.location.source], [2, "setup.sh"]);
      // The same refusal as the core's diagnostic.
      assert.equal(e.diagnostics.length, 1);
      const [diagnostic] = e.diagnostics;
      assert.deepEqual(
        [diagnostic.severity, diagnostic.code, diagnostic.source, diagnostic.location.line],
        ["error", "configuration/import", "setup.sh", 2],
      );
      assert.equal(diagnostic.message, e.message);
      return true;
    });
  }
  // The same bad value in Vault API JSON, which both builds read: located at its line.
  const badJson = '{\n  "auth": {"kubernetes": {"type": "kubernetes",\n    "roles": {"r": {"token_ttl": "forever"}}}}\n}\n';
  assert.throws(() => new podpass.Engine(badJson, { source: "setup.json" }), (e) => {
    assert.equal(e.name, "PodpassError");
    assert.equal(e.code, "invalid_configuration");
    assert.match(e.message, /invalid duration "forever"/);
    assert.deepEqual([e.location.line, e.location.source], [3, "setup.json"]);
    assert.equal(e.diagnostics.length, 1);
    const [diagnostic] = e.diagnostics;
    assert.deepEqual([diagnostic.severity, diagnostic.source], ["error", "setup.json"]);
    assert.equal(diagnostic.message, e.message);
    return true;
  });
  assert.throws(() => engine.login({ role: "grade-api" }), { code: "invalid_argument" });
  assert.throws(() => podpass.decodeJwt("nope"), { code: "invalid_jwt" });
  await assert.rejects(engine.loginAsync({ role: "grade-api", jwt: "x", mount: "elsewhere" }), {
    code: "unknown_mount",
  });
});

test("decodeJwt, lint and importScript work from the package (the edge build has no lint or importScript)", () => {
  const decoded = podpass.decodeJwt(tokens.granted);
  assert.equal(decoded.claims.sub, "system:serviceaccount:grade-api:grade-api-sa");
  assert.deepEqual(Object.keys(decoded), ["header", "claims", "algorithm", "key_id", "signature"]);
  assert.equal(decoded.signature, tokens.granted.split(".")[2]);
  // Whitespace around the token, some of it three bytes in UTF-8 and one unit in UTF-16.
  assert.deepEqual(podpass.decodeJwt(`\u3000 ${tokens.granted}\u2028\n`), decoded);
  if (edge) {
    assert.equal(podpass.lint, undefined);
    assert.equal(podpass.importScript, undefined);
    assert.equal(engine.lint, undefined);
    // The podpass.hcl the full build writes is a form the edge build refuses, naming the feature.
    const hcl = loadNodePackage("full").importScript(tutorialJson).output;
    assert.throws(() => new podpass.Engine(hcl), { code: "invalid_configuration", message: /`podpass-hcl` feature/ });
  } else {
    const findings = podpass.lint(tutorialJson);
    assert.ok(findings.some((f) => f.subject.includes("any-ns")), "the any-ns role admits every namespace");
    const hcl = podpass.importScript(tutorialJson).output;
    assert.deepEqual(new podpass.Engine(hcl).roles(), engine.roles());
  }
  assert.equal(podpass.operationForHttp("DELETE"), "delete");
});
