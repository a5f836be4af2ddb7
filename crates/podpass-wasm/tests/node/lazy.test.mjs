// Login results as the package builds them: the outcome at once, the trace computed on first
// read (from a snapshot of the request, so what happens to the request or the clock afterwards
// does not change it), and `authorize` asked in the same call. Runs on both builds
// (PODPASS_BUILD): the edge build's sync login refuses a mount with pem_keys, so there decisions on
// the tutorial go through loginAsync (`decide`) and sync login is exercised on the tutorial
// without pem_keys.
import assert from "node:assert/strict";
import test from "node:test";

import { decide, edge, keys, loadNodePackage, mintToken, tutorialJson, tutorialJsonWithoutKeys } from "./fixtures.mjs";

const podpass = loadNodePackage();
const engine = new podpass.Engine(tutorialJson);
/** The tutorial without pem_keys: sync login answers on both builds (no signature check). */
const unkeyed = new podpass.Engine(tutorialJsonWithoutKeys);
const sync = (on) => (request) => on.login(request);
const hosted = (on) => (request) => on.loginAsync(request);
/**
 * The ways to log in that the build has, as [name, engine, login]: on the full build sync login on
 * the tutorial; on the edge build loginAsync on the tutorial and sync login without pem_keys.
 */
const logins = edge
  ? [
      ["loginAsync", engine, hosted(engine)],
      ["login without pem_keys", unkeyed, sync(unkeyed)],
    ]
  : [["login", engine, sync(engine)]];
const now = Math.floor(Date.now() / 1000);
const tokens = {
  granted: await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa" }),
  otherNamespace: await mintToken({ namespace: "payment", serviceAccount: "grade-api-sa" }),
  forged: await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa", key: keys.other }),
};
const ask = { operation: "read", path: "secret/data/grade-api/db" };

const isLazy = (result) => typeof Object.getOwnPropertyDescriptor(result, "trace").get === "function";

test("the trace is an enumerable property, computed on first read, the same as read at once", async () => {
  for (const [name, , login] of logins) {
    for (const jwt of Object.values(tokens)) {
      for (const role of ["grade-api", "shared-reader", "nope"]) {
        const early = await login({ role, jwt, now });
        const earlyTrace = early.trace;
        const late = await login({ role, jwt, now });
        assert.ok(isLazy(late), name);
        assert.deepEqual(Object.keys(late), ["outcome", "trace"]);
        // JSON.stringify reads the trace through the accessor.
        assert.equal(JSON.stringify(late), JSON.stringify(early));
        assert.ok(!isLazy(late), "cached as a data property once read");
        assert.equal(late.trace, late.trace);
        assert.deepEqual(late.trace, earlyTrace);
        assert.deepEqual({ ...(await login({ role, jwt, now })) }, early);
        assert.ok(earlyTrace.length > 0);
      }
    }
  }
});

test("the trace can be replaced like a data property", async () => {
  const result = await decide(engine, { role: "grade-api", jwt: tokens.granted, now });
  result.trace = [];
  assert.deepEqual(result.trace, []);
});

test("login and loginAsync still answer alike, trace included", async () => {
  // On the edge build sync login answers only without pem_keys; with them it is refused.
  const engines = edge ? [unkeyed] : [engine];
  for (const jwt of Object.values(tokens)) {
    for (const on of engines) {
      const sync = on.login({ role: "grade-api", jwt, now, authorize: ask });
      const hosted = await on.loginAsync({ role: "grade-api", jwt, now, authorize: ask });
      assert.deepEqual(hosted, sync);
      assert.equal(JSON.stringify(hosted), JSON.stringify(sync));
    }
    if (edge) {
      assert.throws(() => engine.login({ role: "grade-api", jwt, now, authorize: ask }), {
        name: "PodpassError",
        code: "not_in_this_build",
      });
    }
  }
});

test("the trace is the request's as it was at login, with the time the login used", async () => {
  const request = { role: "grade-api", jwt: tokens.granted, namespaceLabels: { team: "grades" } };
  const result = await decide(engine, request);
  const asked = await decide(engine, { ...request, namespaceLabels: { ...request.namespaceLabels } });
  const expected = JSON.stringify(asked.trace);
  request.role = "nope";
  request.jwt = tokens.forged;
  request.namespaceLabels.team = "other";
  // The host's clock filled `now`: the trace later on still reads the time of the login.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal(result.outcome.result, "allowed");
  assert.equal(JSON.stringify(result.trace), expected);
  const expiry = result.trace.find((c) => c.id === "expiry");
  assert.ok(expiry);
});

