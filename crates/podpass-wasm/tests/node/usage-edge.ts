// Type-checked (never run) by scripts/test-wasm.sh with `tsc --noEmit`: the edge build's
// definitions declare what it has, and not what it leaves out.
import init, { Engine, decodeJwt, operationForHttp, type Decision, type LoginResult } from "../../pkg/edge/web/podpass_wasm.js";
import * as edge from "../../pkg/edge/workerd/index.js";

export async function edgeExample(configurationJson: string, jwt: string): Promise<boolean> {
  await init();
  const engine = new Engine(configurationJson, { source: "vault.json", verifiedTokenCache: 1024 });
  const result: LoginResult = await engine.loginAsync({ role: "grade-api", jwt, remoteAddr: "10.0.0.1" });
  if (result.outcome.result !== "allowed") return false;
  const operation = operationForHttp("GET", { list: false }) ?? "read";
  const decision: Decision = engine.authorize(result, { operation, path: "secret/data/grade-api/db" });
  // @ts-expect-error the edge build has no lint
  engine.lint();
  // @ts-expect-error nor the free lint and importScript
  edge.lint(configurationJson);
  return decision.allowed && decodeJwt(jwt).algorithm === "RS256" && engine.capabilities(result, "x").length > 0;
}
