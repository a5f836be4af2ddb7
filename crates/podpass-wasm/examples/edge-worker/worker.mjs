// A Cloudflare Worker that lets a Kubernetes pod through only as far as Vault would.
//
// Each request carries the pod's service-account JWT (`Authorization: Bearer <jwt>`) and the
// Vault role to log in with (`X-Podpass-Role: <role>`, or the route `/role/<role>/v1/<path>`).
// The worker logs in through the podpass engine (Vault's checks, offline), maps the HTTP method
// and path to the operation Vault would check, asks the engine whether the issued token's
// policies allow it, and either answers with a JSON reason or passes the request upstream.
//
//   401  no token, or a token Vault would not accept at all (signature, algorithm, issuer,
//        audience, not-before, expiry, issued-at)
//   403  a valid token this role does not admit (service account, namespace, CIDR, unknown
//        role), or a token whose policies do not allow the operation on the path
//   400  no role, or a method Vault does not know
//
// POST/PUT: Vault checks `create` when the item does not exist yet and `update` when it does,
// which the edge cannot see; the worker requires what Vault would require either way (both).
import { Engine, operationForHttp } from "./podpass/workerd/index.js";

const TOKEN_CHECKS = new Set([
  "signature",
  "algorithm",
  "issuer",
  "audience",
  "not_before",
  "expiry",
  "issued_at",
]);

/** One engine per isolate: the configuration is imported on the first request. */
let engine;

function json(status, body) {
  return new Response(JSON.stringify(body, null, 2), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** The role and the Vault API path (after `/v1/`) of a request. */
function route(request, url) {
  const routed = url.pathname.match(/^\/role\/([^/]+)(\/v1\/.*)$/);
  const role = routed ? decodeURIComponent(routed[1]) : request.headers.get("x-podpass-role");
  const apiPath = routed ? routed[2] : url.pathname;
  const path = apiPath.startsWith("/v1/") ? apiPath.slice(4) : null;
  return { role, path };
}

export default {
  async fetch(request, env) {
    // A pod sends the same token with every request: its signature is verified once per isolate.
    // requireSignatures: a mount without keys would allow logins on their claims alone.
    engine ??= new Engine(env.PODPASS_CONFIG, {
      source: "podpass config",
      requireSignatures: true,
      verifiedTokenCache: 1024,
    });
    const url = new URL(request.url);
    const { role, path } = route(request, url);
    if (!role) return json(400, { error: "bad_request", reason: "no role: send X-Podpass-Role or use /role/<role>/v1/..." });
    if (path === null) return json(400, { error: "bad_request", reason: "the path must start with /v1/" });

    const bearer = request.headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!bearer) return json(401, { error: "unauthorized", reason: "no Authorization: Bearer <service-account JWT>" });

    const login = await engine.loginAsync({
      role,
      jwt: bearer,
      remoteAddr: request.headers.get("cf-connecting-ip") ?? undefined,
    });
    if (login.outcome.result === "denied") {
      const failed = login.trace.find((c) => c.status === "failed");
      const status = failed && TOKEN_CHECKS.has(failed.id) ? 401 : 403;
      return json(status, {
        error: status === 401 ? "unauthorized" : "forbidden",
        reason: failed?.reason ?? login.outcome.message,
        check: login.outcome.check,
        vault: { status: login.outcome.status, message: login.outcome.message },
      });
    }

    const method = request.method.toUpperCase();
    const list = url.searchParams.get("list") === "true";
    const operations =
      method === "POST" || method === "PUT"
        ? ["create", "update"]
        : [operationForHttp(method, { list })].filter(Boolean);
    if (operations.length === 0) return json(400, { error: "bad_request", reason: `Vault has no operation for ${method}` });
    for (const operation of operations) {
      const decision = engine.authorize(login, { operation, path });
      if (!decision.allowed) {
        return json(403, {
          error: "forbidden",
          reason: decision.explanation.reason,
          operation,
          path: decision.explanation.path,
          policies: login.outcome.policies,
        });
      }
    }

    // Allowed: pass the request on without the pod's credential, saying who it was.
    const headers = new Headers(request.headers);
    headers.delete("authorization");
    headers.set("x-podpass-role", role);
    headers.set("x-podpass-policies", login.outcome.policies.join(","));
    headers.set("x-podpass-entity", login.outcome.identity.entity_id);
    const upstreamUrl = new URL(`/v1/${path}${url.search}`, "http://upstream");
    return env.UPSTREAM.fetch(new Request(upstreamUrl, { method: request.method, headers, body: request.body }));
  },
};