test("a trace read after its engine was freed is a clear error; one read before stays", async () => {
  const own = new podpass.Engine(tutorialJson);
  const read = await decide(own, { role: "grade-api", jwt: tokens.granted, now });
  const trace = read.trace;
  const unread = await decide(own, { role: "grade-api", jwt: tokens.granted, now });
  own.free();
  assert.deepEqual(read.trace, trace);
  assert.equal(unread.outcome.result, "allowed");
  assert.throws(() => unread.trace, (error) => {
    assert.equal(error.name, "PodpassError");
    assert.equal(error.code, "engine_freed");
    assert.match(error.message, /freed/);
    return true;
  });
});

test("authorize with a login result reads its outcome, never its trace", async () => {
  const result = await decide(engine, { role: "grade-api", jwt: tokens.granted, now });
  assert.equal(engine.authorize(result, ask).allowed, true);
  assert.ok(engine.capabilities(result, ask.path).includes("read"));
  assert.ok(isLazy(result), "the trace was not computed");
});

test("login with authorize: an allowed login carries the decision, a denied one none", async () => {
  // The full build logs in both ways on the tutorial; the edge build with loginAsync on it and
  // with sync login without pem_keys (the same roles and policies).
  const ways = edge ? logins.map(([, , login]) => login) : [sync(engine), hosted(engine)];
  for (const login of ways) {
    const own = await login({ role: "grade-api", jwt: tokens.granted, now, authorize: ask });
    assert.deepEqual(Object.keys(own), ["outcome", "authorization", "trace"]);
    assert.deepEqual(own.authorization, engine.authorize(own, ask));
    assert.equal(own.authorization.allowed, true);
    const other = await login({
      role: "grade-api",
      jwt: tokens.granted,
      now,
      authorize: { operation: "read", path: "secret/data/payment/db" },
    });
    assert.equal(other.authorization.allowed, false);
    const denied = await login({ role: "grade-api", jwt: tokens.otherNamespace, now, authorize: ask });
    assert.equal(denied.outcome.result, "denied");
    assert.ok(!("authorization" in denied));
    const plain = await login({ role: "grade-api", jwt: tokens.granted, now });
    assert.ok(!("authorization" in plain));
  }
  const withParameters = {
    operation: "update",
    path: "secret/data/grade-api/db",
    parameters: { data: { a: 1 } },
    wrapTtl: 60,
  };
  const both = await decide(engine, { role: "grade-api", jwt: tokens.granted, now, authorize: withParameters });
  assert.deepEqual(both.authorization, engine.authorize(both, withParameters));
});

test("a bad request is refused as before, naming the field", async () => {
  const refused = (request, words) => {
    assert.throws(() => engine.login(request), (error) => {
      assert.equal(error.code, "invalid_argument", error.message);
      assert.match(error.message, words);
      return true;
    });
  };
  refused({ role: "grade-api", jwt: tokens.granted, remote_addr: "10.0.0.1" }, /remote_addr/);
  refused({ role: "grade-api", jwt: tokens.granted, authorize: { operation: "read" } }, /path/);
  refused({ role: "grade-api", jwt: tokens.granted, authorize: { operation: "peek", path: "a" } }, /peek/);
  refused({ role: "grade-api", jwt: tokens.granted, authorize: { operation: "read", path: "a", wrap_ttl: 1 } }, /wrap_ttl/);
  refused({ role: "grade-api", jwt: tokens.granted, namespaceLabels: { a: 1 } }, /login request/);
  refused({ role: 5, jwt: tokens.granted }, /login request/);
  refused({ jwt: tokens.granted }, /role/);
  refused({ role: "grade-api\ud800", jwt: tokens.granted }, /login request/);
  await assert.rejects(engine.loginAsync({ role: "grade-api", jwt: tokens.granted, remote_addr: "x" }), {
    code: "invalid_argument",
    message: /remote_addr/,
  });
});

