// The same decisions from every build: login and ACL vectors run through the edge build
// (loginAsync, the host's WebCrypto), the full build (login in wasm, and loginAsync) and the
// native engine (`podpass check --json`), and compared field by field. Then what the edge build
// leaves out, refused by name.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "node:test";

import { loadNodePackage, read, root } from "./fixtures.mjs";
import { answer, configuration, describe, jwts, now, paths, request, scenario, vectors } from "./vectors.mjs";

const full = loadNodePackage("full");
const edge = loadNodePackage("edge");
const podpassBin = process.env.PODPASS_BIN ?? join(root, "target/debug/podpass");

const dir = mkdtempSync(join(tmpdir(), "podpass-builds-"));
const configFile = join(dir, "scenario.json");
writeFileSync(configFile, configuration);
const engines = {
  full: new full.Engine(configuration, { source: configFile }),
  edge: new edge.Engine(configuration, { source: configFile }),
};

/** The native engine's answer: `podpass check --json` (exit 1 on a denial is an answer too). */
function native(vector) {
  const args = ["check", configFile, "--role", vector.role, "--jwt", jwts[vector.jwt], "--now", String(now), "--json"];
  if (vector.remoteAddr) args.push("--remote-addr", vector.remoteAddr);
  for (const [key, value] of Object.entries(vector.labels ?? {})) args.push("--label", `${key}=${value}`);
  for (const path of paths) args.push("--path", path);
  let stdout;
  try {
    stdout = execFileSync(podpassBin, args, { encoding: "utf8" });
  } catch (e) {
    if (e.status !== 1 || !e.stdout) throw e;
    stdout = e.stdout;
  }
  return JSON.parse(stdout);
}

test("edge, full and native builds decide every vector identically", async () => {
  for (const vector of vectors) {
    const label = describe(vector);
    const fullSync = answer(engines.full, engines.full.login(request(vector)));
    const fullAsync = answer(engines.full, await engines.full.loginAsync(request(vector)));
    const edgeAsync = answer(engines.edge, await engines.edge.loginAsync(request(vector)));
    assert.deepEqual(fullAsync, fullSync, `${label}: full loginAsync against full login`);
    assert.deepEqual(edgeAsync, fullSync, `${label}: edge against full`);

    const nativeAnswer = native(vector);
    assert.deepEqual(fullSync.login, nativeAnswer.login, `${label}: wasm against native`);
    const nativeDecisions = fullSync.decisions.length === 0 ? [] : nativeAnswer.requests;
    assert.deepEqual(
      fullSync.decisions.map((d) => d.allowed),
      nativeDecisions.map((d) => d.allowed),
      `${label}: ACL decisions against native`,
    );
    assert.deepEqual(fullSync.decisions, nativeDecisions, `${label}: explanations against native`);
  }
});

test("the vectors cover both outcomes and every kind of check that fails", () => {
  const failed = new Set();
  let allowed = 0;
  for (const vector of vectors) {
    const result = engines.full.login(request(vector));
    if (result.outcome.result === "allowed") allowed += 1;
    for (const check of result.trace) if (check.status === "failed") failed.add(check.id);
  }
  assert.ok(allowed >= 4, `${allowed} allowed`);
  for (const id of ["role_lookup", "bound_cidrs", "signature", "audience", "expiry", "service_account_name", "namespace"]) {
    assert.ok(failed.has(id), `no vector fails ${id}`);
  }
});

test("policy names fold as Vault folds them, in every build", async () => {
  const folded = vectors.find((v) => v.role === "folded");
  for (const engine of [engines.full, engines.edge]) {
    const { outcome } = await engine.loginAsync(request(folded));
    // Go's strings.ToLower: no final sigma (`ς`) at the end of `ΣAΣ`.
    assert.deepEqual(outcome.policies, ["default", "grade-api", "σaσ"]);
    assert.equal(engine.authorize({ policies: outcome.policies }, { operation: "read", path: "secret/data/payment/db" }).allowed, true);
  }
});

test("the edge build refuses what it leaves out, by name", async () => {
  assert.equal(edge.lint, undefined);
  assert.equal(edge.importScript, undefined);
  assert.equal(typeof full.lint, "function");
  assert.throws(() => new edge.Engine(read("tests/fixtures/configuration/tutorial.export.sh")), (e) => {
    assert.equal(e.code, "invalid_configuration");
    assert.match(e.message, /reads Vault API JSON only; reading vault commands needs the `vault-commands` feature/);
    return true;
  });
  // A keyed mount: the signature is the host's to verify.
  assert.throws(() => engines.edge.login(request(vectors[0])), (e) => {
    assert.equal(e.code, "not_in_this_build");
    assert.match(e.message, /call loginAsync/);
    return true;
  });
  // Without keys, the signature is TokenReview's (as in Vault) and login decides in wasm.
  const keyless = structuredClone(scenario);
  delete keyless.auth.kubernetes.config.pem_keys;
  const text = JSON.stringify(keyless);
  const fromEdge = new edge.Engine(text).login(request(vectors[0]));
  const fromFull = new full.Engine(text).login(request(vectors[0]));
  assert.equal(fromEdge.outcome.result, "allowed");
  assert.deepEqual(JSON.parse(JSON.stringify(fromEdge)), JSON.parse(JSON.stringify(fromFull)));
  // A YAML namespace selector needs the YAML reader; JSON selectors work.
  const yaml = structuredClone(scenario);
  yaml.auth.kubernetes.roles.labelled.bound_service_account_namespace_selector = "matchLabels:\n  team: grades\n";
  assert.throws(() => new edge.Engine(JSON.stringify(yaml)), /YAML needs the `yaml-selectors` feature/);
  assert.doesNotThrow(() => new full.Engine(JSON.stringify(yaml)));
});
