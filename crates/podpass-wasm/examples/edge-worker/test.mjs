// The edge proof: the example worker in Cloudflare's real runtime (workerd from npm), with the
// tutorial scenario, answering allowed, denied, expired and forged requests, and failing closed
// on a configuration without keys; on the full build, or on the edge build with PODPASS_BUILD=edge.
import assert from "node:assert/strict";
import test from "node:test";

import { build, keys, mintToken, tutorialJsonWithoutKeys } from "../../tests/node/fixtures.mjs";
import { configFor, startWorkerd } from "./workerd.mjs";

// PODPASS_BUILD=edge runs the same worker on the package's edge build.
const server = await startWorkerd(configFor(build));
test.after(() => server.stop());

const now = Math.floor(Date.now() / 1000);
const granted = await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa" });

async function send(path, { jwt, role = "grade-api", method = "GET" } = {}) {
  const headers = {};
  if (jwt) headers.authorization = `Bearer ${jwt}`;
  if (role) headers["x-podpass-role"] = role;
  const response = await fetch(`${server.base}${path}`, { method, headers });
  return { status: response.status, body: await response.json() };
}

test("an allowed read is passed upstream without the pod's token", async () => {
  const { status, body } = await send("/v1/secret/data/grade-api/db", { jwt: granted });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.upstream, "echo");
  assert.equal(body.path, "/v1/secret/data/grade-api/db");
  assert.equal(body.headers.authorization, undefined);
  assert.ok(body.headers["x-podpass-policies"].split(",").includes("grade-api"));
});

test("the role can come from the route, and LIST maps to list", async () => {
  const { status, body } = await send("/role/grade-api/v1/secret/metadata/grade-api/?list=true", {
    jwt: granted,
    role: null,
  });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.search, "?list=true");
});

test("a path the token's policies do not grant is 403 with the ACL's reason", async () => {
  const { status, body } = await send("/v1/secret/data/payment/db", { jwt: granted });
  assert.equal(status, 403);
  assert.equal(body.error, "forbidden");
  assert.match(body.reason, /secret\/data\/payment\/db/);
});

test("a write needs create and update, which a read-only policy lacks: 403", async () => {
  const { status, body } = await send("/v1/secret/data/grade-api/db", { jwt: granted, method: "POST" });
  assert.equal(status, 403);
  assert.equal(body.operation, "create");
});

test("a valid token of another namespace is 403 at the namespace check", async () => {
  const jwt = await mintToken({ namespace: "payment", serviceAccount: "grade-api-sa" });
  const { status, body } = await send("/v1/secret/data/grade-api/db", { jwt });
  assert.equal(status, 403);
  assert.equal(body.check, "namespace");
});

test("an expired token is 401 at the expiry check", async () => {
  const jwt = await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa", issuedAt: now - 7200, ttl: 600 });
  const { status, body } = await send("/v1/secret/data/grade-api/db", { jwt });
  assert.equal(status, 401);
  assert.equal(body.check, "expiry");
  assert.equal(body.vault.status, 403);
});

test("a forged token (signed by another key) is 401 at the signature check", async () => {
  const jwt = await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa", key: keys.other });
  const { status, body } = await send("/v1/secret/data/grade-api/db", { jwt });
  assert.equal(status, 401);
  assert.equal(body.check, "signature");
  assert.match(body.reason, /does not verify/);
});

test("no token is 401 and no role is 400", async () => {
  assert.equal((await send("/v1/secret/data/grade-api/db")).status, 401);
  assert.equal((await send("/v1/secret/data/grade-api/db", { jwt: granted, role: null })).status, 400);
});

test("a configuration with a mount that has no keys is refused: nothing is let through", async () => {
  // Without keys, Vault leaves the signature to TokenReview, which the edge cannot ask; the
  // worker's engine (requireSignatures) refuses such a configuration, so even a forged token
  // gets an error, never the upstream.
  const keyless = await startWorkerd(configFor(build, { podpassConfig: tutorialJsonWithoutKeys }));
  try {
    const forged = await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa", key: keys.other });
    const response = await fetch(`${keyless.base}/v1/secret/data/grade-api/db`, {
      headers: { authorization: `Bearer ${forged}`, "x-podpass-role": "grade-api" },
    });
    assert.equal(response.status, 500);
    assert.doesNotMatch(await response.text(), /echo/);
  } finally {
    keyless.stop();
  }
});
