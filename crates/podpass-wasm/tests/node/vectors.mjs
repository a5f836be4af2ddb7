// The login and ACL vectors every build must decide identically (tests/node/builds.test.mjs in
// Node, tests/browser/builds.test.mjs in Chromium, tests/runtimes in Deno and Bun): the
// tutorial scenario plus roles that exercise globs, an audience, bound CIDRs and a JSON
// namespace selector, and tokens that pass or fail each kind of check.
import { keys, mintToken, tutorialJson } from "./fixtures.mjs";

export { answer, paths } from "./answer.mjs";

/** The scenario as Vault API JSON (an object; `configuration` is its text). */
export const scenario = JSON.parse(tutorialJson);
Object.assign(scenario.auth.kubernetes.roles, {
  globs: {
    bound_service_account_names: "grade-*,other-sa",
    bound_service_account_namespaces: "grade-*",
    audience: "https://kubernetes.default.svc.cluster.local",
    policies: "grade-api",
    ttl: "20m",
  },
  "wrong-audience": {
    bound_service_account_names: "*",
    bound_service_account_namespaces: "*",
    audience: "vault",
    policies: "grade-api",
  },
  "office-only": {
    bound_service_account_names: "grade-api-sa",
    bound_service_account_namespaces: "grade-api",
    token_bound_cidrs: "10.1.0.0/16",
    policies: "grade-api",
  },
  labelled: {
    bound_service_account_names: "grade-api-sa",
    bound_service_account_namespace_selector: '{"matchLabels":{"team":"grades"}}',
    policies: "grade-api",
  },
  // Names fold as Vault folds them (Go's strings.ToLower): `ΣAΣ` is the policy `σaσ`.
  folded: {
    bound_service_account_names: "grade-api-sa",
    bound_service_account_namespaces: "grade-api",
    token_policies: "Grade-API,ΣAΣ",
  },
});
scenario.policies["ΣAΣ"] = 'path "secret/data/payment/*" {\n  capabilities = ["read"]\n}\n';
export const configuration = JSON.stringify(scenario, null, 2);

/** The time every vector is decided at. */
export const now = Math.floor(Date.now() / 1000);

const token = (namespace, serviceAccount, options = {}) =>
  mintToken({ namespace, serviceAccount, issuedAt: now - 60, ...options });
/** The tokens, by name. */
export const jwts = {
  granted: await token("grade-api", "grade-api-sa"),
  otherNamespace: await token("payment", "grade-api-sa"),
  globbed: await token("grade-books", "grade-reader"),
  forged: await token("grade-api", "grade-api-sa", { key: keys.other }),
  expired: await token("grade-api", "grade-api-sa", { issuedAt: now - 7200, ttl: 600 }),
};

export const vectors = [
  { role: "grade-api", jwt: "granted" },
  { role: "grade-api", jwt: "otherNamespace" },
  { role: "grade-api", jwt: "forged" },
  { role: "grade-api", jwt: "expired" },
  { role: "globs", jwt: "globbed" },
  { role: "globs", jwt: "granted" },
  { role: "namespace-wide", jwt: "granted" },
  { role: "any-ns", jwt: "granted" },
  { role: "wrong-audience", jwt: "granted" },
  { role: "office-only", jwt: "granted", remoteAddr: "10.1.2.3" },
  { role: "office-only", jwt: "granted", remoteAddr: "192.0.2.1" },
  { role: "labelled", jwt: "granted", labels: { team: "grades" } },
  { role: "labelled", jwt: "granted", labels: { team: "payments" } },
  { role: "folded", jwt: "granted" },
  { role: "missing", jwt: "granted" },
];

/** A vector as the login request the package takes. */
export const request = (vector) => ({
  role: vector.role,
  jwt: jwts[vector.jwt],
  now,
  ...(vector.remoteAddr && { remoteAddr: vector.remoteAddr }),
  ...(vector.labels && { namespaceLabels: vector.labels }),
});

/** A vector in words, for assertion messages. */
export const describe = (vector) =>
  `${vector.role} with ${vector.jwt}${vector.remoteAddr ? ` from ${vector.remoteAddr}` : ""}${vector.labels ? ` labelled ${JSON.stringify(vector.labels)}` : ""}`;
