// Type-checked (never run) by scripts/test-wasm.sh with `tsc --noEmit`: the package's
// definitions describe what the README shows, for the web build and the nodejs build.
import init, {
  Engine,
  decodeJwt,
  importScript,
  lint,
  operationForHttp,
  type Decision,
  type Diagnostic,
  type LoginResult,
  type PodpassError,
} from "../../pkg/web/podpass_wasm.js";
import * as node from "../../pkg/nodejs/podpass_wasm.js";

export async function example(setup: string, jwt: string): Promise<string[]> {
  await init();
  const engine = new Engine(setup, { source: "setup.sh", defaultMount: "kubernetes" });
  const result: LoginResult = engine.login({ role: "grade-api", jwt, remoteAddr: "10.0.0.1", now: 1_780_000_000 });
  const lines: string[] = result.trace.map((c) => `${c.status} ${c.id}: ${c.reason}`);
  if (result.outcome.result === "allowed") {
    const ttl: number = result.outcome.lease_duration;
    const policies: string[] = result.outcome.policies;
    const decision: Decision = engine.authorize(result, { operation: "read", path: "secret/data/grade-api/db" });
    const caps: string[] = engine.capabilities({ policies, identity: result.outcome.identity }, "secret/");
    lines.push(`${ttl} ${decision.allowed} ${decision.explanation.reason} ${caps.join()}`);
  } else {
    const status: number = result.outcome.status;
    lines.push(`${status} ${result.outcome.message} ${result.outcome.check ?? "-"}`);
  }
  const hosted: LoginResult = await engine.loginAsync({ role: "grade-api", jwt, namespaceLabels: { team: "a" } });
  lines.push(hosted.outcome.result);
  const asked = engine.login({ role: "grade-api", jwt, authorize: { operation: "read", path: "secret/data/grade-api/db" } });
  const authorization: Decision | undefined = asked.authorization;
  lines.push(String(authorization?.allowed ?? "denied"));
  lines.push(String(decodeJwt(jwt).claims["sub"]));
  lines.push(...lint(setup, { kvV2Mounts: ["secret"], longTtlSeconds: 3600 }).map((f) => `${f.severity} ${f.rule}`));
  lines.push(importScript(setup, { to: "vault_commands" }).output);
  const op = operationForHttp("POST", { itemExists: false });
  if (op !== undefined) lines.push(op);
  try {
    new node.Engine("garbage");
  } catch (e) {
    const error = e as PodpassError;
    lines.push(`${error.code} ${error.location?.line ?? 0} ${error.message}`);
    const diagnostics: Diagnostic[] = error.diagnostics;
    for (const d of diagnostics) {
      const primary = d.labels.find((l) => l.primary);
      lines.push(`${d.severity}[${d.code}] ${d.source}:${d.location?.line ?? 0}:${primary?.start.column ?? 0} ${d.help ?? ""}`);
    }
  }
  engine.free();
  return lines;
}
