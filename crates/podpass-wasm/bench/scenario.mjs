// The scenario the engine-work benchmarks (login.mjs, compare.mjs) time: the tutorial without
// `pem_keys` (so no signature is verified and only the engine's own work is measured), plus a
// role with globs and an audience beside the tutorial's, an authorize request and a subject.
import { ISSUER, mintToken, tutorialJsonWithoutKeys } from "../tests/node/fixtures.mjs";

const config = JSON.parse(tutorialJsonWithoutKeys);
config.auth.kubernetes.roles["grade-glob"] = {
  bound_service_account_names: "grade-*,other-sa",
  bound_service_account_namespaces: "grade-*",
  audience: ISSUER,
  policies: "grade-api",
  ttl: "1h",
};

/** The configuration, as Vault API JSON text. */
export const engineWorkJson = JSON.stringify(config);

/** The read the login's policies are asked about. */
export const ask = { operation: "read", path: "secret/data/grade-api/db" };

/** The tutorial role's policies, as a subject for authorize and capabilities. */
export const subject = { policies: ["default", "grade-api"] };

/** How many tokens the login benchmarks rotate through. */
export const TOKENS = 16;

/** `TOKENS` RS256 tokens for grade-api-sa, each issued a second apart (so none is the same). */
export async function gradeApiTokens() {
  const tokens = [];
  for (let i = 0; i < TOKENS; i++) {
    tokens.push(await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa", issuedAt: Math.floor(Date.now() / 1000) - 60 - i }));
  }
  return tokens;
}
