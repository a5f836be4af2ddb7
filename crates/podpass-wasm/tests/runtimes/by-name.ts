// Type-checked (never run) by runtimes.test.mjs in its scratch project, by `deno check` (the
// `deno` condition's types) and by tsc with Node's resolution (the `node` condition's): the
// package imported by its name declares each build's functions, and only those.
import { Engine, decodeJwt, type Decision, type LoginResult } from "podpass-wasm/edge";
import * as full from "podpass-wasm";

export async function admit(configurationJson: string, jwt: string, jwks: string): Promise<boolean> {
  const engine = new Engine(configurationJson, {
    source: "vault.json",
    verifiedTokenCache: 1024,
    jwks,
    requireSignatures: true,
  });
  // @ts-expect-error a JWK Set is its text or an object with `keys`
  new Engine(configurationJson, { jwks: 42 });
  // @ts-expect-error requireSignatures is a boolean
  new Engine(configurationJson, { requireSignatures: "yes" });
  const login: LoginResult = await engine.loginAsync({ role: "grade-api", jwt });
  if (login.outcome.result !== "allowed") return false;
  const decision: Decision = engine.authorize(login, { operation: "read", path: "secret/data/grade-api/db" });
  // @ts-expect-error a role is a string
  await engine.loginAsync({ role: 1, jwt });
  // @ts-expect-error the edge build has no lint
  engine.lint();
  const findings = full.lint(configurationJson).length;
  return decision.allowed && decodeJwt(jwt).algorithm === "RS256" && findings >= 0;
}