test("a login answered as one before gets its own copy: changing one result changes no other", async () => {
  const granted2 = await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa", issuedAt: now - 5 });
  const shared = new podpass.Engine(edge ? tutorialJsonWithoutKeys : tutorialJson);
  const login = (request) => shared.login({ now, ...request });
  const fresh = () => new podpass.Engine(edge ? tutorialJsonWithoutKeys : tutorialJson).login({ now, role: "grade-api", jwt: tokens.granted });
  const first = login({ role: "grade-api", jwt: tokens.granted });
  const again = login({ role: "grade-api", jwt: granted2 });
  assert.deepEqual(again.outcome, first.outcome);
  assert.notEqual(again.outcome, first.outcome);
  assert.notEqual(again.outcome.policies, first.outcome.policies);
  // Change everything a caller could change in one result; the others and later ones keep theirs.
  first.outcome.policies.push("root");
  first.outcome.metadata.role = "changed";
  first.outcome.identity.aliases[0].metadata.service_account_name = "changed";
  first.outcome.lease_duration = 0;
  delete again.outcome.identity;
  const later = login({ role: "grade-api", jwt: tokens.granted });
  assert.deepEqual(later, fresh());
  assert.deepEqual(JSON.parse(JSON.stringify(later)), JSON.parse(JSON.stringify(fresh())));
  // Each has its own trace, of its own request.
  assert.equal(again.trace.find((c) => c.id === "issued_at")?.status, fresh().trace.find((c) => c.id === "issued_at")?.status);

  // Another role, another path asked, a denial: never answered with a kept answer.
  const other = login({ role: "shared-reader", jwt: tokens.granted });
  assert.equal(other.outcome.role, "shared-reader");
  assert.deepEqual(other.outcome.policies, ["default", "shared-reader"]);
  const asked = login({ role: "grade-api", jwt: tokens.granted, authorize: ask });
  const askedElsewhere = login({ role: "grade-api", jwt: tokens.granted, authorize: { operation: "read", path: "secret/data/payment/db" } });
  assert.equal(asked.authorization.allowed, true);
  assert.equal(askedElsewhere.authorization.allowed, false);
  const askedAgain = login({ role: "grade-api", jwt: tokens.granted, authorize: ask });
  assert.deepEqual(askedAgain.authorization, asked.authorization);
  asked.authorization.allowed = false;
  assert.equal(login({ role: "grade-api", jwt: tokens.granted, authorize: ask }).authorization.allowed, true);
  assert.equal(login({ role: "grade-api", jwt: tokens.otherNamespace }).outcome.result, "denied");

  // More answers than an engine keeps: every one still right.
  const roles = ["grade-api", "shared-reader", "namespace-wide"];
  for (let i = 0; i < 40; i++) {
    const role = roles[i % roles.length];
    const path = `secret/data/grade-api/k${i % 20}`;
    const result = login({ role, jwt: tokens.granted, authorize: { operation: "read", path } });
    const expected = new podpass.Engine(edge ? tutorialJsonWithoutKeys : tutorialJson).login({ now, role, jwt: tokens.granted, authorize: { operation: "read", path } });
    assert.deepEqual(result, expected, `${role} ${path}`);
  }
});

test("authorize asked again gets its own copy of the same decision", () => {
  const on = new podpass.Engine(tutorialJson);
  const subject = { policies: ["default", "grade-api"] };
  const first = on.authorize(subject, ask);
  const again = on.authorize(subject, ask);
  assert.deepEqual(again, first);
  assert.notEqual(again, first);
  assert.equal(first.allowed, true);
  first.allowed = false;
  first.explanation.reason = "changed";
  assert.deepEqual(on.authorize(subject, ask), new podpass.Engine(tutorialJson).authorize(subject, ask));
  // Other paths, operations, policies, parameters: each its own decision.
  const cases = [
    [subject, { operation: "read", path: "secret/data/payment/db" }, false],
    [subject, { operation: "update", path: "secret/data/grade-api/db" }, false],
    [{ policies: ["default", "payment-api"] }, ask, false],
    [{ policies: ["default", "payment-api"] }, { operation: "read", path: "secret/data/payment/db" }, true],
    [subject, { ...ask, parameters: { a: 1 } }, true],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [who, request, allowed] of cases) {
      const decision = on.authorize(who, request);
      assert.equal(decision.allowed, allowed, JSON.stringify([who, request]));
      assert.deepEqual(decision, new podpass.Engine(tutorialJson).authorize(who, request));
    }
  }
});
